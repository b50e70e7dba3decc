//go:build platform

package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster/capitemplates"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// applyInMemoryClusterClass makes namespace ns and applies Cluster API's
// in-memory ClusterClass to it, as it ships, plus, when vars is not nil, a
// Cluster from Cluster API's in-memory cluster template with vars
// substituted. The namespace goes after the test.
func applyInMemoryClusterClass(t *testing.T, dc dynamic.Interface, ns string, vars map[string]string) {
	t.Helper()
	ctx := context.Background()
	namespaces := dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	if _, err := namespaces.Create(ctx, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = namespaces.Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	objs, err := capitemplates.Read(capitemplates.InMemoryClusterClass, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vars != nil {
		cl, err := capitemplates.Read(capitemplates.InMemoryClusterTemplate, vars)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, cl...)
	}
	if err := capitemplates.Apply(ctx, dc, ns, objs); err != nil {
		t.Fatal(err)
	}
}

// topologyClusterConfig is a site and a topology cluster of the in-memory
// ClusterClass at it; body is the cluster's arguments beyond site,
// namespace, name and infrastructure.
func topologyClusterConfig(p *sandbox.Platform, siteName, ns, name, body string) string {
	return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name = %[1]q
}

resource "mc_cluster" "test" {
  site                = mc_site.test.id
  namespace           = %[2]q
  name                = %[3]q
  infrastructure      = "in_memory"
  argocd_registration = false
%[4]s
}
`, siteName, ns, name, body)
}

// topologyBody is the arguments of a topology cluster of the in-memory
// class with one machine deployment md-0 of replicas workers; extra goes
// into the topology block.
func topologyBody(version string, replicas int, protected bool, extra string) string {
	return fmt.Sprintf(`  kubernetes_version  = %[1]q
  deletion_protection = %[3]t
  control_plane       = { replicas = 1 }
  topology = {
    class   = "in-memory"
    workers = [{ name = "md-0", class = "default-worker", replicas = %[2]d }]
%[4]s
  }`, version, replicas, protected, extra)
}

// checkTopologyReplicas checks the replicas of topology entry md-0 in the
// Cluster's spec.topology and on its MachineDeployment.
func checkTopologyReplicas(dc dynamic.Interface, ns, name string, want int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		cl, err := dc.Resource(cluster.ClusterGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mds, _, _ := unstructured.NestedSlice(cl.Object, "spec", "topology", "workers", "machineDeployments")
		if len(mds) != 1 || mds[0].(map[string]any)["replicas"] != want {
			return fmt.Errorf("spec.topology.workers.machineDeployments = %v, want md-0 with %d replicas", mds, want)
		}
		md, err := capitemplates.TopologyMachineDeployment(ctx, dc, ns, name, "md-0")
		if err != nil {
			return err
		}
		if got, _, _ := unstructured.NestedInt64(md.Object, "spec", "replicas"); got != want {
			return fmt.Errorf("MachineDeployment %s has %d replicas, want %d", md.GetName(), got, want)
		}
		return nil
	}
}

// checkReplicasStay checks, right after an apply, that the MachineDeployment
// of md-0 keeps want replicas: the topology controller is made to reconcile
// the Cluster once more (a new generation, waited for), and the
// MachineDeployment is watched until 30 seconds after the apply, failing on
// the first change away from want.
func checkReplicasStay(dc dynamic.Interface, ns, name string, want int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		applied := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		md, err := capitemplates.TopologyMachineDeployment(ctx, dc, ns, name, "md-0")
		if err != nil {
			return err
		}
		if err := capitemplates.PokeTopology(ctx, dc, ns, name, "md-0", fmt.Sprint(applied.Unix())); err != nil {
			return err
		}
		if err := capitemplates.ReplicasHold(ctx, dc, md, want, applied.Add(30*time.Second)); err != nil {
			return fmt.Errorf("30 seconds after the apply: %w", err)
		}
		// The poke's new metadata has reached the MachineDeployment, so the
		// plan after this step finds the cluster ready.
		return capitemplates.WaitMachineDeploymentObserved(ctx, dc, ns, name, "md-0")
	}
}

// TestAccCluster_topologyLifecycle makes a topology cluster from Cluster
// API's in-memory ClusterClass, scales a worker deployment, upgrades it,
// imports it (ImportStateVerify, then an empty plan), checks bad topology
// input at plan time against the class, and destroys it.
func TestAccCluster_topologyLifecycle(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	dc := dynamicClient(t, p)
	const siteName, ns, name = "acc-cc-life", "acc-cc-life", "topo"
	applyInMemoryClusterClass(t, dc, ns, nil)
	cleanupCluster(t, dc, ns, name)
	config := func(version string, replicas int, extra string) string {
		return topologyClusterConfig(p, siteName, ns, name, topologyBody(version, replicas, false, extra))
	}
	id := siteName + "/" + ns + "/" + name
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkClusterDestroyed(dc, ns, name),
		Steps: []resource.TestStep{
			{
				Config: config("v1.36.0", 1, ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "id", id),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
					resource.TestCheckResourceAttr("mc_cluster.test", "control_plane_ready", "true"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "1"),
					resource.TestCheckResourceAttr("mc_cluster.test", "observed_kubernetes_version", "v1.36.0"),
					resource.TestCheckNoResourceAttr("mc_cluster.test", "worker_pools"),
					resource.TestCheckTypeSetElemNestedAttrs("mc_cluster.test", "conditions.*", map[string]string{"type": "Available", "status": "True"}),
					resource.TestCheckTypeSetElemNestedAttrs("mc_cluster.test", "conditions.*", map[string]string{"type": "TopologyReconciled", "status": "True"}),
					checkTopologyReplicas(dc, ns, name, 1),
				),
			},
			{
				// Scaling md-0 changes spec.topology; the topology
				// controller scales the MachineDeployment.
				Config: config("v1.36.0", 2, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "2"),
					resource.TestCheckResourceAttr("mc_cluster.test", "topology.workers.0.replicas", "2"),
					checkTopologyReplicas(dc, ns, name, 2),
				),
			},
			{
				Config: config("v1.36.1", 2, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "observed_kubernetes_version", "v1.36.1"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "2"),
				),
			},
			{
				ResourceName:            "mc_cluster.test",
				ImportState:             true,
				ImportStateId:           id,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "deletion_protection"},
			},
			{
				Config:   config("v1.36.1", 2, ""),
				PlanOnly: true,
			},
			// Bad input, caught at plan time against the class.
			{
				Config:      config("v1.36.1", 2, `    variables = { flavour = jsonencode("large") }`),
				PlanOnly:    true,
				ExpectError: wrapped(`Variable "flavour" is not a variable of ClusterClass acc-cc-life/in-memory`),
			},
			{
				Config: topologyClusterConfig(p, siteName, ns, name, `  kubernetes_version  = "v1.36.1"
  deletion_protection = false
  control_plane       = { replicas = 1 }
  topology = {
    class   = "in-memory"
    workers = [{ name = "md-0", class = "gpu-worker", replicas = 2 }]
  }`),
				PlanOnly:    true,
				ExpectError: wrapped(`"gpu-worker" is not a worker class of ClusterClass acc-cc-life/in-memory (it has "default-worker")`),
			},
		},
	})
}

// TestAccCluster_topologyBadInput checks topology input the provider
// rejects without reading the class.
func TestAccCluster_topologyBadInput(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	cfg := func(body string) string {
		return topologyClusterConfig(p, "acc-cc-bad", "acc-cc-bad", "bad", body)
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: protoV6ProviderFactories, Steps: []resource.TestStep{
		{
			Config: cfg(topologyBody("v1.36.0", 1, false, "") + `
  worker_pools = [{ name = "workers" }]`),
			PlanOnly:    true,
			ExpectError: wrapped(`A topology cluster's worker machine deployments are topology.workers`),
		},
		{
			Config:      cfg(topologyBody("v1.36.0", 1, false, `    variables = { flavour = "large" }`)),
			PlanOnly:    true,
			ExpectError: wrapped(`Variable "flavour" is not JSON text`),
		},
		{
			Config: cfg(`  kubernetes_version = "v1.36.0"
  control_plane      = { replicas = 1 }
  topology = {
    class   = "in-memory"
    workers = [{ name = "md-0", class = "default-worker" }, { name = "md-0", class = "default-worker" }]
  }`),
			PlanOnly:    true,
			ExpectError: wrapped(`already defined by topology.workers[0]`),
		},
	}})
}

