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

// TestObserveReadsTheRecordEveryTime checks that Observe, which reads a
// cluster through the connection its site's record gave last time while it
// reads the record again, goes by the record: once the record is gone, the
// next Observe (and Update) fails with a dependency error instead of going
// by what it read.
func TestObserveReadsTheRecordEveryTime(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()
	if err := reg.Register(ctx, registry.Site{Name: "edge"}); err != nil {
		t.Fatal(err)
	}
	c := cluster.New(reg)
	want := cluster.Spec{
		Site: "edge", Namespace: "clusters", Name: "web", KubernetesVersion: "v1.36.0",
		ControlPlane:   cluster.ControlPlane{Replicas: 1},
		Infrastructure: cluster.InfrastructureInMemory,
	}
	id := cluster.ID(want)
	// The stand-in serves no Cluster API objects: no cluster.
	if obs, err := c.Observe(ctx, id, want); err != nil || obs.Exists {
		t.Fatalf("Observe() = exists %v, %v; want no cluster and no error", obs.Exists, err)
	}
	if err := c.Update(ctx, id, want); !engine.IsNotFound(err) {
		t.Fatalf("Update() = %v; want the cluster not found", err)
	}
	api.DeleteSecret("mc-system", registry.RecordName("edge"))
	obs, err := c.Observe(ctx, id, want)
	if dep, ok := engine.AsDependency(err); !ok || dep.Name != "edge" || !errors.Is(err, registry.ErrNotRegistered) || obs.Exists {
		t.Errorf("Observe() after the record went = exists %v, %v; want a dependency error naming site \"edge\"", obs.Exists, err)
	}
	err = c.Update(ctx, id, want)
	if dep, ok := engine.AsDependency(err); !ok || dep.Name != "edge" || !errors.Is(err, registry.ErrNotRegistered) {
		t.Errorf("Update() after the record went = %v; want a dependency error naming site \"edge\"", err)
	}
}
