//go:build platform

package gitops_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// Environment of the second committing process (see runChildCommitter).
const (
	envChild     = "MC_GITOPS_TEST_CHILD"
	envChildRepo = "MC_GITOPS_TEST_REPO"
	envChildUser = "MC_GITOPS_TEST_USER"
	envChildPass = "MC_GITOPS_TEST_PASSWORD"
	envChildN    = "MC_GITOPS_TEST_N"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "commit" {
		os.Exit(runChildCommitter())
	}
	sandboxtest.Main(m)
}

// runChildCommitter is the second process of TestConcurrentCommitsLoseNothing:
// its own committer (own lock, own copy of the repository) commits N files
// from N goroutines into the same branch.
func runChildCommitter() int {
	n, _ := strconv.Atoi(os.Getenv(envChildN))
	repo := git.Repository{URL: os.Getenv(envChildRepo), Username: os.Getenv(envChildUser), Password: os.Getenv(envChildPass)}
	c := git.NewCommitter()
	var wg sync.WaitGroup
	var failed sync.Map
	var attempts atomic.Int64
	fmt.Println("ready") // the first process starts its writers now
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("second/app-%02d.yaml", i)
			res, err := c.Commit(context.Background(), repo, "main", git.Change{Message: "second process " + name, Files: map[string]string{name: fmt.Sprintf("n: %d\n", i)}})
			if err != nil {
				failed.Store(name, err)
			}
			attempts.Add(int64(res.Attempts))
		})
	}
	wg.Wait()
	fmt.Printf("attempts %d\n", attempts.Load())
	code := 0
	failed.Range(func(k, v any) bool {
		fmt.Fprintf(os.Stderr, "commit %s: %v\n", k, v)
		code = 1
		return true
	})
	return code
}

// fixture is what the tests share: the platform, a client of its cluster
// and a repository of their own on the sandbox git server.
type fixture struct {
	p      *sandbox.Platform
	dc     dynamic.Interface
	suffix string
	target gitops.Target
	bare   string // the bare repository on disk, for counting with git
}

func newFixture(t testing.TB, repoName string) *fixture {
	t.Helper()
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	name := "gitops-" + repoName + "-" + suffix
	url, err := p.CreateGitRepo(context.Background(), name, map[string]string{"README.md": "GitOps test repository\n"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		p: p, dc: dc, suffix: suffix,
		target: gitops.Target{Repo: git.Repository{URL: url, Username: p.GitUsername, Password: p.GitPassword}, Branch: "main"},
		bare:   filepath.Join(p.GitRoot, name+".git"),
	}
}

// git runs git on the bare repository and returns its trimmed output.
func (f *fixture) git(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"--git-dir", f.bare}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

var namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// application creates an Argo CD Application following path of the
// fixture's repository into namespace ns of the platform's own cluster,
// with one retry, auto-synced unless manual, and deletes it (with its
// resources) at the end.
func (f *fixture) application(t testing.TB, name, path, ns string, manual bool) gitops.App {
	t.Helper()
	app := gitops.App{Namespace: f.p.ArgoCDNamespace, Name: name, ManualSync: manual}
	policy := map[string]any{
		"syncOptions": []any{"CreateNamespace=true"},
		"retry":       map[string]any{"limit": int64(1), "backoff": map[string]any{"duration": "1s", "factor": int64(2), "maxDuration": "5s"}},
	}
	if !manual {
		policy["automated"] = map[string]any{"prune": true, "selfHeal": true}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kube.ApplicationGVR.GroupVersion().String(),
		"kind":       "Application",
		"metadata": map[string]any{
			"name": name, "namespace": app.Namespace,
			"finalizers": []any{kube.ArgoCDResourcesFinalizer},
		},
		"spec": map[string]any{
			"project":     "default",
			"source":      map[string]any{"repoURL": f.target.Repo.URL, "targetRevision": f.target.Branch, "path": path},
			"destination": map[string]any{"name": f.p.ArgoCDClusterName, "namespace": ns},
			"syncPolicy":  policy,
		},
	}}
	apps := f.dc.Resource(kube.ApplicationGVR).Namespace(app.Namespace)
	if _, err := apps.Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("cannot create application %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = kube.DeleteApplication(ctx, f.dc, app.Namespace, name)
		for ctx.Err() == nil {
			if _, err := apps.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
		_ = f.dc.Resource(namespacesGVR).Delete(ctx, ns, metav1.DeleteOptions{})
	})
	return app
}