// TestAccCluster_importTopologyTemplate imports a cluster made with Cluster
// API's own in-memory ClusterClass and cluster template, exactly as they
// ship: a configuration that matches plans no changes, one written for
// worker_pools is refused at plan time with the topology block to write,
// and a change of the worker replicas changes spec.topology and stays.
func TestAccCluster_importTopologyTemplate(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	dc := dynamicClient(t, p)
	const siteName, ns, name = "acc-cc-tpl", "acc-cc-tpl", "tpl"
	applyInMemoryClusterClass(t, dc, ns, map[string]string{
		"CLUSTER_NAME": name, "NAMESPACE": ns, "KUBERNETES_VERSION": "v1.36.0",
		"CONTROL_PLANE_MACHINE_COUNT": "1", "WORKER_MACHINE_COUNT": "1",
	})
	cleanupCluster(t, dc, ns, name)
	id := siteName + "/" + ns + "/" + name
	config := func(replicas int, protected bool) string {
		return topologyClusterConfig(p, siteName, ns, name, topologyBody("v1.36.0", replicas, protected, ""))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkClusterDestroyed(dc, ns, name),
		Steps: []resource.TestStep{
			{
				Config: providerBlock(p) + fmt.Sprintf("resource \"mc_site\" \"test\" {\n  name = %q\n}\n", siteName),
			},
			{
				PreConfig:          func() { waitAvailable(t, dc, ns, name) },
				Config:             config(1, true),
				ResourceName:       "mc_cluster.test",
				ImportState:        true,
				ImportStateId:      id,
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					for _, st := range states {
						if st.ID != id {
							continue
						}
						a := st.Attributes
						if a["topology.class"] != "in-memory" || a["topology.workers.0.name"] != "md-0" || a["topology.workers.0.class"] != "default-worker" ||
							a["topology.workers.0.replicas"] != "1" || a["kubernetes_version"] != "v1.36.0" || a["control_plane.replicas"] != "1" ||
							a["infrastructure"] != "in_memory" || a["ready"] != "true" {
							return fmt.Errorf("imported state: %v", a)
						}
						return nil
					}
					return fmt.Errorf("cluster not among the imported states %v", states)
				},
			},
			{
				// A configuration written to match: no changes.
				Config:   config(1, true),
				PlanOnly: true,
			},
			{
				// A configuration written for a cluster without a class.
				Config: topologyClusterConfig(p, siteName, ns, name, `  kubernetes_version  = "v1.36.0"
  control_plane       = { replicas = 1 }
  worker_pools        = [{ name = "md-0" }]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Topology cluster without topology.*class\s+=\s+"in-memory".*name\s+=\s+"md-0",\s+class\s+=\s+"default-worker",\s+replicas\s+=\s+1`),
			},
			{
				Config: config(2, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "2"),
					checkTopologyReplicas(dc, ns, name, 2),
					checkReplicasStay(dc, ns, name, 2),
					checkTopologyReplicas(dc, ns, name, 2),
				),
			},
		},
	})
}
