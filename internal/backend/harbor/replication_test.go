package harbor_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

type copyRec struct {
	Src, Dst      string // endpoint URLs, "" for the local registry
	DstUser       string
	Repository    string
	Tags          []string
	DstRepository string
}

// fakeReplicator stands in for the OCI copier: remote endpoints hold
// artifacts in memory; Copy records what it was asked to do, optionally
// waiting on gate and failing for some repositories.
type fakeReplicator struct {
	mu     sync.Mutex
	remote map[string][]harborsim.Artifact
	copies []copyRec
	gate   chan struct{}
	fail   map[string]bool
}

func (f *fakeReplicator) List(_ context.Context, src harborsim.Endpoint) ([]harborsim.Artifact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	as, ok := f.remote[src.URL]
	if !ok {
		return nil, errors.New("no such registry")
	}
	return slices.Clone(as), nil
}

func (f *fakeReplicator) Copy(ctx context.Context, src harborsim.Endpoint, a harborsim.Artifact, dst harborsim.Endpoint, dstRepo string, _ bool) error {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[a.Repository] {
		return errors.New("blob upload unknown")
	}
	rec := copyRec{Repository: a.Repository, Tags: a.Tags, DstRepository: dstRepo, DstUser: dst.Username}
	if !src.Local {
		rec.Src = src.URL
	}
	if !dst.Local {
		rec.Dst = dst.URL
	}
	f.copies = append(f.copies, rec)
	return nil
}

func waitExecution(t *testing.T, c *harbor.Client, id int64) *harbor.ReplicationExecution {
	t.Helper()
	e := pollExecution(t, c, id, (*harbor.ReplicationExecution).Done)
	if !e.Done() {
		t.Fatalf("execution %d still %s", id, e.Status)
	}
	return e
}

// pollExecution reads execution id every 5ms until until holds for it or
// ten seconds pass, and returns the last one read.
func pollExecution(t *testing.T, c *harbor.Client, id int64, until func(*harbor.ReplicationExecution) bool) *harbor.ReplicationExecution {
	t.Helper()
	deadline := time.After(10 * time.Second)
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for {
		e, err := c.GetReplicationExecution(ctx(t), id)
		if err != nil {
			t.Fatalf("GetReplicationExecution() error = %v", err)
		}
		if until(e) {
			return e
		}
		select {
		case <-deadline:
			return e
		case <-poll.C:
		}
	}
}

func counts(e *harbor.ReplicationExecution) [5]any {
	return [5]any{e.Status, e.Total, e.Succeed, e.Failed, e.InProgress}
}

