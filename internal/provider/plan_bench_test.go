//go:build platform

package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/charttest"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// BenchmarkPlan measures what a user waits for on `terraform plan` with
// nothing to change, for N resources of each contender, applied once and
// then planned side by side in the same run so that they share the
// machine's noise:
//
//   - terraform_data: Terraform's floor, no provider call at all;
//   - kubernetes_config_map_v1: the typed peer (hashicorp/kubernetes), one GET each;
//   - kubernetes_manifest: the manifest peer, Argo CD Applications the way
//     people manage them with Terraform today (up to BENCH_PEER_MAX_N);
//   - floor_site: mc_site's schema without a backend (hack/schemafloor),
//     the least a plan of mc_site can cost with terraform-plugin-framework;
//   - mc_site (platform-plane sites), mc_application_deployment and
//     mc_helm_release: ours, built from this checkout (the GitOps kinds up
//     to BENCH_GITOPS_MAX_N: their apply waits for Argo CD).
//
// Each rep plans every contender once, in a rotating order; the figures are
// medians of BENCH_PLAN_REPS reps. One more plan of each, untimed, goes
// through a proxy that counts the provider's requests to the platform's
// kube-apiserver. The provider binaries run under /usr/bin/time, which
// gives their peak RSS.
//
//	BENCH_PLAN_N             resource counts, comma-separated (default 200)
//	BENCH_PLAN_REPS          timed plans of each contender (default 5)
//	BENCH_PEER_MAX_N         largest N of the manifest peer (default 200; 0: no bound)
//	BENCH_GITOPS_MAX_N       largest N of mc_application_deployment and mc_helm_release (default 200; 0: no bound)
//	BENCH_KUBERNETES_PROVIDER  the terraform-provider-kubernetes binary (hack/build-bench-peers.sh);
//	                         without it the peers are left out
//
// It asserts nothing about the figures; it fails when a plan is not empty.
func BenchmarkPlan(b *testing.B) {
	sizes, err := planBenchSizes(os.Getenv("BENCH_PLAN_N"))
	if err != nil {
		b.Fatal(err)
	}
	reps := envInt(b, "BENCH_PLAN_REPS", 5)
	peerMax := envInt(b, "BENCH_PEER_MAX_N", 200)
	gitopsMax := envInt(b, "BENCH_GITOPS_MAX_N", 200)
	p := sandboxtest.Platform(b)
	pb := newPlanBench(b, p)
	contenders := pb.contenders(b, peerMax, gitopsMax)
	fmt.Printf("BENCHMD-NOTE BenchmarkPlan: `terraform plan` (refresh) with nothing to change, median of %d plans of each row, "+
		"all rows of one N interleaved in the same run; terraform parallelism 10; provider built from this checkout. "+
		"plan-s: wall time; x_floor, x_typed_peer: plan-s over terraform_data's and kubernetes_config_map_v1's at the same N; "+
		"floor_site: mc_site's schema served by terraform-plugin-framework without any backend (hack/schemafloor), "+
		"the least a plan of mc_site can cost with this framework; x_schema_floor: plan-s over floor_site's; "+
		"x_faster_than_manifest_peer: kubernetes_manifest's plan-s over this row's; provider-rss-MB: peak RSS of the provider process; "+
		"apiserver-*: kube-apiserver requests of one plan through a counting proxy (reads and discovery per resource in state, writes in total); "+
		"resources: resources in the state (prerequisites included: a GitOps row also holds its site, and the deployments one cluster registration each, "+
		"because a deployment is one per application, site and cluster). Goals (issue 15): x_floor <= 3, x_typed_peer <= 0.5, "+
		"x_faster_than_manifest_peer >= 70, <= 1 read per resource and 0 writes, the same at N = 1,000. "+
		"Git reads of the GitOps kinds (git http-backend, Bitbucket simulator) are not counted. "+
		"The manifest peer is planned once, through the counting proxy, instead of %[1]d times (its plan takes minutes).\n", reps)
	fmt.Printf("BENCHMD-NOTE BenchmarkPlan: Bounds: the manifest peer up to N = %d (BENCH_PEER_MAX_N; its plan takes minutes at N = 1,000), "+
		"mc_application_deployment and mc_helm_release up to N = %d (BENCH_GITOPS_MAX_N; their apply waits for Argo CD to sync each).\n", peerMax, gitopsMax)
	fmt.Printf("BENCHMD-COLUMNS BenchmarkPlan: resources plan-s x_floor x_typed_peer x_schema_floor x_faster_than_manifest_peer provider-rss-MB " +
		"apiserver-reads/resource apiserver-writes apiserver-discovery/resource apiserver-connections/resource apply-s\n")
	for _, n := range sizes {
		var measured map[string]*planResult
		for _, c := range contenders {
			if c.maxN > 0 && n > c.maxN {
				continue
			}
			b.Run(fmt.Sprintf("N=%d/%s", n, c.name), func(b *testing.B) {
				// The testing package may call this more than once (a
				// probe with b.N = 1 before -benchtime=Nx): measure once,
				// report every time.
				if measured == nil {
					measured = map[string]*planResult{} // once, even when it fails
					maps.Copy(measured, pb.measure(b, n, reps, contenders))
				}
				r := measured[c.name]
				if r == nil {
					b.Skipf("%s was not measured at N=%d", c.name, n)
				}
				r.report(b, measured)
			})
		}
	}
}

