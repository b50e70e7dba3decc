package harbor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// SystemInfo returns GET /systeminfo (harbor_version needs credentials).
func (c *Client) SystemInfo(ctx context.Context) (*SystemInfo, error) {
	var out SystemInfo
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/systeminfo", out: &out}); err != nil {
		return nil, fmt.Errorf("cannot read Harbor system info: %w", err)
	}
	return &out, nil
}

// Health returns GET /health, which needs no credentials.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var out Health
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/health", out: &out, noAuth: true}); err != nil {
		return nil, fmt.Errorf("cannot read Harbor health: %w", err)
	}
	return &out, nil
}

// CurrentUser is the answer of GET /users/current.
type CurrentUser struct {
	UserID       int64  `json:"user_id"`
	Username     string `json:"username"`
	SysadminFlag bool   `json:"sysadmin_flag"`
}

// CurrentUser returns the user behind the credentials. Harbor treats wrong
// credentials as anonymous, which most reads accept; this call answers 401
// for them, so it is the way to check credentials. Robot accounts are not
// users: Harbor answers 412 for them.
func (c *Client) CurrentUser(ctx context.Context) (*CurrentUser, error) {
	var out CurrentUser
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/users/current", out: &out}); err != nil {
		return nil, fmt.Errorf("cannot read the current Harbor user: %w", err)
	}
	return &out, nil
}

// ---- projects

// ListProjects lists the projects visible to the caller, all pages.
func (c *Client) ListProjects(ctx context.Context, o ListProjectsOptions) ([]Project, error) {
	q := url.Values{}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	if o.Q != "" {
		q.Set("q", o.Q)
	}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	ps, err := listAll[Project](ctx, c, "/projects", q, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list projects: %w", err)
	}
	return ps, nil
}

// GetProject returns the project with this name (X-Is-Resource-Name: true,
// so a numeric name is not taken for an id).
func (c *Client) GetProject(ctx context.Context, name string) (*Project, error) {
	var out Project
	h := http.Header{"X-Is-Resource-Name": {"true"}}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/projects/" + url.PathEscape(name), header: h, out: &out}); err != nil {
		err = c.projectErr(ctx, name, err)
		return nil, fmt.Errorf("cannot get project %q: %w", name, err)
	}
	return &out, nil
}

// GetProjectByID returns the project with this id.
func (c *Client) GetProjectByID(ctx context.Context, id int64) (*Project, error) {
	var out Project
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath("/projects", id), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get project %d: %w", id, err)
	}
	return &out, nil
}

// ProjectExists asks HEAD /projects?project_name=name.
func (c *Client) ProjectExists(ctx context.Context, name string) (bool, error) {
	_, err := c.do(ctx, request{method: http.MethodHead, path: "/projects", query: url.Values{"project_name": {name}}})
	switch {
	case err == nil:
		return true, nil
	case IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("cannot check whether project %q exists: %w", name, err)
	}
}

// CreateProject creates a project and returns its id (from Location). The
// request is retried on 5xx and 429; when an earlier attempt went through
// and only its answer was lost, the retry answers 409 (IsConflict): callers
// with deterministic names adopt the project then.
func (c *Client) CreateProject(ctx context.Context, p ProjectReq) (int64, error) {
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/projects", body: p})
	if err != nil {
		return 0, fmt.Errorf("cannot create project %q: %w", p.ProjectName, err)
	}
	id, err := idFromLocation(resp)
	if err != nil {
		return 0, fmt.Errorf("cannot create project %q: %w", p.ProjectName, err)
	}
	return id, nil
}

// UpdateProject updates the project with this name.
func (c *Client) UpdateProject(ctx context.Context, name string, p ProjectReq) error {
	h := http.Header{"X-Is-Resource-Name": {"true"}}
	if _, err := c.do(ctx, request{method: http.MethodPut, path: "/projects/" + url.PathEscape(name), header: h, body: p}); err != nil {
		err = c.projectErr(ctx, name, err)
		return fmt.Errorf("cannot update project %q: %w", name, err)
	}
	return nil
}

