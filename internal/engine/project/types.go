// Package project implements the engine client for projects: one team's
// project across the platform plane's systems, each part turned on by its
// block of the spec:
//
//   - a Bitbucket Cloud project in a workspace;
//   - a Jira Cloud project;
//   - a Harbor project in a site's Harbor;
//   - an Argo CD AppProject at each of a list of sites, limited to the
//     project's Bitbucket repositories and the clusters registered at the
//     site, with the roles admin, developer and viewer.
//
// The project's key (Jira's key rule) is its id and the key of every part:
// the Bitbucket and Jira project keys, and in lower case the Harbor project's
// and the AppProjects' names. Parts are made in that order (Bitbucket, Jira,
// Harbor, Argo CD), each found by its key first and adopted when it exists,
// so a create that failed half-way (say Jira down after Bitbucket answered)
// never makes a second Bitbucket project: the next create or update makes
// only the missing parts.
//
// Beside the parts the client keeps the project record in the registry
// namespace (registry.Project): the declared parts, their ids as soon as
// each is made, and the delete choices (Jira's trash or a permanent delete,
// Harbor's force_destroy, orphan). Delete and an import read it; other kinds
// (project members, applications) find the project through it.
package project

import (
	"slices"
	"strings"
)

// Values of Spec.OnDestroy.
const (
	// OnDestroyDelete deletes every part (the default).
	OnDestroyDelete = "delete"
	// OnDestroyOrphan leaves every part in place and only forgets the record.
	OnDestroyOrphan = "orphan"
)

// Jira project types.
const (
	JiraTypeSoftware    = "software"
	JiraTypeBusiness    = "business"
	JiraTypeServiceDesk = "service_desk"
)

// The roles of a project; each AppProject has one Argo CD role of each.
const (
	RoleAdmin     = "admin"
	RoleDeveloper = "developer"
	RoleViewer    = "viewer"
)

// Roles are the project's roles, in order.
var Roles = []string{RoleAdmin, RoleDeveloper, RoleViewer}

// Spec is the desired project, shared by both front-ends.
type Spec struct {
	// Key is the project's key: an upper-case letter, then upper-case
	// letters or digits, 2 to 10 in all. It is the id.
	Key         string
	Name        string
	Description string
	// Bitbucket turns on the Bitbucket project; nil means none.
	Bitbucket *Bitbucket
	// Jira turns on the Jira project; nil means none.
	Jira *Jira
	// Harbor turns on the Harbor project; nil means none.
	Harbor *Harbor
	// ArgoCD turns on the AppProjects; nil means none.
	ArgoCD *ArgoCD
	// OnDestroy is OnDestroyDelete or OnDestroyOrphan.
	OnDestroy string
}

// Bitbucket is the project's Bitbucket Cloud project.
type Bitbucket struct {
	// Workspace is the Bitbucket workspace's slug.
	Workspace string
	Private   bool
}

// Jira is the project's Jira Cloud project.
type Jira struct {
	// LeadAccountID is the Atlassian account id of the project lead.
	LeadAccountID string
	// Type is the project type: software (default), business or service_desk.
	Type string
	// Template is the project template key; empty lets Jira choose the
	// type's default. It is only used at create.
	Template string
	// DeletePermanently deletes the Jira project for good instead of
	// moving it to Jira's trash.
	DeletePermanently bool
}

// Harbor is the project's Harbor project.
type Harbor struct {
	// Site is the site whose Harbor holds the project; empty means the hub
	// site (registry.Hub), resolved when the project is made.
	Site   string
	Public bool
	// ForceDestroy deletes the Harbor project even when it holds
	// repositories, deleting them first.
	ForceDestroy bool
}

// ArgoCD is the project's Argo CD AppProjects.
type ArgoCD struct {
	// Sites are the sites whose Argo CD gets an AppProject.
	Sites []string
}

// Status is what the engine reports of a project.
type Status struct {
	// BitbucketUUID is the Bitbucket project's uuid; empty without one.
	BitbucketUUID string
	// JiraID is the Jira project's id; empty without one.
	JiraID string
	// HarborProjectID is the Harbor project's id; zero without one.
	HarborProjectID int64
	// HarborProject is the Harbor project's name; empty without one.
	HarborProject string
	// AppProjects are the AppProjects' names by site, for the sites where
	// the AppProject exists.
	AppProjects map[string]string
	// Conditions are one per declared part: BitbucketReady, JiraReady,
	// HarborReady, ArgoCDReady.
	Conditions []Condition
}

// Condition is one observed fact about the project.
type Condition struct {
	Type    string
	Status  string
	Reason  string
	Message string
}

// ReplaceFields are the arguments of a project whose change needs a new
// project: the key names every part; a Bitbucket project cannot move to
// another workspace nor a Harbor project to another site; and Jira's type
// and template only apply when the Jira project is made.
var ReplaceFields = []string{"key", "bitbucket.workspace", "jira.type", "jira.template", "harbor.site"}

// ID returns the project's id, its key.
func (s Spec) ID() string { return s.Key }

// LowerKey is the name of the project's Harbor project and AppProjects:
// its key in lower case.
func LowerKey(key string) string { return strings.ToLower(key) }

// WithDefaults returns s with its unset arguments at their defaults: Jira
// type software, on_destroy delete, the Argo CD sites sorted.
func WithDefaults(s Spec) Spec {
	if s.OnDestroy == "" {
		s.OnDestroy = OnDestroyDelete
	}
	if s.Jira != nil && s.Jira.Type == "" {
		j := *s.Jira
		j.Type = JiraTypeSoftware
		s.Jira = &j
	}
	if s.ArgoCD != nil {
		a := ArgoCD{Sites: slices.Clone(s.ArgoCD.Sites)}
		slices.Sort(a.Sites)
		a.Sites = slices.Compact(a.Sites)
		s.ArgoCD = &a
	}
	return s
}
