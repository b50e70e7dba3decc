package jirasim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

const (
	email = "admin@example.com"
	token = "ATATT-sim-token"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends method path with body (JSON) as the admin, or anonymously when
// anon, and decodes the answer.
func call(t *testing.T, h http.Handler, method, path, body string, anon bool) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if !anon {
		req.SetBasicAuth(email, token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &a.body)
	return a
}

func newSim(t *testing.T) *jirasim.Server {
	t.Helper()
	return jirasim.New(jirasim.Options{AdminEmail: email, APIToken: token, Users: jirasim.SandboxUsers(),
		Groups: jirasim.SandboxGroups(), ExternalURL: "https://sim.atlassian.net"})
}

const createPAY = `{"key":"PAY","name":"Payments","leadAccountId":"` + jirasim.AliceAccountID + `","projectTypeKey":"software"}`

// TestErrorBodies checks the status and the exact ErrorCollection body of
// answers the client does not reach through its typed calls.
func TestErrorBodies(t *testing.T) {
	s := newSim(t)
	if a := call(t, s, "POST", "/rest/api/3/project", createPAY, false); a.status != 201 {
		t.Fatalf("create = %d %s", a.status, a.raw)
	}
	tests := []struct {
		name, method, path, body string
		anon                     bool
		wantStatus               int
		wantBody                 map[string]any
	}{
		{"anonymous", "GET", "/rest/api/3/project/PAY", "", true, 401,
			map[string]any{"errorMessages": []any{"Client must be authenticated to access this resource."}, "errors": map[string]any{}}},
		{"unknown path", "GET", "/rest/api/3/nothing", "", false, 404,
			map[string]any{"errorMessages": []any{"null for uri: https://sim.atlassian.net/rest/api/3/nothing"}, "errors": map[string]any{}}},
		{"wrong method", "PATCH", "/rest/api/3/project/PAY", "", false, 405,
			map[string]any{"errorMessages": []any{"Method Not Allowed"}, "errors": map[string]any{}}},
		{"unknown field", "POST", "/rest/api/3/project", `{"key":"NEW","colour":"red"}`, false, 400,
			map[string]any{"errorMessages": []any{`Unrecognized field "colour" , not marked as ignorable`}, "errors": map[string]any{}}},
		{"malformed JSON", "POST", "/rest/api/3/project", `{"key":`, false, 400,
			map[string]any{"errorMessages": []any{"Invalid request payload. Refer to the REST API documentation and try again."}, "errors": map[string]any{}}},
		{"deprecated lead", "POST", "/rest/api/3/project", `{"key":"NEW","name":"New","lead":"alice","projectTypeKey":"software"}`, false, 400,
			map[string]any{"errorMessages": []any{"The lead parameter is no longer available; use leadAccountId."}, "errors": map[string]any{}}},
		{"enableUndo not a boolean", "DELETE", "/rest/api/3/project/PAY?enableUndo=maybe", "", false, 400,
			map[string]any{"errorMessages": []any{"The value 'maybe' is invalid for enableUndo."}, "errors": map[string]any{}}},
		{"unknown project", "GET", "/rest/api/3/project/NOPE", "", false, 404,
			map[string]any{"errorMessages": []any{"No project could be found with key 'NOPE'."}, "errors": map[string]any{}}},
		{"unknown project id", "GET", "/rest/api/3/project/99999", "", false, 404,
			map[string]any{"errorMessages": []any{"No project could be found with id '99999'."}, "errors": map[string]any{}}},
		{"restore live", "POST", "/rest/api/3/project/PAY/restore", "", false, 400,
			map[string]any{"errorMessages": []any{"The project 'PAY' is not in the trash or archived."}, "errors": map[string]any{}}},
		{"role id not a number", "GET", "/rest/api/3/project/PAY/role/ROLE", "", false, 404,
			map[string]any{"errorMessages": []any{"The project role id 'ROLE' is not a number."}, "errors": map[string]any{}}},
		{"no actor", "DELETE", "/rest/api/3/project/PAY/role/1", "", false, 400,
			map[string]any{"errorMessages": []any{"You must specify exactly one of user, group or groupId."}, "errors": map[string]any{}}},
		{"user without accountId", "GET", "/rest/api/3/user", "", false, 400,
			map[string]any{"errorMessages": []any{"The accountId query parameter needs to be provided."}, "errors": map[string]any{}}},
		{"unknown user", "GET", "/rest/api/3/user?accountId=ghost", "", false, 404,
			map[string]any{"errorMessages": []any{"Specified user does not exist or you do not have required permissions"}, "errors": map[string]any{}}},
		{"user search without query", "GET", "/rest/api/3/user/search", "", false, 400,
			map[string]any{"errorMessages": []any{"One of 'query', 'accountId' or 'property' query parameters must be provided."}, "errors": map[string]any{}}},
		{"user search with both", "GET", "/rest/api/3/user/search?query=a&accountId=b", "", false, 400,
			map[string]any{"errorMessages": []any{"The 'query' and 'accountId' query parameters cannot be provided together."}, "errors": map[string]any{}}},
		{"group members without group", "GET", "/rest/api/3/group/member", "", false, 400,
			map[string]any{"errorMessages": []any{"You must specify a group name or a group ID."}, "errors": map[string]any{}}},
		{"bad startAt", "GET", "/rest/api/3/project/search?startAt=x", "", false, 400,
			map[string]any{"errorMessages": []any{"The value 'x' is invalid for startAt."}, "errors": map[string]any{}}},
		{"bad status", "GET", "/rest/api/3/project/search?status=gone", "", false, 400,
			map[string]any{"errorMessages": []any{"Invalid status 'gone': use live, archived or deleted."}, "errors": map[string]any{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, s, tc.method, tc.path, tc.body, tc.anon)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", a.status, a.raw, tc.wantStatus)
			}
			if tc.wantBody != nil {
				if diff := cmp.Diff(tc.wantBody, a.body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
		})
	}
	if a := call(t, s, "GET", "/rest/api/3/myself", "", true); a.header.Get("WWW-Authenticate") == "" {
		t.Errorf("a 401 without WWW-Authenticate")
	}
	if a := call(t, s, "PATCH", "/rest/api/3/project/PAY", "", false); a.header.Get("Allow") != "GET, PUT, DELETE" {
		t.Errorf("Allow = %q, want GET, PUT, DELETE", a.header.Get("Allow"))
	}
}

// TestRoleActorRules checks the actor rules at the HTTP level: groups by
// name and id together, no actor, an actor already in the role.
func TestRoleActorRules(t *testing.T) {
	s := newSim(t)
	call(t, s, "POST", "/rest/api/3/project", createPAY, false)
	dev, _ := s.RoleID("Developers")
	path := "/rest/api/3/project/PAY/role/" + itoa(dev)
	tests := []struct {
		name, body string
		wantStatus int
		wantMsg    string
	}{
		{"none", `{}`, 400, "You must specify at least one user or group to add to the project role."},
		{"name and id", `{"group":["platform-devs"],"groupId":["x"]}`, 400, "You can't specify both group names and group IDs."},
		{"add alice", `{"user":["` + jirasim.AliceAccountID + `"]}`, 200, ""},
		{"alice again", `{"user":["` + jirasim.AliceAccountID + `"]}`, 400, "'Alice Example' is already a member of the project role."},
		{"twice in one call", `{"user":["` + jirasim.BobAccountID + `","` + jirasim.BobAccountID + `"]}`, 400, "'Bob Example' is already a member of the project role."},
		{"unknown group id", `{"groupId":["nope"]}`, 404, "The group with ID 'nope' does not exist."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, s, "POST", path, tc.body, false)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", a.status, a.raw, tc.wantStatus)
			}
			if tc.wantMsg != "" {
				if msgs, _ := a.body["errorMessages"].([]any); len(msgs) != 1 || msgs[0] != tc.wantMsg {
					t.Errorf("errorMessages = %v, want [%s]", a.body["errorMessages"], tc.wantMsg)
				}
			}
		})
	}
	a := call(t, s, "GET", path, "", false)
	actors, _ := a.body["actors"].([]any)
	if len(actors) != 1 {
		t.Fatalf("actors = %v, want alice alone", a.body["actors"])
	}
	want := map[string]any{"displayName": "Alice Example", "type": "atlassian-user-role-actor", "actorUser": map[string]any{"accountId": jirasim.AliceAccountID}}
	got := actors[0].(map[string]any)
	delete(got, "id")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actor (-want +got):\n%s", diff)
	}
}

