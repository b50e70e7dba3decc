//go:build platform

package main

// Platform tests of the controller's scale-out: replicas of mc-controller
// run as separate processes (this test binary started again with
// runControllerEnv set runs main), so that a leader can be killed with
// SIGKILL as a node failure would kill it. Every process runs with a shard
// of the test's own, so that it touches no object of the other tests that
// share the platform.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/controller"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// runControllerEnv, set to 1, makes the test binary run mc-controller's
// main with its arguments instead of the tests.
const runControllerEnv = "MC_CONTROLLER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runControllerEnv) == "1" {
		main()
		os.Exit(0)
	}
	sandboxtest.Main(m)
}

// scaleoutTimeout bounds each wait for a managed resource; an in-memory
// cluster takes about a minute to become ready on a busy machine.
const scaleoutTimeout = 6 * time.Minute

// scaleoutEnv is the platform with our CRDs installed, a client, and a
// ProviderConfig of the test's own.
type scaleoutEnv struct {
	platform       *sandbox.Platform
	kube           client.Client
	suffix         string
	providerConfig string
}

func newScaleoutEnv(t testing.TB, prefix string) scaleoutEnv {
	t.Helper()
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	installCRDs(t, kube)
	e := scaleoutEnv{platform: p, kube: kube, suffix: fmt.Sprintf("%06x", rand.IntN(1<<24))}
	e.providerConfig = prefix + "-" + e.suffix
	e.create(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: e.providerConfig},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   p.Namespace,
		},
	})
	return e
}

// create creates obj and deletes it when the test ends.
func (e scaleoutEnv) create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := e.kube.Create(context.Background(), obj); err != nil {
		t.Fatalf("cannot create %T %s: %v", obj, obj.GetName(), err)
	}
	t.Cleanup(func() { _ = e.kube.Delete(context.Background(), obj) })
}

// installCRDs creates or updates the CRDs of config/crd and waits until
// they are established.
func installCRDs(t testing.TB, kube client.Client) {
	t.Helper()
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "crd", v1alpha1.Group+"_*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in config/crd (err %v)", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
			t.Fatalf("cannot decode %s: %v", f, err)
		}
		var existing apiextensionsv1.CustomResourceDefinition
		switch err := kube.Get(ctx, client.ObjectKey{Name: crd.Name}, &existing); {
		case apierrors.IsNotFound(err):
			if err := kube.Create(ctx, &crd); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("cannot create CRD %s: %v", crd.Name, err)
			}
		case err != nil:
			t.Fatal(err)
		}
		eventually(t, time.Minute, "CRD "+crd.Name+" established", func() (bool, string) {
			var got apiextensionsv1.CustomResourceDefinition
			if err := kube.Get(ctx, client.ObjectKey{Name: crd.Name}, &got); err != nil {
				return false, err.Error()
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, ""
				}
			}
			return false, "not established"
		})
	}
}

// eventually checks every 250ms until check reports done, failing the test
// with the last message after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, check func() (done bool, message string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		done, message := check()
		last = message
		return done, nil
	})
	if err != nil {
		t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
	}
}

// replica is one mc-controller process.
type replica struct {
	name string
	cmd  *exec.Cmd
	// leading is closed when the process logs that it acquired the lease.
	leading  chan struct{}
	leadOnce sync.Once
	// exited is closed when the process has exited.
	exited chan struct{}
}

