//go:build platform

package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// waitFor waits with the client's trigger until until holds for the
// observation, and logs how long it took.
func waitFor(t *testing.T, c *cluster.Client, id string, want cluster.Spec, what string, until func(exists, ready bool) bool) engine.Observation[cluster.Spec, cluster.Status] {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 := time.Now()
	obs, err := engine.Wait(ctx, func(ctx context.Context) (engine.Observation[cluster.Spec, cluster.Status], error) {
		return c.Observe(ctx, id, want)
	}, engine.WaitOptions{Timeout: 5 * time.Minute, Trigger: c.Trigger(ctx, id), Until: until})
	if err != nil {
		t.Fatalf("waiting until %s: %v (last message: %s)", what, err, obs.Message)
	}
	t.Logf("%s after %s: %s", what, time.Since(t0).Round(time.Millisecond), obs.Message)
	return obs
}

// machineNames lists the Machines of a MachineDeployment that are not being
// deleted.
func machineNames(t *testing.T, cfg *rest.Config, namespace, md string) []string {
	t.Helper()
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := dc.Resource(cluster.MachineGVR).Namespace(namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "cluster.x-k8s.io/deployment-name=" + md})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range l.Items {
		if m.GetDeletionTimestamp() == nil {
			names = append(names, m.GetName())
		}
	}
	return names
}

