package provider

import (
	"encoding/pem"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// countingProxy is a reverse proxy in front of a kube-apiserver that counts
// the requests and the TCP connections of its clients. Its clients
// authenticate with any token; it forwards with the credentials of the
// configuration it was built from.
type countingProxy struct {
	srv   *httptest.Server
	conns atomic.Int64

	mu       sync.Mutex
	requests map[string]int           // by apiRequestKind
	latency  map[string]time.Duration // summed time to answer, by apiRequestKind
}

// newCountingProxy starts a proxy in front of the apiserver of cfg; it stops
// when tb ends.
func newCountingProxy(tb testing.TB, cfg *rest.Config) *countingProxy {
	tb.Helper()
	target, err := url.Parse(cfg.Host)
	if err != nil {
		tb.Fatalf("cannot parse the apiserver URL %q: %v", cfg.Host, err)
	}
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		tb.Fatalf("cannot build the apiserver transport: %v", err)
	}
	p := &countingProxy{requests: map[string]int{}, latency: map[string]time.Duration{}}
	forward := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Header.Del("Authorization")
		},
		Transport:     transport,
		FlushInterval: -1,
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := apiRequestKind(r.Method, r.URL.Path)
		t0 := time.Now()
		forward.ServeHTTP(w, r)
		took := time.Since(t0)
		p.mu.Lock()
		p.requests[kind]++
		p.latency[kind] += took
		p.mu.Unlock()
	}))
	p.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.conns.Add(1)
		}
	}
	p.srv.EnableHTTP2 = true
	p.srv.StartTLS()
	tb.Cleanup(p.srv.Close)
	return p
}

// writeKubeconfig writes a kubeconfig that reaches the apiserver through the
// proxy.
func (p *countingProxy) writeKubeconfig(path string) error {
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
	kc := clientcmdapi.NewConfig()
	kc.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.srv.URL, CertificateAuthorityData: caPEM}
	kc.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{Token: "counted"}
	kc.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	kc.CurrentContext = "proxy"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("cannot write the proxy kubeconfig: %w", err)
	}
	return os.Chmod(path, 0o600)
}

// reset zeroes the counts.
func (p *countingProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.requests)
	clear(p.latency)
	p.conns.Store(0)
}

// counts returns the requests by kind and the number of connections since
// the last reset.
func (p *countingProxy) counts() (requests map[string]int, conns int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.requests), int(p.conns.Load())
}

// latencies returns the summed time the apiserver took to answer (through
// the proxy), by request kind, since the last reset.
func (p *countingProxy) latencies() map[string]time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.latency)
}

// discoveryKind is the kind apiRequestKind gives to discovery requests
// (version, API groups and resource lists, OpenAPI).
const discoveryKind = "discovery"

// apiRequestKind sorts a kube-apiserver request: discoveryKind, or the
// method and the resource ("GET secrets", "LIST applications.argoproj.io").
func apiRequestKind(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var group string
	switch {
	case segs[0] == "version" || segs[0] == "openapi":
		return discoveryKind
	case segs[0] == "api" && len(segs) <= 2:
		return discoveryKind
	case segs[0] == "api":
		segs = segs[2:]
	case segs[0] == "apis" && len(segs) <= 3:
		return discoveryKind
	case segs[0] == "apis":
		group, segs = segs[1], segs[3:]
	default:
		return method + " /" + segs[0]
	}
	if segs[0] == "namespaces" && len(segs) >= 3 {
		segs = segs[2:]
	}
	resource := segs[0]
	if group != "" {
		resource += "." + group
	}
	if method == http.MethodGet && len(segs) == 1 {
		method = "LIST"
	}
	return method + " " + resource
}

