//go:build platform

package crash

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/charttest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// killCase is one long-running kind whose create is cut off by a SIGKILL
// of the terraform process group.
type killCase struct {
	// kind is the Terraform resource type under test.
	kind string
	// skip, when set, says why the kind cannot be tested yet.
	skip string
	// ownPlatform is set for a kind that needs a part of the platform no
	// other package may use meanwhile: TestRestarts runs it on its own
	// platform, TestKilledApply skips it.
	ownPlatform bool
	// config is the root module: the kind and everything it needs, with
	// names of its own (the platform is shared with other packages).
	config string
	// killPoint says, in words, which backend write the probe sees.
	killPoint string
	// probe reports whether the kind's first backend write happened.
	probe func(context.Context) (bool, error)
	// counters count the kind's backend objects; after the second apply
	// each must be exactly 1, after the destroy 0.
	counters []counter
	// limit bounds how long the apply may take to reach the kill point
	// (the kind's dependencies are made first).
	limit time.Duration
}

// TestKilledApply kills `terraform apply` (terraform and the provider
// plugin, SIGKILL to the process group) during the create of each
// long-running kind, right after the kind's first backend write, then
// applies again: the second apply adopts what the first made, every
// backend object exists exactly once, the next plan is empty, and destroy
// leaves nothing behind.
func TestKilledApply(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(append(sandboxtest.ClusterAPI, sandboxtest.ArgoCD...), sandboxtest.Workload...)...)
	// One build of the provider for every subtest.
	providerDir(t)
	b := newBackends(t, p)
	for _, c := range killCases(t, p, b) {
		t.Run(c.kind, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			if c.ownPlatform {
				t.Skip("runs in TestRestarts, on a platform of its own")
			}
			t.Parallel()
			runKillCase(t, b, c)
		})
	}
}

// runKillCase runs one kind: apply killed at the kill point, apply again,
// count, plan, destroy, count.
func runKillCase(t *testing.T, b *backends, c killCase) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	w := newWorkdir(t, providerBlock(b.p)+c.config)
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			// Best effort: leave nothing on the shared platform.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if out, err := w.run(ctx, "destroy", "-auto-approve"); err != nil {
				t.Logf("cleanup: terraform destroy: %v\n%s", err, tail(out))
			}
		}
	})

	apply := w.startApply(ctx)
	after := w.waitFor(ctx, apply, c.limit, c.probe)
	apply.kill()
	atKill, err := countAll(ctx, c.counters)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: killed terraform %s into the apply, %s; counts then %v", c.kind, after.Round(time.Millisecond), c.killPoint, atKill)

	second := w.apply(ctx)
	got, err := countAll(ctx, c.counters)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(each(c.counters, 1), got); diff != "" {
		t.Errorf("backend objects after the second apply (-want +got):\n%s", diff)
	}
	w.planEmpty(ctx)

	w.destroy(ctx)
	destroyed = true
	left, err := countAll(ctx, c.counters)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(afterDestroy(c.counters), left); diff != "" {
		t.Errorf("backend objects left after destroy (-want +got):\n%s", diff)
	}
	t.Logf("%s: second apply %s, counts %v; after destroy %v; %s in all", c.kind, second.Round(time.Millisecond), got, left, time.Since(t0).Round(time.Second))
}

