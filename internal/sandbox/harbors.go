package sandbox

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

// RegistryVersion is the version of distribution's registry that
// hack/build-testplane.sh caches (bin/registry-<version>).
const RegistryVersion = "v3.1.2"

// The Harbor sites of the sandbox: site-a is the hub, site-b the other site.
const (
	HarborSiteA = "site-a"
	HarborSiteB = "site-b"
	// HarborAdmin is the admin user of every site.
	HarborAdmin = "admin"
)

// HarborSites names the sandbox's Harbor sites, in start order.
var HarborSites = []string{HarborSiteA, HarborSiteB}

// HarborSite is one running Harbor of the sandbox: the Harbor simulator
// (internal/sandbox/harbor) in front of a real distribution registry, run by
// a detached child process of the sandbox's executable.
type HarborSite struct {
	Name        string `json:"name"`        // site-a or site-b
	URL         string `json:"url"`         // Harbor: API below /api/v2.0, registry below /v2/ (admin credentials)
	RegistryURL string `json:"registryURL"` // the distribution registry itself, no authentication
	Username    string `json:"username"`    // admin
	Password    string `json:"password"`    // the admin's password (generated)
}

// Environment of a serve-harbor child (see RunChildIfRequested).
const (
	childServeHarbor        = "serve-harbor"
	envHarborName           = "MC_SANDBOX_HARBOR_NAME"
	envHarborStateDir       = "MC_SANDBOX_HARBOR_STATE_DIR"
	envHarborAddr           = "MC_SANDBOX_HARBOR_ADDR"
	envHarborRegistryAddr   = "MC_SANDBOX_HARBOR_REGISTRY_ADDR"
	envHarborRegistryBinary = "MC_SANDBOX_HARBOR_REGISTRY_BINARY"
	envHarborUser           = "MC_SANDBOX_HARBOR_USER"
	envHarborPassFile       = "MC_SANDBOX_HARBOR_PASSWORD_FILE"
)

// runHarborChild is the body of a serve-harbor child: it runs one site until
// SIGTERM or SIGINT, then stops the simulator and its registry.
func runHarborChild() {
	pw, err := os.ReadFile(os.Getenv(envHarborPassFile))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-harbor: cannot read the password file: %v\n", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = harborsim.RunSite(ctx, harborsim.SiteOptions{
		Name:           os.Getenv(envHarborName),
		RegistryBinary: os.Getenv(envHarborRegistryBinary),
		StateDir:       os.Getenv(envHarborStateDir),
		AdminUsername:  os.Getenv(envHarborUser),
		AdminPassword:  strings.TrimSpace(string(pw)),
		HarborAddr:     os.Getenv(envHarborAddr),
		RegistryAddr:   os.Getenv(envHarborRegistryAddr),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-harbor: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// harborPassword generates an admin password that meets Harbor's rules
// (8-128 characters with an upper-case letter, a lower-case letter and a digit).
func harborPassword() string { return "Mc-" + randomHex(12) + "-A1" }

// startHarbors starts every Harbor site as a detached child of this
// executable and waits until each answers /api/v2.0/health.
func (s *starter) startHarbors(ctx context.Context) error {
	s.p.Harbors = map[string]HarborSite{}
	pw := harborPassword()
	pwFile := s.state("pki", "harbor-admin-password")
	if err := os.MkdirAll(filepath.Dir(pwFile), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(pwFile, []byte(pw), 0o600); err != nil {
		return err
	}
	dir := s.state("harbor")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ports, err := freePorts(2 * len(HarborSites))
	if err != nil {
		return err
	}
	var waits []func() error
	for i, site := range HarborSites {
		addr := fmt.Sprintf("127.0.0.1:%d", ports[2*i])
		regAddr := fmt.Sprintf("127.0.0.1:%d", ports[2*i+1])
		h := HarborSite{Name: site, URL: "http://" + addr, RegistryURL: "http://" + regAddr, Username: HarborAdmin, Password: pw}
		s.mu.Lock()
		s.p.Harbors[site] = h
		s.mu.Unlock()
		env := []string{envChild + "=" + childServeHarbor, envHarborName + "=" + site, envHarborStateDir + "=" + dir,
			envHarborAddr + "=" + addr, envHarborRegistryAddr + "=" + regAddr, envHarborRegistryBinary + "=" + s.bins.registry,
			envHarborUser + "=" + HarborAdmin, envHarborPassFile + "=" + pwFile}
		comp := "harbor-" + site
		// The args only label the process in ps; RunChildIfRequested reads the env.
		if _, err := s.start(comp, self, h.URL, []string{"serve-harbor", "--name", site, "--addr", addr, "--registry-addr", regAddr}, env); err != nil {
			return fmt.Errorf("cannot start Harbor %s: %w", site, err)
		}
		waits = append(waits, func() error {
			return s.waitProc(ctx, comp, "Harbor "+site+" /api/v2.0/health", 60*time.Second, func(ctx context.Context) error {
				return httpOK(ctx, http.DefaultClient, h.URL+"/api/v2.0/health")
			})
		})
	}
	return parallel(waits...)
}

// harborsHealthy checks that every Harbor site of p answers its health check.
func (p *Platform) harborsHealthy(ctx context.Context) bool {
	if len(p.Harbors) != len(HarborSites) {
		return false
	}
	for _, h := range p.Harbors {
		if httpOK(ctx, http.DefaultClient, h.URL+"/api/v2.0/health") != nil {
			return false
		}
	}
	return true
}

// HarborClient returns a client of site's Harbor API with the admin's credentials.
func (p *Platform) HarborClient(site string) (*harbor.Client, error) {
	h, ok := p.Harbors[site]
	if !ok {
		return nil, fmt.Errorf("the sandbox has no Harbor site %q (sites: %s)", site, strings.Join(HarborSites, ", "))
	}
	return harbor.New(harbor.Config{URL: h.URL, Username: h.Username, Password: h.Password})
}

// DemoImage returns a small deterministic image: one uncompressed layer made
// of fixed bytes and a fixed config, so that every call has the same digest.
func DemoImage() (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	content := []byte("hello from the mc sandbox\n")
	hdr := &tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0).UTC(),
		Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, static.NewLayer(buf.Bytes(), types.OCIUncompressedLayer))
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config.Cmd = []string{"/hello.txt"}
	return mutate.ConfigFile(img, cf)
}

