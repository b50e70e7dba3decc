package application

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Client implements engine.Client for applications.
type Client struct {
	reg *registry.Registry
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a client that finds projects (their records) and the
// platform's Bitbucket through the registry.
func New(reg *registry.Registry) *Client { return &Client{reg: reg} }

// trailer marks the first commit of a repository made for application id.
func trailer(id string) string { return "Made-By: mc_application " + id }

// workspace returns the Bitbucket workspace of project key, from its record.
func (c *Client) workspace(ctx context.Context, key string) (string, error) {
	p, err := c.reg.Project(ctx, key)
	if err != nil {
		return "", err
	}
	if p.Bitbucket == nil || p.Bitbucket.Workspace == "" {
		return "", engine.InvalidInput("project", "project %q has no Bitbucket project: give it a bitbucket block, where the application's repositories go", key)
	}
	return p.Bitbucket.Workspace, nil
}

// Observe reads both repositories and the application record. The
// application exists while both repositories exist: a repository deleted
// outside makes it gone, so that Terraform plans it again and Create makes
// the missing one (adopting the other). It is ready once both repositories
// hold their first commit.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	key, name, err := ParseID(id)
	if err != nil {
		return obs, engine.InvalidInput("id", "%v", err)
	}
	rec, err := c.reg.LookupApplication(ctx, key, name)
	if err != nil && !engine.IsNotFound(err) {
		return obs, err
	}
	ws := ""
	if rec != nil {
		ws = rec.Workspace
	} else if ws, err = c.workspace(ctx, key); err != nil {
		return obs, err
	}
	bb, err := c.reg.Bitbucket()
	if err != nil {
		return obs, err
	}
	spec := Spec{Project: key, Name: name}
	src, err := getRepository(ctx, bb, ws, spec.SourceSlug())
	if err != nil {
		return obs, err
	}
	yml, err := getRepository(ctx, bb, ws, spec.YAMLSlug())
	if err != nil {
		return obs, err
	}
	obs.Exists = src != nil && yml != nil
	if !obs.Exists {
		var missing []string
		if src == nil {
			missing = append(missing, spec.SourceSlug())
		}
		if yml == nil {
			missing = append(missing, spec.YAMLSlug())
		}
		obs.Message = fmt.Sprintf("repository %s is missing in workspace %q", strings.Join(missing, " and "), ws)
		return obs, nil
	}
	st := Status{DefaultBranch: DefaultBranch,
		SourceCloneURL: src.CloneURL("https"), YAMLCloneURL: yml.CloneURL("https"),
		SourceUUID: src.UUID, YAMLUUID: yml.UUID}
	actual := spec
	actual.OnDestroy = OnDestroyDelete
	if rec != nil {
		st.SourceInitialCommit, st.YAMLInitialCommit = rec.Source.InitialCommit, rec.YAML.InitialCommit
		if rec.DefaultBranch != "" {
			st.DefaultBranch = rec.DefaultBranch
		}
		if rec.Orphan {
			actual.OnDestroy = OnDestroyOrphan
		}
		actual.Template = Template{SourceRepo: rec.Template.SourceRepo, YAMLRepo: rec.Template.YAMLRepo, Ref: rec.Template.Ref}
		actual.InitialValues = maps.Clone(rec.InitialValues)
	}
	obs.Ready = st.SourceInitialCommit != "" && st.YAMLInitialCommit != ""
	if declared(want) {
		want = WithDefaults(want)
		if rec != nil && (want.Template != actual.Template || !sameValues(want.InitialValues, actual.InitialValues)) {
			st.Notice = fmt.Sprintf("The repositories were made from template %s and %s at %q with initial values %s; "+
				"the declared template or initial values only fill repositories at their first push and were not applied",
				actual.Template.SourceRepo, actual.Template.YAMLRepo, actual.Template.Ref, valuesString(actual.InitialValues))
		}
		// The template and initial values are not forced: they read back
		// as declared, and the notice tells the difference.
		actual.Template, actual.InitialValues = want.Template, maps.Clone(want.InitialValues)
		obs.UpToDate = obs.Ready && rec != nil && actual.OnDestroy == want.OnDestroy
	} else {
		obs.UpToDate = obs.Ready
	}
	if !obs.Ready {
		obs.Message = "the first commit of a repository is not pushed yet"
	}
	obs.Actual, obs.Status = actual, st
	return obs, nil
}

