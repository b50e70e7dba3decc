//go:build platform

package provider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func siteGitOpsConfig(p *sandbox.Platform, name, repoURL, description string) string {
	return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name        = %[1]q
  description = %[3]q
  labels = {
    region = "kr-central"
  }
  gitops = {
    repo_url            = %[2]q
    path                = "sites/%[1]s"
    username            = %[4]q
    password_wo         = %[5]q
    password_wo_version = 1
  }
}
`, name, repoURL, description, p.GitUsername, p.GitPassword)
}

func TestAccSite_gitopsLifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	cs := platformClients(t, p)
	const name = "acc-gitops"
	repo := gitRepo(t, p, "acc-gitops", "sites/"+name)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkSiteDestroyed(p, name),
		Steps: []resource.TestStep{
			{
				Config: siteGitOpsConfig(p, name, repo, "first"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_site.test", "id", name),
					resource.TestCheckResourceAttr("mc_site.test", "ready", "true"),
					resource.TestCheckResourceAttr("mc_site.test", "root_application", name+"-root"),
					resource.TestCheckResourceAttr("mc_site.test", "argocd.namespace", "argocd"),
					resource.TestCheckResourceAttr("mc_site.test", "argocd_version", "v1alpha1"),
					resource.TestCheckResourceAttr("mc_site.test", "capi_version", "v1beta2"),
					resource.TestMatchResourceAttr("mc_site.test", "kubernetes_version", regexp.MustCompile(`^v1\.\d+\.\d+`)),
					resource.TestCheckNoResourceAttr("mc_site.test", "gitops.password_wo"),
					checkRecord(cs, p, name, "first"),
					// The root application really deployed the repository's manifest.
					checkConfigMap(cs, "default", "acc-gitops-marker"),
				),
			},
			{
				ResourceName:            "mc_site.test",
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: siteGitOpsConfig(p, name, repo, "second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_site.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_site.test", "description", "second"),
					checkRecord(cs, p, name, "second"),
				),
			},
		},
	})
}

func TestAccSite_managementClusterToken(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	const name = "acc-token"
	config := func(version int) string {
		return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name = %q
  management_cluster = {
    host             = %q
    ca_certificate   = %q
    token_wo         = %q
    token_wo_version = %d
  }
}
`, name, p.APIServerURL, string(p.CACertPEM), p.Token, version)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkSiteDestroyed(p, name),
		Steps: []resource.TestStep{
			{
				Config: config(1),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_site.test", "ready", "true"),
					resource.TestCheckResourceAttr("mc_site.test", "management_cluster.token_wo_version", "1"),
					resource.TestCheckNoResourceAttr("mc_site.test", "management_cluster.token_wo"),
					resource.TestCheckNoResourceAttr("mc_site.test", "root_application"),
					checkStateHasNo(p.Token),
				),
			},
			{
				ResourceName:            "mc_site.test",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: config(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_site.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr("mc_site.test", "management_cluster.token_wo_version", "2"),
			},
		},
	})
}