// DeleteProject deletes the project with this name; Harbor answers 412 while
// it still holds repositories.
func (c *Client) DeleteProject(ctx context.Context, name string) error {
	h := http.Header{"X-Is-Resource-Name": {"true"}}
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: "/projects/" + url.PathEscape(name), header: h}); err != nil {
		err = c.projectErr(ctx, name, err)
		return fmt.Errorf("cannot delete project %q: %w", name, err)
	}
	return nil
}

// projectErr turns Harbor's 403 for a project name that does not resolve
// into a 404 *Error. Harbor checks project permissions before looking the
// project up, and a name it cannot resolve fails that check, so a missing
// project answers 403 FORBIDDEN, even to the admin; HEAD /projects tells the
// two cases apart.
func (c *Client) projectErr(ctx context.Context, project string, err error) error {
	var he *Error
	if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
		return err
	}
	exists, herr := c.ProjectExists(ctx, project)
	if herr != nil || exists {
		return err
	}
	return &Error{StatusCode: http.StatusNotFound, Method: he.Method, Path: he.Path,
		Errors: []ErrorItem{{Code: "NOT_FOUND", Message: fmt.Sprintf("project %s not found (Harbor answered 403 for the unknown name)", project)}}}
}

// ---- project members

func memberPath(project string) string { return "/projects/" + url.PathEscape(project) + "/members" }

var nameHeader = http.Header{"X-Is-Resource-Name": {"true"}}

// ListProjectMembers lists the members of a project, all pages; entityName
// filters by user or group name when not empty.
func (c *Client) ListProjectMembers(ctx context.Context, project, entityName string) ([]ProjectMemberEntity, error) {
	q := url.Values{}
	if entityName != "" {
		q.Set("entityname", entityName)
	}
	ms, err := listAll[ProjectMemberEntity](ctx, c, memberPath(project), q, nameHeader)
	if err != nil {
		err = c.projectErr(ctx, project, err)
		return nil, fmt.Errorf("cannot list members of project %q: %w", project, err)
	}
	return ms, nil
}

// AddProjectMember adds a user or group to a project and returns the member id.
func (c *Client) AddProjectMember(ctx context.Context, project string, m ProjectMember) (int64, error) {
	resp, err := c.do(ctx, request{method: http.MethodPost, path: memberPath(project), header: nameHeader, body: m})
	if err != nil {
		err = c.projectErr(ctx, project, err)
		return 0, fmt.Errorf("cannot add member to project %q: %w", project, err)
	}
	id, err := idFromLocation(resp)
	if err != nil {
		return 0, fmt.Errorf("cannot add member to project %q: %w", project, err)
	}
	return id, nil
}

// GetProjectMember returns one member of a project.
func (c *Client) GetProjectMember(ctx context.Context, project string, id int64) (*ProjectMemberEntity, error) {
	var out ProjectMemberEntity
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath(memberPath(project), id), header: nameHeader, out: &out}); err != nil {
		err = c.projectErr(ctx, project, err)
		return nil, fmt.Errorf("cannot get member %d of project %q: %w", id, project, err)
	}
	return &out, nil
}

// UpdateProjectMemberRole changes the role of a member.
func (c *Client) UpdateProjectMemberRole(ctx context.Context, project string, id int64, roleID int) error {
	body := map[string]int{"role_id": roleID}
	if _, err := c.do(ctx, request{method: http.MethodPut, path: idPath(memberPath(project), id), header: nameHeader, body: body}); err != nil {
		err = c.projectErr(ctx, project, err)
		return fmt.Errorf("cannot update member %d of project %q: %w", id, project, err)
	}
	return nil
}

// DeleteProjectMember removes a member from a project.
func (c *Client) DeleteProjectMember(ctx context.Context, project string, id int64) error {
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: idPath(memberPath(project), id), header: nameHeader}); err != nil {
		err = c.projectErr(ctx, project, err)
		return fmt.Errorf("cannot delete member %d of project %q: %w", id, project, err)
	}
	return nil
}

// ---- registries (replication endpoints)

// ListRegistries lists registry endpoints, all pages; q is Harbor's query
// (e.g. "name=site-b"), empty for all.
func (c *Client) ListRegistries(ctx context.Context, q string) ([]Registry, error) {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	rs, err := listAll[Registry](ctx, c, "/registries", v, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list registries: %w", err)
	}
	return rs, nil
}

