package harborsim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func executionStatus(t *testing.T, s *Server, location string) executionJSON {
	t.Helper()
	status, _, body := call(t, s, "GET", location, "", false)
	var e executionJSON
	if err := json.Unmarshal([]byte(body), &e); status != 200 || err != nil {
		t.Fatalf("GET %s = %d %s", location, status, body)
	}
	return e
}

func TestStuckExecution(t *testing.T) {
	s := newPolicyEnv(t, "", &fakeReplicator{})
	for _, name := range []string{"stuck", "free"} {
		body := `{"name":"` + name + `","dest_registry":{"id":1},"enabled":true}`
		if status, _, b := call(t, s, "POST", "/api/v2.0/replication/policies", body, false); status != 201 {
			t.Fatalf("create = %d %s", status, b)
		}
	}
	s.StickExecutions(1, true)
	_, h, _ := call(t, s, "POST", "/api/v2.0/replication/executions", `{"policy_id":1}`, false)
	stuck := h.Get("Location")
	if e := executionStatus(t, s, stuck); e.Status != statusInProgress {
		t.Fatalf("stuck execution = %s, want InProgress", e.Status)
	}
	// The other policy is not stuck.
	_, h, _ = call(t, s, "POST", "/api/v2.0/replication/executions", `{"policy_id":2}`, false)
	free := h.Get("Location")
	status, _, body := call(t, s, "DELETE", "/api/v2.0/replication/policies/1", "", false)
	if status != 412 || errorCode(t, body) != codePrecondition || !strings.Contains(body, "stop the execution first") {
		t.Fatalf("DELETE with a stuck execution = %d %s, want 412", status, body)
	}
	if status, _, body := call(t, s, "PUT", stuck, "", false); status != 200 {
		t.Fatalf("stop = %d %s", status, body)
	}
	if e := executionStatus(t, s, stuck); e.Status != statusStopped || e.EndTime.IsZero() {
		t.Fatalf("stopped execution = %+v, want Stopped with an end time", e)
	}
	if status, _, body := call(t, s, "DELETE", "/api/v2.0/replication/policies/1", "", false); status != 200 {
		t.Fatalf("DELETE after stop = %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if e := executionStatus(t, s, free); e.Status != statusSucceed {
		t.Fatalf("the other policy's execution = %+v, want Succeed", e)
	}
}

func TestSingleActiveReplication(t *testing.T) {
	for _, tt := range []struct {
		version, want string
	}{
		{"", statusFailed},
		{"v2.13.0", statusInProgress},
	} {
		s := newPolicyEnv(t, tt.version, &fakeReplicator{})
		body := `{"name":"p","dest_registry":{"id":1},"enabled":true,"single_active_replication":true}`
		call(t, s, "POST", "/api/v2.0/replication/policies", body, false)
		s.StickExecutions(0, true)
		call(t, s, "POST", "/api/v2.0/replication/executions", `{"policy_id":1}`, false)
		_, h, _ := call(t, s, "POST", "/api/v2.0/replication/executions", `{"policy_id":1}`, false)
		e := executionStatus(t, s, h.Get("Location"))
		if e.Status != tt.want {
			t.Fatalf("version %q: second execution = %+v, want %s", tt.version, e, tt.want)
		}
		if tt.want == statusFailed && e.StatusText != "Execution skipped: active replication still in progress." {
			t.Fatalf("skipped execution text = %q", e.StatusText)
		}
	}
}

// TestEventBasedPullNeverRuns: Harbor accepts an event-based policy that
// pulls from a remote registry, but only pushes into this Harbor raise the
// events, and its event handler skips policies with a remote source
// (src/controller/event/handler/replication/event/handler.go,
// getRelatedPolicies): such a policy never runs.
func TestEventBasedPullNeverRuns(t *testing.T) {
	s := newPolicyEnv(t, "", &fakeReplicator{})
	pull := `{"name":"pull","src_registry":{"id":1},"enabled":true,"trigger":{"type":"event_based"}}`
	push := `{"name":"push","dest_registry":{"id":1},"enabled":true,"trigger":{"type":"event_based"}}`
	for _, body := range []string{pull, push} {
		if status, _, b := call(t, s, "POST", "/api/v2.0/replication/policies", body, false); status != 201 {
			t.Fatalf("create = %d %s", status, b)
		}
	}
	if err := s.AddArtifact(Artifact{Repository: "library/app", Digest: digest("e"), Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for policy, want := range map[string]string{"1": "0", "2": "1"} {
		_, h, _ := call(t, s, "GET", "/api/v2.0/replication/executions?policy_id="+policy, "", false)
		if got := h.Get("X-Total-Count"); got != want {
			t.Errorf("policy %s has %s executions, want %s", policy, got, want)
		}
	}
}

func TestTasksOfUnknownExecution(t *testing.T) {
	for version, want := range map[string]int{"": 404, "v2.8.0": 404, "v2.7.1": 200} {
		s := New(Options{Version: version})
		if status, _, body := call(t, s, "GET", "/api/v2.0/replication/executions/42/tasks", "", false); status != want {
			t.Errorf("version %q: tasks of an unknown execution = %d %s, want %d", version, status, body, want)
		}
		s.Close()
	}
}
