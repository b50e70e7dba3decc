package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Myself implements Client: GET /myself.
func (c *cloud) Myself(ctx context.Context) (*User, error) {
	var out User
	if err := c.do(ctx, request{method: http.MethodGet, path: "/myself", out: &out}); err != nil {
		return nil, fmt.Errorf("cannot read the current Jira user: %w", err)
	}
	return &out, nil
}

// ---- projects

// GetProject implements Client: GET /project/{projectIdOrKey}.
func (c *cloud) GetProject(ctx context.Context, keyOrID string) (*Project, error) {
	var out Project
	if err := c.do(ctx, request{method: http.MethodGet, path: projectPath(keyOrID), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get Jira project %q: %w", keyOrID, err)
	}
	return &out, nil
}

// SearchProjects implements Client: GET /project/search, all pages.
func (c *cloud) SearchProjects(ctx context.Context, s ProjectSearch) ([]Project, error) {
	q := url.Values{}
	for _, k := range s.Keys {
		q.Add("keys", k)
	}
	if s.Query != "" {
		q.Set("query", s.Query)
	}
	if s.TypeKey != "" {
		q.Set("typeKey", s.TypeKey)
	}
	for _, st := range s.Status {
		q.Add("status", st)
	}
	if s.Expand != "" {
		q.Set("expand", s.Expand)
	}
	ps, err := listPages[Project](ctx, c, "/project/search", q)
	if err != nil {
		return nil, fmt.Errorf("cannot search Jira projects: %w", err)
	}
	return ps, nil
}

// CreateProject implements Client: POST /project, adopting the project
// when a retry finds the key taken by exactly the project asked for.
func (c *cloud) CreateProject(ctx context.Context, p CreateProject) (*ProjectIdentifiers, error) {
	var out ProjectIdentifiers
	err := c.do(ctx, request{method: http.MethodPost, path: "/project", body: p, out: &out})
	if err == nil {
		return &out, nil
	}
	if IsProjectKeyInUse(err) {
		if got, gerr := c.GetProject(ctx, p.Key); gerr == nil && sameProject(got, p) {
			id, perr := strconv.ParseInt(got.ID, 10, 64)
			if perr == nil {
				return &ProjectIdentifiers{Self: got.Self, ID: id, Key: got.Key}, nil
			}
		}
	}
	return nil, fmt.Errorf("cannot create Jira project %q: %w", p.Key, err)
}

// sameProject reports whether got is what p asked to create, so that a
// create whose answer was lost can be told from another project with the
// key.
func sameProject(got *Project, p CreateProject) bool {
	if got.Key != p.Key || got.Name != p.Name {
		return false
	}
	if p.LeadAccountID != "" && got.LeadAccountID() != p.LeadAccountID {
		return false
	}
	typ := p.ProjectTypeKey
	if typ == "" {
		typ = templateType(p.ProjectTemplateKey)
	}
	return typ == "" || got.ProjectTypeKey == typ
}

// templateType returns the project type a template key belongs to, from
// the prefix of Jira's template keys, or "".
func templateType(template string) string {
	switch {
	case strings.HasPrefix(template, "com.pyxis.greenhopper.jira:"):
		return ProjectTypeSoftware
	case strings.HasPrefix(template, "com.atlassian.jira-core-project-templates:"):
		return ProjectTypeBusiness
	case strings.HasPrefix(template, "com.atlassian.servicedesk:"):
		return ProjectTypeServiceDesk
	}
	return ""
}

// UpdateProject implements Client: PUT /project/{projectIdOrKey}.
func (c *cloud) UpdateProject(ctx context.Context, keyOrID string, u UpdateProject) (*Project, error) {
	var out Project
	if err := c.do(ctx, request{method: http.MethodPut, path: projectPath(keyOrID), body: u, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot update Jira project %q: %w", keyOrID, err)
	}
	return &out, nil
}

// DeleteProject implements Client: DELETE /project/{projectIdOrKey}?enableUndo=.
func (c *cloud) DeleteProject(ctx context.Context, keyOrID string, enableUndo bool) error {
	q := url.Values{"enableUndo": {strconv.FormatBool(enableUndo)}}
	if err := c.do(ctx, request{method: http.MethodDelete, path: projectPath(keyOrID), query: q}); err != nil {
		return fmt.Errorf("cannot delete Jira project %q: %w", keyOrID, err)
	}
	return nil
}

// RestoreProject implements Client: POST /project/{projectIdOrKey}/restore.
// Jira refuses to restore a live project (400); when a retry meets that
// because its first attempt went through, the live project is returned.
func (c *cloud) RestoreProject(ctx context.Context, keyOrID string) (*Project, error) {
	var out Project
	err := c.do(ctx, request{method: http.MethodPost, path: projectPath(keyOrID) + "/restore", out: &out})
	if err == nil {
		return &out, nil
	}
	if IsBadRequest(err) {
		if p, gerr := c.GetProject(ctx, keyOrID); gerr == nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("cannot restore Jira project %q: %w", keyOrID, err)
}

// ---- roles

// ListProjectRoles implements Client: GET /project/{projectIdOrKey}/role,
// whose answer maps each name to the role's URL, which ends in its id.
func (c *cloud) ListProjectRoles(ctx context.Context, keyOrID string) (map[string]int64, error) {
	var links map[string]string
	if err := c.do(ctx, request{method: http.MethodGet, path: projectPath(keyOrID) + "/role", out: &links}); err != nil {
		return nil, fmt.Errorf("cannot list the roles of Jira project %q: %w", keyOrID, err)
	}
	out := make(map[string]int64, len(links))
	for name, link := range links {
		id, err := roleIDFromURL(link)
		if err != nil {
			return nil, fmt.Errorf("cannot list the roles of Jira project %q: role %q: %w", keyOrID, name, err)
		}
		out[name] = id
	}
	return out, nil
}

func roleIDFromURL(link string) (int64, error) {
	u, err := url.Parse(link)
	if err != nil {
		return 0, fmt.Errorf("invalid role URL %q: %w", link, err)
	}
	id, err := strconv.ParseInt(path.Base(strings.TrimSuffix(u.Path, "/")), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("the role URL %q does not end in an id", link)
	}
	return id, nil
}

// GetProjectRole implements Client: GET /project/{projectIdOrKey}/role/{id}.
func (c *cloud) GetProjectRole(ctx context.Context, keyOrID string, roleID int64) (*ProjectRole, error) {
	var out ProjectRole
	if err := c.do(ctx, request{method: http.MethodGet, path: rolePath(keyOrID, roleID), out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get role %d of Jira project %q: %w", roleID, keyOrID, err)
	}
	return &out, nil
}

// actorsMap is the body of POST /project/{projectIdOrKey}/role/{id}.
type actorsMap struct {
	User    []string `json:"user,omitempty"`
	Group   []string `json:"group,omitempty"`
	GroupID []string `json:"groupId,omitempty"`
}

// AddRoleActors implements Client: it reads the role, then POSTs
// /project/{projectIdOrKey}/role/{id} with the actors not yet in it, in one
// request, so that Jira checks them all before adding any. When the POST
// fails with 400 (a retry whose first attempt went through finds the actors
// already there), the role is read again and the call succeeds if every
// actor is in it.
func (c *cloud) AddRoleActors(ctx context.Context, keyOrID string, roleID int64, a RoleActors) (*ProjectRole, error) {
	if len(a.GroupNames) > 0 && len(a.GroupIDs) > 0 {
		return nil, fmt.Errorf("cannot add actors to role %d of Jira project %q: give groups by name or by id, not both", roleID, keyOrID)
	}
	role, err := c.GetProjectRole(ctx, keyOrID, roleID)
	if err != nil {
		return nil, err
	}
	var body actorsMap
	for _, id := range a.AccountIDs {
		if !role.HasUser(id) {
			body.User = append(body.User, id)
		}
	}
	for _, g := range a.GroupNames {
		if !role.HasGroup(g) {
			body.Group = append(body.Group, g)
		}
	}
	for _, g := range a.GroupIDs {
		if !role.HasGroup(g) {
			body.GroupID = append(body.GroupID, g)
		}
	}
	if len(body.User)+len(body.Group)+len(body.GroupID) == 0 {
		return role, nil
	}
	var out ProjectRole
	err = c.do(ctx, request{method: http.MethodPost, path: rolePath(keyOrID, roleID), body: body, out: &out})
	if err == nil {
		return &out, nil
	}
	if IsBadRequest(err) {
		if again, gerr := c.GetProjectRole(ctx, keyOrID, roleID); gerr == nil && hasAll(again, a) {
			return again, nil
		}
	}
	return nil, fmt.Errorf("cannot add %s to role %q of Jira project %q: %w", describe(body), role.Name, keyOrID, err)
}

func hasAll(r *ProjectRole, a RoleActors) bool {
	for _, id := range a.AccountIDs {
		if !r.HasUser(id) {
			return false
		}
	}
	for _, g := range append(append([]string(nil), a.GroupNames...), a.GroupIDs...) {
		if !r.HasGroup(g) {
			return false
		}
	}
	return true
}

func describe(b actorsMap) string {
	var parts []string
	if len(b.User) > 0 {
		parts = append(parts, "users "+strings.Join(b.User, ", "))
	}
	if len(b.Group) > 0 {
		parts = append(parts, "groups "+strings.Join(b.Group, ", "))
	}
	if len(b.GroupID) > 0 {
		parts = append(parts, "group ids "+strings.Join(b.GroupID, ", "))
	}
	return strings.Join(parts, " and ")
}

// RemoveRoleActor implements Client: DELETE
// /project/{projectIdOrKey}/role/{id}?user=|group=|groupId=. When Jira
// refuses (the actor is not in the role, as after a retry whose first
// attempt went through), the role is read: an actor not in it is removed.
func (c *cloud) RemoveRoleActor(ctx context.Context, keyOrID string, roleID int64, a Actor) error {
	q := url.Values{}
	n := 0
	if a.AccountID != "" {
		q.Set("user", a.AccountID)
		n++
	}
	if a.GroupName != "" {
		q.Set("group", a.GroupName)
		n++
	}
	if a.GroupID != "" {
		q.Set("groupId", a.GroupID)
		n++
	}
	if n != 1 {
		return fmt.Errorf("cannot remove an actor from role %d of Jira project %q: give exactly one of account id, group name and group id", roleID, keyOrID)
	}
	err := c.do(ctx, request{method: http.MethodDelete, path: rolePath(keyOrID, roleID), query: q})
	if err == nil {
		return nil
	}
	if IsBadRequest(err) || IsNotFound(err) {
		if role, gerr := c.GetProjectRole(ctx, keyOrID, roleID); gerr == nil && !role.Has(a) {
			return nil
		}
	}
	return fmt.Errorf("cannot remove %s from role %d of Jira project %q: %w", a, roleID, keyOrID, err)
}

// ---- users and groups

// GetUser implements Client: GET /user?accountId=.
func (c *cloud) GetUser(ctx context.Context, accountID string) (*User, error) {
	var out User
	q := url.Values{"accountId": {accountID}}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/user", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("cannot get Jira user %q: %w", accountID, err)
	}
	return &out, nil
}

// FindUsers implements Client: GET /user/search?query=, all pages.
func (c *cloud) FindUsers(ctx context.Context, query string) ([]User, error) {
	us, err := listArray[User](ctx, c, "/user/search", url.Values{"query": {query}})
	if err != nil {
		return nil, fmt.Errorf("cannot search Jira users for %q: %w", query, err)
	}
	return us, nil
}

// FindGroup implements Client: GET /group/bulk?groupName=.
func (c *cloud) FindGroup(ctx context.Context, name string) (*Group, error) {
	gs, err := listPages[Group](ctx, c, "/group/bulk", url.Values{"groupName": {name}})
	if err != nil {
		return nil, fmt.Errorf("cannot find Jira group %q: %w", name, err)
	}
	for _, g := range gs {
		if strings.EqualFold(g.Name, name) {
			return &g, nil
		}
	}
	return nil, fmt.Errorf("cannot find Jira group %q: %w", name, ErrNotFound)
}

// GetGroupByID implements Client: GET /group/bulk?groupId=.
func (c *cloud) GetGroupByID(ctx context.Context, groupID string) (*Group, error) {
	gs, err := listPages[Group](ctx, c, "/group/bulk", url.Values{"groupId": {groupID}})
	if err != nil {
		return nil, fmt.Errorf("cannot get Jira group %q: %w", groupID, err)
	}
	for _, g := range gs {
		if g.GroupID == groupID {
			return &g, nil
		}
	}
	return nil, fmt.Errorf("cannot get Jira group %q: %w", groupID, ErrNotFound)
}

// ListGroupMembers implements Client: GET /group/member?groupname=, all pages.
func (c *cloud) ListGroupMembers(ctx context.Context, groupName string) ([]User, error) {
	us, err := listPages[User](ctx, c, "/group/member", url.Values{"groupname": {groupName}})
	if err != nil {
		return nil, fmt.Errorf("cannot list the members of Jira group %q: %w", groupName, err)
	}
	return us, nil
}
