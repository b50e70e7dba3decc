//go:build platform

package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

func (e integrationEnv) waitProjectMember(t *testing.T, name string) *v1alpha1.ProjectMember {
	t.Helper()
	var got v1alpha1.ProjectMember
	eventually(t, integrationTimeout, "ProjectMember "+name, func() (bool, string) {
		if err := e.kube.Get(context.Background(), client.ObjectKey{Name: name}, &got); err != nil {
			return false, err.Error()
		}
		r, sy := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
		return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue,
			fmt.Sprintf("Ready=%s %q Synced=%s %q atProvider=%+v", r.Status, r.Message, sy.Status, sy.Message, got.Status.AtProvider)
	})
	return &got
}

// TestProjectMemberIntegration_ready: a Project with Bitbucket and Jira
// parts and two ProjectMembers, a user and a group, which reach Ready with
// their grants in both systems; deleting them removes the grants.
func TestProjectMemberIntegration_ready(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	e := startControllers(t, Options{PollInterval: 10 * time.Second, NotReadyPollInterval: time.Second}, SetupProject, SetupProjectMember)
	pc := projectProviderConfig(t, e, "ctrl-project-member")
	name := randomLowerKey("cm")
	key := strings.ToUpper(name)
	ctx := context.Background()
	proj := &v1alpha1.Project{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ProjectSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pc}},
			ForProvider: v1alpha1.ProjectParameters{
				Name:      "Controller members " + key,
				Bitbucket: &v1alpha1.ProjectBitbucket{Workspace: e.platform.Bitbucket.Workspace},
				Jira:      &v1alpha1.ProjectJira{LeadAccountID: jirasim.AliceAccountID},
			},
		},
	}
	if err := e.kube.Create(ctx, proj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.kube.Delete(context.Background(), proj) })
	members := []*v1alpha1.ProjectMember{
		{ObjectMeta: metav1.ObjectMeta{Name: name + "-alice"}, Spec: v1alpha1.ProjectMemberSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pc}},
			ForProvider:  v1alpha1.ProjectMemberParameters{Project: key, AccountID: jirasim.AliceAccountID, Role: projectmember.RoleDeveloper},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: name + "-devs"}, Spec: v1alpha1.ProjectMemberSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pc}},
			ForProvider:  v1alpha1.ProjectMemberParameters{Project: key, Group: jirasim.PlatformDevs, Role: projectmember.RoleViewer},
		}},
	}
	// Made at once with the project: they wait (not Ready) until its
	// record and parts exist.
	for _, m := range members {
		if err := e.kube.Create(ctx, m); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.kube.Delete(context.Background(), m) })
	}
	wantExternal := map[string]string{name + "-alice": key + "/" + jirasim.AliceAccountID, name + "-devs": key + "/group:" + jirasim.PlatformDevs}
	wantGrants := map[string]map[string]string{
		name + "-alice": {"bitbucket": "write", "jira": "Developers"},
		name + "-devs":  {"bitbucket": "read", "jira": "Viewers"},
	}
	for _, m := range members {
		got := e.waitProjectMember(t, m.Name)
		if ext := got.GetAnnotations()[v1alpha1.AnnotationExternalName]; ext != wantExternal[m.Name] {
			t.Errorf("external name of %s = %q, want %q", m.Name, ext, wantExternal[m.Name])
		}
		for system, word := range wantGrants[m.Name] {
			if got.Status.AtProvider.Grants[system] != word {
				t.Errorf("atProvider.grants of %s = %v, want %s=%s", m.Name, got.Status.AtProvider.Grants, system, word)
			}
		}
	}
	bb := e.platform.BitbucketClient()
	if up, err := bb.GetProjectUserPermission(ctx, e.platform.Bitbucket.Workspace, key, jirasim.AliceAccountID); err != nil || up.Permission != bitbucket.PermissionWrite {
		t.Errorf("Alice's Bitbucket permission = %+v, %v; want write", up, err)
	}
	jc, err := e.platform.JiraClient()
	if err != nil {
		t.Fatal(err)
	}
	roles, err := jc.ListProjectRoles(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	viewers, err := jc.GetProjectRole(ctx, key, roles["Viewers"])
	if err != nil || !viewers.Has(jira.Actor{GroupName: jirasim.PlatformDevs}) {
		t.Errorf("Jira Viewers of %s = %+v, %v; want platform-devs", key, viewers, err)
	}

	for _, m := range members {
		if err := e.kube.Delete(ctx, m); err != nil {
			t.Fatal(err)
		}
		eventually(t, integrationTimeout, "ProjectMember "+m.Name+" deleted", func() (bool, string) {
			err := e.kube.Get(ctx, client.ObjectKey{Name: m.Name}, &v1alpha1.ProjectMember{})
			return err != nil, fmt.Sprint(err)
		})
	}
	if _, err := bb.GetProjectUserPermission(ctx, e.platform.Bitbucket.Workspace, key, jirasim.AliceAccountID); !bitbucket.IsNotFound(err) {
		t.Errorf("Alice's Bitbucket permission after delete: error = %v, want not found", err)
	}
	viewers, err = jc.GetProjectRole(ctx, key, roles["Viewers"])
	if err != nil || viewers.Has(jira.Actor{GroupName: jirasim.PlatformDevs}) {
		t.Errorf("Jira Viewers of %s after delete = %+v, %v; want no platform-devs", key, viewers, err)
	}
}

