package imagereplication_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
)

// TestUnreadableSiteIsADependency checks that a replication whose site is
// not registered, or has lost its Harbor block, is never reported gone:
// every call fails with a dependency error naming the site.
func TestUnreadableSiteIsADependency(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()
	argo := registry.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}
	harbor := &registry.Harbor{URL: "https://harbor.edge.example", Username: "admin", Password: "secret"}
	for _, s := range []registry.Site{{Name: "hub", ArgoCD: argo}, {Name: "edge", ArgoCD: argo, Harbor: harbor}} {
		if err := reg.Register(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	c := imagereplication.New(reg)
	spec := func(source, destination string) imagereplication.Spec {
		return imagereplication.Spec{Name: "edge-to-hub", SourceSite: source, DestinationSite: destination,
			Direction: imagereplication.DirectionPull, Enabled: true, Trigger: imagereplication.Trigger{Type: imagereplication.TriggerManual}}
	}
	for _, tc := range []struct {
		name, site string
		want       error
		spec       imagereplication.Spec
	}{
		{"runs on a site without Harbor", "hub", registry.ErrNoHarbor, spec("edge", "hub")},
		{"runs on a site not registered", "gone", registry.ErrNotRegistered, spec("edge", "gone")},
	} {
		id := tc.spec.ID()
		for call, do := range map[string]func() error{
			"Observe": func() error {
				obs, err := c.Observe(ctx, id, tc.spec)
				if obs.Exists {
					t.Errorf("%s: Observe() reports the replication exists", tc.name)
				}
				return err
			},
			"Create": func() error { _, err := c.Create(ctx, tc.spec); return err },
			"Update": func() error { return c.Update(ctx, id, tc.spec) },
			"Delete": func() error { return c.Delete(ctx, id) },
		} {
			err := do()
			dep, ok := engine.AsDependency(err)
			if !ok || dep.Kind != "site" || dep.Name != tc.site || !errors.Is(err, tc.want) || engine.IsNotFound(err) {
				t.Errorf("%s: %s() error = %v, want a dependency error naming site %q", tc.name, call, err, tc.site)
			}
		}
	}
}
