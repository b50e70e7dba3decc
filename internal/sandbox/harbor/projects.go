package harborsim

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Harbor's project name rule (server/v2.0/handler/project.go): 1 to 255
// characters of lower-case letters and digits, separated by single '.', '_'
// or '-'. Longer than 255 is refused by the spec's maxLength (422) before the
// handler runs.
var projectNameRe = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

type project struct {
	id           int64
	name         string
	ownerID      int64
	ownerName    string
	registryID   int64
	storageLimit int64
	metadata     map[string]string
	created      time.Time
	updated      time.Time
	members      []*member
}

type member struct {
	id         int64
	entityID   int64
	entityName string
	entityType string // "u" or "g"
	roleID     int
}

var roleNames = map[int]string{1: "projectAdmin", 2: "developer", 3: "guest", 4: "maintainer", 5: "limitedGuest"}

type projectJSON struct {
	ProjectID    int64             `json:"project_id"`
	OwnerID      int64             `json:"owner_id"`
	Name         string            `json:"name"`
	RegistryID   int64             `json:"registry_id,omitempty"`
	CreationTime time.Time         `json:"creation_time"`
	UpdateTime   time.Time         `json:"update_time"`
	Deleted      bool              `json:"deleted"`
	OwnerName    string            `json:"owner_name"`
	Togglable    bool              `json:"togglable"`
	RepoCount    int               `json:"repo_count"`
	Metadata     map[string]string `json:"metadata"`
}

func (s *Server) projectJSON(p *project) projectJSON {
	md := map[string]string{}
	for k, v := range p.metadata {
		md[k] = v
	}
	return projectJSON{
		ProjectID: p.id, OwnerID: p.ownerID, Name: p.name, RegistryID: p.registryID,
		CreationTime: p.created, UpdateTime: p.updated, OwnerName: p.ownerName,
		Togglable: true, RepoCount: len(s.repositories(p.id)), Metadata: md,
	}
}

func (p *project) public() bool { return p.metadata["public"] == "true" }

// canSee reports whether pr may read the project: public, admin, or a robot
// with any permission on it.
func (pr *principal) canSee(p *project) bool {
	if p.public() || (pr != nil && pr.admin) {
		return true
	}
	if pr == nil {
		return false
	}
	if pr.robot == nil {
		_, member := pr.roles[p.name]
		return member
	}
	for _, perm := range pr.robot.permissions {
		if perm.Kind == "project" && (perm.Namespace == p.name || perm.Namespace == "*") {
			return true
		}
	}
	return false
}

// projectByNameOrID looks the path value up as Harbor does: an id when it
// parses as an integer and X-Is-Resource-Name is not true, else a name.
// Callers hold s.mu.
func (s *Server) projectByNameOrID(r *http.Request, v string) *project {
	if r.Header.Get("X-Is-Resource-Name") != "true" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			return s.projects[id]
		}
	}
	return s.projectByName(v)
}

func (s *Server) projectByName(name string) *project {
	for _, p := range s.projects {
		if p.name == name {
			return p
		}
	}
	return nil
}

// lookupProject finds the project of the path and checks that the caller may
// see it, answering itself when not, as Harbor's RequireProjectAccess
// (src/server/v2.0/handler/base.go, HasProjectPermission) does: a project
// that does not exist fails the permission check, 403 (401 for anonymous
// callers), except for a system admin, who gets 404 when asking by id and,
// since v2.7 (where an unknown name becomes project 0, on which the admin
// may do everything), by name too. Callers hold s.mu.
func (s *Server) lookupProject(w http.ResponseWriter, r *http.Request) *project {
	v := r.PathValue("project")
	p := s.projectByNameOrID(r, v)
	pr := principalOf(r)
	if p == nil {
		_, err := strconv.ParseInt(v, 10, 64)
		byID := err == nil && r.Header.Get("X-Is-Resource-Name") != "true"
		if (byID || s.atLeast(2, 7)) && pr != nil && pr.admin {
			writeError(w, http.StatusNotFound, codeNotFound, "project %s not found", v)
			return nil
		}
		deny(w, pr)
		return nil
	}
	if !pr.canSee(p) {
		deny(w, pr)
		return nil
	}
	return p
}

