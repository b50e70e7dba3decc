package taskrunner

import (
	"context"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
)

// newTestRunner returns a leading runner of site-b over a fake cluster
// holding objs, with the local executor pushing to reg.
func newTestRunner(t *testing.T, reg *testRegistry, objs ...client.Object) (*Runner, client.Client) {
	t.Helper()
	scheme, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&tasksv1.TaskRun{}).WithObjects(objs...).Build()
	r := &Runner{
		Site: "site-b", Identity: "runner-1", WorkDir: t.TempDir(),
		Executors: map[string]Executor{tasksv1.ExecutorLocal: newExecutor(t, reg)},
		Client:    c, Live: c, Log: logr.Discard(),
	}
	r.SetLeader(true)
	return r, c
}

func reconcileRun(t *testing.T, r *Runner, c client.Client, run *tasksv1.TaskRun) *tasksv1.TaskRun {
	t.Helper()
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(run)}); err != nil {
		t.Fatal(err)
	}
	got := &tasksv1.TaskRun{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(run), got); err != nil {
		t.Fatal(err)
	}
	return got
}

func phases(run *tasksv1.TaskRun) map[string]string {
	m := map[string]string{}
	for _, s := range run.Status.Steps {
		m[s.Name] = s.Phase
	}
	return m
}

func TestRunnerRunsAllSteps(t *testing.T) {
	reg := newTestRegistry(t)
	repo, commit := newTestRepo(t, map[string]string{"hello.txt": "hello\n"})
	run := testRun("ok", repo.dir, "main", tasksv1.TaskRunBuild{Command: `cp hello.txt "$OUT/"`})
	r, c := newTestRunner(t, reg, run)
	got := reconcileRun(t, r, c, run)
	if got.Status.Phase != tasksv1.PhaseSucceeded {
		t.Fatalf("phase %s (%s), want Succeeded", got.Status.Phase, got.Status.Message)
	}
	want := map[string]string{"checkout": "Succeeded", "build": "Succeeded", "push": "Succeeded", "scan": "Skipped", "replicate": "Skipped"}
	if diff := cmp.Diff(want, phases(got)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if got.Status.ResolvedCommit != commit || got.Status.Runner != "runner-1" || got.Status.StartedAt == nil || got.Status.FinishedAt == nil {
		t.Errorf("status %+v lacks the commit, runner or times", got.Status)
	}
	if !strings.HasPrefix(got.Status.ImageDigest, "sha256:") || got.Status.ImageRef != reg.host+"/team/svc@"+got.Status.ImageDigest {
		t.Errorf("digest %q ref %q", got.Status.ImageDigest, got.Status.ImageRef)
	}
	for _, s := range got.Status.Steps {
		if s.Phase == tasksv1.PhaseSucceeded && (s.StartedAt == nil || s.FinishedAt == nil) {
			t.Errorf("step %s has no start or finish time", s.Name)
		}
	}
	// An ended run is left alone.
	again := reconcileRun(t, r, c, got)
	if again.ResourceVersion != got.ResourceVersion {
		t.Error("a Succeeded run was written again")
	}
}

func TestRunnerFailsAtTheFailingStep(t *testing.T) {
	repo, _ := newTestRepo(t, map[string]string{"main.go": "package main\n"})
	run := testRun("broken", repo.dir, "main", tasksv1.TaskRunBuild{Command: `echo "./main.go:1:1: expected 'package', found oops" >&2; exit 1`})
	r, c := newTestRunner(t, nil, run)
	got := reconcileRun(t, r, c, run)
	if got.Status.Phase != tasksv1.PhaseFailed {
		t.Fatalf("phase %s, want Failed", got.Status.Phase)
	}
	want := map[string]string{"checkout": "Succeeded", "build": "Failed", "push": "Pending", "scan": "Skipped", "replicate": "Skipped"}
	if diff := cmp.Diff(want, phases(got)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if !strings.Contains(got.Status.LogTail, "expected 'package', found oops") || !strings.HasPrefix(got.Status.Message, "step build failed: ") {
		t.Errorf("message %q, log tail %q", got.Status.Message, got.Status.LogTail)
	}
}

func TestRunnerRefusesAnExecutorItDoesNotOffer(t *testing.T) {
	run := testRun("job", "https://git.example/x.git", "main", tasksv1.TaskRunBuild{Executor: tasksv1.ExecutorKubernetesJob})
	r, c := newTestRunner(t, nil, run)
	got := reconcileRun(t, r, c, run)
	if got.Status.Phase != tasksv1.PhaseFailed || !strings.Contains(got.Status.Message, `does not offer executor "kubernetes_job"`) {
		t.Errorf("phase %s, message %q", got.Status.Phase, got.Status.Message)
	}
}

func TestRunnerLeavesRunsOfOtherSitesAndWaitsForTheLease(t *testing.T) {
	other := testRun("other", "https://git.example/x.git", "main", tasksv1.TaskRunBuild{})
	other.Spec.Site, other.Labels[tasksv1.LabelSite] = "site-a", "site-a"
	mine := testRun("mine", "https://git.example/x.git", "main", tasksv1.TaskRunBuild{})
	r, c := newTestRunner(t, nil, other, mine)
	if got := reconcileRun(t, r, c, other); got.Status.Phase != "" {
		t.Errorf("a run of another site got phase %s", got.Status.Phase)
	}
	r.SetLeader(false)
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(mine)})
	if err != nil || res.RequeueAfter == 0 {
		t.Errorf("without the Lease: %+v, %v; want a requeue", res, err)
	}
	if got := reconcileRun(t, r, c, mine); got.Status.Phase != "" {
		t.Errorf("a runner without the Lease claimed the run (phase %s)", got.Status.Phase)
	}
}

