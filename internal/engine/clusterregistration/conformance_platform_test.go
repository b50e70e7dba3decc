//go:build platform

package clusterregistration_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// fixture is a site on the platform's cluster (whose Argo CD runs in
// namespace argocd) and the sandbox's workload cluster to register there.
type fixture struct {
	p      *sandbox.Platform
	cs     kubernetes.Interface
	cfg    *rest.Config
	site   string
	ca     string
	prefix string
	client *clusterregistration.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.Workload...)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, cs: cs, cfg: cfg, ca: string(ca), prefix: fmt.Sprintf("creg-%06x", rand.IntN(1<<24))}
	f.site = f.prefix
	sites := site.New(registry.New(cfg, p.Namespace))
	if _, err := sites.Create(context.Background(), site.Spec{Name: f.site, ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName}}); err != nil {
		t.Fatalf("cannot register site: %v", err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), f.site); err != nil {
			t.Errorf("cannot delete site %s: %v", f.site, err)
		}
	})
	f.client = clusterregistration.New(registry.New(cfg, p.Namespace))
	return f
}

func (f *fixture) spec(name string) clusterregistration.Spec {
	return clusterregistration.Spec{
		Site: f.site, Name: name, Server: f.p.WorkloadServerURL, CACertificate: f.ca,
		Token: f.p.WorkloadToken, TokenVersion: 1,
		Namespaces: []string{"apps", "web"}, Labels: map[string]string{"env": "test"},
	}
}

// TestConformance runs the engine conformance suite against registrations
// of the sandbox's workload cluster in the platform's Argo CD.
func TestConformance(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int64
	enginetest.Conformance(t, enginetest.Kind[clusterregistration.Spec, clusterregistration.Status]{
		Client:  f.client,
		NewSpec: func(*testing.T) clusterregistration.Spec { return f.spec(fmt.Sprintf("%s-%d", f.prefix, n.Add(1))) },
		ID:      clusterregistration.ID,
		// The Argo CD cluster Secrets of the registration's site and name.
		Count: func(ctx context.Context, s clusterregistration.Spec) (int, error) {
			l, err := f.cs.CoreV1().Secrets(f.p.ArgoCDNamespace).List(ctx, metav1.ListOptions{
				LabelSelector: registry.LabelSite + "=" + s.Site + "," + clusterregistration.LabelRegistration + "=" + s.Name,
			})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		// The token is write-only: never observed.
		Defaults:       func(s clusterregistration.Spec) clusterregistration.Spec { s.Token = ""; return s },
		CompareOptions: []cmp.Option{cmpopts.EquateEmpty()},
		Immutable: []enginetest.ImmutableChange[clusterregistration.Spec]{
			{Path: "site", Change: func(s clusterregistration.Spec) clusterregistration.Spec { s.Site += "-other"; return s }},
			{Path: "name", Change: func(s clusterregistration.Spec) clusterregistration.Spec { s.Name += "-renamed"; return s }},
		},
		WithTransport: func(_ *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[clusterregistration.Spec, clusterregistration.Status] {
			wrapped := rest.CopyConfig(f.cfg)
			wrapped.Wrap(wrap)
			return clusterregistration.New(registry.New(wrapped, f.p.Namespace))
		},
		LostWrite: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/namespaces/"+f.p.ArgoCDNamespace+"/secrets")
		},
	})
}

// TestObserveReportsTheClusterVersion checks that a registration reports
// the version of the cluster it registers, reached with the registered
// token, and the Secret Argo CD reads.
func TestObserveReportsTheClusterVersion(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	spec := f.spec(f.prefix + "-version")
	id, err := f.client.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	t.Cleanup(func() { _ = f.client.Delete(context.Background(), id) })
	obs, err := f.client.Observe(ctx, id, spec)
	if err != nil {
		t.Fatalf("Observe() = %v", err)
	}
	if !obs.Exists || !obs.Ready || !obs.UpToDate {
		t.Errorf("Observe(): Exists=%v Ready=%v UpToDate=%v (%s), want all", obs.Exists, obs.Ready, obs.UpToDate, obs.Message)
	}
	if obs.Status.KubernetesVersion != sandbox.KubeVersion {
		t.Errorf("KubernetesVersion = %q, want %q", obs.Status.KubernetesVersion, sandbox.KubeVersion)
	}
	sec, err := f.cs.CoreV1().Secrets(f.p.ArgoCDNamespace).Get(ctx, clusterregistration.SecretName(spec.Name), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Argo CD cluster Secret: %v", err)
	}
	got := map[string]string{"name": string(sec.Data["name"]), "server": string(sec.Data["server"]), "namespaces": string(sec.Data["namespaces"]),
		"secret-type": sec.Labels["argocd.argoproj.io/secret-type"], "env": sec.Labels["env"]}
	want := map[string]string{"name": spec.Name, "server": f.p.WorkloadServerURL, "namespaces": "apps,web", "secret-type": "cluster", "env": "test"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Argo CD cluster Secret mismatch (-want +got):\n%s", diff)
	}

	// A new token version is drift until applied.
	next := spec
	next.TokenVersion = 2
	if obs, err := f.client.Observe(ctx, id, next); err != nil || obs.UpToDate {
		t.Errorf("Observe() with a new token version: UpToDate=%v, %v; want false, nil", obs.UpToDate, err)
	}
	if err := f.client.Update(ctx, id, next); err != nil {
		t.Fatalf("Update() = %v", err)
	}
	if obs, err := f.client.Observe(ctx, id, clusterregistration.Spec{}); err != nil || obs.Actual.TokenVersion != 2 {
		t.Errorf("Observe() after the update: TokenVersion=%d, %v; want 2, nil", obs.Actual.TokenVersion, err)
	}
}

// TestCreateRefusesWhatCannotWork checks that Create fails, naming the
// argument at fault and writing nothing, for a token the cluster rejects,
// a server that does not answer and a CA that did not sign the server's
// certificate; and that the token is in no error.
func TestCreateRefusesWhatCannotWork(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name     string
		change   func(*clusterregistration.Spec)
		wantPath string
		wantText string
	}{
		{name: "wrong token", change: func(s *clusterregistration.Spec) { s.Token = "not-a-token-" + f.prefix }, wantPath: "token", wantText: "401 Unauthorized"},
		{name: "unreachable server", change: func(s *clusterregistration.Spec) { s.Server = "https://127.0.0.1:1" }, wantPath: "server", wantText: "cannot reach the cluster at https://127.0.0.1:1"},
		{name: "no ca", change: func(s *clusterregistration.Spec) { s.CACertificate = "" }, wantPath: "ca_certificate", wantText: "TLS certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := f.spec(f.prefix + "-bad-" + strings.ReplaceAll(tc.name, " ", "-"))
			tc.change(&spec)
			_, err := f.client.Create(t.Context(), spec)
			in, ok := engine.AsInvalidInput(err)
			if !ok || in.Path != tc.wantPath {
				t.Fatalf("Create() = %v, want invalid input on %q", err, tc.wantPath)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Create() = %q, want it to say %q", err, tc.wantText)
			}
			if strings.Contains(err.Error(), spec.Token) {
				t.Errorf("Create() error shows the token: %q", err)
			}
			obs, err := f.client.Observe(t.Context(), spec.ID(), spec)
			if err != nil || obs.Exists {
				t.Errorf("Observe() after the refused Create: Exists=%v, %v; want false, nil", obs.Exists, err)
			}
		})
	}
}
