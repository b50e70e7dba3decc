package application_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
)

// fixture is an in-process Bitbucket simulator with the sandbox's
// templates, a registry on a stand-in API with the project's record, and
// the application client.
type fixture struct {
	bb     bitbucket.Client
	sim    sandbox.BitbucketSim
	reg    *registry.Registry
	client *application.Client
}

const (
	fixtureUser = "mc-admin"
	fixturePass = "app-engine-password"
	fixtureWS   = "mcplatform"
)

func newFixture(t *testing.T, projectKey string) *fixture {
	t.Helper()
	ctx := context.Background()
	inst, err := bitbucketsim.Start("127.0.0.1:0", bitbucketsim.Options{Username: fixtureUser, Password: fixturePass, GitRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	sim := sandbox.BitbucketSim{URL: inst.APIURL(), Username: fixtureUser, Password: fixturePass, Workspace: fixtureWS}
	if err := sandbox.SeedTemplates(ctx, sim); err != nil {
		t.Fatalf("SeedTemplates() error = %v", err)
	}
	if err := sandbox.SeedTemplates(ctx, sim); err != nil { // idempotent
		t.Fatalf("SeedTemplates() again error = %v", err)
	}
	bb := bitbucket.NewCloud(sim.URL, bitbucket.Auth{Username: fixtureUser, Token: fixturePass})
	if _, err := bb.CreateProject(ctx, fixtureWS, bitbucket.ProjectInput{Key: projectKey, Name: projectKey, IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(registrytest.New(t).Config(), "mc-system")
	reg.UseServices(registry.Services{Bitbucket: &registry.BitbucketAccess{URL: sim.URL, Username: fixtureUser, Token: fixturePass}})
	if err := reg.RegisterProject(ctx, registry.Project{Key: projectKey, Name: projectKey, Bitbucket: &registry.ProjectBitbucket{Workspace: fixtureWS}}); err != nil {
		t.Fatal(err)
	}
	return &fixture{bb: bb, sim: sim, reg: reg, client: application.New(reg)}
}

func (f *fixture) spec(project, name string) application.Spec {
	return application.Spec{Project: project, Name: name,
		Template: application.Template{
			SourceRepo: f.sim.TemplateURL(sandbox.TemplateGoService),
			YAMLRepo:   f.sim.TemplateURL(sandbox.TemplateGoServiceYAML),
		},
		InitialValues: map[string]string{"port": "8080"},
	}
}

func (f *fixture) files(t *testing.T, url string) map[string]string {
	t.Helper()
	snap, err := git.ReadTree(context.Background(), git.Repository{URL: url, Username: fixtureUser, Password: fixturePass}, application.DefaultBranch)
	if err != nil {
		t.Fatalf("ReadTree(%s) error = %v", url, err)
	}
	return snap.Files
}

func (f *fixture) observe(t *testing.T, want application.Spec) engine.Observation[application.Spec, application.Status] {
	t.Helper()
	obs, err := f.client.Observe(context.Background(), want.ID(), want)
	if err != nil {
		t.Fatalf("Observe() error = %v", err)
	}
	return obs
}

func (f *fixture) repoUUID(t *testing.T, slug string) string {
	t.Helper()
	r, err := f.bb.GetRepository(context.Background(), fixtureWS, slug)
	if err != nil {
		t.Fatalf("GetRepository(%s) error = %v", slug, err)
	}
	return r.UUID
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "APPL")
	want := f.spec("APPL", "shop")

	id, err := f.client.Create(ctx, want)
	if err != nil || id != "APPL/shop" {
		t.Fatalf("Create() = %q, %v", id, err)
	}
	obs := f.observe(t, want)
	if !obs.Exists || !obs.Ready || !obs.UpToDate || obs.Status.Notice != "" {
		t.Fatalf("Observe() after create = %+v", obs)
	}
	st := obs.Status
	if st.SourceInitialCommit == "" || st.YAMLInitialCommit == "" || st.DefaultBranch != "main" ||
		!strings.HasSuffix(st.SourceCloneURL, "/mcplatform/shop.git") || !strings.HasSuffix(st.YAMLCloneURL, "/mcplatform/shop-yaml.git") {
		t.Fatalf("Observe() status = %+v", st)
	}
	src := f.files(t, st.SourceCloneURL)
	if diff := cmp.Diff("# shop\n\nA Go service of project APPL, listening on port 8080.\n", src["README.md"]); diff != "" {
		t.Errorf("README.md (-want +got):\n%s", diff)
	}
	if !strings.Contains(src["main.go"], `":8080"`) || src["go.mod"] != "module example.com/APPL/shop\n\ngo 1.24\n" || src["Dockerfile"] == "" {
		t.Errorf("source files = %v", src)
	}
	for name := range src {
		if strings.HasSuffix(name, ".tmpl") {
			t.Errorf("template file %s was pushed as it is", name)
		}
	}
	if yml := f.files(t, st.YAMLCloneURL); yml["README.md"] == "" || yml["deploy/.keep"] != "" {
		t.Errorf("yaml files = %v", yml)
	} else if _, ok := yml["deploy/.keep"]; !ok {
		t.Errorf("yaml files = %v, want deploy/.keep", yml)
	}

	// A second create makes nothing new.
	if _, err := f.client.Create(ctx, want); err != nil {
		t.Fatalf("Create() again error = %v", err)
	}
	if again := f.observe(t, want).Status; again != st {
		t.Fatalf("status after a second create = %+v, want %+v", again, st)
	}

	// The other kinds' lookup.
	rec, err := f.reg.Application(ctx, "APPL", "shop")
	if err != nil || rec.Source.CloneURL != st.SourceCloneURL || rec.YAML.InitialCommit != st.YAMLInitialCommit || rec.DefaultBranch != "main" {
		t.Fatalf("registry.Application() = %+v, %v", rec, err)
	}

	// New initial values change nothing in git, and say so.
	changed := want
	changed.InitialValues = map[string]string{"port": "9090"}
	if err := f.client.Update(ctx, id, changed); err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	obs = f.observe(t, changed)
	if obs.Status.SourceInitialCommit != st.SourceInitialCommit || !obs.UpToDate || !strings.Contains(obs.Status.Notice, `port="8080"`) {
		t.Fatalf("Observe() after new initial values = %+v", obs)
	}
	if diff := cmp.Diff(changed.InitialValues, obs.Actual.InitialValues); diff != "" {
		t.Errorf("actual initial values (-want +got):\n%s", diff)
	}
	if head := f.files(t, st.SourceCloneURL)["main.go"]; !strings.Contains(head, `":8080"`) {
		t.Errorf("main.go changed after new initial values:\n%s", head)
	}
	// An import (no spec) reads what the repositories were made from.
	if imp := f.observe(t, application.Spec{Project: "APPL", Name: "shop"}); imp.Actual.InitialValues["port"] != "8080" || imp.Actual.Template.Ref != "main" {
		t.Errorf("Observe() of an import = %+v", imp.Actual)
	}

	// A repository deleted outside: gone, and the next create makes only it.
	yamlUUID := f.repoUUID(t, "shop-yaml")
	if err := f.bb.DeleteRepository(ctx, fixtureWS, "shop"); err != nil {
		t.Fatal(err)
	}
	if obs := f.observe(t, want); obs.Exists {
		t.Fatalf("Observe() with the source repository deleted: Exists, want gone: %+v", obs)
	}
	if _, err := f.client.Create(ctx, want); err != nil {
		t.Fatalf("Create() after the drift error = %v", err)
	}
	obs = f.observe(t, want)
	if !obs.Ready || obs.Status.YAMLInitialCommit != st.YAMLInitialCommit || f.repoUUID(t, "shop-yaml") != yamlUUID || obs.Status.SourceInitialCommit == "" {
		t.Fatalf("after re-creation: %+v", obs.Status)
	}

	// Delete removes both repositories and the record; again succeeds.
	for range 2 {
		if err := f.client.Delete(ctx, id); err != nil {
			t.Fatalf("Delete() error = %v", err)
		}
	}
	for _, slug := range []string{"shop", "shop-yaml"} {
		if _, err := f.bb.GetRepository(ctx, fixtureWS, slug); !bitbucket.IsNotFound(err) {
			t.Errorf("repository %s after delete: %v, want not found", slug, err)
		}
	}
	if _, err := f.reg.LookupApplication(ctx, "APPL", "shop"); !engine.IsNotFound(err) {
		t.Errorf("record after delete: %v, want not found", err)
	}
}

func TestOrphan(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "APPO")
	want := f.spec("APPO", "keep")
	id, err := f.client.Create(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	want.OnDestroy = application.OnDestroyOrphan
	if obs := f.observe(t, want); obs.UpToDate {
		t.Fatalf("Observe() with on_destroy changed is up to date")
	}
	if err := f.client.Update(ctx, id, want); err != nil {
		t.Fatal(err)
	}
	if obs := f.observe(t, want); !obs.UpToDate || obs.Actual.OnDestroy != application.OnDestroyOrphan {
		t.Fatalf("Observe() after update = %+v", obs)
	}
	if err := f.client.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"keep", "keep-yaml"} {
		if _, err := f.bb.GetRepository(ctx, fixtureWS, slug); err != nil {
			t.Errorf("repository %s after an orphan delete: %v", slug, err)
		}
	}
	if _, err := f.reg.LookupApplication(ctx, "APPO", "keep"); !engine.IsNotFound(err) {
		t.Errorf("record after delete: %v, want not found", err)
	}
	// Declared again, the orphaned repositories are adopted: same first commits.
	before := f.files(t, f.sim.ServerURL()+"/mcplatform/keep.git")
	if _, err := f.client.Create(ctx, f.spec("APPO", "keep")); err != nil {
		t.Fatalf("Create() over orphaned repositories error = %v", err)
	}
	if diff := cmp.Diff(before, f.files(t, f.sim.ServerURL()+"/mcplatform/keep.git")); diff != "" {
		t.Errorf("files after adoption (-before +after):\n%s", diff)
	}
}

// TestResume cuts a create off at each point a crash can leave it and
// checks that the next create finishes it with one repository of each.
func TestResume(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "APPR")

	// The repositories were created, nothing pushed, no record written.
	want := f.spec("APPR", "empty")
	for _, slug := range []string{"empty", "empty-yaml"} {
		if _, err := f.bb.CreateRepository(ctx, fixtureWS, slug, bitbucket.RepositoryInput{ProjectKey: "APPR", IsPrivate: true}); err != nil {
			t.Fatal(err)
		}
	}
	uuid := f.repoUUID(t, "empty")
	if obs := f.observe(t, want); !obs.Exists || obs.Ready {
		t.Fatalf("Observe() of empty repositories = %+v, want exists, not ready", obs)
	}
	if _, err := f.client.Create(ctx, want); err != nil {
		t.Fatalf("Create() over empty repositories error = %v", err)
	}
	if obs := f.observe(t, want); !obs.Ready || f.repoUUID(t, "empty") != uuid {
		t.Fatalf("after resuming: %+v (uuid %s, was %s)", obs, f.repoUUID(t, "empty"), uuid)
	}

	// Pushed, but the record lost the first commits (the answer was lost).
	want = f.spec("APPR", "pushed")
	if _, err := f.client.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
	rec, err := f.reg.Application(ctx, "APPR", "pushed")
	if err != nil {
		t.Fatal(err)
	}
	pushed := *rec
	rec.Source.InitialCommit, rec.YAML.InitialCommit = "", ""
	if err := f.reg.RegisterApplication(ctx, *rec); err != nil {
		t.Fatal(err)
	}
	if err := f.reg.UnregisterApplication(ctx, "APPR", "pushed"); err != nil { // and even no record at all
		t.Fatal(err)
	}
	if _, err := f.client.Create(ctx, want); err != nil {
		t.Fatalf("Create() over pushed repositories error = %v", err)
	}
	got, err := f.reg.Application(ctx, "APPR", "pushed")
	if err != nil {
		t.Fatal(err)
	}
	if got.Source.InitialCommit != pushed.Source.InitialCommit || got.YAML.InitialCommit != pushed.YAML.InitialCommit {
		t.Fatalf("adopted first commits %s/%s, want %s/%s", got.Source.InitialCommit, got.YAML.InitialCommit, pushed.Source.InitialCommit, pushed.YAML.InitialCommit)
	}
	repos, err := f.bb.ListRepositories(ctx, fixtureWS, "APPR")
	if err != nil || len(repos) != 4 {
		t.Fatalf("repositories of APPR = %d, %v; want 4", len(repos), err)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "APPX")

	// A repository holding commits of someone else is not taken over.
	want := f.spec("APPX", "foreign")
	if _, err := f.bb.CreateRepository(ctx, fixtureWS, "foreign", bitbucket.RepositoryInput{ProjectKey: "APPX", IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	repo := git.Repository{URL: f.sim.ServerURL() + "/mcplatform/foreign.git", Username: fixtureUser, Password: fixturePass}
	if _, err := git.NewCommitter().Commit(ctx, repo, "main", git.Change{Files: map[string]string{"x": "y"}, Message: "someone's"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.Create(ctx, want)
	var terminal *engine.TerminalError
	if !errors.As(err, &terminal) || !strings.Contains(err.Error(), "not made for application APPX/foreign") {
		t.Fatalf("Create() over a foreign repository error = %v, want a terminal error", err)
	}

	// A value the template needs is missing: nothing is made.
	want = f.spec("APPX", "novalue")
	want.InitialValues = nil
	_, err = f.client.Create(ctx, want)
	if in, ok := engine.AsInvalidInput(err); !ok || in.Path != "template.source_repo" || !strings.Contains(err.Error(), "port") {
		t.Fatalf("Create() without port error = %v, want invalid input naming port", err)
	}
	// A ref the template does not have.
	want = f.spec("APPX", "noref")
	want.Template.Ref = "v9"
	if _, err = f.client.Create(ctx, want); !isInvalid(err) {
		t.Fatalf("Create() with a missing ref error = %v, want invalid input", err)
	}
	for _, slug := range []string{"novalue", "novalue-yaml", "noref", "noref-yaml"} {
		if _, err := f.bb.GetRepository(ctx, fixtureWS, slug); !bitbucket.IsNotFound(err) {
			t.Errorf("repository %s: %v, want none made", slug, err)
		}
	}

	// An unknown project is a dependency error, at create and observe.
	want = f.spec("NOPE", "shop")
	if _, err := f.client.Create(ctx, want); !errors.Is(err, registry.ErrProjectNotRegistered) {
		t.Fatalf("Create() in an unknown project error = %v", err)
	}
	if _, err := f.client.Observe(ctx, want.ID(), want); !errors.Is(err, registry.ErrProjectNotRegistered) || engine.IsNotFound(err) {
		t.Fatalf("Observe() in an unknown project error = %v", err)
	}
}

func isInvalid(err error) bool { _, ok := engine.AsInvalidInput(err); return ok }
