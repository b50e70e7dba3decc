package harborsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// call makes one raw request as admin (or anonymous when anon) and returns
// the status, headers and body.
func call(t *testing.T, s *Server, method, target, body string, anon bool) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if !anon {
		req.SetBasicAuth("admin", "Harbor12345")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil || len(eb.Errors) != 1 || eb.Errors[0].Message == "" {
		t.Fatalf("body %q is not Harbor's error body", body)
	}
	return eb.Errors[0].Code
}

func TestErrorsAndAuth(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	code, h, _ := call(t, s, "POST", "/api/v2.0/projects", `{"project_name":"pub","metadata":{"public":"true"}}`, false)
	if code != 201 || h.Get("Location") != "/api/v2.0/projects/2" {
		t.Fatalf("create = %d Location %q, want 201 /api/v2.0/projects/2 (library is 1)", code, h.Get("Location"))
	}
	call(t, s, "POST", "/api/v2.0/projects", `{"project_name":"priv"}`, false)
	tests := []struct {
		name, method, target, body string
		anon                       bool
		status                     int
		code                       string
	}{
		{"unknown path", "GET", "/api/v2.0/nothing", "", false, 404, codeNotFound},
		{"anonymous write", "POST", "/api/v2.0/projects", `{"project_name":"x"}`, true, 401, codeUnauthorized},
		{"anonymous private project", "GET", "/api/v2.0/projects/priv", "", true, 401, codeUnauthorized},
		{"anonymous registries", "GET", "/api/v2.0/registries", "", true, 401, codeUnauthorized},
		{"malformed body", "POST", "/api/v2.0/projects", `{"project_name":`, false, 422, codeUnprocessable},
		{"missing body", "POST", "/api/v2.0/registries", "", false, 422, codeUnprocessable},
		{"wrong type in body", "POST", "/api/v2.0/replication/executions", `{"policy_id":"one"}`, false, 422, codeUnprocessable},
		{"page size beyond 100", "GET", "/api/v2.0/projects?page_size=101", "", false, 422, codeUnprocessable},
		{"non-numeric id", "GET", "/api/v2.0/registries/abc", "", false, 422, codeUnprocessable},
		{"head without name", "HEAD", "/api/v2.0/projects", "", false, 400, ""},
		{"missing project by name", "GET", "/api/v2.0/projects/nope", "", false, 404, codeNotFound},
		{"missing project by id", "GET", "/api/v2.0/projects/42", "", false, 404, codeNotFound},
		{"library exists", "HEAD", "/api/v2.0/projects?project_name=library", "", false, 200, ""},
		{"member of missing project", "GET", "/api/v2.0/projects/nope/members", "", false, 404, codeNotFound},
		{"artifact of missing project", "GET", "/api/v2.0/projects/nope/repositories/x/artifacts/v1", "", false, 404, codeNotFound},
		{"missing artifact", "GET", "/api/v2.0/projects/pub/repositories/x/artifacts/v1", "", false, 404, codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := call(t, s, tt.method, tt.target, tt.body, tt.anon)
			if status != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.target, status, body, tt.status)
			}
			if tt.code != "" {
				if got := errorCode(t, body); got != tt.code {
					t.Fatalf("code = %s, want %s", got, tt.code)
				}
			}
		})
	}
	// Wrong credentials make the request anonymous, as in Harbor: 401 where
	// authentication is required, public projects only in the list.
	wrong := func(method, target string) (int, string) {
		req := httptest.NewRequest(method, target, nil)
		req.SetBasicAuth("admin", "wrong")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, body := wrong("GET", "/api/v2.0/users/current"); code != 401 || errorCode(t, body) != codeUnauthorized {
		t.Fatalf("wrong password GET /users/current = %d %s, want 401 UNAUTHORIZED", code, body)
	}
	if code, body := wrong("GET", "/api/v2.0/replication/policies"); code != 401 || errorCode(t, body) != codeUnauthorized {
		t.Fatalf("wrong password GET /replication/policies = %d %s, want 401 UNAUTHORIZED", code, body)
	}
	for _, anonymous := range []func() (int, string){
		func() (int, string) {
			status, _, body := call(t, s, "GET", "/api/v2.0/projects", "", true)
			return status, body
		},
		func() (int, string) { return wrong("GET", "/api/v2.0/projects") },
	} {
		_, body := anonymous()
		var ps []projectJSON
		if err := json.Unmarshal([]byte(body), &ps); err != nil || len(ps) != 2 || ps[0].Name != "library" || ps[1].Name != "pub" {
			t.Fatalf("anonymous list = %s, want the public library and pub only", body)
		}
	}
	if status, _, body := call(t, s, "GET", "/api/v2.0/users/current", "", false); status != 200 || !strings.Contains(body, `"sysadmin_flag":true`) {
		t.Fatalf("admin GET /users/current = %d %s", status, body)
	}
	// /health and /systeminfo answer without credentials.
	for _, p := range []string{"/api/v2.0/health", "/api/v2.0/systeminfo"} {
		if status, _, _ := call(t, s, "GET", p, "", true); status != 200 {
			t.Fatalf("anonymous GET %s = %d, want 200", p, status)
		}
	}
}

