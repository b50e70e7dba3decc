//go:build platform

package helmrelease_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/charttest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// fixture is a site on the platform's cluster with a GitOps repository of
// its own, and the sandbox's workload cluster registered in its Argo CD.
type fixture struct {
	p        *sandbox.Platform
	site     string
	cluster  string
	workload kubernetes.Interface
	client   *helmrelease.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.Workload...)
	ctx := context.Background()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("hr-%06x", rand.IntN(1<<24))
	repo, err := p.CreateGitRepo(ctx, prefix+"-gitops", map[string]string{"README.md": "GitOps repository of " + prefix + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, site: prefix, cluster: prefix + "-wl"}
	sites := site.New(registry.New(cfg, p.Namespace))
	if _, err := sites.Create(ctx, site.Spec{
		Name:   f.site,
		ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName},
		GitOps: &site.GitOps{RepoURL: repo, Branch: "main", Path: "sites/" + f.site, Username: p.GitUsername, Password: p.GitPassword},
	}); err != nil {
		t.Fatalf("cannot create site: %v", err)
	}
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	regs := clusterregistration.New(registry.New(cfg, p.Namespace))
	regID, err := regs.Create(ctx, clusterregistration.Spec{
		Site: f.site, Name: f.cluster, Server: p.WorkloadServerURL, CACertificate: string(ca), Token: p.WorkloadToken, TokenVersion: 1,
	})
	if err != nil {
		t.Fatalf("cannot register the workload cluster: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := regs.Delete(ctx, regID); err != nil {
			t.Errorf("cannot delete the registration: %v", err)
		}
		if err := engine.DeleteUntilGone(ctx, sites, f.site, engine.ConvergeOptions{}); err != nil {
			t.Errorf("cannot delete site %s: %v", f.site, err)
		}
	})
	wcfg, err := p.WorkloadRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if f.workload, err = kubernetes.NewForConfig(wcfg); err != nil {
		t.Fatal(err)
	}
	f.client = helmrelease.New(registry.New(cfg, p.Namespace))
	return f
}

// converge applies want and fails the test unless the release is Ready.
func (f *fixture) converge(t *testing.T, id string, want helmrelease.Spec) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	id, obs, err := engine.Converge(ctx, f.client, id, want, engine.ConvergeOptions{Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("converge %s: %v (last: %s)", want.ID(), err, obs.Message)
	}
	if !obs.Ready || !obs.UpToDate {
		t.Fatalf("converge %s returned not ready or not up to date: %+v", want.ID(), obs)
	}
	t.Logf("%s ready in %s: %s", want.ID(), time.Since(start).Round(time.Millisecond), obs.Message)
	return id
}