type projectReq struct {
	ProjectName  *string           `json:"project_name"`
	Public       *bool             `json:"public"`
	Metadata     map[string]string `json:"metadata"`
	StorageLimit *int64            `json:"storage_limit"`
	RegistryID   *int64            `json:"registry_id"`
}

var boolMetadata = map[string]bool{"public": true, "enable_content_trust": true, "enable_content_trust_cosign": true,
	"prevent_vul": true, "auto_scan": true, "auto_sbom_generation": true, "reuse_sys_cve_allowlist": true}

var severities = []string{"none", "unknown", "negligible", "low", "medium", "high", "critical"}

func validateMetadata(md map[string]string) error {
	for k, v := range md {
		switch {
		case boolMetadata[k]:
			if v != "true" && v != "false" {
				return fmt.Errorf("invalid value %q of metadata %s: must be \"true\" or \"false\"", v, k)
			}
		case k == "severity":
			if !slices.Contains(severities, strings.ToLower(v)) {
				return fmt.Errorf("invalid severity %q", v)
			}
		case k == "retention_id", k == "proxy_speed_kb", k == "max_upstream_conn":
			if _, err := strconv.Atoi(v); err != nil {
				return fmt.Errorf("invalid value %q of metadata %s: must be an integer", v, k)
			}
		}
	}
	return nil
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	q, ok := parseQuery(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("name")
	public := r.URL.Query().Get("public")
	owner := r.URL.Query().Get("owner")
	pr := principalOf(r)
	s.mu.Lock()
	var out []projectJSON
	for _, p := range s.sortedProjects() {
		if !pr.canSee(p) || !q.match("name", p.name) || (name != "" && !strings.Contains(p.name, name)) {
			continue
		}
		if (public != "" && strconv.FormatBool(p.public()) != public) || (owner != "" && owner != p.ownerName) {
			continue
		}
		if v, ok := q["public"]; ok && strconv.FormatBool(p.public()) != v.value {
			continue
		}
		out = append(out, s.projectJSON(p))
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

func (s *Server) sortedProjects() []*project {
	ps := make([]*project, 0, len(s.projects))
	for _, p := range s.projects {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	return ps
}

func (s *Server) headProject(w http.ResponseWriter, r *http.Request) {
	pr := principalOf(r)
	if pr == nil {
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "UnAuthorized")
		return
	}
	name := r.URL.Query().Get("project_name")
	if name == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "project_name in query is required")
		return
	}
	s.mu.Lock()
	p := s.projectByName(name)
	s.mu.Unlock()
	if p == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "project %s not found", name)
		return
	}
	writeOK(w)
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	pr := principalOf(r)
	if pr == nil {
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "UnAuthorized")
		return
	}
	if !pr.can("system", "/", "project", "create") {
		deny(w, pr)
		return
	}
	var req projectReq
	if !decode(w, r, &req) {
		return
	}
	name := ""
	if req.ProjectName != nil {
		name = *req.ProjectName
	}
	if len(name) > 255 {
		writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "project_name in body should be at most 255 chars long")
		return
	}
	if len(name) < 1 {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Project name %s is illegal in length. (greater than 255 or less than 1)", name)
		return
	}
	if !projectNameRe.MatchString(name) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "project name is not in lower case or contains illegal characters")
		return
	}
	md := map[string]string{}
	for k, v := range req.Metadata {
		md[k] = v
	}
	if req.Public != nil {
		md["public"] = strconv.FormatBool(*req.Public)
	}
	if md["public"] == "" {
		md["public"] = "false"
	}
	if err := validateMetadata(md); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
		return
	}
	limit := int64(-1)
	if req.StorageLimit != nil {
		limit = *req.StorageLimit
		if limit != -1 && limit <= 0 {
			writeError(w, http.StatusBadRequest, codeBadRequest, "invalid storage limit %d: must be -1 (unlimited) or greater than 0", limit)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var regID int64
	if req.RegistryID != nil && *req.RegistryID != 0 {
		regID = *req.RegistryID
		if s.registries[regID] == nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "registry %d not found", regID)
			return
		}
	}
	if s.projectByName(name) != nil {
		writeError(w, http.StatusConflict, codeConflict, "The project named %s already exists", name)
		return
	}
	now := s.now()
	p := &project{id: s.newID("project"), name: name, ownerID: s.users[s.opts.AdminUsername], ownerName: s.opts.AdminUsername,
		registryID: regID, storageLimit: limit, metadata: md, created: now, updated: now}
	if pr.robot == nil {
		// A user owns the project it creates and is its project admin; a
		// robot's project is owned by the admin.
		p.ownerID, p.ownerName = pr.userID, pr.name
		p.members = append(p.members, &member{id: s.newID("member"), entityID: p.ownerID, entityName: p.ownerName, entityType: "u", roleID: 1})
	}
	s.projects[p.id] = p
	if r.Header.Get("X-Resource-Name-In-Location") == "true" {
		writeCreated(w, r, url.PathEscape(name))
		return
	}
	writeCreated(w, r, strconv.FormatInt(p.id, 10))
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProject(w, r)
	if p == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.projectJSON(p))
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request) {
	var req projectReq
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProject(w, r)
	if p == nil {
		return
	}
	if !principalOf(r).can("project", p.name, "project", "update") {
		deny(w, principalOf(r))
		return
	}
	md := map[string]string{}
	for k, v := range p.metadata {
		md[k] = v
	}
	for k, v := range req.Metadata {
		md[k] = v
	}
	if req.Public != nil {
		md["public"] = strconv.FormatBool(*req.Public)
	}
	if err := validateMetadata(md); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
		return
	}
	if req.StorageLimit != nil {
		if l := *req.StorageLimit; l != -1 && l <= 0 {
			writeError(w, http.StatusBadRequest, codeBadRequest, "invalid storage limit %d: must be -1 (unlimited) or greater than 0", l)
			return
		}
		p.storageLimit = *req.StorageLimit
	}
	// Harbor ignores project_name on update: a project cannot be renamed.
	p.metadata = md
	p.updated = s.now()
	writeOK(w)
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProject(w, r)
	if p == nil {
		return
	}
	if !principalOf(r).can("project", p.name, "project", "delete") {
		deny(w, principalOf(r))
		return
	}
	if n := len(s.repositories(p.id)); n > 0 {
		writeError(w, http.StatusPreconditionFailed, codePrecondition, "the project %s contains %d repositories and cannot be deleted", p.name, n)
		return
	}
	for id, rb := range s.robots {
		if rb.projectID == p.id {
			delete(s.robots, id)
		}
	}
	delete(s.projects, p.id)
	writeOK(w)
}