// killCases is the table: one row per long-running kind.
func killCases(t *testing.T, p *sandbox.Platform, b *backends) []killCase {
	t.Helper()
	ctx := context.Background()
	gitRepo := func(name, path string) string {
		t.Helper()
		url, err := p.CreateGitRepo(ctx, name, map[string]string{
			path + "/configmap.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-marker\n  namespace: default\ndata:\n  site: %s\n", name, name),
		})
		if err != nil {
			t.Fatalf("cannot make git repository %s: %v", name, err)
		}
		return url
	}
	gitopsSite := func(resource, name, repoURL string) string {
		return fmt.Sprintf(`
resource "mc_site" %[1]q {
  name = %[2]q
  gitops = {
    repo_url            = %[3]q
    path                = "sites/%[2]s"
    username            = %[4]q
    password_wo         = %[5]q
    password_wo_version = 1
  }
}
`, resource, name, repoURL, p.GitUsername, p.GitPassword)
	}
	registration := func(site, name string) string {
		return fmt.Sprintf(`
resource "mc_cluster_registration" "wl" {
  site             = mc_site.%s.name
  name             = %q
  server           = %q
  ca_certificate   = file(%q)
  token_wo         = %q
  token_wo_version = 1
}
`, site, name, p.WorkloadServerURL, p.WorkloadCAFile, p.WorkloadToken)
	}

	var cases []killCase

	// mc_site: the registry record is its first write; the root
	// application follows.
	{
		const name = "crash-site"
		repo := gitRepo(name+"-gitops", "sites/"+name)
		cases = append(cases, killCase{
			kind:      "mc_site",
			config:    gitopsSite("test", name, repo),
			killPoint: "after the site record was written",
			probe:     func(ctx context.Context) (bool, error) { n, err := b.siteRecords(ctx, name); return n > 0, err },
			counters: []counter{
				{name: "site records", count: func(ctx context.Context) (int, error) { return b.siteRecords(ctx, name) }},
				{name: "root Applications", count: func(ctx context.Context) (int, error) { return b.applications(ctx, applicationsFrom(repo)) }},
			},
			limit: 2 * time.Minute,
		})
	}

	// mc_cluster: the Cluster API Cluster is made with its control plane
	// and worker pools; the apply waits until it is ready.
	{
		const site, ns, name = "crash-cl", "crash-cl", "killed"
		cases = append(cases, killCase{
			kind: "mc_cluster",
			config: fmt.Sprintf(`
resource "mc_site" "test" {
  name = %q
}

resource "mc_cluster" "test" {
  site               = mc_site.test.id
  namespace          = %q
  name               = %q
  infrastructure     = "in_memory"
  kubernetes_version = "v1.36.0"
  control_plane = {
    replicas = 1
  }
  worker_pools = [
    {
      name     = "workers"
      replicas = 1
    },
  ]
  argocd_registration = false
  deletion_protection = false
}
`, site, ns, name),
			killPoint: "after the Cluster API Cluster was created",
			probe: func(ctx context.Context) (bool, error) {
				_, err := b.dynamic.Resource(cluster.ClusterGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					return false, nil
				}
				return err == nil, err
			},
			counters: []counter{
				{name: "Clusters", count: func(ctx context.Context) (int, error) { return b.objects(ctx, cluster.ClusterGVR, ns) }},
				{name: "KubeadmControlPlanes", count: func(ctx context.Context) (int, error) { return b.objects(ctx, cluster.KubeadmControlPlaneGVR, ns) }},
				{name: "MachineDeployments", count: func(ctx context.Context) (int, error) { return b.objects(ctx, cluster.MachineDeploymentGVR, ns) }},
				{name: "KubeadmConfigTemplates", count: func(ctx context.Context) (int, error) { return b.objects(ctx, cluster.KubeadmConfigTemplateGVR, ns) }},
			},
			limit: 3 * time.Minute,
		})
	}

	// mc_image_replication between the platform's two Harbors, under site
	// names of its own: a robot account in the destination Harbor, a
	// registry endpoint and a policy in the source Harbor.
	{
		const hub, edge, name = "crash-ir-hub", "crash-ir-edge", "crash-ir"
		endpoint := imagereplication.EndpointName(hub)
		robot := "mc-replication-" + edge
		ha, hb := p.Harbors[sandbox.HarborSiteA], p.Harbors[sandbox.HarborSiteB]
		cases = append(cases, killCase{
			kind: "mc_image_replication",
			config: fmt.Sprintf(`
resource "mc_site" "hub" {
  name = %[1]q
  harbor = {
    url                 = %[3]q
    username            = %[5]q
    password_wo         = %[6]q
    password_wo_version = 1
  }
}

resource "mc_site" "edge" {
  name = %[2]q
  harbor = {
    url                 = %[4]q
    username            = %[5]q
    password_wo         = %[6]q
    password_wo_version = 1
  }
}

resource "mc_image_replication" "test" {
  name             = %[7]q
  source_site      = mc_site.edge.name
  destination_site = mc_site.hub.name
  direction        = "push"
  filters = {
    name = "crash/**"
  }
  trigger = {
    type = "manual"
  }
}
`, hub, edge, ha.URL, hb.URL, ha.Username, ha.Password, name),
			killPoint: "after the robot account was made in the destination Harbor",
			probe: func(ctx context.Context) (bool, error) {
				n, err := b.harborRobots(ctx, sandbox.HarborSiteA, robot)
				return n > 0, err
			},
			counters: []counter{
				{name: "robot accounts (hub)", count: func(ctx context.Context) (int, error) { return b.harborRobots(ctx, sandbox.HarborSiteA, robot) }},
				{name: "registry endpoints (edge)", count: func(ctx context.Context) (int, error) {
					return b.harborRegistries(ctx, sandbox.HarborSiteB, endpoint)
				}},
				{name: "replication policies (edge)", count: func(ctx context.Context) (int, error) { return b.harborPolicies(ctx, sandbox.HarborSiteB, name) }},
			},
			limit: 2 * time.Minute,
		})
	}

	// mc_project: parts made in order (Bitbucket, then Jira).
	{
		key := randomKey("CRP")
		cases = append(cases, killCase{
			kind: "mc_project",
			config: fmt.Sprintf(`
resource "mc_project" "test" {
  key  = %q
  name = "Crash test %[1]s"
  bitbucket = {
    workspace = %q
  }
  jira = {
    lead_account_id = %q
  }
}
`, key, p.Bitbucket.Workspace, jirasim.AliceAccountID),
			killPoint: "after the Bitbucket project was created",
			probe:     func(ctx context.Context) (bool, error) { n, err := b.bitbucketProjects(ctx, key); return n > 0, err },
			counters: []counter{
				{name: "Bitbucket projects", count: func(ctx context.Context) (int, error) { return b.bitbucketProjects(ctx, key) }},
				{name: "Jira projects", count: func(ctx context.Context) (int, error) { return b.jiraProjects(ctx, key) }},
			},
			limit: 2 * time.Minute,
		})
	}

	// mc_application: a source and a yaml repository made from the
	// sandbox's templates, and the application record.
	{
		key := randomKey("CRA")
		const name = "crash-app"
		cases = append(cases, killCase{
			kind: "mc_application",
			config: fmt.Sprintf(`
resource "mc_project" "test" {
  key  = %q
  name = "Crash test %[1]s"
  bitbucket = {
    workspace = %q
  }
}

resource "mc_application" "test" {
  project = mc_project.test.key
  name    = %q
  template = {
    source_repo = %q
    yaml_repo   = %q
  }
  initial_values = {
    port = "8080"
  }
}
`, key, p.Bitbucket.Workspace, name, p.Bitbucket.TemplateURL(sandbox.TemplateGoService), p.Bitbucket.TemplateURL(sandbox.TemplateGoServiceYAML)),
			killPoint: "after the source repository was created in Bitbucket",
			probe:     func(ctx context.Context) (bool, error) { return b.bitbucketRepositoryExists(ctx, name) },
			counters: []counter{
				{name: "repositories " + name, count: func(ctx context.Context) (int, error) { return b.repositoriesNamed(ctx, key, name) }},
				{name: "repositories " + name + "-yaml", count: func(ctx context.Context) (int, error) { return b.repositoriesNamed(ctx, key, name+"-yaml") }},
			},
			limit: 2 * time.Minute,
		})
	}

	// mc_application_deployment: the Deployment committed to the
	// application's yaml repository, then the Argo CD Application
	// committed to the site's GitOps repository.
	{
		const site, wl, app = "crash-dep", "crash-dep-wl", "crash-depapp"
		key := randomKey("CRD")
		repo := gitRepo(site+"-gitops", "sites/"+site)
		yamlPath := applicationdeployment.YAMLDir(site, wl) + "/deployment.yaml"
		manifest := applicationdeployment.ManifestPath("sites/"+site, key, app, wl)
		cases = append(cases, killCase{
			kind: "mc_application_deployment",
			config: gitopsSite("dep", site, repo) + registration("dep", wl) + fmt.Sprintf(`
resource "mc_project" "test" {
  key  = %q
  name = "Crash test %[1]s"
  bitbucket = {
    workspace = %q
  }
}

resource "mc_application" "test" {
  project = mc_project.test.key
  name    = %q
  template = {
    source_repo = %q
    yaml_repo   = %q
  }
  initial_values = {
    port = "8080"
  }
}

resource "mc_application_deployment" "test" {
  application = mc_application.test.id
  site        = mc_site.dep.name
  cluster     = mc_cluster_registration.wl.name
  namespace   = "crash-dep"
  image = {
    repository = "registry.example/crash/web"
    tag        = "1.0.0"
  }
  sync_policy = {
    automated    = true
    prune        = true
    self_heal    = true
    sync_options = ["CreateNamespace=true"]
  }
}
`, key, p.Bitbucket.Workspace, app, p.Bitbucket.TemplateURL(sandbox.TemplateGoService), p.Bitbucket.TemplateURL(sandbox.TemplateGoServiceYAML)),
			killPoint: "after the Deployment was pushed to the yaml repository",
			probe: func(ctx context.Context) (bool, error) {
				n, err := b.gitFiles(ctx, b.bitbucketGit(app+"-yaml"), yamlPath)
				return n > 0, err
			},
			counters: []counter{
				{name: "Deployment manifests (yaml repository)", count: func(ctx context.Context) (int, error) {
					return b.gitFiles(ctx, b.bitbucketGit(app+"-yaml"), yamlPath)
				}},
				{name: "Application manifests (GitOps repository)", count: func(ctx context.Context) (int, error) {
					return b.gitFiles(ctx, b.platformGit(repo), manifest)
				}},
				{name: "Argo CD Applications", count: func(ctx context.Context) (int, error) {
					return b.applications(ctx, applicationsNamed(applicationdeployment.ApplicationName(key, app, wl)))
				}},
			},
			limit: 4 * time.Minute,
		})
	}

	// mc_helm_release: an Argo CD Application committed to the site's
	// GitOps repository under <path>/helm/.
	{
		const site, wl, ns, name = "crash-helm", "crash-helm-wl", "crash-helm", "demo"
		repo := gitRepo(site+"-gitops", "sites/"+site)
		charts := charttest.Serve(t, charttest.Chart{Name: "crash-demo", Version: "0.1.0"})
		spec := helmrelease.Spec{Site: site, Cluster: wl, Namespace: ns, Name: name}
		manifest := helmrelease.ManifestPath("sites/"+site, spec)
		cases = append(cases, killCase{
			kind: "mc_helm_release",
			config: gitopsSite("helm", site, repo) + registration("helm", wl) + fmt.Sprintf(`
resource "mc_helm_release" "test" {
  site      = mc_site.helm.name
  cluster   = mc_cluster_registration.wl.name
  namespace = %q
  name      = %q
  repo_url  = %q
  chart     = "crash-demo"
  version   = "0.1.0"
  values    = yamlencode({ message = "after a crash" })
}
`, ns, name, charts.URL),
			killPoint: "after the Application manifest was pushed to the GitOps repository",
			probe: func(ctx context.Context) (bool, error) {
				n, err := b.gitFiles(ctx, b.platformGit(repo), manifest)
				return n > 0, err
			},
			counters: []counter{
				{name: "Application manifests (GitOps repository)", count: func(ctx context.Context) (int, error) {
					return b.gitFiles(ctx, b.platformGit(repo), manifest)
				}},
				{name: "Argo CD Applications", count: func(ctx context.Context) (int, error) {
					return b.applications(ctx, applicationsNamed(helmrelease.ApplicationName(spec)))
				}},
			},
			limit: 3 * time.Minute,
		})
	}

	// mc_ci_run: a TaskRun at the site, which the site's task runner
	// executes: check out, build (the checkout is the image's layer), push
	// to the site's Harbor. The sandbox runs a task runner for site-b only,
	// so the kind needs a site named site-b that no other package manages
	// meanwhile: it runs on TestRestarts' own platform.
	{
		site := sandbox.HarborSiteB
		h := p.Harbors[site]
		const project, repository = "library", "crash-ci"
		cases = append(cases, killCase{
			kind:        "mc_ci_run",
			ownPlatform: true,
			config: fmt.Sprintf(`
resource "mc_site" "test" {
  name = %q
  harbor = {
    url                 = %q
    username            = %q
    password_wo         = %q
    password_wo_version = 1
  }
}

resource "mc_ci_run" "test" {
  site = mc_site.test.name
  source = {
    repository = %q
    revision   = "main"
  }
  image = {
    project    = %q
    repository = %q
    tag        = "crash"
  }
  scan = {
    enabled = false
  }
  replicate_to = []
  on_destroy   = "delete"
}
`, site, h.URL, h.Username, h.Password, p.Bitbucket.TemplateURL(sandbox.TemplateGoService), project, repository),
			killPoint: "after the TaskRun was created",
			probe:     func(ctx context.Context) (bool, error) { n, err := b.taskRuns(ctx, site); return n > 0, err },
			counters: []counter{
				{name: "TaskRuns", count: func(ctx context.Context) (int, error) { return b.taskRuns(ctx, site) }},
				{name: "images pushed", count: func(ctx context.Context) (int, error) { return b.harborArtifacts(ctx, site, project, repository) }, kept: true},
			},
			limit: 3 * time.Minute,
		})
	}
	return cases
}

// repositoriesNamed counts the repositories of Bitbucket project key
// whose slug is slug.
func (b *backends) repositoriesNamed(ctx context.Context, key, slug string) (int, error) {
	l, err := b.bitbucket.ListRepositories(ctx, b.p.Bitbucket.Workspace, key)
	if err != nil {
		if n, _ := b.bitbucketProjects(ctx, key); n == 0 {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for _, r := range l {
		if r.Slug == slug {
			n++
		}
	}
	return n, nil
}