// startReplica runs mc-controller as its own process with args, under the
// program name name: the API server records name as the field manager of
// everything the process writes. The process is stopped (SIGTERM, then
// SIGKILL) when the test ends; its log is kept in the test's temporary
// directory and printed when the test fails.
func startReplica(t testing.TB, p *sandbox.Platform, name string, args ...string) *replica {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, leading: make(chan struct{}), exited: make(chan struct{})}
	pr, pw := io.Pipe()
	r.cmd = &exec.Cmd{
		Path: self,
		Args: append([]string{name, "--kubeconfig=" + p.KubeconfigPath, "--health-probe-bind-address=0", "--metrics-bind-address=0",
			"--not-ready-poll-interval=2s", "--poll-interval=1m"}, args...),
		Env:    append(os.Environ(), runControllerEnv+"=1"),
		Stdout: logFile,
		Stderr: io.MultiWriter(logFile, pw),
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", name, err)
	}
	go func() {
		s := bufio.NewScanner(pr)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			if strings.Contains(s.Text(), "Successfully acquired lease") {
				r.leadOnce.Do(func() { close(r.leading) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		_ = r.cmd.Wait()
		_ = pw.Close()
		_ = logFile.Close()
		close(r.exited)
	}()
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			if raw, err := os.ReadFile(logPath); err == nil {
				t.Logf("log of %s:\n%s", name, tail(string(raw), 60))
			}
		}
	})
	return r
}

// stop ends the process gracefully, or kills it after 30 seconds.
func (r *replica) stop() {
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}

// kill kills the process with SIGKILL: no lease is released, no request
// finished.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("cannot kill %s: %v", r.name, err)
	}
	<-r.exited
}

