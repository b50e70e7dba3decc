//go:build platform

package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// Template repositories of the deployment tests, in a Bitbucket project of
// their own (unique across the packages sharing one platform).
const (
	depTemplatesProject = "ACCDEPTPL"
	depTemplateSource   = "acc-dep-template-src"
	depTemplateYAML     = "acc-dep-template-yaml"
)

// depTemplates makes the template repositories of mc_application in the
// platform's Bitbucket (idempotent) and returns their clone URLs.
func depTemplates(t testing.TB, p *sandbox.Platform) (source, yaml string) {
	t.Helper()
	ctx := context.Background()
	b := p.Bitbucket
	c := bitbucket.NewCloud(b.URL, bitbucket.Auth{Username: b.Username, Token: b.Password})
	if _, _, err := bitbucket.CreateOrGetProject(ctx, c, b.Workspace, bitbucket.ProjectInput{Key: depTemplatesProject, Name: "Deployment test templates", IsPrivate: true}); err != nil {
		t.Fatalf("cannot make the templates project: %v", err)
	}
	files := map[string]map[string]string{
		depTemplateSource: {"README.md": "# service\n", "main.go": "package main\n\nfunc main() {}\n"},
		depTemplateYAML:   {"README.md": "# manifests\n\nEach mc_application_deployment owns deploy/<site>/<cluster>/.\n"},
	}
	urls := map[string]string{}
	for _, slug := range []string{depTemplateSource, depTemplateYAML} {
		if _, _, err := bitbucket.CreateOrGetRepository(ctx, c, b.Workspace, slug, bitbucket.RepositoryInput{ProjectKey: depTemplatesProject, Name: slug, IsPrivate: true}); err != nil {
			t.Fatalf("cannot make template repository %s: %v", slug, err)
		}
		urls[slug] = b.ServerURL() + "/" + b.Workspace + "/" + slug + ".git"
		repo := git.Repository{URL: urls[slug], Username: b.Username, Password: b.Password}
		if _, err := git.NewCommitter().Commit(ctx, repo, "main", git.Change{Files: files[slug], Message: "Template " + slug}); err != nil {
			t.Fatalf("cannot push template repository %s: %v", slug, err)
		}
	}
	return urls[depTemplateSource], urls[depTemplateYAML]
}

// deploymentFixture is a site with a GitOps repository, the workload
// cluster registered in its Argo CD, a project and an application made
// from the templates: everything a deployment needs.
type deploymentFixture struct {
	p                     *sandbox.Platform
	site, cluster, key    string
	gitopsURL             string
	templateSrc, tmplYAML string
}

func newDeploymentFixture(t *testing.T, p *sandbox.Platform, site, cluster string) deploymentFixture {
	t.Helper()
	src, yaml := depTemplates(t, p)
	return deploymentFixture{
		p: p, site: site, cluster: cluster, key: randomKey("DEP"),
		gitopsURL: gitRepo(t, p, site+"-gitops", "sites/"+site), templateSrc: src, tmplYAML: yaml,
	}
}

