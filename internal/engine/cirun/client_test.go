package cirun

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// outcome is how the fake runner ends a run.
type outcome int

const (
	succeed outcome = iota
	failBuild
	failScan
	hang  // claims the run and never finishes it
	never // never claims it
)

// fakeBackend is a platform with TaskRuns kept in memory and a fake task
// runner executing them: it claims each new run and walks its steps,
// signalling the run's watchers after every status write, as the real
// runner does.
type fakeBackend struct {
	mu        sync.Mutex
	runner    bool
	hub       string
	outcome   outcome
	runs      map[string]*tasksv1alpha1.TaskRun // by site/name
	creates   int
	deletes   int
	secrets   map[string]map[string][]byte
	watchers  map[string][]chan struct{}
	hubImages map[string]bool // digests the hub's Harbor has
	policies  map[string]Replication
	finish    chan struct{} // closed to let hanging runs finish
	nextUID   int
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		runner: true, hub: "site-a", runs: map[string]*tasksv1alpha1.TaskRun{}, secrets: map[string]map[string][]byte{},
		watchers: map[string][]chan struct{}{}, hubImages: map[string]bool{},
		policies: map[string]Replication{"site-a": {PolicyID: 7, Site: "site-a", Project: "apps"}},
		finish:   make(chan struct{}),
	}
}

func (f *fakeBackend) TaskRunner(context.Context, string) (kube.TaskRunnerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.runner {
		return kube.TaskRunnerInfo{}, nil
	}
	return kube.TaskRunnerInfo{Available: true, Identity: "runner-0", Executors: []string{"local"}}, nil
}

func (f *fakeBackend) GetRun(_ context.Context, site, name string) (*tasksv1alpha1.TaskRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if site == "gone" {
		return nil, &engine.DependencyError{Kind: "site", Name: site, Reason: "is not registered"}
	}
	if r, ok := f.runs[site+"/"+name]; ok {
		return r.DeepCopy(), nil
	}
	return nil, nil
}

func (f *fakeBackend) CreateRun(_ context.Context, site string, run *tasksv1alpha1.TaskRun) error {
	f.mu.Lock()
	key := site + "/" + run.Name
	if _, ok := f.runs[key]; ok {
		f.mu.Unlock()
		return errors.New("already exists")
	}
	f.nextUID++
	run = run.DeepCopy()
	run.UID = types.UID(strings.Repeat("u", f.nextUID))
	f.runs[key] = run
	f.creates++
	o := f.outcome
	f.mu.Unlock()
	go f.execute(key, o)
	return nil
}

