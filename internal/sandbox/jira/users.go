package jirasim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// userJSON is Jira's User (and UserDetails).
type userJSON struct {
	Self         string            `json:"self"`
	AccountID    string            `json:"accountId"`
	AccountType  string            `json:"accountType"`
	EmailAddress string            `json:"emailAddress,omitempty"`
	AvatarURLs   map[string]string `json:"avatarUrls"`
	DisplayName  string            `json:"displayName"`
	Active       bool              `json:"active"`
	TimeZone     string            `json:"timeZone"`
	Locale       string            `json:"locale,omitempty"`
}

func (s *Server) userJSON(u *user) userJSON {
	return userJSON{
		Self:         s.selfURL("/user", url.Values{"accountId": {u.accountID}}),
		AccountID:    u.accountID,
		AccountType:  "atlassian",
		EmailAddress: u.email,
		AvatarURLs:   map[string]string{"48x48": s.base() + "/secure/useravatar?size=large&ownerId=" + url.QueryEscape(u.accountID)},
		DisplayName:  u.displayName,
		Active:       u.active,
		TimeZone:     "Etc/UTC",
		Locale:       "en_US",
	}
}

// sortedUsers returns the users ordered by display name, then account id.
func (s *Server) sortedUsers() []*user {
	out := make([]*user, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *user) int {
		if c := strings.Compare(strings.ToLower(a.displayName), strings.ToLower(b.displayName)); c != 0 {
			return c
		}
		return strings.Compare(a.accountID, b.accountID)
	})
	return out
}

func (s *Server) getMyself(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.userJSON(s.users[s.opts.AdminAccountID]))
}

// getUser answers GET /user?accountId=: 200, 400 without accountId, 404.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("accountId")
	if id == "" {
		if q.Get("username") != "" || q.Get("key") != "" {
			writeError(w, http.StatusBadRequest, []string{"The username and key query parameters are no longer available; use accountId."}, nil)
			return
		}
		writeError(w, http.StatusBadRequest, []string{"The accountId query parameter needs to be provided."}, nil)
		return
	}
	if len(id) > 128 {
		writeError(w, http.StatusBadRequest, nil, map[string]string{"accountId": "The account ID must not exceed 128 characters."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		writeError(w, http.StatusNotFound, []string{"Specified user does not exist or you do not have required permissions"}, nil)
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(u))
}

// searchUsers answers GET /user/search: a bare array of the users whose
// display name (or one of its words) or email starts with query, or whose
// account id is accountId; 400 without either or with both.
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query, id := strings.ToLower(q.Get("query")), q.Get("accountId")
	if query == "" && id == "" && q.Get("property") == "" {
		writeError(w, http.StatusBadRequest, []string{"One of 'query', 'accountId' or 'property' query parameters must be provided."}, nil)
		return
	}
	if query != "" && id != "" {
		writeError(w, http.StatusBadRequest, []string{"The 'query' and 'accountId' query parameters cannot be provided together."}, nil)
		return
	}
	start, max, ok := pageParams(w, r, 50, 1000)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []userJSON
	for _, u := range s.sortedUsers() {
		if id != "" && u.accountID != id {
			continue
		}
		if query != "" && !matchesUser(u, query) {
			continue
		}
		found = append(found, s.userJSON(u))
	}
	// Jira searches up to the thousandth user.
	if len(found) > 1000 {
		found = found[:1000]
	}
	writeJSON(w, http.StatusOK, pageSlice(found, start, max))
}

func matchesUser(u *user, query string) bool {
	if strings.HasPrefix(strings.ToLower(u.email), query) || strings.HasPrefix(strings.ToLower(u.displayName), query) {
		return true
	}
	for _, word := range strings.Fields(strings.ToLower(u.displayName)) {
		if strings.HasPrefix(word, query) {
			return true
		}
	}
	return false
}

// groupJSON is Jira's GroupDetails.
type groupJSON struct {
	Name    string `json:"name"`
	GroupID string `json:"groupId"`
}

func (s *Server) sortedGroups() []*group {
	out := make([]*group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return out
}

func (s *Server) groupByID(id string) *group {
	for _, g := range s.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

// bulkGetGroups answers GET /group/bulk: a PageBean of the groups with the
// given names or ids (all groups without a filter).
func (s *Server) bulkGetGroups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, max, ok := pageParams(w, r, 50, 50)
	if !ok {
		return
	}
	names, ids := q["groupName"], q["groupId"]
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []groupJSON
	for _, g := range s.sortedGroups() {
		if len(names)+len(ids) > 0 &&
			!slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, g.name) }) &&
			!slices.Contains(ids, g.id) {
			continue
		}
		out = append(out, groupJSON{Name: g.name, GroupID: g.id})
	}
	writePage(s, w, r, out, start, max)
}

// groupMembers answers GET /group/member: a PageBean of the group's users
// (active ones unless includeInactiveUsers), at most 50 a page; 400 without
// a group or with both name and id, 404 for an unknown group.
func (s *Server) groupMembers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name, id := q.Get("groupname"), q.Get("groupId")
	if name == "" && id == "" {
		writeError(w, http.StatusBadRequest, []string{"You must specify a group name or a group ID."}, nil)
		return
	}
	if name != "" && id != "" {
		writeError(w, http.StatusBadRequest, []string{"You can't specify both a group name and a group ID."}, nil)
		return
	}
	start, max, ok := pageParams(w, r, 50, 50)
	if !ok {
		return
	}
	inactive := q.Get("includeInactiveUsers") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[strings.ToLower(name)]
	if id != "" {
		g = s.groupByID(id)
	}
	if g == nil {
		writeError(w, http.StatusNotFound, []string{fmt.Sprintf("Group not found: %s", name+id)}, nil)
		return
	}
	var out []userJSON
	for _, u := range s.sortedUsers() {
		if slices.Contains(g.members, u.accountID) && (u.active || inactive) {
			out = append(out, s.userJSON(u))
		}
	}
	writePage(s, w, r, out, start, max)
}

// ---- sandbox-only endpoints, for `mc-sandbox atlassian-user`

// sandboxUser is the body of POST /_sandbox/users.
type sandboxUser struct {
	AccountID   string `json:"account_id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
}

// sandboxAddUser answers POST /_sandbox/users: 201 with the user as Jira
// shows it; 400 without an account id.
func (s *Server) sandboxAddUser(w http.ResponseWriter, r *http.Request) {
	var in sandboxUser
	if !decode(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.AccountID) == "" || len(in.AccountID) > 128 {
		writeError(w, http.StatusBadRequest, nil, map[string]string{"account_id": "An account id of 1 to 128 characters is required."})
		return
	}
	s.AddUser(User{AccountID: in.AccountID, DisplayName: in.DisplayName, Email: in.Email})
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.userJSON(s.users[in.AccountID]))
}

// sandboxGroup is the body of POST /_sandbox/groups.
type sandboxGroup struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// sandboxAddGroup answers POST /_sandbox/groups: 201 with the group; 400
// without a name or with a member that is no account of the site.
func (s *Server) sandboxAddGroup(w http.ResponseWriter, r *http.Request) {
	var in sandboxGroup
	if !decode(w, r, &in) {
		return
	}
	if err := s.AddGroup(Group{Name: in.Name, Members: in.Members}); err != nil {
		writeError(w, http.StatusBadRequest, []string{err.Error()}, nil)
		return
	}
	writeJSON(w, http.StatusCreated, groupJSON{Name: in.Name, GroupID: groupID(in.Name)})
}