// ---- members

type memberJSON struct {
	ID         int64  `json:"id"`
	ProjectID  int64  `json:"project_id"`
	EntityName string `json:"entity_name"`
	RoleName   string `json:"role_name"`
	RoleID     int    `json:"role_id"`
	EntityID   int64  `json:"entity_id"`
	EntityType string `json:"entity_type"`
}

func memberOut(p *project, m *member) memberJSON {
	return memberJSON{ID: m.id, ProjectID: p.id, EntityName: m.entityName, RoleName: roleNames[m.roleID],
		RoleID: m.roleID, EntityID: m.entityID, EntityType: m.entityType}
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.lookupProject(w, r)
	if p == nil {
		s.mu.Unlock()
		return
	}
	if !principalOf(r).can("project", p.name, "member", "list") {
		s.mu.Unlock()
		deny(w, principalOf(r))
		return
	}
	name := r.URL.Query().Get("entityname")
	var out []memberJSON
	for _, m := range p.members {
		if name == "" || strings.Contains(m.entityName, name) {
			out = append(out, memberOut(p, m))
		}
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

type memberReq struct {
	RoleID     int `json:"role_id"`
	MemberUser *struct {
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
	} `json:"member_user"`
	MemberGroup *struct {
		ID          int64  `json:"id"`
		GroupName   string `json:"group_name"`
		LDAPGroupDN string `json:"ldap_group_dn"`
	} `json:"member_group"`
}

func (s *Server) createMember(w http.ResponseWriter, r *http.Request) {
	var req memberReq
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProject(w, r)
	if p == nil {
		return
	}
	if !principalOf(r).can("project", p.name, "member", "create") {
		deny(w, principalOf(r))
		return
	}
	if _, ok := roleNames[req.RoleID]; !ok {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Failed to update project member, role is not in 1,2,3,4,5, role:%d", req.RoleID)
		return
	}
	if req.MemberGroup != nil && req.MemberUser == nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "group members need an LDAP, HTTP or OIDC group, which this Harbor (database authentication) has none of")
		return
	}
	if req.MemberUser == nil || (req.MemberUser.UserID == 0 && req.MemberUser.Username == "") {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Can not set member_user and member_group both empty")
		return
	}
	var uid int64
	var uname string
	for n, id := range s.users {
		if (req.MemberUser.UserID != 0 && id == req.MemberUser.UserID) || (req.MemberUser.UserID == 0 && n == req.MemberUser.Username) {
			uid, uname = id, n
		}
	}
	switch {
	case uid == 0 && req.MemberUser.UserID > 0:
		// The member controller's Create: an unknown user id is a 400.
		writeError(w, http.StatusBadRequest, codeBadRequest, "Failed to get user %d: user %d not found", req.MemberUser.UserID, req.MemberUser.UserID)
		return
	case uid == 0:
		// By name the user is searched and on-boarded, which fails with 404.
		writeError(w, http.StatusNotFound, codeNotFound, "user %s is not found", req.MemberUser.Username)
		return
	}
	for _, m := range p.members {
		if m.entityType == "u" && m.entityID == uid {
			writeError(w, http.StatusConflict, codeConflict, "The member already exists")
			return
		}
	}
	m := &member{id: s.newID("member"), entityID: uid, entityName: uname, entityType: "u", roleID: req.RoleID}
	p.members = append(p.members, m)
	writeCreated(w, r, strconv.FormatInt(m.id, 10))
}