// planBenchSizes parses BENCH_PLAN_N.
func planBenchSizes(s string) ([]int, error) {
	if s == "" {
		return []int{200}, nil
	}
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("BENCH_PLAN_N=%q: want positive numbers separated by commas", s)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// envInt reads a non-negative number from the environment.
func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		b.Fatalf("%s=%q: want a number, 0 or more", name, s)
	}
	return v
}

// planBench holds what every size shares: the terraform CLI, the provider
// binaries with a CLI configuration that overrides mcplatform/mc (and
// hashicorp/kubernetes) with them, and the counting proxy.
type planBench struct {
	platform  *sandbox.Platform
	terraform string
	dir       string   // removed when the benchmark ends
	env       []string // the environment of every terraform run
	proxy     *countingProxy
	// proxyKubeconfig reaches the platform through proxy.
	proxyKubeconfig string
	// kubernetesProvider is true when the peers' provider is installed.
	kubernetesProvider bool
	// rssMeasured is true when the providers run under /usr/bin/time.
	rssMeasured bool
	// suffix keeps the names of this run apart from other runs on a
	// shared platform.
	suffix string
	// runs numbers the terraform runs, for their RSS files.
	runs int
}

// providerWrapper runs a provider under GNU time, which appends its peak RSS
// (KiB) to $BENCH_RSS_FILE.
const providerWrapper = `#!/bin/sh
exec /usr/bin/time -a -o "${BENCH_RSS_FILE:-/dev/null}" -f %%M %q "$@"
`

