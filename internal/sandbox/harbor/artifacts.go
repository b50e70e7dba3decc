package harborsim

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Artifact is an image (or other OCI artifact) in a repository. Repository
// is the full name including the project ("library/hello-world").
type Artifact struct {
	Repository string
	Digest     string
	Tags       []string
	Labels     []string
	// Type is Harbor's artifact type: "IMAGE" (default), "CHART", "CNAB", ...
	Type      string
	MediaType string
	Size      int64
}

type artifact struct {
	id        int64
	projectID int64
	repoName  string // full name, project/...
	digest    string
	tags      []string
	labels    []string
	typ       string
	mediaType string
	size      int64
	pushed    time.Time
}

var digestRe = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// AddArtifact records an artifact in this Harbor, as a push through Harbor
// would: the project (the repository's first path component) must exist;
// an artifact with the same digest in the repository gets the tags added.
// Like a push, it starts an "event_based" execution of every enabled
// event-based policy replicating from this Harbor whose filters match the
// artifact.
func (s *Server) AddArtifact(a Artifact) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addArtifact(a, false); err != nil {
		return err
	}
	select {
	case <-s.closing:
		return nil
	default:
	}
	s.autoScanLocked(a.Repository, a.Digest)
	for _, p := range s.sortedPolicies() {
		if !p.enabled || p.srcRegistryID != 0 || p.trigger == nil || p.trigger.Type != "event_based" {
			continue
		}
		if items, err := selectItems([]Artifact{a}, p); err == nil && len(items) > 0 {
			s.startLocked(p, "event_based", []Artifact{a})
		}
	}
	return nil
}

func (s *Server) sortedPolicies() []*policy {
	ps := make([]*policy, 0, len(s.policies))
	for _, p := range s.policies {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	return ps
}

// addArtifact records a; createProject makes a missing project (as
// replication into this Harbor does). Callers hold s.mu.
func (s *Server) addArtifact(a Artifact, createProject bool) error {
	projectName, rest, ok := strings.Cut(a.Repository, "/")
	if !ok || rest == "" {
		return fmt.Errorf("cannot add artifact to repository %q: want project/repository", a.Repository)
	}
	if !digestRe.MatchString(a.Digest) {
		return fmt.Errorf("cannot add artifact %q to %s: want a sha256 digest", a.Digest, a.Repository)
	}
	p := s.projectByName(projectName)
	if p == nil {
		if !createProject || !projectNameRe.MatchString(projectName) {
			return fmt.Errorf("cannot add artifact to %s: project %s not found", a.Repository, projectName)
		}
		now := s.now()
		p = &project{id: s.newID("project"), name: projectName, ownerID: 1, ownerName: s.opts.AdminUsername,
			storageLimit: -1, metadata: map[string]string{"public": "false"}, created: now, updated: now}
		s.projects[p.id] = p
	}
	for _, x := range s.artifacts {
		if x.projectID == p.id && x.repoName == a.Repository && x.digest == a.Digest {
			for _, t := range a.Tags {
				if !slices.Contains(x.tags, t) {
					x.tags = append(x.tags, t)
				}
			}
			return nil
		}
	}
	// A tag moves to the new artifact, as a push does.
	for _, x := range s.artifacts {
		if x.projectID == p.id && x.repoName == a.Repository {
			x.tags = slices.DeleteFunc(x.tags, func(t string) bool { return slices.Contains(a.Tags, t) })
		}
	}
	typ := a.Type
	if typ == "" {
		typ = "IMAGE"
	}
	mt := a.MediaType
	if mt == "" {
		mt = "application/vnd.oci.image.config.v1+json"
	}
	if s.repos[a.Repository] == nil {
		s.repos[a.Repository] = &repository{id: s.newID("repository"), projectID: p.id, name: a.Repository, created: s.now()}
	}
	id := s.newID("artifact")
	s.artifacts[id] = &artifact{id: id, projectID: p.id, repoName: a.Repository,
		digest: a.Digest, tags: slices.Clone(a.Tags), labels: slices.Clone(a.Labels), typ: typ, mediaType: mt,
		size: a.Size, pushed: s.now()}
	return nil
}

// repositories returns the repository names of a project; callers hold s.mu.
func (s *Server) repositories(projectID int64) []string {
	var names []string
	for _, a := range s.artifacts {
		if a.projectID == projectID && !slices.Contains(names, a.repoName) {
			names = append(names, a.repoName)
		}
	}
	sort.Strings(names)
	return names
}

// localArtifacts returns every artifact as Artifact values; callers hold s.mu.
func (s *Server) localArtifacts() []Artifact {
	var out []Artifact
	for _, a := range s.sortedArtifacts() {
		out = append(out, Artifact{Repository: a.repoName, Digest: a.digest, Tags: slices.Clone(a.tags),
			Labels: slices.Clone(a.labels), Type: a.typ, MediaType: a.mediaType, Size: a.size})
	}
	return out
}

func (s *Server) sortedArtifacts() []*artifact {
	as := make([]*artifact, 0, len(s.artifacts))
	for _, a := range s.artifacts {
		as = append(as, a)
	}
	sort.Slice(as, func(i, j int) bool { return as[i].id < as[j].id })
	return as
}

type tagJSON struct {
	ID           int64     `json:"id"`
	RepositoryID int64     `json:"repository_id"`
	ArtifactID   int64     `json:"artifact_id"`
	Name         string    `json:"name"`
	PushTime     time.Time `json:"push_time"`
	Immutable    bool      `json:"immutable"`
}

type labelJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type artifactJSON struct {
	ID             int64       `json:"id"`
	Type           string      `json:"type"`
	MediaType      string      `json:"media_type"`
	ProjectID      int64       `json:"project_id"`
	RepositoryName string      `json:"repository_name"`
	Digest         string      `json:"digest"`
	Size           int64       `json:"size"`
	PushTime       time.Time   `json:"push_time"`
	Tags           []tagJSON   `json:"tags"`
	Labels         []labelJSON `json:"labels"`
	// ScanOverview is there with with_scan_overview=true once the artifact
	// was scanned.
	ScanOverview map[string]overviewJSON `json:"scan_overview,omitempty"`
}

func artifactOut(a *artifact, withTags, withLabels bool) artifactJSON {
	out := artifactJSON{ID: a.id, Type: a.typ, MediaType: a.mediaType, ProjectID: a.projectID,
		RepositoryName: a.repoName, Digest: a.digest, Size: a.size, PushTime: a.pushed}
	if withTags {
		for i, t := range a.tags {
			out.Tags = append(out.Tags, tagJSON{ID: a.id*1000 + int64(i), ArtifactID: a.id, Name: t, PushTime: a.pushed})
		}
	}
	if withLabels {
		for i, l := range a.labels {
			out.Labels = append(out.Labels, labelJSON{ID: int64(i + 1), Name: l})
		}
	}
	return out
}

// repositoryOf decodes the repository path value, which Harbor wants encoded
// twice ("a/b" -> "a%252Fb"). The mux has decoded it once; a '/' left after
// that means the client encoded only once, and Harbor's router would not
// match such a path: 404.
func repositoryOf(w http.ResponseWriter, r *http.Request, projectName string) (string, bool) {
	once := r.PathValue("repository")
	if strings.Contains(once, "/") {
		writeError(w, http.StatusNotFound, codeNotFound, "the requested resource %s was not found (encode the repository name twice)", r.URL.EscapedPath())
		return "", false
	}
	name, err := url.PathUnescape(once)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "invalid repository name %q", once)
		return "", false
	}
	return projectName + "/" + name, true
}