func TestAccSite_drift(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	cs := platformClients(t, p)
	const name = "acc-drift"
	config := providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name        = %q
  description = "declared"
}
`, name)
	editRecord := func(description string) func() {
		return func() {
			rec, err := lookupSite(p, name)
			if err != nil {
				t.Fatalf("Lookup() error = %v", err)
			}
			rec.Spec.Description = description
			c := site.New(registry.New(mustRESTConfig(t, p), p.Namespace))
			if err := c.Update(context.Background(), name, rec.Spec); err != nil {
				t.Fatalf("out-of-band Update() error = %v", err)
			}
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkSiteDestroyed(p, name),
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Edited out of band: the plan puts the declared value back.
				PreConfig: editRecord("edited by hand"),
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_site.test", plancheck.ResourceActionUpdate)},
				},
				Check: checkRecord(cs, p, name, "declared"),
			},
			{
				// Deleted out of band: the plan creates it again.
				PreConfig: func() {
					if err := cs.CoreV1().Secrets(p.Namespace).Delete(context.Background(), registry.RecordName(name), metav1.DeleteOptions{}); err != nil {
						t.Fatalf("deleting the record: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_site.test", plancheck.ResourceActionCreate)},
				},
				Check: checkRecord(cs, p, name, "declared"),
			},
		},
	})
}

func TestAccSite_refusesDeleteWhileClustersUseIt(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	const name = "acc-in-use"
	dc, err := dynamic.NewForConfig(mustRESTConfig(t, p))
	if err != nil {
		t.Fatal(err)
	}
	clusters := dc.Resource(schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "clusters"}).Namespace("default")
	config := providerBlock(p) + fmt.Sprintf("resource \"mc_site\" \"test\" {\n  name = %q\n}\n", name)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkSiteDestroyed(p, name),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(*terraform.State) error {
					// workload-1 uses the site; workload-2 uses a site of
					// the same name in another registry.
					for cluster, labels := range map[string]map[string]any{
						"workload-1": {registry.LabelSite: name},
						"workload-2": {registry.LabelSite: name, registry.LabelRegistry: "another-registry"},
					} {
						u := &unstructured.Unstructured{Object: map[string]any{
							"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
							"metadata": map[string]any{"name": cluster, "namespace": "default", "labels": labels},
							"spec": map[string]any{
								"paused": true,
								"infrastructureRef": map[string]any{
									"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DevCluster", "name": cluster,
								},
							},
						}}
						if _, err := clusters.Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
							return err
						}
						t.Cleanup(func() { deletePausedCluster(t, clusters, cluster) })
					}
					return nil
				},
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?is)site "acc-in-use" is still used by clusters\s+default/workload-1:\s+delete`),
			},
			{
				PreConfig: func() { deletePausedCluster(t, clusters, "workload-1") },
				Config:    config,
			},
		},
	})
}

// deletePausedCluster deletes a paused Cluster that nothing provisioned:
// Cluster API (when running) would keep its finalizer, so it is taken off.
func deletePausedCluster(t *testing.T, clusters dynamic.ResourceInterface, name string) {
	t.Helper()
	ctx := context.Background()
	if err := clusters.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting the cluster %s: %v", name, err)
	}
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	if _, err := clusters.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("removing the finalizers of the cluster %s: %v", name, err)
	}
}

