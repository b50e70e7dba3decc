//go:build platform

package project_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// switchableProxy is a reverse proxy in front of the platform's Jira whose
// transport a test can wrap for a while, so that requests the engine sends
// to Jira can lose answers.
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
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = u.Host },
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

func (p *switchableProxy) wrap(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) {
	rt := wrap(http.DefaultTransport)
	p.wrapped.Store(&rt)
	t.Cleanup(func() { p.wrapped.Store(nil) })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestConformance runs the engine conformance suite against projects with
// all four parts on the platform: the sandbox's Bitbucket and Jira (Jira
// reached through a proxy that can lose answers), site-a's Harbor and the
// platform plane's Argo CD, through a site registered for the test.
func TestConformance(t *testing.T) {
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefix := fmt.Sprintf("CF%c%c", 'A'+rand.IntN(26), 'A'+rand.IntN(26))
	siteName := "conf-project-" + strings.ToLower(prefix)
	hub := p.Harbors[sandbox.HarborSiteA]
	sites := site.New(registry.New(cfg, p.Namespace))
	if _, err := sites.Create(ctx, site.Spec{
		Name:   siteName,
		ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
		Harbor: &site.Harbor{URL: hub.URL, Username: hub.Username, Password: hub.Password, PasswordVersion: 1},
	}); err != nil {
		t.Fatalf("cannot register site %s: %v", siteName, err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), siteName); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})

	proxy := newSwitchableProxy(t, p.Jira.URL)
	reg := registry.New(cfg, p.Namespace)
	reg.UseServices(registry.Services{
		Bitbucket: &registry.BitbucketAccess{URL: p.Bitbucket.URL, Username: p.Bitbucket.Username, Token: p.Bitbucket.Password},
		Jira:      &registry.JiraAccess{URL: proxy.URL, Email: p.Jira.Email, APIToken: p.Jira.APIToken},
	})
	client := project.New(reg)
	jc, err := p.JiraClient()
	if err != nil {
		t.Fatal(err)
	}

	var n atomic.Int64
	newSpec := func(*testing.T) project.Spec {
		key := fmt.Sprintf("%s%04d", prefix, n.Add(1))
		return project.Spec{
			Key: key, Name: "Conformance " + key, Description: "conformance",
			Bitbucket: &project.Bitbucket{Workspace: p.Bitbucket.Workspace, Private: true},
			Jira:      &project.Jira{LeadAccountID: jirasim.AliceAccountID, Type: project.JiraTypeSoftware, DeletePermanently: true},
			Harbor:    &project.Harbor{Site: siteName},
			ArgoCD:    &project.ArgoCD{Sites: []string{siteName}},
			OnDestroy: project.OnDestroyDelete,
		}
	}
	enginetest.Conformance(t, enginetest.Kind[project.Spec, project.Status]{
		Client:  client,
		NewSpec: newSpec,
		ID:      project.Spec.ID,
		// Live Jira projects of the key: Jira keeps keys unique, and a
		// duplicate of any part would be a project under another key.
		Count: func(ctx context.Context, s project.Spec) (int, error) {
			live, err := jc.SearchProjects(ctx, jira.ProjectSearch{Keys: []string{s.Key}})
			return len(live), err
		},
		Defaults:       project.WithDefaults,
		CompareOptions: []cmp.Option{cmpopts.EquateEmpty()},
		Immutable: []enginetest.ImmutableChange[project.Spec]{
			{Path: "key", Change: func(s project.Spec) project.Spec { s.Key += "X"; return s }},
			{Path: "bitbucket.workspace", Change: func(s project.Spec) project.Spec {
				s.Bitbucket = &project.Bitbucket{Workspace: "another-workspace", Private: true}
				return s
			}},
			{Path: "jira.type", Change: func(s project.Spec) project.Spec {
				j := *s.Jira
				j.Type = project.JiraTypeBusiness
				s.Jira = &j
				return s
			}},
			{Path: "jira.template", Change: func(s project.Spec) project.Spec {
				j := *s.Jira
				j.Template = "com.pyxis.greenhopper.jira:gh-simplified-kanban-classic"
				s.Jira = &j
				return s
			}},
			{Path: "harbor.site", Change: func(s project.Spec) project.Spec { s.Harbor = &project.Harbor{Site: "another-site"}; return s }},
		},
		WithTransport: func(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[project.Spec, project.Status] {
			proxy.wrap(t, wrap)
			return client
		},
		// Bitbucket answers, then Jira's create answer is lost.
		LostWrite: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/rest/api/3/project")
		},
	})
}

