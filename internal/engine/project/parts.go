package project

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Bitbucket.

func (c *Client) observeBitbucket(ctx context.Context, key, workspace string) (*bitbucket.Project, error) {
	bb, err := c.reg.Bitbucket()
	if err != nil {
		return nil, err
	}
	p, err := bb.GetProject(ctx, workspace, key)
	if bitbucket.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get Bitbucket project %s in workspace %s: %w", key, workspace, err)
	}
	return p, nil
}

func bitbucketDrift(want Spec, p *bitbucket.Project) []string {
	if want.Bitbucket == nil {
		return nil
	}
	var d []string
	if p.Name != want.Name {
		d = append(d, "bitbucket name")
	}
	if p.Description != want.Description {
		d = append(d, "bitbucket description")
	}
	if p.IsPrivate != want.Bitbucket.Private {
		d = append(d, "bitbucket.private")
	}
	return d
}

// applyBitbucket makes the Bitbucket project or brings it to want, and
// returns its uuid. A create whose answer was lost is adopted: Bitbucket
// keeps keys unique and answers "already exists" to the retry.
func (c *Client) applyBitbucket(ctx context.Context, want Spec) (string, error) {
	ws := want.Bitbucket.Workspace
	p, err := c.observeBitbucket(ctx, want.Key, ws)
	if err != nil {
		return "", err
	}
	bb, err := c.reg.Bitbucket()
	if err != nil {
		return "", err
	}
	in := bitbucket.ProjectInput{Key: want.Key, Name: want.Name, Description: want.Description, IsPrivate: want.Bitbucket.Private}
	if p == nil {
		p, err = bb.CreateProject(ctx, ws, in)
		if bitbucket.IsAlreadyExists(err) {
			p, err = bb.GetProject(ctx, ws, want.Key)
		}
		if err != nil {
			return "", fmt.Errorf("cannot create Bitbucket project %s in workspace %s: %w", want.Key, ws, err)
		}
		return p.UUID, nil
	}
	if len(bitbucketDrift(want, p)) > 0 {
		if _, err := bb.UpdateProject(ctx, ws, want.Key, in); err != nil {
			return "", fmt.Errorf("cannot update Bitbucket project %s in workspace %s: %w", want.Key, ws, err)
		}
	}
	return p.UUID, nil
}

func (c *Client) deleteBitbucket(ctx context.Context, workspace, key string) error {
	bb, err := c.reg.Bitbucket()
	if err != nil {
		return err
	}
	if err := bb.DeleteProject(ctx, workspace, key); err != nil && !bitbucket.IsNotFound(err) {
		return fmt.Errorf("cannot delete Bitbucket project %s in workspace %s: %w", key, workspace, err)
	}
	return nil
}

// Jira.

