package harborsim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func digest(c string) string { return "sha256:" + strings.Repeat(c, 64) }

// runPolicy creates a pull policy from registry 1 with the filters and runs
// it to the end; it returns the execution and its tasks.
func runPolicy(t *testing.T, s *Server, name, filters string) (executionJSON, []taskJSON) {
	t.Helper()
	body := `{"name":"` + name + `","src_registry":{"id":1},"dest_namespace":"mirror","enabled":true,"filters":` + filters + `}`
	status, h, b := call(t, s, "POST", "/api/v2.0/replication/policies", body, false)
	if status != 201 {
		t.Fatalf("create %s = %d %s", name, status, b)
	}
	id := h.Get("Location")[strings.LastIndex(h.Get("Location"), "/")+1:]
	_, h, _ = call(t, s, "POST", "/api/v2.0/replication/executions", `{"policy_id":`+id+`}`, false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	e := executionStatus(t, s, h.Get("Location"))
	_, _, b = call(t, s, "GET", fmt.Sprintf("/api/v2.0/replication/executions/%d/tasks", e.ID), "", false)
	var tasks []taskJSON
	if err := json.Unmarshal([]byte(b), &tasks); err != nil {
		t.Fatal(err)
	}
	return e, tasks
}

func TestSelectionAndTasks(t *testing.T) {
	rep := &fakeReplicator{src: []Artifact{
		{Repository: "apps/web", Digest: digest("a"), Tags: []string{"v1", "v1.1", "latest"}},
		{Repository: "apps/web", Digest: digest("b")},
		{Repository: "apps/api", Digest: digest("c"), Tags: []string{"v2"}, Type: "CHART"},
		{Repository: "other/x", Digest: digest("d"), Tags: []string{"v3"}},
	}}
	s := newPolicyEnv(t, "", rep)
	type summary struct {
		Status, Text              string
		Total, Succeed, InProgres int
		Tasks                     []string
	}
	sum := func(e executionJSON, tasks []taskJSON) summary {
		out := summary{Status: e.Status, Text: e.StatusText, Total: e.Total, Succeed: e.Succeed, InProgres: e.InProgress}
		for _, tk := range tasks {
			out.Tasks = append(out.Tasks, tk.ResourceType+" "+tk.SrcResource+" -> "+tk.DstResource)
		}
		return out
	}
	tests := []struct {
		name, filters string
		want          summary
		copies        []string
	}{
		{
			name:    "name and tag with a class; resource filter ignored; untagged left out",
			filters: `[{"type":"name","value":"apps/**"},{"type":"tag","value":"v[0-9]*"},{"type":"resource","value":"image"}]`,
			want: summary{Status: statusSucceed, Total: 2, Succeed: 2, Tasks: []string{
				"artifact apps/web [2 item(s) in total] -> mirror/web [2 item(s) in total]",
				"artifact apps/api [1 item(s) in total] -> mirror/api [1 item(s) in total]"}},
			copies: []string{"mirror/web:v1,v1.1", "mirror/api:v2"},
		},
		{
			name:    "untagged artifacts match the empty tag",
			filters: `[{"type":"name","value":"apps/web"},{"type":"tag","value":"**"}]`,
			want: summary{Status: statusSucceed, Total: 1, Succeed: 1, Tasks: []string{
				"artifact apps/web [4 item(s) in total] -> mirror/web [4 item(s) in total]"}},
			copies: []string{"mirror/web:v1,v1.1,latest", "mirror/web:"},
		},
		{
			name:    "excluding a tag keeps the untagged",
			filters: `[{"type":"name","value":"apps/web"},{"type":"tag","value":"latest","decoration":"excludes"}]`,
			want: summary{Status: statusSucceed, Total: 1, Succeed: 1, Tasks: []string{
				"artifact apps/web [3 item(s) in total] -> mirror/web [3 item(s) in total]"}},
			copies: []string{"mirror/web:v1,v1.1", "mirror/web:"},
		},
		{
			name:    "nothing to copy",
			filters: `[{"type":"tag","value":"nothing-*"}]`,
			want:    summary{Status: statusSucceed, Text: "no resources need to be replicated"},
		},
		{
			name:    "a bad pattern fails the execution",
			filters: `[{"type":"tag","value":"{v1"}]`,
			want:    summary{Status: statusFailed, Text: "failed to fetch artifacts: syntax error in pattern"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep.mu.Lock()
			rep.copies = nil
			rep.mu.Unlock()
			e, tasks := runPolicy(t, s, fmt.Sprintf("p%d", i), tt.filters)
			if diff := cmp.Diff(tt.want, sum(e, tasks)); diff != "" {
				t.Errorf("execution (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.copies, rep.copied()); diff != "" {
				t.Errorf("copies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterValidation(t *testing.T) {
	s := newPolicyEnv(t, "", nil)
	n := 0
	for filters, status := range map[string]int{
		`[{"type":"tag","value":"v*","decoration":"excludes"}]`:    201,
		`[{"type":"name","value":"a/**","decoration":"excludes"}]`: 400,
		`[{"type":"resource","value":"chart"}]`:                    400,
		`[{"type":"label","value":"x"}]`:                           400,
		`[{"type":"tag","value":"v*","decoration":"sometimes"}]`:   400,
		`[{"type":"repository","value":"x"}]`:                      400,
	} {
		n++
		body := `{"name":"f` + fmt.Sprint(n) + `","dest_registry":{"id":1},"filters":` + filters + `}`
		if got, _, b := call(t, s, "POST", "/api/v2.0/replication/policies", body, false); got != status {
			t.Errorf("filters %s = %d %s, want %d", filters, got, b, status)
		}
	}
}
