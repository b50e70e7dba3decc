package bitbucket

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ---- workspaces and accounts

func (c *cloud) GetWorkspace(ctx context.Context, workspace string) (*Workspace, error) {
	var out Workspace
	if err := c.do(ctx, request{method: http.MethodGet, path: "/workspaces/" + seg(workspace), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get workspace %q: %w", workspace, err)
	}
	return &out, nil
}

func (c *cloud) CurrentUser(ctx context.Context) (*User, error) {
	var out User
	if err := c.do(ctx, request{method: http.MethodGet, path: "/user", out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get the current Bitbucket user: %w", err)
	}
	return &out, nil
}

func (c *cloud) GetUser(ctx context.Context, accountID string) (*User, error) {
	var out User
	if err := c.do(ctx, request{method: http.MethodGet, path: "/users/" + seg(accountID), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get user %q: %w", accountID, err)
	}
	return &out, nil
}

// ---- projects

func projectsPath(workspace string) string { return "/workspaces/" + seg(workspace) + "/projects" }

func projectPath(workspace, key string) string { return projectsPath(workspace) + "/" + seg(key) }

func (c *cloud) ListProjects(ctx context.Context, workspace string) ([]Project, error) {
	ps, err := listAll[Project](ctx, c, projectsPath(workspace), nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list projects of workspace %q: %w", workspace, err)
	}
	return ps, nil
}

func (c *cloud) GetProject(ctx context.Context, workspace, key string) (*Project, error) {
	var out Project
	if err := c.do(ctx, request{method: http.MethodGet, path: projectPath(workspace, key), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get project %q: %w", key, err)
	}
	return &out, nil
}

func (c *cloud) CreateProject(ctx context.Context, workspace string, in ProjectInput) (*Project, error) {
	if in.Key == "" {
		return nil, fmt.Errorf("cannot create project %q: the key is empty", in.Name)
	}
	var out Project
	if err := c.do(ctx, request{method: http.MethodPost, path: projectsPath(workspace), body: in, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot create project %q: %w", in.Key, err)
	}
	return &out, nil
}

func (c *cloud) UpdateProject(ctx context.Context, workspace, key string, in ProjectInput) (*Project, error) {
	if strings.EqualFold(in.Key, key) {
		in.Key = ""
	}
	var out Project
	if err := c.do(ctx, request{method: http.MethodPut, path: projectPath(workspace, key), body: in, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot update project %q: %w", key, err)
	}
	return &out, nil
}

func (c *cloud) DeleteProject(ctx context.Context, workspace, key string) error {
	if err := c.do(ctx, request{method: http.MethodDelete, path: projectPath(workspace, key)}); err != nil {
		return fmt.Errorf("cannot delete project %q: %w", key, err)
	}
	return nil
}

// ---- project permissions

type permissionBody struct {
	Permission Permission `json:"permission"`
}

func (c *cloud) ListProjectUserPermissions(ctx context.Context, workspace, key string) ([]UserPermission, error) {
	ps, err := listAll[UserPermission](ctx, c, projectPath(workspace, key)+"/permissions-config/users", nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list user permissions of project %q: %w", key, err)
	}
	return ps, nil
}

func (c *cloud) GetProjectUserPermission(ctx context.Context, workspace, key, accountID string) (*UserPermission, error) {
	var out UserPermission
	if err := c.do(ctx, request{method: http.MethodGet, path: projectPath(workspace, key) + "/permissions-config/users/" + seg(accountID), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get the permission of user %q on project %q: %w", accountID, key, err)
	}
	return &out, nil
}

func (c *cloud) PutProjectUserPermission(ctx context.Context, workspace, key, accountID string, p Permission) (*UserPermission, error) {
	var out UserPermission
	if err := c.do(ctx, request{method: http.MethodPut, path: projectPath(workspace, key) + "/permissions-config/users/" + seg(accountID), body: permissionBody{p}, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot grant %s on project %q to user %q: %w", p, key, accountID, err)
	}
	return &out, nil
}

func (c *cloud) DeleteProjectUserPermission(ctx context.Context, workspace, key, accountID string) error {
	if err := c.do(ctx, request{method: http.MethodDelete, path: projectPath(workspace, key) + "/permissions-config/users/" + seg(accountID)}); err != nil {
		return fmt.Errorf("cannot remove the permission of user %q on project %q: %w", accountID, key, err)
	}
	return nil
}

func (c *cloud) ListProjectGroupPermissions(ctx context.Context, workspace, key string) ([]GroupPermission, error) {
	ps, err := listAll[GroupPermission](ctx, c, projectPath(workspace, key)+"/permissions-config/groups", nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list group permissions of project %q: %w", key, err)
	}
	return ps, nil
}

func (c *cloud) GetProjectGroupPermission(ctx context.Context, workspace, key, groupSlug string) (*GroupPermission, error) {
	var out GroupPermission
	if err := c.do(ctx, request{method: http.MethodGet, path: projectPath(workspace, key) + "/permissions-config/groups/" + seg(groupSlug), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get the permission of group %q on project %q: %w", groupSlug, key, err)
	}
	return &out, nil
}

func (c *cloud) PutProjectGroupPermission(ctx context.Context, workspace, key, groupSlug string, p Permission) (*GroupPermission, error) {
	var out GroupPermission
	if err := c.do(ctx, request{method: http.MethodPut, path: projectPath(workspace, key) + "/permissions-config/groups/" + seg(groupSlug), body: permissionBody{p}, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot grant %s on project %q to group %q: %w", p, key, groupSlug, err)
	}
	return &out, nil
}

func (c *cloud) DeleteProjectGroupPermission(ctx context.Context, workspace, key, groupSlug string) error {
	if err := c.do(ctx, request{method: http.MethodDelete, path: projectPath(workspace, key) + "/permissions-config/groups/" + seg(groupSlug)}); err != nil {
		return fmt.Errorf("cannot remove the permission of group %q on project %q: %w", groupSlug, key, err)
	}
	return nil
}

// ---- repositories

func repoPath(workspace, slug string) string {
	return "/repositories/" + seg(workspace) + "/" + seg(slug)
}

func (c *cloud) ListRepositories(ctx context.Context, workspace, projectKey string) ([]Repository, error) {
	q := url.Values{"q": {"project.key=" + strconv.Quote(projectKey)}}
	rs, err := listAll[Repository](ctx, c, "/repositories/"+seg(workspace), q)
	if err != nil {
		return nil, fmt.Errorf("cannot list repositories of project %q: %w", projectKey, err)
	}
	return rs, nil
}

func (c *cloud) GetRepository(ctx context.Context, workspace, slug string) (*Repository, error) {
	var out Repository
	if err := c.do(ctx, request{method: http.MethodGet, path: repoPath(workspace, slug), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get repository %q: %w", slug, err)
	}
	return &out, nil
}

// repositoryBody is the body of POST /repositories/{workspace}/{repo_slug}.
type repositoryBody struct {
	SCM         string          `json:"scm"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	IsPrivate   bool            `json:"is_private"`
	ForkPolicy  string          `json:"fork_policy,omitempty"`
	Project     json.RawMessage `json:"project,omitempty"`
}

func (c *cloud) CreateRepository(ctx context.Context, workspace, slug string, in RepositoryInput) (*Repository, error) {
	if in.ProjectKey == "" {
		// Bitbucket would put it in the workspace's oldest project.
		return nil, fmt.Errorf("cannot create repository %q: the project key is empty", slug)
	}
	project, _ := json.Marshal(map[string]string{"key": in.ProjectKey})
	body := repositoryBody{SCM: "git", Name: in.Name, Description: in.Description, IsPrivate: in.IsPrivate, ForkPolicy: in.ForkPolicy, Project: project}
	var out Repository
	if err := c.do(ctx, request{method: http.MethodPost, path: repoPath(workspace, slug), body: body, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot create repository %q: %w", slug, err)
	}
	return &out, nil
}

func (c *cloud) DeleteRepository(ctx context.Context, workspace, slug string) error {
	if err := c.do(ctx, request{method: http.MethodDelete, path: repoPath(workspace, slug)}); err != nil {
		return fmt.Errorf("cannot delete repository %q: %w", slug, err)
	}
	return nil
}

// ---- creates that survive lost answers

// CreateOrGetProject creates the project in.Key, or returns the existing one
// with adopted set when the key is taken: when an earlier attempt went
// through and only its answer was lost, the retry finds the key taken. The
// caller decides whether an adopted project is its own (a project it
// recorded as being created, or one whose name it expects).
func CreateOrGetProject(ctx context.Context, c Client, workspace string, in ProjectInput) (p *Project, adopted bool, err error) {
	p, err = c.CreateProject(ctx, workspace, in)
	if err == nil || !IsAlreadyExists(err) {
		return p, false, err
	}
	p, gerr := c.GetProject(ctx, workspace, in.Key)
	if gerr != nil {
		return nil, false, fmt.Errorf("%w (and then: %w)", err, gerr)
	}
	return p, true, nil
}

// CreateOrGetRepository creates the repository slug, or returns the existing
// one with adopted set when the slug is taken, as CreateOrGetProject does. A
// repository that exists in another project is an error, not an adoption.
func CreateOrGetRepository(ctx context.Context, c Client, workspace, slug string, in RepositoryInput) (r *Repository, adopted bool, err error) {
	r, err = c.CreateRepository(ctx, workspace, slug, in)
	if err == nil || !IsAlreadyExists(err) {
		return r, false, err
	}
	r, gerr := c.GetRepository(ctx, workspace, slug)
	if gerr != nil {
		return nil, false, fmt.Errorf("%w (and then: %w)", err, gerr)
	}
	if !strings.EqualFold(r.Project.Key, in.ProjectKey) {
		return nil, false, fmt.Errorf("cannot create repository %q in project %q: it exists in project %q", slug, in.ProjectKey, r.Project.Key)
	}
	return r, true, nil
}
