//go:build platform

package harborsim_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

// registryBinary finds distribution's registry as hack/build-testplane.sh
// caches it: $MC_REGISTRY_BINARY, else
// ${MC_CACHE_DIR:-~/.cache/mc-sandbox}/bin/registry-v3.1.2.
func registryBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("MC_REGISTRY_BINARY"); b != "" {
		return b
	}
	cache := os.Getenv("MC_CACHE_DIR")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(home, ".cache", "mc-sandbox")
	}
	b := filepath.Join(cache, "bin", "registry-v3.1.2")
	if _, err := os.Stat(b); err != nil {
		t.Fatalf("the registry binary is missing (%v): build it with `hack/build-testplane.sh registry`, or set MC_REGISTRY_BINARY", err)
	}
	return b
}

func startSite(t *testing.T, ctx context.Context, name, bin string) *harborsim.Site {
	t.Helper()
	t0 := time.Now()
	s, err := harborsim.StartSite(ctx, harborsim.SiteOptions{Name: name, RegistryBinary: bin, StateDir: t.TempDir(), AdminPassword: sitePassword})
	if err != nil {
		t.Fatalf("StartSite(%s) error = %v", name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	t.Logf("%s: Harbor %s, registry %s, started in %s", name, s.URL, s.RegistryURL, time.Since(t0).Round(time.Millisecond))
	return s
}

func waitDone(t *testing.T, ctx context.Context, c *harbor.Client, id int64) *harbor.ReplicationExecution {
	t.Helper()
	for {
		e, err := c.GetReplicationExecution(ctx, id)
		if err != nil {
			t.Fatalf("GetReplicationExecution(%d) error = %v", id, err)
		}
		if e.Done() {
			return e
		}
		select {
		case <-ctx.Done():
			t.Fatalf("execution %d still %s: %v", id, e.Status, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestReplicationBetweenSites replicates real images between two sites,
// each a distribution registry with the simulator in front of it.
func TestReplicationBetweenSites(t *testing.T) {
	bin := registryBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	siteA := startSite(t, ctx, "site-a", bin)
	siteB := startSite(t, ctx, "site-b", bin)

	// Straight into site-b's registry, bypassing its Harbor: an image, an
	// image index, and an image the policy's name filter leaves out.
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := random.Index(1024, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := random.Image(512, 1)
	if err := remote.Write(ref(t, siteB.RegistryURL, "library/demo:1.0"), img, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref(t, siteB.RegistryURL, "library/multi:1.0"), idx, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref(t, siteB.RegistryURL, "library/other:1.0"), other, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	imgDigest, _ := img.Digest()
	idxDigest, _ := idx.Digest()

	// site-b's Harbor lists what was pushed into its registry.
	clientB, err := harbor.New(harbor.Config{URL: siteB.URL, Username: "admin", Password: sitePassword})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := clientB.GetArtifact(ctx, "library", "demo", "1.0"); err != nil || a.Digest != imgDigest.String() {
		t.Fatalf("site-b GetArtifact(library/demo:1.0) = %+v, %v; want digest %s", a, err, imgDigest)
	}
	// Its /v2/ wants credentials for the catalog.
	if _, err := remote.Catalog(ctx, ref(t, siteB.URL, "x:y").Context().Registry); err == nil {
		t.Fatal("anonymous catalog through site-b's Harbor succeeded; want 401")
	}

	clientA, err := harbor.New(harbor.Config{URL: siteA.URL, Username: "admin", Password: sitePassword})
	if err != nil {
		t.Fatal(err)
	}
	regID, err := clientA.CreateRegistry(ctx, harbor.Registry{Name: "site-b", URL: siteB.URL, Type: "harbor",
		Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: "admin", AccessSecret: sitePassword}})
	if err != nil {
		t.Fatal(err)
	}
	if err := clientA.PingRegistry(ctx, harbor.RegistryPing{ID: &regID}); err != nil {
		t.Fatalf("PingRegistry(site-b) error = %v", err)
	}
	policyID, err := clientA.CreateReplicationPolicy(ctx, harbor.ReplicationPolicy{
		Name: "from-b", SrcRegistry: harbor.RegistryRef(regID), DestNamespace: "hub", Enabled: true, Override: true,
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: "library/{demo,multi}"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	execID, err := clientA.StartReplication(ctx, policyID)
	if err != nil {
		t.Fatal(err)
	}
	ex := waitDone(t, ctx, clientA, execID)
	t.Logf("replication of 2 artifacts (an image and an index of 2 images) took %s", time.Since(t0).Round(time.Millisecond))
	if ex.Status != harbor.StatusSucceed || ex.Total != 2 || ex.Succeed != 2 || ex.Failed != 0 {
		t.Fatalf("execution = %+v; want Succeed with 2 of 2 tasks", ex)
	}

	// The images are in site-a's registry with the same digests.
	for _, c := range []struct {
		ref  string
		want v1.Hash
	}{{"hub/demo:1.0", imgDigest}, {"hub/multi:1.0", idxDigest}} {
		d, err := remote.Head(ref(t, siteA.RegistryURL, c.ref), remote.WithContext(ctx))
		if err != nil || d.Digest != c.want {
			t.Fatalf("site-a registry HEAD %s = %v, %v; want %s", c.ref, d, err, c.want)
		}
	}
	got, err := remote.Image(ref(t, siteA.RegistryURL, "hub/demo@"+imgDigest.String()), remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if layers, err := got.Layers(); err != nil || len(layers) != 2 {
		t.Fatalf("replicated image layers = %d, %v", len(layers), err)
	}
	if _, err := remote.Head(ref(t, siteA.RegistryURL, "hub/other:1.0"), remote.WithContext(ctx)); err == nil {
		t.Fatal("hub/other was replicated despite the name filter")
	}
	im, _ := idx.IndexManifest()
	for _, m := range im.Manifests {
		if _, err := remote.Head(ref(t, siteA.RegistryURL, "hub/multi@"+m.Digest.String()), remote.WithContext(ctx)); err != nil {
			t.Fatalf("child %s of the index missing at site-a: %v", m.Digest, err)
		}
	}
	// And site-a's Harbor knows them, through its API and its /v2/.
	if a, err := clientA.GetArtifact(ctx, "hub", "demo", "1.0"); err != nil || a.Digest != imgDigest.String() {
		t.Fatalf("site-a GetArtifact(hub/demo:1.0) = %+v, %v", a, err)
	}
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "admin", Password: sitePassword}))
	if d, err := remote.Head(ref(t, siteA.URL, "hub/demo:1.0"), auth, remote.WithContext(ctx)); err != nil || d.Digest != imgDigest {
		t.Fatalf("HEAD hub/demo:1.0 through site-a's Harbor = %v, %v", d, err)
	}

	// One image alone, for its timing.
	singleID, err := clientA.CreateReplicationPolicy(ctx, harbor.ReplicationPolicy{
		Name: "single", SrcRegistry: harbor.RegistryRef(regID), DestNamespace: "single", Enabled: true,
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: "library/other"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	if execID, err = clientA.StartReplication(ctx, singleID); err != nil {
		t.Fatal(err)
	}
	if ex = waitDone(t, ctx, clientA, execID); ex.Status != harbor.StatusSucceed || ex.Succeed != 1 {
		t.Fatalf("single-image execution = %+v", ex)
	}
	t.Logf("replication of 1 image (list site-b, copy, tag) took %s", time.Since(t0).Round(time.Millisecond))

	// One more tag of demo, pushed through site-b's Harbor, then the
	// destination registry goes away: the execution lists site-b (demo:1.0,
	// demo:2.0, multi:1.0), fails each task, one per repository, and the
	// task logs say why (Harbor leaves the execution's status text empty).
	img2, _ := random.Image(1024, 1)
	if err := remote.Write(ref(t, siteB.URL, "library/demo:2.0"), img2, auth, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push through site-b's Harbor: %v", err)
	}
	siteA.StopRegistry()
	t0 = time.Now()
	execID, err = clientA.StartReplication(ctx, policyID)
	if err != nil {
		t.Fatal(err)
	}
	ex = waitDone(t, ctx, clientA, execID)
	if ex.Status != harbor.StatusFailed || ex.Total != 2 || ex.Failed != 2 || ex.Succeed != 0 {
		t.Fatalf("execution with site-a's registry down = %+v; want Failed, 2 of 2 tasks failed", ex)
	}
	tasks, err := clientA.ListReplicationTasks(ctx, execID)
	if err != nil || len(tasks) != 2 {
		t.Fatalf("ListReplicationTasks() = %v, %v", tasks, err)
	}
	log, err := clientA.GetReplicationTaskLog(ctx, execID, tasks[0].ID)
	if err != nil || !strings.Contains(log, "cannot") || !strings.Contains(log, "hub/") {
		t.Fatalf("task log = %q, %v; want the copy error", log, err)
	}
	t.Logf("failing execution took %s; task log of a failed copy: %s", ex.EndTime.Sub(ex.StartTime).Round(time.Millisecond), log)

	// The source registry down, its Harbor up: site-b is listed through
	// its API, as Harbor's harbor adapter does, which answers from
	// site-b's database, so the listing works and the copies fail.
	siteB.StopRegistry()
	execID, err = clientA.StartReplication(ctx, policyID)
	if err != nil {
		t.Fatal(err)
	}
	ex = waitDone(t, ctx, clientA, execID)
	if ex.Status != harbor.StatusFailed || ex.Total != 2 || ex.Failed != 2 {
		t.Fatalf("execution with site-b's registry down = %+v; want Failed, 2 of 2 tasks failed", ex)
	}

	// Site-b's Harbor failing every request: the listing fails, and so
	// does the execution.
	siteB.Harbor.Server.SetFaults(harborsim.Faults{ErrorRate: 1, Statuses: []int{http.StatusInternalServerError}})
	execID, err = clientA.StartReplication(ctx, policyID)
	if err != nil {
		t.Fatal(err)
	}
	ex = waitDone(t, ctx, clientA, execID)
	if ex.Status != harbor.StatusFailed || ex.Total != 0 || !strings.HasPrefix(ex.StatusText, "failed to fetch artifacts: ") {
		t.Fatalf("execution with site-b's Harbor failing = %+v; want Failed listing site-b", ex)
	}
	t.Logf("execution with the source down took %s: %s", ex.EndTime.Sub(ex.StartTime).Round(time.Millisecond), ex.StatusText)
}

// TestRunSite runs a site on given addresses until its context ends, as a
// sandbox child process would.
func TestRunSite(t *testing.T) {
	bin := registryBinary(t)
	addr := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	harborAddr, registryAddr := addr(), addr()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- harborsim.RunSite(ctx, harborsim.SiteOptions{Name: "site-c", RegistryBinary: bin, StateDir: t.TempDir(),
			AdminPassword: sitePassword, HarborAddr: harborAddr, RegistryAddr: registryAddr})
	}()
	get := func(u string) int {
		resp, err := http.Get(u)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.After(30 * time.Second)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for get("http://"+harborAddr+"/api/v2.0/health") != http.StatusOK {
		select {
		case err := <-done:
			t.Fatalf("RunSite() = %v before the site answered", err)
		case <-deadline:
			t.Fatal("the site did not answer within 30s")
		case <-poll.C:
		}
	}
	if got := get("http://" + registryAddr + "/v2/"); got != http.StatusOK {
		t.Fatalf("registry /v2/ = %d; want 200", got)
	}
	if got := get("http://" + harborAddr + "/v2/"); got != http.StatusUnauthorized {
		t.Fatalf("Harbor /v2/ anonymous = %d; want 401", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunSite() = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("RunSite() did not return after its context ended")
	}
	if got := get("http://" + registryAddr + "/v2/"); got != 0 {
		t.Fatalf("the registry still answers (%d) after RunSite returned", got)
	}
}
