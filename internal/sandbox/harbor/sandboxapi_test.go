package harborsim

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSandboxEndpoints adds a system administrator and a plain user, aims
// faults at one of them and reads the robots' secrets, through the sandbox
// endpoints that only the admin may call.
func TestSandboxEndpoints(t *testing.T) {
	s := New(Options{})
	as := func(user, pass, method, target, body string) int {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	const admin, adminPW = "admin", "Harbor12345"
	steps := []struct {
		name       string
		user, pass string
		method     string
		target     string
		body       string
		want       int
	}{
		{"anonymous may not add users", "", "", "POST", "/_sandbox/users", `{"username":"chaos","password":"Chaos-pw-1A","sysadmin":true}`, 401},
		{"a weak password is refused", admin, adminPW, "POST", "/_sandbox/users", `{"username":"chaos","password":"weak"}`, 400},
		{"unknown fields are refused", admin, adminPW, "POST", "/_sandbox/users", `{"username":"chaos","password":"Chaos-pw-1A","admin":true}`, 400},
		{"the admin adds a system administrator", admin, adminPW, "POST", "/_sandbox/users", `{"username":"chaos","password":"Chaos-pw-1A","sysadmin":true}`, 201},
		{"a user name is taken once", admin, adminPW, "POST", "/_sandbox/users", `{"username":"chaos","password":"Chaos-pw-1A"}`, 409},
		{"the admin adds a plain user", admin, adminPW, "POST", "/_sandbox/users", `{"username":"dev","password":"Dev-pw-1A"}`, 201},
		{"the system administrator lists registries", "chaos", "Chaos-pw-1A", "GET", "/api/v2.0/registries", "", 200},
		{"a plain user may not", "dev", "Dev-pw-1A", "GET", "/api/v2.0/registries", "", 403},
		{"a system administrator may not call the sandbox endpoints", "chaos", "Chaos-pw-1A", "GET", "/_sandbox/robots", "", 401},
		{"faults aimed at chaos", admin, adminPW, "POST", "/_sandbox/faults", `{"ErrorRate":1,"Statuses":[503],"Users":["chaos"]}`, 204},
		{"chaos is faulted", "chaos", "Chaos-pw-1A", "GET", "/api/v2.0/registries", "", 503},
		{"the admin is not", admin, adminPW, "GET", "/api/v2.0/registries", "", 200},
		{"rates above 1 are refused", admin, adminPW, "POST", "/_sandbox/faults", `{"ErrorRate":2}`, 400},
		{"faults off", admin, adminPW, "POST", "/_sandbox/faults", `{}`, 204},
		{"the robots' secrets", admin, adminPW, "GET", "/_sandbox/robots", "", 200},
		{"unknown sandbox endpoint", admin, adminPW, "GET", "/_sandbox/nothing", "", 404},
	}
	for _, st := range steps {
		if got := as(st.user, st.pass, st.method, st.target, st.body); got != st.want {
			t.Errorf("%s: %s %s = %d, want %d", st.name, st.method, st.target, got, st.want)
		}
	}
	if st := s.FaultStats(); st.Errors != 1 {
		t.Errorf("fault stats = %+v, want the one request of chaos under faults faulted", st)
	}
}
