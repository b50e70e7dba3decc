//go:build platform

package taskrunner_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
	"github.com/mcplatform/terraform-provider-mc/internal/taskrunner"
)

// jobSite is the site of this test's runner with the kubernetes_job
// executor.
const jobSite = "taskrunner-test-job"

// unschedulable keeps the build pods off kwok's node: kwok does not run
// containers (it would only mark the pod Succeeded with no termination
// message), so the test plays the kubelet and sets the pod's status itself.
var unschedulable = map[string]string{"mc.mcplatform.dev/test-builder": "none"}

// startJobRunner runs a runner of jobSite offering both executors.
func startJobRunner(t *testing.T, p *sandbox.Platform) {
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
			Site: jobSite, Namespace: sandbox.TaskRunnerNamespace, Identity: "runner-job",
			HarborURL: h.URL, Harbor: taskrunner.Credentials{Username: h.Username, Password: h.Password},
			Git:     taskrunner.Credentials{Username: p.Bitbucket.Username, Password: p.Bitbucket.Password},
			WorkDir: t.TempDir(), CacheDir: t.TempDir(),
			Executors: []string{tasksv1.ExecutorLocal, tasksv1.ExecutorKubernetesJob}, JobNodeSelector: unschedulable,
			Log: logr.Discard(),
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("job runner: %v", err)
		}
	})
}

// buildJob waits for the run's build Job and its pod.
func buildJob(t *testing.T, c client.WithWatch, run *tasksv1.TaskRun) (*batchv1.Job, *corev1.Pod) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := c.Watch(ctx, &corev1.PodList{}, client.InNamespace(run.Namespace), client.MatchingLabels{taskrunner.LabelRun: run.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok || len(pod.OwnerReferences) == 0 {
			continue
		}
		job := &batchv1.Job{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: pod.OwnerReferences[0].Name}, job); err != nil {
			t.Fatal(err)
		}
		if job.UID != pod.OwnerReferences[0].UID {
			continue // a pod of an earlier run's Job
		}
		return job, pod
	}
	t.Fatalf("no build pod of TaskRun %s within 2 minutes", run.Name)
	return nil, nil
}

// terminate sets the build pod's status as a kubelet would when the
// builder exits with exitCode and writes message to its termination log.
func terminate(t *testing.T, c client.Client, pod *corev1.Pod, exitCode int32, message string) {
	t.Helper()
	now := metav1.Now()
	phase, reason := corev1.PodSucceeded, "Completed"
	if exitCode != 0 {
		phase, reason = corev1.PodFailed, "Error"
	}
	pod.Status = corev1.PodStatus{
		Phase:     phase,
		StartTime: &now,
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: taskrunner.BuildContainer, Image: pod.Spec.Containers[0].Image, ImageID: "",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: exitCode, Reason: reason, Message: message, StartedAt: now, FinishedAt: now}},
		}},
	}
	if err := c.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
}