// lookupMember finds the member of the path; callers hold s.mu.
func (s *Server) lookupMember(w http.ResponseWriter, r *http.Request, action string) (*project, *member) {
	p := s.lookupProject(w, r)
	if p == nil {
		return nil, nil
	}
	if !principalOf(r).can("project", p.name, "member", action) {
		deny(w, principalOf(r))
		return nil, nil
	}
	mid, ok := pathID(w, r, "mid")
	if !ok {
		return nil, nil
	}
	for _, m := range p.members {
		if m.id == mid {
			return p, m
		}
	}
	writeError(w, http.StatusNotFound, codeNotFound, "project member %d not found in project %s", mid, p.name)
	return nil, nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, m := s.lookupMember(w, r, "read"); m != nil {
		writeJSON(w, http.StatusOK, memberOut(p, m))
	}
}

func (s *Server) updateMember(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RoleID int `json:"role_id"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m := s.lookupMember(w, r, "update")
	if m == nil {
		return
	}
	if _, ok := roleNames[req.RoleID]; !ok {
		writeError(w, http.StatusBadRequest, codeBadRequest, "Failed to update project member, role is not in 1,2,3,4,5, role:%d", req.RoleID)
		return
	}
	m.roleID = req.RoleID
	writeOK(w)
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, m := s.lookupMember(w, r, "delete")
	if m == nil {
		return
	}
	p.members = slices.DeleteFunc(p.members, func(x *member) bool { return x == m })
	writeOK(w)
}
