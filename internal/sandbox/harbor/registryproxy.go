package harborsim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// The simulator serves its registry below /v2/ as Harbor does: the
// distribution API of Options.Registry, behind Harbor's authentication and
// project permissions. Differences from Harbor: credentials are checked
// with Basic authentication directly (Harbor sends clients to its token
// service, /service/token); go-containerregistry, docker and oras follow
// either challenge.

// registryError answers in the distribution API's error form.
func registryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"code": code, "message": msg, "detail": nil}}})
}

// repositoryOfPath returns the repository name of a distribution API path
// (/v2/<name>/manifests/..., /blobs/..., /tags/list, /referrers/...) and
// the reference of a manifest path.
func repositoryOfPath(p string) (repo, kind, ref string, ok bool) {
	rest := strings.TrimPrefix(p, "/v2/")
	best := -1
	for _, m := range []string{"/manifests/", "/blobs/", "/tags/", "/referrers/"} {
		if i := strings.Index(rest, m); i > 0 && (best < 0 || i < best) {
			best, kind = i, strings.Trim(m, "/")
		}
	}
	if best < 0 {
		return "", "", "", false
	}
	repo = rest[:best]
	if kind == "manifests" {
		ref = rest[best+len("/manifests/"):]
	}
	return repo, kind, ref, true
}

func (s *Server) newRegistryProxy() *httputil.ReverseProxy {
	target, err := url.Parse(s.opts.Registry.URL)
	if err != nil || target.Host == "" {
		return nil
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Del("Authorization")
			pr.SetXForwarded()
		},
		ModifyResponse: func(resp *http.Response) error {
			// Upload locations the registry writes absolute point back here.
			if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, strings.TrimSuffix(target.String(), "/")) {
				resp.Header.Set("Location", strings.TrimPrefix(loc, strings.TrimSuffix(target.String(), "/")))
			}
			s.notePush(resp)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			registryError(w, http.StatusBadGateway, "UNAVAILABLE", "the registry is unavailable: "+err.Error())
		},
	}
}

// notePush records a manifest pushed by tag through this Harbor as an
// artifact, which starts the event-based policies as Harbor's push event
// does. Manifests pushed by digest (the children of an index) are not
// recorded by themselves.
func (s *Server) notePush(resp *http.Response) {
	req := resp.Request
	if req == nil || req.Method != http.MethodPut || resp.StatusCode != http.StatusCreated {
		return
	}
	repo, kind, ref, ok := repositoryOfPath(req.URL.Path)
	if !ok || kind != "manifests" || strings.Contains(ref, ":") {
		return
	}
	dg := resp.Header.Get("Docker-Content-Digest")
	if !digestRe.MatchString(dg) {
		return
	}
	mt := req.Header.Get("Content-Type")
	_ = s.AddArtifact(Artifact{Repository: repo, Digest: dg, Tags: []string{ref}, MediaType: mt, Type: artifactTypeOf(mt)})
}

func artifactTypeOf(mediaType string) string {
	if strings.Contains(mediaType, "manifest") || strings.Contains(mediaType, "index") {
		return "IMAGE"
	}
	return "UNKNOWN"
}

// serveRegistry answers /v2/ and below.
func (s *Server) serveRegistry(w http.ResponseWriter, r *http.Request) {
	if s.proxy == nil {
		registryError(w, http.StatusNotFound, "UNSUPPORTED", "this Harbor has no registry")
		return
	}
	p := s.authenticate(r)
	challenge := func() {
		w.Header().Set("WWW-Authenticate", `Basic realm="harbor"`)
		registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
	}
	path := r.URL.Path
	switch {
	case path == "/v2" || path == "/v2/":
		if p == nil {
			challenge()
			return
		}
	case path == "/v2/_catalog":
		// Whoever may read the system catalog (v2auth: the admin, or a
		// system robot with catalog:read) may list it.
		if p == nil {
			challenge()
			return
		}
		if !p.can("system", "/", "catalog", "read") {
			registryError(w, http.StatusForbidden, "DENIED", "only the system admin or a robot with catalog:read can list the catalog")
			return
		}
	default:
		repo, _, _, ok := repositoryOfPath(path)
		if !ok {
			registryError(w, http.StatusNotFound, "NAME_UNKNOWN", "unknown path "+path)
			return
		}
		projectName, _, _ := strings.Cut(repo, "/")
		s.mu.Lock()
		proj := s.projectByName(projectName)
		public := proj != nil && proj.public()
		s.mu.Unlock()
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		action := "pull"
		if !read {
			action = "push"
			if r.Method == http.MethodDelete {
				action = "delete"
			}
		}
		allowed := p.can("project", projectName, "repository", action) || (read && public)
		if !allowed {
			if p == nil {
				challenge()
				return
			}
			registryError(w, http.StatusForbidden, "DENIED", "requested access to the resource is denied")
			return
		}
		if proj == nil {
			registryError(w, http.StatusNotFound, "NAME_UNKNOWN", "project "+projectName+" not found")
			return
		}
	}
	s.proxy.ServeHTTP(w, r)
}

// SyncRegistry lists the registry behind this Harbor through the Replicator
// and records the artifacts it does not know yet, so that images pushed
// straight into the registry (bypassing Harbor) show up as artifacts and
// are replicated from this Harbor. Repositories of unknown projects are
// skipped, as Harbor would not have them. Artifacts deleted from the
// registry are not forgotten. With Options.SyncRegistry the simulator calls
// it before answering artifact requests and before replicating from itself.
func (s *Server) SyncRegistry(ctx context.Context) error {
	s.mu.Lock()
	rep, ep := s.opts.Replicator, s.opts.Registry
	s.mu.Unlock()
	if rep == nil || ep.URL == "" {
		return nil
	}
	ep.Local, ep.Name = true, "Local"
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	as, err := rep.List(ctx, ep)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range as {
		projectName, _, _ := strings.Cut(a.Repository, "/")
		if s.projectByName(projectName) == nil {
			continue
		}
		_ = s.addArtifact(a, false)
	}
	return nil
}

// maybeSync runs SyncRegistry when Options.SyncRegistry asks for it; a
// failure leaves the known artifacts as they are.
func (s *Server) maybeSync(ctx context.Context) {
	if s.opts.SyncRegistry {
		_ = s.SyncRegistry(ctx)
	}
}
