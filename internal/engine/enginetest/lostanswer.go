package enginetest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
)

// LoseAnswer loses the answer of one backend write: the first request that
// Match selects (by default the first POST, PUT or PATCH) goes to the
// backend, and once the backend has answered it with a success, Cancel is
// called and the caller gets an error instead of the answer, as if the
// connection had dropped or the caller had been interrupted right after the
// backend acted. Every other request passes through untouched.
type LoseAnswer struct {
	// Match selects the write whose answer is lost; nil selects the first
	// POST, PUT or PATCH.
	Match func(*http.Request) bool
	// Cancel, when set, is called as the answer is lost: the cancel
	// function of the caller's context.
	Cancel context.CancelFunc

	mu   sync.Mutex
	lost string
}

// Wrap returns next with the answer of the selected write lost; it fits
// rest.Config.Wrap and http.Client.Transport.
func (l *LoseAnswer) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 || !l.selects(req) {
			return resp, err
		}
		if !l.take(req) {
			return resp, err
		}
		_ = resp.Body.Close()
		if l.Cancel != nil {
			l.Cancel()
		}
		return nil, fmt.Errorf("the answer of %s %s was lost: %w", req.Method, req.URL.Path, context.Canceled)
	})
}

func (l *LoseAnswer) selects(req *http.Request) bool {
	if l.Match != nil {
		return l.Match(req)
	}
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// take records req as the request whose answer is lost, unless one already was.
func (l *LoseAnswer) take(req *http.Request) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != "" {
		return false
	}
	l.lost = req.Method + " " + req.URL.Path
	return true
}

// Lost reports whether an answer was lost.
func (l *LoseAnswer) Lost() bool { return l.LostRequest() != "" }

// LostRequest is the method and path of the request whose answer was lost,
// empty while none was.
func (l *LoseAnswer) LostRequest() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
