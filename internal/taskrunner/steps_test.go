package taskrunner

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// fakeHarbor scans and replicates in memory.
type fakeHarbor struct {
	mu          sync.Mutex
	scans       int
	scanPolls   int
	vulns       []harbor.Vulnerability
	started     []int64 // policy ids started
	execStatus  string
	nextExecID  int64
	execPolls   map[int64]int
	scanPending int // polls that answer Running before Success
}

func (f *fakeHarbor) ScanArtifact(_ context.Context, _, _, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scans++
	return nil
}

func (f *fakeHarbor) GetArtifactScan(_ context.Context, _, _, _ string) (*harbor.ScanOverview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scanPolls++
	if f.scanPolls <= f.scanPending {
		return &harbor.ScanOverview{ScanStatus: harbor.ScanStatusRunning}, nil
	}
	sum := &harbor.VulnerabilitySummary{Summary: map[string]int{}}
	for _, v := range f.vulns {
		sum.Total++
		sum.Summary[v.Severity]++
		if v.FixVersion != "" {
			sum.Fixable++
		}
	}
	return &harbor.ScanOverview{ScanStatus: harbor.ScanStatusSuccess, Summary: sum}, nil
}

func (f *fakeHarbor) ListArtifactVulnerabilities(_ context.Context, _, _, _ string) ([]harbor.Vulnerability, error) {
	return f.vulns, nil
}

func (f *fakeHarbor) StartReplication(_ context.Context, policyID int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, policyID)
	f.nextExecID++
	return 100 + f.nextExecID, nil
}

func (f *fakeHarbor) GetReplicationExecution(_ context.Context, id int64) (*harbor.ReplicationExecution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.execPolls == nil {
		f.execPolls = map[int64]int{}
	}
	f.execPolls[id]++
	if f.execPolls[id] < 2 {
		return &harbor.ReplicationExecution{ID: id, Status: harbor.StatusInProgress}, nil
	}
	st := f.execStatus
	if st == "" {
		st = harbor.StatusSucceed
	}
	return &harbor.ReplicationExecution{ID: id, Status: st, StatusText: "1 of 1 failed"}, nil
}