func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request) {
	s.maybeSync(r.Context())
	s.mu.Lock()
	p := s.lookupProject(w, r)
	if p == nil {
		s.mu.Unlock()
		return
	}
	repo, ok := repositoryOf(w, r, p.name)
	if !ok {
		s.mu.Unlock()
		return
	}
	if !p.public() && !principalOf(r).can("project", p.name, "artifact", "list") {
		s.mu.Unlock()
		deny(w, principalOf(r))
		return
	}
	withTags := r.URL.Query().Get("with_tag") != "false"
	withLabels := r.URL.Query().Get("with_label") == "true"
	withScan := r.URL.Query().Get("with_scan_overview") == "true"
	var out []artifactJSON
	found := false
	for _, a := range s.sortedArtifacts() {
		if a.projectID == p.id && a.repoName == repo {
			found = true
			o := artifactOut(a, withTags, withLabels)
			if withScan {
				o.ScanOverview = s.scanOverviewOf(r, a)
			}
			out = append(out, o)
		}
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, codeNotFound, "repository %s not found", repo)
		return
	}
	// Newest first, as Harbor sorts artifacts by push time.
	slices.Reverse(out)
	writePage(w, r, out)
}

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request) {
	s.maybeSync(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProject(w, r)
	if p == nil {
		return
	}
	repo, ok := repositoryOf(w, r, p.name)
	if !ok {
		return
	}
	if !p.public() && !principalOf(r).can("project", p.name, "artifact", "read") {
		deny(w, principalOf(r))
		return
	}
	ref := r.PathValue("reference")
	withTags := r.URL.Query().Get("with_tag") != "false"
	withLabels := r.URL.Query().Get("with_label") == "true"
	if a := s.findArtifact(p.id, repo, ref); a != nil {
		o := artifactOut(a, withTags, withLabels)
		if r.URL.Query().Get("with_scan_overview") == "true" {
			o.ScanOverview = s.scanOverviewOf(r, a)
		}
		writeJSON(w, http.StatusOK, o)
		return
	}
	artifactNotFound(w, repo, ref)
}

// findArtifact returns the artifact of repo at ref (digest or tag); callers
// hold s.mu.
func (s *Server) findArtifact(projectID int64, repo, ref string) *artifact {
	for _, a := range s.sortedArtifacts() {
		if a.projectID == projectID && a.repoName == repo && (a.digest == ref || slices.Contains(a.tags, ref)) {
			return a
		}
	}
	return nil
}

// artifactNotFound answers 404 for repo at ref as Harbor words it.
func artifactNotFound(w http.ResponseWriter, repo, ref string) {
	sep := ":"
	if strings.HasPrefix(ref, "sha256:") {
		sep = "@"
	}
	writeError(w, http.StatusNotFound, codeNotFound, "artifact %s%s%s not found", repo, sep, ref)
}
