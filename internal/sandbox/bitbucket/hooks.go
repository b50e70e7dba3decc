package bitbucketsim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// ---- branch restrictions

type restriction struct {
	id            int
	kind          string
	matchKind     string
	pattern       string
	branchType    string
	value         *int
	users, groups []string // account ids, group slugs
}

// restrictionKinds are the kinds Bitbucket Cloud accepts; withValue need a
// value, withAccess may name users and groups.
var (
	restrictionKinds = map[string]bool{
		"push": true, "delete": true, "force": true, "restrict_merges": true,
		"require_tasks_to_be_completed": true, "require_approvals_to_merge": true,
		"require_review_group_approvals_to_merge": true, "require_default_reviewer_approvals_to_merge": true,
		"require_no_changes_requested": true, "require_passing_builds_to_merge": true,
		"require_commits_behind": true, "reset_pullrequest_approvals_on_change": true,
		"smart_reset_pullrequest_approvals": true, "reset_pullrequest_changes_requested_on_change": true,
		"require_all_dependencies_merged": true, "enforce_merge_checks": true,
		"allow_auto_merge_when_builds_pass": true,
	}
	restrictionWithValue = map[string]bool{
		"require_approvals_to_merge": true, "require_default_reviewer_approvals_to_merge": true,
		"require_passing_builds_to_merge": true, "require_commits_behind": true,
	}
	restrictionWithAccess = map[string]bool{"push": true, "restrict_merges": true}
	branchTypes           = map[string]bool{"feature": true, "bugfix": true, "release": true, "hotfix": true, "development": true, "production": true}
)

type restrictionBody struct {
	Kind            *string `json:"kind"`
	BranchMatchKind *string `json:"branch_match_kind"`
	Pattern         *string `json:"pattern"`
	BranchType      *string `json:"branch_type"`
	Value           *int    `json:"value"`
	Users           *[]struct {
		AccountID string `json:"account_id"`
		UUID      string `json:"uuid"`
	} `json:"users"`
	Groups *[]struct {
		Slug string `json:"slug"`
	} `json:"groups"`
}

func (s *Server) restrictionJSON(r *http.Request, ws *workspace, rp *repo, br *restriction) map[string]any {
	users := []any{}
	for _, id := range br.users {
		if u := s.users[id]; u != nil {
			users = append(users, s.userJSON(r, u))
		}
	}
	groups := []any{}
	for _, slug := range br.groups {
		if g := ws.groups[slug]; g != nil {
			groups = append(groups, s.groupJSON(r, ws, g))
		}
	}
	out := map[string]any{
		"type": "branchrestriction", "id": br.id, "kind": br.kind, "branch_match_kind": br.matchKind,
		"pattern": br.pattern, "users": users, "groups": groups,
		"links": map[string]any{"self": link(s.baseURL(r) + apiPrefix + "/repositories/" + ws.slug + "/" + rp.slug + "/branch-restrictions/" + strconv.Itoa(br.id))},
	}
	if br.branchType != "" {
		out["branch_type"] = br.branchType
	}
	if br.value != nil {
		out["value"] = *br.value
	}
	return out
}

// applyRestriction validates b onto br (all fields for a create, the given
// ones for an update) and answers 400 when it is invalid; the caller holds s.mu.
func (s *Server) applyRestriction(w http.ResponseWriter, ws *workspace, br *restriction, b restrictionBody) bool {
	fail := func(field, msg string) bool {
		writeFieldError(w, "Bad request", map[string][]string{field: {msg}})
		return false
	}
	next := *br
	if b.Kind != nil {
		next.kind = *b.Kind
	}
	if b.BranchMatchKind != nil {
		next.matchKind = *b.BranchMatchKind
	}
	if b.Pattern != nil {
		next.pattern = *b.Pattern
	}
	if b.BranchType != nil {
		next.branchType = *b.BranchType
	}
	if b.Value != nil {
		v := *b.Value
		next.value = &v
	}
	if !restrictionKinds[next.kind] {
		return fail("kind", "Invalid kind: "+next.kind)
	}
	if next.matchKind == "" {
		next.matchKind = "glob"
	}
	switch next.matchKind {
	case "glob":
		if next.pattern == "" {
			return fail("pattern", "A pattern is required when branch_match_kind is glob.")
		}
		next.branchType = ""
	case "branching_model":
		if !branchTypes[next.branchType] {
			return fail("branch_type", "A valid branch_type is required when branch_match_kind is branching_model.")
		}
		next.pattern = ""
	default:
		return fail("branch_match_kind", "Invalid branch_match_kind: "+next.matchKind)
	}
	if restrictionWithValue[next.kind] && next.value == nil {
		return fail("value", "A value is required for "+next.kind+".")
	}
	if b.Users != nil || b.Groups != nil {
		if !restrictionWithAccess[next.kind] {
			return fail("kind", "Only push and restrict_merges restrictions take users and groups.")
		}
	}
	if b.Users != nil {
		next.users = nil
		for _, u := range *b.Users {
			id := u.AccountID
			if id == "" {
				id = u.UUID
			}
			found := s.findUser(id)
			if found == nil {
				return fail("users", "Unknown user: "+id)
			}
			next.users = append(next.users, found.AccountID)
		}
	}
	if b.Groups != nil {
		next.groups = nil
		for _, g := range *b.Groups {
			if ws.groups[g.Slug] == nil {
				return fail("groups", "Unknown group: "+g.Slug)
			}
			next.groups = append(next.groups, g.Slug)
		}
	}
	*br = next
	return true
}

