package harborsim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func healthy(context.Context, Endpoint) error { return nil }

// fakeReplicator lists src and records the copies.
type fakeReplicator struct {
	mu     sync.Mutex
	src    []Artifact
	copies []string // dstRepository:tags
}

func (f *fakeReplicator) List(context.Context, Endpoint) ([]Artifact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Artifact(nil), f.src...), nil
}

func (f *fakeReplicator) Copy(_ context.Context, _ Endpoint, a Artifact, _ Endpoint, dst string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.copies = append(f.copies, dst+":"+strings.Join(a.Tags, ","))
	return nil
}

func (f *fakeReplicator) copied() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.copies...)
}

// newPolicyEnv returns a simulator of the given version with one healthy
// registry (id 1).
func newPolicyEnv(t *testing.T, version string, rep Replicator) *Server {
	t.Helper()
	s := New(Options{Version: version, Pinger: healthy, Replicator: rep})
	t.Cleanup(s.Close)
	if status, _, body := call(t, s, "POST", "/api/v2.0/registries", `{"name":"hub","url":"https://hub.example","type":"harbor"}`, false); status != 201 {
		t.Fatalf("create registry = %d %s", status, body)
	}
	return s
}

func getPolicy(t *testing.T, s *Server, id int64) map[string]any {
	t.Helper()
	status, _, body := call(t, s, "GET", fmt.Sprintf("/api/v2.0/replication/policies/%d", id), "", false)
	if status != 200 {
		t.Fatalf("GET policy = %d %s", status, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

var policyFields = []string{"dest_namespace_replace_count", "speed", "copy_by_chunk", "single_active_replication", "deletion", "replicate_deletion"}

func TestPolicyPutReplacesEverything(t *testing.T) {
	s := newPolicyEnv(t, "", nil)
	full := `{"name":"p","dest_registry":{"id":1},"dest_namespace":"mirror","dest_namespace_replace_count":1,"speed":1024,
		"copy_by_chunk":true,"single_active_replication":true,"deletion":true,"enabled":true,"trigger":{"type":"manual"}}`
	if status, _, body := call(t, s, "POST", "/api/v2.0/replication/policies", full, false); status != 201 {
		t.Fatalf("create = %d %s", status, body)
	}
	want := map[string]any{"dest_namespace_replace_count": 1.0, "speed": 1024.0, "copy_by_chunk": true,
		"single_active_replication": true, "deletion": true, "replicate_deletion": true}
	if diff := cmp.Diff(want, pick(getPolicy(t, s, 1), policyFields...)); diff != "" {
		t.Fatalf("created policy (-want +got):\n%s", diff)
	}
	// A PUT without the fields resets them, replicate_deletion is not read,
	// a negative speed is stored as 0 (no limit).
	for _, tt := range []struct {
		name, body string
		want       map[string]any
	}{
		{"nothing sent", `{"name":"p","dest_registry":{"id":1},"dest_namespace":"mirror","enabled":true}`,
			map[string]any{"dest_namespace_replace_count": -1.0, "speed": 0.0, "copy_by_chunk": false,
				"single_active_replication": false, "deletion": false, "replicate_deletion": false}},
		{"replicate_deletion only", `{"name":"p","dest_registry":{"id":1},"replicate_deletion":true,"speed":-1}`,
			map[string]any{"dest_namespace_replace_count": -1.0, "speed": 0.0, "copy_by_chunk": false,
				"single_active_replication": false, "deletion": false, "replicate_deletion": false}},
		{"all sent", strings.Replace(full, `"name":"p"`, `"name":"p"`, 1), want},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, _, body := call(t, s, "PUT", "/api/v2.0/replication/policies/1", tt.body, false); status != 200 {
				t.Fatalf("PUT = %d %s", status, body)
			}
			if diff := cmp.Diff(tt.want, pick(getPolicy(t, s, 1), policyFields...)); diff != "" {
				t.Fatalf("policy after PUT (-want +got):\n%s", diff)
			}
		})
	}
	// The replace count is an int8: beyond is a binding error.
	if status, _, body := call(t, s, "PUT", "/api/v2.0/replication/policies/1", `{"name":"p","dest_registry":{"id":1},"dest_namespace_replace_count":200}`, false); status != 422 {
		t.Fatalf("replace count 200 = %d %s, want 422", status, body)
	}
	// single_active_replication cannot go with an event-based trigger: the
	// handler's plain error is a 500.
	if status, _, body := call(t, s, "PUT", "/api/v2.0/replication/policies/1",
		`{"name":"p","dest_registry":{"id":1},"single_active_replication":true,"trigger":{"type":"event_based"}}`, false); status != 500 {
		t.Fatalf("single active event-based = %d %s, want 500", status, body)
	}
}

func TestPolicySingleActiveBeforeV214(t *testing.T) {
	s := newPolicyEnv(t, "v2.13.2-abc", nil)
	body := `{"name":"p","dest_registry":{"id":1},"single_active_replication":true,"trigger":{"type":"event_based"}}`
	if status, _, b := call(t, s, "POST", "/api/v2.0/replication/policies", body, false); status != 201 {
		t.Fatalf("create on v2.13 = %d %s, want 201 (the field is ignored)", status, b)
	}
	if _, ok := getPolicy(t, s, 1)["single_active_replication"]; ok {
		t.Fatalf("v2.13 shows single_active_replication, which it does not have")
	}
}

func TestReplicationHonoursReplaceCount(t *testing.T) {
	rep := &fakeReplicator{src: []Artifact{{Repository: "apps/team/web", Digest: "sha256:" + strings.Repeat("a", 64), Tags: []string{"v1"}}}}
	for _, tt := range []struct {
		count string
		want  string
	}{
		{"", "mirror/web:v1"},
		{`,"dest_namespace_replace_count":0`, "mirror/apps/team/web:v1"},
		{`,"dest_namespace_replace_count":1`, "mirror/team/web:v1"},
		{`,"dest_namespace_replace_count":2`, "mirror/web:v1"},
	} {
		rep.copies = nil
		s := newPolicyEnv(t, "", rep)
		body := `{"name":"pull","src_registry":{"id":1},"dest_namespace":"mirror","enabled":true` + tt.count + `}`
		if status, _, b := call(t, s, "POST", "/api/v2.0/replication/policies", body, false); status != 201 {
			t.Fatalf("create = %d %s", status, b)
		}
		call(t, s, "POST", "/api/v2.0/replication/executions", `{"policy_id":1}`, false)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if diff := cmp.Diff([]string{tt.want}, rep.copied()); diff != "" {
			t.Errorf("count %q: copies (-want +got):\n%s", tt.count, diff)
		}
	}
}
