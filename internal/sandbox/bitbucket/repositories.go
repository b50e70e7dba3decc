package bitbucketsim

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

type repo struct {
	uuid, slug, name, description string
	projectKey                    string
	private                       bool
	forkPolicy                    string
	created, updated              time.Time
	seq                           int64
	perms                         permissions
	restrictions                  map[int]*restriction
	hooks                         map[string]*hook
}

func (rp *repo) order() int64 { return rp.seq }

// repoSlugPattern is what a repository slug may hold: lower-case ASCII
// letters, digits, '-', '_' and '.', not starting with '.' or '-'.
var repoSlugPattern = regexp.MustCompile(`^[a-z0-9_][a-z0-9_.-]{0,61}$`)

var forkPolicies = map[string]bool{"allow_forks": true, "no_public_forks": true, "no_forks": true}

// gitDir is where a repository's bare git repository lives.
func (s *Server) gitDir(ws *workspace, slug string) string {
	return filepath.Join(s.opts.GitRoot, ws.slug, slug+".git")
}

func (s *Server) repoJSON(r *http.Request, ws *workspace, rp *repo) map[string]any {
	base := s.baseURL(r)
	u, _ := url.Parse(base)
	httpsClone := base + "/" + ws.slug + "/" + rp.slug + ".git"
	if u != nil {
		cu := *u
		cu.User = url.User(s.opts.Username)
		cu.Path = "/" + ws.slug + "/" + rp.slug + ".git"
		httpsClone = cu.String()
	}
	host := r.Host
	if u != nil {
		host = u.Hostname()
	}
	p := ws.projects[rp.projectKey]
	out := map[string]any{
		"type": "repository", "uuid": rp.uuid, "slug": rp.slug, "name": rp.name, "full_name": ws.slug + "/" + rp.slug,
		"description": rp.description, "scm": "git", "is_private": rp.private, "fork_policy": rp.forkPolicy,
		"created_on": rp.created, "updated_on": rp.updated, "has_issues": false, "has_wiki": false,
		"mainbranch": map[string]any{"type": "branch", "name": "main"},
		"owner":      map[string]any{"type": "team", "uuid": ws.uuid, "username": ws.slug, "display_name": ws.name},
		"workspace":  map[string]any{"type": "workspace", "uuid": ws.uuid, "slug": ws.slug, "name": ws.name},
		"links": map[string]any{
			"self": link(base + apiPrefix + "/repositories/" + ws.slug + "/" + rp.slug),
			"html": link(base + "/" + ws.slug + "/" + rp.slug),
			"clone": []map[string]string{
				{"name": "https", "href": httpsClone},
				{"name": "ssh", "href": "git@" + host + ":" + ws.slug + "/" + rp.slug + ".git"},
			},
			"hooks": link(base + apiPrefix + "/repositories/" + ws.slug + "/" + rp.slug + "/hooks"),
		},
	}
	if p != nil {
		out["project"] = map[string]any{"type": "project", "key": p.key, "uuid": p.uuid, "name": p.name}
	}
	return out
}

// findRepo looks a repository up by slug (any case) or {uuid}; the caller
// holds s.mu.
func findRepo(ws *workspace, slug string) *repo {
	if rp, ok := ws.repos[strings.ToLower(slug)]; ok {
		return rp
	}
	for _, rp := range ws.repos {
		if strings.EqualFold(rp.uuid, slug) {
			return rp
		}
	}
	return nil
}

// repoFor answers 404 unless the workspace and repository of the path
// exist; the caller holds s.mu.
func (s *Server) repoFor(w http.ResponseWriter, r *http.Request) (*workspace, *repo) {
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return nil, nil
	}
	rp := findRepo(ws, r.PathValue("repo_slug"))
	if rp == nil {
		writeError(w, http.StatusNotFound, "Repository %s/%s not found", ws.slug, r.PathValue("repo_slug"))
		return nil, nil
	}
	return ws, rp
}