func TestAccSite_badInput(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	cs := platformClients(t, p)
	goodRepo := gitRepo(t, p, "acc-bad-input", "sites/x")
	siteConfig := func(name, body string) string {
		return providerBlock(p) + fmt.Sprintf("resource \"mc_site\" \"test\" {\n  name = %q\n%s\n}\n", name, body)
	}
	tokenCluster := func(host, token string) string {
		return fmt.Sprintf(`  management_cluster = {
    host             = %q
    ca_certificate   = %q
    token_wo         = %q
    token_wo_version = 1
  }`, host, string(p.CACertPEM), token)
	}
	gitops := func(repo, password string) string {
		return fmt.Sprintf(`  gitops = {
    repo_url            = %q
    path                = "sites/x"
    username            = %q
    password_wo         = %q
    password_wo_version = 1
  }`, repo, p.GitUsername, password)
	}
	cases := []struct {
		name, site, body string
		planOnly         bool
		want             string
	}{
		{"invalid name", "Site_B", "", true, `(?s)Attribute name must be a DNS-1123 label`},
		{"kubeconfig that does not parse", "bad-kubeconfig", "  management_cluster = {\n    kubeconfig_wo = \"not: [a kubeconfig\"\n    kubeconfig_wo_version = 1\n  }", true, `(?is)kubeconfig does not parse.*\(argument\s+management_cluster\.kubeconfig_wo\)`},
		{"token and kubeconfig together", "both-creds", "  management_cluster = {\n    host = \"https://127.0.0.1:6443\"\n    token_wo = \"x\"\n    token_wo_version = 1\n    kubeconfig_wo = \"x\"\n    kubeconfig_wo_version = 1\n  }", true, `(?is)set either a token \(with host\) or a kubeconfig, not both.*management_cluster\.kubeconfig_wo`},
		{"write-only without version", "no-version", "  management_cluster = {\n    host = \"https://127.0.0.1:6443\"\n    token_wo = \"x\"\n  }", true, `Missing token_wo_version`},
		{"host that is not a URL", "bad-host", "  management_cluster = {\n    host = \"10.0.0.1:6443\"\n    token_wo = \"x\"\n    token_wo_version = 1\n  }", true, `(?is)is not an http\(s\) URL.*\(argument\s+management_cluster\.host\)`},
		{"path that escapes the repository", "bad-path", "  gitops = {\n    repo_url = \"https://git.example/x.git\"\n    path = \"../etc\"\n  }", true, `(?is)clean relative\s+path.*\(argument\s+gitops\.path\)`},
		{"unreachable management cluster", "unreachable", tokenCluster("https://127.0.0.1:1", p.Token), false, `(?is)cannot reach the cluster at https://127\.0\.0\.1:1.*\(argument\s+management_cluster\.host\)`},
		{"wrong token", "wrong-token", tokenCluster(p.APIServerURL, "not-a-valid-token"), false, `(?is)rejected the\s+credentials\s+\(401\s+Unauthorized\).*\(argument\s+management_cluster\.token_wo\)`},
		{"gitops repo that does not exist", "missing-repo", gitops(p.GitURL+"/no-such-repo.git", p.GitPassword), false, `(?is)the repository does not\s+exist.*\(argument\s+gitops\.repo_url\)`},
		{"wrong git password", "wrong-git-password", gitops(goodRepo, "wrong"), false, `(?is)the git server rejected the\s+credentials.*\(argument\s+gitops\.password_wo\)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      siteConfig(tc.site, tc.body),
					PlanOnly:    tc.planOnly,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
			// Nothing is left half-created: no record, no root application.
			if _, err := cs.CoreV1().Secrets(p.Namespace).Get(context.Background(), "site-"+tc.site, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("record of %q after a failed create: err = %v, want not found", tc.site, err)
			}
		})
	}
}

func mustRESTConfig(t *testing.T, p *sandbox.Platform) *rest.Config {
	t.Helper()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// lookupSite reads site name's record straight from the platform.
func lookupSite(p *sandbox.Platform, name string) (*registry.Record, error) {
	cfg, err := p.RESTConfig()
	if err != nil {
		return nil, err
	}
	return registry.New(cfg, p.Namespace).Lookup(context.Background(), name)
}

func checkRecord(cs kubernetes.Interface, p *sandbox.Platform, name, description string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		rec, err := lookupSite(p, name)
		if err != nil {
			return err
		}
		if rec.Spec.Description != description {
			return fmt.Errorf("record description = %q, want %q", rec.Spec.Description, description)
		}
		return nil
	}
}

func checkConfigMap(cs kubernetes.Interface, namespace, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := cs.CoreV1().ConfigMaps(namespace).Get(context.Background(), name, metav1.GetOptions{})
		return err
	}
}

// checkStateHasNo fails when secret appears anywhere in the state.
func checkStateHasNo(secret string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, m := range s.Modules {
			for addr, r := range m.Resources {
				for k, v := range r.Primary.Attributes {
					if strings.Contains(v, secret) {
						return fmt.Errorf("%s.%s holds a secret", addr, k)
					}
				}
			}
		}
		return nil
	}
}

// checkSiteDestroyed proves the record and the root application are gone.
func checkSiteDestroyed(p *sandbox.Platform, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		cfg, err := p.RESTConfig()
		if err != nil {
			return err
		}
		if _, err := lookupSite(p, name); err == nil {
			return fmt.Errorf("site %q still has a record", name)
		} else if !engine.IsNotFound(err) {
			return err
		}
		dc, err := dynamic.NewForConfig(cfg)
		if err != nil {
			return err
		}
		app, err := kube.GetApplication(context.Background(), dc, p.ArgoCDNamespace, site.RootApplicationName(name))
		if err != nil {
			return err
		}
		if app.Exists {
			return fmt.Errorf("root application of site %q still exists", name)
		}
		return nil
	}
}

func TestAccSite_timeoutThenResume(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	const name = "acc-resume"
	path := "sites/" + name
	// A claim with no storage to bind stays Pending, so Argo CD reports the
	// root application Progressing until the claim leaves the repository.
	repo, err := p.CreateGitRepo(context.Background(), name, map[string]string{
		path + "/claim.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: never-bound\n  namespace: default\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
		path + "/info.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: acc-resume-info\n  namespace: default\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	config := providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name = %q
  gitops = {
    repo_url            = %q
    path                = %q
    username            = %q
    password_wo         = %q
    password_wo_version = 1
  }
  timeouts = {
    create = "15s"
    update = "5m"
  }
}
`, name, repo, path, p.GitUsername, p.GitPassword)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkSiteDestroyed(p, name),
		Steps: []resource.TestStep{
			{
				// The create outlives its timeout: the site stays in state, not ready.
				Config:             config,
				Check:              resource.TestCheckResourceAttr("mc_site.test", "ready", "false"),
				ExpectNonEmptyPlan: true,
			},
			{
				// Once the claim is gone the next apply resumes waiting, in place.
				PreConfig: func() { gitRemove(t, repo, p.GitUsername, p.GitPassword, path+"/claim.yaml") },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_site.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr("mc_site.test", "ready", "true"),
			},
		},
	})
}