// TestRunnerResumesWithoutPushingTwice: a run found Running with its push
// recorded resumes after the push; one whose push was under way when the
// runner stopped rebuilds (its work directory is gone) and finds the image
// already in the registry.
func TestRunnerResumesWithoutPushingTwice(t *testing.T) {
	reg := newTestRegistry(t)
	repo, _ := newTestRepo(t, map[string]string{"hello.txt": "hello\n"})
	run := testRun("resume", repo.dir, "main", tasksv1.TaskRunBuild{Command: `cp hello.txt "$OUT/"`})
	r, c := newTestRunner(t, reg, run)
	done := reconcileRun(t, r, c, run)
	if done.Status.Phase != tasksv1.PhaseSucceeded || reg.manifestPuts("team/svc") != 1 {
		t.Fatalf("first execution: phase %s, %d pushes", done.Status.Phase, reg.manifestPuts("team/svc"))
	}

	// The push was under way when the runner died (a new runner, a fresh
	// work directory): checkout and build are redone, the push finds the
	// image.
	mid := done.DeepCopy()
	mid.Status.Phase, mid.Status.FinishedAt = tasksv1.PhaseRunning, nil
	mid.Status.ImageDigest, mid.Status.ImageRef = "", ""
	mid.Status.Steps[2].Phase, mid.Status.Steps[2].FinishedAt = tasksv1.PhaseRunning, nil
	if err := c.Status().Update(context.Background(), mid); err != nil {
		t.Fatal(err)
	}
	r2, _ := newTestRunner(t, reg)
	r2.Client, r2.Live, r2.Identity = c, c, "runner-2"
	got := reconcileRun(t, r2, c, mid)
	if got.Status.Phase != tasksv1.PhaseSucceeded || got.Status.ImageDigest != done.Status.ImageDigest || got.Status.Runner != "runner-2" {
		t.Errorf("resumed run: phase %s digest %s runner %s", got.Status.Phase, got.Status.ImageDigest, got.Status.Runner)
	}
	if !strings.Contains(got.Status.Steps[2].Message, "in the registry already") {
		t.Errorf("push message %q", got.Status.Steps[2].Message)
	}

	// The push was recorded: nothing before the scan is taken again.
	after := got.DeepCopy()
	after.Status.Phase, after.Status.FinishedAt = tasksv1.PhaseRunning, nil
	if err := c.Status().Update(context.Background(), after); err != nil {
		t.Fatal(err)
	}
	pushStarted := got.Status.Steps[2].StartedAt
	r3, _ := newTestRunner(t, nil)
	r3.Client, r3.Live = c, c
	final := reconcileRun(t, r3, c, after)
	if final.Status.Phase != tasksv1.PhaseSucceeded || !final.Status.Steps[2].StartedAt.Equal(pushStarted) {
		t.Errorf("a run resumed after its push took the push again (phase %s)", final.Status.Phase)
	}
	if n := reg.manifestPuts("team/svc"); n != 1 {
		t.Errorf("%d manifest pushes over three executions, want 1", n)
	}
}
