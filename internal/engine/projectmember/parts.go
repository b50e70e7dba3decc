package projectmember

import "context"

// Project is what a member needs of its project's record: which systems
// the project has a part in, and where.
type Project struct {
	// Key is the project's key, also its Jira project key.
	Key string
	// Bitbucket is the project's Bitbucket project; nil when it has none.
	Bitbucket *BitbucketProject
	// Jira reports whether the project has a Jira project (keyed Key).
	Jira bool
	// Harbor is the project's Harbor project; nil when it has none.
	Harbor *HarborProject
	// ArgoCD are the project's AppProjects, one per Argo CD site.
	ArgoCD []AppProject
}

// BitbucketProject is a project's part in Bitbucket Cloud.
type BitbucketProject struct {
	// Workspace is the Bitbucket workspace; the project's key there is
	// the project's key.
	Workspace string
}

// HarborProject is a project's part in a site's Harbor.
type HarborProject struct {
	// Site is the site whose Harbor holds the project.
	Site string
	// Project is the Harbor project's name.
	Project string
}

// AppProject is a project's Argo CD AppProject at one site.
type AppProject struct {
	// Site is the site whose Argo CD holds the AppProject.
	Site string
	// Name is the AppProject's name.
	Name string
}

// part is one system's side of a member: its grant in Bitbucket, in Jira,
// in Harbor or in the AppProject of one Argo CD site. A part speaks its
// system's own words for roles (see native).
type part interface {
	// key names the part, as in Status.Grants: "bitbucket", "jira",
	// "harbor" or "argocd/<site>".
	key() string
	// check verifies, without changing anything, that the project's side
	// and the member exist in the system. An unknown member is an
	// *engine.InvalidInputError that names the system and the member.
	check(ctx context.Context) error
	// get returns the member's grant in the system's words; "" when the
	// member has none.
	get(ctx context.Context) (string, error)
	// set gives the member the grant word, replacing any other grant of
	// the member that the role table maps.
	set(ctx context.Context, word string) error
	// revoke removes the member's grant; removing what is not there
	// succeeds.
	revoke(ctx context.Context) error
}
