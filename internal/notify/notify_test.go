package notify

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

// delivery is one request a receiver got.
type delivery struct {
	Event, ID, Signature, ContentType string
	Body                              []byte
}

// receiver is an httptest server that answers with the statuses of answers
// in turn (200 once they run out) and records every request.
type receiver struct {
	mu         sync.Mutex
	answers    []answer
	deliveries []delivery
	srv        *httptest.Server
}

type answer struct {
	status     int
	retryAfter string
}

func newReceiver(t *testing.T, answers ...answer) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.deliveries = append(r.deliveries, delivery{
			Event: req.Header.Get(HeaderEvent), ID: req.Header.Get(HeaderDelivery),
			Signature: req.Header.Get(HeaderSignature), ContentType: req.Header.Get("Content-Type"), Body: body,
		})
		a := answer{status: http.StatusOK}
		if len(r.answers) > 0 {
			a, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}

// recordingSender returns a Sender whose waits are recorded, not slept.
func recordingSender(maxAttempts int) (*Sender, *[]time.Duration) {
	var waits []time.Duration
	return &Sender{
		MaxAttempts: maxAttempts,
		WaitMin:     100 * time.Millisecond,
		WaitMax:     time.Minute,
		sleep: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		},
	}, &waits
}

var testNotice = Notice{
	ID: "d-1", Event: EventSyncSucceeded, Kind: "mc_helm_release", Name: "site-b/web/podinfo", Site: "site-b",
	Message: "Synced and Healthy at abc123", Fields: map[string]string{"revision": "abc123"},
	Time: time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC),
}

func TestSendDeliversOneSignedNotice(t *testing.T) {
	const secret = "s3cret-hmac"
	r := newReceiver(t)
	s, waits := recordingSender(5)
	ch := Channel{Name: "ops", Type: TypeWebhook, URL: r.srv.URL + "/hooks/abc", HMACSecret: secret}
	if err := s.Send(context.Background(), ch, testNotice); err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	got := r.got()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want exactly 1", len(got))
	}
	d := got[0]
	if !Verify(secret, d.Body, d.Signature) {
		t.Errorf("signature %q does not verify the body with the secret", d.Signature)
	}
	if Verify("another-secret", d.Body, d.Signature) {
		t.Errorf("signature %q verifies with a wrong secret", d.Signature)
	}
	if d.Event != EventSyncSucceeded || d.ID != "d-1" || d.ContentType != "application/json" {
		t.Errorf("headers: event %q, delivery %q, content type %q", d.Event, d.ID, d.ContentType)
	}
	var n Notice
	if err := json.Unmarshal(d.Body, &n); err != nil {
		t.Fatalf("body is not a notice: %v", err)
	}
	if diff := cmp.Diff(testNotice, n); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if len(*waits) != 0 {
		t.Errorf("waited %v before a first successful attempt", *waits)
	}
}

func TestSendWithoutSecretSendsNoSignature(t *testing.T) {
	r := newReceiver(t)
	s, _ := recordingSender(5)
	if err := s.Send(context.Background(), Channel{Name: "ops", Type: TypeWebhook, URL: r.srv.URL}, testNotice); err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	if got := r.got(); len(got) != 1 || got[0].Signature != "" {
		t.Errorf("deliveries = %+v, want one without %s", got, HeaderSignature)
	}
}

func TestSendRetries(t *testing.T) {
	tests := []struct {
		name        string
		answers     []answer
		maxAttempts int
		wantErr     string // empty: success
		wantTries   int
		checkWaits  func(t *testing.T, waits []time.Duration)
	}{
		{
			name:      "500 twice then 200: delivered on the third try",
			answers:   []answer{{status: 500}, {status: 500}},
			wantTries: 3,
			checkWaits: func(t *testing.T, waits []time.Duration) {
				if len(waits) != 2 {
					t.Errorf("waits = %v, want 2", waits)
				}
			},
		},
		{
			name:      "429 with Retry-After is honoured",
			answers:   []answer{{status: 429, retryAfter: "7"}},
			wantTries: 2,
			checkWaits: func(t *testing.T, waits []time.Duration) {
				if diff := cmp.Diff([]time.Duration{7 * time.Second}, waits); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:        "always 503: bounded tries, then an error",
			answers:     []answer{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 503}},
			maxAttempts: 4,
			wantErr:     `cannot deliver sync_succeeded notice to notification channel "ops" after 4 attempts: the receiver answered 503 Service Unavailable`,
			wantTries:   4,
		},
		{
			name:      "404 is not retried",
			answers:   []answer{{status: 404}},
			wantErr:   `cannot deliver sync_succeeded notice to notification channel "ops": the receiver answered 404 Not Found`,
			wantTries: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t, tt.answers...)
			s, waits := recordingSender(tt.maxAttempts)
			ch := Channel{Name: "ops", Type: TypeWebhook, URL: r.srv.URL + "/hooks/T000/B000/XXXX", HMACSecret: "k"}
			err := s.Send(context.Background(), ch, testNotice)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Send() error = %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("Send() error = %v, want %q", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), r.srv.URL) || strings.Contains(err.Error(), "XXXX")) {
				t.Errorf("error %q contains the URL", err)
			}
			got := r.got()
			if len(got) != tt.wantTries {
				t.Fatalf("receiver got %d requests, want %d", len(got), tt.wantTries)
			}
			for i, d := range got {
				if d.ID != testNotice.ID || string(d.Body) != string(got[0].Body) || d.Signature != got[0].Signature {
					t.Errorf("attempt %d: delivery %q, body or signature differs from the first attempt", i+1, d.ID)
				}
			}
			if tt.checkWaits != nil {
				tt.checkWaits(t, *waits)
			}
		})
	}
}

