package bitbucketsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
)

const (
	user = "mc-admin"
	pass = "app-password"
	ws   = bitbucketsim.DefaultWorkspace
)

var alice = bitbucketsim.SeedUsers[0].AccountID

type sim struct {
	t   *testing.T
	s   *bitbucketsim.Server
	srv *httptest.Server
}

func newSim(t *testing.T) *sim {
	t.Helper()
	s := bitbucketsim.New(bitbucketsim.Options{Username: user, Password: pass, GitRoot: t.TempDir()})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &sim{t: t, s: s, srv: srv}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// message returns error.message of an error body.
func (a answer) message() string {
	e, _ := a.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// field returns the messages of error.fields[name], joined.
func (a answer) field(name string) string {
	e, _ := a.body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	var out []string
	if v, ok := f[name].([]any); ok {
		for _, m := range v {
			out = append(out, m.(string))
		}
	}
	return strings.Join(out, "; ")
}

func (s *sim) call(method, path, body string, creds ...string) answer {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if creds == nil {
		creds = []string{user, pass}
	}
	if len(creds) == 2 {
		req.SetBasicAuth(creds[0], creds[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	data, _ := io.ReadAll(resp.Body)
	if len(data) > 0 {
		if err := json.Unmarshal(data, &a.body); err != nil {
			s.t.Fatalf("%s %s: the answer is no JSON object: %q", method, path, data)
		}
	}
	return a
}

// must calls and fails unless the status is want.
func (s *sim) must(want int, method, path, body string) answer {
	s.t.Helper()
	a := s.call(method, path, body)
	if a.status != want {
		s.t.Fatalf("%s %s = %d %v, want %d", method, path, a.status, a.body, want)
	}
	return a
}

func TestAuthenticationAndErrorBodies(t *testing.T) {
	s := newSim(t)
	tests := []struct {
		name        string
		method      string
		path        string
		creds       []string
		wantStatus  int
		wantMessage string
	}{
		{"no credentials", "GET", "/2.0/user", []string{}, 401, "Unauthorized"},
		{"wrong password", "GET", "/2.0/user", []string{user, "nope"}, 401, "Unauthorized"},
		{"wrong user", "GET", "/2.0/user", []string{"someone", pass}, 401, "Unauthorized"},
		{"email with the token", "GET", "/2.0/user", []string{"mc-admin@mcplatform.example", pass}, 200, ""},
		{"unknown path", "GET", "/2.0/nothing/here", nil, 404, "Resource not found"},
		{"wrong method", "PATCH", "/2.0/workspaces/" + ws + "/projects", nil, 405, "Method PATCH not allowed"},
		{"unknown workspace", "GET", "/2.0/workspaces/nope/projects", nil, 404, "No workspace with identifier 'nope'."},
		{"unknown user", "GET", "/2.0/users/557058:ffffffff-0000-4000-8000-000000000000", nil, 404, ""},
		{"sandbox endpoints need credentials", "POST", "/_sandbox/users", []string{}, 401, "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.call(tt.method, tt.path, "", tt.creds...)
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d %v, want %d", a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus >= 400 && a.body["type"] != "error" {
				t.Errorf("body = %v, want type error", a.body)
			}
			if tt.wantMessage != "" && a.message() != tt.wantMessage {
				t.Errorf("message = %q, want %q", a.message(), tt.wantMessage)
			}
			if tt.wantStatus == 405 && a.header.Get("Allow") != "GET, POST" {
				t.Errorf("Allow = %q, want GET, POST", a.header.Get("Allow"))
			}
			if tt.wantStatus == 401 && a.header.Get("WWW-Authenticate") != `Basic realm="Bitbucket.org HTTP"` {
				t.Errorf("WWW-Authenticate = %q", a.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestPagination(t *testing.T) {
	s := newSim(t)
	for _, k := range []string{"A1", "A2", "A3"} {
		s.must(201, "POST", "/2.0/workspaces/"+ws+"/projects/", `{"key":"`+k+`","name":"n"}`)
	}
	p1 := s.must(200, "GET", "/2.0/workspaces/"+ws+"/projects?pagelen=2", "")
	if p1.body["size"] != 3.0 || p1.body["page"] != 1.0 || p1.body["pagelen"] != 2.0 || len(p1.body["values"].([]any)) != 2 || p1.body["previous"] != nil {
		t.Fatalf("page 1 = %v", p1.body)
	}
	next, err := url.Parse(p1.body["next"].(string))
	if err != nil || next.Query().Get("page") != "2" || next.Query().Get("pagelen") != "2" {
		t.Fatalf("next = %v, want page=2 and pagelen=2 kept", p1.body["next"])
	}
	p2 := s.must(200, "GET", next.RequestURI(), "")
	vals := p2.body["values"].([]any)
	if len(vals) != 1 || vals[0].(map[string]any)["key"] != "A3" || p2.body["next"] != nil || p2.body["previous"] == nil {
		t.Fatalf("page 2 = %v", p2.body)
	}
	if p := s.must(200, "GET", "/2.0/workspaces/"+ws+"/projects?page=9", ""); len(p.body["values"].([]any)) != 0 {
		t.Fatalf("a page past the end = %v, want no values", p.body)
	}
	for _, q := range []string{"pagelen=0", "pagelen=101", "pagelen=x", "page=0"} {
		s.must(400, "GET", "/2.0/workspaces/"+ws+"/projects?"+q, "")
	}
}

func TestProjects(t *testing.T) {
	s := newSim(t)
	base := "/2.0/workspaces/" + ws + "/projects"
	a := s.must(201, "POST", base, `{"key":"web","name":"Web","description":"d"}`)
	if a.body["key"] != "WEB" || a.body["is_private"] != true || !strings.HasSuffix(a.header.Get("Location"), "/projects/WEB") {
		t.Fatalf("POST = %v (Location %q), want key WEB, private, Location .../projects/WEB", a.body, a.header.Get("Location"))
	}
	s.must(200, "GET", base+"/web", "")
	s.must(200, "GET", base+"/"+url.PathEscape(a.body["uuid"].(string)), "")
	for body, field := range map[string]string{
		`{"key":"1WEB","name":"x"}`: "key", `{"key":"W-B","name":"x"}`: "key", `{"name":"x"}`: "key",
		`{"key":"OK"}`: "name", `{"key":"WEB","name":"again"}`: "__all__",
	} {
		if a := s.must(400, "POST", base, body); a.field(field) == "" {
			t.Errorf("POST %s: fields = %v, want a message on %s", body, a.body, field)
		}
	}
	s.must(400, "POST", base, `not json`)
	if a := s.must(201, "PUT", base+"/NEW", `{"name":"New"}`); a.body["key"] != "NEW" {
		t.Fatalf("PUT at a free key = %v", a.body)
	}
	if a := s.must(200, "PUT", base+"/NEW", `{"key":"NEWER","description":"moved"}`); a.body["key"] != "NEWER" || a.body["name"] != "New" || !strings.HasSuffix(a.header.Get("Location"), "/NEWER") {
		t.Fatalf("PUT with a new key = %v", a.body)
	}
	s.must(404, "GET", base+"/NEW", "")
	s.must(400, "PUT", base+"/NEWER", `{"key":"WEB"}`)
	s.must(200, "POST", "/2.0/repositories/"+ws+"/site", `{"project":{"key":"WEB"}}`)
	if a := s.must(403, "DELETE", base+"/WEB", ""); !strings.Contains(a.message(), "still contains repositories (site)") {
		t.Fatalf("DELETE with a repository: %q", a.message())
	}
	s.must(204, "DELETE", "/2.0/repositories/"+ws+"/site", "")
	s.must(204, "DELETE", base+"/WEB", "")
	s.must(404, "DELETE", base+"/WEB", "")
}

func TestRepositories(t *testing.T) {
	s := newSim(t)
	s.must(201, "POST", "/2.0/workspaces/"+ws+"/projects", `{"key":"OLD","name":"oldest"}`)
	s.must(201, "POST", "/2.0/workspaces/"+ws+"/projects", `{"key":"PUB","name":"public","is_private":false}`)
	repos := "/2.0/repositories/" + ws
	if a := s.must(200, "POST", repos+"/no-project", `{"scm":"git"}`); a.body["project"].(map[string]any)["key"] != "OLD" {
		t.Fatalf("a repository without a project = %v, want it in the oldest project", a.body["project"])
	}
	a := s.must(200, "POST", repos+"/zeta", `{"name":"Zeta","project":{"key":"PUB"},"is_private":false,"fork_policy":"no_forks"}`)
	if a.body["is_private"] != false || a.body["fork_policy"] != "no_forks" || a.body["full_name"] != ws+"/zeta" {
		t.Fatalf("POST = %v", a.body)
	}
	s.must(200, "POST", repos+"/alpha", `{"project":{"key":"PUB"}}`)
	for path, body := range map[string]string{
		repos + "/Bad%20Slug": `{}`, repos + "/x.git": `{}`, repos + "/hg": `{"scm":"hg"}`,
		repos + "/ghost": `{"project":{"key":"NOPE"}}`, repos + "/fp": `{"fork_policy":"maybe"}`,
		repos + "/pub-in-private": `{"project":{"key":"OLD"},"is_private":false}`,
	} {
		s.must(400, "POST", path, body)
	}
	if a := s.must(400, "POST", repos+"/zeta", `{}`); a.message() != "Repository with this Slug and Owner already exists." {
		t.Fatalf("a second POST: %q", a.message())
	}
	slugs := func(a answer) []string {
		var out []string
		for _, v := range a.body["values"].([]any) {
			out = append(out, v.(map[string]any)["slug"].(string))
		}
		return out
	}
	q := url.Values{"q": {`project.key="PUB" AND name ~ "a"`}, "sort": {"-slug"}}
	if diff := cmp.Diff([]string{"zeta", "alpha"}, slugs(s.must(200, "GET", repos+"?"+q.Encode(), ""))); diff != "" {
		t.Errorf("filtered and sorted (-want +got):\n%s", diff)
	}
	q = url.Values{"q": {`is_private = false`}}
	if diff := cmp.Diff([]string{"zeta"}, slugs(s.must(200, "GET", repos+"?"+q.Encode(), ""))); diff != "" {
		t.Errorf("is_private = false (-want +got):\n%s", diff)
	}
	s.must(400, "GET", repos+"?q="+url.QueryEscape(`project.key IN ("A")`), "")
	s.must(400, "GET", repos+"?sort=size", "")
	if a := s.must(200, "PUT", repos+"/alpha", `{"description":"moved","project":{"key":"OLD"}}`); a.body["project"].(map[string]any)["key"] != "OLD" || a.body["description"] != "moved" {
		t.Fatalf("PUT = %v", a.body)
	}
	s.must(201, "PUT", repos+"/beta", `{"project":{"key":"OLD"}}`)

	perms := repos + "/zeta/permissions-config"
	s.must(400, "PUT", perms+"/users/"+alice, `{"permission":"create-repo"}`)
	s.must(200, "PUT", perms+"/users/"+alice, `{"permission":"write"}`)
	s.must(200, "PUT", perms+"/groups/platform-devs", `{"permission":"read"}`)
	if a := s.must(200, "GET", perms+"/users", ""); a.body["size"] != 1.0 {
		t.Fatalf("repository user permissions = %v", a.body)
	}
	if a := s.must(200, "GET", perms+"/groups/platform-devs", ""); a.body["type"] != "repository_group_permission" || a.body["permission"] != "read" {
		t.Fatalf("repository group permission = %v", a.body)
	}
	s.must(404, "PUT", perms+"/groups/nobody", `{"permission":"read"}`)
}

func TestProjectPermissionAnswers(t *testing.T) {
	s := newSim(t)
	s.must(201, "POST", "/2.0/workspaces/"+ws+"/projects", `{"key":"PRM","name":"p"}`)
	base := "/2.0/workspaces/" + ws + "/projects/PRM/permissions-config"
	a := s.must(200, "PUT", base+"/users/"+alice, `{"permission":"create-repo"}`)
	if a.body["type"] != "project_user_permission" || a.body["user"].(map[string]any)["account_id"] != alice ||
		a.body["project"].(map[string]any)["key"] != "PRM" || !strings.HasSuffix(a.body["links"].(map[string]any)["self"].(map[string]any)["href"].(string), "/users/"+alice) {
		t.Fatalf("PUT = %v", a.body)
	}
	for _, body := range []string{`{}`, `{"permission":""}`, `{"permission":"none"}`, `{"permission":"owner"}`} {
		s.must(400, "PUT", base+"/users/"+alice, body)
	}
	s.must(400, "PUT", base+"/users/"+bitbucketsim.AdminAccountID, `{"permission":"read"}`)
	s.must(404, "DELETE", base+"/users/557058:ffffffff-0000-4000-8000-000000000000", "")
	a = s.must(200, "PUT", base+"/groups/platform-devs", `{"permission":"admin"}`)
	if g := a.body["group"].(map[string]any); g["slug"] != "platform-devs" || g["full_slug"] != ws+":platform-devs" {
		t.Fatalf("group = %v", g)
	}
}

func TestBranchRestrictions(t *testing.T) {
	s := newSim(t)
	s.must(201, "POST", "/2.0/workspaces/"+ws+"/projects", `{"key":"BR","name":"b"}`)
	s.must(200, "POST", "/2.0/repositories/"+ws+"/app", `{"project":{"key":"BR"}}`)
	base := "/2.0/repositories/" + ws + "/app/branch-restrictions"
	for _, body := range []string{
		`{}`, `{"kind":"nope","pattern":"main"}`, `{"kind":"push"}`,
		`{"kind":"require_approvals_to_merge","pattern":"main"}`,
		`{"kind":"delete","branch_match_kind":"branching_model","branch_type":"trunk"}`,
		`{"kind":"force","pattern":"main","users":[{"account_id":"` + alice + `"}]}`,
		`{"kind":"push","pattern":"main","groups":[{"slug":"nobody"}]}`,
	} {
		s.must(400, "POST", base, body)
	}
	a := s.must(201, "POST", base, `{"kind":"push","pattern":"main","users":[{"account_id":"`+alice+`"}],"groups":[{"slug":"platform-devs"}]}`)
	id := a.body["id"].(float64)
	if a.body["branch_match_kind"] != "glob" || len(a.body["users"].([]any)) != 1 || len(a.body["groups"].([]any)) != 1 {
		t.Fatalf("POST = %v", a.body)
	}
	s.must(201, "POST", base, `{"kind":"require_approvals_to_merge","pattern":"main","value":2}`)
	s.must(201, "POST", base, `{"kind":"delete","branch_match_kind":"branching_model","branch_type":"release"}`)
	if a := s.must(200, "GET", base+"?kind=push", ""); a.body["size"] != 1.0 {
		t.Fatalf("kind=push = %v", a.body)
	}
	path := base + "/" + strconv.Itoa(int(id))
	if a := s.must(200, "PUT", path, `{"pattern":"release/*"}`); a.body["pattern"] != "release/*" || a.body["kind"] != "push" {
		t.Fatalf("PUT = %v", a.body)
	}
	s.must(204, "DELETE", path, "")
	s.must(404, "GET", path, "")
}

func TestWebhooks(t *testing.T) {
	s := newSim(t)
	s.must(201, "POST", "/2.0/workspaces/"+ws+"/projects", `{"key":"WH","name":"w"}`)
	s.must(200, "POST", "/2.0/repositories/"+ws+"/app", `{"project":{"key":"WH"}}`)
	for _, base := range []string{"/2.0/repositories/" + ws + "/app/hooks", "/2.0/workspaces/" + ws + "/hooks"} {
		for _, body := range []string{`{"events":["repo:push"]}`, `{"url":"ftp://x","events":["repo:push"]}`, `{"url":"https://ci.example/hook"}`, `{"url":"https://ci.example/hook","events":["repo:nope"]}`} {
			s.must(400, "POST", base, body)
		}
		a := s.must(201, "POST", base, `{"url":"https://ci.example/hook","description":"ci","events":["repo:push"],"secret":"s3cret"}`)
		if a.body["secret_set"] != true || a.body["secret"] != nil || a.body["active"] != true {
			t.Fatalf("POST %s = %v, want secret_set without the secret, active", base, a.body)
		}
		uid := url.PathEscape(a.body["uuid"].(string))
		if a := s.must(200, "PUT", base+"/"+uid, `{"active":false,"events":["repo:push","pullrequest:created"]}`); a.body["active"] != false || len(a.body["events"].([]any)) != 2 {
			t.Fatalf("PUT = %v", a.body)
		}
		s.must(200, "GET", base+"/"+uid, "")
		if a := s.must(200, "GET", base, ""); a.body["size"] != 1.0 {
			t.Fatalf("GET %s = %v", base, a.body)
		}
		s.must(204, "DELETE", base+"/"+uid, "")
		s.must(404, "GET", base+"/"+uid, "")
	}
}

func TestSandboxEndpoints(t *testing.T) {
	s := newSim(t)
	s.must(400, "POST", "/_sandbox/users", `{"account_id":"a/b"}`)
	s.must(400, "POST", "/_sandbox/users", `{"display_name":"nobody"}`)
	s.must(201, "POST", "/_sandbox/users", `{"account_id":"557058:0000000d-0000-4000-8000-00000000da7e","display_name":"Dave","email":"dave@example.com"}`)
	if a := s.must(200, "GET", "/2.0/users/557058:0000000d-0000-4000-8000-00000000da7e", ""); a.body["display_name"] != "Dave" {
		t.Fatalf("the seeded user = %v", a.body)
	}
	s.must(400, "POST", "/_sandbox/groups", `{"name":"x","members":["557058:ffffffff-0000-4000-8000-000000000000"]}`)
	s.must(201, "POST", "/_sandbox/groups", `{"name":"Release Managers","members":["557058:0000000d-0000-4000-8000-00000000da7e"]}`)
	s.must(201, "POST", "/2.0/workspaces/"+ws+"/projects", `{"key":"SB","name":"s"}`)
	s.must(200, "PUT", "/2.0/workspaces/"+ws+"/projects/SB/permissions-config/groups/release-managers", `{"permission":"read"}`)
}

func TestFaultsAnswerInBitbucketsBodyAndSpareGit(t *testing.T) {
	s := newSim(t)
	s.s.SetFaults(bitbucketsim.Faults{ErrorRate: 1, Statuses: []int{http.StatusTooManyRequests}, RetryAfter: 3})
	a := s.call("GET", "/2.0/user", "")
	if a.status != 429 || a.header.Get("Retry-After") != "3" || a.body["type"] != "error" || !strings.Contains(a.message(), "429") {
		t.Fatalf("answer = %d %v %v, want 429 with Retry-After 3 in an error body", a.status, a.header, a.body)
	}
	// git and the sandbox endpoints are not behind the injector.
	s.must(201, "POST", "/_sandbox/users", `{"account_id":"557058:0000000d-0000-4000-8000-00000000da7e"}`)
	req, _ := http.NewRequest("GET", s.srv.URL+"/"+ws+"/none.git/info/refs?service=git-upload-pack", nil)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("git of an unknown repository = %d, want 404", resp.StatusCode)
	}
	if st := s.s.FaultStats(); st.Requests != 1 || st.Errors != 1 {
		t.Fatalf("FaultStats() = %+v, want the one API request", st)
	}
}
