//go:build platform

package taskrunner_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
	"github.com/mcplatform/terraform-provider-mc/internal/taskrunner"
)

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	sandboxtest.Main(m)
}

// Names of this package's objects on the shared platform.
const (
	harborProject = "taskrunner-test"
	brokenProject = "TRBROKEN"
	brokenRepo    = "taskrunner-broken-service"
)

// renderTemplate renders the Go service template's .tmpl files the way
// mc_application would (name, project, port), then builds a static binary.
const renderAndBuild = `for f in *.tmpl; do sed -e 's/{{ *\.name *}}/hello/g' -e 's/{{ *\.project *}}/demo/g' -e 's/{{ *\.port *}}/8080/g' "$f" > "${f%.tmpl}"; done && CGO_ENABLED=0 go build -trimpath -o "$OUT/app" .`

// platformClient returns a watching client of the platform's cluster.
func platformClient(t *testing.T, p *sandbox.Platform) client.WithWatch {
	t.Helper()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	scheme, err := taskrunner.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startRun creates a fresh TaskRun name for the sandbox's runner site
// (deleting one left by an earlier test run on a reused platform).
func startRun(t *testing.T, c client.Client, name string, spec tasksv1.TaskRunSpec) *tasksv1.TaskRun {
	t.Helper()
	ctx := context.Background()
	old := &tasksv1.TaskRun{ObjectMeta: metav1.ObjectMeta{Namespace: sandbox.TaskRunnerNamespace, Name: name}}
	if err := c.Delete(ctx, old); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	run := &tasksv1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: sandbox.TaskRunnerNamespace, Name: name,
			Labels: map[string]string{tasksv1.LabelSite: spec.Site}},
		Spec: spec,
	}
	if err := c.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	return run
}

// waitEnded watches run until it Succeeded or Failed.
func waitEnded(t *testing.T, c client.WithWatch, run *tasksv1.TaskRun, timeout time.Duration) *tasksv1.TaskRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	w, err := c.Watch(ctx, &tasksv1.TaskRunList{}, client.InNamespace(run.Namespace),
		client.MatchingFields{"metadata.name": run.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var last *tasksv1.TaskRun
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("TaskRun %s did not end within %s; last status %+v", run.Name, timeout, last)
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("the watch of TaskRun %s ended", run.Name)
			}
			if ev.Type == watch.Error {
				t.Fatalf("watch error: %v", apierrors.FromObject(ev.Object))
			}
			got, ok := ev.Object.(*tasksv1.TaskRun)
			if !ok || got.UID != run.UID && run.UID != "" {
				continue
			}
			last = got
			if got.Status.Phase == tasksv1.PhaseSucceeded || got.Status.Phase == tasksv1.PhaseFailed {
				return got
			}
		}
	}
}

func ensureHarborProject(t *testing.T, hc *harbor.Client, name string) {
	t.Helper()
	if _, err := hc.CreateProject(context.Background(), harbor.ProjectReq{ProjectName: name}); err != nil && harbor.StatusCode(err) != http.StatusConflict {
		t.Fatal(err)
	}
}

func runDuration(run *tasksv1.TaskRun) time.Duration {
	if run.Status.StartedAt == nil || run.Status.FinishedAt == nil {
		return 0
	}
	return run.Status.FinishedAt.Sub(run.Status.StartedAt.Time)
}

// TestSandboxRunnerBuildsTheGoTemplate: the sandbox's runner of site-b
// builds the Go service template (cloned from the Bitbucket simulator with
// the runner's own credentials) with the local executor and pushes it to
// site B's Harbor; a second run of the same inputs gives the same digest
// without a second push.
func TestSandboxRunnerBuildsTheGoTemplate(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	c := platformClient(t, p)
	hc, err := p.HarborClient(sandbox.TaskRunnerSite)
	if err != nil {
		t.Fatal(err)
	}
	ensureHarborProject(t, hc, harborProject)
	spec := tasksv1.TaskRunSpec{
		Site:   sandbox.TaskRunnerSite,
		Source: tasksv1.TaskRunSource{RepoURL: p.Bitbucket.TemplateURL(sandbox.TemplateGoService), Revision: "main"},
		Build:  tasksv1.TaskRunBuild{Command: renderAndBuild, Entrypoint: []string{"/app"}},
		Image:  tasksv1.TaskRunImage{Project: harborProject, Repository: "go-template"},
	}
	run := startRun(t, c, "taskrunner-test-go-template", spec)
	got := waitEnded(t, c, run, 5*time.Minute)
	if got.Status.Phase != tasksv1.PhaseSucceeded {
		t.Fatalf("run %s: %s\n%s", got.Status.Phase, got.Status.Message, got.Status.LogTail)
	}
	t.Logf("built in %s: %s", runDuration(got), got.Status.ImageRef)
	if got.Status.Runner != sandbox.TaskRunnerIdentity {
		t.Errorf("runner %q, want %q", got.Status.Runner, sandbox.TaskRunnerIdentity)
	}
	harborHost := strings.TrimPrefix(p.Harbors[sandbox.TaskRunnerSite].URL, "http://")
	if want := harborHost + "/" + harborProject + "/go-template@" + got.Status.ImageDigest; got.Status.ImageRef != want {
		t.Errorf("image ref %q, want %q", got.Status.ImageRef, want)
	}
	art, err := hc.GetArtifact(context.Background(), harborProject, "go-template", got.Status.ImageDigest)
	if err != nil {
		t.Fatalf("site B's Harbor does not have the image: %v", err)
	}
	wantTag := got.Status.ResolvedCommit[:12]
	if !hasTag(art, wantTag) {
		t.Errorf("artifact tags %+v, want %s", art.Tags, wantTag)
	}

	// The same inputs again: the same digest, and the registry is not
	// written to (the artifact keeps its push time).
	again := waitEnded(t, c, startRun(t, c, "taskrunner-test-go-template-again", spec), 5*time.Minute)
	if again.Status.Phase != tasksv1.PhaseSucceeded || again.Status.ImageDigest != got.Status.ImageDigest {
		t.Fatalf("second run: %s %s, digest %s, want %s", again.Status.Phase, again.Status.Message, again.Status.ImageDigest, got.Status.ImageDigest)
	}
	t.Logf("second run in %s", runDuration(again))
	if msg := again.Status.Steps[2].Message; !strings.Contains(msg, "in the registry already") {
		t.Errorf("second push %q, want it found in the registry", msg)
	}
	art2, err := hc.GetArtifact(context.Background(), harborProject, "go-template", got.Status.ImageDigest)
	if err != nil {
		t.Fatal(err)
	}
	if !art2.PushTime.Equal(art.PushTime) {
		t.Errorf("push time moved from %s to %s: the image was pushed again", art.PushTime, art2.PushTime)
	}
}

