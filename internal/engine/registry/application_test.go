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

func TestApplicationRecord(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()

	if _, err := reg.LookupApplication(ctx, "WEB", "shop"); !engine.IsNotFound(err) {
		t.Fatalf("LookupApplication() of a missing record error = %v, want not found", err)
	}
	_, err := reg.Application(ctx, "WEB", "shop")
	if dep, ok := engine.AsDependency(err); !ok || dep.Kind != "application" || dep.Name != "WEB/shop" || !errors.Is(err, registry.ErrApplicationNotRegistered) {
		t.Fatalf("Application() of a missing record error = %v, want an application dependency error", err)
	}
	if engine.IsNotFound(err) {
		t.Fatalf("Application() error %v counts as not found", err)
	}

	want := registry.Application{Project: "WEB", Name: "shop", Workspace: "mcplatform",
		Template:      registry.ApplicationTemplate{SourceRepo: "http://h/templates/go.git", YAMLRepo: "http://h/templates/go-yaml.git", Ref: "main"},
		Source:        registry.ApplicationRepository{Slug: "shop", UUID: "{1}", CloneURL: "http://h/mcplatform/shop.git"},
		YAML:          registry.ApplicationRepository{Slug: "shop-yaml"},
		DefaultBranch: "main",
	}
	for _, commit := range []string{"", "0123abcd"} { // create, then replace
		want.Source.InitialCommit = commit
		if err := reg.RegisterApplication(ctx, want); err != nil {
			t.Fatalf("RegisterApplication() error = %v", err)
		}
		got, err := reg.Application(ctx, "WEB", "shop")
		if err != nil {
			t.Fatalf("Application() error = %v", err)
		}
		if diff := cmp.Diff(want, *got); diff != "" {
			t.Fatalf("Application() (-want +got):\n%s", diff)
		}
	}
	// An application record is neither a site nor a project.
	if sites, err := reg.List(ctx); err != nil || len(sites) != 0 {
		t.Fatalf("List() = %v, %v; want no sites", sites, err)
	}
	if _, err := reg.LookupProject(ctx, "WEB"); !engine.IsNotFound(err) {
		t.Fatalf("LookupProject() error = %v, want not found", err)
	}
	for range 2 { // deleting a missing record succeeds
		if err := reg.UnregisterApplication(ctx, "WEB", "shop"); err != nil {
			t.Fatalf("UnregisterApplication() error = %v", err)
		}
	}
	if _, err := reg.LookupApplication(ctx, "WEB", "shop"); !engine.IsNotFound(err) {
		t.Fatalf("LookupApplication() after UnregisterApplication error = %v, want not found", err)
	}
}

func TestBitbucketGit(t *testing.T) {
	reg := registry.New(nil, "mc-system")
	if _, err := reg.BitbucketGit(); !errors.Is(err, registry.ErrNoBitbucket) {
		t.Fatalf("BitbucketGit() unconfigured error = %v, want ErrNoBitbucket", err)
	}
	for _, tc := range []struct {
		username, wantUser string
	}{{"mc-admin", "mc-admin"}, {"", "x-token-auth"}} {
		reg.UseServices(registry.Services{Bitbucket: &registry.BitbucketAccess{URL: "http://127.0.0.1:1/2.0", Username: tc.username, Token: "t0k"}})
		got, err := reg.BitbucketGit()
		if err != nil {
			t.Fatalf("BitbucketGit() error = %v", err)
		}
		if diff := cmp.Diff(registry.GitCredentials{Username: tc.wantUser, Password: "t0k"}, got); diff != "" {
			t.Errorf("BitbucketGit() username %q (-want +got):\n%s", tc.username, diff)
		}
	}
}