func (s *Server) listRestrictions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, rp := s.repoFor(w, r)
	if rp == nil {
		return
	}
	ids := make([]int, 0, len(rp.restrictions))
	for id := range rp.restrictions {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	kind, pattern := r.URL.Query().Get("kind"), r.URL.Query().Get("pattern")
	values := []any{}
	for _, id := range ids {
		br := rp.restrictions[id]
		if (kind == "" || br.kind == kind) && (pattern == "" || br.pattern == pattern) {
			values = append(values, s.restrictionJSON(r, ws, rp, br))
		}
	}
	s.paginate(w, r, values)
}

func (s *Server) createRestriction(w http.ResponseWriter, r *http.Request) {
	var b restrictionBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, rp := s.repoFor(w, r)
	if rp == nil {
		return
	}
	if b.Kind == nil {
		writeFieldError(w, "Bad request", map[string][]string{"kind": {"This field is required."}})
		return
	}
	br := &restriction{}
	if !s.applyRestriction(w, ws, br, b) {
		return
	}
	br.id = int(s.nextSeq())
	rp.restrictions[br.id] = br
	writeJSON(w, http.StatusCreated, s.restrictionJSON(r, ws, rp, br))
}

// restrictionFor resolves the {id} of a path, answering 404; the caller
// holds s.mu.
func (s *Server) restrictionFor(w http.ResponseWriter, r *http.Request) (*workspace, *repo, *restriction) {
	ws, rp := s.repoFor(w, r)
	if rp == nil {
		return nil, nil, nil
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	br := rp.restrictions[id]
	if err != nil || br == nil {
		writeError(w, http.StatusNotFound, "Branch restriction %s not found", r.PathValue("id"))
		return nil, nil, nil
	}
	return ws, rp, br
}

func (s *Server) getRestriction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ws, rp, br := s.restrictionFor(w, r); br != nil {
		writeJSON(w, http.StatusOK, s.restrictionJSON(r, ws, rp, br))
	}
}

func (s *Server) putRestriction(w http.ResponseWriter, r *http.Request) {
	var b restrictionBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, rp, br := s.restrictionFor(w, r)
	if br == nil || !s.applyRestriction(w, ws, br, b) {
		return
	}
	writeJSON(w, http.StatusOK, s.restrictionJSON(r, ws, rp, br))
}

func (s *Server) deleteRestriction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rp, br := s.restrictionFor(w, r)
	if br == nil {
		return
	}
	delete(rp.restrictions, br.id)
	w.WriteHeader(http.StatusNoContent)
}

// ---- webhooks

type hook struct {
	uuid, url, description string
	active                 bool
	events                 []string
	secret                 string
	created                time.Time
	seq                    int64
}

func (h *hook) order() int64 { return h.seq }

// hookEvents are the events a webhook may subscribe to.
var hookEvents = map[string]bool{
	"issue:comment_created": true, "issue:created": true, "issue:updated": true,
	"pipeline:span_created": true, "project:updated": true,
	"pullrequest:approved": true, "pullrequest:changes_request_created": true, "pullrequest:changes_request_removed": true,
	"pullrequest:comment_created": true, "pullrequest:comment_deleted": true, "pullrequest:comment_reopened": true,
	"pullrequest:comment_resolved": true, "pullrequest:comment_updated": true, "pullrequest:created": true,
	"pullrequest:fulfilled": true, "pullrequest:push": true, "pullrequest:rejected": true,
	"pullrequest:unapproved": true, "pullrequest:updated": true,
	"repo:commit_comment_created": true, "repo:commit_status_created": true, "repo:commit_status_updated": true,
	"repo:created": true, "repo:deleted": true, "repo:fork": true, "repo:imported": true, "repo:push": true,
	"repo:transfer": true, "repo:updated": true,
}

type hookBody struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
	Events      *[]string `json:"events"`
	Secret      *string   `json:"secret"`
}

// hookScope is where webhooks hang: a repository or a workspace.
type hookScope struct {
	hooks       map[string]*hook
	subjectType string
	subject     map[string]any
	self        string
}

