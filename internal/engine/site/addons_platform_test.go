//go:build platform

package site_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/charttest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestClusterAddons: registering a cluster at a site with add-ons installs
// them there without an Update of the site, which stays up to date; a
// change of an add-on's values reaches the cluster; deregistering removes
// them, again without the site.
func TestClusterAddons(t *testing.T) {
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	ctx := context.Background()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("addons-%06x", rand.IntN(1<<24))
	repo, err := p.CreateGitRepo(ctx, name, map[string]string{"sites/" + name + "/README.md": "site " + name + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	charts := charttest.Serve(t, charttest.Chart{Name: "addon-base", Version: "1.0.0"})
	sites := site.New(registry.New(cfg, p.Namespace))
	spec := site.Spec{
		Name:   name,
		ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName},
		GitOps: &site.GitOps{RepoURL: repo, Branch: "main", Path: "sites/" + name, Username: p.GitUsername, Password: p.GitPassword},
		ClusterAddons: []site.ClusterAddon{
			{Name: "base", Namespace: name + "-base", RepoURL: charts.URL, Chart: "addon-base", Version: "1.0.0", Values: "message: v1"},
			{Name: "tier-only", Namespace: name + "-base", RepoURL: charts.URL, Chart: "addon-base", Version: "1.0.0",
				ClusterSelector: map[string]string{"tier": "gold"}},
		},
	}
	converge := func(id string, want site.Spec) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
		defer cancel()
		start := time.Now()
		if _, obs, err := engine.Converge(cctx, sites, id, want, engine.ConvergeOptions{Timeout: 3 * time.Minute}); err != nil {
			t.Fatalf("converge site: %v (last: %s)", err, obs.Message)
		}
		t.Logf("site converged in %s", time.Since(start).Round(time.Millisecond))
	}
	converge("", spec)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := engine.DeleteUntilGone(cctx, sites, name, engine.ConvergeOptions{}); err != nil {
			t.Errorf("cannot delete site %s: %v", name, err)
		}
	})

	wcfg, err := p.WorkloadRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	wl, err := kubernetes.NewForConfig(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	message := func() (string, bool) {
		cm, err := wl.CoreV1().ConfigMaps(name+"-base").Get(ctx, "base-cfg", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data["message"], true
	}

	// Register the workload cluster: it gets the add-ons without a site
	// Update.
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	regs := clusterregistration.New(registry.New(cfg, p.Namespace))
	regID, err := regs.Create(ctx, clusterregistration.Spec{
		Site: name, Name: name + "-wl", Server: p.WorkloadServerURL, CACertificate: string(ca), Token: p.WorkloadToken, TokenVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The registration committed the cluster's add-ons: the site is up to
	// date at once and becomes ready (the add-on installed) with no
	// Update of the site.
	manifest := site.AddonManifestPath(spec.GitOps.Path, name+"-wl", "base")
	if files := gitFiles(t, spec, manifest); files[manifest] == "" {
		t.Fatalf("registering the cluster did not commit its add-on %s", manifest)
	}
	obs, err := sites.Observe(ctx, name, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !obs.UpToDate {
		t.Fatalf("a site whose new cluster got its add-ons at registration is reported out of date: %+v", obs)
	}
	waitSiteReady(t, sites, name, spec)
	if got, ok := message(); !ok || got != "v1" {
		t.Fatalf("add-on base on the new cluster: message %q (installed %v), want v1", got, ok)
	}
	if _, err := wl.CoreV1().ConfigMaps(name+"-base").Get(ctx, "tier-only-cfg", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the add-on for tier=gold clusters reached a cluster without the label: err = %v", err)
	}

	// Values in another style are no change; new values reach the cluster.
	restyled := spec
	restyled.ClusterAddons = append([]site.ClusterAddon(nil), spec.ClusterAddons...)
	restyled.ClusterAddons[0].Values = "{message: 'v1'}"
	if obs, err := sites.Observe(ctx, name, restyled); err != nil || !obs.UpToDate {
		t.Errorf("values in another style are reported as a change: %+v, %v", obs, err)
	}
	changed := restyled
	changed.ClusterAddons = append([]site.ClusterAddon(nil), spec.ClusterAddons...)
	changed.ClusterAddons[0].Values = "message: v2"
	converge(name, changed)
	if got, _ := message(); got != "v2" {
		t.Errorf("after the values change the add-on's message is %q, want v2", got)
	}

	// Deregister the cluster: the registration removes its add-ons'
	// manifests and so their Applications, with no Update of the site
	// (Argo CD no longer reaches the cluster, so what they installed stays).
	if err := regs.Delete(ctx, regID); err != nil {
		t.Fatal(err)
	}
	if files := gitFiles(t, spec, manifest); files[manifest] != "" {
		t.Errorf("the add-on manifest %s of the deregistered cluster is still in git", manifest)
	}
	obs, err = sites.Observe(ctx, name, changed)
	if err != nil {
		t.Fatal(err)
	}
	if !obs.UpToDate {
		t.Errorf("a site whose cluster left with its add-ons is reported out of date: %+v", obs)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	app := site.AddonApplicationName(name+"-wl", "base")
	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := engine.Wait(dctx, func(ctx context.Context) (engine.Observation[struct{}, struct{}], error) {
		st, err := kube.GetApplicationSync(ctx, dc, p.ArgoCDNamespace, app)
		return engine.Observation[struct{}, struct{}]{Exists: st.Exists}, err
	}, engine.WaitOptions{Until: func(exists, _ bool) bool { return !exists }, Trigger: gitops.Trigger(dctx, dc, gitops.App{Namespace: p.ArgoCDNamespace, Name: app})}); err != nil {
		t.Errorf("the add-on's Application is still there after the cluster left the site: %v", err)
	}
}

// gitFiles reads paths from the site's GitOps branch; a missing file is
// absent from the result.
func gitFiles(t *testing.T, s site.Spec, paths ...string) map[string]string {
	t.Helper()
	g := s.GitOps
	files, _, err := gitops.Shared().Committer().ReadFiles(context.Background(),
		git.Repository{URL: g.RepoURL, Username: g.Username, Password: g.Password}, g.Branch, "", paths)
	if err != nil {
		t.Fatalf("cannot read %v from the GitOps repository: %v", paths, err)
	}
	return files
}

// waitSiteReady waits, observing only, until site id is ready at want: it
// fails when the site is out of date on the way (nothing may need a site
// Update).
func waitSiteReady(t *testing.T, sites *site.Client, id string, want site.Spec) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	obs, err := engine.Wait(ctx, func(ctx context.Context) (engine.Observation[site.Spec, site.Status], error) {
		obs, err := sites.Observe(ctx, id, want)
		if err == nil && !obs.UpToDate {
			err = &engine.TerminalError{Message: "the site is out of date: " + obs.Message}
		}
		return obs, err
	}, engine.WaitOptions{MaxInterval: 2 * time.Second})
	if err != nil {
		t.Fatalf("site %s did not become ready without an Update: %v (last: %s)", id, err, obs.Message)
	}
}