// logRecorder keeps every log line with its values.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Trace(msg string, kv ...any) { l.add(msg, kv) }
func (l *logRecorder) Debug(msg string, kv ...any) { l.add(msg, kv) }
func (l *logRecorder) add(msg string, kv []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	b.WriteString(msg)
	for _, v := range kv {
		b.WriteString(" ")
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(toString(v), "\n", " ")))
	}
	l.lines = append(l.lines, b.String())
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case error:
		return v.Error()
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func TestConnectionErrorsNeverShowTheURL(t *testing.T) {
	// A listener that is closed at once: every attempt is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	url := "http://" + addr + "/services/T0001/B0002/secretpath?token=abc"

	logs := &logRecorder{}
	ctx := logctx.WithLogger(context.Background(), logs)
	s, waits := recordingSender(3)
	err = s.Send(ctx, Channel{Name: "ops", Type: TypeSlack, URL: url}, testNotice)
	if err == nil {
		t.Fatal("Send() to a closed port succeeded")
	}
	if !strings.HasPrefix(err.Error(), `cannot deliver sync_succeeded notice to notification channel "ops" after 3 attempts: `) {
		t.Errorf("Send() error = %q", err)
	}
	if len(*waits) != 2 {
		t.Errorf("waits = %v, want 2 (3 attempts)", *waits)
	}
	texts := append([]string{err.Error()}, logs.lines...)
	if len(logs.lines) == 0 {
		t.Error("no retry was logged")
	}
	for _, text := range texts {
		for _, part := range []string{addr, "secretpath", "T0001", "token=abc"} {
			if strings.Contains(text, part) {
				t.Errorf("%q contains %q", text, part)
			}
		}
	}
}

func TestSendStopsWhenTheContextEnds(t *testing.T) {
	r := newReceiver(t, answer{status: 500}, answer{status: 500})
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sender{MaxAttempts: 5, sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	err := s.Send(ctx, Channel{Name: "ops", Type: TypeWebhook, URL: r.srv.URL}, testNotice)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("Send() error = %v, want context canceled", err)
	}
	if got := len(r.got()); got != 1 {
		t.Errorf("receiver got %d requests, want 1", got)
	}
}

func TestSlackBody(t *testing.T) {
	r := newReceiver(t)
	s, _ := recordingSender(1)
	if err := s.Send(context.Background(), Channel{Name: "chat", Type: TypeSlack, URL: r.srv.URL}, testNotice); err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	got := r.got()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	var body map[string]any
	if err := json.Unmarshal(got[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"text": "mc_helm_release site-b/web/podinfo: sync_succeeded: Synced and Healthy at abc123",
		"blocks": []any{
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn",
				"text": "*mc_helm_release site-b/web/podinfo: sync_succeeded*\nSynced and Healthy at abc123\n• revision: `abc123`"}},
			map[string]any{"type": "context", "elements": []any{
				map[string]any{"type": "mrkdwn", "text": "event `sync_succeeded`"},
				map[string]any{"type": "mrkdwn", "text": "site `site-b`"},
				map[string]any{"type": "mrkdwn", "text": "2026-12-01T21:00:00Z"},
			}},
		},
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("slack body (-want +got):\n%s", diff)
	}
}

func TestSecretRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ch   Channel
	}{
		{"webhook with secret and events", Channel{Name: "ops", Type: TypeWebhook, URL: "https://hooks.example.com/x", HMACSecret: "k", Events: []string{EventRunFailed, EventSyncFailed}}},
		{"slack, all events", Channel{Name: "chat", Type: TypeSlack, URL: "https://hooks.slack.com/services/T/B/X"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChannelFromSecret(tt.ch.Name, SecretData(tt.ch))
			if err != nil {
				t.Fatalf("ChannelFromSecret() error = %v", err)
			}
			if diff := cmp.Diff(tt.ch, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChannelFromSecretRejects(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		wantErr string
	}{
		{"no url", map[string][]byte{"type": []byte("webhook")}, `notification channel "c" has no url`},
		{"bad url", map[string][]byte{"url": []byte("ftp://secret-host/x")}, `notification channel "c": the URL is not an http(s) URL such as https://hooks.slack.com/services/…`},
		{"bad type", map[string][]byte{"type": []byte("email"), "url": []byte("https://h/x")}, `notification channel "c" has type "email", want one of webhook, slack`},
		{"bad event", map[string][]byte{"url": []byte("https://h/x"), "events": []byte("run_started,deployed")}, `notification channel "c" has unknown event "deployed", want some of run_started, run_succeeded, run_failed, run_timed_out, sync_succeeded, sync_failed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ChannelFromSecret("c", tt.data)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("ChannelFromSecret() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestWants(t *testing.T) {
	all := Channel{}
	some := Channel{Events: []string{EventRunFailed}}
	for _, e := range Events {
		if !all.Wants(e) {
			t.Errorf("a channel without events does not want %s", e)
		}
		if got, want := some.Wants(e), e == EventRunFailed; got != want {
			t.Errorf("Wants(%s) = %v, want %v", e, got, want)
		}
	}
}

func TestDeliveryIDIsStable(t *testing.T) {
	a, b := DeliveryID("x", "sync_succeeded", "rev1"), DeliveryID("x", "sync_succeeded", "rev1")
	if a != b || a == DeliveryID("x", "sync_failed", "rev1") || a == DeliveryID("xs", "ync_succeeded", "rev1") {
		t.Errorf("DeliveryID is not stable and distinct: %s %s", a, b)
	}
}