// TestPageBean checks the PageBean of project search: maxResults capped at
// 100, total, isLast, self and nextPage.
func TestPageBean(t *testing.T) {
	s := newSim(t)
	for _, k := range []string{"AA", "BB", "CC"} {
		if a := call(t, s, "POST", "/rest/api/3/project", `{"key":"`+k+`","name":"P `+k+`","leadAccountId":"`+jirasim.BobAccountID+`","projectTypeKey":"business"}`, false); a.status != 201 {
			t.Fatalf("create %s = %d %s", k, a.status, a.raw)
		}
	}
	a := call(t, s, "GET", "/rest/api/3/project/search?maxResults=2", "", false)
	if a.body["total"] != 3.0 || a.body["isLast"] != false || a.body["startAt"] != 0.0 || a.body["maxResults"] != 2.0 ||
		a.body["nextPage"] != "https://sim.atlassian.net/rest/api/3/project/search?maxResults=2&startAt=2" {
		t.Errorf("first page = %s", a.raw)
	}
	a = call(t, s, "GET", "/rest/api/3/project/search?maxResults=2&startAt=2", "", false)
	if vals, _ := a.body["values"].([]any); len(vals) != 1 || a.body["isLast"] != true || a.body["nextPage"] != nil {
		t.Errorf("last page = %s", a.raw)
	}
	if a = call(t, s, "GET", "/rest/api/3/project/search?maxResults=5000", "", false); a.body["maxResults"] != 100.0 {
		t.Errorf("maxResults = %v, want capped at 100", a.body["maxResults"])
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestServerInfoIsAnonymous: the one operation without credentials; wrong
// ones are still 401.
func TestServerInfoIsAnonymous(t *testing.T) {
	s := newSim(t)
	if a := call(t, s, "GET", "/rest/api/3/serverInfo", "", true); a.status != 200 || a.body["deploymentType"] != "Cloud" {
		t.Fatalf("anonymous serverInfo = %d %s", a.status, a.raw)
	}
	req := httptest.NewRequest("GET", "/rest/api/3/serverInfo", nil)
	req.SetBasicAuth(email, "wrong")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("serverInfo with a wrong token = %d, want 401", rec.Code)
	}
	if a := call(t, s, "GET", "/rest/api/3/myself", "", true); a.status != 401 {
		t.Fatalf("anonymous myself = %d, want 401", a.status)
	}
}

// TestSandboxFaults sets faults over HTTP, as a test in another process
// does, and reads the stats back.
func TestSandboxFaults(t *testing.T) {
	s := newSim(t)
	if a := call(t, s, "POST", "/_sandbox/faults", `{"ErrorRate":1.5}`, true); a.status != 400 {
		t.Fatalf("rate 1.5 = %d, want 400", a.status)
	}
	if a := call(t, s, "POST", "/_sandbox/faults", `{"ErrorRate":1,"Statuses":[503]}`, true); a.status != 204 {
		t.Fatalf("set faults = %d %s, want 204", a.status, a.raw)
	}
	if a := call(t, s, "GET", "/rest/api/3/myself", "", false); a.status != 503 || a.header.Get("Retry-After") == "" {
		t.Fatalf("myself with faults = %d (Retry-After %q), want 503 with Retry-After", a.status, a.header.Get("Retry-After"))
	}
	a := call(t, s, "GET", "/_sandbox/faults", "", true)
	if a.status != 200 || a.body["Errors"] != 1.0 {
		t.Fatalf("stats = %d %s, want one error", a.status, a.raw)
	}
	call(t, s, "POST", "/_sandbox/faults", `{}`, true)
	if a := call(t, s, "GET", "/rest/api/3/myself", "", false); a.status != 200 {
		t.Fatalf("myself after faults off = %d", a.status)
	}
}
