// Package httpclient builds the one HTTP client every REST backend uses: it
// retries 429, 5xx and connection resets with exponential backoff and jitter,
// honours Retry-After, and never logs credentials.
package httpclient

import (
	"crypto/tls"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
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
	// Logf receives one redacted line per retry; nil discards them.
	Logf func(format string, args ...any)
}

// New returns a retrying *http.Client. Non-idempotent requests are retried
// too: the callers make every write idempotent (deterministic names, conflict
// treated as adoption), which is what makes the retry safe.
func New(o Options) *http.Client {
	c := retryablehttp.NewClient()
	c.RetryMax = 6
	if o.RetryMax > 0 {
		c.RetryMax = o.RetryMax
	}
	c.RetryWaitMin = 200 * time.Millisecond
	if o.WaitMin > 0 {
		c.RetryWaitMin = o.WaitMin
	}
	c.RetryWaitMax = 20 * time.Second
	if o.WaitMax > 0 {
		c.RetryWaitMax = o.WaitMax
	}
	timeout := 30 * time.Second
	if o.Timeout > 0 {
		timeout = o.Timeout
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if o.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user
	}
	c.HTTPClient = &http.Client{Transport: transport, Timeout: timeout}
	c.Logger = nil
	c.Backoff = Backoff
	c.CheckRetry = retryablehttp.DefaultRetryPolicy
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	if o.Logf != nil {
		logf := o.Logf
		c.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			if attempt > 0 {
				logf("retrying %s %s (attempt %d)", req.Method, Redact(req.URL.String()), attempt+1)
			}
		}
	}
	return c.StandardClient()
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

var secretQuery = regexp.MustCompile(`(?i)((?:token|password|secret|key)=)[^&]*`)

// Redact removes user information and secret-looking query values from a URL.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	s := u.String()
	return secretQuery.ReplaceAllString(s, "${1}REDACTED")
}