// isLeading reports whether the replica has acquired the lease.
func (r *replica) isLeading() bool {
	select {
	case <-r.leading:
		return true
	default:
		return false
	}
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// statusManagers returns the field managers that wrote obj's status.
func statusManagers(obj client.Object) []string {
	var out []string
	for _, f := range obj.GetManagedFields() {
		if f.Subresource == "status" {
			out = append(out, f.Manager)
		}
	}
	return out
}

func readyAndSynced(s v1alpha1.ResourceStatus, generation int64) bool {
	r, sy := s.GetCondition(v1alpha1.TypeReady), s.GetCondition(v1alpha1.TypeSynced)
	return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue && s.ObservedGeneration == generation
}

// TestLeaderFailoverDuringClusterCreate runs two replicas of the
// controller with leader election, kills the leader with SIGKILL while it
// creates a Cluster (after the Cluster API Cluster exists, before it is
// ready), and checks that the other replica takes the lease over and
// finishes the create with exactly one Cluster API Cluster.
func TestLeaderFailoverDuringClusterCreate(t *testing.T) {
	t.Parallel()
	e := newScaleoutEnv(t, "so-lead")
	sandboxtest.Require(t, e.platform, sandboxtest.ClusterAPI...)
	ctx := context.Background()
	cfg, err := e.platform.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// The site's management cluster is the platform plane.
	siteName, namespace, name := "so-lead-"+e.suffix, "so-lead-"+e.suffix, "so-lead-"+e.suffix
	sites := site.New(registry.New(cfg, e.platform.Namespace))
	if _, err := sites.Create(ctx, site.Spec{Name: siteName, ArgoCD: site.ArgoCD{Namespace: e.platform.ArgoCDNamespace, Destination: "in-cluster"}}); err != nil {
		t.Fatalf("cannot register site %s: %v", siteName, err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), siteName); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})
	t.Cleanup(func() {
		_ = e.kube.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
	})

	const leaseDuration = 6 * time.Second
	shard := "so-lead-" + e.suffix
	args := []string{"--shard=" + shard, "--leader-elect", "--leader-election-namespace=" + e.platform.Namespace,
		"--leader-election-lease-duration=" + leaseDuration.String(), "--leader-election-renew-deadline=4s", "--leader-election-retry-period=1s"}
	first := startReplica(t, e.platform, "mc-controller-first", args...)
	select {
	case <-first.leading:
	case <-first.exited:
		t.Fatalf("the first replica exited before it led: %v", first.cmd.ProcessState)
	case <-time.After(2 * time.Minute):
		t.Fatal("the first replica never acquired the lease")
	}
	second := startReplica(t, e.platform, "mc-controller-second", args...)
	var lease coordinationv1.Lease
	if err := e.kube.Get(ctx, client.ObjectKey{Namespace: e.platform.Namespace, Name: controller.ShardLeaderElectionID(shard)}, &lease); err != nil {
		t.Fatalf("cannot get the lease of the shard: %v", err)
	}
	firstHolder := ptrValue(lease.Spec.HolderIdentity)
	t.Logf("lease %s held by %s", lease.Name, firstHolder)

	// The replicas cannot clean up after the test: once the second is
	// stopped, the Cluster is deleted through the engine.
	id := cluster.ID(cluster.Spec{Site: siteName, Namespace: namespace, Name: name})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		c := cluster.New(registry.New(cfg, e.platform.Namespace))
		if err := c.Delete(ctx, id); err != nil {
			t.Errorf("cannot delete cluster %s: %v", id, err)
		}
		_ = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := dc.Resource(cluster.ClusterGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	})
	mc := &v1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{v1alpha1.LabelShard: shard}},
		Spec: v1alpha1.ClusterSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: e.providerConfig}},
			ForProvider: v1alpha1.ClusterParameters{
				Site: siteName, Namespace: namespace, KubernetesVersion: "v1.36.0",
				Infrastructure:     v1alpha1.ClusterInfrastructureInMemory,
				WorkerPools:        []v1alpha1.ClusterWorkerPool{{Name: "workers", Replicas: 1}},
				ArgoCDRegistration: new(false),
			},
		},
	}
	if err := e.kube.Create(ctx, mc); err != nil {
		t.Fatalf("cannot create Cluster: %v", err)
	}
	t.Cleanup(func() { // after the replicas stopped: drop the finalizer, the engine deletes the rest
		var c v1alpha1.Cluster
		if err := e.kube.Get(context.Background(), client.ObjectKey{Name: name}, &c); err == nil {
			c.Finalizers = nil
			_ = e.kube.Update(context.Background(), &c)
			_ = e.kube.Delete(context.Background(), &c)
		}
	})

	// Kill the leader while the create is under way: its Cluster API
	// Cluster exists but is not ready yet.
	eventually(t, scaleoutTimeout, "the Cluster API Cluster of "+id, func() (bool, string) {
		_, err := dc.Resource(cluster.ClusterGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	var c v1alpha1.Cluster
	if err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &c); err != nil {
		t.Fatal(err)
	}
	if readyAndSynced(c.Status.ResourceStatus, c.Generation) {
		t.Fatalf("the Cluster was Ready before the leader was killed: the kill did not interrupt the create")
	}
	if second.isLeading() {
		t.Fatalf("the second replica leads while the first runs")
	}
	first.kill(t)
	killed := time.Now()
	select {
	case <-second.leading:
		if err := e.kube.Get(ctx, client.ObjectKey{Namespace: e.platform.Namespace, Name: lease.Name}, &lease); err != nil {
			t.Fatal(err)
		}
		if h := ptrValue(lease.Spec.HolderIdentity); h == firstHolder || h == "" {
			t.Errorf("lease holder after the takeover = %q, want the second replica's identity (the first was %q)", h, firstHolder)
		}
		t.Logf("the second replica took the lease over %s after the leader was killed (lease duration %s)", time.Since(killed).Round(10*time.Millisecond), leaseDuration)
	case <-second.exited:
		t.Fatalf("the second replica exited: %v", second.cmd.ProcessState)
	case <-time.After(3 * leaseDuration):
		t.Fatalf("the second replica did not take the lease over within %s of the leader's death", 3*leaseDuration)
	}

	eventually(t, scaleoutTimeout, "Cluster "+name+" Ready", func() (bool, string) {
		if err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &c); err != nil {
			return false, err.Error()
		}
		r, sy := c.Status.GetCondition(v1alpha1.TypeReady), c.Status.GetCondition(v1alpha1.TypeSynced)
		return readyAndSynced(c.Status.ResourceStatus, c.Generation), fmt.Sprintf("Ready=%s/%s %q, Synced=%s/%s %q", r.Status, r.Reason, r.Message, sy.Status, sy.Reason, sy.Message)
	})
	t.Logf("Cluster Ready %s after the leader was killed", time.Since(killed).Round(time.Second))
	list, err := dc.Resource(cluster.ClusterGVR).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		var names []string
		for _, u := range list.Items {
			names = append(names, u.GetName())
		}
		t.Errorf("Cluster API Clusters in %s = %v, want exactly one", namespace, names)
	}
	if got := c.Annotations[v1alpha1.AnnotationExternalName]; got != id {
		t.Errorf("external-name = %q, want %q", got, id)
	}
	if _, pending := c.Annotations[v1alpha1.AnnotationCreatePending]; pending {
		t.Errorf("the create-pending annotation stayed on the Cluster after the create finished")
	}
	if managers := statusManagers(&c); !contains(managers, second.name) {
		t.Errorf("status field managers = %v, want %s (the new leader) among them", managers, second.name)
	}

	// The new leader also handles the delete.
	if err := e.kube.Delete(ctx, &c); err != nil {
		t.Fatal(err)
	}
	eventually(t, scaleoutTimeout, "Cluster "+name+" gone", func() (bool, string) {
		err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &c)
		return apierrors.IsNotFound(err), fmt.Sprintf("finalizers %v, err %v", c.Finalizers, err)
	})
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestShardsReconcileOnlyTheirObjects runs two controllers of two shards
// and creates two Sites in each: every Site becomes Ready, and only its own
// shard's controller ever writes its status.
func TestShardsReconcileOnlyTheirObjects(t *testing.T) {
	t.Parallel()
	e := newScaleoutEnv(t, "so-shard")
	ctx := context.Background()
	shards := map[string]string{ // shard -> program name of its controller
		"so-a-" + e.suffix: "mc-controller-shard-a",
		"so-b-" + e.suffix: "mc-controller-shard-b",
	}
	for shard, program := range shards {
		startReplica(t, e.platform, program, "--shard="+shard)
	}
	type object struct{ name, shard string }
	var objects []object
	for shard := range shards {
		for i := range 2 {
			name := fmt.Sprintf("%s-%d", shard, i)
			objects = append(objects, object{name, shard})
			e.create(t, &v1alpha1.Site{
				ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{v1alpha1.LabelShard: shard}},
				Spec: v1alpha1.SiteSpec{
					ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: e.providerConfig}},
					ForProvider: v1alpha1.SiteParameters{
						Description: "shard " + shard,
						ArgoCD:      v1alpha1.ArgoCDParameters{Namespace: e.platform.ArgoCDNamespace, Destination: e.platform.ArgoCDClusterName},
					},
				},
			})
		}
	}
	for _, o := range objects {
		var s v1alpha1.Site
		eventually(t, scaleoutTimeout, "Site "+o.name+" Ready", func() (bool, string) {
			if err := e.kube.Get(ctx, client.ObjectKey{Name: o.name}, &s); err != nil {
				return false, err.Error()
			}
			r := s.Status.GetCondition(v1alpha1.TypeReady)
			return readyAndSynced(s.Status.ResourceStatus, s.Generation), fmt.Sprintf("Ready=%s/%s %q", r.Status, r.Reason, r.Message)
		})
		for shard, program := range shards {
			managers := statusManagers(&s)
			switch {
			case shard == o.shard && !contains(managers, program):
				t.Errorf("Site %s of shard %s: status field managers %v, want its shard's controller %s among them", o.name, o.shard, managers, program)
			case shard != o.shard && contains(managers, program):
				t.Errorf("Site %s of shard %s: status written by %s, the controller of shard %s", o.name, o.shard, program, shard)
			}
		}
	}
	// Delete them while the controllers run: each shard removes its own
	// finalizers.
	for _, o := range objects {
		if err := e.kube.Delete(ctx, &v1alpha1.Site{ObjectMeta: metav1.ObjectMeta{Name: o.name}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range objects {
		eventually(t, scaleoutTimeout, "Site "+o.name+" gone", func() (bool, string) {
			err := e.kube.Get(ctx, client.ObjectKey{Name: o.name}, &v1alpha1.Site{})
			return apierrors.IsNotFound(err), fmt.Sprint(err)
		})
	}
}
