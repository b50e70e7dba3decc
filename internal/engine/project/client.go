package project

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Condition types, one per part.
const (
	ConditionBitbucket = "BitbucketReady"
	ConditionJira      = "JiraReady"
	ConditionHarbor    = "HarborReady"
	ConditionArgoCD    = "ArgoCDReady"
)

// Client implements engine.Client for projects.
type Client struct {
	reg *registry.Registry
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a client that reaches Bitbucket and Jira through the
// registry's services, and sites (their Harbor and Argo CD) through its
// site records.
func New(reg *registry.Registry) *Client { return &Client{reg: reg} }

// parseID checks a project id, which is its key.
func parseID(id string) (string, error) {
	if err := ValidateKey(id); err != nil {
		return "", engine.InvalidInput("id", "%v", err)
	}
	return id, nil
}

// declared is the spec whose blocks say which parts to look for: want when
// it names the project, else the project record (an import, a delete). ok
// is false when neither says anything: no record, nothing wanted.
func declared(key string, want Spec, rec *registry.Project) (Spec, bool) {
	if want.Key != "" {
		return WithDefaults(want), true
	}
	if rec == nil {
		return Spec{}, false
	}
	return specOfRecord(rec), true
}

// withHarborSite fills in want's Harbor site when it names none: the site
// the record holds the Harbor project at, else the hub site's.
func (c *Client) withHarborSite(ctx context.Context, want Spec, rec *registry.Project) (Spec, error) {
	if want.Harbor == nil || want.Harbor.Site != "" {
		return want, nil
	}
	h := *want.Harbor
	if rec != nil && rec.Harbor != nil {
		h.Site = rec.Harbor.Site
	} else {
		hub, err := c.reg.Hub(ctx)
		if err != nil {
			return want, err
		}
		h.Site = hub.Spec.Name
	}
	want.Harbor = &h
	return want, nil
}

// specOfRecord is the spec a record declares.
func specOfRecord(rec *registry.Project) Spec {
	s := Spec{Key: rec.Key, Name: rec.Name, Description: rec.Description, OnDestroy: OnDestroyDelete}
	if rec.Orphan {
		s.OnDestroy = OnDestroyOrphan
	}
	if b := rec.Bitbucket; b != nil {
		s.Bitbucket = &Bitbucket{Workspace: b.Workspace}
	}
	if j := rec.Jira; j != nil {
		s.Jira = &Jira{Template: j.Template, DeletePermanently: j.DeletePermanently}
	}
	if h := rec.Harbor; h != nil {
		s.Harbor = &Harbor{Site: h.Site, ForceDestroy: h.ForceDestroy}
	}
	if a := rec.ArgoCD; a != nil {
		s.ArgoCD = &ArgoCD{Sites: slices.Clone(a.Sites)}
	}
	return s
}

// lookupRecord reads the project record; nil when there is none.
func (c *Client) lookupRecord(ctx context.Context, key string) (*registry.Project, error) {
	rec, err := c.reg.LookupProject(ctx, key)
	if engine.IsNotFound(err) {
		return nil, nil
	}
	return rec, err
}

// Observe reads every declared part by the project's key. The project
// exists while its record or any of its parts does; it is ready when every
// declared part exists, and up to date when each matches want.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	key, err := parseID(id)
	if err != nil {
		return obs, err
	}
	rec, err := c.lookupRecord(ctx, key)
	if err != nil {
		return obs, err
	}
	if want.Key != "" {
		if want, err = c.withHarborSite(ctx, want, rec); err != nil {
			return obs, err
		}
	}
	decl, ok := declared(key, want, rec)
	if !ok {
		return obs, nil
	}
	// The delete choices and the template live in the record; without one
	// (an Observe-only adoption) they are what is wanted.
	opts := decl
	if rec != nil {
		opts = specOfRecord(rec)
	}
	actual := Spec{Key: key, Name: decl.Name, Description: decl.Description, OnDestroy: opts.OnDestroy}
	if rec != nil {
		actual.Name, actual.Description = rec.Name, rec.Description
	}
	var (
		status  Status
		missing []string
		drift   []string
	)
	exists := rec != nil
	named := false // whether a part has reported the name
	setName := func(name, description string) {
		if !named {
			actual.Name, actual.Description, named = name, description, true
		}
	}
	condition := func(typ string, found bool, partDrift []string, what string) {
		cond := Condition{Type: typ, Status: "True", Reason: "Available", Message: what + " exists"}
		switch {
		case !found:
			cond = Condition{Type: typ, Status: "False", Reason: "Missing", Message: what + " does not exist"}
			missing = append(missing, what)
		case len(partDrift) > 0:
			cond = Condition{Type: typ, Status: "False", Reason: "Drifted", Message: fmt.Sprintf("%s differs: %v", what, partDrift)}
			drift = append(drift, partDrift...)
		}
		status.Conditions = append(status.Conditions, cond)
	}

	if decl.Bitbucket != nil {
		p, err := c.observeBitbucket(ctx, key, decl.Bitbucket.Workspace)
		if err != nil {
			return obs, err
		}
		var d []string
		if p != nil {
			exists = true
			actual.Bitbucket = &Bitbucket{Workspace: decl.Bitbucket.Workspace, Private: p.IsPrivate}
			status.BitbucketUUID = p.UUID
			setName(p.Name, p.Description)
			d = bitbucketDrift(want, p)
		}
		condition(ConditionBitbucket, p != nil, d, "the Bitbucket project")
	}
	if decl.Jira != nil {
		p, err := c.observeJira(ctx, key)
		if err != nil {
			return obs, err
		}
		var d []string
		if p != nil {
			exists = true
			actual.Jira = &Jira{LeadAccountID: p.LeadAccountID(), Type: p.ProjectTypeKey, Template: opts.jiraTemplate(), DeletePermanently: opts.jiraPermanent()}
			status.JiraID = p.ID
			setName(p.Name, p.Description)
			d = jiraDrift(want, p)
		}
		condition(ConditionJira, p != nil, d, "the Jira project")
	}
	if decl.Harbor != nil {
		p, err := c.observeHarbor(ctx, decl.Harbor.Site, LowerKey(key))
		if err != nil {
			return obs, err
		}
		var d []string
		if p != nil {
			exists = true
			actual.Harbor = &Harbor{Site: decl.Harbor.Site, Public: p.Public(), ForceDestroy: opts.harborForce()}
			status.HarborProjectID, status.HarborProject = p.ProjectID, p.Name
			if want.Harbor != nil && want.Harbor.Public != p.Public() {
				d = append(d, "harbor.public")
			}
		}
		condition(ConditionHarbor, p != nil, d, "the Harbor project")
	}
	if decl.ArgoCD != nil {
		found, d, err := c.observeArgoCD(ctx, decl, want.Key != "")
		if err != nil {
			return obs, err
		}
		if len(found) > 0 {
			exists = true
			status.AppProjects = map[string]string{}
			for _, site := range found {
				status.AppProjects[site] = LowerKey(key)
			}
			actual.ArgoCD = &ArgoCD{Sites: found}
		}
		what := "the AppProjects"
		if lost := slices.DeleteFunc(slices.Clone(decl.ArgoCD.Sites), func(s string) bool { return slices.Contains(found, s) }); len(lost) > 0 && len(found) > 0 {
			what = fmt.Sprintf("the AppProject at %v", lost)
			condition(ConditionArgoCD, false, nil, what)
		} else {
			condition(ConditionArgoCD, len(found) > 0, d, what)
		}
	}
	if !exists {
		return obs, nil
	}
	obs.Exists, obs.Actual, obs.Status = true, actual, status
	obs.Ready = len(missing) == 0
	obs.UpToDate = obs.Ready && len(drift) == 0 && (want.Key == "" || recordMatches(rec, WithDefaults(want)))
	switch {
	case len(missing) > 0:
		obs.Message = fmt.Sprintf("missing: %v", missing)
	case len(drift) > 0:
		obs.Message = fmt.Sprintf("differs: %v", drift)
	case !obs.UpToDate:
		obs.Message = "the project record differs"
	default:
		obs.Message = "every part exists"
	}
	return obs, nil
}

