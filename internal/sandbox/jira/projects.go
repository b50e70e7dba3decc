package jirasim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Project rules as Jira Cloud applies them.
const (
	maxKeyLength  = 10
	maxNameLength = 80
	// trashRetention is how long a project stays in the trash.
	trashRetention = 60 * 24 * time.Hour
	// jiraTime is how Jira writes timestamps.
	jiraTime = "2006-01-02T15:04:05.000-0700"
)

// keyPattern is Jira's default project key pattern: an uppercase letter,
// then uppercase letters or digits.
var keyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]+$`)

// reservedKeys are words Jira refuses as keys (reserved by operating systems).
var reservedKeys = []string{"AUX", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
	"CON", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "NUL", "PRN"}

// templates are the project templates of each project type, as the create
// operation documents them.
var templates = map[string][]string{
	"software": {
		"com.pyxis.greenhopper.jira:gh-simplified-agility-kanban",
		"com.pyxis.greenhopper.jira:gh-simplified-agility-scrum",
		"com.pyxis.greenhopper.jira:gh-simplified-basic",
		"com.pyxis.greenhopper.jira:gh-simplified-kanban-classic",
		"com.pyxis.greenhopper.jira:gh-simplified-scrum-classic",
	},
	"business": {
		"com.atlassian.jira-core-project-templates:jira-core-simplified-content-management",
		"com.atlassian.jira-core-project-templates:jira-core-simplified-document-approval",
		"com.atlassian.jira-core-project-templates:jira-core-simplified-lead-tracking",
		"com.atlassian.jira-core-project-templates:jira-core-simplified-process-control",
		"com.atlassian.jira-core-project-templates:jira-core-simplified-procurement",
		"com.atlassian.jira-core-project-templates:jira-core-simplified-project-management",
		"com.atlassian.jira-core-project-templates:jira-core-simplified-recruitment",
		"com.atlassian.jira-core-project-templates:jira-core-simplified-task-tracking",
	},
	"service_desk": {
		"com.atlassian.servicedesk:simplified-it-service-management",
		"com.atlassian.servicedesk:simplified-general-service-desk",
		"com.atlassian.servicedesk:simplified-internal-service-desk",
		"com.atlassian.servicedesk:simplified-external-service-desk",
		"com.atlassian.servicedesk:simplified-hr-service-desk",
		"com.atlassian.servicedesk:simplified-facilities-service-desk",
		"com.atlassian.servicedesk:simplified-legal-service-desk",
	},
}

// templateType returns the type whose templates include t, or "".
func templateType(t string) string {
	for typ, ts := range templates {
		if slices.Contains(ts, t) {
			return typ
		}
	}
	return ""
}

// project is a project of the site, live or in the trash.
type project struct {
	id                     int64
	key                    string
	oldKeys                []string // earlier keys: still reserved, and still find the project
	name, description, url string
	leadID, typeKey        string
	template, assigneeType string
	deleted                bool
	deletedAt              time.Time
	deletedBy              string
	actors                 map[int64][]*actor // role id -> actors in this project
}

// actor is a user or group in a project role.
type actor struct {
	id        int64
	accountID string // a user actor
	groupName string // a group actor
	groupID   string
}

// findProject returns the project that keyOrID names: by id, key or an
// earlier key; trashed says whether projects in the trash count.
func (s *Server) findProject(keyOrID string, trashed bool) *project {
	id, idErr := strconv.ParseInt(keyOrID, 10, 64)
	for _, p := range s.projects {
		if p.deleted && !trashed {
			continue
		}
		if (idErr == nil && p.id == id) || p.key == keyOrID || slices.Contains(p.oldKeys, keyOrID) {
			return p
		}
	}
	return nil
}

// keyHolder returns the project, live or in the trash, that holds key as
// its key or an earlier one.
func (s *Server) keyHolder(key string) *project {
	for _, p := range s.projects {
		if p.key == key || slices.Contains(p.oldKeys, key) {
			return p
		}
	}
	return nil
}

func notFound(w http.ResponseWriter, keyOrID string) {
	if _, err := strconv.ParseInt(keyOrID, 10, 64); err == nil {
		writeError(w, http.StatusNotFound, []string{fmt.Sprintf("No project could be found with id '%s'.", keyOrID)}, nil)
		return
	}
	writeError(w, http.StatusNotFound, []string{fmt.Sprintf("No project could be found with key '%s'.", keyOrID)}, nil)
}

// projectJSON is Jira's Project.
type projectJSON struct {
	Expand            string            `json:"expand"`
	Self              string            `json:"self"`
	ID                string            `json:"id"`
	Key               string            `json:"key"`
	Description       string            `json:"description"`
	Lead              *userJSON         `json:"lead,omitempty"`
	Name              string            `json:"name"`
	URL               string            `json:"url,omitempty"`
	AssigneeType      string            `json:"assigneeType"`
	Roles             map[string]string `json:"roles"`
	AvatarURLs        map[string]string `json:"avatarUrls"`
	ProjectKeys       []string          `json:"projectKeys,omitempty"`
	ProjectTypeKey    string            `json:"projectTypeKey"`
	Simplified        bool              `json:"simplified"`
	Style             string            `json:"style"`
	IsPrivate         bool              `json:"isPrivate"`
	Properties        map[string]any    `json:"properties"`
	Deleted           bool              `json:"deleted,omitempty"`
	DeletedDate       string            `json:"deletedDate,omitempty"`
	RetentionTillDate string            `json:"retentionTillDate,omitempty"`
	DeletedBy         *userJSON         `json:"deletedBy,omitempty"`
}

func (s *Server) projectJSON(p *project, withKeys bool) projectJSON {
	out := projectJSON{
		Expand:         "description,lead,issueTypes,url,projectKeys,permissions,insight",
		Self:           s.selfURL("/project/"+strconv.FormatInt(p.id, 10), nil),
		ID:             strconv.FormatInt(p.id, 10),
		Key:            p.key,
		Description:    p.description,
		Name:           p.name,
		URL:            p.url,
		AssigneeType:   p.assigneeType,
		Roles:          map[string]string{},
		AvatarURLs:     map[string]string{"48x48": s.base() + "/secure/projectavatar?pid=" + strconv.FormatInt(p.id, 10)},
		ProjectTypeKey: p.typeKey,
		Style:          "classic",
		Properties:     map[string]any{},
	}
	if u := s.users[p.leadID]; u != nil {
		lead := s.userJSON(u)
		out.Lead = &lead
	}
	for _, r := range s.roles {
		out.Roles[r.name] = s.selfURL(fmt.Sprintf("/project/%d/role/%d", p.id, r.id), nil)
	}
	if withKeys {
		out.ProjectKeys = append([]string{p.key}, p.oldKeys...)
	}
	if p.deleted {
		out.Deleted = true
		out.DeletedDate = p.deletedAt.Format(jiraTime)
		out.RetentionTillDate = p.deletedAt.Add(trashRetention).Format(jiraTime)
		if u := s.users[p.deletedBy]; u != nil {
			by := s.userJSON(u)
			out.DeletedBy = &by
		}
	}
	return out
}

// createProjectDetails is the body of POST /project (the fields the
// simulator knows; others are refused as unrecognized).
type createProjectDetails struct {
	Key                string `json:"key"`
	Name               string `json:"name"`
	Description        string `json:"description"`
	Lead               string `json:"lead"`
	LeadAccountID      string `json:"leadAccountId"`
	URL                string `json:"url"`
	AssigneeType       string `json:"assigneeType"`
	ProjectTypeKey     string `json:"projectTypeKey"`
	ProjectTemplateKey string `json:"projectTemplateKey"`
	AvatarID           *int64 `json:"avatarId"`
	CategoryID         *int64 `json:"categoryId"`
}

// checkKey returns Jira's complaint about key for a project other than
// self, or "".
func (s *Server) checkKey(key string, self *project) string {
	switch {
	case key == "":
		return "You must specify a valid project key."
	case utf8.RuneCountInString(key) > maxKeyLength:
		return fmt.Sprintf("The project key must not exceed %d characters in length.", maxKeyLength)
	case !keyPattern.MatchString(key):
		return "Project keys must start with an uppercase letter, followed by one or more uppercase alphanumeric characters."
	case slices.Contains(reservedKeys, key):
		return "This keyword is invalid as it is a reserved word on this operating system."
	}
	if h := s.keyHolder(key); h != nil && h != self {
		return fmt.Sprintf("Project '%s' uses this project key.", h.name)
	}
	return ""
}

// checkName returns Jira's complaint about name for a project other than
// self, or "". Names are unique, case-insensitively, among live projects and
// those in the trash.
func (s *Server) checkName(name string, self *project) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "You must specify a valid project name."
	case utf8.RuneCountInString(name) > maxNameLength:
		return fmt.Sprintf("The project name must not exceed %d characters in length.", maxNameLength)
	}
	for _, p := range s.projects {
		if p != self && strings.EqualFold(p.name, name) {
			return "A project with that name already exists."
		}
	}
	return ""
}

// checkLead returns Jira's complaint about a lead account id, or "".
func (s *Server) checkLead(id string) string {
	if id == "" {
		return "You must specify a valid project lead."
	}
	if u := s.users[id]; u == nil || !u.active {
		return "The project lead you specified does not exist or is not active."
	}
	return ""
}

func checkAssigneeType(t string) string {
	if t == "" || t == "PROJECT_LEAD" || t == "UNASSIGNED" {
		return ""
	}
	return fmt.Sprintf("Invalid assignee type '%s': use PROJECT_LEAD or UNASSIGNED.", t)
}

// createProject answers POST /project: 201 {self,id,key}; 400 with every
// field error (key rule, key in use by a live project, a project in the
// trash or as an earlier key, name, lead, type and template); 401.
func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var in createProjectDetails
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fields := map[string]string{}
	var messages []string
	if msg := s.checkKey(in.Key, nil); msg != "" {
		fields["projectKey"] = msg
	}
	if msg := s.checkName(in.Name, nil); msg != "" {
		fields["projectName"] = msg
	}
	switch {
	case in.Lead != "" && in.LeadAccountID != "":
		messages = append(messages, "You can't specify both lead and leadAccountId.")
	case in.Lead != "":
		messages = append(messages, "The lead parameter is no longer available; use leadAccountId.")
	default:
		if msg := s.checkLead(in.LeadAccountID); msg != "" {
			fields["projectLead"] = msg
		}
	}
	if msg := checkAssigneeType(in.AssigneeType); msg != "" {
		fields["assigneeType"] = msg
	}
	typ := in.ProjectTypeKey
	switch {
	case typ != "" && templates[typ] == nil:
		fields["projectTypeKey"] = fmt.Sprintf("The project type key '%s' is invalid: use software, business or service_desk.", typ)
	case in.ProjectTemplateKey != "" && templateType(in.ProjectTemplateKey) == "":
		fields["projectTemplateKey"] = fmt.Sprintf("The project template key '%s' is invalid.", in.ProjectTemplateKey)
	case in.ProjectTemplateKey != "" && typ != "" && templateType(in.ProjectTemplateKey) != typ:
		messages = append(messages, fmt.Sprintf("The project template '%s' does not match the project type '%s'.", in.ProjectTemplateKey, typ))
	case typ == "" && in.ProjectTemplateKey == "":
		fields["projectTypeKey"] = "You must specify a project type or a project template."
	}
	if len(fields)+len(messages) > 0 {
		writeError(w, http.StatusBadRequest, messages, fields)
		return
	}
	if typ == "" {
		typ = templateType(in.ProjectTemplateKey)
	}
	tmpl := in.ProjectTemplateKey
	if tmpl == "" {
		tmpl = templates[typ][0]
	}
	assignee := in.AssigneeType
	if assignee == "" {
		assignee = "UNASSIGNED"
	}
	p := &project{id: s.nextID, key: in.Key, name: in.Name, description: in.Description, url: in.URL,
		leadID: in.LeadAccountID, typeKey: typ, template: tmpl, assigneeType: assignee, actors: map[int64][]*actor{}}
	s.nextID++
	s.projects = append(s.projects, p)
	writeJSON(w, http.StatusCreated, map[string]any{"self": s.selfURL("/project/"+strconv.FormatInt(p.id, 10), nil), "id": p.id, "key": p.key})
}

// getProject answers GET /project/{projectIdOrKey}: 200 for a live project;
// 404 for an unknown one or one in the trash.
func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findProject(key, false)
	if p == nil {
		notFound(w, key)
		return
	}
	writeJSON(w, http.StatusOK, s.projectJSON(p, strings.Contains(r.URL.Query().Get("expand"), "projectKeys")))
}

// listProjects answers GET /project (deprecated, unpaged): the live projects.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []projectJSON{}
	for _, p := range s.projects {
		if !p.deleted {
			out = append(out, s.projectJSON(p, false))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// searchProjects answers GET /project/search: a PageBean (maxResults at most
// 100) of the projects matching keys, id, query (key or name, any case),
// typeKey and status (live by default; deleted lists the trash), ordered by
// key.
func (s *Server) searchProjects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, max, ok := pageParams(w, r, 50, 100)
	if !ok {
		return
	}
	statuses := q["status"]
	if len(statuses) == 0 {
		statuses = []string{"live"}
	}
	for _, st := range statuses {
		if st != "live" && st != "archived" && st != "deleted" {
			writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("Invalid status '%s': use live, archived or deleted.", st)}, nil)
			return
		}
	}
	var types []string
	if t := q.Get("typeKey"); t != "" {
		types = strings.Split(t, ",")
	}
	keys, ids := q["keys"], q["id"]
	if len(keys) > 50 || len(ids) > 50 {
		writeError(w, http.StatusBadRequest, []string{"Up to 50 project keys or IDs can be provided."}, nil)
		return
	}
	query := strings.ToLower(q.Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*project
	for _, p := range s.projects {
		status := "live"
		if p.deleted {
			status = "deleted"
		}
		switch {
		case !slices.Contains(statuses, status),
			len(keys) > 0 && !slices.Contains(keys, p.key),
			len(ids) > 0 && !slices.Contains(ids, strconv.FormatInt(p.id, 10)),
			len(types) > 0 && !slices.Contains(types, p.typeKey),
			query != "" && !strings.Contains(strings.ToLower(p.key), query) && !strings.Contains(strings.ToLower(p.name), query):
			continue
		}
		matched = append(matched, p)
	}
	slices.SortFunc(matched, func(a, b *project) int { return strings.Compare(a.key, b.key) })
	out := make([]projectJSON, 0, len(matched))
	for _, p := range matched {
		out = append(out, s.projectJSON(p, strings.Contains(q.Get("expand"), "projectKeys")))
	}
	writePage(s, w, r, out, start, max)
}

// updateProjectDetails is the body of PUT /project/{projectIdOrKey}.
type updateProjectDetails struct {
	Key           *string `json:"key"`
	Name          *string `json:"name"`
	Description   *string `json:"description"`
	Lead          *string `json:"lead"`
	LeadAccountID *string `json:"leadAccountId"`
	URL           *string `json:"url"`
	AssigneeType  *string `json:"assigneeType"`
	AvatarID      *int64  `json:"avatarId"`
	CategoryID    *int64  `json:"categoryId"`
}

// updateProject answers PUT /project/{projectIdOrKey}: 200 with the project;
// 400 with the field errors; 404. A new key keeps the old one reserved and
// working, as Jira does.
func (s *Server) updateProject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	var in updateProjectDetails
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findProject(key, false)
	if p == nil {
		notFound(w, key)
		return
	}
	fields := map[string]string{}
	var messages []string
	if in.Key != nil && *in.Key != p.key {
		if msg := s.checkKey(*in.Key, p); msg != "" {
			fields["projectKey"] = msg
		}
	}
	if in.Name != nil {
		if msg := s.checkName(*in.Name, p); msg != "" {
			fields["projectName"] = msg
		}
	}
	if in.Lead != nil {
		messages = append(messages, "The lead parameter is no longer available; use leadAccountId.")
	}
	if in.LeadAccountID != nil {
		if msg := s.checkLead(*in.LeadAccountID); msg != "" {
			fields["projectLead"] = msg
		}
	}
	if in.AssigneeType != nil {
		if msg := checkAssigneeType(*in.AssigneeType); msg != "" {
			fields["assigneeType"] = msg
		}
	}
	if len(fields)+len(messages) > 0 {
		writeError(w, http.StatusBadRequest, messages, fields)
		return
	}
	if in.Key != nil && *in.Key != p.key {
		if !slices.Contains(p.oldKeys, p.key) {
			p.oldKeys = append(p.oldKeys, p.key)
		}
		p.oldKeys = slices.DeleteFunc(p.oldKeys, func(k string) bool { return k == *in.Key })
		p.key = *in.Key
	}
	if in.Name != nil {
		p.name = *in.Name
	}
	if in.Description != nil {
		p.description = *in.Description
	}
	if in.LeadAccountID != nil {
		p.leadID = *in.LeadAccountID
	}
	if in.URL != nil {
		p.url = *in.URL
	}
	if in.AssigneeType != nil {
		p.assigneeType = *in.AssigneeType
	}
	writeJSON(w, http.StatusOK, s.projectJSON(p, false))
}

// deleteProject answers DELETE /project/{projectIdOrKey}?enableUndo=: 204.
// With enableUndo=true a live project moves to the trash, keeping its key
// and name reserved; without it a live project or one in the trash is gone
// for good, freeing its keys. 404 for an unknown project, and for
// enableUndo=true on a project already in the trash (no live project has
// the key); 400 for an enableUndo that is no boolean.
func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	undo := false
	if v := r.URL.Query().Get("enableUndo"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("The value '%s' is invalid for enableUndo.", v)}, nil)
			return
		}
		undo = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findProject(key, !undo)
	if p == nil {
		notFound(w, key)
		return
	}
	if undo {
		p.deleted, p.deletedAt, p.deletedBy = true, s.now(), s.opts.AdminAccountID
	} else {
		s.projects = slices.DeleteFunc(s.projects, func(q *project) bool { return q == p })
	}
	w.WriteHeader(http.StatusNoContent)
}

// restoreProject answers POST /project/{projectIdOrKey}/restore: 200 with
// the project back from the trash; 400 for a live project; 404.
func (s *Server) restoreProject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findProject(key, true)
	if p == nil {
		notFound(w, key)
		return
	}
	if !p.deleted {
		writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("The project '%s' is not in the trash or archived.", p.key)}, nil)
		return
	}
	p.deleted, p.deletedAt, p.deletedBy = false, time.Time{}, ""
	writeJSON(w, http.StatusOK, s.projectJSON(p, false))
}