func TestReplicationPushExecution(t *testing.T) {
	rep := &fakeReplicator{gate: make(chan struct{}), fail: map[string]bool{}}
	e := newEnv(t, harborsim.Options{Replicator: rep})
	c := e.client
	if _, err := c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "apps"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "other"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []harborsim.Artifact{
		{Repository: "apps/web", Digest: digestA, Tags: []string{"v1", "latest"}},
		{Repository: "apps/web", Digest: digestB, Tags: []string{"v2"}},
		{Repository: "apps/api", Digest: digestC, Tags: []string{"dev"}},
		{Repository: "other/x", Digest: digestA, Tags: []string{"v1"}},
	} {
		if err := e.sim.AddArtifact(a); err != nil {
			t.Fatal(err)
		}
	}
	regID, err := c.CreateRegistry(ctx(t), harbor.Registry{Name: "hub", URL: "https://hub.example", Type: "harbor",
		Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: "robot$hub", AccessSecret: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	policyID, err := c.CreateReplicationPolicy(ctx(t), harbor.ReplicationPolicy{
		Name: "apps-to-hub", DestRegistry: harbor.RegistryRef(regID), DestNamespace: "mirror", Enabled: true, Override: true,
		Trigger: &harbor.ReplicationTrigger{Type: harbor.TriggerManual},
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: "apps/**"}, {Type: "tag", Value: "v*"}},
	})
	if err != nil {
		t.Fatal(err)
	}

	execID, err := c.StartReplication(ctx(t), policyID)
	if err != nil || execID <= 0 {
		t.Fatalf("StartReplication() = %d, %v", execID, err)
	}
	// The copies wait on the gate: the execution is in progress.
	ex, err := c.GetReplicationExecution(ctx(t), execID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != harbor.StatusInProgress || ex.Done() {
		t.Fatalf("execution = %+v, want InProgress", ex)
	}
	wantStatus(t, c.DeleteReplicationPolicy(ctx(t), policyID), http.StatusPreconditionFailed, "PRECONDITION")
	// Harbor runs one task per repository: apps/web, with its two
	// artifacts, is one task, in progress until both are copied.
	rep.gate <- struct{}{}
	ex = pollExecution(t, c, execID, func(e *harbor.ReplicationExecution) bool { return e.InProgress == 1 })
	if diff := cmp.Diff([5]any{harbor.StatusInProgress, 1, 0, 0, 1}, counts(ex)); diff != "" {
		t.Fatalf("execution half way (status total succeed failed in_progress) (-want +got):\n%s", diff)
	}
	rep.gate <- struct{}{}
	ex = waitExecution(t, c, execID)
	if diff := cmp.Diff([5]any{harbor.StatusSucceed, 1, 1, 0, 0}, counts(ex)); diff != "" {
		t.Fatalf("execution done (-want +got):\n%s", diff)
	}
	// In push order: v1 (digestA, "latest" filtered out), then v2; apps/api
	// has no v* tag and other/x does not match the name filter.
	wantCopies := []copyRec{
		{Dst: "https://hub.example", DstUser: "robot$hub", Repository: "apps/web", Tags: []string{"v1"}, DstRepository: "mirror/web"},
		{Dst: "https://hub.example", DstUser: "robot$hub", Repository: "apps/web", Tags: []string{"v2"}, DstRepository: "mirror/web"},
	}
	if diff := cmp.Diff(wantCopies, rep.copies); diff != "" {
		t.Fatalf("copies (-want +got):\n%s", diff)
	}
	tasks, err := c.ListReplicationTasks(ctx(t), execID)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("ListReplicationTasks() = %+v, %v; want one task for apps/web", tasks, err)
	}
	for _, tk := range tasks {
		if tk.Status != harbor.StatusSucceed || tk.ExecutionID != execID || tk.Operation != "copy" {
			t.Fatalf("task = %+v, want a succeeded copy", tk)
		}
	}

	// A failing copy fails the execution with the task counts.
	rep.gate = nil
	rep.fail["apps/web"] = true
	if err := c.UpdateReplicationPolicy(ctx(t), policyID, harbor.ReplicationPolicy{
		Name: "apps-to-hub", DestRegistry: harbor.RegistryRef(regID), Enabled: true,
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: "apps/*"}},
	}); err != nil {
		t.Fatal(err)
	}
	execID2, err := c.StartReplication(ctx(t), policyID)
	if err != nil {
		t.Fatal(err)
	}
	ex = waitExecution(t, c, execID2)
	// apps/web fails, apps/api is copied: a task each.
	if diff := cmp.Diff([5]any{harbor.StatusFailed, 2, 1, 1, 0}, counts(ex)); diff != "" {
		t.Fatalf("failed execution (-want +got):\n%s", diff)
	}
	// Harbor leaves status_text empty when tasks fail: the task logs say why.
	failedTasks, err := c.ListReplicationTasks(ctx(t), execID2)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	for _, tk := range failedTasks {
		if tk.Status == harbor.StatusFailed {
			l, err := c.GetReplicationTaskLog(ctx(t), execID2, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			logs = append(logs, l)
		}
	}
	wantLogs := []string{"failed to copy apps/web@" + digestA + ": blob upload unknown\nfailed to copy apps/web@" + digestB + ": blob upload unknown"}
	if diff := cmp.Diff(wantLogs, logs); diff != "" {
		t.Fatalf("failed task logs (-want +got):\n%s", diff)
	}
	_, err = c.GetReplicationTaskLog(ctx(t), execID, failedTasks[0].ID)
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
	// A stopped execution ends Stopped.
	rep.gate = make(chan struct{})
	execID3, err := c.StartReplication(ctx(t), policyID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StopReplication(ctx(t), execID3); err != nil {
		t.Fatalf("StopReplication() error = %v", err)
	}
	if ex = waitExecution(t, c, execID3); ex.Status != harbor.StatusStopped || ex.Succeed != 0 {
		t.Fatalf("stopped execution = %+v, want Stopped with nothing copied", ex)
	}
	execs, err := c.ListReplicationExecutions(ctx(t), policyID)
	if err != nil || len(execs) != 3 || execs[0].ID != execID3 || execs[1].ID != execID2 {
		t.Fatalf("ListReplicationExecutions() = %+v, %v; want all three, newest first", execs, err)
	}
	_, err = c.GetReplicationExecution(ctx(t), 999)
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
	_, err = c.StartReplication(ctx(t), 999)
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
}

func TestReplicationPullExecution(t *testing.T) {
	rep := &fakeReplicator{remote: map[string][]harborsim.Artifact{
		"https://site-b.example": {
			{Repository: "build/app", Digest: digestA, Tags: []string{"1.0.0"}, Labels: []string{"release"}},
			{Repository: "build/tool", Digest: digestB, Tags: []string{"1.0.0"}},
		},
	}}
	e := newEnv(t, harborsim.Options{Replicator: rep})
	c := e.client
	regID, err := c.CreateRegistry(ctx(t), harbor.Registry{Name: "site-b", URL: "https://site-b.example", Type: "harbor"})
	if err != nil {
		t.Fatal(err)
	}
	policyID, err := c.CreateReplicationPolicy(ctx(t), harbor.ReplicationPolicy{
		Name: "from-b", SrcRegistry: harbor.RegistryRef(regID), DestNamespace: "hub", Enabled: true,
		Filters: []harbor.ReplicationFilter{{Type: "label", Value: []string{"release"}}, {Type: "resource", Value: "image"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	execID, err := c.StartReplication(ctx(t), policyID)
	if err != nil {
		t.Fatal(err)
	}
	ex := waitExecution(t, c, execID)
	if diff := cmp.Diff([5]any{harbor.StatusSucceed, 1, 1, 0, 0}, counts(ex)); diff != "" {
		t.Fatalf("execution (-want +got):\n%s", diff)
	}
	// The pulled image is now in this Harbor, in a project made for it.
	a, err := c.GetArtifact(ctx(t), "hub", "app", "1.0.0")
	if err != nil || a.Digest != digestA {
		t.Fatalf("GetArtifact(hub/app:1.0.0) = %+v, %v", a, err)
	}
}

func TestReplicationEventBased(t *testing.T) {
	rep := &fakeReplicator{}
	e := newEnv(t, harborsim.Options{Replicator: rep})
	c := e.client
	for _, name := range []string{"apps", "other"} {
		if _, err := c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: name}); err != nil {
			t.Fatal(err)
		}
	}
	regID, err := c.CreateRegistry(ctx(t), harbor.Registry{Name: "hub", URL: "https://hub.example", Type: "harbor"})
	if err != nil {
		t.Fatal(err)
	}
	policyID, err := c.CreateReplicationPolicy(ctx(t), harbor.ReplicationPolicy{
		Name: "on-push", DestRegistry: harbor.RegistryRef(regID), Enabled: true,
		Trigger: &harbor.ReplicationTrigger{Type: harbor.TriggerEventBased},
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: "apps/**"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A push into apps replicates that artifact alone; one into other does not.
	if err := e.sim.AddArtifact(harborsim.Artifact{Repository: "apps/web", Digest: digestA, Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddArtifact(harborsim.Artifact{Repository: "other/x", Digest: digestB, Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddArtifact(harborsim.Artifact{Repository: "apps/api", Digest: digestC, Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	execs, err := c.ListReplicationExecutions(ctx(t), policyID)
	if err != nil || len(execs) != 2 {
		t.Fatalf("ListReplicationExecutions() = %+v, %v; want one per matching push", execs, err)
	}
	for _, ex := range execs {
		if ex.Trigger != "event_based" {
			t.Fatalf("execution trigger = %q, want event_based", ex.Trigger)
		}
		if got := waitExecution(t, c, ex.ID); got.Status != harbor.StatusSucceed || got.Total != 1 {
			t.Fatalf("execution = %+v, want one succeeded task", got)
		}
	}
	var repos []string
	for _, cp := range rep.copies {
		repos = append(repos, cp.Repository)
	}
	slices.Sort(repos)
	if diff := cmp.Diff([]string{"apps/api", "apps/web"}, repos); diff != "" {
		t.Fatalf("copied repositories (-want +got):\n%s", diff)
	}
}
