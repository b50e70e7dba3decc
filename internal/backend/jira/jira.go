// Package jira is a small typed client for the part of Jira's REST API that
// the provider uses: projects (create, read, update, move to the trash,
// restore, delete), project roles and their actors, users and groups.
//
// Client is the interface the engine programs against; NewCloud returns the
// Jira Cloud implementation (REST v3, <site>/rest/api/3, basic auth with an
// Atlassian account's email and API token). A Jira Data Center backend is a
// second implementation of the same interface.
//
// The Cloud client is built on the retrying client of
// internal/backend/httpclient (429 and 5xx retried with backoff, Retry-After
// honoured), follows Jira's offset pagination (startAt, maxResults, total,
// isLast, values), surfaces Jira's error body {"errorMessages":[],"errors":{}}
// as *Error, and never puts the API token into errors or logs.
//
// Writes are safe to retry: a create whose answer was lost is recognised on
// the retry and the project adopted (see Client.CreateProject), and role
// actor changes read the role back before they fail (see AddRoleActors and
// RemoveRoleActor).
package jira

import (
	"context"
	"net/http"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
)

// Client is what the engine needs from a Jira site. Every call takes a
// context; the errors wrap *Error for answers of the site (see IsNotFound).
type Client interface {
	// Myself returns the user behind the credentials; it is the way to check
	// them (401 when they are wrong).
	Myself(ctx context.Context) (*User, error)

	// GetProject returns a live project by key or id. Projects in the trash
	// are not found (404); find them with SearchProjects and
	// ProjectStatusDeleted.
	GetProject(ctx context.Context, keyOrID string) (*Project, error)
	// SearchProjects lists the projects that match s, all pages.
	SearchProjects(ctx context.Context, s ProjectSearch) ([]Project, error)
	// CreateProject creates a project. When an earlier attempt went through
	// and only its answer was lost, Jira refuses the retry because the key is
	// in use; the client then reads the project with that key and returns it
	// if it is the one asked for (same name, type and lead). Any other
	// project with the key is an error for which IsProjectKeyInUse holds.
	CreateProject(ctx context.Context, p CreateProject) (*ProjectIdentifiers, error)
	// UpdateProject changes the fields set in u and returns the project.
	UpdateProject(ctx context.Context, keyOrID string, u UpdateProject) (*Project, error)
	// DeleteProject deletes a project: with enableUndo it moves it to the
	// trash (its key stays reserved until the trash is emptied, 60 days on
	// Jira Cloud), without it deletes it for good, which also works for a
	// project already in the trash. A project that is not there (or whose
	// earlier delete went through with its answer lost) is a 404 error
	// (IsNotFound), which callers deleting treat as done.
	DeleteProject(ctx context.Context, keyOrID string, enableUndo bool) error
	// RestoreProject brings a project back from the trash (or the archive);
	// restoring a live project returns it.
	RestoreProject(ctx context.Context, keyOrID string) (*Project, error)

	// ListProjectRoles returns the project's roles, name to id. Role ids
	// differ from site to site; resolve roles by name.
	ListProjectRoles(ctx context.Context, keyOrID string) (map[string]int64, error)
	// GetProjectRole returns a role with its actors in the project.
	GetProjectRole(ctx context.Context, keyOrID string, roleID int64) (*ProjectRole, error)
	// AddRoleActors adds users (account ids) and groups to a role in the
	// project and returns the role with all its actors. Actors already in
	// the role are not sent again, so the call is idempotent. An unknown
	// user or group is a 404 error naming it, and nothing is added.
	AddRoleActors(ctx context.Context, keyOrID string, roleID int64, a RoleActors) (*ProjectRole, error)
	// RemoveRoleActor removes one user or group from a role in the project.
	// An actor that is not in the role is already removed: no error.
	RemoveRoleActor(ctx context.Context, keyOrID string, roleID int64, a Actor) error

	// GetUser returns the user with this Atlassian account id (404 when
	// there is none).
	GetUser(ctx context.Context, accountID string) (*User, error)
	// FindUsers returns the users whose display name or email starts with
	// query, all pages.
	FindUsers(ctx context.Context, query string) ([]User, error)
	// FindGroup returns the group with this name; an unknown name is an
	// error for which IsNotFound holds.
	FindGroup(ctx context.Context, name string) (*Group, error)
	// GetGroupByID returns the group with this id; an unknown id is an error
	// for which IsNotFound holds.
	GetGroupByID(ctx context.Context, groupID string) (*Group, error)
	// ListGroupMembers returns the active users in a group, all pages.
	ListGroupMembers(ctx context.Context, groupName string) ([]User, error)
}

// Auth holds Jira Cloud's basic-auth credentials: an Atlassian account's
// email address and one of its API tokens.
type Auth struct {
	Email    string
	APIToken string
}

// Option tunes a client made by NewCloud.
type Option func(*options)

type options struct {
	http     *http.Client
	httpOpts httpclient.Options
	pageSize int
}

// WithHTTPClient makes the client send its requests through hc instead of
// a retrying client of its own.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.http = hc } }

// WithHTTPOptions tunes the retrying client that NewCloud builds.
func WithHTTPOptions(ho httpclient.Options) Option { return func(o *options) { o.httpOpts = ho } }

// WithPageSize sets the maxResults the client asks for when listing
// (default DefaultPageSize); Jira may answer fewer per page.
func WithPageSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.pageSize = n
		}
	}
}
