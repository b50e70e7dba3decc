package bitbucket_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
)

const (
	simUser  = "mc-admin"
	simToken = "ATBB-test-app-password"
	// simAccessToken is the workspace access token.
	simAccessToken = "ATCTT-test-access-token"
	ws             = bitbucketsim.DefaultWorkspace
)

var (
	alice = bitbucketsim.SeedUsers[0].AccountID
	bob   = bitbucketsim.SeedUsers[1].AccountID
	carol = bitbucketsim.SeedUsers[2].AccountID
)

type simEnv struct {
	sim      *bitbucketsim.Server
	srv      *httptest.Server
	client   bitbucket.Client
	requests sync.Map // "METHOD path" -> *atomic.Int64
}

func (e *simEnv) count(method, path string) int64 {
	v, ok := e.requests.Load(method + " " + path)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newSim(t *testing.T) *simEnv {
	t.Helper()
	e := &simEnv{sim: bitbucketsim.New(bitbucketsim.Options{Username: simUser, Password: simToken, AccessToken: simAccessToken, GitRoot: t.TempDir()})}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := e.requests.LoadOrStore(r.Method+" "+r.URL.Path, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.client = bitbucket.NewCloud(e.srv.URL+"/2.0", bitbucket.Auth{Username: simUser, Token: simToken}, fastRetries)
	return e
}

func TestSimAccountsAndWorkspace(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	w, err := e.client.GetWorkspace(c, ws)
	if err != nil || w.Slug != ws || !strings.HasPrefix(w.UUID, "{") {
		t.Fatalf("GetWorkspace() = %+v, %v", w, err)
	}
	me, err := e.client.CurrentUser(c)
	if err != nil || me.AccountID != bitbucketsim.AdminAccountID || me.Nickname != simUser {
		t.Fatalf("CurrentUser() = %+v, %v", me, err)
	}
	u, err := e.client.GetUser(c, alice)
	if err != nil || u.AccountID != alice || u.DisplayName != "Alice" {
		t.Fatalf("GetUser(alice) = %+v, %v", u, err)
	}
	if _, err := e.client.GetUser(c, "557058:ffffffff-0000-4000-8000-000000000000"); !bitbucket.IsNotFound(err) {
		t.Fatalf("GetUser(unknown) error = %v, want 404", err)
	}
	if _, err := e.client.GetWorkspace(c, "nope"); !bitbucket.IsNotFound(err) {
		t.Fatalf("GetWorkspace(nope) error = %v, want 404", err)
	}
	wrong := bitbucket.NewCloud(e.srv.URL, bitbucket.Auth{Username: simUser, Token: "wrong"}, fastRetries)
	if _, err := wrong.GetWorkspace(c, ws); !bitbucket.IsUnauthorized(err) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong credentials: error = %v, want 401 without the token", err)
	}
	email := bitbucket.NewCloud(e.srv.URL, bitbucket.Auth{Username: "mc-admin@mcplatform.example", Token: simToken}, fastRetries)
	if _, err := email.CurrentUser(c); err != nil {
		t.Fatalf("email + API token: error = %v", err)
	}
	bearer := bitbucket.NewCloud(e.srv.URL, bitbucket.Auth{Token: simAccessToken}, fastRetries)
	if _, err := bearer.GetWorkspace(c, ws); err != nil {
		t.Fatalf("access token as bearer: error = %v", err)
	}
	if _, err := bitbucket.NewCloud(e.srv.URL, bitbucket.Auth{Token: simToken}, fastRetries).GetWorkspace(c, ws); !bitbucket.IsUnauthorized(err) {
		t.Fatalf("the app password as bearer: error = %v, want 401", err)
	}
}

func TestSimProjectRoundTrip(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	p, err := e.client.CreateProject(c, ws, bitbucket.ProjectInput{Key: "PAY", Name: "Payments", Description: "money", IsPrivate: true})
	if err != nil {
		t.Fatalf("CreateProject() error = %v", err)
	}
	if p.Key != "PAY" || p.Name != "Payments" || p.Description != "money" || !p.IsPrivate || !strings.HasPrefix(p.UUID, "{") {
		t.Fatalf("CreateProject() = %+v", p)
	}
	got, err := e.client.GetProject(c, ws, "PAY")
	if err != nil || got.UUID != p.UUID {
		t.Fatalf("GetProject() = %+v, %v; want uuid %s", got, err, p.UUID)
	}
	if _, err := e.client.CreateProject(c, ws, bitbucket.ProjectInput{Key: "PAY", Name: "again"}); !bitbucket.IsAlreadyExists(err) {
		t.Fatalf("second CreateProject() error = %v, want already exists", err)
	}
	up, err := e.client.UpdateProject(c, ws, "PAY", bitbucket.ProjectInput{Key: "PAY", Name: "Payments 2", Description: "more money", IsPrivate: true})
	if err != nil || up.Name != "Payments 2" || up.Description != "more money" || up.UUID != p.UUID {
		t.Fatalf("UpdateProject() = %+v, %v", up, err)
	}
	ps, err := e.client.ListProjects(c, ws)
	if err != nil || len(ps) != 1 || ps[0].Name != "Payments 2" {
		t.Fatalf("ListProjects() = %+v, %v", ps, err)
	}
	if err := e.client.DeleteProject(c, ws, "PAY"); err != nil {
		t.Fatalf("DeleteProject() error = %v", err)
	}
	if _, err := e.client.GetProject(c, ws, "PAY"); !bitbucket.IsNotFound(err) {
		t.Fatalf("GetProject() after delete: error = %v, want 404", err)
	}
	if err := e.client.DeleteProject(c, ws, "PAY"); !bitbucket.IsNotFound(err) {
		t.Fatalf("second DeleteProject() error = %v, want 404", err)
	}
}

func TestSimProjectValidation(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	tests := []struct {
		in        bitbucket.ProjectInput
		wantField string
	}{
		{bitbucket.ProjectInput{Key: "1AB", Name: "x"}, "key"},
		{bitbucket.ProjectInput{Key: "A-B", Name: "x"}, "key"},
		{bitbucket.ProjectInput{Key: "AB", Name: ""}, "name"},
	}
	for _, tt := range tests {
		_, err := e.client.CreateProject(c, ws, tt.in)
		var be *bitbucket.Error
		if !errors.As(err, &be) || be.StatusCode != http.StatusBadRequest || len(be.Fields[tt.wantField]) == 0 {
			t.Errorf("CreateProject(%+v) error = %v, want 400 on field %s", tt.in, err, tt.wantField)
		}
	}
	if _, err := e.client.CreateProject(c, "nope", bitbucket.ProjectInput{Key: "AB", Name: "x"}); !bitbucket.IsNotFound(err) {
		t.Errorf("CreateProject in unknown workspace: error = %v, want 404", err)
	}
}

func TestSimPermissionsRoundTrip(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	if _, err := e.client.CreateProject(c, ws, bitbucket.ProjectInput{Key: "PERM", Name: "perm"}); err != nil {
		t.Fatal(err)
	}
	for id, p := range map[string]bitbucket.Permission{alice: bitbucket.PermissionAdmin, bob: bitbucket.PermissionWrite} {
		got, err := e.client.PutProjectUserPermission(c, ws, "PERM", id, p)
		if err != nil || got.Permission != p || got.User.AccountID != id {
			t.Fatalf("PutProjectUserPermission(%s, %s) = %+v, %v", id, p, got, err)
		}
	}
	if _, err := e.client.PutProjectUserPermission(c, ws, "PERM", bob, bitbucket.PermissionRead); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.GetProjectUserPermission(c, ws, "PERM", bob)
	if err != nil || got.Permission != bitbucket.PermissionRead {
		t.Fatalf("GetProjectUserPermission(bob) = %+v, %v; want read", got, err)
	}
	if _, err := e.client.GetProjectUserPermission(c, ws, "PERM", carol); !bitbucket.IsNotFound(err) {
		t.Fatalf("GetProjectUserPermission(carol) error = %v, want 404 (no explicit permission)", err)
	}
	if _, err := e.client.PutProjectUserPermission(c, ws, "PERM", "557058:ffffffff-0000-4000-8000-000000000000", bitbucket.PermissionRead); !bitbucket.IsNotFound(err) {
		t.Fatalf("PutProjectUserPermission(unknown) error = %v, want 404", err)
	}
	if _, err := e.client.PutProjectUserPermission(c, ws, "PERM", carol, "owner"); !bitbucket.IsBadRequest(err) {
		t.Fatalf("PutProjectUserPermission(owner) error = %v, want 400", err)
	}
	if _, err := e.client.PutProjectUserPermission(c, ws, "PERM", carol, bitbucket.PermissionNone); !bitbucket.IsBadRequest(err) {
		t.Fatalf("PutProjectUserPermission(none) error = %v, want 400", err)
	}
	users, err := e.client.ListProjectUserPermissions(c, ws, "PERM")
	if err != nil {
		t.Fatal(err)
	}
	gotUsers := map[string]bitbucket.Permission{}
	for _, u := range users {
		gotUsers[u.User.AccountID] = u.Permission
	}
	if diff := cmp.Diff(map[string]bitbucket.Permission{alice: "admin", bob: "read"}, gotUsers); diff != "" {
		t.Fatalf("ListProjectUserPermissions (-want +got):\n%s", diff)
	}
	if err := e.client.DeleteProjectUserPermission(c, ws, "PERM", bob); err != nil {
		t.Fatal(err)
	}
	if err := e.client.DeleteProjectUserPermission(c, ws, "PERM", bob); err != nil {
		t.Fatalf("second DeleteProjectUserPermission() error = %v, want none (deletes if one exists)", err)
	}

	slug := bitbucketsim.GroupSlug("platform-devs")
	gp, err := e.client.PutProjectGroupPermission(c, ws, "PERM", slug, bitbucket.PermissionWrite)
	if err != nil || gp.Permission != bitbucket.PermissionWrite || gp.Group.Slug != slug || gp.Group.Name != "platform-devs" {
		t.Fatalf("PutProjectGroupPermission() = %+v, %v", gp, err)
	}
	if g, err := e.client.GetProjectGroupPermission(c, ws, "PERM", slug); err != nil || g.Permission != bitbucket.PermissionWrite {
		t.Fatalf("GetProjectGroupPermission() = %+v, %v", g, err)
	}
	if _, err := e.client.PutProjectGroupPermission(c, ws, "PERM", "no-such-group", bitbucket.PermissionRead); !bitbucket.IsNotFound(err) {
		t.Fatalf("PutProjectGroupPermission(unknown group) error = %v, want 404", err)
	}
	groups, err := e.client.ListProjectGroupPermissions(c, ws, "PERM")
	if err != nil || len(groups) != 1 || groups[0].Group.Slug != slug {
		t.Fatalf("ListProjectGroupPermissions() = %+v, %v", groups, err)
	}
	if err := e.client.DeleteProjectGroupPermission(c, ws, "PERM", slug); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.GetProjectGroupPermission(c, ws, "PERM", slug); !bitbucket.IsNotFound(err) {
		t.Fatalf("GetProjectGroupPermission() after delete: error = %v, want 404", err)
	}
	if _, err := e.client.ListProjectUserPermissions(c, ws, "NOPE"); !bitbucket.IsNotFound(err) {
		t.Fatalf("ListProjectUserPermissions(unknown project) error = %v, want 404", err)
	}
}

func TestSimRepositoriesRoundTrip(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	for _, k := range []string{"AAA", "BBB"} {
		if _, err := e.client.CreateProject(c, ws, bitbucket.ProjectInput{Key: k, Name: k, IsPrivate: true}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.client.CreateRepository(c, ws, "app-config", bitbucket.RepositoryInput{ProjectKey: "AAA", Name: "App config", IsPrivate: true})
	if err != nil {
		t.Fatalf("CreateRepository() error = %v", err)
	}
	wantClone := strings.Replace(e.srv.URL, "http://", "http://"+simUser+"@", 1) + "/" + ws + "/app-config.git"
	if r.Slug != "app-config" || r.Name != "App config" || r.Project.Key != "AAA" || r.FullName != ws+"/app-config" || r.CloneURL("https") != wantClone {
		t.Fatalf("CreateRepository() = %+v (clone %q), want slug app-config in AAA cloned from %s", r, r.CloneURL("https"), wantClone)
	}
	if _, err := e.client.CreateRepository(c, ws, "app-config", bitbucket.RepositoryInput{ProjectKey: "AAA", IsPrivate: true}); !bitbucket.IsAlreadyExists(err) {
		t.Fatalf("second CreateRepository() error = %v, want already exists", err)
	}
	if _, err := e.client.CreateRepository(c, ws, "public", bitbucket.RepositoryInput{ProjectKey: "AAA", IsPrivate: false}); !bitbucket.IsBadRequest(err) {
		t.Fatalf("public repository in a private project: error = %v, want 400", err)
	}
	if _, err := e.client.CreateRepository(c, ws, "other", bitbucket.RepositoryInput{ProjectKey: "BBB", IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	rs, err := e.client.ListRepositories(c, ws, "AAA")
	if err != nil || len(rs) != 1 || rs[0].Slug != "app-config" {
		t.Fatalf("ListRepositories(AAA) = %+v, %v", rs, err)
	}
	if err := e.client.DeleteProject(c, ws, "AAA"); !bitbucket.IsForbidden(err) {
		t.Fatalf("DeleteProject with a repository: error = %v, want 403", err)
	}
	if got, err := e.client.GetRepository(c, ws, "app-config"); err != nil || got.UUID != r.UUID {
		t.Fatalf("GetRepository() = %+v, %v", got, err)
	}
	if err := e.client.DeleteRepository(c, ws, "app-config"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.GetRepository(c, ws, "app-config"); !bitbucket.IsNotFound(err) {
		t.Fatalf("GetRepository() after delete: error = %v, want 404", err)
	}
	if _, err := os.Stat(filepath.Join(e.sim.GitRoot(), ws, "app-config.git")); !os.IsNotExist(err) {
		t.Fatalf("the git repository is still on disk: %v", err)
	}
	if err := e.client.DeleteProject(c, ws, "AAA"); err != nil {
		t.Fatalf("DeleteProject once empty: error = %v", err)
	}
}

// TestSimPagination lists more projects and repositories than fit on one
// page and counts the requests.
func TestSimPagination(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	if _, err := e.client.CreateProject(c, ws, bitbucket.ProjectInput{Key: "REPOS", Name: "repos", IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	const projects, repos = 230, 120
	for i := range projects - 1 {
		if _, err := e.client.CreateProject(c, ws, bitbucket.ProjectInput{Key: fmt.Sprintf("P%03d", i), Name: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range repos {
		if _, err := e.client.CreateRepository(c, ws, fmt.Sprintf("r%03d", i), bitbucket.RepositoryInput{ProjectKey: "REPOS", IsPrivate: true}); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := e.client.ListProjects(c, ws)
	if err != nil || len(ps) != projects {
		t.Fatalf("ListProjects() = %d projects, %v; want %d", len(ps), err, projects)
	}
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Key] = true
	}
	if len(seen) != projects {
		t.Fatalf("ListProjects() has %d distinct keys, want %d", len(seen), projects)
	}
	if n := e.count(http.MethodGet, "/2.0/workspaces/"+ws+"/projects"); n != 3 {
		t.Fatalf("ListProjects() took %d requests, want 3 pages of 100", n)
	}
	rs, err := e.client.ListRepositories(c, ws, "REPOS")
	if err != nil || len(rs) != repos || rs[0].Slug != "r000" || rs[repos-1].Slug != fmt.Sprintf("r%03d", repos-1) {
		t.Fatalf("ListRepositories() = %d repositories, %v; want %d in creation order", len(rs), err, repos)
	}
	if n := e.count(http.MethodGet, "/2.0/repositories/"+ws); n != 2 {
		t.Fatalf("ListRepositories() took %d requests, want 2", n)
	}
}

// TestSimGitCloneAndPush clones a repository from its https clone link
// with the API's credentials, pushes a commit and clones it back.
func TestSimGitCloneAndPush(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	e := newSim(t)
	c := ctx(t)
	if _, err := e.client.CreateProject(c, ws, bitbucket.ProjectInput{Key: "GIT", Name: "git", IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	r, err := e.client.CreateRepository(c, ws, "deploy", bitbucket.RepositoryInput{ProjectKey: "GIT", IsPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(r.CloneURL("https"))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), simToken)
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(c, "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, strings.ReplaceAll(string(out), simToken, "***"))
		}
		return string(out)
	}
	tmp := t.TempDir()
	git(tmp, "clone", u.String(), "one")
	one := filepath.Join(tmp, "one")
	if err := os.WriteFile(filepath.Join(one, "app.yaml"), []byte("replicas: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(one, "checkout", "-B", "main")
	git(one, "add", "app.yaml")
	git(one, "commit", "-m", "first")
	git(one, "push", "origin", "main")
	git(tmp, "clone", u.String(), "two")
	if b, err := os.ReadFile(filepath.Join(tmp, "two", "app.yaml")); err != nil || string(b) != "replicas: 2\n" {
		t.Fatalf("the second clone has app.yaml = %q, %v", b, err)
	}
	tokenURL := *u
	tokenURL.User = url.UserPassword("x-token-auth", simAccessToken)
	if out := git(tmp, "ls-remote", tokenURL.String()); !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("git ls-remote with the access token = %q, want refs/heads/main", out)
	}
	wrong := *u
	wrong.User = url.UserPassword(u.User.Username(), "wrong")
	cmd := exec.CommandContext(c, "git", "ls-remote", wrong.String())
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "401") && !strings.Contains(string(out), "Authentication failed") {
		t.Fatalf("git ls-remote with a wrong password: %v\n%s; want an authentication failure", err, out)
	}
}
