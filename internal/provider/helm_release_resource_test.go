//go:build platform

package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/charttest"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// helmSiteConfig is a site with a GitOps repository of its own and the
// sandbox's workload cluster registered there as <site>-wl.
func helmSiteConfig(t *testing.T, p *sandbox.Platform, siteName string) string {
	t.Helper()
	path := "sites/" + siteName
	repo := gitRepo(t, p, siteName, path)
	return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "helm" {
  name = %[1]q
  argocd = {
    namespace   = %[2]q
    destination = %[3]q
  }
  gitops = {
    repo_url            = %[4]q
    path                = %[5]q
    username            = %[6]q
    password_wo         = %[7]q
    password_wo_version = 1
  }
}

resource "mc_cluster_registration" "wl" {
  site             = mc_site.helm.name
  name             = "%[1]s-wl"
  server           = %[8]q
  ca_certificate   = file(%[9]q)
  token_wo         = %[10]q
  token_wo_version = 1
}
`, siteName, p.ArgoCDNamespace, p.ArgoCDClusterName, repo, path, p.GitUsername, p.GitPassword, p.WorkloadServerURL, p.WorkloadCAFile, p.WorkloadToken)
}

func workloadClient(t *testing.T, p *sandbox.Platform) kubernetes.Interface {
	t.Helper()
	cfg, err := p.WorkloadRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// checkReleaseConfigMap checks the ConfigMap the test chart renders for
// release in the workload cluster; want nil means it must not exist.
func checkReleaseConfigMap(cs kubernetes.Interface, namespace, release string, want map[string]string) error {
	cm, err := cs.CoreV1().ConfigMaps(namespace).Get(context.Background(), release+"-cfg", metav1.GetOptions{})
	if want == nil {
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("ConfigMap %s/%s-cfg: err = %v, want NotFound", namespace, release, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if diff := cmp.Diff(want, cm.Data); diff != "" {
		return fmt.Errorf("ConfigMap %s/%s-cfg (-want +got):\n%s", namespace, release, diff)
	}
	return nil
}

func TestAccHelmRelease_lifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	const siteName = "acc-helm"
	repo := charttest.Serve(t, charttest.Chart{Name: "acc-helm-demo", Version: "0.1.0"}, charttest.Chart{Name: "acc-helm-demo", Version: "0.2.0"})
	wl := workloadClient(t, p)
	release := func(version, values, set string) string {
		return helmSiteConfig(t, p, siteName) + fmt.Sprintf(`
resource "mc_helm_release" "demo" {
  site      = mc_site.helm.name
  cluster   = mc_cluster_registration.wl.name
  namespace = "acc-helm"
  name      = "demo"
  repo_url  = %q
  chart     = "acc-helm-demo"
  version   = %q
  values    = <<-EOT
%s
  EOT
  %s
}
`, repo.URL, version, values, set)
	}
	const canonicalValues = "    extra: two\n    message: upgraded"
	const restyledValues = "    {message: \"upgraded\", extra: 'two'}"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			return checkReleaseConfigMap(wl, "acc-helm", "demo", nil)
		},
		Steps: []resource.TestStep{
			{
				Config: release("0.1.0", "    message: hello\n    extra: one", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_helm_release.demo", "id", siteName+"/"+siteName+"-wl/acc-helm/demo"),
					resource.TestCheckResourceAttr("mc_helm_release.demo", "application", p.ArgoCDNamespace+"/helm-"+siteName+"-wl-acc-helm-demo"),
					resource.TestCheckResourceAttr("mc_helm_release.demo", "manifest_path", "sites/"+siteName+"/helm/"+siteName+"-wl-acc-helm-demo.yaml"),
					resource.TestCheckResourceAttr("mc_helm_release.demo", "revision", "0.1.0"),
					resource.TestCheckResourceAttr("mc_helm_release.demo", "sync_status", "Synced"),
					resource.TestCheckResourceAttr("mc_helm_release.demo", "health_status", "Healthy"),
					resource.TestCheckResourceAttrWith("mc_helm_release.demo", "commit", func(v string) error {
						if !git.IsCommitSHA(v) {
							return fmt.Errorf("commit %q is not a commit SHA", v)
						}
						return nil
					}),
					func(*terraform.State) error {
						return checkReleaseConfigMap(wl, "acc-helm", "demo", map[string]string{"chartVersion": "0.1.0", "message": "hello", "extra": "one", "size": "0"})
					},
				),
			},
			{
				// A new version, values (in another key order and style than
				// the canonical form the manifest holds) and parameters: an
				// upgrade in place.
				Config: release("0.2.0", restyledValues, `set = { size = "3" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_helm_release.demo", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_helm_release.demo", "revision", "0.2.0"),
					func(*terraform.State) error {
						return checkReleaseConfigMap(wl, "acc-helm", "demo", map[string]string{"chartVersion": "0.2.0", "message": "upgraded", "extra": "two", "size": "3"})
					},
				),
			},
			{
				// No perpetual diff: the canonical values read back are the
				// configured ones.
				Config: release("0.2.0", restyledValues, `set = { size = "3" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Import reads the values in canonical form.
				ResourceName:            "mc_helm_release.demo",
				ImportState:             true,
				ImportStateId:           siteName + "/" + siteName + "-wl/acc-helm/demo",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "values"},
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].Attributes["values"] != "extra: two\nmessage: upgraded\n" {
						return fmt.Errorf("imported values: %v", states)
					}
					return nil
				},
			},
			{
				// The canonical text is the same values: nothing to commit,
				// and afterwards no diff either.
				Config: release("0.2.0", canonicalValues, `set = { size = "3" }`),
				Check:  resource.TestCheckResourceAttr("mc_helm_release.demo", "revision", "0.2.0"),
			},
			{
				Config: release("0.2.0", canonicalValues, `set = { size = "3" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccHelmRelease_concurrency applies 20 releases into one GitOps
// repository with -parallelism=20: every manifest is committed (none lost
// to a concurrent push) and every release is installed.
func TestAccHelmRelease_concurrency(t *testing.T) {
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	const siteName, releases = "acc-helm-many", 20
	t.Setenv("TF_CLI_ARGS_apply", "-parallelism=20")
	t.Setenv("TF_CLI_ARGS_destroy", "-parallelism=20")
	repo := charttest.Serve(t, charttest.Chart{Name: "acc-helm-many", Version: "1.0.0"})
	wl := workloadClient(t, p)
	config := helmSiteConfig(t, p, siteName) + fmt.Sprintf(`
resource "mc_helm_release" "many" {
  count     = %d
  site      = mc_site.helm.name
  cluster   = mc_cluster_registration.wl.name
  namespace = "acc-helm-many"
  name      = "r${count.index}"
  repo_url  = %q
  chart     = "acc-helm-many"
  version   = "1.0.0"
  values    = yamlencode({ message = "release ${count.index}" })
}
`, releases, repo.URL)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			for i := range releases {
				if err := checkReleaseConfigMap(wl, "acc-helm-many", "r"+strconv.Itoa(i), nil); err != nil {
					return err
				}
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: config,
			Check: func(s *terraform.State) error {
				var paths []string
				for i := range releases {
					r := s.RootModule().Resources["mc_helm_release.many."+strconv.Itoa(i)]
					if r == nil {
						return fmt.Errorf("release %d is not in state", i)
					}
					paths = append(paths, r.Primary.Attributes["manifest_path"])
					if err := checkReleaseConfigMap(wl, "acc-helm-many", "r"+strconv.Itoa(i), map[string]string{
						"chartVersion": "1.0.0", "message": "release " + strconv.Itoa(i), "extra": "", "size": "0",
					}); err != nil {
						return err
					}
				}
				site := s.RootModule().Resources["mc_site.helm"].Primary.Attributes
				files, _, err := git.NewCommitter().ReadFiles(context.Background(),
					git.Repository{URL: site["gitops.repo_url"], Username: p.GitUsername, Password: p.GitPassword}, "main", "", paths)
				if err != nil {
					return err
				}
				if len(files) != releases {
					return fmt.Errorf("%d of %d manifests are in git", len(files), releases)
				}
				for path, content := range files {
					if !strings.Contains(content, "kind: Application") {
						return fmt.Errorf("%s is not an Application manifest:\n%s", path, content)
					}
				}
				return nil
			},
		}},
	})
}

