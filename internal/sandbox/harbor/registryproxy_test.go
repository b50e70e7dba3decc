package harborsim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

// sitePassword is the admin password of the sites the tests start.
const sitePassword = "Site-Admin-1"

// memSite is a simulator in front of go-containerregistry's in-memory
// registry: the real replicator and /v2/ proxy without a registry binary.
type memSite struct {
	registryURL string
	h           *harborsim.Instance
	client      *harbor.Client
}

func newMemSite(t *testing.T, sync bool) *memSite {
	t.Helper()
	reg := httptest.NewServer(registry.New())
	t.Cleanup(reg.Close)
	h, err := harborsim.Start("127.0.0.1:0", harborsim.Options{AdminPassword: sitePassword,
		Registry:   harborsim.Endpoint{Name: "Local", URL: reg.URL, Local: true},
		Replicator: &harborsim.OCIReplicator{}, SyncRegistry: sync})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	c, err := harbor.New(harbor.Config{URL: h.URL, Username: "admin", Password: sitePassword})
	if err != nil {
		t.Fatal(err)
	}
	return &memSite{registryURL: reg.URL, h: h, client: c}
}

func statusOf(err error) int {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}

func TestRegistryProxyAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newMemSite(t, false)
	admin := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "admin", Password: sitePassword}))
	img, _ := random.Image(256, 1)
	dg, _ := img.Digest()

	// Anonymous callers cannot push, the admin can; the push is an artifact.
	if err := remote.Write(ref(t, s.h.URL, "library/app:1"), img, remote.WithContext(ctx)); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("anonymous push error = %v; want 401", err)
	}
	if err := remote.Write(ref(t, s.h.URL, "library/app:1"), img, admin, remote.WithContext(ctx)); err != nil {
		t.Fatalf("admin push error = %v", err)
	}
	if a, err := s.client.GetArtifact(ctx, "library", "app", "1"); err != nil || a.Digest != dg.String() {
		t.Fatalf("GetArtifact(library/app:1) = %+v, %v", a, err)
	}
	// Anonymous pulls from the public project work; the catalog is the admin's.
	if d, err := remote.Head(ref(t, s.h.URL, "library/app:1"), remote.WithContext(ctx)); err != nil || d.Digest != dg {
		t.Fatalf("anonymous HEAD = %v, %v", d, err)
	}
	if repos, err := remote.Catalog(ctx, ref(t, s.h.URL, "x:y").Context().Registry, admin); err != nil || len(repos) != 1 {
		t.Fatalf("admin catalog = %v, %v", repos, err)
	}
	// No such project: 404, as Harbor.
	if err := remote.Write(ref(t, s.h.URL, "nope/app:1"), img, admin, remote.WithContext(ctx)); statusOf(err) != http.StatusNotFound {
		t.Fatalf("push into a missing project error = %v; want 404", err)
	}

	// A project robot may push and pull its project only.
	private := false
	if _, err := s.client.CreateProject(ctx, harbor.ProjectReq{ProjectName: "apps", Public: &private}); err != nil {
		t.Fatal(err)
	}
	rb, err := s.client.CreateRobot(ctx, harbor.RobotCreate{Name: "ci", Level: "project", Duration: -1,
		Permissions: []harbor.RobotPermission{{Kind: "project", Namespace: "apps", Access: []harbor.RobotAccess{
			{Resource: "repository", Action: "push"}, {Resource: "repository", Action: "pull"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	robot := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: rb.Name, Password: rb.Secret.Reveal()}))
	if err := remote.Write(ref(t, s.h.URL, "apps/svc:1"), img, robot, remote.WithContext(ctx)); err != nil {
		t.Fatalf("robot push error = %v", err)
	}
	if err := remote.Write(ref(t, s.h.URL, "library/svc:1"), img, robot, remote.WithContext(ctx)); statusOf(err) != http.StatusForbidden {
		t.Fatalf("robot push outside its project error = %v; want 403", err)
	}
	if _, err := remote.Head(ref(t, s.h.URL, "apps/svc:1"), remote.WithContext(ctx)); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("anonymous HEAD in a private project error = %v; want 401", err)
	}
}

// TestReplicationEventBasedPush pushes through site-b's Harbor, whose
// event-based policy copies the image into site-a's Harbor (through its
// /v2/, with credentials), into a project the replicator makes there.
func TestReplicationEventBasedPush(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := newMemSite(t, true), newMemSite(t, true)
	regID, err := b.client.CreateRegistry(ctx, harbor.Registry{Name: "hub", URL: a.h.URL, Type: "harbor",
		Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: "admin", AccessSecret: sitePassword}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.CreateReplicationPolicy(ctx, harbor.ReplicationPolicy{Name: "to-hub", DestRegistry: harbor.RegistryRef(regID),
		DestNamespace: "mirror", Enabled: true, Override: true, Trigger: &harbor.ReplicationTrigger{Type: "event_based"}}); err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(512, 2)
	dg, _ := img.Digest()
	admin := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "admin", Password: sitePassword}))
	if err := remote.Write(ref(t, b.h.URL, "library/web:2"), img, admin, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	if err := b.h.Server.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := b.client.ListReplicationExecutions(ctx, 0)
	if err != nil || len(es) != 1 || es[0].Status != harbor.StatusSucceed || es[0].Trigger != "event_based" || es[0].Succeed != 1 {
		t.Fatalf("executions = %+v, %v; want one event_based Succeed", es, err)
	}
	if d, err := remote.Head(ref(t, a.registryURL, "mirror/web:2"), remote.WithContext(ctx)); err != nil || d.Digest != dg {
		t.Fatalf("site-a registry HEAD mirror/web:2 = %v, %v; want %s", d, err, dg)
	}
	if got, err := a.client.GetArtifact(ctx, "mirror", "web", "2"); err != nil || got.Digest != dg.String() {
		t.Fatalf("site-a GetArtifact(mirror/web:2) = %+v, %v", got, err)
	}
	if p, err := a.client.GetProject(ctx, "mirror"); err != nil || p.Metadata["public"] != "false" {
		t.Fatalf("site-a GetProject(mirror) = %+v, %v; want a private project", p, err)
	}
}

// ref parses s, a repository:tag or @digest, as a reference in the
// registry at registryURL.
func ref(t *testing.T, registryURL, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(strings.TrimPrefix(strings.TrimPrefix(registryURL, "http://"), "https://")+"/"+s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestVersionCheckWithoutRegistry checks that a simulator without a registry
// answers /v2/ as every Harbor does, so another Harbor's health check of it
// verifies the credentials, and refuses everything below it.
func TestVersionCheckWithoutRegistry(t *testing.T) {
	srv := httptest.NewServer(harborsim.New(harborsim.Options{AdminPassword: "Harbor12345"}))
	defer srv.Close()
	cases := []struct {
		name, path, user, password string
		want                       int
	}{
		{"admin", "/v2/", "admin", "Harbor12345", http.StatusOK},
		{"wrong password", "/v2/", "admin", "wrong", http.StatusUnauthorized},
		{"anonymous", "/v2/", "", "", http.StatusUnauthorized},
		{"below /v2/", "/v2/library/app/manifests/v1", "admin", "Harbor12345", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.password)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.want)
			}
		})
	}
}
