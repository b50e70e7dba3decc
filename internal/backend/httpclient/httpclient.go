// Package httpclient builds the one HTTP client every REST backend uses: it
// retries 429, 5xx and connection resets with exponential backoff and jitter,
// honours Retry-After, and never logs credentials.
//
// It logs through the logger of each request's context (internal/logctx):
// every attempt at Trace (method, redacted URL, status or error, duration)
// and every retry at Debug (attempt, reason, wait). Headers and bodies are
// never logged.
package httpclient

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Options tune a client.
type Options struct {
	// RetryMax is the number of retries after the first attempt; default 6.
	RetryMax int
	// WaitMin and WaitMax bound the backoff; defaults 200ms and 20s.
	WaitMin, WaitMax time.Duration
	// Timeout bounds one attempt; default 30s.
	Timeout time.Duration
	// InsecureSkipVerify turns off TLS verification.
	InsecureSkipVerify bool
}

// New returns a retrying *http.Client. Non-idempotent requests are retried
// too: the callers make every write idempotent (deterministic names, conflict
// treated as adoption), which is what makes the retry safe.
func New(o Options) *http.Client {
	r := &retrying{retryMax: 6, waitMin: 200 * time.Millisecond, waitMax: 20 * time.Second}
	if o.RetryMax > 0 {
		r.retryMax = o.RetryMax
	}
	if o.WaitMin > 0 {
		r.waitMin = o.WaitMin
	}
	if o.WaitMax > 0 {
		r.waitMax = o.WaitMax
	}
	timeout := 30 * time.Second
	if o.Timeout > 0 {
		timeout = o.Timeout
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if o.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user
	}
	r.attempts = &http.Client{Transport: LogRequests(transport), Timeout: timeout}
	return &http.Client{Transport: r}
}

type noRetryKey struct{}

// WithoutRetry returns a context whose requests the client sends once, for
// a write that cannot be made idempotent (such as starting a run): its
// caller finds out what happened before it tries again, since an answer
// lost after the server acted would otherwise make the retry act twice.
func WithoutRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

func withoutRetry(ctx context.Context) bool {
	v, _ := ctx.Value(noRetryKey{}).(bool)
	return v
}

// retrying is a RoundTripper that sends each request through
// retryablehttp with a client of its own, whose backoff knows the request's
// context and so can log each retry to the request's logger.
type retrying struct {
	attempts         *http.Client // one attempt; shared by all requests
	retryMax         int
	waitMin, waitMax time.Duration
}

func (r *retrying) RoundTrip(req *http.Request) (*http.Response, error) {
	log := logctx.From(req.Context())
	var lastErr error
	c := &retryablehttp.Client{
		HTTPClient:   r.attempts,
		RetryMax:     r.retryMax,
		RetryWaitMin: r.waitMin,
		RetryWaitMax: r.waitMax,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			lastErr = err
			return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		},
		Backoff: func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
			wait := Backoff(min, max, attempt, resp)
			kv := []any{"method", req.Method, "url", redact.URL(req.URL.String()), "attempt", attempt + 2, "max_attempts", r.retryMax + 1, "wait", wait}
			switch {
			case resp != nil:
				kv = append(kv, "reason", resp.Status)
				if ra := resp.Header.Get("Retry-After"); ra != "" {
					kv = append(kv, "retry_after", ra)
				}
			case lastErr != nil:
				kv = append(kv, "reason", redact.Text(lastErr.Error()))
			}
			log.Debug("Retrying HTTP request", kv...)
			return wait
		},
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if withoutRetry(req.Context()) {
		c.RetryMax = 0
	}
	return (&retryablehttp.RoundTripper{Client: c}).RoundTrip(req)
}

// LogRequests returns a RoundTripper that sends requests through next and
// logs each at Trace to the logger of the request's context: the method,
// the redacted URL, the status or the redacted error, and the duration until
// the answer's headers arrived. Headers and bodies are never logged.
func LogRequests(next http.RoundTripper) http.RoundTripper {
	if _, ok := next.(requestLogger); ok {
		return next
	}
	return requestLogger{next: next}
}

type requestLogger struct{ next http.RoundTripper }

// WrappedRoundTripper returns the round tripper under the logger, so that
// clients that unwrap round trippers (client-go's, to cancel a request)
// reach the transport.
func (l requestLogger) WrappedRoundTripper() http.RoundTripper { return l.next }

func (l requestLogger) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := l.next.RoundTrip(req)
	kv := []any{"method", req.Method, "url", redact.URL(req.URL.String()), "duration", time.Since(start).Round(time.Microsecond)}
	if err != nil {
		kv = append(kv, "error", redact.Text(err.Error()))
	} else {
		kv = append(kv, "status", resp.StatusCode)
	}
	logctx.From(req.Context()).Trace("HTTP request", kv...)
	return resp, err
}

// Backoff honours Retry-After on 429 and 503 answers (seconds or an HTTP
// date, capped at max) and otherwise backs off exponentially with jitter.
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if d > max {
				return max
			}
			return d
		}
	}
	d := max
	if attempt < 30 && min<<attempt < max {
		d = min << attempt
	}
	// Equal jitter: half fixed, half random, so retries of many clients spread.
	return d/2 + rand.N(d/2+1)
}

func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}
