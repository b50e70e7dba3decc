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
		InitialValues: map[string]string{"port": "8080"},
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
		url, username string
		want          registry.GitCredentials
	}{
		{"http://127.0.0.1:1/2.0", "mc-admin", registry.GitCredentials{Username: "mc-admin", Password: "t0k", Hosts: []string{"127.0.0.1:1"}}},
		{"https://api.bitbucket.org/2.0", "", registry.GitCredentials{Username: "x-token-auth", Password: "t0k", Hosts: []string{"api.bitbucket.org", "bitbucket.org"}}},
	} {
		reg.UseServices(registry.Services{Bitbucket: &registry.BitbucketAccess{URL: tc.url, Username: tc.username, Token: "t0k"}})
		got, err := reg.BitbucketGit()
		if err != nil {
			t.Fatalf("BitbucketGit() error = %v", err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("BitbucketGit() of %s, username %q (-want +got):\n%s", tc.url, tc.username, diff)
		}
	}
	creds, _ := reg.BitbucketGit()
	for url, want := range map[string]bool{
		"https://bitbucket.org/ws/a.git": true, "https://x-token-auth@bitbucket.org/ws/a.git": true,
		"https://github.com/ws/a.git": false, "https://bitbucket.org.evil.example/ws/a.git": false,
	} {
		if got := creds.For(url); got != want {
			t.Errorf("For(%q) = %v, want %v", url, got, want)
		}
	}
}
