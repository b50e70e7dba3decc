package bitbucket

import "time"

// Link is one link of an object's links: a target and, in lists such as a
// repository's clone links, a name ("https", "ssh").
type Link struct {
	Href string `json:"href,omitempty"`
	Name string `json:"name,omitempty"`
}

// Workspace is a Bitbucket Cloud workspace.
type Workspace struct {
	UUID      string `json:"uuid,omitempty"`
	Slug      string `json:"slug,omitempty"`
	Name      string `json:"name,omitempty"`
	IsPrivate bool   `json:"is_private"`
	Links     struct {
		HTML Link `json:"html"`
	} `json:"links"`
}

// User is an Atlassian account as Bitbucket shows it. AccountID is the
// Atlassian account id that Jira Cloud uses too.
type User struct {
	AccountID     string `json:"account_id,omitempty"`
	UUID          string `json:"uuid,omitempty"`
	DisplayName   string `json:"display_name,omitempty"`
	Nickname      string `json:"nickname,omitempty"`
	AccountStatus string `json:"account_status,omitempty"`
}

// Group is a workspace group. Slug is what the permission paths take.
type Group struct {
	Name     string `json:"name,omitempty"`
	Slug     string `json:"slug,omitempty"`
	FullSlug string `json:"full_slug,omitempty"`
}

// Project is a Bitbucket Cloud project, the container of repositories.
type Project struct {
	// UUID is the project's immutable id, in braces: "{…}".
	UUID        string    `json:"uuid,omitempty"`
	Key         string    `json:"key,omitempty"`
	Name        string    `json:"name,omitempty"`
	Description string    `json:"description,omitempty"`
	IsPrivate   bool      `json:"is_private"`
	CreatedOn   time.Time `json:"created_on,omitzero"`
	UpdatedOn   time.Time `json:"updated_on,omitzero"`
	Links       struct {
		HTML Link `json:"html"`
	} `json:"links"`
}

// ProjectInput is the body of a project create or update. Key is required
// on create; on update a different Key renames the project's key.
type ProjectInput struct {
	Key         string `json:"key,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	IsPrivate   bool   `json:"is_private"`
}

// Permission is a project or repository permission level.
type Permission string

// The permission levels. PermissionCreateRepo exists on projects only;
// PermissionNone is only ever read (an implicit or removed grant), never
// written.
const (
	PermissionAdmin      Permission = "admin"
	PermissionCreateRepo Permission = "create-repo"
	PermissionWrite      Permission = "write"
	PermissionRead       Permission = "read"
	PermissionNone       Permission = "none"
)

// Valid reports whether p may be written to a project permission.
func (p Permission) Valid() bool {
	switch p {
	case PermissionAdmin, PermissionCreateRepo, PermissionWrite, PermissionRead:
		return true
	}
	return false
}

// UserPermission is one user's explicit permission on a project.
type UserPermission struct {
	Permission Permission `json:"permission"`
	User       User       `json:"user"`
}

// GroupPermission is one group's permission on a project.
type GroupPermission struct {
	Permission Permission `json:"permission"`
	Group      Group      `json:"group"`
}

// Repository is a Bitbucket Cloud repository.
type Repository struct {
	// UUID is the repository's immutable id, in braces.
	UUID        string `json:"uuid,omitempty"`
	Slug        string `json:"slug,omitempty"`
	Name        string `json:"name,omitempty"`
	FullName    string `json:"full_name,omitempty"`
	Description string `json:"description,omitempty"`
	SCM         string `json:"scm,omitempty"`
	IsPrivate   bool   `json:"is_private"`
	ForkPolicy  string `json:"fork_policy,omitempty"`
	Project     struct {
		Key  string `json:"key,omitempty"`
		UUID string `json:"uuid,omitempty"`
		Name string `json:"name,omitempty"`
	} `json:"project"`
	MainBranch *struct {
		Name string `json:"name"`
	} `json:"mainbranch,omitempty"`
	CreatedOn time.Time `json:"created_on,omitzero"`
	UpdatedOn time.Time `json:"updated_on,omitzero"`
	Links     struct {
		HTML  Link   `json:"html"`
		Clone []Link `json:"clone"`
	} `json:"links"`
}

// CloneURL returns the clone link with this name ("https" or "ssh"), or "".
func (r *Repository) CloneURL(name string) string {
	for _, l := range r.Links.Clone {
		if l.Name == name {
			return l.Href
		}
	}
	return ""
}

// RepositoryInput is the body of a repository create.
type RepositoryInput struct {
	// ProjectKey is the key of the project the repository goes into.
	ProjectKey  string
	Name        string
	Description string
	IsPrivate   bool
	// ForkPolicy is allow_forks, no_public_forks or no_forks; empty leaves
	// Bitbucket's default.
	ForkPolicy string
}

// page is one page of a paginated Bitbucket collection.
type page[T any] struct {
	Size    int    `json:"size"`
	Page    int    `json:"page"`
	PageLen int    `json:"pagelen"`
	Next    string `json:"next"`
	Values  []T    `json:"values"`
}
