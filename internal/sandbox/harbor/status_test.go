package harborsim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestUnknownProjectName(t *testing.T) {
	for _, tt := range []struct {
		name, version, user, pass string
		status                    int
	}{
		{"admin since v2.7", "", "admin", "Harbor12345", 404},
		{"admin on v2.7.0", "v2.7.0", "admin", "Harbor12345", 404},
		{"admin before v2.7", "v2.6.4", "admin", "Harbor12345", 403},
		{"user", "", "alice", "Alice-pw1", 403},
		{"robot", "", "robot", "", 403},
		{"anonymous", "", "", "", 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Version: tt.version, Passwords: map[string]string{"alice": "Alice-pw1"}})
			defer s.Close()
			user, pass := tt.user, tt.pass
			if user == "robot" {
				_, user, pass = createRobot(t, s, systemRobot("reader", "project:list"))
			}
			var status int
			var body string
			if user == "" {
				status, _, body = call(t, s, "GET", "/api/v2.0/projects/nope", "", true)
			} else {
				status, body = callAs(t, s, user, pass, "GET", "/api/v2.0/projects/nope", "")
			}
			if status != tt.status {
				t.Fatalf("GET /projects/nope = %d %s, want %d", status, body, tt.status)
			}
		})
	}
}

func TestMemberUnknownUser(t *testing.T) {
	s := New(Options{Users: []string{"bob"}})
	defer s.Close()
	for body, status := range map[string]int{
		`{"role_id":2,"member_user":{"user_id":42}}`:        400,
		`{"role_id":2,"member_user":{"username":"nobody"}}`: 404,
		`{"role_id":2,"member_user":{"username":"bob"}}`:    201,
		`{"role_id":9,"member_user":{"user_id":2}}`:         400,
	} {
		if got, _, b := call(t, s, "POST", "/api/v2.0/projects/library/members", body, false); got != status {
			t.Errorf("POST member %s = %d %s, want %d", body, got, b, status)
		}
	}
}

// TestUserRoles: a user sees the projects it is a member of and may do what
// its role allows there.
func TestUserRoles(t *testing.T) {
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer reg.Close()
	s := New(Options{Passwords: map[string]string{"dev": "Dev-pw123", "guest": "Guest-pw1", "stranger": "Stranger-1"},
		Registry: Endpoint{URL: reg.URL}})
	defer s.Close()
	call(t, s, "POST", "/api/v2.0/projects", `{"project_name":"apps"}`, false)
	for body, want := range map[string]int{
		`{"role_id":2,"member_user":{"username":"dev"}}`:   201,
		`{"role_id":3,"member_user":{"username":"guest"}}`: 201,
	} {
		if status, _, b := call(t, s, "POST", "/api/v2.0/projects/apps/members", body, false); status != want {
			t.Fatalf("add member %s = %d %s", body, status, b)
		}
	}
	for _, tt := range []struct {
		user, pass, method, target string
		status                     int
	}{
		{"dev", "Dev-pw123", "GET", "/api/v2.0/projects/apps", 200},
		{"guest", "Guest-pw1", "GET", "/api/v2.0/projects/apps", 200},
		{"stranger", "Stranger-1", "GET", "/api/v2.0/projects/apps", 403},
		{"dev", "Dev-pw123", "PUT", "/v2/apps/web/manifests/v1", 200},
		{"guest", "Guest-pw1", "PUT", "/v2/apps/web/manifests/v1", 403},
		{"guest", "Guest-pw1", "GET", "/v2/apps/web/manifests/v1", 200},
		{"stranger", "Stranger-1", "GET", "/v2/apps/web/manifests/v1", 403},
		{"dev", "Dev-pw123", "GET", "/api/v2.0/registries", 403},
		{"dev", "Dev-pw123", "DELETE", "/api/v2.0/projects/apps", 403},
	} {
		if status, body := callAs(t, s, tt.user, tt.pass, tt.method, tt.target, ""); status != tt.status {
			t.Errorf("%s %s %s = %d %s, want %d", tt.user, tt.method, tt.target, status, body, tt.status)
		}
	}
}
