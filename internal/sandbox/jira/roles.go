package jirasim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// roleActorJSON is Jira's RoleActor.
type roleActorJSON struct {
	ID          int64           `json:"id"`
	DisplayName string          `json:"displayName"`
	Type        string          `json:"type"`
	Name        string          `json:"name,omitempty"`
	ActorUser   *actorUserJSON  `json:"actorUser,omitempty"`
	ActorGroup  *actorGroupJSON `json:"actorGroup,omitempty"`
}

type actorUserJSON struct {
	AccountID string `json:"accountId"`
}

type actorGroupJSON struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	GroupID     string `json:"groupId"`
}

// projectRoleJSON is Jira's ProjectRole.
type projectRoleJSON struct {
	Self        string          `json:"self"`
	Name        string          `json:"name"`
	ID          int64           `json:"id"`
	Description string          `json:"description"`
	Actors      []roleActorJSON `json:"actors"`
}

// roleJSON answers a role with its actors in p (sorted by display name, as
// Jira sorts them); p nil gives the role without actors (GET /role).
func (s *Server) roleJSON(p *project, r *role) projectRoleJSON {
	out := projectRoleJSON{Name: r.name, ID: r.id, Description: r.description, Actors: []roleActorJSON{},
		Self: s.selfURL(fmt.Sprintf("/role/%d", r.id), nil)}
	if p == nil {
		return out
	}
	out.Self = s.selfURL(fmt.Sprintf("/project/%d/role/%d", p.id, r.id), nil)
	for _, a := range p.actors[r.id] {
		if a.accountID != "" {
			name := a.accountID
			if u := s.users[a.accountID]; u != nil {
				name = u.displayName
			}
			out.Actors = append(out.Actors, roleActorJSON{ID: a.id, DisplayName: name, Type: "atlassian-user-role-actor",
				ActorUser: &actorUserJSON{AccountID: a.accountID}})
			continue
		}
		out.Actors = append(out.Actors, roleActorJSON{ID: a.id, DisplayName: a.groupName, Type: "atlassian-group-role-actor", Name: a.groupName,
			ActorGroup: &actorGroupJSON{Name: a.groupName, DisplayName: a.groupName, GroupID: a.groupID}})
	}
	slices.SortFunc(out.Actors, func(a, b roleActorJSON) int {
		return strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
	})
	return out
}

// listRoles answers GET /role: every role of the site.
func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]projectRoleJSON, 0, len(s.roles))
	for _, rl := range s.roles {
		out = append(out, s.roleJSON(nil, rl))
	}
	writeJSON(w, http.StatusOK, out)
}

// listProjectRoles answers GET /project/{projectIdOrKey}/role: role name to
// the role's URL in the project; 404.
func (s *Server) listProjectRoles(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findProject(key, false)
	if p == nil {
		notFound(w, key)
		return
	}
	out := map[string]string{}
	for _, rl := range s.roles {
		out[rl.name] = s.selfURL(fmt.Sprintf("/project/%s/role/%d", p.key, rl.id), nil)
	}
	writeJSON(w, http.StatusOK, out)
}

// projectAndRole resolves the path's project and role id, answering 404 for
// an unknown project or role; callers hold s.mu.
func (s *Server) projectAndRole(w http.ResponseWriter, r *http.Request) (*project, *role) {
	key := r.PathValue("key")
	p := s.findProject(key, false)
	if p == nil {
		notFound(w, key)
		return nil, nil
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, []string{fmt.Sprintf("The project role id '%s' is not a number.", r.PathValue("id"))}, nil)
		return nil, nil
	}
	rl := s.roleByID(id)
	if rl == nil {
		writeError(w, http.StatusNotFound, []string{fmt.Sprintf("No project role with id '%d' exists.", id)}, nil)
		return nil, nil
	}
	return p, rl
}

// getProjectRole answers GET /project/{projectIdOrKey}/role/{id}: 200 with
// the actors; 404 for an unknown project or role.
func (s *Server) getProjectRole(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rl := s.projectAndRole(w, r)
	if p == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.roleJSON(p, rl))
}