// execute is the fake runner.
func (f *fakeBackend) execute(key string, o outcome) {
	if o == never {
		return
	}
	write := func(change func(*tasksv1alpha1.TaskRun)) {
		f.mu.Lock()
		if r, ok := f.runs[key]; ok {
			change(r)
		}
		watchers := f.watchers[key]
		f.mu.Unlock()
		for _, w := range watchers {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	}
	now := metav1.Now()
	write(func(r *tasksv1alpha1.TaskRun) {
		r.Status.Runner, r.Status.Phase, r.Status.StartedAt = "runner-0", tasksv1alpha1.PhaseRunning, &now
	})
	if o == hang {
		<-f.finish
	}
	steps := []string{tasksv1alpha1.StepCheckout, tasksv1alpha1.StepBuild, tasksv1alpha1.StepPush, tasksv1alpha1.StepScan, tasksv1alpha1.StepReplicate}
	for _, name := range steps {
		phase, msg := tasksv1alpha1.PhaseSucceeded, ""
		switch {
		case name == tasksv1alpha1.StepBuild && o == failBuild:
			phase, msg = tasksv1alpha1.PhaseFailed, "the build command exited with status 1"
		case name == tasksv1alpha1.StepScan && o == failScan:
			phase, msg = tasksv1alpha1.PhaseFailed, "1 Critical vulnerability: CVE-2026-0001"
		}
		write(func(r *tasksv1alpha1.TaskRun) {
			r.Status.Steps = append(r.Status.Steps, tasksv1alpha1.TaskRunStep{Name: name, Phase: phase, Message: msg, StartedAt: &now, FinishedAt: &now})
			switch name {
			case tasksv1alpha1.StepCheckout:
				r.Status.ResolvedCommit = "0123456789abcdef0123456789abcdef01234567"
			case tasksv1alpha1.StepPush:
				r.Status.ImageDigest = "sha256:" + strings.Repeat("d", 64)
				r.Status.ImageRef = "harbor-b.test/apps/hello@" + r.Status.ImageDigest
			case tasksv1alpha1.StepReplicate:
				f.hubImages[r.Status.ImageDigest] = true
			}
			if phase == tasksv1alpha1.PhaseFailed {
				r.Status.Phase, r.Status.FinishedAt = tasksv1alpha1.PhaseFailed, &now
				r.Status.LogTail = "./main.go:3:1: syntax error: non-declaration statement outside function body"
				if o == failScan {
					r.Status.LogTail = ""
				}
			}
		})
		if phase == tasksv1alpha1.PhaseFailed {
			return
		}
	}
	write(func(r *tasksv1alpha1.TaskRun) {
		r.Status.Phase, r.Status.FinishedAt = tasksv1alpha1.PhaseSucceeded, &now
	})
}

func (f *fakeBackend) DeleteRun(_ context.Context, site, name string, uid types.UID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.runs[site+"/"+name]; ok && (uid == "" || r.UID == uid) {
		delete(f.runs, site+"/"+name)
		f.deletes++
	}
	return nil
}

func (f *fakeBackend) AnnotateRun(_ context.Context, site, name string, annotations map[string]*string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.runs[site+"/"+name]
	if !ok {
		return engine.ErrNotFound
	}
	for k, v := range annotations {
		if v == nil {
			delete(r.Annotations, k)
		} else {
			r.Annotations[k] = *v
		}
	}
	return nil
}

func (f *fakeBackend) ApplySecret(_ context.Context, site, name string, data map[string][]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[site+"/"+name] = data
	return nil
}

func (f *fakeBackend) WatchRun(ctx context.Context, site, name string) <-chan struct{} {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watchers[site+"/"+name] = append(f.watchers[site+"/"+name], ch)
	return ch
}

func (f *fakeBackend) Hub(context.Context) (string, error) { return f.hub, nil }

func (f *fakeBackend) Replications(_ context.Context, site, project, repository string, destinations []string) ([]Replication, error) {
	var out []Replication
	for _, d := range destinations {
		r, ok := f.policies[d]
		if !ok {
			return nil, engine.InvalidInput("replicate_to", "site %q's Harbor has no enabled push replication policy to site %q's Harbor covering %s/%s", site, d, project, repository)
		}
		out = append(out, r)
	}
	return out, nil
}

func (f *fakeBackend) ArtifactRef(_ context.Context, site, project, repository, digest string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.hubImages[digest] {
		return "", false, nil
	}
	return "harbor-a.test/" + project + "/" + repository + "@" + digest, true, nil
}

func (f *fakeBackend) SourceRepository(_ context.Context, id string) (string, error) {
	return "https://bitbucket.test/ws/" + strings.ToLower(strings.ReplaceAll(id, "/", "-")) + ".git", nil
}

func (f *fakeBackend) GitCredentials(repoURL string) (string, string, bool) {
	return "ci", "s3cret", strings.HasPrefix(repoURL, "https://bitbucket.test/")
}

func (f *fakeBackend) count() (creates, deletes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates, f.deletes
}

func testSpec() Spec {
	return Spec{
		Site:   "site-b",
		Source: Source{Repository: "https://bitbucket.test/ws/hello.git", Revision: "main"},
		Image:  Image{Project: "apps", Repository: "hello"},
		Build:  Build{Command: "go build -o $OUT/hello .", Entrypoint: []string{"/hello"}},
		Scan:   Scan{Enabled: true, FailOn: SeverityCritical},
	}
}

func TestConvergeRuns(t *testing.T) {
	digest := "sha256:" + strings.Repeat("d", 64)
	for _, tc := range []struct {
		name    string
		outcome outcome
		runner  bool
		spec    func(*Spec)
		wantErr string // a substring of the terminal error; empty for success
		want    Status
	}{
		{
			name: "succeeds and replicates to the hub", outcome: succeed, runner: true,
			want: Status{Phase: "Succeeded", ImageDigest: digest, ImageRef: "harbor-b.test/apps/hello@" + digest, HubImageRef: "harbor-a.test/apps/hello@" + digest},
		},
		{
			name: "without replication", outcome: succeed, runner: true, spec: func(s *Spec) { s.ReplicateTo = []string{} },
			want: Status{Phase: "Succeeded", ImageDigest: digest, ImageRef: "harbor-b.test/apps/hello@" + digest},
		},
		{name: "build fails with the compiler's message", outcome: failBuild, runner: true, wantErr: "failed at step build: the build command exited with status 1\n./main.go:3:1: syntax error"},
		{name: "scan finds a Critical vulnerability", outcome: failScan, runner: true, wantErr: "failed at step scan: 1 Critical vulnerability: CVE-2026-0001"},
		{name: "no task runner", runner: false, wantErr: `site "site-b" has no task runner`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFakeBackend()
			b.outcome, b.runner = tc.outcome, tc.runner
			c := &Client{b: b}
			spec := testSpec()
			if tc.spec != nil {
				tc.spec(&spec)
			}
			id, obs, err := engine.Converge(context.Background(), c, "", spec, engine.ConvergeOptions{Timeout: time.Minute})
			var term *engine.TerminalError
			if tc.wantErr != "" {
				if !errors.As(err, &term) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Converge() error = %v, want a terminal error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Converge() error = %v", err)
			}
			if id != ID(spec) {
				t.Errorf("id = %q, want %q", id, ID(spec))
			}
			got := Status{Phase: obs.Status.Phase, ImageDigest: obs.Status.ImageDigest, ImageRef: obs.Status.ImageRef, HubImageRef: obs.Status.HubImageRef}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status mismatch (-want +got):\n%s", diff)
			}
			if len(obs.Status.Steps) != 5 || obs.Status.ResolvedCommit == "" {
				t.Errorf("steps = %+v, resolved commit %q: want 5 steps and a commit", obs.Status.Steps, obs.Status.ResolvedCommit)
			}
			if creates, _ := b.count(); creates != 1 {
				t.Errorf("TaskRuns created = %d, want 1", creates)
			}
		})
	}
}

