package bitbucketsim

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// User is an Atlassian account known to the simulator. Every user is a
// member of every workspace.
type User struct {
	AccountID   string `json:"account_id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
}

// Group is a workspace group of accounts, named as in the Atlassian
// administration; its slug is derived from the name.
type Group struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

type user struct {
	AccountID, UUID, DisplayName, Email, Nickname string
}

type group struct {
	name, slug string
	members    []string
	seq        int64
}

func (g *group) order() int64 { return g.seq }

type workspace struct {
	uuid, slug, name string
	owner            string              // account id
	groups           map[string]*group   // slug -> group
	projects         map[string]*project // upper-case key -> project
	repos            map[string]*repo    // slug -> repository
	hooks            map[string]*hook    // uuid -> workspace webhook
	created          time.Time
}

// accountIDPattern is what an account id may be: 1 to 128 characters
// that fit in a path segment (real ids look like 557058:<uuid>, or 24 hex
// digits for older accounts; the Jira simulator takes the same).
var accountIDPattern = regexp.MustCompile(`^[^\s/?#%]{1,128}$`)

// AddUser adds an account (or updates its name and email); it becomes a
// member of every workspace.
func (s *Server) AddUser(u User) error {
	if !accountIDPattern.MatchString(u.AccountID) {
		return fmt.Errorf("invalid account id %q: want 1 to 128 characters without spaces, '/', '?', '#' or '%%'", u.AccountID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.users[u.AccountID]; ok {
		old.DisplayName, old.Email = u.DisplayName, u.Email
		return nil
	}
	nick := u.DisplayName
	if i := strings.IndexByte(u.Email, '@'); i > 0 {
		nick = u.Email[:i]
	}
	s.users[u.AccountID] = &user{AccountID: u.AccountID, UUID: s.newUUID(), DisplayName: u.DisplayName, Email: u.Email, Nickname: nick}
	return nil
}

// AddGroup adds a group to every workspace (or replaces its members); the
// members must be known accounts.
func (s *Server) AddGroup(g Group) error {
	slug := slugify(g.Name)
	if slug == "" {
		return fmt.Errorf("invalid group name %q", g.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range g.Members {
		if _, ok := s.users[m]; !ok {
			return fmt.Errorf("unknown account %q in group %q", m, g.Name)
		}
	}
	for _, ws := range s.workspaces {
		if old, ok := ws.groups[slug]; ok {
			old.members = append([]string(nil), g.Members...)
			continue
		}
		ws.groups[slug] = &group{name: g.Name, slug: slug, members: append([]string(nil), g.Members...), seq: s.nextSeq()}
	}
	return nil
}

// GroupSlug returns the slug Bitbucket derives from a group name.
func GroupSlug(name string) string { return slugify(name) }

var nonSlug = regexp.MustCompile(`[^a-z0-9_]+`)

func slugify(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// ---- sandbox endpoints

func (s *Server) postSandboxUser(w http.ResponseWriter, r *http.Request) {
	var u User
	if !decode(w, r, &u) {
		return
	}
	if err := s.AddUser(u); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) postSandboxGroup(w http.ResponseWriter, r *http.Request) {
	var g Group
	if !decode(w, r, &g) {
		return
	}
	if err := s.AddGroup(g); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

// ---- accounts and workspaces

func (s *Server) userJSON(r *http.Request, u *user) map[string]any {
	return map[string]any{
		"type": "user", "account_id": u.AccountID, "uuid": u.UUID, "display_name": u.DisplayName,
		"nickname": u.Nickname, "account_status": "active",
		"links": map[string]any{"self": link(s.baseURL(r) + apiPrefix + "/users/" + u.AccountID)},
	}
}

func (s *Server) workspaceJSON(r *http.Request, ws *workspace) map[string]any {
	base := s.baseURL(r) + apiPrefix + "/workspaces/" + ws.slug
	return map[string]any{
		"type": "workspace", "uuid": ws.uuid, "slug": ws.slug, "name": ws.name, "is_private": true,
		"created_on": ws.created,
		"links": map[string]any{
			"self": link(base), "html": link(s.baseURL(r) + "/" + ws.slug + "/"),
			"members": link(base + "/members"), "projects": link(base + "/projects"),
			"repositories": link(s.baseURL(r) + apiPrefix + "/repositories/" + ws.slug),
		},
	}
}

func (s *Server) groupJSON(r *http.Request, ws *workspace, g *group) map[string]any {
	return map[string]any{"type": "group", "name": g.name, "slug": g.slug, "full_slug": ws.slug + ":" + g.slug}
}

// findUser looks an account up by account id or {uuid}; the caller holds s.mu.
func (s *Server) findUser(id string) *user {
	if u, ok := s.users[id]; ok {
		return u
	}
	for _, u := range s.users {
		if strings.EqualFold(u.UUID, id) {
			return u
		}
	}
	return nil
}

// findWorkspace looks a workspace up by slug or {uuid}, answering 404 when
// there is none; the caller holds s.mu.
func (s *Server) findWorkspace(w http.ResponseWriter, id string) *workspace {
	if ws, ok := s.workspaces[strings.ToLower(id)]; ok {
		return ws
	}
	for _, ws := range s.workspaces {
		if strings.EqualFold(ws.uuid, id) {
			return ws
		}
	}
	writeError(w, http.StatusNotFound, "No workspace with identifier '%s'.", id)
	return nil
}

func (s *Server) getCurrentUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.userJSON(r, s.users[AdminAccountID]))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findUser(r.PathValue("selected_user"))
	if u == nil {
		writeError(w, http.StatusNotFound, "%s is not a valid user", r.PathValue("selected_user"))
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(r, u))
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ws := s.findWorkspace(w, r.PathValue("workspace")); ws != nil {
		writeJSON(w, http.StatusOK, s.workspaceJSON(r, ws))
	}
}

func (s *Server) membershipJSON(r *http.Request, ws *workspace, u *user) map[string]any {
	return map[string]any{
		"type": "workspace_membership", "user": s.userJSON(r, u), "workspace": s.workspaceJSON(r, ws),
		"links": map[string]any{"self": link(s.baseURL(r) + apiPrefix + "/workspaces/" + ws.slug + "/members/" + u.AccountID)},
	}
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	sortStrings(ids)
	values := make([]any, 0, len(ids))
	for _, id := range ids {
		values = append(values, s.membershipJSON(r, ws, s.users[id]))
	}
	s.paginate(w, r, values)
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	u := s.findUser(r.PathValue("member"))
	if u == nil {
		writeError(w, http.StatusNotFound, "%s is not a member of %s", r.PathValue("member"), ws.slug)
		return
	}
	writeJSON(w, http.StatusOK, s.membershipJSON(r, ws, u))
}

// getSandboxFaults answers what the fault injector did so far.
func (s *Server) getSandboxFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.FaultStats())
}

// postSandboxFaults replaces the fault configuration (a Faults in JSON,
// Go field names; {} turns injection off), for tests in other processes.
func (s *Server) postSandboxFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if !decode(w, r, &f) {
		return
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.LostResponseRate < 0 || f.LostResponseRate > 1 || f.DelayRate < 0 || f.DelayRate > 1 {
		writeError(w, http.StatusBadRequest, "rates must be between 0 and 1")
		return
	}
	s.SetFaults(f)
	w.WriteHeader(http.StatusNoContent)
}