// declared reports whether want is a declared spec rather than the zero
// or bare (project and name only) spec of an import: the template is
// required.
func declared(want Spec) bool { return want.Template.SourceRepo != "" || want.Template.YAMLRepo != "" }

func sameValues(a, b map[string]string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func valuesString(v map[string]string) string {
	if len(v) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	var b strings.Builder
	b.WriteString("{")
	for i, k := range sortedKeys(keys) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, v[k])
	}
	b.WriteString("}")
	return b.String()
}

// getRepository returns repository slug, or nil when it does not exist.
func getRepository(ctx context.Context, bb bitbucket.Client, ws, slug string) (*bitbucket.Repository, error) {
	r, err := bb.GetRepository(ctx, ws, slug)
	if bitbucket.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Create makes whatever of the application is missing: see the package doc.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	want = WithDefaults(want)
	if err := Validate(want); err != nil {
		return "", err
	}
	if err := c.apply(ctx, want); err != nil {
		return "", err
	}
	return want.ID(), nil
}

// Update records on_destroy and makes whatever is missing (a repository
// deleted outside, a push cut off); the template and the initial values
// change nothing in git.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	want = WithDefaults(want)
	key, name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	if want.Project != key {
		return engine.InvalidInput("project", "cannot move application %s to project %q in place: that needs a new application", id, want.Project)
	}
	if want.Name != name {
		return engine.InvalidInput("name", "cannot rename application %s to %q in place: that needs a new application", id, want.Name)
	}
	if err := Validate(want); err != nil {
		return err
	}
	return c.apply(ctx, want)
}

// repoPart is one of the two repositories while it is made.
type repoPart struct {
	rec      *registry.ApplicationRepository
	template string
	files    map[string]string
}

