package kube

import (
	"net/http"

	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// LogRequests makes every client built from cfg log to the logger of each
// request's context (internal/logctx): each request at Trace (method,
// redacted URL, status or error, duration), and at Debug each answer that
// asks the client to retry (429 or 5xx with Retry-After, which client-go's
// REST client honours). Headers and bodies are never logged. Applying it
// more than once logs each request once. It returns cfg.
func LogRequests(cfg *rest.Config) *rest.Config {
	cfg.Wrap(logRequests)
	return cfg
}

func logRequests(rt http.RoundTripper) http.RoundTripper {
	if _, ok := rt.(retryAfterLogger); ok {
		return rt
	}
	return retryAfterLogger{next: httpclient.LogRequests(rt)}
}

// retryAfterLogger logs the answers that ask to retry.
type retryAfterLogger struct{ next http.RoundTripper }

// WrappedRoundTripper lets client-go reach the transport under the logger,
// to cancel a request the old way (utilnet.RoundTripperWrapper).
func (l retryAfterLogger) WrappedRoundTripper() http.RoundTripper { return l.next }

func (l retryAfterLogger) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) {
		logctx.From(req.Context()).Debug("Kubernetes API server asked to retry",
			"method", req.Method, "url", redact.URL(req.URL.String()), "status", resp.StatusCode, "retry_after", ra)
	}
	return resp, nil
}
