//go:build platform

package projectmember

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

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

const harborPassword = "Harbor12345"

// harborUsers is how many Harbor users the fixture's Harbor knows: h1, h2, ...
const harborUsers = 40

// fixture is a project with a part in every system, made straight through
// the backends (not through the project kind): a Bitbucket project in the
// sandbox's workspace, a Jira project, a Harbor project in a Harbor of the
// test's own (whose users h1..h40 the sandbox's Harbors do not have),
// reached through a proxy that can lose answers, and an AppProject with the
// three roles in the sandbox's Argo CD, at a site of the test's own. Its
// record is in the registry.
type fixture struct {
	p         *sandbox.Platform
	reg       *registry.Registry
	key       string
	site      string
	workspace string
	bitbucket bitbucket.Client
	jira      jira.Client
	// harbor is a client of the fixture's Harbor, not through the proxy.
	harbor     *harbor.Client
	proxy      *switchableProxy
	appProject string
	client     *Client
	users      atomic.Int64
	// seed makes the fixture's account ids unique.
	seed uint32
	// access is the fixture's Bitbucket and Jira.
	access atlassianAccess
	// harborServer is the fixture's Harbor simulator.
	harborServer *harborsim.Server
}

// atlassianAccess is a Bitbucket and a Jira: the shared platform's
// simulators or a test's own.
type atlassianAccess struct {
	services registry.Services
	// sims are the simulators' sandbox endpoints, for seeding.
	sims      []sandbox.AtlassianSim
	workspace string
}

func (a atlassianAccess) clients(t *testing.T) (bitbucket.Client, jira.Client) {
	t.Helper()
	bb := a.services.Bitbucket
	jc, err := jira.NewCloud(a.services.Jira.URL, jira.Auth{Email: a.services.Jira.Email, APIToken: a.services.Jira.APIToken})
	if err != nil {
		t.Fatal(err)
	}
	return bitbucket.NewCloud(bb.URL, bitbucket.Auth{Username: bb.Username, Token: bb.Token}), jc
}

// platformAccess is the shared platform's Bitbucket and Jira.
func platformAccess(p *sandbox.Platform) atlassianAccess {
	return atlassianAccess{
		services: registry.Services{
			Bitbucket: &registry.BitbucketAccess{URL: p.Bitbucket.URL, Username: p.Bitbucket.Username, Token: p.Bitbucket.Password},
			Jira:      &registry.JiraAccess{URL: p.Jira.URL, Email: p.Jira.Email, APIToken: p.Jira.APIToken},
		},
		sims: sandbox.AtlassianSims(map[string]string{
			"MC_SANDBOX_BITBUCKET_URL": p.Bitbucket.URL, "MC_SANDBOX_BITBUCKET_USERNAME": p.Bitbucket.Username,
			"MC_SANDBOX_BITBUCKET_PASSWORD": p.Bitbucket.Password,
			"MC_SANDBOX_JIRA_URL":           p.Jira.URL, "MC_SANDBOX_JIRA_EMAIL": p.Jira.Email, "MC_SANDBOX_JIRA_API_TOKEN": p.Jira.APIToken,
		}),
		workspace: p.Bitbucket.Workspace,
	}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, platformAccess(sandboxtest.Platform(t)))
}