func (c *Client) apply(ctx context.Context, want Spec) error {
	ws, err := c.workspace(ctx, want.Project)
	if err != nil {
		return err
	}
	bb, err := c.reg.Bitbucket()
	if err != nil {
		return err
	}
	creds, err := c.reg.BitbucketGit()
	if err != nil {
		return err
	}
	rec, err := c.reg.LookupApplication(ctx, want.Project, want.Name)
	if err != nil && !engine.IsNotFound(err) {
		return err
	}
	if rec == nil {
		rec = &registry.Application{Project: want.Project, Name: want.Name, Workspace: ws, DefaultBranch: DefaultBranch,
			Source: registry.ApplicationRepository{Slug: want.SourceSlug()}, YAML: registry.ApplicationRepository{Slug: want.YAMLSlug()}}
	}
	rec.Orphan = want.OnDestroy == OnDestroyOrphan
	parts := []*repoPart{
		{rec: &rec.Source, template: want.Template.SourceRepo},
		{rec: &rec.YAML, template: want.Template.YAMLRepo},
	}
	// Which repositories need work: not pushed yet, or deleted outside.
	var todo []*repoPart
	for _, p := range parts {
		if p.rec.InitialCommit != "" {
			r, err := getRepository(ctx, bb, rec.Workspace, p.rec.Slug)
			if err != nil {
				return err
			}
			if r != nil {
				continue
			}
			*p.rec = registry.ApplicationRepository{Slug: p.rec.Slug}
		}
		todo = append(todo, p)
	}
	if len(todo) > 0 && rec.Source.InitialCommit == "" && rec.YAML.InitialCommit == "" {
		// Nothing pushed yet: the declared template and values are what
		// the repositories are made from.
		rec.Template = registry.ApplicationTemplate{SourceRepo: want.Template.SourceRepo, YAMLRepo: want.Template.YAMLRepo, Ref: want.Template.Ref}
		rec.InitialValues = maps.Clone(want.InitialValues)
	}
	made := want
	made.Template = Template{SourceRepo: rec.Template.SourceRepo, YAMLRepo: rec.Template.YAMLRepo, Ref: rec.Template.Ref}
	made.InitialValues = rec.InitialValues
	// Read and fill every template before any repository is made, so that a
	// bad template or a missing value makes nothing.
	for _, p := range todo {
		if p == parts[0] {
			p.template = made.Template.SourceRepo
		} else {
			p.template = made.Template.YAMLRepo
		}
		repo := git.Repository{URL: p.template}
		if creds.For(p.template) {
			repo.Username, repo.Password = creds.Username, creds.Password
		}
		snap, err := git.ReadTree(ctx, repo, made.Template.Ref)
		if err != nil {
			return templateError(p, err)
		}
		if len(snap.Files) == 0 {
			return engine.InvalidInput(templatePath(p, parts), "template repository %s has no files at %q", p.template, made.Template.Ref)
		}
		if p.files, err = Render(made, snap.Files); err != nil {
			return engine.InvalidInput(templatePath(p, parts), "template repository %s at %q: %v", p.template, made.Template.Ref, err)
		}
	}
	if err := c.reg.RegisterApplication(ctx, *rec); err != nil {
		return err
	}
	for _, p := range todo {
		r, _, err := bitbucket.CreateOrGetRepository(ctx, bb, rec.Workspace, p.rec.Slug, bitbucket.RepositoryInput{
			ProjectKey: want.Project, Name: p.rec.Slug, IsPrivate: true,
			Description: fmt.Sprintf("Application %s of project %s, made by terraform-provider-mc", want.Name, want.Project),
		})
		if err != nil {
			return fmt.Errorf("cannot create repository %q: %w", p.rec.Slug, err)
		}
		p.rec.UUID, p.rec.CloneURL = r.UUID, r.CloneURL("https")
		if p.rec.CloneURL == "" {
			return fmt.Errorf("repository %q has no https clone link", p.rec.Slug)
		}
		if err := c.reg.RegisterApplication(ctx, *rec); err != nil {
			return err
		}
		target := git.Repository{URL: p.rec.CloneURL, Username: creds.Username, Password: creds.Password}
		root, found, err := git.FirstCommit(ctx, target, rec.DefaultBranch)
		if err != nil {
			return err
		}
		switch {
		case found && strings.Contains(root.Message, trailer(want.ID())):
			p.rec.InitialCommit = root.SHA // pushed before, the answer lost
		case found:
			return engine.Terminal("repository %q already holds commits on %q that were not made for application %s: "+
				"delete it, or choose another name", p.rec.Slug, rec.DefaultBranch, want.ID())
		default:
			msg := fmt.Sprintf("Create %s from template %s at %s\n\n%s\n", p.rec.Slug, p.template, made.Template.Ref, trailer(want.ID()))
			res, err := gitops.Shared().Committer().Commit(ctx, target, rec.DefaultBranch, git.Change{Files: p.files, Message: msg})
			if err != nil {
				return fmt.Errorf("cannot push the first commit of repository %q: %w", p.rec.Slug, err)
			}
			p.rec.InitialCommit = res.SHA
		}
		if err := c.reg.RegisterApplication(ctx, *rec); err != nil {
			return err
		}
	}
	return c.reg.RegisterApplication(ctx, *rec)
}

func templatePath(p *repoPart, parts []*repoPart) string {
	if p == parts[0] {
		return "template.source_repo"
	}
	return "template.yaml_repo"
}

// templateError names the template in a read error; a missing ref or
// repository is invalid input.
func templateError(p *repoPart, err error) error {
	if errors.Is(err, git.ErrBranchNotFound) || errors.Is(err, git.ErrRepositoryNotFound) {
		return engine.InvalidInput("template", "cannot read template repository %s: %v", p.template, err)
	}
	return fmt.Errorf("cannot read template repository %s: %w", p.template, err)
}

// Delete deletes both repositories and then the record; with on_destroy =
// orphan only the record. Deleting what is gone succeeds.
func (c *Client) Delete(ctx context.Context, id string) error {
	key, name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	rec, err := c.reg.LookupApplication(ctx, key, name)
	if err != nil && !engine.IsNotFound(err) {
		return err
	}
	if rec != nil && rec.Orphan {
		return c.reg.UnregisterApplication(ctx, key, name)
	}
	ws := ""
	if rec != nil {
		ws = rec.Workspace
	} else if ws, err = c.workspace(ctx, key); err != nil {
		return err
	}
	bb, err := c.reg.Bitbucket()
	if err != nil {
		return err
	}
	spec := Spec{Project: key, Name: name}
	for _, slug := range []string{spec.YAMLSlug(), spec.SourceSlug()} {
		if err := bb.DeleteRepository(ctx, ws, slug); err != nil && !bitbucket.IsNotFound(err) {
			return fmt.Errorf("cannot delete repository %q: %w", slug, err)
		}
	}
	return c.reg.UnregisterApplication(ctx, key, name)
}
