package harborsim

import (
	"crypto/rand"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// robotNameRe is Harbor's rule for robot names (before the robot$ prefix).
var robotNameRe = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

type accessJSON struct {
	Resource string `json:"resource"`
	Action   string `json:"action"`
	Effect   string `json:"effect,omitempty"`
}

type permissionJSON struct {
	Kind      string       `json:"kind"`
	Namespace string       `json:"namespace"`
	Access    []accessJSON `json:"access"`
}

type robot struct {
	id          int64
	name        string // as given
	fullName    string // robot$name or robot$project+name
	description string
	level       string
	projectID   int64
	duration    int64
	disable     bool
	expiresAt   int64
	permissions []permissionJSON
	secret      string
	created     time.Time
}

func (rb *robot) expired(now time.Time) bool {
	return rb.expiresAt > 0 && now.Unix() >= rb.expiresAt
}

type robotJSON struct {
	ID           int64            `json:"id"`
	Name         string           `json:"name"`
	Description  string           `json:"description"`
	Level        string           `json:"level"`
	Duration     int64            `json:"duration"`
	Editable     bool             `json:"editable"`
	Disable      bool             `json:"disable"`
	ExpiresAt    int64            `json:"expires_at"`
	Permissions  []permissionJSON `json:"permissions"`
	CreationTime time.Time        `json:"creation_time"`
}

func robotOut(rb *robot) robotJSON {
	return robotJSON{ID: rb.id, Name: rb.fullName, Description: rb.description, Level: rb.level, Duration: rb.duration,
		Editable: true, Disable: rb.disable, ExpiresAt: rb.expiresAt, Permissions: rb.permissions, CreationTime: rb.created}
}

func newSecret() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// robotReq is the body of POST /robots and PUT /robots/{id} (RobotCreate).
type robotReq struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Level       string           `json:"level"`
	Disable     bool             `json:"disable"`
	Duration    *int64           `json:"duration"`
	Permissions []permissionJSON `json:"permissions"`
}

// validateRobot is the robot handler's validate (src/server/v2.0/handler/
// robot.go): duration, level, permissions, and from v2.10 every access
// against the permissions Harbor knows. It answers 400 itself.
func (s *Server) validateRobot(w http.ResponseWriter, duration int64, level string, perms []permissionJSON) bool {
	bad := func(format string, args ...any) bool {
		writeError(w, http.StatusBadRequest, codeBadRequest, format, args...)
		return false
	}
	if duration != -1 && (duration <= 0 || duration >= math.MaxInt32) {
		return bad("bad request error duration input: %d, duration must be either -1(Never) or a positive integer", duration)
	}
	if level != "system" && level != "project" {
		return bad("bad request error level input: %s", level)
	}
	if len(perms) == 0 {
		return bad("bad request empty permission")
	}
	for _, p := range perms {
		if len(p.Access) == 0 {
			return bad("bad request empty access")
		}
	}
	if level == "project" && len(perms) > 1 {
		return bad("bad request permission")
	}
	for _, p := range perms {
		if p.Kind != "system" && p.Kind != "project" {
			if s.atLeast(2, 10) {
				return bad("bad request permission level: %s", p.Kind)
			}
			continue
		}
		for _, a := range p.Access {
			switch {
			case s.atLeast(2, 10) && !knownAccess(p.Kind, a.Resource, a.Action):
				return bad("bad request permission: %s:%s", a.Resource, a.Action)
			case !s.atLeast(2, 10) && p.Kind == "system" && replicationResources[a.Resource]:
				return bad("bad request permission: %s:%s", a.Resource, a.Action)
			}
		}
	}
	return true
}

// requireRobotAccess is the handler's requireAccess: system robots need the
// system robot permission, project robots the project's. Callers hold s.mu.
func (s *Server) requireRobotAccess(w http.ResponseWriter, r *http.Request, level, projectName, action string) bool {
	p := principalOf(r)
	if level == "project" {
		if p.can("project", projectName, "robot", action) {
			return true
		}
	} else if p.can("system", "/", "robot", action) {
		return true
	}
	deny(w, p)
	return false
}