// actorsMap is the body of POST /project/{projectIdOrKey}/role/{id}.
type actorsMap struct {
	User    []string `json:"user"`
	Group   []string `json:"group"`
	GroupID []string `json:"groupId"`
}

// addRoleActors answers POST /project/{projectIdOrKey}/role/{id}: 200 with
// the role and all its actors. Jira checks every actor before adding any:
// 404 for an unknown or inactive user or an unknown group, 400 for an actor
// already in the role, for no actor, or for groups by name and by id in one
// request; 404 for an unknown project or role.
func (s *Server) addRoleActors(w http.ResponseWriter, r *http.Request) {
	var in actorsMap
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rl := s.projectAndRole(w, r)
	if p == nil {
		return
	}
	if len(in.Group) > 0 && len(in.GroupID) > 0 {
		writeError(w, http.StatusBadRequest, []string{"You can't specify both group names and group IDs."}, nil)
		return
	}
	if len(in.User)+len(in.Group)+len(in.GroupID) == 0 {
		writeError(w, http.StatusBadRequest, []string{"You must specify at least one user or group to add to the project role."}, nil)
		return
	}
	current := p.actors[rl.id]
	var add []*actor
	for _, id := range in.User {
		u := s.users[id]
		if u == nil || !u.active {
			writeError(w, http.StatusNotFound, []string{fmt.Sprintf("The user with account ID '%s' does not exist or is not active.", id)}, nil)
			return
		}
		if slices.ContainsFunc(slices.Concat(current, add), func(a *actor) bool { return a.accountID == id }) {
			writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("'%s' is already a member of the project role.", u.displayName)}, nil)
			return
		}
		add = append(add, &actor{accountID: id})
	}
	groups := make([]*group, 0, len(in.Group)+len(in.GroupID))
	for _, name := range in.Group {
		g := s.groups[strings.ToLower(name)]
		if g == nil {
			writeError(w, http.StatusNotFound, []string{fmt.Sprintf("The group '%s' does not exist.", name)}, nil)
			return
		}
		groups = append(groups, g)
	}
	for _, id := range in.GroupID {
		g := s.groupByID(id)
		if g == nil {
			writeError(w, http.StatusNotFound, []string{fmt.Sprintf("The group with ID '%s' does not exist.", id)}, nil)
			return
		}
		groups = append(groups, g)
	}
	for _, g := range groups {
		if slices.ContainsFunc(slices.Concat(current, add), func(a *actor) bool { return a.groupID == g.id }) {
			writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("'%s' is already a member of the project role.", g.name)}, nil)
			return
		}
		add = append(add, &actor{groupName: g.name, groupID: g.id})
	}
	for _, a := range add {
		a.id = s.nextAct
		s.nextAct++
	}
	p.actors[rl.id] = append(current, add...)
	writeJSON(w, http.StatusOK, s.roleJSON(p, rl))
}

// removeRoleActor answers DELETE /project/{projectIdOrKey}/role/{id}
// ?user=|group=|groupId=: 204; 400 unless exactly one is given; 404 for an
// unknown project or role, or an actor not in the role.
func (s *Server) removeRoleActor(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	user, groupName, groupID := q.Get("user"), q.Get("group"), q.Get("groupId")
	n := 0
	for _, v := range []string{user, groupName, groupID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		writeError(w, http.StatusBadRequest, []string{"You must specify exactly one of user, group or groupId."}, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rl := s.projectAndRole(w, r)
	if p == nil {
		return
	}
	match := func(a *actor) bool {
		switch {
		case user != "":
			return a.accountID == user
		case groupID != "":
			return a.groupID == groupID
		default:
			return a.groupName != "" && strings.EqualFold(a.groupName, groupName)
		}
	}
	if !slices.ContainsFunc(p.actors[rl.id], match) {
		writeError(w, http.StatusNotFound, []string{fmt.Sprintf("'%s' is not a member of the project role.", user+groupName+groupID)}, nil)
		return
	}
	p.actors[rl.id] = slices.DeleteFunc(p.actors[rl.id], match)
	w.WriteHeader(http.StatusNoContent)
}