func newPlanBench(b *testing.B, p *sandbox.Platform) *planBench {
	b.Helper()
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			b.Fatalf("the terraform CLI is needed: %v", err)
		}
	}
	pb := &planBench{platform: p, terraform: tf, dir: b.TempDir(), suffix: fmt.Sprintf("%06x", rand.IntN(1<<24))}
	_, err := os.Stat("/usr/bin/time")
	pb.rssMeasured = err == nil

	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		b.Fatalf("cannot find the module root: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	binary := filepath.Join(pb.dir, "bin", "terraform-provider-mc")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = root
	t0 := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("cannot build the provider: %v\n%s", err, out)
	}
	b.Logf("provider built in %s", time.Since(t0).Round(time.Millisecond))
	floorBinary := filepath.Join(pb.dir, "bin", "terraform-provider-floor")
	build = exec.Command("go", "build", "-o", floorBinary, "./hack/schemafloor")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("cannot build the schema floor provider: %v\n%s", err, out)
	}

	overrides := map[string]string{
		"mcplatform/mc":    pb.installProvider(b, "terraform-provider-mc", binary),
		"mcplatform/floor": pb.installProvider(b, "terraform-provider-floor", floorBinary),
	}
	if k := os.Getenv("BENCH_KUBERNETES_PROVIDER"); k != "" {
		if _, err := os.Stat(k); err != nil {
			b.Fatalf("BENCH_KUBERNETES_PROVIDER: %v", err)
		}
		overrides["hashicorp/kubernetes"] = pb.installProvider(b, "terraform-provider-kubernetes", k)
		pb.kubernetesProvider = true
	} else {
		fmt.Printf("BENCHMD-NOTE BenchmarkPlan: BENCH_KUBERNETES_PROVIDER was not set: the peers were not measured.\n")
	}
	var rc strings.Builder
	rc.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, source := range slices.Sorted(maps.Keys(overrides)) {
		fmt.Fprintf(&rc, "    %q = %q\n", source, overrides[source])
	}
	rc.WriteString("  }\n  direct {}\n}\n")
	cliConfig := filepath.Join(pb.dir, "terraform.rc")
	if err := os.WriteFile(cliConfig, []byte(rc.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	// The providers read their connection from the environment, so that the
	// counted plan only swaps the kubeconfig.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "MC_") && !strings.HasPrefix(kv, "KUBE_") {
			pb.env = append(pb.env, kv)
		}
	}
	pb.env = append(pb.env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"MC_NAMESPACE="+p.Namespace,
	)

	cfg, err := p.RESTConfig()
	if err != nil {
		b.Fatal(err)
	}
	pb.proxy = newCountingProxy(b, cfg)
	pb.proxyKubeconfig = filepath.Join(pb.dir, "proxy.kubeconfig")
	if err := pb.proxy.writeKubeconfig(pb.proxyKubeconfig); err != nil {
		b.Fatal(err)
	}
	return pb
}

