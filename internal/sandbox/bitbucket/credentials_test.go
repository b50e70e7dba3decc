package bitbucketsim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestFurtherCredentials adds a further app password and a read-only one:
// both read, only the first writes; the read-only one's writes get
// Bitbucket's 403 for missing scopes.
func TestFurtherCredentials(t *testing.T) {
	s := newSim(t)
	s.must(400, "POST", "/_sandbox/credentials", `{"username":"mc-admin","password":"x"}`)
	s.must(400, "POST", "/_sandbox/credentials", `{"username":"chaos"}`)
	s.must(201, "POST", "/_sandbox/credentials", `{"username":"chaos","password":"chaos-pw"}`)
	s.must(201, "POST", "/_sandbox/credentials", `{"username":"reader","password":"reader-pw","read_only":true}`)
	as := func(user, pw, method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(user, pw)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var answer struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&answer)
		return resp.StatusCode, answer.Error.Message
	}
	projects := "/2.0/workspaces/" + ws + "/projects"
	tests := []struct {
		name, user, pw, method, path, body string
		want                               int
		wantMessage                        string
	}{
		{"a wrong password", "chaos", "nope", "GET", projects, "", 401, "Unauthorized"},
		{"the further credential reads", "chaos", "chaos-pw", "GET", projects, "", 200, ""},
		{"and writes", "chaos", "chaos-pw", "POST", projects, `{"key":"CHAOS","name":"Chaos"}`, 201, ""},
		{"the read-only one reads", "reader", "reader-pw", "GET", projects, "", 200, ""},
		{"but may not write", "reader", "reader-pw", "POST", projects, `{"key":"READER","name":"Reader"}`, 403, "Your credentials lack one or more required privilege scopes."},
		{"nor delete", "reader", "reader-pw", "DELETE", projects + "/CHAOS", "", 403, "Your credentials lack one or more required privilege scopes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := as(tt.user, tt.pw, tt.method, tt.path, tt.body)
			if got != tt.want || (tt.wantMessage != "" && msg != tt.wantMessage) {
				t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, got, msg, tt.want, tt.wantMessage)
			}
		})
	}
}
