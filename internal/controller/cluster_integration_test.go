//go:build platform

package controller

// Integration tests of the Cluster kind against the real local platform:
// Cluster API with CAPD's in-memory backend runs on the platform plane,
// which is the management cluster of a site registered without one. They
// are built with the build tag platform only.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/google/go-cmp/cmp"
	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// clusterIntegrationTimeout bounds each wait for a workload cluster: an
// in-memory cluster takes about a minute to become ready on a small machine.
const clusterIntegrationTimeout = 6 * time.Minute

// clusterEnv is the platform with the Cluster controller running, a site
// whose management cluster is the platform plane, a ProviderConfig and a
// namespace for the Cluster API objects.
type clusterEnv struct {
	integrationEnv
	dynamic        dynamic.Interface
	site           string
	namespace      string
	providerConfig string
	suffix         string
}

// startClusterController starts the Site and ImageReplication controllers
// (startController), a second manager with the Cluster controller, and
// registers a site. It fails the test when the platform runs no Cluster
// API. The tests that use it are not parallel: each makes a Cluster API
// cluster, and several at once beside the other packages' clusters starved
// the shared platform's Cluster API on two cores (clusters not Available
// within 6 minutes in a make test run).
func startClusterController(t *testing.T) clusterEnv {
	t.Helper()
	return startClusterControllerWith(t, Options{PollInterval: 10 * time.Second, NotReadyPollInterval: 2 * time.Second})
}

// startClusterControllerWith is startClusterController with the Cluster
// controller's options.
func startClusterControllerWith(t *testing.T, options Options) clusterEnv {
	t.Helper()
	env := startController(t)
	sandboxtest.Require(t, env.platform, sandboxtest.ClusterAPI...)

	env.startManager(t, options, SetupCluster)
	ctx := context.Background()

	dc, err := dynamic.NewForConfig(env.config)
	if err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	e := clusterEnv{
		integrationEnv: env, dynamic: dc, suffix: suffix,
		site: "ctrl-cl-" + suffix, namespace: "ctrl-cl-" + suffix, providerConfig: "ctrl-cl-" + suffix,
	}
	env.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: e.providerConfig},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   env.platform.Namespace,
		},
	})
	// The site's management cluster is the platform plane. Cleanups run
	// last in, first out: the site goes after the clusters that use it.
	sites := site.New(registry.New(env.config, env.platform.Namespace))
	if _, err := sites.Create(ctx, site.Spec{Name: e.site, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}); err != nil {
		t.Fatalf("cannot register site %s: %v", e.site, err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), e.site); err != nil {
			t.Errorf("cannot delete site %s: %v", e.site, err)
		}
	})
	t.Cleanup(func() {
		_ = dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Delete(context.Background(), e.namespace, metav1.DeleteOptions{})
	})
	return e
}

// waitCluster polls the Cluster until check holds for it, and logs how long
// that took.
func (e clusterEnv) waitCluster(t *testing.T, name, what string, check func(*v1alpha1.Cluster) bool) *v1alpha1.Cluster {
	t.Helper()
	t0 := time.Now()
	var c v1alpha1.Cluster
	eventually(t, clusterIntegrationTimeout, "Cluster "+name+" "+what, func() (bool, string) {
		if err := e.kube.Get(context.Background(), client.ObjectKey{Name: name}, &c); err != nil {
			return false, err.Error()
		}
		r, sy := c.Status.GetCondition(v1alpha1.TypeReady), c.Status.GetCondition(v1alpha1.TypeSynced)
		return check(&c), fmt.Sprintf("generation %d (observed %d), Ready=%s/%s %q, Synced=%s/%s %q, atProvider phase=%q readyWorkers=%d",
			c.Generation, c.Status.ObservedGeneration, r.Status, r.Reason, r.Message, sy.Status, sy.Reason, sy.Message,
			c.Status.AtProvider.Phase, c.Status.AtProvider.ReadyWorkers)
	})
	t.Logf("Cluster %s %s after %s", name, what, time.Since(t0).Round(time.Second))
	return &c
}

// readyAndSynced reports whether c is Ready and Synced for its current
// generation.
func readyAndSynced(c *v1alpha1.Cluster) bool {
	r, sy := c.Status.GetCondition(v1alpha1.TypeReady), c.Status.GetCondition(v1alpha1.TypeSynced)
	return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue && c.Status.ObservedGeneration == c.Generation
}