func (s *Server) createRobot(w http.ResponseWriter, r *http.Request) {
	var req robotReq
	if !decode(w, r, &req) {
		return
	}
	if req.Duration == nil {
		// Optional in the spec: 0, which the handler refuses.
		req.Duration = new(int64)
	}
	if !robotNameRe.MatchString(req.Name) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "robot name is not in lower case or contains illegal characters")
		return
	}
	if !s.validateRobot(w, *req.Duration, req.Level, req.Permissions) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := req.Permissions[0].Namespace
	if !s.requireRobotAccess(w, r, req.Level, ns, "create") {
		return
	}
	rb := &robot{name: req.Name, description: req.Description, level: req.Level, disable: req.Disable,
		duration: *req.Duration, permissions: req.Permissions, secret: newSecret(), created: s.now()}
	rb.fullName = "robot$" + req.Name
	if req.Level == "project" {
		p := s.projectByName(ns)
		if p == nil {
			writeError(w, http.StatusNotFound, codeNotFound, "project %s not found", ns)
			return
		}
		rb.projectID = p.id
		rb.fullName = "robot$" + p.name + "+" + req.Name
	}
	for _, other := range s.robots {
		if other.fullName == rb.fullName {
			writeError(w, http.StatusConflict, codeConflict, "robot account %s already exists", rb.fullName)
			return
		}
	}
	rb.expiresAt = -1
	if rb.duration > 0 {
		rb.expiresAt = rb.created.AddDate(0, 0, int(rb.duration)).Unix()
	}
	rb.id = s.newID("robot")
	s.robots[rb.id] = rb
	w.Header().Set("Location", r.URL.Path+"/"+strconv.FormatInt(rb.id, 10))
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": rb.id, "name": rb.fullName, "secret": rb.secret, "creation_time": rb.created, "expires_at": rb.expiresAt,
	})
}

// updateRobot is PUT /robots/{robot_id} (updateV2Robot): the whole robot
// but its name, level and project, which must stay (400 otherwise); a
// missing duration keeps the robot's.
func (s *Server) updateRobot(w http.ResponseWriter, r *http.Request) {
	if principalOf(r) == nil {
		deny(w, nil)
		return
	}
	var req robotReq
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rb := s.lookupRobot(w, r)
	if rb == nil {
		return
	}
	duration := rb.duration
	if req.Duration != nil {
		duration = *req.Duration
	}
	if !s.validateRobot(w, duration, req.Level, req.Permissions) {
		return
	}
	ns := req.Permissions[0].Namespace
	if rb.level != "system" {
		p := s.projectByName(ns)
		if p == nil {
			writeError(w, http.StatusNotFound, codeNotFound, "project %s not found", ns)
			return
		}
		if p.id != rb.projectID {
			writeError(w, http.StatusBadRequest, codeBadRequest, "cannot update the project id of robot")
			return
		}
	}
	if !s.requireRobotAccess(w, r, rb.level, ns, "update") {
		return
	}
	if req.Level != rb.level || req.Name != rb.fullName {
		writeError(w, http.StatusBadRequest, codeBadRequest, "cannot update the level or name of robot")
		return
	}
	if duration != rb.duration {
		rb.duration = duration
		rb.expiresAt = -1
		if duration != -1 {
			rb.expiresAt = rb.created.AddDate(0, 0, int(duration)).Unix()
		}
	}
	rb.description, rb.disable, rb.permissions = req.Description, req.Disable, req.Permissions
	writeOK(w)
}