// listRepositories answers GET /repositories/{workspace}, filtered by q
// (BBQL: field = "value" or field != "value" on project.key, name, slug,
// full_name and is_private, joined by AND) and ordered by sort.
func (s *Server) listRepositories(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter, err := parseQuery(q.Get("q"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid query: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	rs := sortedBySeq(ws.repos)
	if sortBy := q.Get("sort"); sortBy != "" {
		desc := strings.HasPrefix(sortBy, "-")
		field := strings.TrimPrefix(sortBy, "-")
		less := map[string]func(a, b *repo) bool{
			"name":       func(a, b *repo) bool { return a.name < b.name },
			"slug":       func(a, b *repo) bool { return a.slug < b.slug },
			"created_on": func(a, b *repo) bool { return a.seq < b.seq },
			"updated_on": func(a, b *repo) bool { return a.updated.Before(b.updated) },
		}[field]
		if less == nil {
			writeError(w, http.StatusBadRequest, "Invalid sort field: %s", field)
			return
		}
		sort.SliceStable(rs, func(i, j int) bool {
			if desc {
				return less(rs[j], rs[i])
			}
			return less(rs[i], rs[j])
		})
	}
	values := []any{}
	for _, rp := range rs {
		fields := map[string]string{"project.key": rp.projectKey, "name": rp.name, "slug": rp.slug,
			"full_name": ws.slug + "/" + rp.slug, "is_private": fmt.Sprint(rp.private)}
		if filter.matches(fields) {
			values = append(values, s.repoJSON(r, ws, rp))
		}
	}
	s.paginate(w, r, values)
}

func (s *Server) getRepository(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ws, rp := s.repoFor(w, r); rp != nil {
		writeJSON(w, http.StatusOK, s.repoJSON(r, ws, rp))
	}
}

type repoBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	SCM         *string `json:"scm"`
	IsPrivate   *bool   `json:"is_private"`
	ForkPolicy  *string `json:"fork_policy"`
	Project     *struct {
		Key  string `json:"key"`
		UUID string `json:"uuid"`
	} `json:"project"`
}

// projectOf resolves the project a repository body names (by key or
// {uuid}, in "key" as Bitbucket allows); nil with no project given.
func projectOf(ws *workspace, b repoBody) (*project, bool) {
	if b.Project == nil || (b.Project.Key == "" && b.Project.UUID == "") {
		return nil, true
	}
	id := b.Project.Key
	if id == "" {
		id = b.Project.UUID
	}
	p := findProject(ws, id)
	return p, p != nil
}

// createRepository answers POST /repositories/{workspace}/{repo_slug}:
// 200 with the repository, as Bitbucket does.
func (s *Server) createRepository(w http.ResponseWriter, r *http.Request) {
	var b repoBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	s.newRepository(w, r, ws, b, http.StatusOK)
}

// newRepository validates and creates a repository; the caller holds s.mu.
func (s *Server) newRepository(w http.ResponseWriter, r *http.Request, ws *workspace, b repoBody, status int) {
	slug := r.PathValue("repo_slug")
	if !repoSlugPattern.MatchString(slug) || strings.HasSuffix(slug, ".git") {
		writeFieldError(w, "Bad request", map[string][]string{"slug": {"Invalid slug: use lower-case letters, digits, '-', '_' and '.'"}})
		return
	}
	if findRepo(ws, slug) != nil {
		writeFieldError(w, "Repository with this Slug and Owner already exists.", map[string][]string{"name": {"You already have a repository with this name."}})
		return
	}
	if b.SCM != nil && *b.SCM != "git" {
		writeFieldError(w, "Bad request", map[string][]string{"scm": {"Only git is supported."}})
		return
	}
	if b.ForkPolicy != nil && !forkPolicies[*b.ForkPolicy] {
		writeFieldError(w, "Bad request", map[string][]string{"fork_policy": {"Invalid fork policy: " + *b.ForkPolicy}})
		return
	}
	p, ok := projectOf(ws, b)
	if !ok {
		writeFieldError(w, "Bad request", map[string][]string{"project": {"Project not found."}})
		return
	}
	if p == nil {
		// The repository goes into the workspace's oldest project.
		ps := sortedBySeq(ws.projects)
		if len(ps) == 0 {
			writeFieldError(w, "Bad request", map[string][]string{"project": {"The workspace has no project to put the repository in."}})
			return
		}
		p = ps[0]
	}
	rp := &repo{uuid: s.newUUID(), slug: slug, name: slug, projectKey: p.key, private: true, forkPolicy: "allow_forks",
		seq: s.nextSeq(), perms: newPermissions(), restrictions: map[int]*restriction{}, hooks: map[string]*hook{}}
	rp.created, rp.updated = s.now(), s.now()
	if b.Name != nil && *b.Name != "" {
		rp.name = *b.Name
	}
	if b.Description != nil {
		rp.description = *b.Description
	}
	if b.IsPrivate != nil {
		rp.private = *b.IsPrivate
	}
	if b.ForkPolicy != nil {
		rp.forkPolicy = *b.ForkPolicy
	}
	if !rp.private && p.private {
		writeFieldError(w, "Bad request", map[string][]string{"is_private": {"A private project cannot contain public repositories."}})
		return
	}
	if err := initBare(s.gitDir(ws, slug)); err != nil {
		writeError(w, http.StatusInternalServerError, "cannot create the git repository: %v", err)
		return
	}
	ws.repos[slug] = rp
	writeJSON(w, status, s.repoJSON(r, ws, rp))
}

func initBare(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return nil
	}
	if out, err := exec.Command("git", "init", "--quiet", "--bare", "--initial-branch=main", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// putRepository updates a repository (200), or creates it (201).
func (s *Server) putRepository(w http.ResponseWriter, r *http.Request) {
	var b repoBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(w, r.PathValue("workspace"))
	if ws == nil {
		return
	}
	rp := findRepo(ws, r.PathValue("repo_slug"))
	if rp == nil {
		s.newRepository(w, r, ws, b, http.StatusCreated)
		return
	}
	p, ok := projectOf(ws, b)
	if !ok {
		writeFieldError(w, "Bad request", map[string][]string{"project": {"Project not found."}})
		return
	}
	if p == nil {
		p = ws.projects[rp.projectKey]
	}
	private := rp.private
	if b.IsPrivate != nil {
		private = *b.IsPrivate
	}
	if !private && p.private {
		writeFieldError(w, "Bad request", map[string][]string{"is_private": {"A private project cannot contain public repositories."}})
		return
	}
	if b.ForkPolicy != nil && !forkPolicies[*b.ForkPolicy] {
		writeFieldError(w, "Bad request", map[string][]string{"fork_policy": {"Invalid fork policy: " + *b.ForkPolicy}})
		return
	}
	rp.projectKey, rp.private = p.key, private
	if b.Name != nil && *b.Name != "" {
		rp.name = *b.Name
	}
	if b.Description != nil {
		rp.description = *b.Description
	}
	if b.ForkPolicy != nil {
		rp.forkPolicy = *b.ForkPolicy
	}
	rp.updated = s.now()
	writeJSON(w, http.StatusOK, s.repoJSON(r, ws, rp))
}

func (s *Server) deleteRepository(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, rp := s.repoFor(w, r)
	if rp == nil {
		return
	}
	if err := os.RemoveAll(s.gitDir(ws, rp.slug)); err != nil {
		writeError(w, http.StatusInternalServerError, "cannot remove the git repository: %v", err)
		return
	}
	delete(ws.repos, rp.slug)
	w.WriteHeader(http.StatusNoContent)
}

// serveGit serves a repository over git's smart HTTP protocol at
// /<workspace>/<slug>.git (or without .git, as Bitbucket allows), to the
// same credentials as the API.
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
	if len(parts) < 2 {
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	}
	ws, slug := strings.ToLower(parts[0]), strings.ToLower(strings.TrimSuffix(parts[1], ".git"))
	s.mu.Lock()
	known := s.workspaces[ws] != nil && s.workspaces[ws].repos[slug] != nil
	s.mu.Unlock()
	if !known && s.authenticated(r) {
		writeError(w, http.StatusNotFound, "Repository %s/%s not found", ws, slug)
		return
	}
	rest := ""
	if len(parts) == 3 {
		rest = "/" + parts[2]
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + ws + "/" + slug + ".git" + rest
	r2.URL.RawPath = ""
	s.git.ServeHTTP(w, r2)
}
