package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
)

func TestProjectRecord(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()

	if _, err := reg.LookupProject(ctx, "WEB"); !engine.IsNotFound(err) {
		t.Fatalf("LookupProject() of a missing record error = %v, want not found", err)
	}
	_, err := reg.Project(ctx, "WEB")
	if dep, ok := engine.AsDependency(err); !ok || dep.Kind != "project" || dep.Name != "WEB" || !errors.Is(err, registry.ErrProjectNotRegistered) {
		t.Fatalf("Project() of a missing record error = %v, want a project dependency error", err)
	}
	if engine.IsNotFound(err) {
		t.Fatalf("Project() error %v counts as not found", err)
	}

	want := registry.Project{Key: "WEB", Name: "Web shop",
		Bitbucket: &registry.ProjectBitbucket{Workspace: "mcplatform", UUID: "{1}"},
		Jira:      &registry.ProjectJira{ID: "10000", DeletePermanently: true},
		Harbor:    &registry.ProjectHarbor{Site: "site-a", Name: "web", ID: 3},
		ArgoCD:    &registry.ProjectArgoCD{Sites: []string{"site-a", "site-b"}, AppProject: "web", Made: []string{"site-a"}},
	}
	for _, name := range []string{"Web shop", "Web shop 2"} { // create, then replace
		want.Name = name
		if err := reg.RegisterProject(ctx, want); err != nil {
			t.Fatalf("RegisterProject() error = %v", err)
		}
		got, err := reg.Project(ctx, "WEB")
		if err != nil {
			t.Fatalf("Project() error = %v", err)
		}
		if diff := cmp.Diff(want, *got); diff != "" {
			t.Fatalf("Project() (-want +got):\n%s", diff)
		}
	}
	// A project record is no site.
	if sites, err := reg.List(ctx); err != nil || len(sites) != 0 {
		t.Fatalf("List() = %v, %v; want no sites", sites, err)
	}
	for range 2 { // deleting a missing record succeeds
		if err := reg.UnregisterProject(ctx, "WEB"); err != nil {
			t.Fatalf("UnregisterProject() error = %v", err)
		}
	}
	if _, err := reg.LookupProject(ctx, "WEB"); !engine.IsNotFound(err) {
		t.Fatalf("LookupProject() after UnregisterProject error = %v, want not found", err)
	}
}