func (s Spec) jiraTemplate() string {
	if s.Jira == nil {
		return ""
	}
	return s.Jira.Template
}

func (s Spec) jiraPermanent() bool { return s.Jira != nil && s.Jira.DeletePermanently }

func (s Spec) harborForce() bool { return s.Harbor != nil && s.Harbor.ForceDestroy }

// recordOf is the record of want, keeping the ids rec (the record as it
// stands, or nil) holds for the parts want keeps.
func recordOf(want Spec, rec *registry.Project) registry.Project {
	out := registry.Project{Key: want.Key, Name: want.Name, Description: want.Description, Orphan: want.OnDestroy == OnDestroyOrphan}
	if rec == nil {
		rec = &registry.Project{}
	}
	if b := want.Bitbucket; b != nil {
		out.Bitbucket = &registry.ProjectBitbucket{Workspace: b.Workspace}
		if rec.Bitbucket != nil && rec.Bitbucket.Workspace == b.Workspace {
			out.Bitbucket.UUID = rec.Bitbucket.UUID
		}
	}
	if j := want.Jira; j != nil {
		out.Jira = &registry.ProjectJira{Template: j.Template, DeletePermanently: j.DeletePermanently}
		if rec.Jira != nil {
			out.Jira.ID = rec.Jira.ID
			if rec.Jira.ID != "" {
				out.Jira.Template = rec.Jira.Template // the template the project was made from
			}
		}
	}
	if h := want.Harbor; h != nil {
		out.Harbor = &registry.ProjectHarbor{Site: h.Site, Name: LowerKey(want.Key), ForceDestroy: h.ForceDestroy}
		if rec.Harbor != nil && rec.Harbor.Site == h.Site {
			out.Harbor.ID = rec.Harbor.ID
		}
	}
	if a := want.ArgoCD; a != nil {
		out.ArgoCD = &registry.ProjectArgoCD{Sites: slices.Clone(a.Sites), AppProject: LowerKey(want.Key)}
		if rec.ArgoCD != nil {
			for _, s := range rec.ArgoCD.Made {
				if slices.Contains(a.Sites, s) {
					out.ArgoCD.Made = append(out.ArgoCD.Made, s)
				}
			}
		}
	}
	return out
}

