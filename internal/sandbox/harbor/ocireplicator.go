package harborsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OCIReplicator is the real Replicator: it speaks the OCI distribution API
// to both sides. It lists a registry through /v2/_catalog and
// /v2/<name>/tags/list (a remote Harbor through its API, see List), and
// copies an artifact by pulling its manifest by
// digest and pushing the very same bytes (manifests, child manifests of an
// image index, blobs), so that digests are preserved; then it sets the tags.
//
// An endpoint's URL is a registry (or a Harbor, whose /v2/ serves its
// registry) as scheme://host[:port]; http URLs are spoken to in plain HTTP.
// Credentials, when set, go through the registry's challenge (Basic or a
// Bearer token service).
type OCIReplicator struct {
	// Transport is the base transport; nil uses a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Jobs is the number of blobs copied at once; 0 means 2.
	Jobs int
}

var _ Replicator = (*OCIReplicator)(nil)

// registryOf returns the go-containerregistry registry of an endpoint.
func registryOf(ep Endpoint) (name.Registry, error) {
	u, err := url.Parse(ep.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return name.Registry{}, fmt.Errorf("registry %s: invalid URL %q: want http(s)://host[:port]", ep.Name, ep.URL)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return name.Registry{}, fmt.Errorf("registry %s: URL %q has a path; a registry URL is scheme://host[:port]", ep.Name, ep.URL)
	}
	var opts []name.Option
	if u.Scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	return name.NewRegistry(u.Host, opts...)
}

// transport returns the base transport for an endpoint.
func (r *OCIReplicator) transport(ep Endpoint) http.RoundTripper {
	if r.Transport != nil {
		return r.Transport
	}
	return endpointTransport(ep)
}

func (r *OCIReplicator) options(ctx context.Context, ep Endpoint) []remote.Option {
	base := r.transport(ep)
	jobs := r.Jobs
	if jobs <= 0 {
		jobs = 2
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(base), remote.WithJobs(jobs),
		remote.WithUserAgent("harbor-sim-replicator")}
	if ep.Username != "" || ep.Password != "" {
		opts = append(opts, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: ep.Username, Password: ep.Password})))
	} else {
		opts = append(opts, remote.WithAuth(authn.Anonymous))
	}
	return opts
}

// List returns every tagged artifact of the registry: one Artifact per
// manifest digest in each repository, with all the tags pointing at it.
// Untagged manifests cannot be discovered through the distribution API and
// are not listed.
//
// A remote Harbor (Type "harbor") is listed through its API instead, as
// Harbor's harbor adapter does (src/pkg/reg/adapter/harbor/base/adapter.go
// FetchArtifacts): its projects, their repositories, their artifacts with
// tags, all with the endpoint's credentials; the catalog is the system
// admin's, which a least-privilege robot is not. Untagged artifacts are
// listed too.
func (r *OCIReplicator) List(ctx context.Context, src Endpoint) ([]Artifact, error) {
	if src.Type == "harbor" && !src.Local {
		return r.listHarbor(ctx, src)
	}
	reg, err := registryOf(src)
	if err != nil {
		return nil, err
	}
	opts := r.options(ctx, src)
	repos, err := remote.Catalog(ctx, reg, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot list the repositories of %s: %w", src.URL, err)
	}
	var out []Artifact
	for _, repoName := range repos {
		repo := reg.Repo(repoName)
		tags, err := remote.List(repo, opts...)
		if err != nil {
			var te *transport.Error
			// A repository whose tags were all deleted answers 404.
			if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
				continue
			}
			return nil, fmt.Errorf("cannot list the tags of %s: %w", repoName, err)
		}
		byDigest := map[string]int{}
		for _, tag := range tags {
			d, err := remote.Head(repo.Tag(tag), opts...)
			if err != nil {
				var te *transport.Error
				if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
					continue // deleted meanwhile
				}
				return nil, fmt.Errorf("cannot read %s:%s: %w", repoName, tag, err)
			}
			dg := d.Digest.String()
			if i, ok := byDigest[dg]; ok {
				out[i].Tags = append(out[i].Tags, tag)
				continue
			}
			byDigest[dg] = len(out)
			out = append(out, Artifact{Repository: repoName, Digest: dg, Tags: []string{tag}, Type: artifactType(d.MediaType),
				MediaType: string(d.MediaType), Size: d.Size})
		}
	}
	return out, nil
}