// newFixtureOn makes the fixture's project in the Bitbucket and Jira of a.
func newFixtureOn(t *testing.T, a atlassianAccess) *fixture {
	t.Helper()
	ctx := context.Background()
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, reg: registry.New(cfg, p.Namespace), workspace: a.workspace, access: a}
	f.bitbucket, f.jira = a.clients(t)
	// Keys and names unique to this run: the platform may be shared.
	f.seed = rand.Uint32()
	f.key = fmt.Sprintf("PM%06X", f.seed&0xffffff)
	lower := strings.ToLower(f.key)
	f.site, f.appProject = "pm-"+lower, lower

	var users []string
	for i := 1; i <= harborUsers; i++ {
		users = append(users, fmt.Sprintf("h%d", i))
	}
	f.harborServer = harborsim.New(harborsim.Options{AdminPassword: harborPassword, Users: users})
	hsrv := httptest.NewServer(f.harborServer)
	t.Cleanup(hsrv.Close)
	f.proxy = newSwitchableProxy(t, hsrv.URL)
	if f.harbor, err = harbor.New(harbor.Config{URL: hsrv.URL, Username: "admin", Password: harborPassword}); err != nil {
		t.Fatal(err)
	}
	sites := site.New(f.reg)
	if _, err := sites.Create(ctx, site.Spec{
		Name:   f.site,
		ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: "in-cluster"},
		Harbor: &site.Harbor{URL: f.proxy.URL, Username: "admin", Password: harborPassword, PasswordVersion: 1},
	}); err != nil {
		t.Fatalf("cannot register site %s: %v", f.site, err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), f.site); err != nil {
			t.Errorf("cannot delete site %s: %v", f.site, err)
		}
	})

	if _, err := f.bitbucket.CreateProject(ctx, f.workspace, bitbucket.ProjectInput{Key: f.key, Name: "Project member test " + f.key, IsPrivate: true}); err != nil {
		t.Fatalf("cannot create the Bitbucket project: %v", err)
	}
	t.Cleanup(func() {
		if err := f.bitbucket.DeleteProject(context.Background(), f.workspace, f.key); err != nil {
			t.Errorf("cannot delete the Bitbucket project: %v", err)
		}
	})
	if _, err := f.jira.CreateProject(ctx, jira.CreateProject{Key: f.key, Name: "Project member test " + f.key,
		LeadAccountID: "557058:0000000a-0000-4000-8000-00000000a11c", ProjectTypeKey: "software"}); err != nil {
		t.Fatalf("cannot create the Jira project: %v", err)
	}
	t.Cleanup(func() {
		if err := f.jira.DeleteProject(context.Background(), f.key, false); err != nil {
			t.Errorf("cannot delete the Jira project: %v", err)
		}
	})
	if _, err := f.harbor.CreateProject(ctx, harbor.ProjectReq{ProjectName: lower}); err != nil {
		t.Fatalf("cannot create the Harbor project: %v", err)
	}
	t.Cleanup(func() {
		if err := f.harbor.DeleteProject(context.Background(), lower); err != nil {
			t.Errorf("cannot delete the Harbor project: %v", err)
		}
	})
	conn, err := f.reg.Connect(ctx, f.site)
	if err != nil {
		t.Fatal(err)
	}
	ap := kube.AppProject{Name: f.appProject, Namespace: p.ArgoCDNamespace, SourceRepos: []string{"*"}}
	for _, m := range Mappings {
		ap.Roles = append(ap.Roles, kube.AppProjectRole{Name: m.ArgoCDRole,
			Policies: []string{fmt.Sprintf("p, proj:%s:%s, applications, get, %s/*, allow", f.appProject, m.ArgoCDRole, f.appProject)}})
	}
	if err := kube.ApplyAppProject(ctx, conn.Dynamic, ap); err != nil {
		t.Fatalf("cannot create the AppProject: %v", err)
	}
	t.Cleanup(func() {
		if err := kube.DeleteAppProject(context.Background(), conn.Dynamic, p.ArgoCDNamespace, f.appProject); err != nil {
			t.Errorf("cannot delete the AppProject: %v", err)
		}
	})
	if err := f.reg.RegisterProject(ctx, registry.Project{Key: f.key, Name: "Project member test",
		Bitbucket: &registry.ProjectBitbucket{Workspace: f.workspace},
		Jira:      &registry.ProjectJira{},
		Harbor:    &registry.ProjectHarbor{Site: f.site, Name: lower},
		ArgoCD:    &registry.ProjectArgoCD{Sites: []string{f.site}, AppProject: f.appProject},
	}); err != nil {
		t.Fatalf("cannot register the project: %v", err)
	}
	t.Cleanup(func() {
		if err := f.reg.UnregisterProject(context.Background(), f.key); err != nil {
			t.Errorf("cannot unregister the project: %v", err)
		}
	})
	// The engine as the front-ends make it: over the registry, which holds
	// the platform's Bitbucket and Jira.
	f.reg.UseServices(a.services)
	f.client = New(f.reg)
	return f
}

// newClient returns an engine client over the fixture's registry whose
// Bitbucket and Jira are bb and jc.
func (f *fixture) newClient(bb bitbucket.Client, jc jira.Client) *Client {
	return &Client{
		project: func(ctx context.Context, key string) (*Project, error) {
			rec, err := f.reg.Project(ctx, key)
			if err != nil {
				return nil, err
			}
			return ProjectOf(rec), nil
		},
		parts: func(_ context.Context, p *Project, s Spec) ([]part, error) {
			return partsOf(f.reg,
				func(context.Context) (bitbucket.Client, error) { return bb, nil },
				func(context.Context) (jira.Client, error) { return jc, nil }, p, s), nil
		},
	}
}

// sims are the fixture's Atlassian simulators.
func (f *fixture) sims() []sandbox.AtlassianSim { return f.access.sims }

// newUser adds a new account to Bitbucket and Jira and returns its account
// id and a Harbor user of the fixture's Harbor for it.
func (f *fixture) newUser(t *testing.T) (accountID, harborUser string) {
	t.Helper()
	n := f.users.Add(1)
	if n >= harborUsers { // the last one is never a member
		t.Fatalf("the fixture has only %d Harbor users", harborUsers)
	}
	accountID = fmt.Sprintf("557058:%08x-0000-4000-8000-%012x", f.seed, n)
	if err := sandbox.AddAtlassianUser(context.Background(), f.sims(), sandbox.AtlassianUser{
		AccountID: accountID, DisplayName: fmt.Sprintf("Test user %d of %s", n, f.key), Email: fmt.Sprintf("u%d.%s@example.com", n, strings.ToLower(f.key)),
	}); err != nil {
		t.Fatal(err)
	}
	return accountID, fmt.Sprintf("h%d", n)
}

// newGroup adds a new group with the given members to Bitbucket and Jira.
func (f *fixture) newGroup(t *testing.T, name string, members ...string) string {
	t.Helper()
	name = strings.ToLower(f.key) + "-" + name
	if err := sandbox.AddAtlassianGroup(context.Background(), f.sims(), sandbox.AtlassianGroup{Name: name, Members: members}); err != nil {
		t.Fatal(err)
	}
	return name
}

// harborMembers counts the memberships of a Harbor user or group in the
// fixture's Harbor project.
func (f *fixture) harborMembers(ctx context.Context, name string) (int, error) {
	ms, err := f.harbor.ListProjectMembers(ctx, strings.ToLower(f.key), name)
	n := 0
	for _, m := range ms {
		if m.EntityName == name {
			n++
		}
	}
	return n, err
}

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
