package projectmember

import (
	"context"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// New returns a client that finds projects (their records), sites and the
// platform's Bitbucket and Jira through the registry sites.
func New(sites *registry.Registry) *Client {
	bb := func(context.Context) (bitbucket.Client, error) { return sites.Bitbucket() }
	jc := func(context.Context) (jira.Client, error) { return sites.Jira() }
	return &Client{
		project: func(ctx context.Context, key string) (*Project, error) {
			rec, err := sites.Project(ctx, key)
			if err != nil {
				return nil, err
			}
			return ProjectOf(rec), nil
		},
		parts: func(_ context.Context, p *Project, s Spec) ([]part, error) {
			return partsOf(sites, bb, jc, p, s), nil
		},
	}
}

// ProjectOf is what a member needs of a project record.
func ProjectOf(rec *registry.Project) *Project {
	p := &Project{Key: rec.Key, Jira: rec.Jira != nil}
	if rec.Bitbucket != nil {
		p.Bitbucket = &BitbucketProject{Workspace: rec.Bitbucket.Workspace}
	}
	if rec.Harbor != nil {
		p.Harbor = &HarborProject{Site: rec.Harbor.Site, Project: rec.Harbor.Name}
	}
	if rec.ArgoCD != nil {
		for _, site := range rec.ArgoCD.Sites {
			p.ArgoCD = append(p.ArgoCD, AppProject{Site: site, Name: rec.ArgoCD.AppProject})
		}
	}
	return p
}

// partsOf returns the parts of member s of project p, in the order they
// are granted: Harbor first, since Harbor's users cannot be looked up
// beforehand (an unknown one then fails before anything is granted), then
// Jira, Bitbucket and the AppProject of each Argo CD site, which takes
// groups only.
func partsOf(sites *registry.Registry, bb func(context.Context) (bitbucket.Client, error), jc func(context.Context) (jira.Client, error), p *Project, s Spec) []part {
	var parts []part
	if p.Harbor != nil && (s.HarborUser != "" || s.HarborGroup != "") {
		parts = append(parts, &harborPart{sites: sites, site: p.Harbor.Site, project: p.Harbor.Project, user: s.HarborUser, group: s.HarborGroup})
	}
	if p.Jira {
		parts = append(parts, &jiraPart{client: jc, project: p.Key, member: s.Member()})
	}
	if p.Bitbucket != nil {
		parts = append(parts, &bitbucketPart{client: bb, workspace: p.Bitbucket.Workspace, project: p.Key, member: s.Member()})
	}
	if s.Member().IsGroup() {
		for _, ap := range p.ArgoCD {
			parts = append(parts, &argoCDPart{sites: sites, site: ap.Site, appProject: ap.Name, group: s.Group})
		}
	}
	return parts
}