// base is the configuration of the fixture, with extra resources.
func (f deploymentFixture) config(extra string) string {
	p := f.p
	return platformAtlassian(p).providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "dep" {
  name = %[1]q
  gitops = {
    repo_url            = %[2]q
    path                = "sites/%[1]s"
    username            = %[3]q
    password_wo         = %[4]q
    password_wo_version = 1
  }
}

resource "mc_cluster_registration" "wl" {
  site             = mc_site.dep.name
  name             = %[5]q
  server           = %[6]q
  ca_certificate   = file(%[7]q)
  token_wo         = %[8]q
  token_wo_version = 1
}

resource "mc_project" "dep" {
  key  = %[9]q
  name = "Deployment test %[9]s"
  bitbucket = {
    workspace = %[10]q
  }
}

resource "mc_application" "web" {
  project = mc_project.dep.key
  name    = "web"
  template = {
    source_repo = %[11]q
    yaml_repo   = %[12]q
  }
}
%[13]s`, f.site, f.gitopsURL, p.GitUsername, p.GitPassword, f.cluster, p.WorkloadServerURL, p.WorkloadCAFile, p.WorkloadToken,
		f.key, p.Bitbucket.Workspace, f.templateSrc, f.tmplYAML, extra)
}

// deployment is an mc_application_deployment of the fixture's application.
func (f deploymentFixture) deployment(namespace, tag, retry string) string {
	return fmt.Sprintf(`
resource "mc_application_deployment" "web" {
  application = mc_application.web.id
  site        = mc_site.dep.name
  cluster     = mc_cluster_registration.wl.name
  namespace   = %q
  image = {
    repository = "registry.example/acc/web"
    tag        = %q
  }
  sync_policy = {
    automated    = true
    prune        = true
    self_heal    = true
    sync_options = ["CreateNamespace=true"]
    %s
  }
}
`, namespace, tag, retry)
}

// yamlRepo is the application's yaml repository, with the platform's
// Bitbucket credentials.
func (f deploymentFixture) yamlRepo() git.Repository {
	b := f.p.Bitbucket
	return git.Repository{URL: b.ServerURL() + "/" + b.Workspace + "/web-yaml.git", Username: b.Username, Password: b.Password}
}

func (f deploymentFixture) gitopsRepo() git.Repository {
	return git.Repository{URL: f.gitopsURL, Username: f.p.GitUsername, Password: f.p.GitPassword}
}

func (f deploymentFixture) appName() string {
	return applicationdeployment.ApplicationName(f.key, "web", f.cluster)
}

func (f deploymentFixture) manifestPath() string {
	return applicationdeployment.ManifestPath("sites/"+f.site, f.key, "web", f.cluster)
}

func workloadClients(t *testing.T, p *sandbox.Platform) kubernetes.Interface {
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

func platformDynamic(t *testing.T, p *sandbox.Platform) dynamic.Interface {
	t.Helper()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

// checkWorkloadDeployment checks that Deployment web in namespace of the
// workload cluster runs image and is Available with its replica updated:
// the create returned only once it was.
func checkWorkloadDeployment(wl kubernetes.Interface, namespace, image string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		d, err := wl.AppsV1().Deployments(namespace).Get(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("the Deployment in the workload cluster: %w", err)
		}
		if got := d.Spec.Template.Spec.Containers[0].Image; got != image {
			return fmt.Errorf("the Deployment runs %q, want %q", got, image)
		}
		available := false
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
				available = true
			}
		}
		if !available || d.Status.UpdatedReplicas != 1 || d.Status.AvailableReplicas != 1 || d.Status.ObservedGeneration != d.Generation {
			return fmt.Errorf("the Deployment is not rolled out: available %v, updated %d, available replicas %d, observed generation %d of %d",
				available, d.Status.UpdatedReplicas, d.Status.AvailableReplicas, d.Status.ObservedGeneration, d.Generation)
		}
		return nil
	}
}

// checkGitFile checks path's content in repo's main branch with match.
func checkGitFile(repo git.Repository, path string, match func(content string, ok bool) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		files, _, err := git.NewCommitter().ReadFiles(context.Background(), repo, "main", "", []string{path})
		if err != nil {
			return err
		}
		content, ok := files[path]
		return match(content, ok)
	}
}

// eventually polls check every half second until it passes or a minute
// has gone by (Argo CD removes resources in the background after the
// Application is gone).
func eventually(check func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		<-time.After(500 * time.Millisecond)
	}
}

func TestAccApplicationDeployment_lifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	f := newDeploymentFixture(t, p, "acc-dep", "acc-dep-wl")
	ns := "acc-dep-web-" + strings.ToLower(f.key)
	wl := workloadClients(t, p)
	dc := platformDynamic(t, p)
	const res = "mc_application_deployment.web"
	var firstYAMLCommit string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			ctx := context.Background()
			if _, err := dc.Resource(kube.ApplicationGVR).Namespace(p.ArgoCDNamespace).Get(ctx, f.appName(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return fmt.Errorf("the Application %s after destroy: err = %v, want NotFound", f.appName(), err)
			}
			return eventually(func() error {
				if _, err := wl.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					return fmt.Errorf("the Deployment in the workload cluster after destroy: err = %v, want NotFound", err)
				}
				return nil
			})
		},
		Steps: []resource.TestStep{
			{
				Config: f.config(f.deployment(ns, "1.0.0", "")),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "id", "acc-dep/"+f.key+"/web/acc-dep-wl"),
					resource.TestCheckResourceAttr(res, "sync_status", "Synced"),
					resource.TestCheckResourceAttr(res, "health_status", "Healthy"),
					resource.TestCheckResourceAttr(res, "operation_phase", "Succeeded"),
					resource.TestCheckResourceAttr(res, "ready", "true"),
					resource.TestCheckResourceAttr(res, "argocd_application", p.ArgoCDNamespace+"/"+f.appName()),
					resource.TestCheckResourceAttrPair(res, "synced_revision", res, "yaml_commit"),
					resource.TestCheckResourceAttrSet(res, "gitops_commit"),
					checkWorkloadDeployment(wl, ns, "registry.example/acc/web:1.0.0"),
					checkGitFile(f.gitopsRepo(), f.manifestPath(), func(content string, ok bool) error {
						for _, want := range []string{"kind: Application", "mc.mcplatform.dev/kind: application-deployment",
							"mc.mcplatform.dev/managed-by: terraform-provider-mc", "name: acc-dep-wl", "namespace: " + ns} {
							if !ok || !strings.Contains(content, want) {
								return fmt.Errorf("the Application manifest %s (present %v) lacks %q:\n%s", f.manifestPath(), ok, want, content)
							}
						}
						return nil
					}),
					func(s *terraform.State) error {
						firstYAMLCommit = s.RootModule().Resources[res].Primary.Attributes["yaml_commit"]
						return nil
					},
				),
			},
			{
				// A new tag: an update in place, a new yaml commit waited for.
				Config: f.config(f.deployment(ns, "1.0.1", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "image.tag", "1.0.1"),
					resource.TestCheckResourceAttr(res, "sync_status", "Synced"),
					resource.TestCheckResourceAttr(res, "health_status", "Healthy"),
					resource.TestCheckResourceAttrPair(res, "synced_revision", res, "yaml_commit"),
					func(s *terraform.State) error {
						if got := s.RootModule().Resources[res].Primary.Attributes["yaml_commit"]; got == firstYAMLCommit {
							return fmt.Errorf("yaml_commit %s did not change with the image", got)
						}
						return nil
					},
					checkWorkloadDeployment(wl, ns, "registry.example/acc/web:1.0.1"),
				),
			},
			{
				ResourceName:            res,
				ImportState:             true,
				ImportStateId:           "acc-dep/" + f.key + "/web/acc-dep-wl",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: f.config(f.deployment(ns, "1.0.1", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Drift in git: someone changes the image line; the plan puts it back.
				PreConfig: func() {
					path := applicationdeployment.YAMLPath("acc-dep", "acc-dep-wl")
					files, _, err := git.NewCommitter().ReadFiles(context.Background(), f.yamlRepo(), "main", "", []string{path})
					if err != nil {
						t.Fatal(err)
					}
					edited := strings.Replace(files[path], "web:1.0.1", "web:9.9.9", 1)
					if _, err := git.NewCommitter().Commit(context.Background(), f.yamlRepo(), "main", git.Change{Files: map[string]string{path: edited}, Message: "hand edit"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: f.config(f.deployment(ns, "1.0.1", "")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkGitFile(f.yamlRepo(), applicationdeployment.YAMLPath("acc-dep", "acc-dep-wl"), func(content string, ok bool) error {
						if !strings.Contains(content, `"registry.example/acc/web:1.0.1"`) {
							return fmt.Errorf("the workload manifest was not put back:\n%s", content)
						}
						return nil
					}),
					checkWorkloadDeployment(wl, ns, "registry.example/acc/web:1.0.1"),
				),
			},
		},
	})
}

// TestAccApplicationDeployment_rejectedManifest: a manifest of the yaml
// repository that the workload API server rejects fails the create with
// Argo CD's message once its retries are spent, not at the timeout.
func TestAccApplicationDeployment_rejectedManifest(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	f := newDeploymentFixture(t, p, "acc-depbad", "acc-depbad-wl")
	ns := "acc-depbad-" + strings.ToLower(f.key)
	retry := `retry = {
      limit            = 1
      backoff_duration = "1s"
    }`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: f.config("")},
			{
				PreConfig: func() {
					// A ConfigMap whose name the API server refuses, in the
					// directory the deployment deploys.
					bad := applicationdeployment.YAMLDir("acc-depbad", "acc-depbad-wl") + "/bad.yaml"
					if _, err := git.NewCommitter().Commit(context.Background(), f.yamlRepo(), "main", git.Change{
						Files: map[string]string{bad: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata:\n  a: b\n"}, Message: "a bad manifest",
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      f.config(f.deployment(ns, "1.0.0", retry)),
				ExpectError: regexp.MustCompile(`(?s)Error creating application deployment.*ended\s+Failed\s+after\s+1\s+retries.*Bad_Name.*is\s+invalid`),
			},
		},
	})
}
