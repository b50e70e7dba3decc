//go:build platform

package applicationdeployment_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest/readiness"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// benchEnv is a site with a GitOps repository, the workload cluster
// registered in its Argo CD, and an application record with its yaml
// repository in the sandbox's Bitbucket.
type benchEnv struct {
	reg    *registry.Registry
	dc     dynamic.Interface
	client *applicationdeployment.Client
	spec   applicationdeployment.Spec
	argoNS string
}

const (
	benchSite    = "bench-dep"
	benchCluster = "bench-dep-wl"
	benchProject = "BENCHDEP"
)

func newBenchEnv(tb testing.TB, p *sandbox.Platform) benchEnv {
	tb.Helper()
	ctx := context.Background()
	cfg, err := p.RESTConfig()
	if err != nil {
		tb.Fatal(err)
	}
	reg := registry.New(cfg, p.Namespace)
	b := p.Bitbucket
	reg.UseServices(registry.Services{Bitbucket: &registry.BitbucketAccess{URL: b.URL, Username: b.Username, Token: b.Password}})
	gitopsURL, err := p.CreateGitRepo(ctx, "bench-dep-gitops", map[string]string{"sites/" + benchSite + "/README.md": "site\n"})
	if err != nil {
		tb.Fatal(err)
	}
	siteSpec := site.Spec{Name: benchSite, ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: "in-cluster"},
		GitOps: &site.GitOps{RepoURL: gitopsURL, Branch: "main", Path: "sites/" + benchSite, Username: p.GitUsername, Password: p.GitPassword, PasswordVersion: 1}}
	if _, _, err := engine.Converge(ctx, site.New(reg), "", siteSpec, engine.ConvergeOptions{Timeout: 3 * time.Minute}); err != nil {
		tb.Fatalf("site: %v", err)
	}
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := engine.Converge(ctx, clusterregistration.New(reg), "", clusterregistration.Spec{
		Site: benchSite, Name: benchCluster, Server: p.WorkloadServerURL, CACertificate: string(ca), Token: p.WorkloadToken, TokenVersion: 1,
	}, engine.ConvergeOptions{Timeout: time.Minute}); err != nil {
		tb.Fatalf("cluster registration: %v", err)
	}
	bb := bitbucket.NewCloud(b.URL, bitbucket.Auth{Username: b.Username, Token: b.Password})
	if _, _, err := bitbucket.CreateOrGetProject(ctx, bb, b.Workspace, bitbucket.ProjectInput{Key: benchProject, Name: "Deployment benchmark", IsPrivate: true}); err != nil {
		tb.Fatal(err)
	}
	const slug = "bench-dep-svc-yaml"
	if _, _, err := bitbucket.CreateOrGetRepository(ctx, bb, b.Workspace, slug, bitbucket.RepositoryInput{ProjectKey: benchProject, Name: slug, IsPrivate: true}); err != nil {
		tb.Fatal(err)
	}
	yamlRepo := git.Repository{URL: b.ServerURL() + "/" + b.Workspace + "/" + slug + ".git", Username: b.Username, Password: b.Password}
	first, err := git.NewCommitter().Commit(ctx, yamlRepo, "main", git.Change{Files: map[string]string{"README.md": "manifests\n"}, Message: "Initial commit"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := reg.RegisterApplication(ctx, registry.Application{Project: benchProject, Name: "svc", Workspace: b.Workspace, DefaultBranch: "main",
		YAML: registry.ApplicationRepository{Slug: slug, CloneURL: yamlRepo.URL, InitialCommit: first.SHA}}); err != nil {
		tb.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return benchEnv{reg: reg, dc: dc, client: applicationdeployment.New(reg), argoNS: p.ArgoCDNamespace,
		spec: applicationdeployment.Spec{Application: benchProject + "/svc", Site: benchSite, Cluster: benchCluster, Namespace: "bench-dep-svc",
			Image:      applicationdeployment.Image{Repository: "registry.example/bench/svc", Tag: "0"},
			SyncPolicy: applicationdeployment.SyncPolicy{Automated: true, Prune: true, SelfHeal: true, SyncOptions: []string{"CreateNamespace=true"}}}}
}

// untriggered hides the client's Trigger: engine.Converge then polls.
type untriggered struct {
	engine.Client[applicationdeployment.Spec, applicationdeployment.Status]
}

// syncedAt reports whether Argo CD reports the Application u Synced and
// Healthy at revision with its operation Succeeded there.
func syncedAt(u *unstructured.Unstructured, revision string) bool {
	s := kube.ApplicationSyncOf(u)
	return s.SyncStatus == "Synced" && s.HealthStatus == "Healthy" && s.SyncRevision == revision &&
		s.Operation != nil && s.Operation.Phase == kube.OperationSucceeded && s.Operation.Revision == revision
}

// BenchmarkApplicationDeploymentReturn measures how long after Argo CD
// reports the Application Synced and Healthy at the committed yaml revision
// (operation Succeeded) an apply of a new image returns: engine.Converge as
// the provider runs it (woken by the Application's watch) beside the same
// Converge polling every 10 seconds without a trigger (figures: package
// readiness). Each run bumps the image tag; both converge on the same
// commit. Runs: N of -benchtime=Nx, else $MC_BENCH_DEPLOYMENT_RUNS, else 3.
func BenchmarkApplicationDeploymentReturn(b *testing.B) {
	runs, probe := readiness.Runs(b, "MC_BENCH_DEPLOYMENT_RUNS", 3)
	if probe {
		return
	}
	p := sandboxtest.Platform(b)
	sandboxtest.Require(b, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	ctx := context.Background()
	env := newBenchEnv(b, p)
	id, _, err := engine.Converge(ctx, env.client, "", env.spec, engine.ConvergeOptions{Timeout: 5 * time.Minute})
	if err != nil {
		b.Fatalf("first deployment: %v", err)
	}
	b.Cleanup(func() {
		if err := engine.DeleteUntilGone(context.Background(), env.client, id, engine.ConvergeOptions{Timeout: 3 * time.Minute}); err != nil {
			b.Errorf("delete: %v", err)
		}
	})
	appName := applicationdeployment.ApplicationName(benchProject, "svc", benchCluster)
	samples := make([]readiness.Sample, 0, runs)
	for i := range runs {
		spec := env.spec
		spec.Image.Tag = fmt.Sprintf("%d-%d", time.Now().UnixNano(), i)
		var revision string
		s, err := readiness.Measure(ctx, readiness.Run{
			Timeout: 5 * time.Minute,
			// Commit first, so that the independent watch knows the
			// revision; both waits below commit nothing new.
			Start: func(ctx context.Context) error {
				if err := env.client.Update(ctx, id, spec); err != nil {
					return err
				}
				obs, err := env.client.Observe(ctx, id, spec)
				revision = obs.Status.YAMLCommit
				return err
			},
			WatchReady: func(ctx context.Context, started <-chan struct{}) (time.Time, error) {
				<-started
				return readiness.WatchObject(ctx, env.dc, kube.ApplicationGVR, env.argoNS, appName, func(u *unstructured.Unstructured) bool { return syncedAt(u, revision) })
			},
			Wait: func(ctx context.Context) error {
				_, _, err := engine.Converge(ctx, env.client, id, spec, engine.ConvergeOptions{Timeout: 4 * time.Minute})
				return err
			},
			Poll: func(ctx context.Context) error {
				_, _, err := engine.Converge(ctx, untriggered{env.client}, id, spec,
					engine.ConvergeOptions{Timeout: 4 * time.Minute, MinInterval: readiness.PollInterval, MaxInterval: readiness.PollInterval})
				return err
			},
		})
		if err != nil {
			b.Fatalf("run %d: %v", i, err)
		}
		samples = append(samples, s)
	}
	readiness.Report(b, samples)
}
