//go:build platform

package taskrunner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
	"github.com/mcplatform/terraform-provider-mc/internal/taskrunner"
)

// Sites of this package's own runners: the shared runner of site-b is never
// stopped.
const (
	restartSite = "taskrunner-test-restart"
	leaseSite   = "taskrunner-test-lease"
)

// countingRegistry is a reverse proxy to a Harbor that counts manifest
// pushes per repository.
type countingRegistry struct {
	host string
	mu   sync.Mutex
	puts map[string]int
}

func newCountingRegistry(t *testing.T, harborURL string) *countingRegistry {
	t.Helper()
	target, err := url.Parse(harborURL)
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingRegistry{puts: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			if i := strings.Index(r.URL.Path, "/manifests/"); i > 0 {
				cr.mu.Lock()
				cr.puts[strings.TrimPrefix(r.URL.Path[:i], "/v2/")]++
				cr.mu.Unlock()
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cr.host = strings.TrimPrefix(srv.URL, "http://")
	return cr
}

func (c *countingRegistry) count(repo string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.puts[repo]
}

// startOwnRunner runs a task runner of site in this process until
// the returned stop is called; stop waits until it has ended.
func startOwnRunner(t *testing.T, p *sandbox.Platform, site, identity, registry string) (stop func()) {
	t.Helper()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	h := p.Harbors[sandbox.TaskRunnerSite]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- taskrunner.Run(ctx, cfg, taskrunner.Config{
			Site: site, Namespace: sandbox.TaskRunnerNamespace, Identity: identity,
			HarborURL: h.URL, HarborInsecure: true, Registry: registry,
			Harbor:  taskrunner.Credentials{Username: h.Username, Password: h.Password},
			Git:     taskrunner.Credentials{Username: p.Bitbucket.Username, Password: p.Bitbucket.Password},
			WorkDir: t.TempDir(), CacheDir: p.TaskRunner.CacheDir,
			Log: logr.Discard(),
		})
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runner %s: %v", identity, err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitFor watches run until cond holds.
func waitFor(t *testing.T, c client.WithWatch, run *tasksv1.TaskRun, timeout time.Duration, what string, cond func(*tasksv1.TaskRun) bool) *tasksv1.TaskRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	w, err := c.Watch(ctx, &tasksv1.TaskRunList{}, client.InNamespace(run.Namespace), client.MatchingFields{"metadata.name": run.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("TaskRun %s: %s did not happen within %s", run.Name, what, timeout)
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("the watch of TaskRun %s ended", run.Name)
			}
			if got, ok := ev.Object.(*tasksv1.TaskRun); ok && cond(got) {
				return got
			}
		}
	}
}

func stepPhase(run *tasksv1.TaskRun, name string) string {
	for _, s := range run.Status.Steps {
		if s.Name == name {
			return s.Phase
		}
	}
	return ""
}

// TestRunnerRestartResumesWithoutASecondPush stops a runner while its build
// runs (its work directory is lost), starts another with a new identity:
// the run is resumed and pushed once. Then the run is set back to a push
// under way with no digest recorded (a runner that died between the push
// and its status write): a third runner finds the image in the registry
// and does not push it again.
func TestRunnerRestartResumesWithoutASecondPush(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	c := platformClient(t, p)
	hc, err := p.HarborClient(sandbox.TaskRunnerSite)
	if err != nil {
		t.Fatal(err)
	}
	ensureHarborProject(t, hc, harborProject)
	reg := newCountingRegistry(t, p.Harbors[sandbox.TaskRunnerSite].URL)
	release := filepath.Join(t.TempDir(), "release")
	run := startRun(t, c, "taskrunner-test-restart", tasksv1.TaskRunSpec{
		Site:   restartSite,
		Source: tasksv1.TaskRunSource{RepoURL: p.Bitbucket.TemplateURL(sandbox.TemplateGoService), Revision: "main"},
		Build: tasksv1.TaskRunBuild{
			Command: `while [ ! -e "$RELEASE" ]; do sleep 0.2; done; cp Dockerfile "$OUT/"`,
			Env:     map[string]string{"RELEASE": release},
		},
		Image: tasksv1.TaskRunImage{Project: harborProject, Repository: "restart"},
	})

	stopA := startOwnRunner(t, p, restartSite, "runner-a", reg.host)
	building := waitFor(t, c, run, 2*time.Minute, "the build", func(r *tasksv1.TaskRun) bool {
		return stepPhase(r, tasksv1.StepBuild) == tasksv1.PhaseRunning
	})
	if building.Status.Runner != "runner-a" {
		t.Fatalf("runner %q claimed the run, want runner-a", building.Status.Runner)
	}
	stopA()
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stopB := startOwnRunner(t, p, restartSite, "runner-b", reg.host)
	got := waitEnded(t, c, run, 3*time.Minute)
	stopB()
	if got.Status.Phase != tasksv1.PhaseSucceeded || got.Status.Runner != "runner-b" {
		t.Fatalf("resumed run: %s by %q (%s), want Succeeded by runner-b", got.Status.Phase, got.Status.Runner, got.Status.Message)
	}
	if n := reg.count(harborProject + "/restart"); n != 1 {
		t.Errorf("%d manifest pushes after the restart, want 1", n)
	}

	// A runner that died after pushing, before recording the push.
	mid := got.DeepCopy()
	mid.Status.Phase, mid.Status.FinishedAt, mid.Status.ImageDigest, mid.Status.ImageRef = tasksv1.PhaseRunning, nil, "", ""
	for i := range mid.Status.Steps {
		if mid.Status.Steps[i].Name == tasksv1.StepPush {
			mid.Status.Steps[i].Phase, mid.Status.Steps[i].FinishedAt = tasksv1.PhaseRunning, nil
		}
	}
	if err := c.Status().Update(context.Background(), mid); err != nil {
		t.Fatal(err)
	}
	startOwnRunner(t, p, restartSite, "runner-c", reg.host)
	again := waitEnded(t, c, mid, 3*time.Minute)
	if again.Status.Phase != tasksv1.PhaseSucceeded || again.Status.ImageDigest != got.Status.ImageDigest {
		t.Fatalf("second resume: %s, digest %s, want Succeeded with %s", again.Status.Phase, again.Status.ImageDigest, got.Status.ImageDigest)
	}
	if n := reg.count(harborProject + "/restart"); n != 1 {
		t.Errorf("%d manifest pushes after the second resume, want 1", n)
	}
}

// TestRunnerLeaseDiscovery: the sandbox's runner holds site-b's Lease with
// its executors and version and renews it; site-a has no runner; a runner
// that stops gives its Lease up.
func TestRunnerLeaseDiscovery(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	c := platformClient(t, p)
	ctx := context.Background()
	key := client.ObjectKey{Namespace: sandbox.TaskRunnerNamespace, Name: tasksv1.LeaseNamePrefix + sandbox.TaskRunnerSite}
	lease := &coordinationv1.Lease{}
	if err := c.Get(ctx, key, lease); err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(lease.Spec.HolderIdentity, ""); got != sandbox.TaskRunnerIdentity {
		t.Errorf("holder %q, want %q", got, sandbox.TaskRunnerIdentity)
	}
	if got := ptr.Deref(lease.Spec.LeaseDurationSeconds, 0); got != 15 {
		t.Errorf("lease duration %d s, want 15", got)
	}
	if lease.Annotations[tasksv1.AnnotationExecutors] != tasksv1.ExecutorLocal || lease.Annotations[tasksv1.AnnotationVersion] != taskrunner.Version {
		t.Errorf("annotations %v", lease.Annotations)
	}
	// Renewed: the next renewal arrives on a watch within the duration.
	first := lease.Spec.RenewTime.Time
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	w, err := c.Watch(wctx, &coordinationv1.LeaseList{}, client.InNamespace(key.Namespace), client.MatchingFields{"metadata.name": key.Name})
	if err != nil {
		t.Fatal(err)
	}
	renewed := false
	for ev := range w.ResultChan() {
		if l, ok := ev.Object.(*coordinationv1.Lease); ok && ev.Type == watch.Modified && l.Spec.RenewTime != nil && l.Spec.RenewTime.After(first) {
			renewed = true
			break
		}
	}
	w.Stop()
	if !renewed {
		t.Error("the runner did not renew its Lease within its duration")
	}
	// site-a has no runner.
	err = c.Get(ctx, client.ObjectKey{Namespace: key.Namespace, Name: tasksv1.LeaseNamePrefix + sandbox.HarborSiteA}, &coordinationv1.Lease{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("site-a's Lease: %v, want none", err)
	}
	// A runner that stops releases its Lease.
	stop := startOwnRunner(t, p, leaseSite, "runner-lease", p.Harbors[sandbox.TaskRunnerSite].URL[len("http://"):])
	ownKey := client.ObjectKey{Namespace: key.Namespace, Name: tasksv1.LeaseNamePrefix + leaseSite}
	held := waitLease(t, c, ownKey, func(l *coordinationv1.Lease) bool { return ptr.Deref(l.Spec.HolderIdentity, "") == "runner-lease" })
	if held.Spec.RenewTime == nil {
		t.Fatal("a held Lease has no renew time")
	}
	stop()
	if err := c.Get(ctx, ownKey, held); err != nil {
		t.Fatal(err)
	}
	if held.Spec.HolderIdentity != nil || held.Spec.RenewTime != nil {
		t.Errorf("a stopped runner's Lease is still held by %q", ptr.Deref(held.Spec.HolderIdentity, ""))
	}
}

// waitLease watches the Lease key until cond holds.
func waitLease(t *testing.T, c client.WithWatch, key client.ObjectKey, cond func(*coordinationv1.Lease) bool) *coordinationv1.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := c.Watch(ctx, &coordinationv1.LeaseList{}, client.InNamespace(key.Namespace), client.MatchingFields{"metadata.name": key.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if l, ok := ev.Object.(*coordinationv1.Lease); ok && cond(l) {
			return l
		}
	}
	t.Fatalf("Lease %s: the condition did not hold within a minute", key)
	return nil
}
