package harborsim

import (
	"crypto/rand"
	"net/http"
	"regexp"
	"sort"
	"strconv"
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

func (s *Server) createRobot(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "robot", "create") {
		return
	}
	var req struct {
		Name        string           `json:"name"`
		Description string           `json:"description"`
		Level       string           `json:"level"`
		Disable     bool             `json:"disable"`
		Duration    *int64           `json:"duration"`
		Permissions []permissionJSON `json:"permissions"`
	}
	if !decode(w, r, &req) {
		return
	}
	bad := func(format string, args ...any) {
		writeError(w, http.StatusBadRequest, codeBadRequest, format, args...)
	}
	if !robotNameRe.MatchString(req.Name) || len(req.Name) > 255 {
		bad("robot name is not in lower case or contains illegal characters")
		return
	}
	if req.Duration == nil || (*req.Duration != -1 && *req.Duration <= 0) {
		d := "nil"
		if req.Duration != nil {
			d = strconv.FormatInt(*req.Duration, 10)
		}
		bad("bad request error duration input: %s, duration must be either -1(Never) or a positive integer", d)
		return
	}
	if req.Level != "system" && req.Level != "project" {
		bad("bad request error level input: %s", req.Level)
		return
	}
	if len(req.Permissions) == 0 {
		bad("bad request empty permission")
		return
	}
	for _, p := range req.Permissions {
		if (p.Kind != "system" && p.Kind != "project") || (req.Level == "project" && p.Kind != "project") || len(p.Access) == 0 {
			bad("bad request permission")
			return
		}
	}
	if req.Level == "project" && len(req.Permissions) != 1 {
		bad("bad request permission: a project-level robot covers exactly one project")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rb := &robot{name: req.Name, description: req.Description, level: req.Level, disable: req.Disable,
		duration: *req.Duration, permissions: req.Permissions, secret: newSecret(), created: s.now()}
	rb.fullName = "robot$" + req.Name
	if req.Level == "project" {
		ns := req.Permissions[0].Namespace
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
		rb.expiresAt = rb.created.Add(time.Duration(rb.duration) * 24 * time.Hour).Unix()
	}
	rb.id = s.newID("robot")
	s.robots[rb.id] = rb
	w.Header().Set("Location", r.URL.Path+"/"+strconv.FormatInt(rb.id, 10))
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": rb.id, "name": rb.fullName, "secret": rb.secret, "creation_time": rb.created, "expires_at": rb.expiresAt,
	})
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
	if !requireSystem(w, r, "robot", "read") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rb := s.lookupRobot(w, r); rb != nil {
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
		"auth_mode": "db_auth", "primary_auth_mode": false, "self_registration": false, "has_ca_root": false,
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
		writeJSON(w, http.StatusOK, map[string]any{
			"user_id": s.users[s.opts.AdminUsername], "username": p.name, "realname": "system admin",
			"email": "admin@example.com", "sysadmin_flag": p.admin, "admin_role_in_auth": false,
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
	a("GET /projects/{project}/repositories/{repository}/artifacts", s.listArtifacts)
	a("GET /projects/{project}/repositories/{repository}/artifacts/{reference}", s.getArtifact)

	a("GET /registries", s.listRegistries)
	a("POST /registries", s.createRegistry)
	a("POST /registries/ping", s.pingRegistry)
	a("GET /registries/{id}", s.getRegistry)
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