// validSecret is the robot controller's IsValidSec and the user handler's
// requireValidSecret: 8 to 128 characters with an upper-case letter, a
// lower-case letter and a digit.
func validSecret(v string) bool {
	return len(v) >= 8 && len(v) <= 128 && strings.ContainsAny(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
		strings.ContainsAny(v, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(v, "0123456789")
}

// refreshRobotSecret is PATCH /robots/{robot_id} (RefreshSec): the secret
// sent, or a new one that the answer carries when none is sent.
func (s *Server) refreshRobotSecret(w http.ResponseWriter, r *http.Request) {
	if principalOf(r) == nil {
		deny(w, nil)
		return
	}
	var req struct {
		Secret string `json:"secret"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rb := s.lookupRobot(w, r)
	if rb == nil {
		return
	}
	projectName := ""
	if p := s.projects[rb.projectID]; p != nil {
		projectName = p.name
	}
	if !s.requireRobotAccess(w, r, rb.level, projectName, "update") {
		return
	}
	out := map[string]string{}
	if req.Secret != "" {
		if !validSecret(req.Secret) {
			writeError(w, http.StatusBadRequest, codeBadRequest, "the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number")
			return
		}
		rb.secret = req.Secret
	} else {
		rb.secret = newSecret()
		out["secret"] = rb.secret
	}
	writeJSON(w, http.StatusOK, out)
}

// updateUserPassword is PUT /users/{user_id}/password (UpdateUserPassword):
// the admin may set anyone's password in db_auth mode, and only its own in
// other modes; changing one's own password needs the old one (403 when
// wrong). The new one must meet Harbor's rule (400) and differ (400).
func (s *Server) updateUserPassword(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	if p == nil {
		deny(w, nil)
		return
	}
	uid, ok := pathID(w, r, "user_id")
	if !ok {
		return
	}
	var req struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	self := p.robot == nil && p.userID == uid
	modifiable := (s.opts.AuthMode == AuthModeDB && (p.admin || self)) || (uid == 1 && p.admin)
	if !modifiable {
		writeError(w, http.StatusForbidden, codeForbidden, "User with ID %d can't be updated", uid)
		return
	}
	if self && !eq(req.OldPassword, s.passwords[p.name]) {
		writeError(w, http.StatusForbidden, codeForbidden, "Current password is incorrect")
		return
	}
	if !validSecret(req.NewPassword) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "the password or secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number")
		return
	}
	name := ""
	for n, id := range s.users {
		if id == uid {
			name = n
		}
	}
	if name == "" {
		writeError(w, http.StatusNotFound, codeNotFound, "user %d not found", uid)
		return
	}
	if eq(req.NewPassword, s.passwords[name]) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "New password is identical to old password")
		return
	}
	s.passwords[name] = req.NewPassword
	writeOK(w)
}

func (s *Server) listRobots(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "robot", "list") {
		return
	}
	q, ok := parseQuery(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	var rbs []*robot
	for _, rb := range s.robots {
		if q.match("Level", rb.level) && q.match("ProjectID", strconv.FormatInt(rb.projectID, 10)) && q.match("name", rb.fullName) {
			rbs = append(rbs, rb)
		}
	}
	sort.Slice(rbs, func(i, j int) bool { return rbs[i].id < rbs[j].id })
	out := make([]robotJSON, 0, len(rbs))
	for _, rb := range rbs {
		out = append(out, robotOut(rb))
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

func (s *Server) lookupRobot(w http.ResponseWriter, r *http.Request) *robot {
	id, ok := pathID(w, r, "robot_id")
	if !ok {
		return nil
	}
	rb := s.robots[id]
	if rb == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "robot %d not found", id)
	}
	return rb
}

func (s *Server) getRobot(w http.ResponseWriter, r *http.Request) {
	if principalOf(r) == nil {
		deny(w, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rb := s.lookupRobot(w, r)
	if rb == nil {
		return
	}
	projectName := ""
	if p := s.projects[rb.projectID]; p != nil {
		projectName = p.name
	}
	if s.requireRobotAccess(w, r, rb.level, projectName, "read") {
		writeJSON(w, http.StatusOK, robotOut(rb))
	}
}

func (s *Server) deleteRobot(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "robot", "delete") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rb := s.lookupRobot(w, r); rb != nil {
		delete(s.robots, rb.id)
		writeOK(w)
	}
}

// ---- system

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	comps := []map[string]string{}
	for _, c := range []string{"core", "database", "jobservice", "portal", "redis", "registry", "registryctl"} {
		comps = append(comps, map[string]string{"name": c, "status": "healthy"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "healthy", "components": comps})
}

// systemInfo answers anonymous callers without the version and registry
// URL, as Harbor does.
func (s *Server) systemInfo(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{
		"auth_mode": s.opts.AuthMode, "primary_auth_mode": false, "self_registration": false, "has_ca_root": false,
		"read_only": false, "notification_enable": true, "banner_message": "",
		"current_time": s.now(),
	}
	if principalOf(r) != nil {
		out["harbor_version"] = s.opts.Version
		out["external_url"] = s.opts.ExternalURL
		out["registry_url"] = s.opts.Registry.URL
		out["project_creation_restriction"] = "everyone"
		out["registry_storage_provider_name"] = "filesystem"
	}
	writeJSON(w, http.StatusOK, out)
}

// currentUser answers GET /users/current: the user behind the credentials;
// 401 for anonymous (or wrong credentials), 412 for robot accounts, which
// are not local users.
func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	switch {
	case p == nil:
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "UnAuthorized")
	case p.robot != nil:
		writeError(w, http.StatusPreconditionFailed, codePrecondition, "get current user not available for security context: robot")
	default:
		realname := p.name
		if p.admin {
			realname = "system admin"
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"user_id": p.userID, "username": p.name, "realname": realname,
			"email": p.name + "@example.com", "sysadmin_flag": p.admin, "admin_role_in_auth": false,
			"creation_time": time.Time{}, "update_time": time.Time{},
		})
	}
}

func (s *Server) routes() {
	m := s.mux
	a := func(pattern string, h http.HandlerFunc) {
		method, path, _ := cutSpace(pattern)
		m.HandleFunc(method+" "+apiPrefix+path, h)
	}
	a("GET /health", s.health)
	a("GET /systeminfo", s.systemInfo)
	a("GET /users/current", s.currentUser)

	a("GET /projects", s.listProjects)
	a("HEAD /projects", s.headProject)
	a("POST /projects", s.createProject)
	a("GET /projects/{project}", s.getProject)
	a("PUT /projects/{project}", s.updateProject)
	a("DELETE /projects/{project}", s.deleteProject)
	a("GET /projects/{project}/members", s.listMembers)
	a("POST /projects/{project}/members", s.createMember)
	a("GET /projects/{project}/members/{mid}", s.getMember)
	a("PUT /projects/{project}/members/{mid}", s.updateMember)
	a("DELETE /projects/{project}/members/{mid}", s.deleteMember)
	a("GET /projects/{project}/repositories", s.listRepositories)
	a("DELETE /projects/{project}/repositories/{repository}", s.deleteRepository)
	a("GET /projects/{project}/repositories/{repository}/artifacts", s.listArtifacts)
	a("GET /projects/{project}/repositories/{repository}/artifacts/{reference}", s.getArtifact)
	a("POST /projects/{project}/repositories/{repository}/artifacts/{reference}/scan", s.scanArtifact)
	a("GET /projects/{project}/repositories/{repository}/artifacts/{reference}/scan/{report_id}/log", s.getScanLog)
	a("GET /projects/{project}/repositories/{repository}/artifacts/{reference}/additions/vulnerabilities", s.getVulnerabilities)

	a("GET /registries", s.listRegistries)
	a("POST /registries", s.createRegistry)
	a("POST /registries/ping", s.pingRegistry)
	a("GET /registries/{id}", s.getRegistry)
	a("GET /registries/{id}/info", s.registryInfo)
	a("PUT /registries/{id}", s.updateRegistry)
	a("DELETE /registries/{id}", s.deleteRegistry)

	a("GET /replication/policies", s.listPolicies)
	a("POST /replication/policies", s.createPolicy)
	a("GET /replication/policies/{id}", s.getPolicy)
	a("PUT /replication/policies/{id}", s.updatePolicy)
	a("DELETE /replication/policies/{id}", s.deletePolicy)
	a("GET /replication/executions", s.listExecutions)
	a("POST /replication/executions", s.startExecution)
	a("GET /replication/executions/{id}", s.getExecution)
	a("PUT /replication/executions/{id}", s.stopExecution)
	a("GET /replication/executions/{id}/tasks", s.listTasks)
	a("GET /replication/executions/{id}/tasks/{task_id}/log", s.getTaskLog)

	a("GET /robots", s.listRobots)
	a("POST /robots", s.createRobot)
	a("GET /robots/{robot_id}", s.getRobot)
	a("PUT /robots/{robot_id}", s.updateRobot)
	a("PATCH /robots/{robot_id}", s.refreshRobotSecret)
	a("PUT /users/{user_id}/password", s.updateUserPassword)
	a("DELETE /robots/{robot_id}", s.deleteRobot)
}

func cutSpace(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}