// formatCounts renders request counts, the largest first.
func formatCounts(requests map[string]int) string {
	kinds := slices.Collect(maps.Keys(requests))
	slices.SortFunc(kinds, func(a, b string) int {
		if d := requests[b] - requests[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, requests[k])
	}
	return strings.Join(parts, ", ")
}

// formatLatencies renders the summed and the mean time to answer of each
// kind of request, in the order of formatCounts.
func formatLatencies(requests map[string]int, latency map[string]time.Duration) string {
	kinds := slices.Collect(maps.Keys(requests))
	slices.SortFunc(kinds, func(a, b string) int {
		if d := requests[b] - requests[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %s (mean %s)", k, latency[k].Round(time.Millisecond), (latency[k] / time.Duration(requests[k])).Round(100*time.Microsecond))
	}
	return strings.Join(parts, ", ")
}

func TestAPIRequestKind(t *testing.T) {
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/version", discoveryKind},
		{"GET", "/api", discoveryKind},
		{"GET", "/api/v1", discoveryKind},
		{"GET", "/apis", discoveryKind},
		{"GET", "/apis/argoproj.io/v1alpha1", discoveryKind},
		{"GET", "/openapi/v3", discoveryKind},
		{"GET", "/api/v1/namespaces/mc-system/secrets/site-a", "GET secrets"},
		{"GET", "/api/v1/namespaces/mc-system/secrets", "LIST secrets"},
		{"GET", "/api/v1/namespaces", "LIST namespaces"},
		{"GET", "/api/v1/namespaces/argocd", "GET namespaces"},
		{"PATCH", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/a-root", "PATCH applications.argoproj.io"},
		{"GET", "/apis/cluster.x-k8s.io/v1beta2/clusters", "LIST clusters.cluster.x-k8s.io"},
		{"GET", "/healthz", "GET /healthz"},
	}
	for _, tt := range tests {
		if got := apiRequestKind(tt.method, tt.path); got != tt.want {
			t.Errorf("apiRequestKind(%q, %q) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestFormatCounts(t *testing.T) {
	got := formatCounts(map[string]int{"GET secrets": 2, discoveryKind: 6, "LIST secrets": 2})
	if diff := cmp.Diff("discovery 6, GET secrets 2, LIST secrets 2", got); diff != "" {
		t.Errorf("formatCounts() mismatch (-want +got):\n%s", diff)
	}
}

func TestFormatLatencies(t *testing.T) {
	got := formatLatencies(map[string]int{discoveryKind: 4, "GET secrets": 1}, map[string]time.Duration{discoveryKind: 2 * time.Second, "GET secrets": 3 * time.Millisecond})
	if diff := cmp.Diff("discovery 2s (mean 500ms), GET secrets 3ms (mean 3ms)", got); diff != "" {
		t.Errorf("formatLatencies() mismatch (-want +got):\n%s", diff)
	}
}

func TestCountingProxy(t *testing.T) {
	var gotAuth []string
	var mu sync.Mutex
	backend := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"major":"1","minor":"36","gitVersion":"v1.36.3"}`)
	}))
	defer backend.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: backend.Certificate().Raw})
	p := newCountingProxy(t, &rest.Config{Host: backend.URL, BearerToken: "admin", TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}})
	kubeconfig := t.TempDir() + "/kubeconfig"
	if err := p.writeKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("BuildConfigFromFlags() error = %v", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatalf("NewDiscoveryClientForConfig() error = %v", err)
	}
	rc := dc.RESTClient()
	for _, path := range []string{"/version", "/api/v1/namespaces/mc-system/secrets/site-a", "/version"} {
		if err := rc.Get().AbsPath(path).Do(t.Context()).Error(); err != nil {
			t.Fatalf("GET %s through the proxy: %v", path, err)
		}
	}
	requests, conns := p.counts()
	if diff := cmp.Diff(map[string]int{discoveryKind: 2, "GET secrets": 1}, requests); diff != "" {
		t.Errorf("counted requests mismatch (-want +got):\n%s", diff)
	}
	if lat := p.latencies(); len(lat) != 2 || lat[discoveryKind] <= 0 || lat["GET secrets"] <= 0 {
		t.Errorf("latencies = %v, want a positive sum for each kind", lat)
	}
	if conns != 1 {
		t.Errorf("counted connections = %d, want 1", conns)
	}
	if diff := cmp.Diff([]string{"Bearer admin", "Bearer admin", "Bearer admin"}, gotAuth); diff != "" {
		t.Errorf("the proxy forwarded other credentials (-want +got):\n%s", diff)
	}
	p.reset()
	if requests, conns := p.counts(); len(requests) != 0 || conns != 0 || len(p.latencies()) != 0 {
		t.Errorf("after reset: %v requests, %d connections, %v latencies, want none", requests, conns, p.latencies())
	}
}