// TestCreateAdoptsTheRunOfTheSameInputs is the create cut off by a killed
// apply: the next create finds the run and starts nothing.
func TestCreateAdoptsTheRunOfTheSameInputs(t *testing.T) {
	b := newFakeBackend()
	b.outcome = hang
	c := &Client{b: b}
	ctx := context.Background()
	first, err := c.Create(ctx, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	again := testSpec()
	again.Notify, again.OnDestroy = nil, OnDestroyDelete // not inputs of the run
	second, err := c.Create(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("second create id = %q, want the first's %q", second, first)
	}
	if creates, _ := b.count(); creates != 1 {
		t.Errorf("TaskRuns created = %d, want 1", creates)
	}
	imported, err := c.Observe(ctx, first, Spec{})
	if err != nil {
		t.Fatal(err)
	}
	wantActual := testSpec()
	wantActual.OnDestroy = OnDestroyDelete // the second create changed it
	if diff := cmp.Diff(wantActual, imported.Actual); diff != "" {
		t.Errorf("Observe().Actual mismatch, want the spec as given (-want +got):\n%s", diff)
	}
	obs, err := c.Observe(ctx, first, again)
	if err != nil || !obs.UpToDate || obs.Actual.OnDestroy != OnDestroyDelete {
		t.Errorf("Observe() = up to date %t, on_destroy %q, %v: want the adopted run to take on_destroy = delete", obs.UpToDate, obs.Actual.OnDestroy, err)
	}
	close(b.finish)
}

// TestCreateRetriesAFailedRun: the create after a failed run of the same
// inputs (a tainted resource replaced) deletes it and starts it again.
func TestCreateRetriesAFailedRun(t *testing.T) {
	b := newFakeBackend()
	b.outcome = failBuild
	c := &Client{b: b}
	if _, _, err := engine.Converge(context.Background(), c, "", testSpec(), engine.ConvergeOptions{Timeout: time.Minute}); err == nil {
		t.Fatal("first run: want a failure")
	}
	b.mu.Lock()
	b.outcome = succeed
	b.mu.Unlock()
	if _, _, err := engine.Converge(context.Background(), c, "", testSpec(), engine.ConvergeOptions{Timeout: time.Minute}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if creates, deletes := b.count(); creates != 2 || deletes != 1 {
		t.Errorf("TaskRuns created %d and deleted %d, want 2 and 1", creates, deletes)
	}
}

// TestTimeoutResumes: a wait that outlives its timeout leaves the run; the
// next converge (an update of the resource in state) resumes waiting and
// starts nothing.
func TestTimeoutResumes(t *testing.T) {
	b := newFakeBackend()
	b.outcome = hang
	c := &Client{b: b}
	ctx := context.Background()
	id, obs, err := engine.Converge(ctx, c, "", testSpec(), engine.ConvergeOptions{Timeout: 50 * time.Millisecond})
	if !engine.IsTimeout(err) || id == "" || !obs.Exists || obs.Ready {
		t.Fatalf("Converge() = %q, exists %t, ready %t, %v: want a timeout with the run in state", id, obs.Exists, obs.Ready, err)
	}
	if !strings.Contains(obs.Message, "phase Running") {
		t.Errorf("message = %q, want the run's phase", obs.Message)
	}
	close(b.finish)
	_, obs, err = engine.Converge(ctx, c, id, testSpec(), engine.ConvergeOptions{Timeout: time.Minute})
	if err != nil || !obs.Ready {
		t.Fatalf("resumed Converge() = ready %t, %v", obs.Ready, err)
	}
	if creates, _ := b.count(); creates != 1 {
		t.Errorf("TaskRuns created = %d, want 1", creates)
	}
}

// TestPendingRunWithoutRunnerFails: a run nobody claims at a site whose
// runner went away fails instead of waiting out the timeout.
func TestPendingRunWithoutRunnerFails(t *testing.T) {
	b := newFakeBackend()
	b.outcome = never
	c := &Client{b: b}
	ctx := context.Background()
	id, err := c.Create(ctx, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.runner = false
	b.mu.Unlock()
	obs, err := c.Observe(ctx, id, testSpec())
	if err != nil || obs.Failed == nil || !strings.Contains(obs.Failed.Error(), "has no task runner") {
		t.Errorf("Observe() failed = %v, err %v: want the missing runner", obs.Failed, err)
	}
}

func TestDelete(t *testing.T) {
	for _, tc := range []struct {
		onDestroy   string
		wantDeletes int
	}{
		{onDestroy: "", wantDeletes: 0},
		{onDestroy: OnDestroyForget, wantDeletes: 0},
		{onDestroy: OnDestroyDelete, wantDeletes: 1},
	} {
		t.Run("on_destroy="+tc.onDestroy, func(t *testing.T) {
			b := newFakeBackend()
			c := &Client{b: b}
			spec := testSpec()
			spec.OnDestroy = tc.onDestroy
			id, _, err := engine.Converge(context.Background(), c, "", spec, engine.ConvergeOptions{Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if err := engine.DeleteUntilGone(context.Background(), c, id, engine.ConvergeOptions{Timeout: time.Minute}); err != nil {
				t.Fatal(err)
			}
			if _, deletes := b.count(); deletes != tc.wantDeletes {
				t.Errorf("TaskRuns deleted = %d, want %d", deletes, tc.wantDeletes)
			}
			if tc.wantDeletes == 0 {
				// The forgotten run is adopted again by a create of the
				// same inputs, without a new build.
				if _, obs, err := engine.Converge(context.Background(), c, "", spec, engine.ConvergeOptions{Timeout: time.Minute}); err != nil || !obs.Exists || !obs.Ready {
					t.Fatalf("create after forget = exists %t, ready %t, %v", obs.Exists, obs.Ready, err)
				}
				if creates, _ := b.count(); creates != 1 {
					t.Errorf("TaskRuns created = %d, want 1: the forgotten run is adopted", creates)
				}
			}
		})
	}
}

func TestTaskRunOfASpec(t *testing.T) {
	b := newFakeBackend()
	c := &Client{b: b, Channels: func(_ context.Context, name string) (notify.Channel, error) {
		ch := notify.Channel{Name: name, Type: "webhook", URL: "https://hooks.test/" + name}
		switch name {
		case "ops":
			ch.Events = []string{notify.EventRunFailed, notify.EventSyncFailed}
		case "deploys":
			ch.Events = []string{notify.EventSyncSucceeded}
		}
		return ch, nil
	}}
	spec := testSpec()
	spec.Source = Source{Application: "DEMO/hello", Revision: "main"}
	spec.Notify = []string{"team", "ops", "deploys"}
	run, err := c.taskRun(context.Background(), normalized(spec), spec, RunName(spec))
	if err != nil {
		t.Fatal(err)
	}
	want := tasksv1alpha1.TaskRunSpec{
		Site:      "site-b",
		Source:    tasksv1alpha1.TaskRunSource{RepoURL: "https://bitbucket.test/ws/demo-hello.git", Revision: "main", SecretName: GitSecretName},
		Build:     tasksv1alpha1.TaskRunBuild{Executor: "local", Command: "go build -o $OUT/hello .", Entrypoint: []string{"/hello"}},
		Image:     tasksv1alpha1.TaskRunImage{Project: "apps", Repository: "hello"},
		Scan:      tasksv1alpha1.TaskRunScan{Enabled: true, FailOn: "Critical"},
		Replicate: []tasksv1alpha1.TaskRunReplication{{PolicyID: 7, Site: "site-a"}},
		Notify: []tasksv1alpha1.TaskRunNotify{
			{Channel: "ops", SecretName: "mc-notify-ops", Events: []string{"run_failed"}}, {Channel: "team", SecretName: "mc-notify-team"},
		},
	}
	if diff := cmp.Diff(want, run.Spec); diff != "" {
		t.Errorf("TaskRun spec mismatch (-want +got):\n%s", diff)
	}
	if run.Labels[tasksv1alpha1.LabelSite] != "site-b" {
		t.Errorf("labels = %v, want the site", run.Labels)
	}
	if got := string(b.secrets["site-b/"+GitSecretName]["password"]); got != "s3cret" {
		t.Errorf("git Secret password = %q, want the platform's", got)
	}
	if strings.Contains(run.Annotations[AnnotationInputs], "s3cret") || strings.Contains(run.Spec.Source.RepoURL, "s3cret") {
		t.Error("the TaskRun holds the git password")
	}
	if got := string(b.secrets["site-b/mc-notify-team"]["url"]); got != "https://hooks.test/team" {
		t.Errorf("Secret of channel team has url %q, want the channel's", got)
	}
	spec.ReplicateTo = []string{"site-c"}
	if _, err := c.taskRun(context.Background(), normalized(spec), spec, RunName(spec)); err == nil {
		t.Error("replicate_to a site without a policy: want an error")
	} else if in, ok := engine.AsInvalidInput(err); !ok || in.Path != "replicate_to" {
		t.Errorf("error = %v, want invalid replicate_to", err)
	}
}

func TestObserveGoneSiteForgets(t *testing.T) {
	c := &Client{b: newFakeBackend()}
	if err := c.Delete(context.Background(), "gone/hello-0123456789"); err != nil {
		t.Errorf("Delete() at a site that is gone = %v, want nil", err)
	}
	if _, err := c.Observe(context.Background(), "gone/hello-0123456789", Spec{}); err == nil {
		t.Error("Observe() at a site that is gone: want the dependency error")
	}
}
