//go:build platform

package site_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// requestCounter counts the requests a client sends through it, and the
// connections it had to open for them.
type requestCounter struct {
	mu       sync.Mutex
	requests []string
	newConns int
}

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		c.mu.Lock()
		c.requests = append(c.requests, r.Method+" "+r.URL.Path)
		c.mu.Unlock()
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			if !info.Reused {
				c.mu.Lock()
				c.newConns++
				c.mu.Unlock()
			}
		}}
		return rt.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
	})
}

// take returns the requests and new connections counted so far and starts
// counting afresh.
func (c *requestCounter) take() (requests []string, newConns int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	requests, newConns = c.requests, c.newConns
	c.requests, c.newConns = nil, 0
	return requests, newConns
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestObserveCostOnThePlatform registers 20 sites on the platform plane and
// reads each of them twice through one registry, counting every request to
// the platform: the second round costs one request per site, the record's
// GET, over connections already open.
func TestObserveCostOnThePlatform(t *testing.T) {
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	counter := &requestCounter{}
	cfg.Wrap(counter.wrap)
	c := site.New(registry.New(cfg, p.Namespace))
	ctx := context.Background()

	const sites = 20
	prefix := fmt.Sprintf("cost-%06x", rand.IntN(1<<24))
	specs := make([]site.Spec, sites)
	for i := range specs {
		specs[i] = site.Spec{Name: fmt.Sprintf("%s-%d", prefix, i), ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName}}
		if _, err := c.Create(ctx, specs[i]); err != nil {
			t.Fatalf("Create(%s) error = %v", specs[i].Name, err)
		}
		t.Cleanup(func() {
			if err := c.Delete(context.Background(), specs[i].Name); err != nil {
				t.Errorf("Delete(%s) error = %v", specs[i].Name, err)
			}
		})
	}

	for round := 1; round <= 2; round++ {
		counter.take()
		for _, want := range specs {
			obs, err := c.Observe(ctx, want.Name, want)
			if err != nil {
				t.Fatalf("round %d: Observe(%s) error = %v", round, want.Name, err)
			}
			if !obs.Exists || !obs.UpToDate || !obs.Ready || obs.Status.KubernetesVersion == "" {
				t.Fatalf("round %d: Observe(%s) = exists %t, up to date %t, ready %t, status %+v", round, want.Name, obs.Exists, obs.UpToDate, obs.Ready, obs.Status)
			}
		}
		requests, newConns := counter.take()
		t.Logf("round %d: observing %d sites made %d requests over %d new connections: %v", round, sites, len(requests), newConns, summary(requests))
		if round == 2 {
			if len(requests) > sites {
				t.Errorf("observing %d sites a second time made %d requests, want at most %d (one GET of each record)", sites, len(requests), sites)
			}
			if newConns > 0 {
				t.Errorf("observing %d sites a second time opened %d new connections, want none", sites, newConns)
			}
		}
	}
}

// summary counts requests by method and path, the GETs of Secrets as one.
func summary(requests []string) map[string]int {
	out := map[string]int{}
	for _, r := range requests {
		if strings.HasPrefix(r, "GET /api/v1/namespaces/") && strings.Contains(r, "/secrets/") {
			r = "GET secret"
		}
		out[r]++
	}
	return out
}
