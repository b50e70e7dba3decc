package bitbucketsim

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

type project struct {
	uuid, key, name, description string
	private                      bool
	created, updated             time.Time
	seq                          int64
	perms                        permissions
}

func (p *project) order() int64 { return p.seq }

// projectKeyPattern is Bitbucket Cloud's rule: a letter, then ASCII
// letters, digits and underscores.
var projectKeyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

const projectKeyMessage = "Project keys must start with a letter and may only consist of ASCII letters, numbers and underscores (A-Z, a-z, 0-9, _)."

// projectBody is the body of a project create or update.
type projectBody struct {
	Key         *string `json:"key"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	IsPrivate   *bool   `json:"is_private"`
}

func (s *Server) projectJSON(r *http.Request, ws *workspace, p *project) map[string]any {
	base := s.baseURL(r)
	hasPublic := false
	for _, rp := range ws.repos {
		if rp.projectKey == p.key && !rp.private {
			hasPublic = true
		}
	}
	return map[string]any{
		"type": "project", "uuid": p.uuid, "key": p.key, "name": p.name, "description": p.description,
		"is_private": p.private, "created_on": p.created, "updated_on": p.updated,
		"has_publicly_visible_repos": hasPublic,
		"owner":                      map[string]any{"type": "team", "uuid": ws.uuid, "username": ws.slug, "display_name": ws.name},
		"links": map[string]any{
			"self":   link(base + apiPrefix + "/workspaces/" + ws.slug + "/projects/" + p.key),
			"html":   link(base + "/" + ws.slug + "/workspace/projects/" + p.key),
			"avatar": link(base + "/account/user/" + ws.slug + "/projects/" + p.key + "/avatar/32"),
		},
	}
}

// findProject looks a project up by key (any case) or {uuid}; the caller
// holds s.mu.
func findProject(ws *workspace, key string) *project {
	if p, ok := ws.projects[strings.ToUpper(key)]; ok {
		return p
	}
	for _, p := range ws.projects {
		if strings.EqualFold(p.uuid, key) {
			return p
		}
	}
	return nil
}

// projectFor answers 404 unless the workspace and project of the path
// exist; the caller holds s.mu.
func (s *Server) projectFor(w http.ResponseWriter, r *http.Request) (*workspace, *project) {
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return nil, nil
	}
	p := findProject(ws, r.PathValue("project_key"))
	if p == nil {
		writeError(w, http.StatusNotFound, "Project %s not found in workspace %s", r.PathValue("project_key"), ws.slug)
		return nil, nil
	}
	return ws, p
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	ps := sortedBySeq(ws.projects)
	values := make([]any, 0, len(ps))
	for _, p := range ps {
		values = append(values, s.projectJSON(r, ws, p))
	}
	s.paginate(w, r, values)
}

// validateProject checks a create (key and name required) or an update.
func validateProject(b projectBody, create bool) map[string][]string {
	fields := map[string][]string{}
	if create && (b.Key == nil || *b.Key == "") {
		fields["key"] = append(fields["key"], "This field is required.")
	}
	if b.Key != nil && *b.Key != "" && !projectKeyPattern.MatchString(*b.Key) {
		fields["key"] = append(fields["key"], projectKeyMessage)
	}
	if create && (b.Name == nil || strings.TrimSpace(*b.Name) == "") {
		fields["name"] = append(fields["name"], "This field is required.")
	}
	if b.Name != nil && len(*b.Name) > 255 {
		fields["name"] = append(fields["name"], "Ensure this value has at most 255 characters.")
	}
	if len(fields) == 0 {
		return nil
	}
	return fields
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var b projectBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	s.putNewProject(w, r, ws, b, http.StatusCreated)
}

// putNewProject creates a project from a validated-or-not body and answers
// status; the caller holds s.mu.
func (s *Server) putNewProject(w http.ResponseWriter, r *http.Request, ws *workspace, b projectBody, status int) {
	if fields := validateProject(b, true); fields != nil {
		writeFieldError(w, "Bad request", fields)
		return
	}
	key := strings.ToUpper(*b.Key)
	if _, ok := ws.projects[key]; ok {
		writeFieldError(w, "Bad request", map[string][]string{"__all__": {"Project with this Owner and Key already exists."}})
		return
	}
	now := s.now()
	p := &project{uuid: s.newUUID(), key: key, name: *b.Name, private: true, created: now, updated: now, seq: s.nextSeq(), perms: newPermissions()}
	if b.Description != nil {
		p.description = *b.Description
	}
	if b.IsPrivate != nil {
		p.private = *b.IsPrivate
	}
	ws.projects[key] = p
	out := s.projectJSON(r, ws, p)
	w.Header().Set("Location", s.baseURL(r)+apiPrefix+"/workspaces/"+ws.slug+"/projects/"+key)
	writeJSON(w, status, out)
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ws, p := s.projectFor(w, r); p != nil {
		writeJSON(w, http.StatusOK, s.projectJSON(r, ws, p))
	}
}

// putProject updates a project, or creates it (201) at a key that is free.
func (s *Server) putProject(w http.ResponseWriter, r *http.Request) {
	var b projectBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	p := findProject(ws, r.PathValue("project_key"))
	if p == nil {
		if b.Key == nil || *b.Key == "" {
			k := r.PathValue("project_key")
			b.Key = &k
		}
		s.putNewProject(w, r, ws, b, http.StatusCreated)
		return
	}
	if fields := validateProject(b, false); fields != nil {
		writeFieldError(w, "Bad request", fields)
		return
	}
	if b.IsPrivate != nil && *b.IsPrivate && !p.private {
		for _, rp := range ws.repos {
			if rp.projectKey == p.key && !rp.private {
				writeFieldError(w, "Bad request", map[string][]string{"is_private": {"A private project cannot contain public repositories."}})
				return
			}
		}
	}
	if b.Key != nil && *b.Key != "" && strings.ToUpper(*b.Key) != p.key {
		newKey := strings.ToUpper(*b.Key)
		if _, taken := ws.projects[newKey]; taken {
			writeFieldError(w, "Bad request", map[string][]string{"__all__": {"Project with this Owner and Key already exists."}})
			return
		}
		delete(ws.projects, p.key)
		for _, rp := range ws.repos {
			if rp.projectKey == p.key {
				rp.projectKey = newKey
			}
		}
		p.key = newKey
		ws.projects[newKey] = p
		w.Header().Set("Location", s.baseURL(r)+apiPrefix+"/workspaces/"+ws.slug+"/projects/"+newKey)
	}
	if b.Name != nil && strings.TrimSpace(*b.Name) != "" {
		p.name = *b.Name
	}
	if b.Description != nil {
		p.description = *b.Description
	}
	if b.IsPrivate != nil {
		p.private = *b.IsPrivate
	}
	p.updated = s.now()
	writeJSON(w, http.StatusOK, s.projectJSON(r, ws, p))
}

// deleteProject deletes an empty project; one that still holds
// repositories is refused with 403, as Bitbucket Cloud does.
func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, p := s.projectFor(w, r)
	if p == nil {
		return
	}
	var repos []string
	for _, rp := range ws.repos {
		if rp.projectKey == p.key {
			repos = append(repos, rp.slug)
		}
	}
	if len(repos) > 0 {
		sort.Strings(repos)
		writeError(w, http.StatusForbidden, "You cannot delete a project that still contains repositories (%s). Delete or transfer the repositories first.", strings.Join(repos, ", "))
		return
	}
	delete(ws.projects, p.key)
	w.WriteHeader(http.StatusNoContent)
}