// recordMatches reports whether rec declares what want does.
func recordMatches(rec *registry.Project, want Spec) bool {
	if rec == nil {
		return false
	}
	r := recordOf(want, rec)
	return recordEqual(r, *rec)
}

func recordEqual(a, b registry.Project) bool { return reflect.DeepEqual(a, b) }

// Create makes every declared part that does not exist yet, in order
// (Bitbucket, Jira, Harbor, Argo CD), adopting the parts that do, and
// records each part's id as soon as it is made.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	want = WithDefaults(want)
	if err := Validate(want); err != nil {
		return "", err
	}
	rec, err := c.lookupRecord(ctx, want.Key)
	if err != nil {
		return "", err
	}
	if want, err = c.withHarborSite(ctx, want, rec); err != nil {
		return "", err
	}
	if err := c.apply(ctx, want); err != nil {
		return "", err
	}
	return want.Key, nil
}

// Update brings every declared part to want, makes the missing ones,
// deletes the parts want no longer declares (as Delete would), and refuses
// the changes that need a new project.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	want = WithDefaults(want)
	key, err := parseID(id)
	if err != nil {
		return err
	}
	if want.Key != key {
		return engine.InvalidInput("key", "cannot change project %q's key to %q in place: that needs a new project", key, want.Key)
	}
	if err := Validate(want); err != nil {
		return err
	}
	rec, err := c.lookupRecord(ctx, key)
	if err != nil {
		return err
	}
	if want, err = c.withHarborSite(ctx, want, rec); err != nil {
		return err
	}
	if err := c.refuseImmutableChanges(ctx, rec, want); err != nil {
		return err
	}
	return c.apply(ctx, want)
}

// refuseImmutableChanges refuses a change of what needs a new project: the
// Bitbucket workspace, the Harbor site, and Jira's type (compared with the
// record and with the Jira project as it stands).
func (c *Client) refuseImmutableChanges(ctx context.Context, rec *registry.Project, want Spec) error {
	refuse := func(path, from, to string) error {
		return engine.InvalidInput(path, "cannot change project %q's %s from %q to %q in place: that needs a new project", want.Key, path, from, to)
	}
	if rec != nil {
		if rec.Bitbucket != nil && want.Bitbucket != nil && rec.Bitbucket.Workspace != want.Bitbucket.Workspace {
			return refuse("bitbucket.workspace", rec.Bitbucket.Workspace, want.Bitbucket.Workspace)
		}
		if rec.Harbor != nil && want.Harbor != nil && rec.Harbor.Site != want.Harbor.Site {
			return refuse("harbor.site", rec.Harbor.Site, want.Harbor.Site)
		}
		if rec.Jira != nil && rec.Jira.ID != "" && want.Jira != nil && rec.Jira.Template != want.Jira.Template {
			return refuse("jira.template", rec.Jira.Template, want.Jira.Template)
		}
	}
	if want.Jira != nil {
		p, err := c.observeJira(ctx, want.Key)
		if err != nil {
			return err
		}
		if p != nil && p.ProjectTypeKey != "" && p.ProjectTypeKey != want.Jira.Type {
			return refuse("jira.type", p.ProjectTypeKey, want.Jira.Type)
		}
	}
	return nil
}

