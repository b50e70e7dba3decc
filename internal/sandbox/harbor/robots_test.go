package harborsim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// callAs makes one request with the given basic credentials.
func callAs(t *testing.T, s *Server, user, pass, method, target, body string) (int, string) {
	t.Helper()
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.SetBasicAuth(user, pass)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func createRobot(t *testing.T, s *Server, body string) (status int, name, secret string) {
	t.Helper()
	status, _, out := call(t, s, "POST", "/api/v2.0/robots", body, false)
	var created struct{ Name, Secret string }
	_ = json.Unmarshal([]byte(out), &created)
	return status, created.Name, created.Secret
}

func systemRobot(name string, access ...string) string {
	var as []string
	for _, a := range access {
		res, act, _ := strings.Cut(a, ":")
		as = append(as, `{"resource":"`+res+`","action":"`+act+`"}`)
	}
	return `{"name":"` + name + `","level":"system","duration":-1,"permissions":[{"kind":"system","namespace":"/","access":[` + strings.Join(as, ",") + `]}]}`
}

func TestRobotPermissionModel(t *testing.T) {
	tests := []struct {
		name, version, body string
		status              int
	}{
		{"known system accesses", "", systemRobot("r1", "registry:create", "replication-policy:list", "replication:create"), 201},
		{"unknown resource", "", systemRobot("r2", "registries:create"), 400},
		{"unknown action", "", systemRobot("r3", "registry:push"), 400},
		{"project access on system kind", "", systemRobot("r4", "repository:pull"), 400},
		{"replication from v2.10", "v2.10.0", systemRobot("r5", "registry:list"), 201},
		{"replication before v2.10", "v2.9.5", systemRobot("r6", "registry:list"), 400},
		{"anything else before v2.10", "v2.9.5", systemRobot("r7", "whatever:goes"), 201},
		{"bad kind", "", `{"name":"r8","level":"system","duration":-1,"permissions":[{"kind":"global","namespace":"/","access":[{"resource":"project","action":"create"}]}]}`, 400},
		{"no duration", "", `{"name":"r9","level":"system","permissions":[{"kind":"system","namespace":"/","access":[{"resource":"project","action":"create"}]}]}`, 400},
		{"project robot", "", `{"name":"r10","level":"project","duration":30,"permissions":[{"kind":"project","namespace":"library","access":[{"resource":"repository","action":"pull"}]}]}`, 201},
		{"project robot, unknown access", "", `{"name":"r11","level":"project","duration":30,"permissions":[{"kind":"project","namespace":"library","access":[{"resource":"repository","action":"fly"}]}]}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Version: tt.version})
			defer s.Close()
			if status, _, _ := createRobot(t, s, tt.body); status != tt.status {
				t.Fatalf("POST /robots = %d, want %d", status, tt.status)
			}
		})
	}
	// What a system robot holds is what it may do.
	s := New(Options{})
	defer s.Close()
	_, name, secret := createRobot(t, s, systemRobot("repl", "registry:list", "replication-policy:list"))
	_, other, otherSecret := createRobot(t, s, systemRobot("proj", "project:create"))
	if status, body := callAs(t, s, name, secret, "GET", "/api/v2.0/registries", ""); status != 200 {
		t.Fatalf("robot with registry:list GET /registries = %d %s", status, body)
	}
	if status, body := callAs(t, s, other, otherSecret, "GET", "/api/v2.0/registries", ""); status != 403 {
		t.Fatalf("robot without registry:list GET /registries = %d %s, want 403", status, body)
	}
}

func TestRobotSecretRefreshAndUpdate(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	_, name, secret := createRobot(t, s, systemRobot("sync", "registry:list"))
	// A secret given: 200, the robot logs in with it only.
	if status, _, body := call(t, s, "PATCH", "/api/v2.0/robots/1", `{"secret":"Rotated-Secret1"}`, false); status != 200 {
		t.Fatalf("PATCH secret = %d %s", status, body)
	}
	if status, _ := callAs(t, s, name, secret, "GET", "/api/v2.0/registries", ""); status != 401 {
		t.Fatalf("old secret = %d, want 401", status)
	}
	if status, _ := callAs(t, s, name, "Rotated-Secret1", "GET", "/api/v2.0/registries", ""); status != 200 {
		t.Fatalf("new secret = %d, want 200", status)
	}
	// A weak secret: 400; none: a new one in the answer.
	if status, _, body := call(t, s, "PATCH", "/api/v2.0/robots/1", `{"secret":"weak"}`, false); status != 400 || !strings.Contains(body, "8-128") {
		t.Fatalf("PATCH weak secret = %d %s, want 400", status, body)
	}
	status, _, body := call(t, s, "PATCH", "/api/v2.0/robots/1", `{}`, false)
	var sec struct{ Secret string }
	if _ = json.Unmarshal([]byte(body), &sec); status != 200 || sec.Secret == "" {
		t.Fatalf("PATCH without secret = %d %s, want a generated secret", status, body)
	}
	if status, _ := callAs(t, s, name, sec.Secret, "GET", "/api/v2.0/registries", ""); status != 200 {
		t.Fatalf("generated secret = %d, want 200", status)
	}
	if status, _, _ := call(t, s, "PATCH", "/api/v2.0/robots/9", `{}`, false); status != 404 {
		t.Fatalf("PATCH unknown robot = %d, want 404", status)
	}
	// PUT replaces the permissions; name and level stay.
	put := func(body string) int {
		status, _, _ := call(t, s, "PUT", "/api/v2.0/robots/1", body, false)
		return status
	}
	withPerm := `{"name":"robot$sync","level":"system","description":"d","permissions":[{"kind":"system","namespace":"/","access":[{"resource":"registry","action":"read"}]}]}`
	if got := put(withPerm); got != 200 {
		t.Fatalf("PUT robot = %d", got)
	}
	if status, _ := callAs(t, s, name, sec.Secret, "GET", "/api/v2.0/registries", ""); status != 403 {
		t.Fatalf("after PUT without registry:list = %d, want 403", status)
	}
	if got := put(strings.Replace(withPerm, "robot$sync", "robot$other", 1)); got != 400 {
		t.Fatalf("PUT renaming = %d, want 400", got)
	}
	// The body names the robot by its full name, as updateV2Robot compares
	// it with the stored robot's (robot$ prefix included).
	if got := put(strings.Replace(withPerm, "robot$sync", "sync", 1)); got != 400 {
		t.Fatalf("PUT with the name without its prefix = %d, want 400", got)
	}
	if got := put(strings.Replace(withPerm, `"read"`, `"fly"`, 1)); got != 400 {
		t.Fatalf("PUT unknown access = %d, want 400", got)
	}
	_, _, body = call(t, s, "GET", "/api/v2.0/robots/1", "", false)
	if !strings.Contains(body, `"description":"d"`) || !strings.Contains(body, `"expires_at":-1`) {
		t.Fatalf("robot after PUT = %s, want the description and the duration kept", body)
	}
}

func TestUserPasswordChange(t *testing.T) {
	s := New(Options{Passwords: map[string]string{"alice": "Alice-pw1"}})
	defer s.Close()
	tests := []struct {
		name, user, pass, target, body string
		status                         int
	}{
		{"wrong old password", "admin", "Harbor12345", "/api/v2.0/users/1/password", `{"old_password":"nope","new_password":"Rotated-pw1"}`, 403},
		{"weak new password", "admin", "Harbor12345", "/api/v2.0/users/1/password", `{"old_password":"Harbor12345","new_password":"weak"}`, 400},
		{"identical", "admin", "Harbor12345", "/api/v2.0/users/1/password", `{"old_password":"Harbor12345","new_password":"Harbor12345"}`, 400},
		{"unknown user", "admin", "Harbor12345", "/api/v2.0/users/42/password", `{"new_password":"Rotated-pw1"}`, 404},
		{"non-numeric id", "admin", "Harbor12345", "/api/v2.0/users/x/password", `{"new_password":"Rotated-pw1"}`, 422},
		{"user on the admin", "alice", "Alice-pw1", "/api/v2.0/users/1/password", `{"new_password":"Rotated-pw1"}`, 403},
		{"admin on a user", "admin", "Harbor12345", "/api/v2.0/users/2/password", `{"new_password":"Alice-pw2"}`, 200},
		{"admin on itself", "admin", "Harbor12345", "/api/v2.0/users/1/password", `{"old_password":"Harbor12345","new_password":"Rotated-pw1"}`, 200},
	}
	for _, tt := range tests {
		if status, body := callAs(t, s, tt.user, tt.pass, "PUT", tt.target, tt.body); status != tt.status {
			t.Fatalf("%s: PUT %s = %d %s, want %d", tt.name, tt.target, status, body, tt.status)
		}
	}
	if status, _ := callAs(t, s, "admin", "Harbor12345", "GET", "/api/v2.0/registries", ""); status != 401 {
		t.Fatalf("old admin password = %d, want 401", status)
	}
	if status, _ := callAs(t, s, "admin", "Rotated-pw1", "GET", "/api/v2.0/registries", ""); status != 200 {
		t.Fatalf("new admin password = %d, want 200", status)
	}
	if status, _ := callAs(t, s, "alice", "Alice-pw2", "GET", "/api/v2.0/users/current", ""); status != 200 {
		t.Fatalf("alice's new password = %d, want 200", status)
	}
}

func TestOIDCCLISecret(t *testing.T) {
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer reg.Close()
	for _, tt := range []struct {
		mode                     string
		registries, projects, v2 int
	}{
		// db_auth: alice's password works everywhere; she is no admin.
		{AuthModeDB, 403, 200, 200},
		// oidc_auth: her CLI secret is refused on the registry and
		// replication APIs (anonymous there: 401), accepted on /v2/ and
		// the project list.
		{AuthModeOIDC, 401, 200, 200},
	} {
		s := New(Options{AuthMode: tt.mode, Passwords: map[string]string{"alice": "Cli-secret1"}, Registry: Endpoint{URL: reg.URL}})
		defer s.Close()
		if status, _ := callAs(t, s, "alice", "Cli-secret1", "GET", "/api/v2.0/registries", ""); status != tt.registries {
			t.Errorf("%s: GET /registries = %d, want %d", tt.mode, status, tt.registries)
		}
		if status, _ := callAs(t, s, "alice", "Cli-secret1", "GET", "/api/v2.0/replication/policies", ""); status != tt.registries {
			t.Errorf("%s: GET /replication/policies = %d, want %d", tt.mode, status, tt.registries)
		}
		if status, _ := callAs(t, s, "alice", "Cli-secret1", "GET", "/api/v2.0/projects", ""); status != tt.projects {
			t.Errorf("%s: GET /projects = %d, want %d", tt.mode, status, tt.projects)
		}
		if status, _ := callAs(t, s, "alice", "Cli-secret1", "GET", "/v2/", ""); status != tt.v2 {
			t.Errorf("%s: GET /v2/ = %d, want %d", tt.mode, status, tt.v2)
		}
		// The admin logs in with the password in both modes.
		if status, _ := callAs(t, s, "admin", "Harbor12345", "GET", "/api/v2.0/registries", ""); status != 200 {
			t.Errorf("%s: admin GET /registries = %d, want 200", tt.mode, status)
		}
		_, _, body := call(t, s, "GET", "/api/v2.0/systeminfo", "", false)
		if !strings.Contains(body, `"auth_mode":"`+tt.mode+`"`) {
			t.Errorf("%s: systeminfo = %s", tt.mode, body)
		}
		// Another Harbor may still use the CLI secret for a registry
		// endpoint: the health check asks only /api/version and /v2/.
		srv := httptest.NewServer(s)
		defer srv.Close()
		if err := HealthCheck(context.Background(), Endpoint{Type: "harbor", URL: srv.URL, Username: "alice", Password: "Cli-secret1"}); err != nil {
			t.Errorf("%s: health check with alice's credentials = %v, want healthy", tt.mode, err)
		}
		if err := HealthCheck(context.Background(), Endpoint{Type: "harbor", URL: srv.URL, Username: "alice", Password: "wrong-1A"}); err == nil {
			t.Errorf("%s: health check with a wrong secret is healthy", tt.mode)
		}
	}
}

// TestProjectRobotUpdateName checks that PUT /robots/{id} of a project robot
// wants its full name, robot$project+name.
func TestProjectRobotUpdateName(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	perm := `"permissions":[{"kind":"project","namespace":"library","access":[{"resource":"repository","action":"pull"}]}]`
	status, name, _ := createRobot(t, s, `{"name":"ci","level":"project","duration":-1,`+perm+`}`)
	if status != 201 || name != "robot$library+ci" {
		t.Fatalf("create project robot = %d %q, want 201 robot$library+ci", status, name)
	}
	for _, tt := range []struct {
		name string
		want int
	}{{"ci", 400}, {"robot$ci", 400}, {"robot$library+ci", 200}} {
		if got, _, body := call(t, s, "PUT", "/api/v2.0/robots/1", `{"name":"`+tt.name+`","level":"project","duration":-1,`+perm+`}`, false); got != tt.want {
			t.Errorf("PUT with name %q = %d %s, want %d", tt.name, got, body, tt.want)
		}
	}
}