func TestInMemoryClusterLifecycle(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	sites := site.New(registry.New(cfg, p.Namespace))
	siteName := "cl-" + suffix
	if _, err := sites.Create(ctx, site.Spec{Name: siteName, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}); err != nil {
		t.Fatalf("cannot register site: %v", err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), siteName); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})

	c := cluster.New(registry.New(cfg, p.Namespace))
	want := cluster.Spec{
		Site: siteName, Namespace: "clusters-" + suffix, Name: "wl",
		KubernetesVersion: "v1.36.0",
		ControlPlane:      cluster.ControlPlane{Replicas: 1},
		WorkerPools:       []cluster.WorkerPool{{Name: "workers", Replicas: 2, Labels: map[string]string{"tier": "general"}}},
		Infrastructure:    cluster.InfrastructureInMemory,
		Labels:            map[string]string{"env": "test"},
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // Create makes the namespace; Delete leaves it.
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), want.Namespace, metav1.DeleteOptions{})
	})
	tStart := time.Now()
	id, err := c.Create(ctx, want)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	if id != siteName+"/"+want.Namespace+"/wl" {
		t.Fatalf("Create() id = %q", id)
	}
	// Creating again adopts what exists.
	if id2, err := c.Create(ctx, want); err != nil || id2 != id {
		t.Fatalf("second Create() = %q, %v; want %q, nil", id2, err, id)
	}
	t.Logf("Create() returned after %s", time.Since(tStart).Round(time.Millisecond))
	obs := waitFor(t, c, id, want, "cluster ready", nil)
	t.Logf("create to ready: %s", time.Since(tStart).Round(time.Millisecond))
	if !obs.UpToDate || !obs.Status.ControlPlaneReady || obs.Status.ReadyWorkers != 2 || obs.Status.ObservedKubernetesVersion != "v1.36.0" || obs.Status.Endpoint == "" {
		t.Errorf("ready observation: UpToDate=%v status=%+v", obs.UpToDate, obs.Status)
	}
	if obs.Status.Phase != "Provisioned" {
		t.Errorf("phase = %q, want Provisioned", obs.Status.Phase)
	}
	if a := obs.Actual; a.KubernetesVersion != "v1.36.0" || a.ControlPlane.Replicas != 1 || len(a.WorkerPools) != 1 ||
		a.WorkerPools[0].Replicas != 2 || a.WorkerPools[0].Labels["tier"] != "general" || a.Labels["env"] != "test" ||
		a.Infrastructure != cluster.InfrastructureInMemory || len(a.PodCIDRs) != 1 {
		t.Errorf("Actual = %+v", a)
	}
	// Import: observing without a desired spec still reports the cluster.
	if imp, err := c.Observe(ctx, id, cluster.Spec{}); err != nil || !imp.Exists || imp.Actual.Name != "wl" || imp.Actual.Site != siteName {
		t.Errorf("Observe() for import = %+v, %v", imp.Actual, err)
	}

	// Scale the pool to three workers.
	want.WorkerPools[0].Replicas = 3
	if obs, err := c.Observe(ctx, id, want); err != nil || obs.UpToDate {
		t.Fatalf("Observe() after changing the spec: UpToDate=%v err=%v, want false", obs.UpToDate, err)
	}
	tScale := time.Now()
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() = %v", err)
	}
	obs = waitFor(t, c, id, want, "scaled to 3 workers", nil)
	t.Logf("scale to ready: %s", time.Since(tScale).Round(time.Millisecond))
	if !obs.UpToDate || obs.Status.ReadyWorkers != 3 {
		t.Errorf("after scaling: UpToDate=%v ReadyWorkers=%d", obs.UpToDate, obs.Status.ReadyWorkers)
	}

	// Add a pool, then upgrade Kubernetes and remove that pool again.
	want.WorkerPools = append(want.WorkerPools, cluster.WorkerPool{Name: "extra", Replicas: 1, Taints: []cluster.Taint{{Key: "extra", Effect: "NoSchedule"}}})
	tAdd := time.Now()
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() adding a pool = %v", err)
	}
	obs = waitFor(t, c, id, want, "pool added", nil)
	t.Logf("add pool to ready: %s", time.Since(tAdd).Round(time.Millisecond))
	if !obs.UpToDate || obs.Status.ReadyWorkers != 4 || len(obs.Actual.WorkerPools) != 2 || len(obs.Actual.WorkerPools[1].Taints) != 1 {
		t.Errorf("after adding a pool: UpToDate=%v ReadyWorkers=%d pools=%+v", obs.UpToDate, obs.Status.ReadyWorkers, obs.Actual.WorkerPools)
	}
	// New taints roll the pool over to new templates, in place: its machine
	// is replaced.
	before := machineNames(t, cfg, want.Namespace, cluster.MachineDeploymentName("wl", "extra"))
	want.WorkerPools[1].Taints = []cluster.Taint{{Key: "extra", Value: "v2", Effect: "NoExecute"}}
	if obs, err := c.Observe(ctx, id, want); err != nil || obs.UpToDate {
		t.Fatalf("Observe() after changing taints: UpToDate=%v err=%v, want false", obs.UpToDate, err)
	}
	tTaints := time.Now()
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() changing taints = %v", err)
	}
	obs = waitFor(t, c, id, want, "pool rolled to new taints", nil)
	t.Logf("taint change to ready: %s", time.Since(tTaints).Round(time.Millisecond))
	if got := obs.Actual.WorkerPools[1].Taints; !obs.UpToDate || len(got) != 1 || got[0].Value != "v2" || got[0].Effect != "NoExecute" || obs.Status.ReadyWorkers != 4 {
		t.Errorf("after changing taints: UpToDate=%v taints=%+v ReadyWorkers=%d", obs.UpToDate, got, obs.Status.ReadyWorkers)
	}
	if after := machineNames(t, cfg, want.Namespace, cluster.MachineDeploymentName("wl", "extra")); len(after) != 1 || slices.Contains(before, after[0]) {
		t.Errorf("machines of the extra pool: %v before the taint change, %v after; want one new machine", before, after)
	}

	want.KubernetesVersion = "v1.36.1"
	want.WorkerPools = want.WorkerPools[:1]
	tUpgrade := time.Now()
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() upgrading = %v", err)
	}
	obs = waitFor(t, c, id, want, "upgraded to v1.36.1 without the extra pool", nil) // Ready covers the rollout and the removed pool being gone
	t.Logf("upgrade and pool removal to ready: %s", time.Since(tUpgrade).Round(time.Millisecond))
	if !obs.UpToDate || obs.Status.ObservedKubernetesVersion != "v1.36.1" || obs.Status.ReadyWorkers != 3 {
		t.Errorf("after upgrading: UpToDate=%v status=%+v", obs.UpToDate, obs.Status)
	}

	// The site cannot go while the cluster uses it.
	if err := sites.Delete(ctx, siteName); err == nil {
		t.Error("site Delete() = nil while a cluster uses the site")
	}

	tDelete := time.Now()
	if err := c.Delete(ctx, id); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	waitFor(t, c, id, want, "cluster gone", func(exists, _ bool) bool { return !exists })
	t.Logf("delete to gone: %s", time.Since(tDelete).Round(time.Millisecond))
	if err := c.Delete(ctx, id); err != nil {
		t.Errorf("second Delete() = %v", err)
	}
}
