package bitbucketsim

import (
	"net/http"
	"sort"
)

// permissions are the explicit user and group permissions of a project or
// a repository.
type permissions struct {
	users  map[string]grant // account id -> grant
	groups map[string]grant // group slug -> grant
}

type grant struct {
	permission string
	seq        int64
}

func newPermissions() permissions {
	return permissions{users: map[string]grant{}, groups: map[string]grant{}}
}

// permTarget is what a permissions-config path names: a project or a
// repository, with what its answers need.
type permTarget struct {
	ws    *workspace
	perms *permissions
	kind  string // "project" or "repository"
	self  string // the permissions-config URL
	ref   map[string]any
	// allowed are the values a PUT may write.
	allowed map[string]bool
}

var (
	projectPermissionValues    = map[string]bool{"admin": true, "create-repo": true, "write": true, "read": true}
	repositoryPermissionValues = map[string]bool{"admin": true, "write": true, "read": true}
)

// projectTarget resolves the project of a permissions-config path; the
// caller holds s.mu.
func (s *Server) projectTarget(w http.ResponseWriter, r *http.Request) *permTarget {
	ws, p := s.projectFor(w, r)
	if p == nil {
		return nil
	}
	return &permTarget{ws: ws, perms: &p.perms, kind: "project", allowed: projectPermissionValues,
		self: s.baseURL(r) + apiPrefix + "/workspaces/" + ws.slug + "/projects/" + p.key + "/permissions-config",
		ref:  map[string]any{"type": "project", "key": p.key, "uuid": p.uuid, "name": p.name}}
}

// repoTarget resolves the repository of a permissions-config path; the
// caller holds s.mu.
func (s *Server) repoTarget(w http.ResponseWriter, r *http.Request) *permTarget {
	ws, rp := s.repoFor(w, r)
	if rp == nil {
		return nil
	}
	return &permTarget{ws: ws, perms: &rp.perms, kind: "repository", allowed: repositoryPermissionValues,
		self: s.baseURL(r) + apiPrefix + "/repositories/" + ws.slug + "/" + rp.slug + "/permissions-config",
		ref:  map[string]any{"type": "repository", "full_name": ws.slug + "/" + rp.slug, "name": rp.name, "uuid": rp.uuid}}
}

func (s *Server) userPermJSON(r *http.Request, t *permTarget, u *user, perm string) map[string]any {
	return map[string]any{
		"type": t.kind + "_user_permission", "permission": perm, "user": s.userJSON(r, u), t.kind: t.ref,
		"links": map[string]any{"self": link(t.self + "/users/" + u.AccountID)},
	}
}

func (s *Server) groupPermJSON(r *http.Request, t *permTarget, g *group, perm string) map[string]any {
	return map[string]any{
		"type": t.kind + "_group_permission", "permission": perm, "group": s.groupJSON(r, t.ws, g), t.kind: t.ref,
		"links": map[string]any{"self": link(t.self + "/groups/" + g.slug)},
	}
}

type resolver func(http.ResponseWriter, *http.Request) *permTarget

func (s *Server) listUserPerms(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		ids := make([]string, 0, len(t.perms.users))
		for id := range t.perms.users {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return t.perms.users[ids[i]].seq < t.perms.users[ids[j]].seq })
		values := make([]any, 0, len(ids))
		for _, id := range ids {
			values = append(values, s.userPermJSON(r, t, s.users[id], t.perms.users[id].permission))
		}
		s.paginate(w, r, values)
	}
}

// userFor resolves the selected user of a path, answering 404 when the
// account does not exist; the caller holds s.mu.
func (s *Server) userFor(w http.ResponseWriter, r *http.Request, t *permTarget) *user {
	u := s.findUser(r.PathValue("selected_user_id"))
	if u == nil {
		writeError(w, http.StatusNotFound, "User %s not found in workspace %s", r.PathValue("selected_user_id"), t.ws.slug)
	}
	return u
}

func (s *Server) getUserPerm(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		u := s.userFor(w, r, t)
		if u == nil {
			return
		}
		g, ok := t.perms.users[u.AccountID]
		if !ok {
			writeError(w, http.StatusNotFound, "No explicit permission for user %s on this %s", u.AccountID, t.kind)
			return
		}
		writeJSON(w, http.StatusOK, s.userPermJSON(r, t, u, g.permission))
	}
}