// configMap returns the data of the ConfigMap the test chart renders for
// release, nil when it does not exist.
func (f *fixture) configMap(t *testing.T, namespace, release string) map[string]string {
	t.Helper()
	cm, err := f.workload.CoreV1().ConfigMaps(namespace).Get(context.Background(), release+"-cfg", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data
}

func (f *fixture) destroy(t *testing.T, id string, namespace, release string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := engine.DeleteUntilGone(ctx, f.client, id, engine.ConvergeOptions{Timeout: 2 * time.Minute}); err != nil {
		t.Fatalf("delete %s: %v", id, err)
	}
	if data := f.configMap(t, namespace, release); data != nil {
		t.Errorf("the release's ConfigMap is still there after the delete: %v", data)
	}
}

func TestHelmReleaseFromHelmRepository(t *testing.T) {
	f := newFixture(t)
	repo := charttest.Serve(t, charttest.Chart{Name: "hr-demo", Version: "0.1.0"}, charttest.Chart{Name: "hr-demo", Version: "0.2.0"})
	hook := newChannel(t, f, f.site+"-hook")
	want := helmrelease.Spec{
		Site: f.site, Cluster: f.cluster, Namespace: "hr-repo", Name: "demo",
		RepoURL: repo.URL, Chart: "hr-demo", Version: "0.1.0",
		Values: "message: hello\nextra: one\n",
		Notify: []string{f.site + "-hook"},
	}
	id := f.converge(t, "", want)
	// Converge returns after the notice was delivered: exactly one, signed.
	if diff := cmp.Diff([]string{"sync_succeeded"}, hook.take(t)); diff != "" {
		t.Errorf("notices after the create (-want +got):\n%s", diff)
	}
	if got, wantData := f.configMap(t, "hr-repo", "demo"), map[string]string{"chartVersion": "0.1.0", "message": "hello", "extra": "one", "size": "0"}; !cmp.Equal(got, wantData) {
		t.Errorf("installed ConfigMap (-want +got):\n%s", cmp.Diff(wantData, got))
	}

	// Upgrade the version, change the values and set parameters in place.
	want.Version = "0.2.0"
	want.Values = "{extra: two, message: upgraded}"
	want.Set = map[string]string{"size": "3"}
	want.SetString = map[string]string{"extra": "007"}
	if got := f.converge(t, id, want); got != id {
		t.Fatalf("the update changed the id from %s to %s", id, got)
	}
	if diff := cmp.Diff([]string{"sync_succeeded"}, hook.take(t)); diff != "" {
		t.Errorf("notices after the update (-want +got):\n%s", diff)
	}
	if got, wantData := f.configMap(t, "hr-repo", "demo"), map[string]string{"chartVersion": "0.2.0", "message": "upgraded", "extra": "007", "size": "3"}; !cmp.Equal(got, wantData) {
		t.Errorf("upgraded ConfigMap (-want +got):\n%s", cmp.Diff(wantData, got))
	}

	// The same values in another key order and style are no change; import
	// reports the release as it was applied.
	ctx := context.Background()
	restyled := want
	restyled.Values = "message: \"upgraded\"\nextra: 'two'\n"
	obs, err := f.client.Observe(ctx, id, restyled)
	if err != nil {
		t.Fatal(err)
	}
	if !obs.UpToDate || !obs.Ready {
		t.Errorf("values in another order and style are reported as drift: %+v", obs)
	}
	imported, err := f.client.Observe(ctx, id, helmrelease.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	wantActual := want
	wantActual.Values = "extra: two\nmessage: upgraded\n"
	wantActual.Notify = nil // not stored with the release
	if diff := cmp.Diff(wantActual, imported.Actual); diff != "" {
		t.Errorf("imported release (-want +got):\n%s", diff)
	}
	if imported.Status.Revision != "0.2.0" || imported.Status.Commit == "" {
		t.Errorf("status = %+v, want revision 0.2.0 and a commit", imported.Status)
	}

	f.destroy(t, id, "hr-repo", "demo")
}

func TestHelmReleaseFromGit(t *testing.T) {
	f := newFixture(t)
	files := map[string]string{}
	for name, content := range (charttest.Chart{Name: "hr-git", Version: "1.0.0"}).Files() {
		files["charts/hr-git/"+name] = content
	}
	files["charts/hr-git/values-prod.yaml"] = "extra: from-values-file\n"
	repo, err := f.p.CreateGitRepo(context.Background(), f.site+"-charts", files)
	if err != nil {
		t.Fatal(err)
	}
	want := helmrelease.Spec{
		Site: f.site, Cluster: f.cluster, Namespace: "hr-git", Name: "from-git",
		RepoURL: repo, Path: "charts/hr-git", Version: "main",
		Values: "message: from git", ValueFiles: []string{"values-prod.yaml"},
	}
	id := f.converge(t, "", want)
	if got, wantData := f.configMap(t, "hr-git", "from-git"), map[string]string{"chartVersion": "1.0.0", "message": "from git", "extra": "from-values-file", "size": "0"}; !cmp.Equal(got, wantData) {
		t.Errorf("installed ConfigMap (-want +got):\n%s", cmp.Diff(wantData, got))
	}
	f.destroy(t, id, "hr-git", "from-git")
}

func TestHelmReleaseInvalidTemplateFailsFast(t *testing.T) {
	f := newFixture(t)
	repo := charttest.Serve(t, charttest.Chart{Name: "hr-broken", Version: "0.1.0", Template: charttest.BrokenTemplate})
	hook := newChannel(t, f, f.site+"-hook")
	want := helmrelease.Spec{
		Site: f.site, Cluster: f.cluster, Namespace: "hr-broken", Name: "broken",
		RepoURL: repo.URL, Chart: "hr-broken", Version: "0.1.0",
		Notify: []string{f.site + "-hook"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	id, _, err := engine.Converge(ctx, f.client, "", want, engine.ConvergeOptions{Timeout: 3 * time.Minute})
	var terminal *engine.TerminalError
	if !errors.As(err, &terminal) {
		t.Fatalf("converge of a chart that does not render = %v, want a terminal error", err)
	}
	t.Logf("failed %s after the create: %v", time.Since(start).Round(time.Millisecond), err)
	if !strings.Contains(err.Error(), "noSuchFunction") {
		t.Errorf("the error does not carry Argo CD's message about the template: %v", err)
	}
	if diff := cmp.Diff([]string{"sync_failed"}, hook.take(t)); diff != "" {
		t.Errorf("notices after the failed create (-want +got):\n%s", diff)
	}
	f.destroy(t, id, "hr-broken", "broken")
}

func TestHelmReleaseFromOCI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	h, ok := f.p.Harbors[sandbox.HarborSiteB]
	if !ok {
		t.Fatalf("the platform has no Harbor %s", sandbox.HarborSiteB)
	}
	// The chart is pushed to the site's Harbor through its /v2/, and the
	// site knows that Harbor: Argo CD is given its credentials.
	chartURL, err := charttest.PushOCI(ctx, h.URL, h.Username, h.Password, "library", charttest.Chart{Name: "hr-oci-" + f.site, Version: "0.3.0"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	sites := site.New(registry.New(cfg, f.p.Namespace))
	rec, err := sites.Lookup(ctx, f.site)
	if err != nil {
		t.Fatal(err)
	}
	spec := rec.Spec
	spec.Harbor = &site.Harbor{URL: h.URL, Username: h.Username, Password: h.Password, PasswordVersion: 1}
	if err := sites.Update(ctx, f.site, spec); err != nil {
		t.Fatalf("cannot give the site its Harbor: %v", err)
	}
	want := helmrelease.Spec{
		Site: f.site, Cluster: f.cluster, Namespace: "hr-oci", Name: "from-oci",
		RepoURL: chartURL, Version: "0.3.0", Values: "message: from Harbor",
	}
	id := f.converge(t, "", want)
	if got, wantData := f.configMap(t, "hr-oci", "from-oci"), map[string]string{"chartVersion": "0.3.0", "message": "from Harbor", "extra": "", "size": "0"}; !cmp.Equal(got, wantData) {
		t.Errorf("installed ConfigMap (-want +got):\n%s", cmp.Diff(wantData, got))
	}
	f.destroy(t, id, "hr-oci", "from-oci")
}

func TestConformance(t *testing.T) {
	f := newFixture(t)
	repo := charttest.Serve(t, charttest.Chart{Name: "hr-conformance", Version: "1.0.0"})
	cfg, err := f.p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	gitRepo, err := f.p.CreateGitRepo(context.Background(), f.site+"-gitops", nil)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	enginetest.Conformance(t, enginetest.Kind[helmrelease.Spec, helmrelease.Status]{
		Client: f.client,
		NewSpec: func(*testing.T) helmrelease.Spec {
			return helmrelease.Spec{
				Site: f.site, Cluster: f.cluster, Namespace: "hr-conformance", Name: fmt.Sprintf("c%d", n.Add(1)),
				RepoURL: repo.URL, Chart: "hr-conformance", Version: "1.0.0", Values: "message: conformance\n",
			}
		},
		ID: func(s helmrelease.Spec) string { return s.ID() },
		// The release's manifest in the site's GitOps repository.
		Count: func(ctx context.Context, s helmrelease.Spec) (int, error) {
			path := helmrelease.ManifestPath("sites/"+f.site, s)
			files, _, err := git.NewCommitter().ReadFiles(ctx, git.Repository{URL: gitRepo, Username: f.p.GitUsername, Password: f.p.GitPassword}, "main", "", []string{path})
			return len(files), err
		},
		CompareOptions: []cmp.Option{cmpopts.EquateEmpty()},
		Immutable: []enginetest.ImmutableChange[helmrelease.Spec]{
			{Path: "namespace", Change: func(s helmrelease.Spec) helmrelease.Spec { s.Namespace += "-other"; return s }},
			{Path: "name", Change: func(s helmrelease.Spec) helmrelease.Spec { s.Name += "-renamed"; return s }},
		},
		WithTransport: func(_ *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[helmrelease.Spec, helmrelease.Status] {
			wrapped := rest.CopyConfig(cfg)
			wrapped.Wrap(wrap)
			return helmrelease.New(registry.New(wrapped, f.p.Namespace))
		},
		Trigger: f.client.Trigger,
	})
}
