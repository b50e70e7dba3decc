//go:build platform

package applicationdeployment_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
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

// syncedAt watches the Application and returns when Argo CD first reports
// it Synced and Healthy at revision with its operation Succeeded there.
func syncedAt(ctx context.Context, dc dynamic.Interface, ns, name, rev string) (time.Time, error) {
	for {
		w, err := dc.Resource(kube.ApplicationGVR).Namespace(ns).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
		if err != nil {
			return time.Time{}, err
		}
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			s := kube.ApplicationSyncOf(u)
			if s.SyncStatus == "Synced" && s.HealthStatus == "Healthy" && s.SyncRevision == rev &&
				s.Operation != nil && s.Operation.Phase == "Succeeded" && s.Operation.Revision == rev {
				w.Stop()
				return time.Now(), nil
			}
		}
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
	}
}

// BenchmarkApplicationDeploymentReturn measures how long after Argo CD
// reports the Application Synced and Healthy at the committed yaml revision
// (operation Succeeded) an apply of a new image returns: engine.Converge as
// the provider runs it (woken by the Application's watch) beside the same
// Converge polling every 10 seconds without a trigger. Each run bumps the
// image tag; both converge on the same commit.
func BenchmarkApplicationDeploymentReturn(b *testing.B) {
	p := sandboxtest.Platform(b)
	sandboxtest.Require(b, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	ctx := context.Background()
	// The testing package calls a benchmark more than once (b.N = 1
	// first): the site, the application and the first deployment are made
	// once, and removed by the last call.
	if benchState == nil {
		env := newBenchEnv(b, p)
		id, _, err := engine.Converge(ctx, env.client, "", env.spec, engine.ConvergeOptions{Timeout: 5 * time.Minute})
		if err != nil {
			b.Fatalf("first deployment: %v", err)
		}
		benchState = &benchStateT{env: env, id: id}
	}
	env, id := benchState.env, benchState.id
	spec := env.spec
	appName := applicationdeployment.ApplicationName(benchProject, "svc", benchCluster)
	var watchLag, pollLag []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		spec.Image.Tag = fmt.Sprintf("%d-%d", time.Now().UnixNano(), i)
		runCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		// Commit first, so that the independent watch knows the revision
		// from its first event; both waits below commit nothing new.
		if err := env.client.Update(runCtx, id, spec); err != nil {
			b.Fatal(err)
		}
		obs, err := env.client.Observe(runCtx, id, spec)
		if err != nil {
			b.Fatal(err)
		}
		revision := obs.Status.YAMLCommit
		syncedC := make(chan time.Time, 1)
		go func() {
			t, err := syncedAt(runCtx, env.dc, env.argoNS, appName, revision)
			if err != nil {
				b.Error(err)
			}
			syncedC <- t
		}()
		var wg sync.WaitGroup
		var watchDone, pollDone time.Time
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _, err := engine.Converge(runCtx, env.client, id, spec, engine.ConvergeOptions{Timeout: 4 * time.Minute})
			watchDone = time.Now()
			if err != nil {
				b.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			_, _, err := engine.Converge(runCtx, untriggered{env.client}, id, spec,
				engine.ConvergeOptions{Timeout: 4 * time.Minute, MinInterval: 10 * time.Second, MaxInterval: 10 * time.Second})
			pollDone = time.Now()
			if err != nil {
				b.Error(err)
			}
		}()
		wg.Wait()
		var synced time.Time
		select {
		case synced = <-syncedC:
		case <-time.After(30 * time.Second):
			b.Fatalf("run %d: the independent watch never saw %.12s Synced and Healthy", i, revision)
		}
		cancel()
		watchLag = append(watchLag, watchDone.Sub(synced))
		pollLag = append(pollLag, pollDone.Sub(synced))
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, name+"-median-ms")
		b.ReportMetric(float64(d[len(d)-1].Microseconds())/1000, name+"-worst-ms")
	}
	report("watch", watchLag)
	report("poll10s", pollLag)
	b.Logf("return after Synced+Healthy: watch %v, 10s poll %v", fmtDurations(watchLag), fmtDurations(pollLag))
	if b.N >= requestedRuns() {
		if err := engine.DeleteUntilGone(ctx, env.client, id, engine.ConvergeOptions{Timeout: 3 * time.Minute}); err != nil {
			b.Errorf("delete: %v", err)
		}
		benchState = nil
	}
}

// benchStateT is what the calls of the benchmark share.
type benchStateT struct {
	env benchEnv
	id  string
}

var benchState *benchStateT

// requestedRuns is N of -benchtime=Nx (1 otherwise): the last call's b.N.
func requestedRuns() int {
	if f := flag.Lookup("test.benchtime"); f != nil {
		if n, err := strconv.Atoi(strings.TrimSuffix(f.Value.String(), "x")); err == nil && strings.HasSuffix(f.Value.String(), "x") && n > 0 {
			return n
		}
	}
	return 1
}

func fmtDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(time.Millisecond).String()
	}
	return strings.Join(parts, " ")
}