// readPermission decodes {"permission": ...} and checks it against the
// values the target allows, answering 400 otherwise.
func readPermission(w http.ResponseWriter, r *http.Request, t *permTarget) (string, bool) {
	var b struct {
		Permission *string `json:"permission"`
	}
	if !decode(w, r, &b) {
		return "", false
	}
	if b.Permission == nil || *b.Permission == "" {
		writeError(w, http.StatusBadRequest, "No permission value was provided")
		return "", false
	}
	if !t.allowed[*b.Permission] {
		writeError(w, http.StatusBadRequest, "'%s' is not a valid permission for a %s", *b.Permission, t.kind)
		return "", false
	}
	return *b.Permission, true
}

func (s *Server) putUserPerm(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		u := s.userFor(w, r, t)
		if u == nil {
			return
		}
		if u.AccountID == t.ws.owner {
			writeError(w, http.StatusBadRequest, "Cannot change the permission of the workspace owner")
			return
		}
		perm, ok := readPermission(w, r, t)
		if !ok {
			return
		}
		g, exists := t.perms.users[u.AccountID]
		if !exists {
			g.seq = s.nextSeq()
		}
		g.permission = perm
		t.perms.users[u.AccountID] = g
		writeJSON(w, http.StatusOK, s.userPermJSON(r, t, u, perm))
	}
}

// deleteUserPerm removes a user's explicit permission "if one exists": it
// answers 204 when there is none, 404 only for an unknown user.
func (s *Server) deleteUserPerm(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		u := s.userFor(w, r, t)
		if u == nil {
			return
		}
		delete(t.perms.users, u.AccountID)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) listGroupPerms(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		slugs := make([]string, 0, len(t.perms.groups))
		for slug := range t.perms.groups {
			if t.ws.groups[slug] != nil {
				slugs = append(slugs, slug)
			}
		}
		sort.Slice(slugs, func(i, j int) bool { return t.perms.groups[slugs[i]].seq < t.perms.groups[slugs[j]].seq })
		values := make([]any, 0, len(slugs))
		for _, slug := range slugs {
			values = append(values, s.groupPermJSON(r, t, t.ws.groups[slug], t.perms.groups[slug].permission))
		}
		s.paginate(w, r, values)
	}
}

// groupFor resolves the group of a path, answering 404 when the workspace
// has no such group; the caller holds s.mu.
func (s *Server) groupFor(w http.ResponseWriter, r *http.Request, t *permTarget) *group {
	g := t.ws.groups[r.PathValue("group_slug")]
	if g == nil {
		writeError(w, http.StatusNotFound, "Group %s not found in workspace %s", r.PathValue("group_slug"), t.ws.slug)
	}
	return g
}

func (s *Server) getGroupPerm(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		g := s.groupFor(w, r, t)
		if g == nil {
			return
		}
		gr, ok := t.perms.groups[g.slug]
		if !ok {
			writeError(w, http.StatusNotFound, "No permission for group %s on this %s", g.slug, t.kind)
			return
		}
		writeJSON(w, http.StatusOK, s.groupPermJSON(r, t, g, gr.permission))
	}
}

func (s *Server) putGroupPerm(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		g := s.groupFor(w, r, t)
		if g == nil {
			return
		}
		perm, ok := readPermission(w, r, t)
		if !ok {
			return
		}
		gr, exists := t.perms.groups[g.slug]
		if !exists {
			gr.seq = s.nextSeq()
		}
		gr.permission = perm
		t.perms.groups[g.slug] = gr
		writeJSON(w, http.StatusOK, s.groupPermJSON(r, t, g, perm))
	}
}

func (s *Server) deleteGroupPerm(resolve resolver) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := resolve(w, r)
		if t == nil {
			return
		}
		g := s.groupFor(w, r, t)
		if g == nil {
			return
		}
		delete(t.perms.groups, g.slug)
		w.WriteHeader(http.StatusNoContent)
	}
}
