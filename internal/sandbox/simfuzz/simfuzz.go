// Package simfuzz is what the simulators' fuzz targets share: it sends one
// fuzzed request to a simulator and checks that the simulator neither
// panics nor answers 5xx (no fault injection is on), and that a request it
// rejects leaves its state as it was, as the real services do.
package simfuzz

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Methods are the methods fuzz inputs choose from, by index.
var Methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead}

// Sim is a simulator under fuzzing.
type Sim struct {
	// Handler is the simulator.
	Handler http.Handler
	// Auth adds the credentials of a user who may do everything.
	Auth func(*http.Request)
	// State are GET targets whose answers together show the simulator's
	// state (lists of everything a request can change).
	State []string
	// Vendor5xx reports whether a 5xx answer is the vendor's own answer to
	// the request (such as Harbor's 500 for a registry of an unknown type),
	// which the simulator keeps; optional.
	Vendor5xx func(r *http.Request, code int, body string) bool
}

// Check sends method (an index into Methods) to target with body, as an
// authenticated user or anonymously, and checks the answer. Targets of the
// sandbox's own control endpoints (/_sandbox/...) are skipped: they turn
// fault injection on.
func (s Sim) Check(t *testing.T, method uint8, target string, body []byte, anonymous bool) {
	t.Helper()
	if !strings.HasPrefix(target, "/") {
		target = "/" + target
	}
	if strings.Contains(strings.ToLower(target), "_sandbox") {
		t.Skip("sandbox control endpoint")
	}
	m := Methods[int(method)%len(Methods)]
	r, err := http.NewRequest(m, "http://sim.example"+target, bytes.NewReader(body))
	if err != nil {
		return // not a request an HTTP server would hand to its handler
	}
	r.Header.Set("Content-Type", "application/json")
	if !anonymous {
		s.Auth(r)
	}
	before := s.state(t)
	w := httptest.NewRecorder()
	s.Handler.ServeHTTP(w, r)
	if w.Code >= 500 && (s.Vendor5xx == nil || !s.Vendor5xx(r, w.Code, w.Body.String())) {
		t.Fatalf("%s %s with body %q: %d %s", m, target, body, w.Code, w.Body.String())
	}
	if w.Code >= 400 {
		if after := s.state(t); after != before {
			t.Fatalf("%s %s with body %q was rejected (%d %s) but changed the state:\nbefore: %s\nafter:  %s", m, target, body, w.Code, w.Body.String(), before, after)
		}
	}
}

// state reads every State target.
func (s Sim) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, target := range s.State {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		s.Auth(r)
		w := httptest.NewRecorder()
		s.Handler.ServeHTTP(w, r)
		body, _ := io.ReadAll(w.Body)
		b.WriteString(target + " " + http.StatusText(w.Code) + " " + string(body) + "\n")
	}
	return b.String()
}
