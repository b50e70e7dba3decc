package simfault

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name        string
		faults      Faults
		method      string
		wantStatus  int
		wantRetry   string
		wantHandled bool
		wantStats   Stats
	}{
		{name: "off", method: http.MethodPost, wantStatus: http.StatusCreated, wantHandled: true, wantStats: Stats{Requests: 1}},
		{name: "429 carries Retry-After", faults: Faults{ErrorRate: 1, Statuses: []int{429}, RetryAfter: 3}, method: http.MethodGet,
			wantStatus: 429, wantRetry: "3", wantStats: Stats{Requests: 1, Errors: 1}},
		{name: "500 has no Retry-After", faults: Faults{ErrorRate: 1, Statuses: []int{500}, RetryAfter: 3}, method: http.MethodGet,
			wantStatus: 500, wantStats: Stats{Requests: 1, Errors: 1}},
		{name: "lost answer of a write is applied", faults: Faults{LostResponseRate: 1}, method: http.MethodPatch,
			wantStatus: 500, wantHandled: true, wantStats: Stats{Requests: 1, LostResponses: 1}},
		{name: "reads are never lost", faults: Faults{LostResponseRate: 1}, method: http.MethodGet,
			wantStatus: http.StatusCreated, wantHandled: true, wantStats: Stats{Requests: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotMessage string
			fi := New(func(w http.ResponseWriter, status int, message string) {
				gotMessage = message
				w.WriteHeader(status)
			})
			fi.Set(tt.faults)
			handled := false
			h := fi.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				handled = true
				w.WriteHeader(http.StatusCreated)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, "/x", nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (message %q)", rec.Code, tt.wantStatus, gotMessage)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			if handled != tt.wantHandled {
				t.Errorf("handled = %v, want %v", handled, tt.wantHandled)
			}
			if diff := cmp.Diff(tt.wantStats, fi.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUsersScope checks that faults aimed at one user leave the others
// alone and count only that user's requests.
func TestUsersScope(t *testing.T) {
	fi := New(func(w http.ResponseWriter, status int, _ string) { w.WriteHeader(status) })
	fi.Set(Faults{ErrorRate: 1, Statuses: []int{503}, Users: []string{"chaos"}})
	h := fi.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	tests := []struct {
		name, user string
		want       int
	}{
		{name: "the aimed user", user: "Chaos", want: 503},
		{name: "another user", user: "admin", want: 200},
		{name: "anonymous", want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, "pw")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
		})
	}
	if diff := cmp.Diff(Stats{Requests: 1, Errors: 1}, fi.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// TestConnectionReset checks that a reset fault reaches the client as a
// connection error and that the handler never runs.
func TestConnectionReset(t *testing.T) {
	fi := New(func(w http.ResponseWriter, status int, _ string) { w.WriteHeader(status) })
	fi.Set(Faults{ErrorRate: 1, Statuses: []int{StatusConnectionReset}})
	handled := false
	srv := httptest.NewServer(fi.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { handled = true })))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "text/plain", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST answered %s, want a connection error", resp.Status)
	}
	if handled {
		t.Error("the handler ran for a reset request")
	}
	if diff := cmp.Diff(Stats{Requests: 1, Errors: 1, Resets: 1}, fi.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