func TestPaginationHeaders(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	for i := range 4 {
		call(t, s, "POST", "/api/v2.0/projects", fmt.Sprintf(`{"project_name":"p%d"}`, i), false)
	}
	// library, p0, p1, p2, p3
	_, h, body := call(t, s, "GET", "/api/v2.0/projects?page=2&page_size=2", "", false)
	want := `</api/v2.0/projects?page=1&page_size=2>; rel="prev" , </api/v2.0/projects?page=3&page_size=2>; rel="next"`
	if h.Get("X-Total-Count") != "5" || h.Get("Link") != want {
		t.Fatalf("headers X-Total-Count %q Link %q, want 5 and %q", h.Get("X-Total-Count"), h.Get("Link"), want)
	}
	var ps []projectJSON
	_ = json.Unmarshal([]byte(body), &ps)
	if len(ps) != 2 || ps[0].Name != "p1" {
		t.Fatalf("page 2 = %s", body)
	}
	_, h, body = call(t, s, "GET", "/api/v2.0/projects?page=3&page_size=2", "", false)
	if strings.Contains(h.Get("Link"), "next") || !strings.Contains(body, "p3") {
		t.Fatalf("last page Link %q body %s", h.Get("Link"), body)
	}
	_, _, body = call(t, s, "GET", "/api/v2.0/projects?page=9", "", false)
	if strings.TrimSpace(body) != "[]" {
		t.Fatalf("page beyond the end = %s, want []", body)
	}
}

func TestFaultInjection(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.SetFaults(Faults{ErrorRate: 1, Statuses: []int{429}, RetryAfter: 3})
	status, h, body := call(t, s, "GET", "/api/v2.0/health", "", true)
	if status != 429 || h.Get("Retry-After") != "3" || errorCode(t, body) == "" {
		t.Fatalf("injected = %d Retry-After %q, want 429 with Retry-After 3", status, h.Get("Retry-After"))
	}
	s.SetFaults(Faults{LostResponseRate: 1})
	status, _, _ = call(t, s, "POST", "/api/v2.0/projects", `{"project_name":"kept"}`, false)
	if status != 500 {
		t.Fatalf("lost answer = %d, want 500", status)
	}
	s.SetFaults(Faults{DelayRate: 1, Delay: 30 * time.Millisecond})
	start := time.Now()
	status, _, _ = call(t, s, "HEAD", "/api/v2.0/projects?project_name=kept", "", false)
	if status != 200 || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("delayed HEAD = %d after %s, want 200 (the lost create was kept) after the delay", status, time.Since(start))
	}
	s.SetFaults(Faults{})
	if st := s.FaultStats(); st.Errors != 1 || st.LostResponses != 1 || st.Delays != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestValidateCron(t *testing.T) {
	for cron, ok := range map[string]bool{
		"0 0 2 * * *": true, "0 */15 * * * *": true, "0 0 0 1 jan mon-fri": true, "0 5,35 8-18 ? * 1": true,
		"0 0 2 * *": false, "* * *": false, "@daily": false, "1 0 2 * * *": false, "0 * * * * *": false,
		"0 60 * * * *": false, "0 0 0 0 * *": false, "0 0 0 * 13 *": false, "0 0 0 * * 7": false, "0 5-1 * * * *": false,
		"0 0 */0 * * *": false, "0 0 2 * * * *": false,
	} {
		if err := validateCron(cron); (err == nil) != ok {
			t.Errorf("validateCron(%q) = %v, want ok=%v", cron, err, ok)
		}
	}
}

func TestReplaceNamespace(t *testing.T) {
	tests := []struct {
		repo, ns string
		count    int
		want     string
	}{
		{"a/b/c/image", "n", -1, "n/image"},
		{"a/b/c/image", "n", 0, "n/a/b/c/image"},
		{"a/b/c/image", "n", 1, "n/b/c/image"},
		{"a/b/c/image", "n", 3, "n/image"},
		{"a/b/c/image", "n", 4, ""},
		{"a/image", "", 1, "a/image"},
	}
	for _, tt := range tests {
		got, err := replaceNamespace(tt.repo, tt.ns, tt.count)
		if tt.want == "" {
			if err == nil {
				t.Errorf("replaceNamespace(%q, %q, %d) = %q, want an error", tt.repo, tt.ns, tt.count, got)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" || err != nil {
			t.Errorf("replaceNamespace(%q, %q, %d) = %q, %v", tt.repo, tt.ns, tt.count, got, err)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		match      bool
	}{
		{"apps/**", "apps/team/web", true},
		{"apps/*", "apps/team/web", false},
		{"apps/*", "apps/web", true},
		{"v*", "v1.2", true},
		{"{v1,v2}", "v2", true},
		{"{v1,v2}", "v3", false},
		{"v?", "v10", false},
		{"v[0-9]", "v7", true},
		{"v[0-9]", "vx", false},
		{"v[0-9].*", "v1.2", true},
		{"**", "", true},
		{"*", "", true},
		{"v*", "", false},
		{"", "anything", true},
	} {
		got, err := match(tt.pattern, tt.s)
		if err != nil || got != tt.match {
			t.Errorf("match(%q, %q) = %v, %v; want %v", tt.pattern, tt.s, got, err, tt.match)
		}
	}
	if _, err := match("{a,b", "a"); err == nil {
		t.Errorf("match({a,b) gave no error, want a bad pattern")
	}
}

func TestStartListensOnAddress(t *testing.T) {
	inst, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	resp, err := http.Get(inst.URL + "/api/v2.0/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /health = %d", resp.StatusCode)
	}
}
