package cluster_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
)

// TestUnregisteredSiteIsADependency checks that a cluster whose site has
// no record is never reported gone: every call fails with a dependency
// error naming the site.
func TestUnregisteredSiteIsADependency(t *testing.T) {
	api := registrytest.New(t)
	c := cluster.New(registry.New(api.Config(), "mc-system"))
	ctx := context.Background()
	want := cluster.Spec{
		Site: "gone", Namespace: "clusters", Name: "web", KubernetesVersion: "v1.36.0",
		ControlPlane:   cluster.ControlPlane{Replicas: 1},
		Infrastructure: cluster.InfrastructureInMemory,
	}
	id := cluster.ID(want)
	for name, call := range map[string]func() error{
		"Observe": func() error {
			obs, err := c.Observe(ctx, id, want)
			if obs.Exists {
				t.Errorf("Observe() reports the cluster exists")
			}
			return err
		},
		"Create":     func() error { _, err := c.Create(ctx, want); return err },
		"Update":     func() error { return c.Update(ctx, id, want) },
		"Delete":     func() error { return c.Delete(ctx, id) },
		"Kubeconfig": func() error { _, err := c.Kubeconfig(ctx, id); return err },
	} {
		err := call()
		dep, ok := engine.AsDependency(err)
		if !ok || dep.Kind != "site" || dep.Name != "gone" || !errors.Is(err, registry.ErrNotRegistered) || engine.IsNotFound(err) {
			t.Errorf("%s() error = %v, want a dependency error naming site \"gone\"", name, err)
		}
	}
}
