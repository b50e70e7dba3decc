package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
)

func topologyActual() cluster.Spec {
	return cluster.Spec{
		Site: "site-a", Namespace: "imported", Name: "legacy", KubernetesVersion: "v1.36.0",
		ControlPlane: cluster.ControlPlane{Replicas: 1},
		PodCIDRs:     []string{"192.168.0.0/16"}, ServiceCIDRs: []string{"10.128.0.0/12"},
		Infrastructure:     cluster.InfrastructureInMemory,
		ArgoCDRegistration: true,
		Topology: &cluster.Topology{
			Class: "in-memory", ClassNamespace: "classes",
			Variables: map[string]string{"endpoint": `{"host":"10.0.0.1","port":6443}`},
			Workers:   []cluster.TopologyWorker{{Name: "md-0", Class: "default-worker", Replicas: 2}},
		},
	}
}

// TestClusterTopologyAdoption: an adopted topology cluster is
// late-initialised with its topology (and no worker pools), and expands
// back to the spec the engine reported, so adopting it changes nothing.
func TestClusterTopologyAdoption(t *testing.T) {
	actual := topologyActual()
	obj := clusterObject(observeOnlyCluster, withClusterPolicies(v1alpha1.ManagementActionAll))
	a := newTestClusterAdapter(&fakeClusterEngine{})
	if !a.LateInitialize(obj, actual) {
		t.Fatal("LateInitialize() = false")
	}
	c, err := asCluster(obj)
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec.ForProvider.Topology == nil || c.Spec.ForProvider.WorkerPools != nil {
		t.Fatalf("late-initialised topology %+v, worker pools %+v", c.Spec.ForProvider.Topology, c.Spec.ForProvider.WorkerPools)
	}
	got, err := a.DesiredSpec(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(actual, got); diff != "" {
		t.Errorf("DesiredSpec after LateInitialize (-actual +got):\n%s", diff)
	}
}

// TestClusterTopologyWithWorkerPools: a Cluster with both topology and
// workerPools is refused with the field path of workerPools.
func TestClusterTopologyWithWorkerPools(t *testing.T) {
	actual := topologyActual()
	obj := clusterObject(observeOnlyCluster, withClusterPolicies(v1alpha1.ManagementActionAll))
	a := newTestClusterAdapter(&fakeClusterEngine{})
	a.LateInitialize(obj, actual)
	c, _ := asCluster(obj)
	c.Spec.ForProvider.WorkerPools = []v1alpha1.ClusterWorkerPool{{Name: "general", Replicas: 1}}
	_, err := a.DesiredSpec(context.Background(), obj)
	in, ok := engine.AsInvalidInput(err)
	if !ok || in.Path != "spec.forProvider.workerPools" {
		t.Fatalf("DesiredSpec() = %v, want an invalid input at spec.forProvider.workerPools", err)
	}
}
