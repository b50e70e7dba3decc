//go:build platform

package application_test

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

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// switchableProxy is a reverse proxy in front of the platform's Bitbucket
// (its API and git) whose transport a test can wrap for a while, so that
// requests the engine sends can lose answers.
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

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestConformance runs the engine conformance suite against applications
// in a project of the platform's Bitbucket, made from the sandbox's
// templates; the Bitbucket API is reached through a proxy that can lose
// the answer of the repository create.
func TestConformance(t *testing.T) {
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := sandbox.SeedTemplates(ctx, p.Bitbucket); err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("AC%c%c%c", 'A'+rand.IntN(26), 'A'+rand.IntN(26), 'A'+rand.IntN(26))
	bb := p.BitbucketClient()
	ws := p.Bitbucket.Workspace
	if _, err := bb.CreateProject(ctx, ws, bitbucket.ProjectInput{Key: key, Name: "Application conformance " + key, IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(cfg, p.Namespace)
	if err := reg.RegisterProject(ctx, registry.Project{Key: key, Name: key, Bitbucket: &registry.ProjectBitbucket{Workspace: ws}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the suite's deletes
		_ = reg.UnregisterProject(context.Background(), key)
		if err := bb.DeleteProject(context.Background(), ws, key); err != nil {
			t.Errorf("cannot delete Bitbucket project %s: %v", key, err)
		}
	})
	proxy := newSwitchableProxy(t, p.Bitbucket.ServerURL())
	reg.UseServices(registry.Services{Bitbucket: &registry.BitbucketAccess{
		URL: proxy.URL + bitbucket.APIPrefix, Username: p.Bitbucket.Username, Token: p.Bitbucket.Password,
	}})
	client := application.New(reg)
	var n atomic.Int64
	newSpec := func(*testing.T) application.Spec {
		return application.Spec{Project: key, Name: fmt.Sprintf("conf-%s-%d", strings.ToLower(key), n.Add(1)),
			Template: application.Template{
				// Through the proxy, so that the credentials go there too.
				SourceRepo: proxy.URL + "/" + ws + "/" + sandbox.TemplateGoService + ".git",
				YAMLRepo:   proxy.URL + "/" + ws + "/" + sandbox.TemplateGoServiceYAML + ".git",
			},
			InitialValues: map[string]string{"port": "8080"},
		}
	}
	enginetest.Conformance(t, enginetest.Kind[application.Spec, application.Status]{
		Client:  client,
		NewSpec: newSpec,
		ID:      application.Spec.ID,
		// The source repositories of the name in the project (the yaml one
		// goes with it). Slugs are unique in the workspace, not the project.
		Count: func(ctx context.Context, s application.Spec) (int, error) {
			r, err := bb.GetRepository(ctx, ws, s.SourceSlug())
			switch {
			case bitbucket.IsNotFound(err):
				return 0, nil
			case err != nil:
				return 0, err
			case r.Project.Key != s.Project:
				return 0, nil
			}
			return 1, nil
		},
		Defaults:       application.WithDefaults,
		CompareOptions: []cmp.Option{cmpopts.EquateEmpty()},
		WaitUntilReady: true,
		Immutable: []enginetest.ImmutableChange[application.Spec]{
			{Path: "project", Change: func(s application.Spec) application.Spec { s.Project += "X"; return s }},
			{Path: "name", Change: func(s application.Spec) application.Spec { s.Name += "x"; return s }},
		},
		WithTransport: func(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[application.Spec, application.Status] {
			rt := wrap(http.DefaultTransport)
			proxy.wrapped.Store(&rt)
			t.Cleanup(func() { proxy.wrapped.Store(nil) })
			return client
		},
		// The repository is made, and its create's answer lost.
		LostWrite: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, bitbucket.APIPrefix+"/repositories/")
		},
	})
}
