//go:build platform

package imagereplication_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// switchableProxy is a reverse proxy in front of a Harbor whose transport a
// test can wrap for a while, so that requests the engine sends to that
// Harbor (whose client it builds from the site record) can lose answers.
type switchableProxy struct {
	*httptest.Server
	wrapped atomic.Pointer[http.RoundTripper]
}

func newSwitchableProxy(t *testing.T, target string) *switchableProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &switchableProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if rt := p.wrapped.Load(); rt != nil {
				return (*rt).RoundTrip(r)
			}
			return http.DefaultTransport.RoundTrip(r)
		}),
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	p.Server = httptest.NewServer(rp)
	t.Cleanup(p.Close)
	return p
}

// wrap routes the proxy's requests through wrap until t ends.
func (p *switchableProxy) wrap(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) {
	rt := wrap(http.DefaultTransport)
	p.wrapped.Store(&rt)
	t.Cleanup(func() { p.wrapped.Store(nil) })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestConformance runs the engine conformance suite against replications
// between the sandbox's two Harbors: an edge site (site-b's Harbor) whose
// images a hub site (site-a's Harbor, reached through a proxy) pulls.
func TestConformance(t *testing.T) {
	p := sandboxtest.Platform(t)
	if len(p.Harbors) < 2 {
		t.Fatalf("the platform runs %d Harbors, want %d", len(p.Harbors), len(sandbox.HarborSites))
	}
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefix := fmt.Sprintf("conf-%06x", rand.IntN(1<<24))
	hubHarbor, edgeHarbor := p.Harbors[sandbox.HarborSiteA], p.Harbors[sandbox.HarborSiteB]
	proxy := newSwitchableProxy(t, hubHarbor.URL)
	hub, edge, other := prefix+"-hub", prefix+"-edge", prefix+"-other"
	harbors := map[string]sandbox.HarborSite{hub: hubHarbor, edge: edgeHarbor}
	// A third site, whose Harbor is the edge's under another URL: to the
	// engine another Harbor, to which an Update that took the site as the new
	// source would re-point the policy.
	otherHarbor := edgeHarbor
	otherHarbor.URL = strings.Replace(edgeHarbor.URL, "127.0.0.1", "localhost", 1)
	if otherHarbor.URL == edgeHarbor.URL {
		t.Fatalf("the edge Harbor's URL %s is not on 127.0.0.1", edgeHarbor.URL)
	}
	sites := site.New(registry.New(cfg, p.Namespace))
	for name, h := range map[string]sandbox.HarborSite{
		hub:   {URL: proxy.URL, Username: hubHarbor.Username, Password: hubHarbor.Password},
		edge:  edgeHarbor,
		other: otherHarbor,
	} {
		if _, err := sites.Create(ctx, site.Spec{
			Name:   name,
			ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
			Harbor: &site.Harbor{URL: h.URL, Username: h.Username, Password: h.Password, PasswordVersion: 1},
		}); err != nil {
			t.Fatalf("cannot register site %s: %v", name, err)
		}
		t.Cleanup(func() { // after every subtest has deleted its replication
			if err := sites.Delete(context.Background(), name); err != nil {
				t.Errorf("cannot delete site %s: %v", name, err)
			}
		})
	}

	client := imagereplication.New(registry.New(cfg, p.Namespace))
	var n atomic.Int64
	newSpec := func(*testing.T) imagereplication.Spec {
		return imagereplication.Spec{
			Name:       fmt.Sprintf("%s-%d", prefix, n.Add(1)),
			SourceSite: edge, DestinationSite: hub, Direction: imagereplication.DirectionPull,
			Filters: imagereplication.Filters{Name: "library/**", Tag: "v*"},
			Trigger: imagereplication.Trigger{Type: imagereplication.TriggerManual},
			Enabled: true, Override: true,
			// Set to Harbor's defaults, so that what Observe reports
			// (every setting) equals the spec.
			Settings: imagereplication.Settings{
				Speed: new(int32(0)), CopyByChunk: new(false), SingleActiveReplication: new(false), Deletion: new(false),
				DestinationNamespaceReplaceCount: new(int8(-1)),
			},
		}
	}
	// Replications between the same sites share one registry endpoint, which
	// Delete removes with the last policy that uses it. An anchor keeps it in
	// use, so that the parallel subtests' Deletes never remove it between
	// another subtest's making it and making its policy.
	anchor, err := client.Create(ctx, newSpec(t))
	if err != nil {
		t.Fatalf("cannot create the anchor replication: %v", err)
	}
	t.Cleanup(func() {
		if err := client.Delete(context.Background(), anchor); err != nil {
			t.Errorf("cannot delete the anchor replication %s: %v", anchor, err)
		}
	})
	enginetest.Conformance(t, enginetest.Kind[imagereplication.Spec, imagereplication.Status]{
		Client:  client,
		NewSpec: newSpec,
		ID:      imagereplication.Spec.ID,
		// Policies of the name in the Harbor that runs the replication.
		Count: func(ctx context.Context, s imagereplication.Spec) (int, error) {
			h, ok := harbors[s.RunsOn()]
			if !ok {
				return 0, nil
			}
			hc, err := harbor.New(harbor.Config{URL: h.URL, Username: h.Username, Password: h.Password})
			if err != nil {
				return 0, err
			}
			pols, err := hc.ListReplicationPolicies(ctx, s.Name)
			count := 0
			for _, pol := range pols {
				if pol.Name == s.Name {
					count++
				}
			}
			return count, err
		},
		CompareOptions: []cmp.Option{cmpopts.EquateEmpty()},
		Immutable: []enginetest.ImmutableChange[imagereplication.Spec]{
			{Path: "name", Change: func(s imagereplication.Spec) imagereplication.Spec { s.Name += "-renamed"; return s }},
			{Path: "direction", Change: func(s imagereplication.Spec) imagereplication.Spec {
				s.Direction = imagereplication.DirectionPush
				return s
			}},
			{Path: "source_site", Change: func(s imagereplication.Spec) imagereplication.Spec { s.SourceSite = other; return s }},
			{Path: "destination_site", Change: func(s imagereplication.Spec) imagereplication.Spec { s.DestinationSite = other; return s }},
		},
		WithTransport: func(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[imagereplication.Spec, imagereplication.Status] {
			proxy.wrap(t, wrap)
			return client
		},
		// The registry endpoint is made, then the policy, whose answer is lost.
		LostWrite: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/replication/policies")
		},
	})
}