// updateCluster applies mutate to the stored Cluster, retrying on conflicts
// with the controller's own writes.
func (e clusterEnv) updateCluster(t *testing.T, name string, mutate func(*v1alpha1.Cluster)) {
	t.Helper()
	eventually(t, time.Minute, "Cluster "+name+" updated", func() (bool, string) {
		var c v1alpha1.Cluster
		if err := e.kube.Get(context.Background(), client.ObjectKey{Name: name}, &c); err != nil {
			return false, err.Error()
		}
		mutate(&c)
		if err := e.kube.Update(context.Background(), &c); err != nil {
			if apierrors.IsConflict(err) {
				return false, err.Error()
			}
			t.Fatalf("cannot update Cluster %s: %v", name, err)
		}
		return true, ""
	})
}

// waitClusterGone waits until the Cluster kind is gone.
func (e clusterEnv) waitClusterGone(t *testing.T, name string) {
	t.Helper()
	t0 := time.Now()
	eventually(t, clusterIntegrationTimeout, "Cluster "+name+" gone", func() (bool, string) {
		var c v1alpha1.Cluster
		err := e.kube.Get(context.Background(), client.ObjectKey{Name: name}, &c)
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		r, sy := c.Status.GetCondition(v1alpha1.TypeReady), c.Status.GetCondition(v1alpha1.TypeSynced)
		return false, fmt.Sprintf("finalizers %v, Ready=%s/%s %q, Synced=%s/%s %q", c.Finalizers, r.Status, r.Reason, r.Message, sy.Status, sy.Reason, sy.Message)
	})
	t.Logf("Cluster %s gone after %s", name, time.Since(t0).Round(time.Second))
}

// capiCluster returns the Cluster API Cluster, or nil when there is none.
func (e clusterEnv) capiCluster(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := e.dynamic.Resource(cluster.ClusterGVR).Namespace(e.namespace).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("cannot read Cluster API Cluster %s/%s: %v", e.namespace, name, err)
	}
	return u
}

// capiSnapshot is what tells whether the controller changed a Cluster API
// object: its generation (any spec change), spec, labels, annotations,
// finalizers and owners. Not its resourceVersion: Cluster API itself may
// still write the status after the engine reports the cluster ready (it
// did, on a loaded machine), and the controller never writes that status.
type capiSnapshot struct {
	Generation      int64
	Spec            any
	Labels          map[string]string
	Annotations     map[string]string
	Finalizers      []string
	OwnerReferences []metav1.OwnerReference
}

// snapshotCAPI reads the Cluster, KubeadmControlPlane and the
// MachineDeployment of pool of cluster name.
func (e clusterEnv) snapshotCAPI(t *testing.T, name, pool string) map[string]capiSnapshot {
	t.Helper()
	out := map[string]capiSnapshot{}
	for kind, obj := range map[string]struct {
		gvr  schema.GroupVersionResource
		name string
	}{
		"Cluster":             {cluster.ClusterGVR, name},
		"KubeadmControlPlane": {cluster.KubeadmControlPlaneGVR, cluster.ControlPlaneName(name)},
		"MachineDeployment":   {cluster.MachineDeploymentGVR, cluster.MachineDeploymentName(name, pool)},
	} {
		u, err := e.dynamic.Resource(obj.gvr).Namespace(e.namespace).Get(context.Background(), obj.name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("cannot read %s %s/%s: %v", kind, e.namespace, obj.name, err)
		}
		out[kind] = capiSnapshot{
			Generation: u.GetGeneration(), Spec: u.Object["spec"], Labels: u.GetLabels(), Annotations: u.GetAnnotations(),
			Finalizers: u.GetFinalizers(), OwnerReferences: u.GetOwnerReferences(),
		}
	}
	return out
}

