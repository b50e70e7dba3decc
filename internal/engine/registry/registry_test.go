package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
)

func TestMissingRecord(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()

	// For the site kind a missing record means the site is gone...
	if _, err := reg.Lookup(ctx, "gone"); !engine.IsNotFound(err) {
		t.Errorf("Lookup() error = %v, want not found", err)
	}
	// ...for every other kind it is a dependency that cannot be read.
	for name, call := range map[string]func() error{
		"Require": func() error { _, err := reg.Require(ctx, "gone"); return err },
		"Connect": func() error { _, err := reg.Connect(ctx, "gone"); return err },
	} {
		err := call()
		dep, ok := engine.AsDependency(err)
		if !ok {
			t.Fatalf("%s() error = %v, want a *engine.DependencyError", name, err)
		}
		want := engine.DependencyError{Kind: "site", Name: "gone", Reason: `is not registered in namespace "mc-system"`,
			Hint: "register the site, or use the registry namespace that holds its record", Err: registry.ErrNotRegistered}
		if diff := cmp.Diff(want, *dep, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) })); diff != "" {
			t.Errorf("%s() error (-want +got):\n%s", name, diff)
		}
		if engine.IsNotFound(err) {
			t.Errorf("%s() error %v counts as not found", name, err)
		}
	}
}

func TestRegisterLookupListUnregister(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()
	want := registry.Site{Name: "site-b", Description: "v1", ArgoCD: registry.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
		Harbor: &registry.Harbor{URL: "https://harbor.example", Username: "admin", Password: "s3cret"}}
	for _, description := range []string{"v1", "v2"} { // create, then replace
		want.Description = description
		if err := reg.Register(ctx, want); err != nil {
			t.Fatalf("Register() error = %v", err)
		}
		rec, err := reg.Require(ctx, "site-b")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, rec.Spec); diff != "" {
			t.Errorf("record (-want +got):\n%s", diff)
		}
	}
	if err := reg.Register(ctx, registry.Site{Name: "site-a"}); err != nil {
		t.Fatal(err)
	}
	names, err := reg.List(ctx)
	if diff := cmp.Diff([]string{"site-a", "site-b"}, names); err != nil || diff != "" {
		t.Errorf("List() = %v, %v (-want +got):\n%s", names, err, diff)
	}
	for range 2 { // unregistering what is gone succeeds
		if err := reg.Unregister(ctx, "site-b"); err != nil {
			t.Fatalf("Unregister() error = %v", err)
		}
	}
	if _, err := reg.Lookup(ctx, "site-b"); !engine.IsNotFound(err) {
		t.Errorf("Lookup() after Unregister: error = %v, want not found", err)
	}
}

func TestCapabilitiesAreDiscoveredOncePerConnection(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()
	discovery := []string{"GET /version", "GET /api", "GET /apis"}

	platform := func() error { _, err := reg.Capabilities(ctx, nil); return err }
	withToken := func(token string) func() error {
		return func() error {
			_, err := reg.Capabilities(ctx, &registry.ManagementCluster{Host: api.Config().Host, Token: token})
			return err
		}
	}
	for _, step := range []struct {
		name string
		call func() error
		want []string
	}{
		{"platform plane, first", platform, discovery},
		{"platform plane, again", platform, nil},
		{"by host and token", withToken("one"), discovery},
		{"same host and token", withToken("one"), nil},
		{"rotated token", withToken("two"), discovery},
		{"platform plane, still known", platform, nil},
	} {
		api.Reset()
		if err := step.call(); err != nil {
			t.Fatalf("%s: Capabilities() error = %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, api.Requests()); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", step.name, diff)
		}
	}
	caps, err := reg.Capabilities(ctx, nil)
	if err != nil || caps.ServerVersion != "v1.36.0" || caps.ClusterAPIVersion != "v1beta2" || caps.ArgoCDVersion != "" {
		t.Errorf("Capabilities() = %+v, %v", caps, err)
	}

	// Discover asks again, whatever is known.
	api.Reset()
	if _, err := reg.Discover(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(discovery, api.Requests()); diff != "" {
		t.Errorf("Discover() requests (-want +got):\n%s", diff)
	}
}

func TestClientsAreKeptPerConnectionSettings(t *testing.T) {
	reg := registry.New(nil, "mc-system")
	one := &registry.ManagementCluster{Host: "https://10.0.0.1:6443", Token: "one"}
	a, err := reg.ManagementOf(one)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := reg.ManagementOf(&registry.ManagementCluster{Host: "https://10.0.0.1:6443", Token: "one"})
	c, _ := reg.ManagementOf(&registry.ManagementCluster{Host: "https://10.0.0.1:6443", Token: "two"})
	if a != b {
		t.Error("the same settings got new clients")
	}
	if a == c {
		t.Error("a rotated token kept the clients of the old one")
	}
	if _, err := reg.ManagementOf(nil); err == nil || !strings.Contains(err.Error(), "no platform plane connection") {
		t.Errorf("ManagementOf(nil) without a platform: error = %v", err)
	}

	h := registry.Harbor{URL: "https://harbor.example", Username: "admin", Password: "one"}
	h1, _ := reg.HarborOf(h)
	h2, _ := reg.HarborOf(h)
	h.Password = "two"
	h3, _ := reg.HarborOf(h)
	if h1 != h2 || h1 == h3 {
		t.Errorf("Harbor clients: same settings reused %t, changed password reused %t", h1 == h2, h1 == h3)
	}
	_, err = reg.Harbor(&registry.Record{Spec: registry.Site{Name: "no-harbor"}})
	if dep, ok := engine.AsDependency(err); !ok || dep.Name != "no-harbor" || dep.Reason != "has no harbor block" || !errors.Is(err, registry.ErrNoHarbor) {
		t.Errorf("Harbor() of a site without one: error = %v, want a dependency error", err)
	}
}

func TestHub(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()

	if err := reg.Register(ctx, registry.Site{Name: "site-b"}); err != nil {
		t.Fatal(err)
	}
	_, err := reg.Hub(ctx)
	if dep, ok := engine.AsDependency(err); !ok || !errors.Is(err, registry.ErrNoHub) || !strings.Contains(dep.Hint, "hub = true") {
		t.Errorf("Hub() without a hub: error = %v, want a *engine.DependencyError wrapping ErrNoHub whose hint names hub = true", err)
	}

	if err := reg.Register(ctx, registry.Site{Name: "site-a", Hub: true}); err != nil {
		t.Fatal(err)
	}
	hub, err := reg.Hub(ctx)
	if err != nil || hub.Spec.Name != "site-a" || !hub.Spec.Hub {
		t.Errorf("Hub() = %+v, %v; want site-a", hub, err)
	}

	if err := reg.Register(ctx, registry.Site{Name: "site-b", Hub: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Hub(ctx); err == nil || !strings.Contains(err.Error(), "site-a, site-b") {
		t.Errorf("Hub() with two hubs: error = %v, want one naming site-a, site-b", err)
	}
}
