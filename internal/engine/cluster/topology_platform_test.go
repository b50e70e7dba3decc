//go:build platform

package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster/capitemplates"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestTopologyClusterFromClusterAPITemplates applies Cluster API's own
// in-memory ClusterClass and a Cluster from its cluster template, exactly as
// they ship (every manager runs with ClusterTopology, so the kubeadm
// webhooks accept them), and checks that the cluster becomes Available, that
// Observe reads its topology for an import, that the class check names a
// variable or worker class the class does not have, and that a scale
// changes spec.topology only and stays: the topology controller reconciles
// the Cluster again and the MachineDeployment keeps the new replicas.
func TestTopologyClusterFromClusterAPITemplates(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	sites := site.New(registry.New(cfg, p.Namespace))
	siteName := "cc-" + suffix
	if _, err := sites.Create(ctx, site.Spec{Name: siteName, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}); err != nil {
		t.Fatalf("cannot register site: %v", err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), siteName); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})
	ns := "cc-engine-" + suffix
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	class, err := capitemplates.Read(capitemplates.InMemoryClusterClass, nil)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := capitemplates.Read(capitemplates.InMemoryClusterTemplate, map[string]string{
		"CLUSTER_NAME": "tpl", "NAMESPACE": ns, "KUBERNETES_VERSION": "v1.36.0",
		"CONTROL_PLANE_MACHINE_COUNT": "1", "WORKER_MACHINE_COUNT": "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := capitemplates.Apply(ctx, dc, ns, append(class, tpl...)); err != nil {
		t.Fatalf("applying Cluster API's in-memory ClusterClass and cluster template: %v", err)
	}

	c := cluster.New(registry.New(cfg, p.Namespace))
	id := siteName + "/" + ns + "/tpl"
	obs := waitFor(t, c, id, cluster.Spec{}, "template cluster ready", nil)
	if got := obs.Status.Conditions; !hasCondition(got, clusterv1.ClusterAvailableCondition, "True") {
		t.Errorf("conditions = %+v, want Available True", got)
	}
	wantTopology := &cluster.Topology{Class: "in-memory", Workers: []cluster.TopologyWorker{{Name: "md-0", Class: "default-worker", Replicas: 1}}}
	if diff := cmp.Diff(wantTopology, obs.Actual.Topology); diff != "" {
		t.Errorf("imported topology (-want +got):\n%s", diff)
	}
	if a := obs.Actual; a.KubernetesVersion != "v1.36.0" || a.ControlPlane.Replicas != 1 || a.Infrastructure != cluster.InfrastructureInMemory || len(a.WorkerPools) != 0 {
		t.Errorf("imported spec = %+v", a)
	}
	if obs.Status.ReadyWorkers != 1 || !obs.Status.ControlPlaneReady {
		t.Errorf("status = %+v", obs.Status)
	}

	want := obs.Actual
	if o, err := c.Observe(ctx, id, want); err != nil || !o.UpToDate {
		t.Fatalf("Observe() with the imported spec: UpToDate=%v err=%v", o.UpToDate, err)
	}

	// The class check names what the class does not have; nothing changes.
	bad := want
	bad.Topology = &cluster.Topology{Class: "in-memory", Variables: map[string]string{"flavour": `"large"`},
		Workers: []cluster.TopologyWorker{{Name: "md-0", Class: "gpu-worker", Replicas: 1}}}
	err = c.Update(ctx, id, bad)
	if in := engine.InvalidInputs(err); len(in) != 2 ||
		!strings.Contains(err.Error(), `variable "flavour" is not a variable of ClusterClass `+ns+"/in-memory") ||
		!strings.Contains(err.Error(), `"gpu-worker" is not a worker class`) {
		t.Errorf("Update() with a variable and a worker class the class lacks = %v", err)
	}

	// Scale md-0 to 2: spec.topology changes, the topology controller
	// scales the MachineDeployment.
	want.Topology = &cluster.Topology{Class: "in-memory", Workers: []cluster.TopologyWorker{{Name: "md-0", Class: "default-worker", Replicas: 2}}}
	if o, err := c.Observe(ctx, id, want); err != nil || o.UpToDate {
		t.Fatalf("Observe() after scaling the spec: UpToDate=%v err=%v, want false", o.UpToDate, err)
	}
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() = %v", err)
	}
	applied := time.Now()
	obs = waitFor(t, c, id, want, "scaled to 2 workers", nil) // ready includes TopologyReconciled at the Cluster's generation
	if !obs.UpToDate || obs.Status.ReadyWorkers != 2 {
		t.Errorf("after scaling: UpToDate=%v ReadyWorkers=%d", obs.UpToDate, obs.Status.ReadyWorkers)
	}
	md, err := capitemplates.TopologyMachineDeployment(ctx, dc, ns, "tpl", "md-0")
	if err != nil {
		t.Fatal(err)
	}
	// Make the topology controller reconcile once more on a real change (a
	// new Cluster generation) and wait for it: had the scale gone to the
	// MachineDeployment alone, this reconcile would undo it.
	pokeCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := capitemplates.PokeTopology(pokeCtx, dc, ns, "tpl", "md-0", "after-scale"); err != nil {
		t.Fatal(err)
	}
	if err := capitemplates.ReplicasHold(ctx, dc, md, 2, applied.Add(30*time.Second)); err != nil {
		t.Errorf("30 seconds after the scale: %v", err)
	}
	// The poke is a new generation of the Cluster: wait until the cluster
	// is ready at it again, and still wants no change.
	if o := waitFor(t, c, id, want, "ready after the poke", nil); !o.UpToDate || o.Status.ReadyWorkers != 2 {
		t.Errorf("after the poke: UpToDate=%v ReadyWorkers=%d (%s)", o.UpToDate, o.Status.ReadyWorkers, o.Message)
	}

	if err := c.Delete(ctx, id); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	waitFor(t, c, id, want, "cluster gone", func(exists, _ bool) bool { return !exists })
}

