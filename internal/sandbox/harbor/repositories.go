package harborsim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// repository is a repository of a project, made by its first artifact.
type repository struct {
	id        int64
	projectID int64
	name      string // full name, project/...
	created   time.Time
}

// repositoryJSON is Harbor's Repository.
type repositoryJSON struct {
	ID            int64     `json:"id"`
	ProjectID     int64     `json:"project_id"`
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	ArtifactCount int64     `json:"artifact_count"`
	PullCount     int64     `json:"pull_count"`
	CreationTime  time.Time `json:"creation_time"`
	UpdateTime    time.Time `json:"update_time"`
}

// listRepositories is GET /projects/{project_name}/repositories
// (src/server/v2.0/handler/repository.go ListRepositories): repository:list
// on the project (anyone may list a public project's), newest first as
// Harbor's default sort (-creation_time), q on name (exact or ~fuzzy).
func (s *Server) listRepositories(w http.ResponseWriter, r *http.Request) {
	q, ok := parseQuery(w, r)
	if !ok {
		return
	}
	s.maybeSync(r.Context())
	s.mu.Lock()
	p := s.lookupProject(w, r)
	if p == nil {
		s.mu.Unlock()
		return
	}
	if !p.public() && !principalOf(r).can("project", p.name, "repository", "list") {
		s.mu.Unlock()
		deny(w, principalOf(r))
		return
	}
	out := []repositoryJSON{}
	for _, name := range s.repositories(p.id) {
		if !q.match("name", name) {
			continue
		}
		rp := s.repos[name]
		var count int64
		updated := rp.created
		for _, a := range s.artifacts {
			if a.projectID == p.id && a.repoName == name {
				count++
				if a.pushed.After(updated) {
					updated = a.pushed
				}
			}
		}
		out = append(out, repositoryJSON{ID: rp.id, ProjectID: p.id, Name: name, ArtifactCount: count,
			CreationTime: rp.created, UpdateTime: updated})
	}
	s.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	writePage(w, r, out)
}

// deleteRepository is DELETE /projects/{project_name}/repositories/
// {repository_name} (DeleteRepository): repository:delete on the project;
// the repository name is encoded twice, as for artifacts. It removes every
// artifact of the repository and deletes their manifests from the registry
// behind this Harbor, so that the registry no longer serves them (Harbor
// deletes the artifacts and leaves the blobs to garbage collection).
func (s *Server) deleteRepository(w http.ResponseWriter, r *http.Request) {
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
	if !principalOf(r).can("project", p.name, "repository", "delete") {
		s.mu.Unlock()
		deny(w, principalOf(r))
		return
	}
	var digests []string
	for id, a := range s.artifacts {
		if a.projectID == p.id && a.repoName == repo {
			digests = append(digests, a.digest)
			delete(s.artifacts, id)
		}
	}
	_, known := s.repos[repo]
	delete(s.repos, repo)
	reg := s.opts.Registry
	s.mu.Unlock()
	if !known && len(digests) == 0 {
		writeError(w, http.StatusNotFound, codeNotFound, "repository %s not found", repo)
		return
	}
	if err := deleteManifests(r.Context(), reg, repo, digests); err != nil {
		writeError(w, http.StatusInternalServerError, codeUnknown, "internal server error")
		return
	}
	writeOK(w)
}

// deleteManifests deletes the manifests of repo from the registry behind
// this Harbor; a manifest already gone is fine.
func deleteManifests(ctx context.Context, reg Endpoint, repo string, digests []string) error {
	if reg.URL == "" || len(digests) == 0 {
		return nil
	}
	ref, err := registryOf(reg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	auth := authn.Anonymous
	if reg.Username != "" || reg.Password != "" {
		auth = authn.FromConfig(authn.AuthConfig{Username: reg.Username, Password: reg.Password})
	}
	for _, d := range digests {
		err := remote.Delete(ref.Repo(repo).Digest(d), remote.WithContext(ctx), remote.WithAuth(auth),
			remote.WithTransport(endpointTransport(reg)))
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("cannot delete %s@%s from the registry: %w", repo, d, err)
		}
	}
	return nil
}

// repositoryPathSegment encodes a repository name without its project for
// Harbor's API paths, which want it encoded twice ("a/b" -> "a%252Fb").
func repositoryPathSegment(fullName string) string {
	_, rest, _ := strings.Cut(fullName, "/")
	return url.PathEscape(url.PathEscape(rest))
}