// TestSharedArgoCD: two sites served by one Argo CD (the platform plane's)
// share one AppProject whose destinations are the clusters of both; a
// member's group bound to a role survives an update; dropping one of the
// sites keeps the AppProject for the other.
func TestSharedArgoCD(t *testing.T) {
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	suffix := fmt.Sprintf("%c%c%c", 'a'+rand.IntN(26), 'a'+rand.IntN(26), 'a'+rand.IntN(26))
	sites := site.New(registry.New(cfg, p.Namespace))
	siteA, siteB := "shared-a-"+suffix, "shared-b-"+suffix
	for _, name := range []string{siteA, siteB} {
		if _, err := sites.Create(ctx, site.Spec{Name: name, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}); err != nil {
			t.Fatalf("cannot register site %s: %v", name, err)
		}
		t.Cleanup(func() { _ = sites.Delete(context.Background(), name) })
	}
	reg := registry.New(cfg, p.Namespace)
	reg.UseServices(registry.Services{
		Bitbucket: &registry.BitbucketAccess{URL: p.Bitbucket.URL, Username: p.Bitbucket.Username, Token: p.Bitbucket.Password},
		Jira:      &registry.JiraAccess{URL: p.Jira.URL, Email: p.Jira.Email, APIToken: p.Jira.APIToken},
	})
	// A cluster registered at site B, as the cluster kind registers it.
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "mc-cluster.shared." + suffix, Namespace: "argocd", Labels: map[string]string{
			"argocd.argoproj.io/secret-type": "cluster", registry.LabelSite: siteB,
		}},
		StringData: map[string]string{"name": "workload-" + suffix, "server": "https://127.0.0.1:1", "config": "{}"},
	}
	if _, err := cs.CoreV1().Secrets("argocd").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Secrets("argocd").Delete(context.Background(), secret.Name, metav1.DeleteOptions{})
	})

	c := project.New(reg)
	key := "SH" + strings.ToUpper(suffix)
	spec := project.Spec{Key: key, Name: "Shared " + key, ArgoCD: &project.ArgoCD{Sites: []string{siteA, siteB}}}
	if _, err := c.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = engine.DeleteUntilGone(context.Background(), engine.Client[project.Spec, project.Status](c), key, engine.ConvergeOptions{})
	})
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	name := project.LowerKey(key)
	ap, found, err := kube.GetAppProject(ctx, dc, "argocd", name)
	if err != nil || !found {
		t.Fatalf("AppProject %s: %v, %v", name, found, err)
	}
	if diff := cmp.Diff([]kube.AppProjectDestination{{Name: "workload-" + suffix, Namespace: "*"}}, ap.Destinations); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	obs, err := c.Observe(ctx, key, spec)
	if err != nil || !obs.Ready || !obs.UpToDate {
		t.Fatalf("Observe() = %+v, %v; want ready and up to date", obs, err)
	}
	if err := kube.SetAppProjectRoleGroup(ctx, dc, "argocd", name, project.RoleViewer, "platform-devs", true); err != nil {
		t.Fatal(err)
	}
	spec.ArgoCD = &project.ArgoCD{Sites: []string{siteA}}
	spec.Name += " renamed"
	if err := c.Update(ctx, key, spec); err != nil {
		t.Fatalf("Update() dropping site B = %v", err)
	}
	ap, found, err = kube.GetAppProject(ctx, dc, "argocd", name)
	if err != nil || !found {
		t.Fatalf("AppProject %s after dropping site B: %v, %v; want it kept for site A", name, found, err)
	}
	if r, _ := ap.Role(project.RoleViewer); !slices.Equal(r.Groups, []string{"platform-devs"}) {
		t.Errorf("viewer groups after the update = %v, want the member's group kept", r.Groups)
	}
	if len(ap.Destinations) != 0 {
		t.Errorf("destinations after dropping site B = %v, want none", ap.Destinations)
	}
}