func hasCondition(conds []cluster.Condition, typ, status string) bool {
	for _, c := range conds {
		if c.Type == typ && c.Status == status {
			return true
		}
	}
	return false
}

// TestBYOHClusterClassExample applies the BYOH ClusterClass of the examples
// with strict field validation, waits until Cluster API has reconciled its
// variables, and checks topology variables against it through the engine:
// the class's own schemas, as read from the platform, accept good values
// and reject bad ones, naming the variable.
func TestBYOHClusterClassExample(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	siteName, ns := "ccb-"+suffix, "cc-byoh-"+suffix
	sites := site.New(registry.New(cfg, p.Namespace))
	if _, err := sites.Create(ctx, site.Spec{Name: siteName, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}); err != nil {
		t.Fatalf("cannot register site: %v", err)
	}
	t.Cleanup(func() { _ = sites.Delete(context.Background(), siteName) })
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "clusterclass", "byoh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, u)
	}
	if len(objs) != 6 {
		t.Fatalf("%d objects in the example, want 6", len(objs))
	}
	if err := capitemplates.Apply(ctx, dc, ns, objs); err != nil {
		t.Fatalf("the example's objects are refused: %v", err)
	}
	err = wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		cc, err := dc.Resource(cluster.ClusterClassGVR).Namespace(ns).Get(ctx, "byoh", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(cc.Object, "status", "conditions")
		for _, c := range conds {
			if m, _ := c.(map[string]any); m["type"] == clusterv1.ClusterClassVariablesReadyCondition {
				if m["status"] != "True" {
					return false, fmt.Errorf("ClusterClass byoh: %s %s: %v", m["type"], m["status"], m["message"])
				}
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("ClusterClass byoh not reconciled: %v", err)
	}

	c := cluster.New(registry.New(cfg, p.Namespace))
	spec := func(vars map[string]string) cluster.Spec {
		return cluster.Spec{Site: siteName, Namespace: ns, Name: "edge", KubernetesVersion: "v1.36.0", ControlPlane: cluster.ControlPlane{Replicas: 1},
			Topology: &cluster.Topology{Class: "byoh", Variables: vars, Workers: []cluster.TopologyWorker{{Name: "general", Class: "default-worker", Replicas: 1}}}}
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string // "" means accepted
	}{
		{"good", map[string]string{"controlPlaneEndpoint": `{"host":"10.0.0.10","port":6443}`, "controlPlaneHostSelector": `{"pool":"cp"}`}, ""},
		{"port defaulted", map[string]string{"controlPlaneEndpoint": `{"host":"10.0.0.10"}`}, ""},
		{"endpoint missing", map[string]string{}, `variable "controlPlaneEndpoint" is required by ClusterClass ` + ns + "/byoh"},
		{"port out of range", map[string]string{"controlPlaneEndpoint": `{"host":"10.0.0.10","port":70000}`}, `variable "controlPlaneEndpoint" does not match the schema`},
		{"host missing", map[string]string{"controlPlaneEndpoint": `{"port":6443}`}, `controlPlaneEndpoint.host in body is required`},
		{"selector value not a string", map[string]string{"controlPlaneEndpoint": `{"host":"h"}`, "controlPlaneHostSelector": `{"pool":1}`}, `variable "controlPlaneHostSelector" does not match the schema`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.ValidateAgainstClass(ctx, spec(tc.vars))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ValidateAgainstClass() = %v, want nil", err)
			case tc.want == "":
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Fatalf("ValidateAgainstClass() = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