// apply is Create and Update: it records want, removes the parts the
// record declares and want does not, then makes or updates each part in
// order, recording ids as they come.
func (c *Client) apply(ctx context.Context, want Spec) error {
	rec, err := c.lookupRecord(ctx, want.Key)
	if err != nil {
		return err
	}
	if rec != nil {
		if err := c.removeUndeclared(ctx, rec, want); err != nil {
			return err
		}
	}
	next := recordOf(want, rec)
	if err := c.reg.RegisterProject(ctx, next); err != nil {
		return err
	}
	record := func() error { return c.reg.RegisterProject(ctx, next) }
	if want.Bitbucket != nil {
		uuid, err := c.applyBitbucket(ctx, want)
		if err != nil {
			return err
		}
		if next.Bitbucket.UUID != uuid {
			next.Bitbucket.UUID = uuid
			if err := record(); err != nil {
				return err
			}
		}
	}
	if want.Jira != nil {
		id, err := c.applyJira(ctx, want)
		if err != nil {
			return err
		}
		if next.Jira.ID != id {
			next.Jira.ID = id
			if err := record(); err != nil {
				return err
			}
		}
	}
	if want.Harbor != nil {
		id, err := c.applyHarbor(ctx, want)
		if err != nil {
			return err
		}
		if next.Harbor.ID != id {
			next.Harbor.ID = id
			if err := record(); err != nil {
				return err
			}
		}
	}
	if want.ArgoCD != nil {
		for _, site := range want.ArgoCD.Sites {
			if err := c.applyAppProject(ctx, want, site); err != nil {
				return err
			}
			if !slices.Contains(next.ArgoCD.Made, site) {
				next.ArgoCD.Made = append(next.ArgoCD.Made, site)
				slices.Sort(next.ArgoCD.Made)
				if err := record(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// removeUndeclared deletes the parts rec declares and want does not, by
// rec's delete choices, unless rec orphans its parts.
func (c *Client) removeUndeclared(ctx context.Context, rec *registry.Project, want Spec) error {
	gone := registry.Project{Key: rec.Key}
	if rec.ArgoCD != nil {
		var sites []string
		for _, s := range rec.ArgoCD.Sites {
			if want.ArgoCD == nil || !slices.Contains(want.ArgoCD.Sites, s) {
				shared, err := c.sharesArgoCD(ctx, s, want)
				if err != nil {
					return err
				}
				if !shared { // a kept site's AppProject is the same object
					sites = append(sites, s)
				}
			}
		}
		if len(sites) > 0 {
			gone.ArgoCD = &registry.ProjectArgoCD{Sites: sites, AppProject: rec.ArgoCD.AppProject}
		}
	}
	if rec.Harbor != nil && want.Harbor == nil {
		gone.Harbor = rec.Harbor
	}
	if rec.Jira != nil && want.Jira == nil {
		gone.Jira = rec.Jira
	}
	if rec.Bitbucket != nil && want.Bitbucket == nil {
		gone.Bitbucket = rec.Bitbucket
	}
	if rec.Orphan {
		return nil
	}
	return c.deleteParts(ctx, gone)
}

// Delete deletes every part the project record declares, in the reverse
// order of their making (the AppProjects, the Harbor project, the Jira
// project to Jira's trash unless it is to be deleted permanently, the
// Bitbucket project), then the record. With on_destroy = orphan only the
// record is deleted. Without a record there is nothing to delete.
func (c *Client) Delete(ctx context.Context, id string) error {
	key, err := parseID(id)
	if err != nil {
		return err
	}
	rec, err := c.lookupRecord(ctx, key)
	if err != nil || rec == nil {
		return err
	}
	if !rec.Orphan {
		if err := c.deleteParts(ctx, *rec); err != nil {
			return err
		}
	}
	return c.reg.UnregisterProject(ctx, key)
}

// deleteParts deletes the parts p declares; deleting what is gone succeeds.
func (c *Client) deleteParts(ctx context.Context, p registry.Project) error {
	var errs []error
	if a := p.ArgoCD; a != nil {
		for _, site := range a.Sites {
			if err := c.deleteAppProject(ctx, site, LowerKey(p.Key)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if h := p.Harbor; h != nil {
		if err := c.deleteHarbor(ctx, h.Site, LowerKey(p.Key), h.ForceDestroy); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// The Jira and Bitbucket projects go last: the next round retries.
		return err
	}
	if j := p.Jira; j != nil {
		if err := c.deleteJira(ctx, p.Key, j.DeletePermanently); err != nil {
			return err
		}
	}
	if b := p.Bitbucket; b != nil {
		if err := c.deleteBitbucket(ctx, b.Workspace, p.Key); err != nil {
			return err
		}
	}
	return nil
}