// TestJobExecutorOnKwok tests the kubernetes_job executor at the
// orchestration level: the Job it makes (builder, args, resources), a
// Complete Job mapped to a succeeded run with the digest of the termination
// message, a Failed Job to a failed run with the log tail. kwok runs no
// containers: the test sets the build pod's status itself, and the Job
// controller of the platform turns it into the Job's condition.
func TestJobExecutorOnKwok(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	c := platformClient(t, p)
	startJobRunner(t, p)
	repoURL := p.Bitbucket.TemplateURL(sandbox.TemplateGoService)
	spec := tasksv1.TaskRunSpec{
		Site:   jobSite,
		Source: tasksv1.TaskRunSource{RepoURL: repoURL, Revision: "main"},
		Build:  tasksv1.TaskRunBuild{Executor: tasksv1.ExecutorKubernetesJob, ContextDir: "service", TimeoutSeconds: 900},
		Image:  tasksv1.TaskRunImage{Project: harborProject, Repository: "kaniko"},
	}
	run := startRun(t, c, "taskrunner-test-job-ok", spec)
	job, pod := buildJob(t, c, run)

	building := waitFor(t, c, run, time.Minute, "the build step", func(r *tasksv1.TaskRun) bool {
		return stepPhase(r, tasksv1.StepBuild) == tasksv1.PhaseRunning
	})
	commit := building.Status.ResolvedCommit
	if len(commit) != 40 {
		t.Fatalf("resolved commit %q", commit)
	}
	registry := strings.TrimPrefix(p.Harbors[sandbox.TaskRunnerSite].URL, "http://")
	hostPath := strings.TrimPrefix(repoURL, "http://")
	wantArgs := []string{
		"--context=git://" + hostPath + "#" + commit,
		"--destination=" + registry + "/" + harborProject + "/kaniko:" + commit[:12],
		"--digest-file=/dev/termination-log",
		"--reproducible",
		"--label=org.opencontainers.image.revision=" + commit,
		"--label=org.opencontainers.image.source=" + repoURL,
		"--context-sub-path=service",
		"--insecure", "--insecure-pull", "--skip-tls-verify",
	}
	ct := job.Spec.Template.Spec.Containers[0]
	if diff := cmp.Diff(wantArgs, ct.Args); diff != "" {
		t.Errorf("builder args (-want +got):\n%s", diff)
	}
	if ct.Image != taskrunner.DefaultBuilderImage || ct.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
		t.Errorf("builder image %s, termination message policy %s", ct.Image, ct.TerminationMessagePolicy)
	}
	if diff := cmp.Diff(taskrunner.JobResources, ct.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if *job.Spec.BackoffLimit != 0 || *job.Spec.TTLSecondsAfterFinished != 3600 || *job.Spec.ActiveDeadlineSeconds != 900 {
		t.Errorf("backoffLimit %d ttl %d deadline %d", *job.Spec.BackoffLimit, *job.Spec.TTLSecondsAfterFinished, *job.Spec.ActiveDeadlineSeconds)
	}
	if !slices.ContainsFunc(ct.Env, func(e corev1.EnvVar) bool { return e.Name == "GIT_PULL_METHOD" && e.Value == "http" }) {
		t.Errorf("env %+v lacks GIT_PULL_METHOD=http", ct.Env)
	}
	sec := &corev1.Secret{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: job.Namespace, Name: job.Name}, sec); err != nil {
		t.Fatalf("the build Job's Secret: %v", err)
	}
	if !strings.Contains(string(sec.Data["config.json"]), `"`+registry+`"`) || len(sec.OwnerReferences) != 1 || sec.OwnerReferences[0].UID != job.UID {
		t.Errorf("the build Job's Secret: owners %+v, config for %s: %t", sec.OwnerReferences, registry, strings.Contains(string(sec.Data["config.json"]), registry))
	}
	for _, e := range ct.Env {
		if strings.Contains(e.Value, p.Bitbucket.Password) {
			t.Errorf("env %s shows the git password", e.Name)
		}
	}

	digest := "sha256:" + strings.Repeat("5e", 32)
	terminate(t, c, pod, 0, digest)
	got := waitEnded(t, c, run, 2*time.Minute)
	if got.Status.Phase != tasksv1.PhaseSucceeded || got.Status.ImageDigest != digest || got.Status.ImageRef != registry+"/"+harborProject+"/kaniko@"+digest {
		t.Errorf("completed Job: %s %q, digest %s ref %s", got.Status.Phase, got.Status.Message, got.Status.ImageDigest, got.Status.ImageRef)
	}

	// A failing builder: the kubelet puts the end of its log into the
	// termination message.
	failing := spec
	failing.Image.Tag = "broken"
	run2 := startRun(t, c, "taskrunner-test-job-fails", failing)
	_, pod2 := buildJob(t, c, run2)
	terminate(t, c, pod2, 1, "Step 3/6 : RUN go build -o /app .\n./main.go:4:2: undefined: undefinedHandler\nerror building image: error building stage: failed to execute command: exit status 1")
	bad := waitEnded(t, c, run2, 2*time.Minute)
	if bad.Status.Phase != tasksv1.PhaseFailed || !strings.HasPrefix(bad.Status.Message, "step build failed: build Job ") {
		t.Errorf("failed Job: %s %q", bad.Status.Phase, bad.Status.Message)
	}
	if !strings.Contains(bad.Status.LogTail, "undefined: undefinedHandler") {
		t.Errorf("log tail %q lacks the builder's message", bad.Status.LogTail)
	}
}