// gitRemove removes file from the repository's main branch with the git CLI.
func gitRemove(t *testing.T, repoURL, username, password, file string) {
	t.Helper()
	u, err := url.Parse(repoURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(username, password)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"clone", "-q", u.String(), "."},
		{"rm", "-q", file},
		{"-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "remove " + file},
		{"push", "-q", "origin", "HEAD:main"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", args[0], err, out)
		}
	}
}

func TestAccSite_harbor(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hub := httptest.NewServer(harborsim.New(harborsim.Options{AdminPassword: "Harbor12345", Version: "v2.13.0-sim"}))
	defer hub.Close()
	const name = "acc-harbor"
	config := func(password string, version int) string {
		return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name = %q
  harbor = {
    url                 = %q
    username            = "admin"
    password_wo         = %q
    password_wo_version = %d
  }
}
`, name, hub.URL, password, version)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkSiteDestroyed(p, name),
		Steps: []resource.TestStep{
			{
				Config:      config("wrong", 1),
				ExpectError: regexp.MustCompile(`(?is)rejected the\s+credentials.*\(argument\s+harbor\.password_wo\)`),
			},
			{
				Config: config("Harbor12345", 1),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_site.test", "harbor_version", "v2.13.0-sim"),
					resource.TestCheckResourceAttr("mc_site.test", "harbor.username", "admin"),
					resource.TestCheckNoResourceAttr("mc_site.test", "harbor.password_wo"),
					checkStateHasNo("Harbor12345"),
				),
			},
			{
				ResourceName:            "mc_site.test",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: config("Harbor12345", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_site.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr("mc_site.test", "harbor.password_wo_version", "2"),
			},
		},
	})
}

// TestAccSite_unknownProviderConfig: provider arguments known only after
// apply (here from terraform_data) do not fail the plan.
func TestAccSite_unknownProviderConfig(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "platform" {
  input = %q
}

provider "mc" {
  kubeconfig_path = terraform_data.platform.output
}

resource "mc_site" "test" {
  name = "acc-unknown-config"
}
`, p.KubeconfigPath),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
}
