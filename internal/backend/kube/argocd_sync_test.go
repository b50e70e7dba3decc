package kube

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestApplicationSyncOf(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "argocd", "annotations": map[string]any{RefreshAnnotation: "normal"}},
		"status": map[string]any{
			"reconciledAt": "2026-12-01T10:00:00Z",
			"sync":         map[string]any{"status": "OutOfSync", "revision": "bbb"},
			"health":       map[string]any{"status": "Missing"},
			"operationState": map[string]any{
				"phase": "Failed", "message": "one or more objects failed to apply (retried 1 times).", "retryCount": int64(1),
				"startedAt": "2026-12-01T10:00:01Z", "finishedAt": "2026-12-01T10:00:05Z",
				"operation": map[string]any{
					"sync":        map[string]any{"revision": "bbb"},
					"retry":       map[string]any{"limit": int64(1)},
					"initiatedBy": map[string]any{"automated": true},
				},
				"syncResult": map[string]any{"revision": "bbb", "resources": []any{
					map[string]any{"kind": "ConfigMap", "namespace": "ns", "name": "Bad_Name", "status": "SyncFailed", "message": "ConfigMap \"Bad_Name\" is invalid"},
					map[string]any{"kind": "ConfigMap", "namespace": "ns", "name": "good", "status": "Synced", "message": "created"},
				}},
			},
			"conditions": []any{
				map[string]any{"type": "SyncError", "message": "Failed last sync attempt to [bbb]"},
				map[string]any{"type": "ComparisonError", "message": "Failed to load target state: https://bob:pw@git.example/r.git"},
			},
		},
	}}
	got := ApplicationSyncOf(u)
	if got.ReconciledAt.IsZero() || got.Operation == nil || got.Operation.StartedAt.IsZero() || got.Operation.FinishedAt.IsZero() {
		t.Fatalf("ApplicationSyncOf() lost times or the operation: %+v", got)
	}
	got.ReconciledAt = got.ReconciledAt.UTC()
	op := *got.Operation
	op.StartedAt, op.FinishedAt = op.StartedAt.UTC(), op.FinishedAt.UTC()
	want := SyncOperation{
		Phase: "Failed", Message: "one or more objects failed to apply (retried 1 times).", Revision: "bbb",
		RetryCount: 1, RetryLimit: 1, AutomatedSync: true, StartedAt: op.StartedAt, FinishedAt: op.FinishedAt,
		FailedResources: []string{`ConfigMap ns/Bad_Name: ConfigMap "Bad_Name" is invalid`},
	}
	if diff := cmp.Diff(want, op); diff != "" {
		t.Errorf("operation (-want +got):\n%s", diff)
	}
	if got.RefreshRequested != "normal" || got.SyncStatus != "OutOfSync" || got.SyncRevision != "bbb" || got.HealthStatus != "Missing" ||
		len(got.ErrorConditions) != 2 || got.ComparisonError != "Failed to load target state: https://bob:REDACTED@git.example/r.git" || !op.Final() {
		t.Errorf("ApplicationSyncOf() = %+v", got)
	}
}