func (s *Server) repoHookScope(w http.ResponseWriter, r *http.Request) *hookScope {
	ws, rp := s.repoFor(w, r)
	if rp == nil {
		return nil
	}
	return &hookScope{hooks: rp.hooks, subjectType: "repository",
		subject: map[string]any{"type": "repository", "full_name": ws.slug + "/" + rp.slug, "uuid": rp.uuid, "name": rp.name},
		self:    s.baseURL(r) + apiPrefix + "/repositories/" + ws.slug + "/" + rp.slug + "/hooks/"}
}

func (s *Server) workspaceHookScope(w http.ResponseWriter, r *http.Request) *hookScope {
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return nil
	}
	return &hookScope{hooks: ws.hooks, subjectType: "workspace",
		subject: map[string]any{"type": "workspace", "slug": ws.slug, "uuid": ws.uuid, "name": ws.name},
		self:    s.baseURL(r) + apiPrefix + "/workspaces/" + ws.slug + "/hooks/"}
}

func hookJSON(sc *hookScope, h *hook) map[string]any {
	events := append([]string(nil), h.events...)
	sort.Strings(events)
	return map[string]any{
		"type": "webhook_subscription", "uuid": h.uuid, "url": h.url, "description": h.description,
		"subject_type": sc.subjectType, "subject": sc.subject, "active": h.active, "created_at": h.created,
		"events": events, "secret_set": h.secret != "",
		"links": map[string]any{"self": link(sc.self + h.uuid)},
	}
}

// applyHook validates b onto h and answers 400 when it is invalid.
func applyHook(w http.ResponseWriter, h *hook, b hookBody, create bool) bool {
	fail := func(field, msg string) bool {
		writeFieldError(w, "Bad request", map[string][]string{field: {msg}})
		return false
	}
	next := *h
	if b.URL != nil {
		next.url = *b.URL
	}
	if u, err := url.Parse(next.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail("url", "Enter a valid URL.")
	}
	if b.Description != nil {
		next.description = *b.Description
	}
	if b.Active != nil {
		next.active = *b.Active
	}
	if b.Events != nil {
		next.events = append([]string(nil), *b.Events...)
	}
	if create && b.Events == nil || len(next.events) == 0 {
		return fail("events", "This field is required.")
	}
	for _, e := range next.events {
		if !hookEvents[e] {
			return fail("events", "Invalid event: "+e)
		}
	}
	if b.Secret != nil {
		next.secret = *b.Secret
	}
	*h = next
	return true
}

func (s *Server) listHooks(scope func(http.ResponseWriter, *http.Request) *hookScope) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		sc := scope(w, r)
		if sc == nil {
			return
		}
		values := []any{}
		for _, h := range sortedBySeq(sc.hooks) {
			values = append(values, hookJSON(sc, h))
		}
		s.paginate(w, r, values)
	}
}

func (s *Server) createHook(scope func(http.ResponseWriter, *http.Request) *hookScope) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b hookBody
		if !decode(w, r, &b) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		sc := scope(w, r)
		if sc == nil {
			return
		}
		h := &hook{active: true}
		if !applyHook(w, h, b, true) {
			return
		}
		h.uuid, h.created, h.seq = s.newUUID(), s.now(), s.nextSeq()
		sc.hooks[h.uuid] = h
		writeJSON(w, http.StatusCreated, hookJSON(sc, h))
	}
}

func (s *Server) hookFor(w http.ResponseWriter, r *http.Request, scope func(http.ResponseWriter, *http.Request) *hookScope) (*hookScope, *hook) {
	sc := scope(w, r)
	if sc == nil {
		return nil, nil
	}
	uid := r.PathValue("uid")
	h := sc.hooks[uid]
	if h == nil {
		h = sc.hooks["{"+uid+"}"]
	}
	if h == nil {
		writeError(w, http.StatusNotFound, "Webhook %s not found", uid)
		return nil, nil
	}
	return sc, h
}

func (s *Server) getHook(scope func(http.ResponseWriter, *http.Request) *hookScope) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if sc, h := s.hookFor(w, r, scope); h != nil {
			writeJSON(w, http.StatusOK, hookJSON(sc, h))
		}
	}
}

func (s *Server) putHook(scope func(http.ResponseWriter, *http.Request) *hookScope) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b hookBody
		if !decode(w, r, &b) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		sc, h := s.hookFor(w, r, scope)
		if h == nil || !applyHook(w, h, b, false) {
			return
		}
		writeJSON(w, http.StatusOK, hookJSON(sc, h))
	}
}

func (s *Server) deleteHook(scope func(http.ResponseWriter, *http.Request) *hookScope) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		sc, h := s.hookFor(w, r, scope)
		if h == nil {
			return
		}
		delete(sc.hooks, h.uuid)
		w.WriteHeader(http.StatusNoContent)
	}
}
