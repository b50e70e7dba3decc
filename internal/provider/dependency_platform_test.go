//go:build platform

package provider

// Acceptance tests of what the provider does when a resource's site cannot
// be read: the plan fails with an error that names the site and says how to
// fix it, the state keeps the resource, and nothing is changed at the
// backend. Restoring the site makes everything as it was.

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// wrapped matches text as Terraform prints it in an error, where any space
// may have become a line break, in any case (the text may start a sentence
// or follow a colon).
func wrapped(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?is)` + strings.Join(words, `\s+`))
}

// capiObjects is what shows whether anyone touched the Cluster API objects
// of a cluster: for each object, its generation (spec changes) and whether
// it is being deleted.
func capiObjects(t *testing.T, dc dynamic.Interface, namespace, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for kind, gvr := range map[string]schema.GroupVersionResource{
		"Cluster": cluster.ClusterGVR, "KubeadmControlPlane": cluster.KubeadmControlPlaneGVR, "MachineDeployment": cluster.MachineDeploymentGVR,
	} {
		l, err := dc.Resource(gvr).Namespace(namespace).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("cannot list %s in %s: %v", kind, namespace, err)
		}
		for _, u := range l.Items {
			out[kind+" "+u.GetName()] = fmt.Sprintf("generation %d, deleting %t", u.GetGeneration(), u.GetDeletionTimestamp() != nil)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Cluster API objects in %s", namespace)
	}
	return out
}

// takeRecord deletes site name's record behind Terraform's back and
// returns a function that puts it back.
func takeRecord(t *testing.T, cs kubernetes.Interface, namespace, name string) (restore func()) {
	t.Helper()
	ctx := context.Background()
	secrets := cs.CoreV1().Secrets(namespace)
	rec, err := secrets.Get(ctx, registry.RecordName(name), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("cannot read the record of site %s: %v", name, err)
	}
	if err := secrets.Delete(ctx, rec.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("cannot delete the record of site %s: %v", name, err)
	}
	return func() {
		again := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: rec.Name, Namespace: rec.Namespace, Labels: rec.Labels}, Type: rec.Type, Data: rec.Data}
		if _, err := secrets.Create(ctx, again, metav1.CreateOptions{}); err != nil {
			t.Fatalf("cannot restore the record of site %s: %v", name, err)
		}
	}
}

func TestAccDependency_clusterSiteNotRegistered(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	dc := dynamicClient(t, p)
	cs := platformClients(t, p)
	const siteName, ns, name = "acc-dep-cl", "acc-dep-cl", "web"
	cleanupCluster(t, dc, ns, name)
	config := inMemoryClusterConfig(p, siteName, ns, name, clusterOptions{version: "v1.36.0", workers: 1})
	notRegistered := wrapped(fmt.Sprintf(`Site %q is not registered in namespace %q: register the site with mc_site, or point the provider's namespace (MC_NAMESPACE) at the registry that holds it`,
		siteName, p.Namespace))
	var before map[string]string
	var restore func()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(checkClusterDestroyed(dc, ns, name), checkSiteDestroyed(p, siteName)),
		Steps: []resource.TestStep{
			{Config: config},
			{
				// The site's record is gone: the plan fails, naming the
				// site and the fix, instead of planning a new cluster.
				PreConfig: func() {
					before = capiObjects(t, dc, ns, name)
					restore = takeRecord(t, cs, p.Namespace, siteName)
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: notRegistered,
			},
			{
				// A refresh fails alike and writes no state without the cluster.
				RefreshState: true,
				ExpectError:  notRegistered,
			},
			{
				// Nothing touched the Cluster API objects; with the record
				// back, the state still holds the cluster and the plan is empty.
				PreConfig: func() {
					if diff := cmpObjects(before, capiObjects(t, dc, ns, name)); diff != "" {
						t.Errorf("the Cluster API objects changed while the site was not registered:\n%s", diff)
					}
					restore()
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.TestCheckResourceAttr("mc_cluster.test", "id", siteName+"/"+ns+"/"+name),
			},
		},
	})
}

func TestAccDependency_imageReplicationSiteLostHarbor(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hub, hubClient := newHarbor(t)
	edge, _ := newHarbor(t)
	const prefix, policy = "acc-dep-rep", "edge-to-hub"
	hubSite := prefix + "-hub"
	config := twoHarborSites(p, prefix, hub.URL, edge.URL, fmt.Sprintf(`
resource "mc_image_replication" "test" {
  name             = %q
  source_site      = mc_site.edge.name
  destination_site = mc_site.hub.name
  filters = {
    name = "library/**"
  }
}
`, policy))
	sites := registry.New(mustRESTConfig(t, p), p.Namespace)
	noHarbor := wrapped(fmt.Sprintf(`Site %q has no harbor block: give the site's mc_site its harbor block again`, hubSite))
	var restore func()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkReplicationDestroyed(hubClient, policy),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check:  resource.TestCheckResourceAttr("mc_image_replication.test", "runs_on", hubSite),
			},
			{
				// The site that runs the policy lost its Harbor block: the
				// plan fails, naming the site and the fix.
				PreConfig: func() {
					restore = dropHarbor(t, sites, hubSite)
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: noHarbor,
			},
			{
				// A refresh fails alike and writes no state without the replication.
				RefreshState: true,
				ExpectError:  noHarbor,
			},
			{
				// The policy is still in the hub's Harbor and, with the
				// block back, in the state: the plan is empty.
				PreConfig: func() {
					if err := policyExists(hubClient, policy); err != nil {
						t.Error(err)
					}
					restore()
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.TestCheckResourceAttr("mc_image_replication.test", "id", hubSite+"/"+policy),
			},
		},
	})
}

// dropHarbor removes the Harbor block from site name's record behind
// Terraform's back and returns a function that puts it back.
func dropHarbor(t *testing.T, sites *registry.Registry, name string) (restore func()) {
	t.Helper()
	ctx := context.Background()
	rec, err := sites.Lookup(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	without := rec.Spec
	without.Harbor = nil
	if err := sites.Register(ctx, without); err != nil {
		t.Fatalf("cannot drop the Harbor of site %s: %v", name, err)
	}
	return func() {
		if err := sites.Register(ctx, rec.Spec); err != nil {
			t.Fatalf("cannot restore the Harbor of site %s: %v", name, err)
		}
	}
}

// policyExists reports an error unless the Harbor hc holds policy name.
func policyExists(hc *harbor.Client, name string) error {
	pols, err := hc.ListReplicationPolicies(context.Background(), name)
	if err != nil {
		return fmt.Errorf("cannot list replication policies: %w", err)
	}
	for _, pol := range pols {
		if pol.Name == name {
			return nil
		}
	}
	return fmt.Errorf("replication policy %q is gone from the Harbor although its site only lost its harbor block", name)
}

// cmpObjects describes how two capiObjects snapshots differ; "" when they
// are the same.
func cmpObjects(before, after map[string]string) string {
	var diffs []string
	for k, b := range before {
		if a, ok := after[k]; !ok {
			diffs = append(diffs, k+": gone")
		} else if a != b {
			diffs = append(diffs, fmt.Sprintf("%s: %s -> %s", k, b, a))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			diffs = append(diffs, k+": new")
		}
	}
	return strings.Join(diffs, "\n")
}