func TestApplicationSyncProgress(t *testing.T) {
	// History: aaa ← bbb (wanted) ← ccc.
	contains := func(rev string) (bool, error) {
		switch rev {
		case "bbb", "ccc":
			return true, nil
		case "aaa":
			return false, nil
		}
		return false, errors.New("unknown revision " + rev)
	}
	succeeded := func(rev string) *SyncOperation { return &SyncOperation{Phase: OperationSucceeded, Revision: rev} }
	tests := []struct {
		name        string
		s           ApplicationSync
		want        SyncVerdict
		wantMessage string
	}{
		{"missing", ApplicationSync{}, SyncWaiting, "does not exist"},
		{"deleting", ApplicationSync{Exists: true, Deleting: true}, SyncWaiting, "being deleted"},
		{"synced at an older revision", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "aaa", HealthStatus: "Healthy", Operation: succeeded("aaa")}, SyncWaiting, "older revision"},
		{"out of sync at the revision", ApplicationSync{Exists: true, SyncStatus: "OutOfSync", SyncRevision: "bbb", HealthStatus: "Healthy", Operation: succeeded("aaa")}, SyncWaiting, "OutOfSync at bbb"},
		{"operation running at the revision", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "bbb", HealthStatus: "Healthy", Operation: &SyncOperation{Phase: OperationRunning, Revision: "bbb", Message: "waiting for healthy state"}}, SyncWaiting, "Running"},
		{"older operation still running", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "bbb", HealthStatus: "Healthy", Operation: &SyncOperation{Phase: OperationRunning, Revision: "aaa"}}, SyncWaiting, "a sync of aaa is Running"},
		{"retry scheduled", ApplicationSync{Exists: true, SyncStatus: "OutOfSync", SyncRevision: "bbb", Operation: &SyncOperation{Phase: OperationRunning, Revision: "bbb", RetryScheduled: true, RetryCount: 1, RetryLimit: 3, Message: "boom. Retrying attempt #1"}}, SyncWaiting, "attempt 1 of 3"},
		{"failed at the revision", ApplicationSync{Exists: true, SyncStatus: "OutOfSync", SyncRevision: "bbb", Operation: &SyncOperation{Phase: OperationFailed, Revision: "bbb", RetryCount: 2, Message: "one or more objects failed to apply", FailedResources: []string{"ConfigMap ns/x: invalid"}}}, SyncFailed, "ended Failed after 2 retries: one or more objects failed to apply [ConfigMap ns/x: invalid]"},
		{"errored at a later revision", ApplicationSync{Exists: true, SyncStatus: "OutOfSync", SyncRevision: "ccc", Operation: &SyncOperation{Phase: OperationError, Revision: "ccc", Message: "boom"}}, SyncFailed, "ended Error: boom"},
		{"failed at an older revision", ApplicationSync{Exists: true, SyncStatus: "OutOfSync", SyncRevision: "aaa", Operation: &SyncOperation{Phase: OperationFailed, Revision: "aaa", Message: "old"}}, SyncWaiting, "older revision"},
		{"progressing", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "bbb", HealthStatus: "Progressing", HealthMessage: "0 of 1 updated", Operation: succeeded("bbb")}, SyncWaiting, "health Progressing (0 of 1 updated)"},
		{"done at the revision", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "bbb", HealthStatus: "Healthy", Operation: succeeded("bbb")}, SyncDone, "Synced at bbb"},
		{"done at a later revision", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "ccc", HealthStatus: "Healthy", Operation: succeeded("ccc")}, SyncDone, "Synced at ccc"},
		{"done without an operation of its own", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "ccc", HealthStatus: "Healthy", Operation: succeeded("aaa")}, SyncDone, "Synced at ccc"},
		{"sync requested", ApplicationSync{Exists: true, OperationRequested: true, SyncStatus: "Synced", SyncRevision: "bbb", HealthStatus: "Healthy", Operation: succeeded("aaa")}, SyncWaiting, "requested"},
		{"never synced but in sync", ApplicationSync{Exists: true, SyncStatus: "Synced", SyncRevision: "bbb", HealthStatus: "Healthy"}, SyncDone, "Synced at bbb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg, err := tc.s.Progress(contains)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || !strings.Contains(msg, tc.wantMessage) {
				t.Errorf("Progress() = %v, %q; want %v with %q", got, msg, tc.want, tc.wantMessage)
			}
		})
	}
	// A resource whose message Argo CD's own quotes is not repeated.
	op := &SyncOperation{Phase: OperationFailed, Revision: "bbb", Message: "failed, reason: x is invalid",
		FailedResources: []string{"ConfigMap ns/x: x is invalid", "Job ns/hook: hook failed"}}
	if _, msg, _ := (ApplicationSync{Exists: true, SyncRevision: "bbb", Operation: op}).Progress(contains); msg != "Argo CD sync of bbb ended Failed: failed, reason: x is invalid [Job ns/hook: hook failed]" {
		t.Errorf("Progress() message = %q", msg)
	}
	if _, _, err := (ApplicationSync{Exists: true, SyncRevision: "zzz"}).Progress(contains); err == nil {
		t.Error("Progress() hid the error of atRevision")
	}
}

func TestApplicationSyncForRepository(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "argocd"},
		"spec": map[string]any{"sources": []any{
			map[string]any{"repoURL": "https://charts.example/", "chart": "web", "targetRevision": "1.2.3"},
			map[string]any{"repoURL": "https://git.example/Platform/values.git", "targetRevision": "main", "ref": "values"},
		}},
		"status": map[string]any{
			"sync": map[string]any{"status": "Synced", "revisions": []any{"1.2.3", "ccc"}},
			"operationState": map[string]any{
				"phase":      "Succeeded",
				"operation":  map[string]any{"sync": map[string]any{"revisions": []any{"1.2.3", "bbb"}}},
				"syncResult": map[string]any{"revisions": []any{"1.2.3", "ccc"}},
			},
		},
	}}
	st := ApplicationSyncOf(u)
	got := st.ForRepository("https://git.example/platform/values")
	if got.SyncRevision != "ccc" || got.Operation.Revision != "ccc" {
		t.Errorf("ForRepository(values) = revision %q, operation %q; want ccc and ccc", got.SyncRevision, got.Operation.Revision)
	}
	if st.Operation.Revision != "" {
		t.Errorf("ForRepository changed its receiver's operation: %q", st.Operation.Revision)
	}
	if other := st.ForRepository("https://git.example/other.git"); other.SyncRevision != "" || other.Operation.Revision != "" {
		t.Errorf("ForRepository(other) = %q, %q; want no revisions", other.SyncRevision, other.Operation.Revision)
	}
	single := ApplicationSync{SyncRevision: "aaa"}
	if got := single.ForRepository("https://git.example/x.git"); got.SyncRevision != "aaa" {
		t.Errorf("ForRepository() of a single source = %q, want it unchanged", got.SyncRevision)
	}
}