func (c *Client) observeJira(ctx context.Context, key string) (*jira.Project, error) {
	jc, err := c.reg.Jira()
	if err != nil {
		return nil, err
	}
	p, err := jc.GetProject(ctx, key)
	if jira.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func jiraDrift(want Spec, p *jira.Project) []string {
	if want.Jira == nil {
		return nil
	}
	var d []string
	if p.Name != want.Name {
		d = append(d, "jira name")
	}
	if p.Description != want.Description {
		d = append(d, "jira description")
	}
	if p.LeadAccountID() != want.Jira.LeadAccountID {
		d = append(d, "jira.lead_account_id")
	}
	return d
}

// applyJira makes the Jira project or brings its name, description and
// lead to want, and returns its id. The client adopts a create whose
// answer was lost; a key held by another project, or by a project in
// Jira's trash, is an error that says so.
func (c *Client) applyJira(ctx context.Context, want Spec) (string, error) {
	p, err := c.observeJira(ctx, want.Key)
	if err != nil {
		return "", err
	}
	jc, err := c.reg.Jira()
	if err != nil {
		return "", err
	}
	j := want.Jira
	if p == nil {
		ids, err := jc.CreateProject(ctx, jira.CreateProject{
			Key: want.Key, Name: want.Name, Description: want.Description, LeadAccountID: j.LeadAccountID,
			ProjectTypeKey: j.Type, ProjectTemplateKey: j.Template, AssigneeType: "UNASSIGNED",
		})
		switch {
		case jira.IsProjectKeyInUse(err):
			return "", engine.InvalidInput("key", "cannot create Jira project %s: the key is taken by another Jira project, "+
				"or by a project in Jira's trash (a trashed project's key stays reserved until it is deleted permanently): %v", want.Key, err)
		case err != nil:
			return "", err
		}
		return fmt.Sprint(ids.ID), nil
	}
	if len(jiraDrift(want, p)) > 0 {
		u := jira.UpdateProject{Name: &want.Name, Description: &want.Description, LeadAccountID: &j.LeadAccountID}
		if _, err := jc.UpdateProject(ctx, want.Key, u); err != nil {
			return "", err
		}
	}
	return p.ID, nil
}

// deleteJira moves the Jira project to Jira's trash, or deletes it for good.
func (c *Client) deleteJira(ctx context.Context, key string, permanently bool) error {
	jc, err := c.reg.Jira()
	if err != nil {
		return err
	}
	if err := jc.DeleteProject(ctx, key, !permanently); err != nil && !jira.IsNotFound(err) {
		return err
	}
	return nil
}

// Harbor.

// siteHarbor returns the Harbor client of site; a site that is not
// registered or has no Harbor is a *engine.DependencyError.
func (c *Client) siteHarbor(ctx context.Context, site string) (*harbor.Client, error) {
	rec, err := c.reg.Require(ctx, site)
	if err != nil {
		return nil, err
	}
	return c.reg.Harbor(rec)
}

func (c *Client) observeHarbor(ctx context.Context, site, name string) (*harbor.Project, error) {
	hc, err := c.siteHarbor(ctx, site)
	if err != nil {
		return nil, err
	}
	p, err := hc.GetProject(ctx, name)
	// Harbor answers 403 for a project name it does not know.
	if harbor.IsNotFound(err) || harbor.IsForbidden(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get Harbor project %s at site %s: %w", name, site, err)
	}
	return p, nil
}

// applyHarbor makes the Harbor project or brings its visibility to want,
// and returns its id.
func (c *Client) applyHarbor(ctx context.Context, want Spec) (int64, error) {
	site, name := want.Harbor.Site, LowerKey(want.Key)
	p, err := c.observeHarbor(ctx, site, name)
	if err != nil {
		return 0, err
	}
	hc, err := c.siteHarbor(ctx, site)
	if err != nil {
		return 0, err
	}
	public := want.Harbor.Public
	req := harbor.ProjectReq{ProjectName: name, Metadata: map[string]string{"public": fmt.Sprint(public)}}
	if p == nil {
		id, err := hc.CreateProject(ctx, req)
		if harbor.IsConflict(err) { // made by a create whose answer was lost
			p, err = hc.GetProject(ctx, name)
			if err == nil {
				id = p.ProjectID
			}
		}
		if err != nil {
			return 0, fmt.Errorf("cannot create Harbor project %s at site %s: %w", name, site, err)
		}
		return id, nil
	}
	if p.Public() != public {
		if err := hc.UpdateProject(ctx, name, harbor.ProjectReq{Metadata: map[string]string{"public": fmt.Sprint(public)}}); err != nil {
			return 0, fmt.Errorf("cannot update Harbor project %s at site %s: %w", name, site, err)
		}
	}
	return p.ProjectID, nil
}

// deleteHarbor deletes the Harbor project. Harbor refuses (412) while the
// project holds repositories; that answer is returned as it is unless
// force is set, which deletes the repositories first.
func (c *Client) deleteHarbor(ctx context.Context, site, name string, force bool) error {
	p, err := c.observeHarbor(ctx, site, name)
	if err != nil || p == nil {
		return err
	}
	hc, err := c.siteHarbor(ctx, site)
	if err != nil {
		return err
	}
	if force {
		if err := deleteHarborRepositories(ctx, hc, name); err != nil {
			return fmt.Errorf("cannot delete Harbor project %s at site %s: %w", name, site, err)
		}
	}
	if err := hc.DeleteProject(ctx, name); err != nil && !harbor.IsNotFound(err) && !harbor.IsForbidden(err) {
		if harbor.IsPreconditionFailed(err) {
			return engine.Terminal("cannot delete Harbor project %s at site %s: %v (set harbor.force_destroy to delete its repositories with it)", name, site, err)
		}
		return fmt.Errorf("cannot delete Harbor project %s at site %s: %w", name, site, err)
	}
	return nil
}

// deleteHarborRepositories deletes every repository of the Harbor project
// name (force_destroy); one already gone counts as deleted.
func deleteHarborRepositories(ctx context.Context, hc *harbor.Client, name string) error {
	repos, err := hc.ListRepositories(ctx, name)
	if err != nil {
		return err
	}
	for _, r := range repos {
		if err := hc.DeleteRepository(ctx, name, strings.TrimPrefix(r.Name, name+"/")); err != nil && !harbor.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// Argo CD.

// argoSite is a site's management cluster and the namespace of its Argo CD.
type argoSite struct {
	conn      *registry.Connection
	namespace string
}

// argoCDKey identifies the Argo CD a site's record points at: its
// management cluster (empty for the platform plane's) and namespace.
func argoCDKey(rec *registry.Record, namespace string) string {
	host := ""
	if mc := rec.Spec.ManagementCluster; mc != nil {
		host = mc.Host
		if host == "" {
			host = "kubeconfig:" + mc.Context + ":" + fmt.Sprint(len(mc.Kubeconfig))
		}
	}
	return host + "|" + namespace
}

// sharesArgoCD reports whether site's Argo CD also serves one of want's
// sites. A site that is no longer registered shares nothing.
func (c *Client) sharesArgoCD(ctx context.Context, site string, want Spec) (bool, error) {
	if want.ArgoCD == nil {
		return false, nil
	}
	as, err := c.argoSite(ctx, site)
	if _, ok := engine.AsDependency(err); ok {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	with := want
	with.ArgoCD = &ArgoCD{Sites: append(slices.Clone(want.ArgoCD.Sites), site)}
	sites, err := c.sharingSites(ctx, with, site, as)
	if err != nil {
		return false, err
	}
	return len(sites) > 1, nil
}

// sharingSites are the sites of s served by the same Argo CD as site (site
// included): one AppProject serves them all, so its destinations are the
// clusters registered at any of them.
func (c *Client) sharingSites(ctx context.Context, s Spec, site string, as argoSite) ([]string, error) {
	key := argoCDKey(as.conn.Record, as.namespace)
	out := []string{site}
	for _, other := range s.ArgoCD.Sites {
		if other == site {
			continue
		}
		rec, err := c.reg.Require(ctx, other)
		if err != nil {
			return nil, err
		}
		ns := rec.Spec.ArgoCD.Namespace
		if ns == "" {
			ns = "argocd"
		}
		if argoCDKey(rec, ns) == key {
			out = append(out, other)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (c *Client) argoSite(ctx context.Context, site string) (argoSite, error) {
	conn, err := c.reg.Connect(ctx, site)
	if err != nil {
		return argoSite{}, err
	}
	ns := conn.Record.Spec.ArgoCD.Namespace
	if ns == "" {
		ns = "argocd"
	}
	return argoSite{conn: conn, namespace: ns}, nil
}

// Argo CD's cluster Secrets carry this label; the engine's cluster kind
// also labels them with the site (registry.LabelSite).
const argoSecretTypeLabel = "argocd.argoproj.io/secret-type"

// desiredAppProject is the AppProject of s at site: its source
// repositories are the clone URLs of the project's Bitbucket repositories,
// its destinations the clusters registered at the site in its Argo CD (any
// namespace), and its roles admin, developer and viewer. Sites of s that
// share one Argo CD share one AppProject, whose destinations are the
// clusters of all of them.
func (c *Client) desiredAppProject(ctx context.Context, s Spec, site string, as argoSite) (kube.AppProject, error) {
	name := LowerKey(s.Key)
	p := kube.AppProject{
		Name: name, Namespace: as.namespace,
		Labels:      map[string]string{registry.LabelProject: s.Key, registry.LabelManagedBy: registry.ManagedBy},
		Description: appProjectDescription(s),
		SourceRepos: []string{},
		Roles:       appProjectRoles(name),
	}
	if s.Bitbucket != nil {
		bb, err := c.reg.Bitbucket()
		if err != nil {
			return p, err
		}
		repos, err := bb.ListRepositories(ctx, s.Bitbucket.Workspace, s.Key)
		if err != nil && !bitbucket.IsNotFound(err) {
			return p, fmt.Errorf("cannot list the repositories of Bitbucket project %s: %w", s.Key, err)
		}
		for _, r := range repos {
			if u := r.CloneURL("https"); u != "" {
				p.SourceRepos = append(p.SourceRepos, u)
			}
		}
		slices.Sort(p.SourceRepos)
	}
	sites := []string{site}
	if s.ArgoCD != nil {
		var err error
		if sites, err = c.sharingSites(ctx, s, site, as); err != nil {
			return p, err
		}
	}
	secrets, err := as.conn.Core.CoreV1().Secrets(as.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: argoSecretTypeLabel + "=cluster," + registry.LabelSite + " in (" + strings.Join(sites, ",") + ")",
	})
	if err != nil {
		return p, fmt.Errorf("cannot list the clusters registered in the Argo CD of site %s: %s", site, as.conn.Describe(err))
	}
	p.Destinations = destinations(secrets.Items)
	return p, nil
}

func appProjectDescription(s Spec) string {
	if s.Description == "" {
		return s.Name
	}
	return s.Name + ": " + s.Description
}

// destinations are the Argo CD cluster names of the cluster Secrets, any
// namespace, sorted.
func destinations(secrets []corev1.Secret) []kube.AppProjectDestination {
	names := map[string]bool{}
	for _, s := range secrets {
		if n := string(s.Data["name"]); n != "" {
			names[n] = true
		}
	}
	out := []kube.AppProjectDestination{}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		out = append(out, kube.AppProjectDestination{Name: n, Namespace: "*"})
	}
	return out
}

// appProjectRoles are the roles of AppProject name and their policies:
// admin may do anything with the project's applications, developer may
// read, sync and run actions, viewer may read.
func appProjectRoles(name string) []kube.AppProjectRole {
	policy := func(role, resource, action string) string {
		return fmt.Sprintf("p, proj:%s:%s, %s, %s, %s/*, allow", name, role, resource, action, name)
	}
	return []kube.AppProjectRole{
		{Name: RoleAdmin, Description: "Administrators of the project", Policies: []string{
			policy(RoleAdmin, "applications", "*"), policy(RoleAdmin, "applicationsets", "*"), policy(RoleAdmin, "logs", "get"), policy(RoleAdmin, "exec", "create"),
		}},
		{Name: RoleDeveloper, Description: "Developers of the project", Policies: []string{
			policy(RoleDeveloper, "applications", "get"), policy(RoleDeveloper, "applications", "sync"), policy(RoleDeveloper, "applications", "action/*"),
			policy(RoleDeveloper, "logs", "get"),
		}},
		{Name: RoleViewer, Description: "Viewers of the project", Policies: []string{
			policy(RoleViewer, "applications", "get"), policy(RoleViewer, "logs", "get"),
		}},
	}
}

// appProjectDrift compares an AppProject with the desired one, groups of
// roles aside (members manage them).
func appProjectDrift(have, want kube.AppProject) []string {
	var d []string
	if have.Description != want.Description {
		d = append(d, "AppProject description")
	}
	if !slices.Equal(sortedCopy(have.SourceRepos), want.SourceRepos) {
		d = append(d, "AppProject source repositories")
	}
	if !slices.Equal(have.Destinations, want.Destinations) {
		d = append(d, "AppProject destinations")
	}
	for _, r := range want.Roles {
		h, ok := have.Role(r.Name)
		if !ok || !slices.Equal(h.Policies, r.Policies) || h.Description != r.Description {
			d = append(d, "AppProject role "+r.Name)
		}
	}
	return d
}

func sortedCopy(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// observeArgoCD returns the sites of decl whose AppProject exists and,
// when compare is set, how they differ from the desired AppProjects.
func (c *Client) observeArgoCD(ctx context.Context, decl Spec, compare bool) ([]string, []string, error) {
	var found, drift []string
	name := LowerKey(decl.Key)
	for _, site := range decl.ArgoCD.Sites {
		as, err := c.argoSite(ctx, site)
		if err != nil {
			return nil, nil, err
		}
		have, ok, err := kube.GetAppProject(ctx, as.conn.Dynamic, as.namespace, name)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the AppProject of site %s: %s", site, as.conn.Describe(err))
		}
		if !ok {
			continue
		}
		found = append(found, site)
		if compare {
			want, err := c.desiredAppProject(ctx, decl, site, as)
			if err != nil {
				return nil, nil, err
			}
			for _, d := range appProjectDrift(have, want) {
				drift = append(drift, d+" at site "+site)
			}
		}
	}
	return found, drift, nil
}

func (c *Client) applyAppProject(ctx context.Context, want Spec, site string) error {
	as, err := c.argoSite(ctx, site)
	if err != nil {
		return err
	}
	p, err := c.desiredAppProject(ctx, want, site, as)
	if err != nil {
		return err
	}
	if err := kube.ApplyAppProject(ctx, as.conn.Dynamic, p); err != nil {
		return fmt.Errorf("cannot apply the AppProject of site %s: %s", site, as.conn.Describe(err))
	}
	return nil
}

func (c *Client) deleteAppProject(ctx context.Context, site, name string) error {
	as, err := c.argoSite(ctx, site)
	if err != nil {
		return err
	}
	if err := kube.DeleteAppProject(ctx, as.conn.Dynamic, as.namespace, name); err != nil {
		return fmt.Errorf("cannot delete the AppProject of site %s: %s", site, as.conn.Describe(err))
	}
	return nil
}