// reconcilesDone returns how many reconciles the controller named
// controller has finished in this process, as controller-runtime counts them
// (controller_runtime_reconcile_total, any result).
func reconcilesDone(t *testing.T, controller string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("cannot read the controller metrics: %v", err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// waitReconciles waits until the controller named controller has finished
// n more reconciles: evidence that it looked again, where a test checks
// that looking changed nothing.
func waitReconciles(t *testing.T, controller string, n int) {
	t.Helper()
	start := reconcilesDone(t, controller)
	eventually(t, 2*time.Minute, fmt.Sprintf("%d more reconciles of %s", n, controller), func() (bool, string) {
		done := reconcilesDone(t, controller) - start
		return done >= float64(n), fmt.Sprintf("%v reconciles", done)
	})
}

// requireUnchanged fails when a Cluster API object differs from before.
func requireUnchanged(t *testing.T, what string, before, after map[string]capiSnapshot) {
	t.Helper()
	for kind, b := range before {
		if a := after[kind]; !reflect.DeepEqual(a, b) {
			t.Errorf("%s changed the %s (-before +after):\n%s", what, kind, cmp.Diff(b, a))
		}
	}
}

// TestClusterIntegration_lifecycle creates an in-memory workload cluster
// through a Cluster (1 control plane machine, 1 worker), scales its pool to
// 2 workers, refuses to delete it while deletionProtection is on, and
// deletes it with deletionPolicy Delete.
func TestClusterIntegration_lifecycle(t *testing.T) {
	e := startClusterController(t)
	ctx := context.Background()
	name := "ctrl-wl-" + e.suffix
	id := e.site + "/" + e.namespace + "/" + name
	t.Cleanup(func() { // in case the test stops before deleting it
		_ = e.kube.Delete(context.Background(), &v1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}})
		_ = cluster.New(registry.New(e.config, e.platform.Namespace)).Delete(context.Background(), id)
	})

	t0 := time.Now()
	if err := e.kube.Create(ctx, &v1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ClusterSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: e.providerConfig}},
			ForProvider: v1alpha1.ClusterParameters{
				Site: e.site, Namespace: e.namespace, KubernetesVersion: "v1.36.0",
				Infrastructure:     v1alpha1.ClusterInfrastructureInMemory,
				WorkerPools:        []v1alpha1.ClusterWorkerPool{{Name: "workers", Replicas: 1, Labels: map[string]string{"tier": "general"}}},
				Labels:             map[string]string{"env": "test"},
				ArgoCDRegistration: new(true),
			},
		},
	}); err != nil {
		t.Fatalf("cannot create Cluster: %v", err)
	}
	// Ready, then registered in the site's Argo CD by the next update.
	c := e.waitCluster(t, name, "Ready with 1 worker and registered in Argo CD", func(c *v1alpha1.Cluster) bool {
		return readyAndSynced(c) && c.Status.AtProvider.ReadyWorkers == 1 && c.Status.AtProvider.ArgoCDClusterName == name
	})
	t.Logf("create to Ready: %s", time.Since(t0).Round(time.Second))
	if got := c.Annotations[v1alpha1.AnnotationExternalName]; got != id {
		t.Errorf("external-name = %q, want %q", got, id)
	}
	if c.Spec.DeletionPolicy != v1alpha1.DeletionDelete || c.Spec.ForProvider.ArgoCDRegistration == nil || !*c.Spec.ForProvider.ArgoCDRegistration {
		t.Errorf("spec after defaulting: deletionPolicy %q, argocdRegistration %v", c.Spec.DeletionPolicy, c.Spec.ForProvider.ArgoCDRegistration)
	}
	// The control plane replicas and the networks were unset: late
	// initialisation records what was created.
	if r := c.Spec.ForProvider.ControlPlane.Replicas; r == nil || *r != 1 {
		t.Errorf("spec.forProvider.controlPlane.replicas = %v, want late-initialised 1", r)
	}
	if got := c.Spec.ForProvider.PodCIDRs; len(got) != 1 || got[0] != cluster.DefaultPodCIDR {
		t.Errorf("spec.forProvider.podCIDRs = %v, want late-initialised [%s]", got, cluster.DefaultPodCIDR)
	}
	at := c.Status.AtProvider
	if at.Phase != "Provisioned" || !at.ControlPlaneReady || at.ObservedKubernetesVersion != "v1.36.0" ||
		!strings.HasPrefix(at.Endpoint, "https://") || len(at.Conditions) == 0 || at.ArgoCDClusterName != name {
		t.Errorf("status.atProvider = %+v", at)
	}
	if r := c.Status.GetCondition(v1alpha1.TypeReady); r.Reason != v1alpha1.ReasonAvailable {
		t.Errorf("Ready reason = %s, want Available", r.Reason)
	}
	u := e.capiCluster(t, name)
	if u == nil || u.GetLabels()["env"] != "test" {
		t.Fatalf("Cluster API Cluster %s/%s = %v, want one labelled env=test", e.namespace, name, u)
	}
	// What cannot change in place is refused by the API server.
	for field, mutate := range map[string]func(*v1alpha1.Cluster){
		"site":           func(c *v1alpha1.Cluster) { c.Spec.ForProvider.Site = "elsewhere" },
		"infrastructure": func(c *v1alpha1.Cluster) { c.Spec.ForProvider.Infrastructure = v1alpha1.ClusterInfrastructureBYOH },
		"podCIDRs":       func(c *v1alpha1.Cluster) { c.Spec.ForProvider.PodCIDRs = []string{"10.244.0.0/16"} },
	} {
		changed := c.DeepCopy()
		mutate(changed)
		if err := e.kube.Update(ctx, changed); err == nil || !strings.Contains(err.Error(), field+" is immutable") {
			t.Errorf("changing spec.forProvider.%s: error = %v, want %q", field, err, field+" is immutable")
		}
	}

	t1 := time.Now()
	e.updateCluster(t, name, func(c *v1alpha1.Cluster) { c.Spec.ForProvider.WorkerPools[0].Replicas = 2 })
	c = e.waitCluster(t, name, "Ready with 2 workers", func(c *v1alpha1.Cluster) bool {
		return readyAndSynced(c) && c.Status.AtProvider.ReadyWorkers == 2
	})
	t.Logf("scale to Ready: %s", time.Since(t1).Round(time.Second))
	md, err := e.dynamic.Resource(cluster.MachineDeploymentGVR).Namespace(e.namespace).Get(ctx, cluster.MachineDeploymentName(name, "workers"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := unstructured.NestedInt64(md.Object, "spec", "replicas"); r != 2 {
		t.Errorf("MachineDeployment replicas = %d, want 2", r)
	}

	// Deletion protection keeps the finalizer and the workload cluster.
	e.updateCluster(t, name, func(c *v1alpha1.Cluster) { c.Spec.ForProvider.DeletionProtection = true })
	e.waitCluster(t, name, "Synced with deletion protection", readyAndSynced)
	if err := e.kube.Delete(ctx, &v1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	c = e.waitCluster(t, name, "refusing deletion", func(c *v1alpha1.Cluster) bool {
		sy := c.Status.GetCondition(v1alpha1.TypeSynced)
		return sy.Status == corev1.ConditionFalse && strings.Contains(sy.Message, "spec.forProvider.deletionProtection")
	})
	if sy := c.Status.GetCondition(v1alpha1.TypeSynced); sy.Reason != v1alpha1.ReasonReconcileError {
		t.Errorf("Synced reason = %s, want %s", sy.Reason, v1alpha1.ReasonReconcileError)
	}
	t.Logf("deletion refused: %s", c.Status.GetCondition(v1alpha1.TypeSynced).Message)
	if u := e.capiCluster(t, name); u == nil || u.GetDeletionTimestamp() != nil {
		t.Fatalf("deletion protection did not keep the Cluster API Cluster: %v", u)
	}

	t2 := time.Now()
	e.updateCluster(t, name, func(c *v1alpha1.Cluster) { c.Spec.ForProvider.DeletionProtection = false })
	e.waitClusterGone(t, name)
	if u := e.capiCluster(t, name); u != nil {
		t.Errorf("the Cluster is gone but its Cluster API Cluster is not (deletion timestamp %v)", u.GetDeletionTimestamp())
	}
	t.Logf("delete to gone: %s", time.Since(t2).Round(time.Second))
	secrets := &corev1.SecretList{}
	if err := e.kube.List(ctx, secrets, client.InNamespace("argocd"), client.MatchingLabels{cluster.LabelArgoCDSecretType: cluster.ArgoCDSecretTypeCluster}); err != nil {
		t.Fatal(err)
	}
	for _, sec := range secrets.Items {
		if string(sec.Data["name"]) == name {
			t.Errorf("Argo CD cluster Secret %s still names the deleted cluster", sec.Name)
		}
	}
}

// TestClusterIntegration_observeOnly adopts an in-memory cluster created
// directly through the engine with an Observe-only Cluster: it becomes
// Ready with status.atProvider filled and changes no Cluster API object;
// adding LateInitialize fills spec.forProvider, still without changes; and
// deleting the Cluster leaves the workload cluster in place.
func TestClusterIntegration_observeOnly(t *testing.T) {
	e := startClusterController(t)
	ctx := context.Background()
	name := "ctrl-obs-" + e.suffix
	engineClient := cluster.New(registry.New(e.config, e.platform.Namespace))
	want := cluster.Spec{
		Site: e.site, Namespace: e.namespace, Name: name, KubernetesVersion: "v1.36.0",
		ControlPlane:   cluster.ControlPlane{Replicas: 1},
		WorkerPools:    []cluster.WorkerPool{{Name: "workers", Replicas: 1}},
		Infrastructure: cluster.InfrastructureInMemory,
		Labels:         map[string]string{"owner": "someone-else"},
	}
	t0 := time.Now()
	id, err := engineClient.Create(ctx, want)
	if err != nil {
		t.Fatalf("engine Create() = %v", err)
	}
	t.Cleanup(func() {
		// The test leaves the cluster in place on purpose; delete it through
		// the engine and wait, so that the site can go.
		ctx := context.Background()
		if err := engineClient.Delete(ctx, id); err != nil {
			t.Errorf("cannot delete cluster %s: %v", id, err)
			return
		}
		eventually(t, clusterIntegrationTimeout, "cluster "+id+" gone", func() (bool, string) {
			obs, err := engineClient.Observe(ctx, id, cluster.Spec{})
			if err != nil {
				return false, err.Error()
			}
			return !obs.Exists, obs.Message
		})
	})
	eventually(t, clusterIntegrationTimeout, "cluster "+id+" ready", func() (bool, string) {
		obs, err := engineClient.Observe(ctx, id, want)
		if err != nil {
			return false, err.Error()
		}
		return obs.Ready, obs.Message
	})
	t.Logf("engine create to ready: %s", time.Since(t0).Round(time.Second))
	before := e.snapshotCAPI(t, name, "workers")

	t1 := time.Now()
	if err := e.kube.Create(ctx, &v1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{v1alpha1.AnnotationExternalName: id}},
		Spec: v1alpha1.ClusterSpec{ResourceSpec: v1alpha1.ResourceSpec{
			ManagementPolicies:      v1alpha1.ManagementPolicies{v1alpha1.ManagementActionObserve},
			ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: e.providerConfig},
		}},
	}); err != nil {
		t.Fatalf("cannot create the Observe-only Cluster: %v", err)
	}
	c := e.waitCluster(t, name, "Ready (Observe only)", func(c *v1alpha1.Cluster) bool {
		return readyAndSynced(c) && c.Status.AtProvider.ReadyWorkers == 1
	})
	t.Logf("Observe-only create to Ready: %s", time.Since(t1).Round(time.Second))
	at := c.Status.AtProvider
	if at.Phase != "Provisioned" || !at.ControlPlaneReady || at.ObservedKubernetesVersion != "v1.36.0" || at.Endpoint == "" || len(at.Conditions) == 0 {
		t.Errorf("status.atProvider = %+v", at)
	}
	if !reflect.DeepEqual(c.Spec.ForProvider, v1alpha1.ClusterParameters{ArgoCDRegistration: new(true)}) {
		t.Errorf("Observe only changed spec.forProvider: %+v", c.Spec.ForProvider)
	}
	// Wait for two more reconciles (the poll interval is 10s) before comparing.
	waitReconciles(t, "cluster", 2)
	requireUnchanged(t, "Observe only", before, e.snapshotCAPI(t, name, "workers"))

	// LateInitialize fills spec.forProvider from the cluster, still
	// without changing it.
	e.updateCluster(t, name, func(c *v1alpha1.Cluster) {
		c.Spec.ManagementPolicies = v1alpha1.ManagementPolicies{v1alpha1.ManagementActionObserve, v1alpha1.ManagementActionLateInitialize}
	})
	c = e.waitCluster(t, name, "late-initialised", func(c *v1alpha1.Cluster) bool {
		return readyAndSynced(c) && c.Spec.ForProvider.KubernetesVersion != ""
	})
	p := c.Spec.ForProvider
	if p.Site != e.site || p.Namespace != e.namespace || p.KubernetesVersion != "v1.36.0" ||
		p.Infrastructure != v1alpha1.ClusterInfrastructureInMemory || p.ControlPlane.Replicas == nil || *p.ControlPlane.Replicas != 1 ||
		len(p.WorkerPools) != 1 || p.WorkerPools[0].Name != "workers" || p.WorkerPools[0].Replicas != 1 ||
		p.Labels["owner"] != "someone-else" || len(p.PodCIDRs) != 1 {
		t.Errorf("late-initialised spec.forProvider = %+v", p)
	}
	requireUnchanged(t, "Observe and LateInitialize", before, e.snapshotCAPI(t, name, "workers"))

	// Deleting an Observe-only Cluster (deletionPolicy Delete by default)
	// only releases it.
	if err := e.kube.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	e.waitClusterGone(t, name)
	if u := e.capiCluster(t, name); u == nil || u.GetDeletionTimestamp() != nil {
		t.Fatalf("deleting the Observe-only Cluster deleted the Cluster API Cluster: %v", u)
	}
	requireUnchanged(t, "deleting the Observe-only Cluster", before, e.snapshotCAPI(t, name, "workers"))
}
