package httpclient

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetriesServerErrorsAndTooManyRequests(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusBadGateway)
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			body, _ := io.ReadAll(r.Body)
			_, _ = w.Write(body)
		}
	}))
	defer srv.Close()
	c := New(Options{WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})
	resp, err := c.Post(srv.URL, "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatalf("Post() error = %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "payload" || calls.Load() != 3 {
		t.Fatalf("got %d %q after %d calls, want 200 \"payload\" after 3 (the body is replayed on retry)", resp.StatusCode, body, calls.Load())
	}
}

func TestDoesNotRetryClientErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusConflict)
	}))
	defer srv.Close()
	resp, err := New(Options{WaitMin: time.Millisecond}).Get(srv.URL)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || calls.Load() != 1 {
		t.Fatalf("got %d after %d calls, want 409 after 1", resp.StatusCode, calls.Load())
	}
}

func TestRetriesConnectionResets(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	resp, err := New(Options{WaitMin: time.Millisecond}).Get(srv.URL)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || calls.Load() != 2 {
		t.Fatalf("got %d after %d calls, want 204 after 2", resp.StatusCode, calls.Load())
	}
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3"}}}
	if got := Backoff(time.Millisecond, time.Minute, 0, resp); got != 3*time.Second {
		t.Fatalf("Backoff() = %s, want 3s from Retry-After", got)
	}
	if got := Backoff(time.Millisecond, 2*time.Second, 0, resp); got != 2*time.Second {
		t.Fatalf("Backoff() = %s, want the 2s cap", got)
	}
	date := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	resp.Header.Set("Retry-After", date)
	if got := Backoff(time.Millisecond, time.Minute, 0, resp); got < 3*time.Second || got > 5*time.Second {
		t.Fatalf("Backoff() = %s, want about 5s from an HTTP-date Retry-After", got)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	for attempt := 0; attempt < 40; attempt++ {
		got := Backoff(100*time.Millisecond, 2*time.Second, attempt, nil)
		want := 100 * time.Millisecond << min(attempt, 5)
		if want > 2*time.Second {
			want = 2 * time.Second
		}
		if got < want/2 || got > want {
			t.Fatalf("attempt %d: Backoff() = %s, want within [%s, %s]", attempt, got, want/2, want)
		}
	}
}

func TestRedact(t *testing.T) {
	got := Redact("https://admin:s3cret@harbor.example/api?token=abc&q=1")
	if strings.Contains(got, "s3cret") || strings.Contains(got, "abc") || !strings.Contains(got, "q=1") {
		t.Fatalf("Redact() = %q, want credentials removed and other parts kept", got)
	}
}