// installProvider puts a provider binary, under GNU time when there is one,
// in a directory of its own as name and returns the directory.
func (pb *planBench) installProvider(b *testing.B, name, binary string) string {
	b.Helper()
	dir := filepath.Join(pb.dir, "plugins", name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if !pb.rssMeasured {
		if err := os.Symlink(binary, path); err != nil {
			b.Fatal(err)
		}
		return dir
	}
	if err := os.WriteFile(path, fmt.Appendf(nil, providerWrapper, binary), 0o700); err != nil {
		b.Fatal(err)
	}
	return dir
}

// planContender is one kind of resource whose plan is measured.
type planContender struct {
	name string
	// tag is a letter that keeps the names of the contenders apart.
	tag string
	// maxN bounds N (0: none).
	maxN int
	// onePlan plans it once, through the counting proxy, instead of reps
	// timed plans and a counted one: for a contender whose plan takes
	// minutes, where the proxy's cost is noise.
	onePlan bool
	// kubeconfigEnv names the variable the provider reads its kubeconfig
	// from; "" for no provider.
	kubeconfigEnv string
	// config returns the root module of n resources, named unique by id,
	// and how many resources its state holds.
	config func(b *testing.B, n int, id string) (string, int)
}

const (
	floorName       = "terraform_data"
	schemaFloorName = "floor_site"
	typedPeerName   = "kubernetes_config_map_v1"
	manifestPeerNam = "kubernetes_manifest"
)

// contenders lists what is measured, the floor first.
func (pb *planBench) contenders(b *testing.B, peerMax, gitopsMax int) []planContender {
	p := pb.platform
	list := []planContender{{
		name: floorName, tag: "d",
		config: func(_ *testing.B, n int, id string) (string, int) {
			return fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = "%s-${count.index}"
}
`, n, id), n
		},
	}}
	if pb.kubernetesProvider {
		list = append(list, planContender{
			name: typedPeerName, tag: "c", kubeconfigEnv: "KUBE_CONFIG_PATH",
			config: func(_ *testing.B, n int, id string) (string, int) {
				return fmt.Sprintf(`%s
resource "kubernetes_namespace_v1" "bench" {
  metadata {
    name = %[2]q
  }
}

resource "kubernetes_config_map_v1" "bench" {
  count = %[3]d
  metadata {
    name      = "cm-${count.index}"
    namespace = kubernetes_namespace_v1.bench.metadata[0].name
  }
  data = {
    index = "${count.index}"
  }
}
`, kubernetesProviderBlock, id, n), n + 1
			},
		}, planContender{
			name: manifestPeerNam, tag: "m", kubeconfigEnv: "KUBE_CONFIG_PATH", maxN: peerMax, onePlan: true,
			config: func(_ *testing.B, n int, id string) (string, int) {
				return fmt.Sprintf(`%s
resource "kubernetes_manifest" "bench" {
  count = %[2]d
  manifest = {
    apiVersion = "argoproj.io/v1alpha1"
    kind       = "Application"
    metadata = {
      name      = "%[3]s-${count.index}"
      namespace = %[4]q
    }
    spec = {
      project = "default"
      source = {
        repoURL        = "https://git.invalid/%[3]s.git"
        path           = "app-${count.index}"
        targetRevision = "main"
      }
      destination = {
        name      = %[5]q
        namespace = "%[3]s-${count.index}"
      }
    }
  }
}
`, kubernetesProviderBlock, n, id, p.ArgoCDNamespace, p.ArgoCDClusterName), n
			},
		})
	}
	list = append(list, planContender{
		name: "mc_site", tag: "s", kubeconfigEnv: "MC_KUBECONFIG",
		config: func(_ *testing.B, n int, id string) (string, int) {
			return mcProviderBlock(p) + fmt.Sprintf(`
resource "mc_site" "bench" {
  count       = %d
  name        = "%s-${count.index}"
  description = "plan benchmark"
}
`, n, id), n
		},
	}, planContender{
		// mc_site's schema without a backend (hack/schemafloor): what the
		// framework and Terraform cost for it.
		name: schemaFloorName, tag: "f",
		config: func(_ *testing.B, n int, id string) (string, int) {
			return fmt.Sprintf(`terraform {
  required_providers {
    floor = {
      source = "mcplatform/floor"
    }
  }
}

resource "floor_site" "bench" {
  count       = %d
  name        = "%s-${count.index}"
  description = "plan benchmark"
}
`, n, id), n
		},
	}, planContender{
		name: "mc_application_deployment", tag: "a", kubeconfigEnv: "MC_KUBECONFIG", maxN: gitopsMax,
		config: func(b *testing.B, n int, id string) (string, int) {
			return deploymentBenchConfig(b, p, n, id), 2*n + 4
		},
	}, planContender{
		name: "mc_helm_release", tag: "h", kubeconfigEnv: "MC_KUBECONFIG", maxN: gitopsMax,
		config: func(b *testing.B, n int, id string) (string, int) {
			repo := charttest.Serve(b, charttest.Chart{Name: "pb-chart", Version: "1.0.0"})
			site := id
			return mcProviderBlock(p) + fmt.Sprintf(`
resource "mc_site" "helm" {
  name = %[1]q
  argocd = {
    namespace   = %[2]q
    destination = %[3]q
  }
  gitops = {
    repo_url            = %[4]q
    path                = "sites/%[1]s"
    username            = %[5]q
    password_wo         = %[6]q
    password_wo_version = 1
  }
}

resource "mc_cluster_registration" "wl" {
  site             = mc_site.helm.name
  name             = "%[1]s-wl"
  server           = %[7]q
  ca_certificate   = file(%[8]q)
  token_wo         = %[9]q
  token_wo_version = 1
}

resource "mc_helm_release" "bench" {
  count     = %[10]d
  site      = mc_site.helm.name
  cluster   = mc_cluster_registration.wl.name
  namespace = "%[1]s"
  name      = "r${count.index}"
  repo_url  = %[11]q
  chart     = "pb-chart"
  version   = "1.0.0"
  values    = yamlencode({ message = "release ${count.index}" })
}
`, site, p.ArgoCDNamespace, p.ArgoCDClusterName, gitRepo(b, p, site, "sites/"+site), p.GitUsername, p.GitPassword,
				p.WorkloadServerURL, p.WorkloadCAFile, p.WorkloadToken, n, repo.URL), n + 2
		},
	})
	return list
}

// kubernetesProviderBlock is the peers' provider: its kubeconfig comes from
// KUBE_CONFIG_PATH.
const kubernetesProviderBlock = `terraform {
  required_providers {
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
  }
}

provider "kubernetes" {}
`

// mcProviderBlock is our provider with the platform's Bitbucket and Jira;
// its kubeconfig comes from MC_KUBECONFIG.
func mcProviderBlock(p *sandbox.Platform) string {
	a := platformAtlassian(p)
	return fmt.Sprintf(`terraform {
  required_providers {
    mc = {
      source = "mcplatform/mc"
    }
  }
}

provider "mc" {
  bitbucket = {
    url      = %q
    username = %q
    token    = %q
  }
  jira = {
    url       = %q
    email     = %q
    api_token = %q
  }
}
`, a.bitbucketURL, a.bitbucketUser, a.bitbucketToken, a.jiraURL, a.jiraEmail, a.jiraToken)
}

// deploymentBenchConfig is n mc_application_deployment of one application
// into one GitOps repository: a deployment is one per application, site and
// cluster, so each goes to a cluster registration of its own (all of them
// the sandbox's workload cluster) and a namespace of its own. Its outputs
// name the repositories the deployments commit to.
func deploymentBenchConfig(b *testing.B, p *sandbox.Platform, n int, id string) string {
	src, yaml := depTemplates(b, p)
	key := randomKey("PB")
	site := id
	gitops := gitRepo(b, p, site+"-gitops", "sites/"+site)
	return mcProviderBlock(p) + fmt.Sprintf(`
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
  count            = %[5]d
  site             = mc_site.dep.name
  name             = "wl${count.index}"
  server           = %[6]q
  ca_certificate   = file(%[7]q)
  token_wo         = %[8]q
  token_wo_version = 1
}

resource "mc_project" "dep" {
  key  = %[9]q
  name = "Benchmark %[9]s"
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

resource "mc_application_deployment" "bench" {
  count       = %[5]d
  application = mc_application.web.id
  site        = mc_site.dep.name
  cluster     = mc_cluster_registration.wl[count.index].name
  namespace   = "%[1]s-${count.index}"
  image = {
    repository = "registry.example/bench/web"
    tag        = "1.0.0"
  }
  sync_policy = {
    automated    = true
    prune        = true
    sync_options = ["CreateNamespace=true"]
  }
}

output "gitops_repo" {
  value = mc_site.dep.gitops.repo_url
}

output "yaml_repo" {
  value = mc_application.web.yaml_clone_url
}
`, site, gitops, p.GitUsername, p.GitPassword, n, p.WorkloadServerURL, p.WorkloadCAFile, p.WorkloadToken,
		key, p.Bitbucket.Workspace, src, yaml)
}

// planResult is what one contender measured at one N.
type planResult struct {
	name      string
	n         int
	resources int           // in the state
	apply     time.Duration // the first apply
	plan      time.Duration // median
	// rssKiB is the providers' peak RSS over the timed plans; 0 when not
	// measured or without a provider.
	rssKiB int
	// requests (discovery of them) and connections of the counted plan
	requests, discovery, writes, conns int
	// counted is false for a contender without a provider.
	counted bool
}

func (r *planResult) perResource(count int) float64 { return float64(count) / float64(r.resources) }

// report reports r and its ratios to the others measured at the same N.
func (r *planResult) report(b *testing.B, all map[string]*planResult) {
	b.ReportMetric(float64(r.resources), "resources")
	b.ReportMetric(r.plan.Seconds(), "plan-s")
	if f := all[floorName]; f != nil && r.name != floorName {
		b.ReportMetric(r.plan.Seconds()/f.plan.Seconds(), "x_floor")
	}
	if t := all[typedPeerName]; t != nil && r.name != floorName && r.name != typedPeerName {
		b.ReportMetric(r.plan.Seconds()/t.plan.Seconds(), "x_typed_peer")
	}
	if f := all[schemaFloorName]; f != nil && strings.HasPrefix(r.name, "mc_") {
		b.ReportMetric(r.plan.Seconds()/f.plan.Seconds(), "x_schema_floor")
	}
	if m := all[manifestPeerNam]; m != nil && strings.HasPrefix(r.name, "mc_") {
		b.ReportMetric(m.plan.Seconds()/r.plan.Seconds(), "x_faster_than_manifest_peer")
	}
	if r.rssKiB > 0 {
		b.ReportMetric(float64(r.rssKiB)/1024, "provider-rss-MB")
	}
	if r.counted {
		b.ReportMetric(r.perResource(r.requests-r.discovery-r.writes), "apiserver-reads/resource")
		b.ReportMetric(float64(r.writes), "apiserver-writes")
		b.ReportMetric(r.perResource(r.discovery), "apiserver-discovery/resource")
		b.ReportMetric(r.perResource(r.conns), "apiserver-connections/resource")
	}
	b.ReportMetric(r.apply.Seconds(), "apply-s")
	b.ReportMetric(float64(r.plan.Nanoseconds()), "ns/op")
}

// measure applies n resources of each contender, times reps plans of each,
// interleaved, and counts the requests of one more plan of each.
func (pb *planBench) measure(b *testing.B, n, reps int, contenders []planContender) map[string]*planResult {
	b.Helper()
	ctx := context.Background()
	var dirs []*planWorkdir
	for _, c := range contenders {
		if c.maxN > 0 && n > c.maxN {
			continue
		}
		id := fmt.Sprintf("pb%s%d%s", pb.suffix, n, c.tag)
		cfg, resources := c.config(b, n, id)
		w := &planWorkdir{n: n, c: c, dir: filepath.Join(pb.dir, fmt.Sprintf("%s-%d", c.name, n)), r: &planResult{name: c.name, n: n, resources: resources}}
		writeBenchFile(b, filepath.Join(w.dir, "main.tf"), cfg)
		dirs = append(dirs, w)
	}
	direct := pb.directEnv()
	for _, w := range dirs {
		// Whatever state the apply leaves is destroyed, without a refresh,
		// when the benchmark ends.
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			defer cancel()
			if _, out, err := pb.run(ctx, w.dir, direct, "", "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", "-parallelism=20"); err != nil {
				b.Errorf("cannot destroy the %d %s: %v\n%s", n, w.c.name, err, outputTail(out))
			}
		})
		d, out, err := pb.run(ctx, w.dir, direct, "", "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")
		if err != nil {
			w.drop(b, fmt.Errorf("terraform apply: %w", err), out)
			continue
		}
		w.r.apply = d
		b.Logf("N=%d: applied %s in %s", n, w.c.name, d.Round(time.Millisecond))
	}
	plans := map[*planWorkdir][]time.Duration{}
	for i := range reps {
		// Rotate the order, so that none always runs first or last.
		for j := range dirs {
			w := dirs[(i+j)%len(dirs)]
			if w.dropped || (w.c.onePlan && i > 0) {
				continue
			}
			env := direct
			if w.c.onePlan {
				pb.proxy.reset()
				env = w.c.kubeconfigEnv + "=" + pb.proxyKubeconfig
			}
			rss := filepath.Join(pb.dir, fmt.Sprintf("rss-%d", pb.nextRun()))
			d, out, err := pb.run(ctx, w.dir, env, rss, "plan", "-refresh=true", "-input=false", "-no-color", "-detailed-exitcode")
			if err != nil {
				w.drop(b, fmt.Errorf("terraform plan (want no changes): %w", err), out)
				continue
			}
			plans[w] = append(plans[w], d)
			w.rss = append(w.rss, readPeakRSS(rss))
			if w.c.onePlan {
				w.count(b, d, pb.proxy)
			}
		}
	}
	results := map[string]*planResult{}
	for _, w := range dirs {
		if w.dropped {
			continue
		}
		w.r.plan = planMedian(plans[w])
		w.r.rssKiB = slices.Max(w.rss)
		b.Logf("N=%d: %s plans %s", n, w.c.name, planDurations(plans[w]))
		results[w.c.name] = w.r
		if w.c.kubeconfigEnv == "" || w.c.onePlan {
			continue
		}
		pb.proxy.reset()
		counted, out, err := pb.run(ctx, w.dir, w.c.kubeconfigEnv+"="+pb.proxyKubeconfig, "", "plan", "-refresh=true", "-input=false", "-no-color", "-detailed-exitcode")
		if err != nil {
			b.Logf("N=%d: the counted plan of %s failed, its requests are not reported: %v\n%s", n, w.c.name, err, outputTail(out))
			continue
		}
		w.count(b, counted, pb.proxy)
	}
	return results
}

// count takes the requests the proxy saw since its last reset as the
// contender's, from a plan that took d.
func (w *planWorkdir) count(b *testing.B, d time.Duration, proxy *countingProxy) {
	b.Helper()
	requests, conns := proxy.counts()
	w.r.counted, w.r.conns, w.r.discovery = true, conns, requests[discoveryKind]
	w.r.requests, w.r.writes = 0, 0
	for kind, c := range requests {
		w.r.requests += c
		if isWrite(kind) {
			w.r.writes += c
		}
	}
	b.Logf("N=%d: %s counted plan (through the proxy) %s: %d requests on %d connections: %s",
		w.n, w.c.name, d.Round(time.Millisecond), w.r.requests, conns, formatCounts(requests))
}

// planWorkdir is the root module of one contender at one N.
type planWorkdir struct {
	n   int
	c   planContender
	dir string
	r   *planResult
	rss []int
	// dropped is set when the contender failed: the others are still
	// measured, and BENCHMARKS.md says why it is missing.
	dropped bool
}

// drop leaves the contender out of this N's measurement, saying why.
func (w *planWorkdir) drop(b *testing.B, err error, out []byte) {
	b.Helper()
	w.dropped = true
	b.Logf("N=%d: %s left out: %v\n%s", w.n, w.c.name, err, outputTail(out))
	fmt.Printf("BENCHMD-NOTE BenchmarkPlan: %s at N = %d was left out: %s (see the benchmark's log in bin/bench).\n", w.c.name, w.n, strings.ReplaceAll(err.Error(), "\n", " "))
}

// isWrite tells a request kind of apiRequestKind that changes something.
func isWrite(kind string) bool {
	method, _, _ := strings.Cut(kind, " ")
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// directEnv points every provider at the platform without the proxy.
func (pb *planBench) directEnv() string {
	return "MC_KUBECONFIG=" + pb.platform.KubeconfigPath + "\x00KUBE_CONFIG_PATH=" + pb.platform.KubeconfigPath
}

func (pb *planBench) nextRun() int {
	pb.runs++
	return pb.runs
}

// readPeakRSS returns the largest peak RSS (KiB) GNU time wrote to path, 0
// when there is none.
func readPeakRSS(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	peak := 0
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, err := strconv.Atoi(strings.TrimSpace(line)); err == nil {
			peak = max(peak, v)
		}
	}
	return peak
}

// run runs terraform in dir with the benchmark's environment and more
// variables (NUL-separated), the providers writing their peak RSS to
// rssFile when it is not empty, and returns how long it took and its
// combined output.
func (pb *planBench) run(ctx context.Context, dir, extraEnv, rssFile string, args ...string) (time.Duration, []byte, error) {
	cmd := exec.CommandContext(ctx, pb.terraform, args...)
	cmd.Dir = dir
	cmd.Env = slices.Clone(pb.env)
	for kv := range strings.SplitSeq(extraEnv, "\x00") {
		if kv != "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if rssFile != "" {
		cmd.Env = append(cmd.Env, "BENCH_RSS_FILE="+rssFile)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		err = errors.New("the plan has changes (exit code 2)")
	}
	return d, out.Bytes(), err
}

// output reads a root module's output.
func (pb *planBench) output(b *testing.B, dir, name string) string {
	b.Helper()
	_, out, err := pb.run(context.Background(), dir, "", "", "output", "-raw", name)
	if err != nil {
		b.Fatalf("terraform output %s: %v\n%s", name, err, out)
	}
	return string(out)
}

func writeBenchFile(b *testing.B, path, content string) {
	b.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		b.Fatal(err)
	}
}

// outputTail returns the last lines of a command's output, for an error message.
func outputTail(out []byte) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-40):], "\n")
}

func planMedian(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func planDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(time.Millisecond).String()
	}
	return strings.Join(parts, " ")
}