// artifactType maps a manifest media type onto Harbor's artifact type.
func artifactType(mt types.MediaType) string {
	switch mt {
	case types.OCIManifestSchema1, types.DockerManifestSchema2, types.OCIImageIndex, types.DockerManifestList,
		types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return "IMAGE"
	}
	return "UNKNOWN"
}

// Copy copies a from src to dst's repository dstRepository: the manifest by
// digest with everything it refers to, then each of a.Tags. With override
// false a tag that already exists at dst is left alone.
func (r *OCIReplicator) Copy(ctx context.Context, src Endpoint, a Artifact, dst Endpoint, dstRepository string, override bool) error {
	srcReg, err := registryOf(src)
	if err != nil {
		return err
	}
	dstReg, err := registryOf(dst)
	if err != nil {
		return err
	}
	if dst.Type == "harbor" && !dst.Local {
		if err := r.ensureProject(ctx, dst, dstRepository); err != nil {
			return err
		}
	}
	srcOpts, dstOpts := r.options(ctx, src), r.options(ctx, dst)
	srcRef := srcReg.Repo(a.Repository).Digest(a.Digest)
	dstRepo := dstReg.Repo(dstRepository)
	what := fmt.Sprintf("%s@%s", a.Repository, a.Digest)

	var tags []string
	for _, t := range a.Tags {
		if !override {
			d, err := remote.Head(dstRepo.Tag(t), dstOpts...)
			if err == nil {
				if d.Digest.String() != a.Digest {
					continue // the destination's tag is left alone
				}
			} else if !isNotFound(err) {
				return fmt.Errorf("cannot check %s:%s at %s: %w", dstRepository, t, dst.URL, err)
			}
		}
		tags = append(tags, t)
	}
	if len(a.Tags) > 0 && len(tags) == 0 {
		return nil // every tag exists at the destination and override is off
	}

	desc, err := remote.Get(srcRef, srcOpts...)
	if err != nil {
		return fmt.Errorf("cannot pull %s from %s: %w", what, src.URL, err)
	}
	if desc.Digest.String() != a.Digest {
		return fmt.Errorf("pulled %s from %s but got digest %s", what, src.URL, desc.Digest)
	}
	if err := remote.Push(dstRepo.Digest(a.Digest), desc, dstOpts...); err != nil {
		return fmt.Errorf("cannot push %s to %s/%s: %w", what, dst.URL, dstRepository, err)
	}
	for _, t := range tags {
		if err := remote.Tag(dstRepo.Tag(t), desc, dstOpts...); err != nil {
			return fmt.Errorf("cannot tag %s as %s:%s at %s: %w", what, dstRepository, t, dst.URL, err)
		}
	}
	return nil
}