// GetRegistry returns one registry endpoint (its secret masked by Harbor).
func (c *Client) GetRegistry(ctx context.Context, id int64) (*Registry, error) {
	var out Registry
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath("/registries", id), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get registry %d: %w", id, err)
	}
	return &out, nil
}

// CreateRegistry creates a registry endpoint and returns its id.
func (c *Client) CreateRegistry(ctx context.Context, r Registry) (int64, error) {
	r.ID = 0
	var secrets []string
	if r.Credential != nil {
		secrets = []string{r.Credential.AccessSecret}
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/registries", body: r, secrets: secrets})
	if err != nil {
		return 0, fmt.Errorf("cannot create registry %q: %w", r.Name, err)
	}
	id, err := idFromLocation(resp)
	if err != nil {
		return 0, fmt.Errorf("cannot create registry %q: %w", r.Name, err)
	}
	return id, nil
}

// UpdateRegistry changes a registry endpoint.
func (c *Client) UpdateRegistry(ctx context.Context, id int64, u RegistryUpdate) error {
	if _, err := c.do(ctx, request{method: http.MethodPut, path: idPath("/registries", id), body: u, secrets: derefAll(u.AccessSecret)}); err != nil {
		return fmt.Errorf("cannot update registry %d: %w", id, err)
	}
	return nil
}

// derefAll returns the values of the non-nil pointers.
func derefAll(ps ...*string) []string {
	var out []string
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// DeleteRegistry deletes a registry endpoint; Harbor answers 412 while
// policies use it.
func (c *Client) DeleteRegistry(ctx context.Context, id int64) error {
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: idPath("/registries", id)}); err != nil {
		return fmt.Errorf("cannot delete registry %d: %w", id, err)
	}
	return nil
}

// PingRegistry asks Harbor to check that it can reach a registry.
func (c *Client) PingRegistry(ctx context.Context, p RegistryPing) error {
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/registries/ping", body: p, secrets: derefAll(p.AccessSecret)}); err != nil {
		return fmt.Errorf("cannot ping registry: %w", err)
	}
	return nil
}

// ---- replication policies

// ListReplicationPolicies lists policies, all pages; name filters by name
// (fuzzy on Harbor's side) when not empty.
func (c *Client) ListReplicationPolicies(ctx context.Context, name string) ([]ReplicationPolicy, error) {
	v := url.Values{}
	if name != "" {
		v.Set("name", name)
	}
	ps, err := listAll[ReplicationPolicy](ctx, c, "/replication/policies", v, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list replication policies: %w", err)
	}
	return ps, nil
}

// GetReplicationPolicy returns one policy.
func (c *Client) GetReplicationPolicy(ctx context.Context, id int64) (*ReplicationPolicy, error) {
	var out ReplicationPolicy
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath("/replication/policies", id), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get replication policy %d: %w", id, err)
	}
	return &out, nil
}

// CreateReplicationPolicy creates a policy and returns its id.
func (c *Client) CreateReplicationPolicy(ctx context.Context, p ReplicationPolicy) (int64, error) {
	p.ID = 0
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/replication/policies", body: p})
	if err != nil {
		return 0, fmt.Errorf("cannot create replication policy %q: %w", p.Name, err)
	}
	id, err := idFromLocation(resp)
	if err != nil {
		return 0, fmt.Errorf("cannot create replication policy %q: %w", p.Name, err)
	}
	return id, nil
}

// UpdateReplicationPolicy replaces a policy.
func (c *Client) UpdateReplicationPolicy(ctx context.Context, id int64, p ReplicationPolicy) error {
	p.ID = id
	if _, err := c.do(ctx, request{method: http.MethodPut, path: idPath("/replication/policies", id), body: p}); err != nil {
		return fmt.Errorf("cannot update replication policy %d: %w", id, err)
	}
	return nil
}

// DeleteReplicationPolicy deletes a policy; Harbor answers 412 while an
// execution of it runs.
func (c *Client) DeleteReplicationPolicy(ctx context.Context, id int64) error {
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: idPath("/replication/policies", id)}); err != nil {
		return fmt.Errorf("cannot delete replication policy %d: %w", id, err)
	}
	return nil
}

