// Package charttest makes small Helm charts for tests and serves them from
// a Helm repository (an index.yaml and the packaged charts over HTTP), or
// returns their files for a git repository. The charts render one
// ConfigMap, so that they install in a cluster without nodes doing work.
package charttest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ConfigMapTemplate renders a ConfigMap named <release>-cfg whose data
// holds the chart version and the values message, extra and size.
const ConfigMapTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
data:
  chartVersion: {{ .Chart.Version | quote }}
  message: {{ .Values.message | quote }}
  extra: {{ .Values.extra | default "" | quote }}
  size: {{ .Values.size | default 0 | quote }}
`

// BrokenTemplate does not render: it calls a function Helm does not have.
const BrokenTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg
data:
  message: {{ .Values.message | noSuchFunction }}
`

// Chart is a chart's name, version and template.
type Chart struct {
	Name, Version string
	// Template is templates/configmap.yaml; ConfigMapTemplate when empty.
	Template string
}

// Files returns the chart's files, by path under the chart's directory.
func (c Chart) Files() map[string]string {
	tpl := c.Template
	if tpl == "" {
		tpl = ConfigMapTemplate
	}
	return map[string]string{
		"Chart.yaml":               fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ntype: application\n", c.Name, c.Version),
		"values.yaml":              "message: default\n",
		"templates/configmap.yaml": tpl,
	}
}

// Package returns the chart as helm package makes it: a gzipped tar of
// <name>/<file>.
func (c Chart) Package() ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	files := c.Files()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		body := []byte(files[n])
		if err := tw.WriteHeader(&tar.Header{Name: c.Name + "/" + n, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Repository is a Helm repository served over HTTP on loopback.
type Repository struct {
	// URL is the repository's URL (Argo CD's repoURL).
	URL string

	mu       sync.Mutex
	packages map[string][]byte
	charts   []Chart
	digests  map[string]string
}

// Serve starts a Helm repository holding charts; it stops with the test.
func Serve(t testing.TB, charts ...Chart) *Repository {
	t.Helper()
	r := &Repository{packages: map[string][]byte{}, digests: map[string]string{}}
	for _, c := range charts {
		if err := r.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	r.URL = "http://" + ln.Addr().String()
	return r
}

// Add packages c into the repository.
func (r *Repository) Add(c Chart) error {
	pkg, err := c.Package()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pkg)
	r.mu.Lock()
	defer r.mu.Unlock()
	file := c.Name + "-" + c.Version + ".tgz"
	r.packages["/"+file] = pkg
	r.digests[file] = hex.EncodeToString(sum[:])
	r.charts = append(r.charts, c)
	return nil
}

func (r *Repository) index() string {
	byName := map[string][]Chart{}
	for _, c := range r.charts {
		byName[c.Name] = append(byName[c.Name], c)
	}
	var b strings.Builder
	b.WriteString("apiVersion: v1\nentries:\n")
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %s:\n", n)
		for _, c := range byName[n] {
			file := c.Name + "-" + c.Version + ".tgz"
			fmt.Fprintf(&b, "  - apiVersion: v2\n    name: %s\n    version: %s\n    type: application\n    digest: %s\n    created: \"2026-12-01T00:00:00Z\"\n    urls:\n    - %s/%s\n",
				c.Name, c.Version, r.digests[file], r.URL, file)
		}
	}
	b.WriteString("generated: \"2026-12-01T00:00:00Z\"\n")
	return b.String()
}

func (r *Repository) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if req.URL.Path == "/index.yaml" {
		w.Header().Set("Content-Type", "application/x-yaml")
		_, _ = w.Write([]byte(r.index()))
		return
	}
	pkg, ok := r.packages[req.URL.Path]
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	_, _ = w.Write(pkg)
}

// Media types of a Helm chart pushed as an OCI artifact.
const (
	HelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	HelmChartMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// PushOCI pushes c as an OCI artifact (as helm push does: the chart's
// metadata as config, the packaged chart as its one layer) to
// <registry>/<repository>/<name>:<version> through the registry at
// registryURL (http or https) with Basic credentials, and returns the
// chart's oci:// URL without the tag.
func PushOCI(ctx context.Context, registryURL, username, password, repository string, c Chart) (string, error) {
	pkg, err := c.Package()
	if err != nil {
		return "", err
	}
	u, err := url.Parse(registryURL)
	if err != nil {
		return "", err
	}
	meta, err := json.Marshal(map[string]string{"apiVersion": "v2", "name": c.Name, "version": c.Version, "type": "application"})
	if err != nil {
		return "", err
	}
	img := &helmArtifact{config: meta, layer: static.NewLayer(pkg, HelmChartMediaType)}
	var opts []name.Option
	if u.Scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(u.Host+"/"+repository+"/"+c.Name+":"+c.Version, opts...)
	if err != nil {
		return "", err
	}
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: username, Password: password}))
	if err := remote.Write(ref, img, auth, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("cannot push chart %s: %w", ref, err)
	}
	return "oci://" + u.Host + "/" + repository + "/" + c.Name, nil
}

// helmArtifact is an OCI manifest with a Helm config and one chart layer.
type helmArtifact struct {
	config []byte
	layer  v1.Layer
}

var _ v1.Image = (*helmArtifact)(nil)

func (a *helmArtifact) Layers() ([]v1.Layer, error)               { return []v1.Layer{a.layer}, nil }
func (a *helmArtifact) MediaType() (types.MediaType, error)       { return types.OCIManifestSchema1, nil }
func (a *helmArtifact) Size() (int64, error)                      { return partial.Size(a) }
func (a *helmArtifact) ConfigName() (v1.Hash, error)              { return partial.ConfigName(a) }
func (a *helmArtifact) ConfigFile() (*v1.ConfigFile, error)       { return &v1.ConfigFile{}, nil }
func (a *helmArtifact) RawConfigFile() ([]byte, error)            { return a.config, nil }
func (a *helmArtifact) Digest() (v1.Hash, error)                  { return partial.Digest(a) }
func (a *helmArtifact) RawManifest() ([]byte, error)              { return json.Marshal(a.manifest()) }
func (a *helmArtifact) LayerByDiffID(h v1.Hash) (v1.Layer, error) { return a.LayerByDigest(h) }

func (a *helmArtifact) Manifest() (*v1.Manifest, error) { m := a.manifest(); return m, nil }

func (a *helmArtifact) manifest() *v1.Manifest {
	cfgHash, cfgSize, _ := v1.SHA256(bytes.NewReader(a.config))
	dg, _ := a.layer.Digest()
	size, _ := a.layer.Size()
	return &v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: HelmConfigMediaType, Size: cfgSize, Digest: cfgHash},
		Layers: []v1.Descriptor{{MediaType: HelmChartMediaType, Size: size, Digest: dg}},
	}
}

func (a *helmArtifact) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	if dg, _ := a.layer.Digest(); dg == h {
		return a.layer, nil
	}
	if cfg, _, _ := v1.SHA256(bytes.NewReader(a.config)); cfg == h {
		return static.NewLayer(a.config, HelmConfigMediaType), nil
	}
	return nil, fmt.Errorf("no blob %s", h)
}