// pushedRun is a run whose push is recorded, at its scan.
func pushedRun(name string, scan tasksv1.TaskRunScan, replicate ...tasksv1.TaskRunReplication) *tasksv1.TaskRun {
	run := testRun(name, "https://git.example/x.git", "main", tasksv1.TaskRunBuild{})
	run.Spec.Scan, run.Spec.Replicate = scan, replicate
	now := metav1.NewTime(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	steps := initialSteps(run.Spec)
	for i := 0; i < 3; i++ {
		steps[i].Phase, steps[i].StartedAt, steps[i].FinishedAt = tasksv1.PhaseSucceeded, &now, &now
	}
	run.Status = tasksv1.TaskRunStatus{Phase: tasksv1.PhaseRunning, Runner: "runner-1", StartedAt: &now, Steps: steps,
		ResolvedCommit: strings.Repeat("a", 40), ImageDigest: "sha256:" + strings.Repeat("b", 64), ImageRef: "reg/team/svc@sha256:" + strings.Repeat("b", 64)}
	return run
}

func TestScanStep(t *testing.T) {
	critical := harbor.Vulnerability{ID: "CVE-2026-0001", Package: "stdlib", Version: "go1.24.0", FixVersion: "1.24.9", Severity: "Critical"}
	high := harbor.Vulnerability{ID: "CVE-2026-0002", Package: "golang.org/x/net", Version: "v0.1.0", Severity: "High"}
	for _, tc := range []struct {
		name      string
		failOn    string
		vulns     []harbor.Vulnerability
		wantPhase string
		wantMsg   string
		wantSum   *tasksv1.TaskRunScanSummary
	}{
		{"clean", "Critical", nil, tasksv1.PhaseSucceeded, "", &tasksv1.TaskRunScanSummary{}},
		{"high below critical", "Critical", []harbor.Vulnerability{high}, tasksv1.PhaseSucceeded, "",
			&tasksv1.TaskRunScanSummary{Total: 1, Severities: map[string]int64{"High": 1}}},
		{"critical fails", "Critical", []harbor.Vulnerability{critical, high}, tasksv1.PhaseFailed,
			"step scan failed: the scan found 1 vulnerabilities at or above Critical: CVE-2026-0001",
			&tasksv1.TaskRunScanSummary{Total: 2, Fixable: 1, Severities: map[string]int64{"Critical": 1, "High": 1}, Vulnerabilities: []string{"CVE-2026-0001"}}},
		{"high threshold names both", "High", []harbor.Vulnerability{critical, high}, tasksv1.PhaseFailed,
			"step scan failed: the scan found 2 vulnerabilities at or above High: CVE-2026-0001, CVE-2026-0002",
			&tasksv1.TaskRunScanSummary{Total: 2, Fixable: 1, Severities: map[string]int64{"Critical": 1, "High": 1}, Vulnerabilities: []string{"CVE-2026-0001", "CVE-2026-0002"}}},
		{"none never fails", "None", []harbor.Vulnerability{critical}, tasksv1.PhaseSucceeded, "",
			&tasksv1.TaskRunScanSummary{Total: 1, Fixable: 1, Severities: map[string]int64{"Critical": 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := pushedRun("scan", tasksv1.TaskRunScan{Enabled: true, FailOn: tc.failOn})
			r, c := newTestRunner(t, nil, run)
			h := &fakeHarbor{vulns: tc.vulns, scanPending: 2}
			r.Harbor, r.PollInterval = h, time.Millisecond
			got := reconcileRun(t, r, c, run)
			if got.Status.Phase != tc.wantPhase || got.Status.Message != tc.wantMsg {
				t.Errorf("phase %s message %q, want %s %q", got.Status.Phase, got.Status.Message, tc.wantPhase, tc.wantMsg)
			}
			if diff := cmp.Diff(tc.wantSum, got.Status.ScanSummary); diff != "" {
				t.Errorf("scan summary (-want +got):\n%s", diff)
			}
			if h.scans != 1 {
				t.Errorf("%d scans asked, want 1", h.scans)
			}
		})
	}
}

func TestReplicateStepAdoptsTheRecordedExecution(t *testing.T) {
	pols := []tasksv1.TaskRunReplication{{PolicyID: 7, Site: "site-a"}, {PolicyID: 9}}
	run := pushedRun("replicate", tasksv1.TaskRunScan{}, pols...)
	// Policy 7's execution was started before a restart.
	run.Status.Steps[4].Phase = tasksv1.PhaseRunning
	run.Status.Replications = []tasksv1.TaskRunReplicationStatus{{PolicyID: 7, ExecutionID: 42, Status: harbor.StatusInProgress}}
	r, c := newTestRunner(t, nil, run)
	h := &fakeHarbor{}
	r.Harbor, r.PollInterval = h, time.Millisecond
	got := reconcileRun(t, r, c, run)
	if got.Status.Phase != tasksv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s", got.Status.Phase, got.Status.Message)
	}
	if diff := cmp.Diff([]int64{9}, h.started); diff != "" {
		t.Errorf("started policies (-want +got):\n%s", diff)
	}
	want := []tasksv1.TaskRunReplicationStatus{{PolicyID: 7, ExecutionID: 42, Status: harbor.StatusSucceed}, {PolicyID: 9, ExecutionID: 101, Status: harbor.StatusSucceed}}
	if diff := cmp.Diff(want, got.Status.Replications); diff != "" {
		t.Errorf("replications (-want +got):\n%s", diff)
	}
	if msg := got.Status.Steps[4].Message; msg != "replicated by policy 7 to site-a, policy 9" {
		t.Errorf("step message %q", msg)
	}
}

func TestReplicateStepFailsWithHarborsStatus(t *testing.T) {
	run := pushedRun("replicate-fails", tasksv1.TaskRunScan{}, tasksv1.TaskRunReplication{PolicyID: 3})
	r, c := newTestRunner(t, nil, run)
	r.Harbor, r.PollInterval = &fakeHarbor{execStatus: harbor.StatusFailed}, time.Millisecond
	got := reconcileRun(t, r, c, run)
	if want := "step replicate failed: replication execution 101 of policy 3 ended Failed: 1 of 1 failed"; got.Status.Phase != tasksv1.PhaseFailed || got.Status.Message != want {
		t.Errorf("phase %s message %q, want Failed %q", got.Status.Phase, got.Status.Message, want)
	}
}

// receiver records the notices posted to it.
type receiver struct {
	mu      sync.Mutex
	notices []notify.Notice
	bodies  [][]byte
	sigs    []string
	fail    int // answer 500 to this many posts first
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var n notify.Notice
	_ = json.Unmarshal(b, &n)
	rc.notices = append(rc.notices, n)
	rc.bodies = append(rc.bodies, b)
	rc.sigs = append(rc.sigs, r.Header.Get(notify.HeaderSignature))
}

func (rc *receiver) events() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, n := range rc.notices {
		out = append(out, n.Event)
	}
	return out
}

