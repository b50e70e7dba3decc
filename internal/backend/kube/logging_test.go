package kube

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx/logctxtest"
)

// fakeAPIServer answers namespace reads; its first answer asks to retry.
func fakeAPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"TooManyRequests","code":429}`))
			return
		}
		_, _ = w.Write([]byte(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"default"}}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLogRequestsLogsEachRequestAndEachRetryRequest(t *testing.T) {
	srv := fakeAPIServer(t)
	cfg := &rest.Config{Host: srv.URL, BearerToken: "token-secret"}
	cfg = LogRequests(LogRequests(cfg)) // twice: still one entry a request
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rec logctxtest.Recorder
	if _, err := cs.CoreV1().Namespaces().Get(rec.Context(context.Background()), "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if strings.Contains(rec.String(), "token-secret") {
		t.Fatalf("the log shows the token:\n%s", rec.String())
	}
	url := srv.URL + "/api/v1/namespaces/default"
	var got []string
	for _, e := range rec.Entries() {
		got = append(got, e.Level+" "+e.Msg+" "+e.Fields["url"].(string))
	}
	want := []string{
		"trace HTTP request " + url,
		"debug Kubernetes API server asked to retry " + url,
		"trace HTTP request " + url,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("entries (-want +got):\n%s\nall:\n%s", diff, rec.String())
	}
	if f := rec.Entries()[1].Fields; f["status"] != http.StatusTooManyRequests || f["retry_after"] != "0" {
		t.Fatalf("retry entry fields = %v, want status 429 and retry_after 0", f)
	}
}

func TestRESTConfigLogsRequests(t *testing.T) {
	srv := fakeAPIServer(t)
	cfg, err := Connection{Host: srv.URL, Token: "t"}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rec logctxtest.Recorder
	if _, err := cs.CoreV1().Namespaces().Get(rec.Context(context.Background()), "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if n := len(rec.Level("trace")); n != 2 {
		t.Fatalf("got %d trace entries, want 2 (one a request):\n%s", n, rec.String())
	}
}

// TestLoggersUnwrapToTheTransport checks that client-go can reach the
// transport under the loggers (utilnet.RoundTripperWrapper), which it does
// to cancel a request; otherwise it warns "unable to cancel request" on
// every watch it ends.
func TestLoggersUnwrapToTheTransport(t *testing.T) {
	transport := &http.Transport{}
	rt := logRequests(transport)
	for range 3 {
		w, ok := rt.(utilnet.RoundTripperWrapper)
		if !ok {
			break
		}
		rt = w.WrappedRoundTripper()
	}
	if rt != transport {
		t.Errorf("unwrapping the loggers gave %T, want the *http.Transport under them", rt)
	}
}