// TestAccSite_clusterAddons: a cluster registered after the site gets the
// site's add-on from its registration, with no apply of the site, whose
// next plan is empty; values in another style than the record's give no
// perpetual diff; destroying the registration removes the cluster's add-on
// manifests, again with the site's plan empty.
func TestAccSite_clusterAddons(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	const siteName = "acc-addons"
	repo := charttest.Serve(t, charttest.Chart{Name: "acc-addon-base", Version: "1.0.0"})
	wl := workloadClient(t, p)
	config := strings.Replace(helmSiteConfig(t, p, siteName), `    password_wo_version = 1
  }
}`, fmt.Sprintf(`    password_wo_version = 1
  }
  cluster_addons = [{
    name      = "base"
    namespace = "acc-addons"
    repo_url  = %q
    chart     = "acc-addon-base"
    version   = "1.0.0"
    values    = "{message: 'from the site'}"
  }]
}`, repo.URL), 1)
	siteOnly, _, found := strings.Cut(config, `resource "mc_cluster_registration"`)
	if !found {
		t.Fatal("the site configuration has no cluster registration")
	}
	manifest := "sites/" + siteName + "/clusters/" + siteName + "-wl/base.yaml"
	dc, err := dynamic.NewForConfig(mustRESTConfig(t, p))
	if err != nil {
		t.Fatal(err)
	}
	addonManifest := func(s *terraform.State) (string, error) {
		site := s.RootModule().Resources["mc_site.helm"].Primary.Attributes
		files, _, err := git.NewCommitter().ReadFiles(context.Background(),
			git.Repository{URL: site["gitops.repo_url"], Username: p.GitUsername, Password: p.GitPassword}, "main", "", []string{manifest})
		return files[manifest], err
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The registration comes after the site (it depends on it)
				// and commits the add-on for its cluster: the plan after
				// the apply is empty, and the add-on reaches the cluster.
				Config: config,
				Check: func(s *terraform.State) error {
					if content, err := addonManifest(s); err != nil || !strings.Contains(content, "kind: Application") {
						return fmt.Errorf("add-on manifest %s after the registration: %q, %v", manifest, content, err)
					}
					return waitReleaseConfigMap(wl, "acc-addons", "base", map[string]string{"chartVersion": "1.0.0", "message": "from the site", "extra": "", "size": "0"})
				},
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Destroying the registration removes the cluster's add-on
				// manifest, so Argo CD its Application; once it has, and
				// the site's root application has synced the removal, the
				// site's plan is empty.
				Config: siteOnly,
				Check: func(s *terraform.State) error {
					if content, err := addonManifest(s); err != nil || content != "" {
						return fmt.Errorf("add-on manifest %s after the registration was destroyed: %q, %v", manifest, content, err)
					}
					app := siteName + "-wl-base"
					err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
						st, err := kube.GetApplicationSync(ctx, dc, p.ArgoCDNamespace, "addon-"+app)
						return err == nil && !st.Exists, nil
					})
					if err != nil {
						return fmt.Errorf("the add-on Application addon-%s is still there after the registration was destroyed: %w", app, err)
					}
					// Under load Argo CD may report the root application
					// OutOfSync a while after the pruning.
					root := s.RootModule().Resources["mc_site.helm"].Primary.Attributes["root_application"]
					var last kube.ApplicationSync
					err = wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
						st, err := kube.GetApplicationSync(ctx, dc, p.ArgoCDNamespace, root)
						last = st
						return err == nil && st.SyncStatus == "Synced" && st.HealthStatus == "Healthy", nil
					})
					if err != nil {
						return fmt.Errorf("the root application %s is %s and %s after the add-on was pruned: %w", root, last.SyncStatus, last.HealthStatus, err)
					}
					return nil
				},
			},
			{
				Config: siteOnly,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// waitReleaseConfigMap waits up to two minutes until checkReleaseConfigMap
// holds, for what Argo CD delivers after an apply that does not wait.
func waitReleaseConfigMap(cs kubernetes.Interface, namespace, release string, want map[string]string) error {
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		last = checkReleaseConfigMap(cs, namespace, release, want)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%w: %v", err, last)
	}
	return nil
}