func hasTag(a *harbor.Artifact, tag string) bool {
	for _, t := range a.Tags {
		if t.Name == tag {
			return true
		}
	}
	return false
}

// TestSandboxRunnerFailsOnACompileError: a repository in the Bitbucket
// simulator whose Go code does not compile fails the run at the build with
// the compiler's message in the log tail; nothing is pushed.
func TestSandboxRunnerFailsOnACompileError(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	c := platformClient(t, p)
	ctx := context.Background()
	bb := p.BitbucketClient()
	if _, _, err := bitbucket.CreateOrGetProject(ctx, bb, p.Bitbucket.Workspace, bitbucket.ProjectInput{Key: brokenProject, Name: "Taskrunner broken", IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bitbucket.CreateOrGetRepository(ctx, bb, p.Bitbucket.Workspace, brokenRepo, bitbucket.RepositoryInput{ProjectKey: brokenProject, Name: brokenRepo, IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	repoURL := p.Bitbucket.ServerURL() + "/" + p.Bitbucket.Workspace + "/" + brokenRepo + ".git"
	if _, err := git.NewCommitter().Commit(ctx, git.Repository{URL: repoURL, Username: p.Bitbucket.Username, Password: p.Bitbucket.Password}, "main", git.Change{
		Message: "A service that does not compile",
		Files: map[string]string{
			"go.mod":  "module example.com/broken\n\ngo 1.24\n",
			"main.go": "package main\n\nfunc main() {\n\tundefinedHandler()\n}\n",
		},
	}); err != nil {
		t.Fatal(err)
	}
	hc, err := p.HarborClient(sandbox.TaskRunnerSite)
	if err != nil {
		t.Fatal(err)
	}
	ensureHarborProject(t, hc, harborProject)
	run := startRun(t, c, "taskrunner-test-compile-error", tasksv1.TaskRunSpec{
		Site:   sandbox.TaskRunnerSite,
		Source: tasksv1.TaskRunSource{RepoURL: repoURL, Revision: "main"},
		Build:  tasksv1.TaskRunBuild{Command: `CGO_ENABLED=0 go build -trimpath -o "$OUT/app" .`},
		Image:  tasksv1.TaskRunImage{Project: harborProject, Repository: "broken"},
	})
	got := waitEnded(t, c, run, 3*time.Minute)
	if got.Status.Phase != tasksv1.PhaseFailed {
		t.Fatalf("run %s, want Failed", got.Status.Phase)
	}
	t.Logf("failed %s after it started: %s", runDuration(got), got.Status.Message)
	if !strings.Contains(got.Status.LogTail, "undefined: undefinedHandler") {
		t.Errorf("log tail lacks the compiler's message:\n%s", got.Status.LogTail)
	}
	if !strings.HasPrefix(got.Status.Message, "step build failed: ") {
		t.Errorf("message %q, want the build step's failure", got.Status.Message)
	}
	if got.Status.ImageDigest != "" {
		t.Errorf("a failed build recorded digest %s", got.Status.ImageDigest)
	}
	for _, s := range got.Status.Steps {
		if s.Name == tasksv1.StepPush && s.Phase != tasksv1.PhasePending {
			t.Errorf("push step %s after a failed build", s.Phase)
		}
	}
	if strings.Contains(got.Status.LogTail+got.Status.Message, p.Bitbucket.Password) {
		t.Error("the run's status shows the Bitbucket password")
	}
}