func deployment(ns, name, image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  replicas: 2
  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
    spec:
      containers:
      - name: app
        image: %[3]s
`, ns, name, image)
}

func configMap(ns, name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  value: %q\n", name, ns, value)
}

// TestCommitIsIdempotent commits the same content twice to the sandbox git
// server: the second makes no commit and returns the same revision.
func TestCommitIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "idem")
	d := gitops.New(git.NewCommitter())
	ctx := context.Background()
	change := git.Change{Message: "add app", Files: map[string]string{"apps/a/cm.yaml": configMap("a", "a", "1")}}
	first, err := d.Commit(ctx, f.dc, f.target, change)
	if err != nil || !first.Committed {
		t.Fatalf("Commit() = %+v, %v; want a commit", first, err)
	}
	if tip := f.git(t, "rev-parse", "main"); first.SHA != tip {
		t.Errorf("Commit() revision %s, want the tip %s", first.SHA, tip)
	}
	// Someone else moves the branch on, elsewhere in the repository.
	other, err := git.NewCommitter().Commit(ctx, f.target.Repo, "main", git.Change{Files: map[string]string{"apps/b/cm.yaml": configMap("b", "b", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	commits := f.git(t, "rev-list", "--count", "main")
	// A fresh Delivery (a restarted process) commits the same content.
	again, err := gitops.New(git.NewCommitter()).Commit(ctx, f.dc, f.target, change)
	if err != nil || again.Committed {
		t.Fatalf("second Commit() = %+v, %v; want no commit", again, err)
	}
	if again.SHA != first.SHA {
		t.Errorf("second Commit() revision %s, want %s: the commit that made the content, not the tip %s", again.SHA, first.SHA, other.SHA)
	}
	if got := f.git(t, "rev-list", "--count", "main"); got != commits {
		t.Errorf("main has %s commits after the idempotent commit, want %s", got, commits)
	}
	if rev, err := gitops.New(git.NewCommitter()).Revision(ctx, f.target, gitops.ChangePaths(change)); err != nil || rev != first.SHA {
		t.Errorf("Revision() of a fresh Delivery = %s, %v; want %s", rev, err, first.SHA)
	}
}

// TestConcurrentCommitsLoseNothing commits 20 files from 20 goroutines of
// this process and 10 from a second process into one branch at once.
func TestConcurrentCommitsLoseNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "conc")
	ctx := context.Background()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), envChild+"=commit", envChildRepo+"="+f.target.Repo.URL, envChildUser+"="+f.target.Repo.Username,
		envChildPass+"="+f.target.Repo.Password, envChildN+"=10")
	var childErr strings.Builder
	child.Stderr = &childErr
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	childOut := bufio.NewScanner(stdout)
	if !childOut.Scan() || childOut.Text() != "ready" {
		t.Fatalf("second process did not start: %q %v %s", childOut.Text(), childOut.Err(), childErr.String())
	}
	d := gitops.New(git.NewCommitter())
	var wg sync.WaitGroup
	var mu sync.Mutex
	revisions := map[string]string{}
	attempts := 0
	for i := range 20 {
		wg.Go(func() {
			name := fmt.Sprintf("first/app-%02d.yaml", i)
			res, err := d.Commit(ctx, f.dc, f.target, git.Change{Message: "first process " + name, Files: map[string]string{name: fmt.Sprintf("n: %d\n", i)}})
			if err != nil {
				t.Errorf("Commit(%s) = %v", name, err)
				return
			}
			mu.Lock()
			revisions[name] = res.SHA
			attempts += res.Attempts
			mu.Unlock()
		})
	}
	wg.Wait()
	var childReport []string
	for childOut.Scan() {
		childReport = append(childReport, childOut.Text())
	}
	if err := child.Wait(); err != nil {
		t.Errorf("second process: %v\n%s", err, childErr.String())
	}
	t.Logf("this process pushed its 20 commits in %d attempts, the second process its 10 in: %s", attempts, strings.Join(childReport, " "))
	files := strings.Split(f.git(t, "ls-tree", "-r", "--name-only", "main"), "\n")
	want := []string{"README.md"}
	for i := range 20 {
		want = append(want, fmt.Sprintf("first/app-%02d.yaml", i))
	}
	for i := range 10 {
		want = append(want, fmt.Sprintf("second/app-%02d.yaml", i))
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files on main (-want +got):\n%s", diff)
	}
	if got := f.git(t, "rev-list", "--count", "main"); got != "31" {
		t.Errorf("main has %s commits, want 31 (the initial one and 30 changes)", got)
	}
	// Each revision returned is in the history and holds its file.
	for name, rev := range revisions {
		if content := f.git(t, "show", rev+":"+name); !strings.HasPrefix(content, "n: ") {
			t.Errorf("revision %s returned for %s does not hold it: %q", rev, name, content)
		}
		f.git(t, "merge-base", "--is-ancestor", rev, "main")
	}
}

// watchRefresh reports whether a watch on app, started now, sees the
// refresh annotation with value want before ctx ends.
func watchRefresh(ctx context.Context, t testing.TB, dc dynamic.Interface, app gitops.App, want kube.RefreshType) <-chan bool {
	t.Helper()
	out := make(chan bool, 1)
	w, err := dc.Resource(kube.ApplicationGVR).Namespace(app.Namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", app.Name).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			if u, ok := ev.Object.(*unstructured.Unstructured); ok && u.GetAnnotations()[kube.RefreshAnnotation] == string(want) {
				out <- true
				return
			}
		}
		out <- false
	}()
	return out
}

// TestWaitReturnsAtCommittedRevision lets Argo CD sync a ConfigMap, then
// commits a change and waits for it: the wait returns with Argo CD Synced
// and Healthy at exactly the committed revision, and the cluster has the
// change. The commit asks Argo CD to refresh.
func TestWaitReturnsAtCommittedRevision(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "wait")
	sandboxtest.Require(t, f.p, sandboxtest.ArgoCD...)
	ctx := context.Background()
	ns := "gitops-wait-" + f.suffix
	d := gitops.New(git.NewCommitter())
	path := "apps/web"
	first, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{
		path + "/cm.yaml": configMap(ns, "web", "v1"), path + "/deploy.yaml": deployment(ns, "web", "registry.example/web:v1"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	app := f.application(t, "gitops-wait-"+f.suffix, path, ns, false)
	s, err := d.Wait(ctx, f.dc, f.target, app, first.SHA, engine.WaitOptions{Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("Wait() for the first revision = %v (last: %s)", err, s.Message)
	}

	watchCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	refreshed := watchRefresh(watchCtx, t, f.dc, app, kube.RefreshNormal)
	second, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{
		path + "/cm.yaml": configMap(ns, "web", "v2"), path + "/deploy.yaml": deployment(ns, "web", "registry.example/web:v2"),
	}}, app)
	if err != nil || !second.Committed {
		t.Fatalf("Commit() = %+v, %v", second, err)
	}
	t0 := time.Now()
	s, err = d.Wait(ctx, f.dc, f.target, app, second.SHA, engine.WaitOptions{Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("Wait() = %v (last: %s)", err, s.Message)
	}
	t.Logf("commit to synced: %s (%s)", time.Since(t0).Round(time.Millisecond), s.Message)
	if !s.Ready || s.State.SyncRevision != second.SHA || s.State.SyncStatus != "Synced" || s.State.HealthStatus != "Healthy" {
		t.Errorf("Wait() = ready %v, %s at %s health %s; want Synced and Healthy at %s", s.Ready, s.State.SyncStatus, s.State.SyncRevision, s.State.HealthStatus, second.SHA)
	}
	if op := s.State.Operation; op == nil || op.Phase != kube.OperationSucceeded || op.Revision != second.SHA {
		t.Errorf("last operation = %+v, want Succeeded at %s", op, second.SHA)
	}
	cm, err := f.dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the ConfigMap Argo CD synced: %v", err)
	}
	if v, _, _ := unstructured.NestedString(cm.Object, "data", "value"); v != "v2" {
		t.Errorf("ConfigMap value = %q, want v2", v)
	}
	// Healthy means the new Deployment rolled out: Argo CD waits for it.
	dep, err := f.dc.Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}).Namespace(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Deployment Argo CD synced: %v", err)
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	updated, _, _ := unstructured.NestedInt64(dep.Object, "status", "updatedReplicas")
	available, _, _ := unstructured.NestedInt64(dep.Object, "status", "availableReplicas")
	if len(containers) != 1 || containers[0].(map[string]any)["image"] != "registry.example/web:v2" || updated != 2 || available != 2 {
		t.Errorf("Deployment when the wait returned: containers %v, %d updated and %d available replicas; want image v2 on 2 and 2", containers, updated, available)
	}
	if !<-refreshed {
		t.Errorf("no watch event showed the refresh annotation %s=%s on %s", kube.RefreshAnnotation, kube.RefreshNormal, app)
	}

	// Observe of an older revision: the synced one contains it.
	if s, err := d.Observe(ctx, f.dc, f.target, app, first.SHA); err != nil || !s.Ready {
		t.Errorf("Observe() of the older revision = ready %v, %v (%s); want ready", s.Ready, err, s.Message)
	}
}

// TestRejectedManifestFailsFast commits a ConfigMap whose name the API
// server rejects: the wait ends with a terminal error carrying Argo CD's
// message once Argo CD's one retry is spent, long before its timeout.
func TestRejectedManifestFailsFast(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "fail")
	sandboxtest.Require(t, f.p, sandboxtest.ArgoCD...)
	ctx := context.Background()
	ns := "gitops-fail-" + f.suffix
	d := gitops.New(git.NewCommitter())
	path := "apps/bad"
	good, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{path + "/good.yaml": configMap(ns, "good", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	app := f.application(t, "gitops-fail-"+f.suffix, path, ns, false)
	if s, err := d.Wait(ctx, f.dc, f.target, app, good.SHA, engine.WaitOptions{Timeout: 3 * time.Minute}); err != nil {
		t.Fatalf("Wait() for the good revision = %v (last: %s)", err, s.Message)
	}
	res, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{path + "/bad.yaml": configMap(ns, "Bad_Name", "1")}}, app)
	if err != nil {
		t.Fatal(err)
	}
	// The timeout is far beyond what the test needs: a wait that ends by
	// timing out is the failure under test.
	t0 := time.Now()
	s, err := d.Wait(ctx, f.dc, f.target, app, res.SHA, engine.WaitOptions{Timeout: 10 * time.Minute})
	var term *engine.TerminalError
	if !errors.As(err, &term) {
		t.Fatalf("Wait() = %v (timeout: %v), want a *engine.TerminalError; last: %s", err, engine.IsTimeout(err), s.Message)
	}
	t.Logf("commit to failure: %s: %s", time.Since(t0).Round(time.Millisecond), term.Message)
	if op := s.State.Operation; op != nil {
		t.Logf("Argo CD's operation (whole seconds): started %s, finished %s", op.StartedAt.Format(time.TimeOnly), op.FinishedAt.Format(time.TimeOnly))
	}
	for _, want := range []string{"Bad_Name", "ended Failed", "after 1 retries", res.SHA[:12], app.Name} {
		if !strings.Contains(term.Message, want) {
			t.Errorf("terminal error %q does not contain %q", term.Message, want)
		}
	}
	if op := s.State.Operation; op == nil || op.Phase != kube.OperationFailed || op.RetryCount != op.RetryLimit || op.Revision != res.SHA {
		t.Errorf("operation = %+v, want Failed at %s with its retries spent", op, res.SHA)
	}
	if strings.Contains(err.Error(), f.target.Repo.Password) {
		t.Errorf("error shows the git password: %v", err)
	}
}

// TestWaitTimesOut waits for an application that never appears: the wait
// ends with the engine's timeout, not a failure, and says where it stands.
func TestWaitTimesOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "timeout")
	ctx := context.Background()
	d := gitops.New(git.NewCommitter())
	res, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{"apps/none/cm.yaml": configMap("none", "none", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	app := gitops.App{Namespace: f.p.ArgoCDNamespace, Name: "gitops-never-" + f.suffix}
	_, err = d.Wait(ctx, f.dc, f.target, app, res.SHA, engine.WaitOptions{Timeout: 2 * time.Second})
	var timeout *engine.TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("Wait() = %v, want a *engine.TimeoutError", err)
	}
	if want := "application " + app.String() + ": the application does not exist yet"; timeout.Message != want {
		t.Errorf("timeout message = %q, want %q", timeout.Message, want)
	}
}

// TestManualSyncIsRequested waits for an application without an automated
// sync policy: Observe asks Argo CD to sync the committed revision, once.
func TestManualSyncIsRequested(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "manual")
	sandboxtest.Require(t, f.p, sandboxtest.ArgoCD...)
	ctx := context.Background()
	ns := "gitops-manual-" + f.suffix
	d := gitops.New(git.NewCommitter())
	path := "apps/manual"
	res, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{path + "/cm.yaml": configMap(ns, "manual", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	app := f.application(t, "gitops-manual-"+f.suffix, path, ns, true)
	// Observe alone (Terraform's plan) asks for nothing.
	if s, err := d.Observe(ctx, f.dc, f.target, app, res.SHA); err != nil || s.Ready {
		t.Fatalf("Observe() before any sync = ready %v, %v; want not ready", s.Ready, err)
	}
	if u, err := f.dc.Resource(kube.ApplicationGVR).Namespace(app.Namespace).Get(ctx, app.Name, metav1.GetOptions{}); err != nil ||
		u.Object["operation"] != nil || u.GetAnnotations()[kube.RefreshAnnotation] != "" {
		t.Fatalf("Observe() wrote to the application: operation %v, annotations %v, %v", u.Object["operation"], u.GetAnnotations(), err)
	}
	s, err := d.Wait(ctx, f.dc, f.target, app, res.SHA, engine.WaitOptions{Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("Wait() = %v (last: %s)", err, s.Message)
	}
	if s.State.Automated || s.State.SyncRevision != res.SHA {
		t.Errorf("Wait() returned on automated=%v at %s, want a manual application at %s", s.State.Automated, s.State.SyncRevision, res.SHA)
	}
	u, err := f.dc.Resource(kube.ApplicationGVR).Namespace(app.Namespace).Get(ctx, app.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	by, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "operation", "initiatedBy", "username")
	rev, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "operation", "sync", "revision")
	if by != gitops.InitiatedBy || rev != res.SHA {
		t.Errorf("last operation initiated by %q for revision %q, want %q for %s", by, rev, gitops.InitiatedBy, res.SHA)
	}
	// Settled: observing again asks for nothing more.
	if s, err := d.Observe(ctx, f.dc, f.target, app, res.SHA); err != nil || !s.Ready {
		t.Fatalf("Observe() = ready %v, %v", s.Ready, err)
	}
	if u, err := f.dc.Resource(kube.ApplicationGVR).Namespace(app.Namespace).Get(ctx, app.Name, metav1.GetOptions{}); err != nil || u.Object["operation"] != nil {
		t.Errorf("Observe() of a synced application set an operation: %v, %v", u.Object["operation"], err)
	}
}

// TestUnloadableManifestFailsFast commits a file Argo CD cannot parse into
// a synced application: Argo CD cannot load the target state, syncs
// nothing, and the wait ends with a terminal error carrying its message.
func TestUnloadableManifestFailsFast(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "unload")
	sandboxtest.Require(t, f.p, sandboxtest.ArgoCD...)
	ctx := context.Background()
	ns := "gitops-unload-" + f.suffix
	d := gitops.New(git.NewCommitter())
	path := "apps/unload"
	good, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{path + "/good.yaml": configMap(ns, "good", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	app := f.application(t, "gitops-unload-"+f.suffix, path, ns, false)
	if s, err := d.Wait(ctx, f.dc, f.target, app, good.SHA, engine.WaitOptions{Timeout: 3 * time.Minute}); err != nil {
		t.Fatalf("Wait() for the good revision = %v (last: %s)", err, s.Message)
	}
	res, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{path + "/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n"}}, app)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	s, err := d.Wait(ctx, f.dc, f.target, app, res.SHA, engine.WaitOptions{Timeout: 10 * time.Minute})
	var term *engine.TerminalError
	if !errors.As(err, &term) {
		t.Fatalf("Wait() = %v (timeout: %v), want a *engine.TerminalError; last: %s", err, engine.IsTimeout(err), s.Message)
	}
	t.Logf("commit to failure: %s: %s", time.Since(t0).Round(time.Millisecond), term.Message)
	for _, want := range []string{"cannot load the target state", "broken.yaml", res.SHA[:12], app.Name} {
		if !strings.Contains(term.Message, want) {
			t.Errorf("terminal error %q does not contain %q", term.Message, want)
		}
	}
	if s.State.ComparisonError == "" || s.State.SyncStatus != "Unknown" {
		t.Errorf("Argo CD reports %s with comparison error %q, want Unknown with one", s.State.SyncStatus, s.State.ComparisonError)
	}

	// The fix is waited for, not failed by the broken revision's error
	// that Argo CD still shows right after the commit.
	fix, err := d.Commit(ctx, f.dc, f.target, git.Change{Delete: []string{path + "/broken.yaml"}}, app)
	if err != nil || !fix.Committed {
		t.Fatalf("Commit() of the fix = %+v, %v", fix, err)
	}
	if s, err := d.Wait(ctx, f.dc, f.target, app, fix.SHA, engine.WaitOptions{Timeout: 3 * time.Minute}); err != nil || s.State.SyncRevision != fix.SHA {
		t.Fatalf("Wait() for the fix = %v at %s (last: %s), want Synced at %s", err, s.State.SyncRevision, s.Message, fix.SHA)
	}
}

// TestMultiSourceApplication waits for an application with two sources,
// another repository first: the wait follows the source of the committed
// repository.
func TestMultiSourceApplication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "multi")
	sandboxtest.Require(t, f.p, sandboxtest.ArgoCD...)
	ctx := context.Background()
	ns := "gitops-multi-" + f.suffix
	otherURL, err := f.p.CreateGitRepo(ctx, "gitops-multi-other-"+f.suffix, map[string]string{"base/cm.yaml": configMap(ns, "base", "1")})
	if err != nil {
		t.Fatal(err)
	}
	d := gitops.New(git.NewCommitter())
	path := "apps/multi"
	first, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{path + "/cm.yaml": configMap(ns, "multi", "1")}})
	if err != nil {
		t.Fatal(err)
	}
	app := gitops.App{Namespace: f.p.ArgoCDNamespace, Name: "gitops-multi-" + f.suffix}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kube.ApplicationGVR.GroupVersion().String(),
		"kind":       "Application",
		"metadata":   map[string]any{"name": app.Name, "namespace": app.Namespace, "finalizers": []any{kube.ArgoCDResourcesFinalizer}},
		"spec": map[string]any{
			"project": "default",
			"sources": []any{
				map[string]any{"repoURL": otherURL, "targetRevision": "main", "path": "base"},
				map[string]any{"repoURL": f.target.Repo.URL, "targetRevision": "main", "path": path},
			},
			"destination": map[string]any{"name": f.p.ArgoCDClusterName, "namespace": ns},
			"syncPolicy":  map[string]any{"automated": map[string]any{"prune": true}, "syncOptions": []any{"CreateNamespace=true"}},
		},
	}}
	apps := f.dc.Resource(kube.ApplicationGVR).Namespace(app.Namespace)
	if _, err := apps.Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = kube.DeleteApplication(ctx, f.dc, app.Namespace, app.Name)
		for ctx.Err() == nil {
			if _, err := apps.Get(ctx, app.Name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
		_ = f.dc.Resource(namespacesGVR).Delete(ctx, ns, metav1.DeleteOptions{})
	})
	if s, err := d.Wait(ctx, f.dc, f.target, app, first.SHA, engine.WaitOptions{Timeout: 3 * time.Minute}); err != nil {
		t.Fatalf("Wait() for the first revision = %v (last: %s)", err, s.Message)
	}
	second, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{path + "/cm.yaml": configMap(ns, "multi", "2")}}, app)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Wait(ctx, f.dc, f.target, app, second.SHA, engine.WaitOptions{Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("Wait() = %v (last: %s)", err, s.Message)
	}
	if s.State.SyncRevision != second.SHA || len(s.State.SyncRevisions) != 2 || s.State.SyncRevisions[1] != second.SHA {
		t.Errorf("Wait() returned at %s (revisions %v), want the second source at %s", s.State.SyncRevision, s.State.SyncRevisions, second.SHA)
	}
	if op := s.State.Operation; op == nil || op.Phase != kube.OperationSucceeded || op.Revision != second.SHA {
		t.Errorf("last operation = %+v, want Succeeded with the second source at %s", op, second.SHA)
	}
}