// TestProjectMemberIntegration_crdRules: the API server refuses a
// ProjectMember with both accountID and group, with a bad role, and a
// change of its identity.
func TestProjectMemberIntegration_crdRules(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	e := startControllers(t, Options{PollInterval: 10 * time.Second, NotReadyPollInterval: time.Second})
	ctx := context.Background()
	name := randomLowerKey("cv")
	key := strings.ToUpper(name)
	newMember := func(suffix string, p v1alpha1.ProjectMemberParameters) *v1alpha1.ProjectMember {
		return &v1alpha1.ProjectMember{ObjectMeta: metav1.ObjectMeta{Name: name + suffix},
			Spec: v1alpha1.ProjectMemberSpec{ForProvider: p}} // no controller runs in this test
	}
	for _, tc := range []struct {
		name string
		p    v1alpha1.ProjectMemberParameters
		want string
	}{
		{"both", v1alpha1.ProjectMemberParameters{Project: key, AccountID: jirasim.AliceAccountID, Group: "g", Role: "admin"}, "exactly one of accountID and group"},
		{"neither", v1alpha1.ProjectMemberParameters{Project: key, Role: "admin"}, "exactly one of accountID and group"},
		{"owner", v1alpha1.ProjectMemberParameters{Project: key, AccountID: jirasim.AliceAccountID, Role: "owner"}, "Unsupported value: \"owner\""},
		{"two Harbor identities", v1alpha1.ProjectMemberParameters{Project: key, Group: "g", Role: "admin", HarborUser: "u", HarborGroup: "g"}, "at most one of harborUser and harborGroup"},
	} {
		err := e.kube.Create(ctx, newMember("-"+strings.ReplaceAll(strings.ToLower(tc.name), " ", "-"), tc.p))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Create(%s) error = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	m := newMember("-ok", v1alpha1.ProjectMemberParameters{Project: key, AccountID: jirasim.AliceAccountID, Role: "admin"})
	if err := e.kube.Create(ctx, m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.kube.Delete(context.Background(), m) })
	m.Spec.ForProvider.Role = "viewer" // in place
	if err := e.kube.Update(ctx, m); err != nil {
		t.Fatalf("Update(role) error = %v, want the role to change in place", err)
	}
	m.Spec.ForProvider.AccountID = jirasim.BobAccountID
	if err := e.kube.Update(ctx, m); err == nil || !strings.Contains(err.Error(), "accountID is immutable") {
		t.Errorf("Update(accountID) error = %v, want accountID is immutable", err)
	}
	m.Spec.ForProvider.AccountID = jirasim.AliceAccountID
	m.Spec.ForProvider.HarborUser = "alice"
	if err := e.kube.Update(ctx, m); err == nil || !strings.Contains(err.Error(), "identities cannot be added or removed") {
		t.Errorf("Update(+harborUser) error = %v, want identities cannot be added or removed", err)
	}
}