func channelSecret(name, url string, events ...string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: tasksv1.DefaultNamespace, Name: name},
		Data:       notify.SecretData(notify.Channel{Type: notify.TypeWebhook, URL: url, HMACSecret: "hmac-key", Events: events}),
	}
}

func TestNoticesAreSentOnceEach(t *testing.T) {
	rcv := &receiver{fail: 1}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	quiet := &receiver{}
	srvQuiet := httptest.NewServer(quiet)
	defer srvQuiet.Close()
	run := pushedRun("notify", tasksv1.TaskRunScan{})
	run.Status = tasksv1.TaskRunStatus{}
	run.Spec.Build.Command = "true"
	run.Spec.Notify = []tasksv1.TaskRunNotify{
		{Channel: "all", SecretName: "mc-notify-all"},
		{Channel: "failures", SecretName: "mc-notify-failures", Events: []string{tasksv1.EventRunFailed}},
	}
	reg := newTestRegistry(t)
	repo, _ := newTestRepo(t, map[string]string{"a": "a"})
	run.Spec.Source.RepoURL = repo.dir
	r, c := newTestRunner(t, reg, run, channelSecret("mc-notify-all", srv.URL+"/hook?token=url-secret"), channelSecret("mc-notify-failures", srvQuiet.URL))
	r.Sender = &notify.Sender{WaitMin: time.Millisecond, WaitMax: time.Millisecond}
	got := reconcileRun(t, r, c, run)
	if got.Status.Phase != tasksv1.PhaseSucceeded {
		t.Fatalf("phase %s: %s", got.Status.Phase, got.Status.Message)
	}
	if diff := cmp.Diff([]string{tasksv1.EventRunStarted, tasksv1.EventRunSucceeded}, rcv.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(quiet.events()) != 0 {
		t.Errorf("a channel for failures only got %v", quiet.events())
	}
	for i, b := range rcv.bodies {
		if !notify.Verify("hmac-key", b, rcv.sigs[i]) {
			t.Errorf("notice %d: signature %q does not verify", i, rcv.sigs[i])
		}
		if strings.Contains(string(b), "url-secret") {
			t.Errorf("notice %d shows the channel URL", i)
		}
	}
	last := rcv.notices[len(rcv.notices)-1]
	if last.Kind != NoticeKind || last.Name != "site-b/notify" || last.Fields["imageDigest"] != got.Status.ImageDigest {
		t.Errorf("succeeded notice %+v", last)
	}
	if want := "run_started/all,run_succeeded/all"; got.Annotations[AnnotationNotified] != want {
		t.Errorf("notified annotation %q, want %q", got.Annotations[AnnotationNotified], want)
	}
	// A restarted runner resuming the run sends nothing twice.
	got.Status.Phase = tasksv1.PhaseRunning
	if err := c.Status().Update(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	reconcileRun(t, r, c, got)
	if n := len(rcv.events()); n != 2 {
		t.Errorf("%d notices after a resume, want still 2", n)
	}
	if slices.ContainsFunc(rcv.notices, func(n notify.Notice) bool { return n.ID == "" }) {
		t.Error("a notice without a delivery id")
	}
}

func TestFailedRunNotice(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	repo, _ := newTestRepo(t, map[string]string{"a": "a"})
	run := testRun("notify-fail", repo.dir, "main", tasksv1.TaskRunBuild{Command: "echo boom >&2; exit 3"})
	run.Spec.Notify = []tasksv1.TaskRunNotify{{Channel: "failures", SecretName: "mc-notify-failures", Events: []string{tasksv1.EventRunFailed}}}
	r, c := newTestRunner(t, nil, run, channelSecret("mc-notify-failures", srv.URL, tasksv1.EventRunFailed, tasksv1.EventRunSucceeded))
	got := reconcileRun(t, r, c, run)
	if got.Status.Phase != tasksv1.PhaseFailed {
		t.Fatalf("phase %s", got.Status.Phase)
	}
	if diff := cmp.Diff([]string{tasksv1.EventRunFailed}, rcv.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if msg := rcv.notices[0].Message; !strings.Contains(msg, "step build failed") {
		t.Errorf("failed notice message %q", msg)
	}
}