// ---- replication executions

// StartReplication starts an execution of a policy and returns its id.
// Every call starts a new execution: callers wanting "at most once" look for
// a running one with ListReplicationExecutions first.
func (c *Client) StartReplication(ctx context.Context, policyID int64) (int64, error) {
	body := map[string]int64{"policy_id": policyID}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/replication/executions", body: body})
	if err != nil {
		return 0, fmt.Errorf("cannot start replication of policy %d: %w", policyID, err)
	}
	id, err := idFromLocation(resp)
	if err != nil {
		return 0, fmt.Errorf("cannot start replication of policy %d: %w", policyID, err)
	}
	return id, nil
}

// ListReplicationExecutions lists the executions of a policy, all pages.
func (c *Client) ListReplicationExecutions(ctx context.Context, policyID int64) ([]ReplicationExecution, error) {
	v := url.Values{"policy_id": {strconv.FormatInt(policyID, 10)}}
	es, err := listAll[ReplicationExecution](ctx, c, "/replication/executions", v, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list executions of replication policy %d: %w", policyID, err)
	}
	return es, nil
}

// GetReplicationExecution returns one execution with its task counts.
func (c *Client) GetReplicationExecution(ctx context.Context, id int64) (*ReplicationExecution, error) {
	var out ReplicationExecution
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath("/replication/executions", id), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get replication execution %d: %w", id, err)
	}
	return &out, nil
}

// StopReplication stops a running execution.
func (c *Client) StopReplication(ctx context.Context, id int64) error {
	if _, err := c.do(ctx, request{method: http.MethodPut, path: idPath("/replication/executions", id)}); err != nil {
		return fmt.Errorf("cannot stop replication execution %d: %w", id, err)
	}
	return nil
}

// ListReplicationTasks lists the tasks of an execution, all pages.
func (c *Client) ListReplicationTasks(ctx context.Context, executionID int64) ([]ReplicationTask, error) {
	ts, err := listAll[ReplicationTask](ctx, c, idPath("/replication/executions", executionID)+"/tasks", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list tasks of replication execution %d: %w", executionID, err)
	}
	return ts, nil
}

// GetReplicationTaskLog returns the log of one task of an execution, the
// place where Harbor tells why a copy failed.
func (c *Client) GetReplicationTaskLog(ctx context.Context, executionID, taskID int64) (string, error) {
	var raw []byte
	p := idPath(idPath("/replication/executions", executionID)+"/tasks", taskID) + "/log"
	if _, err := c.do(ctx, request{method: http.MethodGet, path: p, header: http.Header{"Accept": {"text/plain"}}, raw: &raw}); err != nil {
		return "", fmt.Errorf("cannot get the log of task %d of replication execution %d: %w", taskID, executionID, err)
	}
	return string(raw), nil
}

// ---- artifacts

// repositoriesPath is the repositories of a project.
func repositoriesPath(project string) string {
	return "/projects/" + url.PathEscape(project) + "/repositories"
}

// ListRepositories lists the repositories of a project, all pages. Their
// names are full, "project/repository".
func (c *Client) ListRepositories(ctx context.Context, project string) ([]Repository, error) {
	rs, err := listAll[Repository](ctx, c, repositoriesPath(project), url.Values{}, nil)
	if err != nil {
		err = c.projectErr(ctx, project, err)
		return nil, fmt.Errorf("cannot list repositories of project %q: %w", project, err)
	}
	return rs, nil
}

// DeleteRepository deletes a repository and its artifacts; repository is
// its name within the project (without the "project/" prefix), escaped
// twice in the path as Harbor requires.
func (c *Client) DeleteRepository(ctx context.Context, project, repository string) error {
	p := repositoriesPath(project) + "/" + PathEscapeRepository(repository)
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: p}); err != nil {
		err = c.projectErr(ctx, project, err)
		return fmt.Errorf("cannot delete repository %s/%s: %w", project, repository, err)
	}
	return nil
}

func artifactsPath(project, repository string) string {
	return "/projects/" + url.PathEscape(project) + "/repositories/" + PathEscapeRepository(repository) + "/artifacts"
}

