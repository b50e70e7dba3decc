package kube

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

func TestApplyAppProjectKeepsRoleGroups(t *testing.T) {
	ctx := context.Background()
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{AppProjectGVR: "AppProjectList"})
	p := AppProject{
		Name: "web", Namespace: "argocd", Labels: map[string]string{"a": "b"},
		SourceRepos:  []string{"https://git.example/ws/web-api.git"},
		Destinations: []AppProjectDestination{{Name: "web-1", Namespace: "*"}},
		Roles: []AppProjectRole{
			{Name: "admin", Policies: []string{"p, proj:web:admin, applications, *, web/*, allow"}},
			{Name: "viewer", Policies: []string{"p, proj:web:viewer, applications, get, web/*, allow"}},
		},
	}
	if err := ApplyAppProject(ctx, dc, p); err != nil {
		t.Fatal(err)
	}
	if err := SetAppProjectRoleGroup(ctx, dc, "argocd", "web", "viewer", "platform-devs", true); err != nil {
		t.Fatal(err)
	}
	if err := SetAppProjectRoleGroup(ctx, dc, "argocd", "web", "owner", "platform-devs", true); err == nil {
		t.Fatal("SetAppProjectRoleGroup() of a missing role succeeded")
	}
	// Re-applying the project (a new repository) keeps the member's group.
	p.SourceRepos = append(p.SourceRepos, "https://git.example/ws/web-ui.git")
	if err := ApplyAppProject(ctx, dc, p); err != nil {
		t.Fatal(err)
	}
	got, found, err := GetAppProject(ctx, dc, "argocd", "web")
	if err != nil || !found {
		t.Fatalf("GetAppProject() = %v, %v", found, err)
	}
	want := p
	want.Roles = []AppProjectRole{p.Roles[0], {Name: "viewer", Policies: p.Roles[1].Policies, Groups: []string{"platform-devs"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("AppProject (-want +got):\n%s", diff)
	}
	if err := SetAppProjectRoleGroup(ctx, dc, "argocd", "web", "viewer", "platform-devs", false); err != nil {
		t.Fatal(err)
	}
	got, _, _ = GetAppProject(ctx, dc, "argocd", "web")
	if r, _ := got.Role("viewer"); len(r.Groups) != 0 {
		t.Fatalf("viewer groups after removal = %v", r.Groups)
	}
	for range 2 {
		if err := DeleteAppProject(ctx, dc, "argocd", "web"); err != nil {
			t.Fatal(err)
		}
	}
	if _, found, err := GetAppProject(ctx, dc, "argocd", "web"); found || err != nil {
		t.Fatalf("GetAppProject() after delete = %v, %v", found, err)
	}
}