// ensureProject makes the project of repository at a Harbor destination
// when it is missing, as Harbor's harbor adapter does before a push
// (PrepareForPush): HEAD /projects?project_name=, then POST /projects, a
// 409 meaning another task made it meanwhile.
func (r *OCIReplicator) ensureProject(ctx context.Context, dst Endpoint, repository string) error {
	projectName, _, ok := strings.Cut(repository, "/")
	if !ok {
		return fmt.Errorf("cannot push to %s: want project/repository", repository)
	}
	base := strings.TrimSuffix(dst.URL, "/") + apiPrefix
	hc := &http.Client{Transport: r.transport(dst), Timeout: 30 * time.Second}
	do := func(method, u string, body []byte) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if dst.Username != "" || dst.Password != "" {
			req.SetBasicAuth(dst.Username, dst.Password)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, strings.TrimSpace(string(msg)), nil
	}
	code, msg, err := do(http.MethodHead, base+"/projects?project_name="+url.QueryEscape(projectName), nil)
	if err != nil {
		return fmt.Errorf("cannot check project %s at %s: %w", projectName, dst.URL, err)
	}
	switch code {
	case http.StatusOK:
		return nil
	case http.StatusNotFound:
	default:
		return fmt.Errorf("cannot check project %s at %s: %d %s", projectName, dst.URL, code, msg)
	}
	body, _ := json.Marshal(map[string]any{"project_name": projectName, "metadata": map[string]string{"public": "false"}})
	code, msg, err = do(http.MethodPost, base+"/projects", body)
	if err != nil {
		return fmt.Errorf("cannot create project %s at %s: %w", projectName, dst.URL, err)
	}
	if code != http.StatusCreated && code != http.StatusConflict {
		return fmt.Errorf("cannot create project %s at %s: %d %s", projectName, dst.URL, code, msg)
	}
	return nil
}

func isNotFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

// listHarbor lists a Harbor through its API: GET /projects, then
// /projects/{p}/repositories, then .../repositories/{r}/artifacts?with_tag=true,
// every list read page by page.
func (r *OCIReplicator) listHarbor(ctx context.Context, src Endpoint) ([]Artifact, error) {
	if _, err := registryOf(src); err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(src.URL, "/") + apiPrefix
	hc := &http.Client{Transport: r.transport(src), Timeout: 30 * time.Second}
	var projects []struct {
		Name string `json:"name"`
	}
	if err := getAllPages(ctx, hc, src, base+"/projects", &projects); err != nil {
		return nil, fmt.Errorf("cannot list the projects of %s: %w", src.URL, err)
	}
	var out []Artifact
	for _, p := range projects {
		var repos []struct {
			Name string `json:"name"`
		}
		if err := getAllPages(ctx, hc, src, base+"/projects/"+url.PathEscape(p.Name)+"/repositories", &repos); err != nil {
			return nil, fmt.Errorf("cannot list the repositories of project %s at %s: %w", p.Name, src.URL, err)
		}
		for _, repo := range repos {
			var arts []artifactJSON
			u := base + "/projects/" + url.PathEscape(p.Name) + "/repositories/" + repositoryPathSegment(repo.Name) + "/artifacts?with_tag=true"
			if err := getAllPages(ctx, hc, src, u, &arts); err != nil {
				return nil, fmt.Errorf("cannot list the artifacts of %s at %s: %w", repo.Name, src.URL, err)
			}
			for _, a := range arts {
				tags := []string{}
				for _, t := range a.Tags {
					tags = append(tags, t.Name)
				}
				out = append(out, Artifact{Repository: repo.Name, Digest: a.Digest, Tags: tags, Type: a.Type,
					MediaType: a.MediaType, Size: a.Size})
			}
		}
	}
	return out, nil
}

// getAllPages reads every page of a Harbor list (page_size 100) into out, a
// pointer to a slice.
func getAllPages[T any](ctx context.Context, hc *http.Client, ep Endpoint, u string, out *[]T) error {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	for page := 1; ; page++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s%spage=%d&page_size=100", u, sep, page), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		if ep.Username != "" || ep.Password != "" {
			req.SetBasicAuth(ep.Username, ep.Password)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", req.URL.Path, resp.StatusCode, strings.TrimSpace(string(body)))
		}
		var items []T
		if err := json.Unmarshal(body, &items); err != nil {
			return fmt.Errorf("GET %s: cannot decode the answer: %w", req.URL.Path, err)
		}
		*out = append(*out, items...)
		if len(items) < 100 {
			return nil
		}
	}
}
