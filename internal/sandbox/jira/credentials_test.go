package jirasim_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFurtherCredentials adds a further API token and a read-only one:
// both read, the read-only one's writes get 403 before anything is done.
func TestFurtherCredentials(t *testing.T) {
	s := newSim(t)
	if a := call(t, s, "POST", "/_sandbox/credentials", `{"email":"`+email+`","apiToken":"x"}`, true); a.status != 400 {
		t.Fatalf("a credential with the admin's email = %d, want 400", a.status)
	}
	for _, body := range []string{`{"email":"chaos@example.com","apiToken":"chaos-token"}`, `{"email":"reader@example.com","apiToken":"reader-token","readOnly":true}`} {
		if a := call(t, s, "POST", "/_sandbox/credentials", body, true); a.status != 201 {
			t.Fatalf("POST /_sandbox/credentials %s = %d %s", body, a.status, a.raw)
		}
	}
	as := func(user, token, method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.SetBasicAuth(user, token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	tests := []struct {
		name, user, token, method, path string
		want                            int
	}{
		{"a wrong token", "chaos@example.com", "nope", "GET", "/rest/api/3/project/search", 401},
		{"the further credential reads", "chaos@example.com", "chaos-token", "GET", "/rest/api/3/project/search", 200},
		{"and writes (an invalid project: 400, past authorization)", "chaos@example.com", "chaos-token", "POST", "/rest/api/3/project", 400},
		{"the read-only one reads", "reader@example.com", "reader-token", "GET", "/rest/api/3/project/search", 200},
		{"but may not write", "reader@example.com", "reader-token", "POST", "/rest/api/3/project", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := as(tt.user, tt.token, tt.method, tt.path, `{}`); got != tt.want {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, got, body, tt.want)
			}
		})
	}
}