// GetArtifact returns the artifact of project/repository at reference (a
// digest "sha256:..." or a tag), with its tags.
func (c *Client) GetArtifact(ctx context.Context, project, repository, reference string) (*Artifact, error) {
	var out Artifact
	p := artifactsPath(project, repository) + "/" + url.PathEscape(reference)
	if _, err := c.do(ctx, request{method: http.MethodGet, path: p, query: url.Values{"with_tag": {"true"}}, out: &out}); err != nil {
		err = c.projectErr(ctx, project, err)
		return nil, fmt.Errorf("cannot get artifact %s/%s@%s: %w", project, repository, reference, err)
	}
	return &out, nil
}

// ListArtifacts lists the artifacts of a repository, all pages.
func (c *Client) ListArtifacts(ctx context.Context, project, repository string) ([]Artifact, error) {
	as, err := listAll[Artifact](ctx, c, artifactsPath(project, repository), url.Values{"with_tag": {"true"}}, nil)
	if err != nil {
		err = c.projectErr(ctx, project, err)
		return nil, fmt.Errorf("cannot list artifacts of %s/%s: %w", project, repository, err)
	}
	return as, nil
}

// ---- robot accounts

// CreateRobot creates a robot account. The answer holds the secret, which
// Harbor shows only this once; it prints as REDACTED.
func (c *Client) CreateRobot(ctx context.Context, r RobotCreate) (*RobotCreated, error) {
	var out RobotCreated
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/robots", body: r, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot create robot account %q: %w", r.Name, err)
	}
	return &out, nil
}

// GetRobot returns a robot account (without its secret).
func (c *Client) GetRobot(ctx context.Context, id int64) (*Robot, error) {
	var out Robot
	if _, err := c.do(ctx, request{method: http.MethodGet, path: idPath("/robots", id), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get robot account %d: %w", id, err)
	}
	return &out, nil
}

// ListRobots lists robot accounts, all pages; q is Harbor's query (e.g.
// "Level=project,ProjectID=3"), empty for all.
func (c *Client) ListRobots(ctx context.Context, q string) ([]Robot, error) {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	rs, err := listAll[Robot](ctx, c, "/robots", v, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot list robot accounts: %w", err)
	}
	return rs, nil
}

// DeleteRobot deletes a robot account.
func (c *Client) DeleteRobot(ctx context.Context, id int64) error {
	if _, err := c.do(ctx, request{method: http.MethodDelete, path: idPath("/robots", id)}); err != nil {
		return fmt.Errorf("cannot delete robot account %d: %w", id, err)
	}
	return nil
}

// UpdateRobot replaces a robot account's description, disable flag,
// duration and permissions (PUT /robots/{id}); its secret is kept.
func (c *Client) UpdateRobot(ctx context.Context, id int64, r RobotUpdate) error {
	if _, err := c.do(ctx, request{method: http.MethodPut, path: idPath("/robots", id), body: r}); err != nil {
		return fmt.Errorf("cannot update robot account %d: %w", id, err)
	}
	return nil
}

// RefreshRobotSecret sets a robot account's secret to secret (PATCH
// /robots/{id}); Harbor wants 8 to 128 characters with at least one
// upper-case letter, one lower-case letter and one digit (see NewRobotSecret).
func (c *Client) RefreshRobotSecret(ctx context.Context, id int64, secret Secret) error {
	body := map[string]string{"secret": secret.Reveal()}
	if _, err := c.do(ctx, request{method: http.MethodPatch, path: idPath("/robots", id), body: body, secrets: []string{secret.Reveal()}}); err != nil {
		return fmt.Errorf("cannot refresh the secret of robot account %d: %w", id, err)
	}
	return nil
}

// UpdateUserPassword sets the password of user userID (PUT
// /users/{id}/password); oldPassword is needed when users change their own.
func (c *Client) UpdateUserPassword(ctx context.Context, userID int64, oldPassword, newPassword string) error {
	body := map[string]string{"old_password": oldPassword, "new_password": newPassword}
	if _, err := c.do(ctx, request{method: http.MethodPut, path: idPath("/users", userID) + "/password", body: body, secrets: []string{oldPassword, newPassword}}); err != nil {
		return fmt.Errorf("cannot update the password of user %d: %w", userID, err)
	}
	return nil
}