// PushImage pushes DemoImage as image ("project/repository:tag") into site's
// registry through its Harbor /v2/ with the admin's credentials, so that
// Harbor records the artifact. A missing project is created (private). It
// returns the full reference (host:port/project/repository:tag) and the
// manifest digest; pushing again is a no-op that returns the same digest.
func (p *Platform) PushImage(ctx context.Context, site, image string) (ref, digest string, err error) {
	h, ok := p.Harbors[site]
	if !ok {
		return "", "", fmt.Errorf("the sandbox has no Harbor site %q (sites: %s)", site, strings.Join(HarborSites, ", "))
	}
	host := strings.TrimPrefix(strings.TrimPrefix(h.URL, "http://"), "https://")
	r, err := name.NewTag(host+"/"+image, name.Insecure)
	if err != nil {
		return "", "", fmt.Errorf("invalid image %q (want project/repository:tag): %w", image, err)
	}
	project, _, found := strings.Cut(r.RepositoryStr(), "/")
	if !found {
		return "", "", fmt.Errorf("invalid image %q: want project/repository:tag", image)
	}
	c, err := p.HarborClient(site)
	if err != nil {
		return "", "", err
	}
	if _, err := c.CreateProject(ctx, harbor.ProjectReq{ProjectName: project}); err != nil && harbor.StatusCode(err) != http.StatusConflict {
		return "", "", err
	}
	img, err := DemoImage()
	if err != nil {
		return "", "", err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: h.Username, Password: h.Password})
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuth(auth)); err != nil {
		return "", "", fmt.Errorf("cannot push %s: %w", r, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", "", err
	}
	return r.String(), d.String(), nil
}

// AddVulnerabilities adds entries to the vulnerability list of site's Harbor
// scanner (merged by id; safe from several processes at once). Scans
// started afterwards match the images' packages against them: the sandbox
// has no vulnerability database, so tests say what counts as vulnerable.
func (p *Platform) AddVulnerabilities(site string, vs ...harborsim.Vulnerability) error {
	if _, ok := p.Harbors[site]; !ok {
		return fmt.Errorf("no Harbor site %q in this platform", site)
	}
	return harborsim.AddVulnerabilities(harborsim.VulnerabilityFile(filepath.Join(p.StateDir, "harbor"), site), vs...)
}
