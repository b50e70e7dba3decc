package httpclient

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx/logctxtest"
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

func TestLogsEachAttemptAtTraceAndEachRetryAtDebugRedacted(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	var rec logctxtest.Recorder
	ctx := rec.Context(context.Background())
	u := strings.Replace(srv.URL, "http://", "http://bob:s3cret@", 1) + "/api?token=abc&page=1"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer header-secret")
	resp, err := New(Options{WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond}).Do(req)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	resp.Body.Close()

	logged := rec.String()
	for _, secret := range []string{"s3cret", "abc", "header-secret"} {
		if strings.Contains(logged, secret) {
			t.Fatalf("the log shows %q:\n%s", secret, logged)
		}
	}
	redactedURL := strings.Replace(srv.URL, "http://", "http://bob:REDACTED@", 1) + "/api?token=REDACTED&page=1"
	traces := rec.Level("trace")
	if len(traces) != 2 {
		t.Fatalf("got %d trace entries, want one per attempt (2):\n%s", len(traces), logged)
	}
	for i, wantStatus := range []int{http.StatusServiceUnavailable, http.StatusOK} {
		f := traces[i].Fields
		if traces[i].Msg != "HTTP request" || f["method"] != http.MethodGet || f["url"] != redactedURL || f["status"] != wantStatus || f["duration"] == nil {
			t.Errorf("trace entry %d = %+v, want GET %s answered %d with a duration", i, traces[i], redactedURL, wantStatus)
		}
	}
	debugs := rec.Level("debug")
	if len(debugs) != 1 {
		t.Fatalf("got %d debug entries, want one per retry (1):\n%s", len(debugs), logged)
	}
	want := map[string]any{
		"method": http.MethodGet, "url": redactedURL, "attempt": 2, "max_attempts": 7,
		"wait": time.Duration(0), "reason": "503 Service Unavailable", "retry_after": "0",
	}
	if diff := cmp.Diff(want, debugs[0].Fields); diff != "" || debugs[0].Msg != "Retrying HTTP request" {
		t.Fatalf("debug entry %q (-want +got):\n%s", debugs[0].Msg, diff)
	}
}

func TestLogsConnectionErrorsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens any more
	var rec logctxtest.Recorder
	ctx := rec.Context(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, addr+"/?access_token=abc", nil)
	_, err := New(Options{RetryMax: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond}).Do(req)
	if err == nil {
		t.Fatal("Do() succeeded against a closed server")
	}
	if strings.Contains(rec.String(), "abc") {
		t.Fatalf("the log shows the token:\n%s", rec.String())
	}
	debugs := rec.Level("debug")
	if len(debugs) != 1 || !strings.Contains(debugs[0].Fields["reason"].(string), "connection refused") {
		t.Fatalf("want one retry whose reason is the connection error, got:\n%s", rec.String())
	}
	if traces := rec.Level("trace"); len(traces) != 2 || traces[0].Fields["error"] == nil {
		t.Fatalf("want two attempts logged with their error, got:\n%s", rec.String())
	}
}

// TestWithoutRetrySendsOnce checks that a request whose context says
// WithoutRetry is sent once, its server error answered as is.
func TestWithoutRetrySendsOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	req, err := http.NewRequestWithContext(WithoutRetry(context.Background()), http.MethodPost, srv.URL, strings.NewReader("start"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := New(Options{WaitMin: time.Millisecond}).Do(req)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || calls.Load() != 1 {
		t.Fatalf("got %d after %d calls, want 500 after 1", resp.StatusCode, calls.Load())
	}
}
