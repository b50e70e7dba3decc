//go:build platform

package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// BenchmarkPlan measures what a user waits for on `terraform plan` with
// nothing to change: N mc_site resources (platform-plane sites, no gitops,
// no Harbor), applied once with the provider binary built from this
// checkout, against N terraform_data resources, Terraform's floor, in the
// same run. The timed plans (`terraform plan -refresh=true`, Terraform's
// default parallelism) of both alternate so that they share the machine's
// noise. One more plan of the sites, untimed, goes through a proxy that
// counts the provider's requests to the platform's kube-apiserver.
//
//	BENCH_PLAN_N     resource counts, comma-separated (default 200): one sub-benchmark each
//	BENCH_PLAN_REPS  timed plans of each workdir (default 5); the figures are medians
//
// Figures per N:
//
//	mc_site-plan-s             median plan time of the sites (also ns/op)
//	terraform_data-plan-s      median plan time of terraform_data
//	ratio-vs-terraform_data    the first over the second (issue 8 asks for at most 3)
//	api-calls/resource         requests to the kube-apiserver during one plan, over N
//	discovery-calls/resource   of which discovery (/version, /api, /apis, ...)
//	connections/resource       TCP connections opened to the kube-apiserver, over N
//	api-ms/resource            the requests' summed time to answer, over N (milliseconds)
//
// It asserts nothing about the figures; it fails when a plan is not empty.
func BenchmarkPlan(b *testing.B) {
	sizes, err := planBenchSizes(os.Getenv("BENCH_PLAN_N"))
	if err != nil {
		b.Fatal(err)
	}
	reps := 5
	if s := os.Getenv("BENCH_PLAN_REPS"); s != "" {
		if reps, err = strconv.Atoi(s); err != nil || reps < 1 {
			b.Fatalf("BENCH_PLAN_REPS=%q: want a positive number", s)
		}
	}
	bench := newPlanBench(b, sandboxtest.Platform(b))
	results := map[int]*planResult{}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			// The testing package may call this more than once (a probe
			// with b.N = 1 before -benchtime=Nx): measure once, report
			// every time.
			r := results[n]
			if r == nil {
				r = bench.measure(b, n, reps)
				results[n] = r
			}
			r.report(b)
		})
	}
	var table strings.Builder
	fmt.Fprintf(&table, "plan with nothing to change, median of %d (seconds); provider built from this checkout; terraform parallelism 10\n", reps)
	fmt.Fprintf(&table, "%6s  %8s  %15s  %7s  %14s  %14s  %10s  %11s\n", "N", "mc_site", "terraform_data", "ratio", "api calls/res", "discovery/res", "conns/res", "api ms/res")
	for _, n := range sizes {
		if r := results[n]; r != nil {
			fmt.Fprintf(&table, "%6d  %8.2f  %15.2f  %6.1fx  %14.1f  %14.1f  %10.3f  %11.1f\n", n, r.ours.Seconds(), r.floor.Seconds(), r.ratio(),
				r.perResource(r.requests), r.perResource(r.discovery), r.perResource(r.conns), r.apiserverTime.Seconds()*1000/float64(n))
		}
	}
	// A parent benchmark's log shows only under -v: print the table.
	fmt.Print(table.String())
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

// planBench holds what every size shares: the terraform CLI, the provider
// binary with a CLI configuration that overrides mcplatform/mc with it, and
// the counting proxy.
type planBench struct {
	platform  *sandbox.Platform
	terraform string
	dir       string   // removed when the benchmark ends
	env       []string // the environment of every terraform run
	proxy     *countingProxy
	// proxyKubeconfig reaches the platform through proxy.
	proxyKubeconfig string
	// suffix keeps the site names of this run apart from other runs on a
	// shared platform.
	suffix string
}

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

	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		b.Fatalf("cannot find the module root: %v", err)
	}
	pluginDir := filepath.Join(pb.dir, "plugins")
	build := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-mc"), ".")
	build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	t0 := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("cannot build the provider: %v\n%s", err, out)
	}
	b.Logf("provider built in %s", time.Since(t0).Round(time.Millisecond))

	cliConfig := filepath.Join(pb.dir, "terraform.rc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"mcplatform/mc\" = %q\n  }\n  direct {}\n}\n", pluginDir)
	if err := os.WriteFile(cliConfig, []byte(rc), 0o600); err != nil {
		b.Fatal(err)
	}
	// The provider reads its connection from the environment, so that the
	// counted plan only swaps MC_KUBECONFIG.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "MC_") {
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

// planResult is what one size measured.
type planResult struct {
	n           int
	ours, floor time.Duration // medians
	// requests (discovery of them) and connections of the counted plan
	requests, discovery, conns int
	// apiserverTime is the summed time to answer of the counted plan's
	// requests, seen from the proxy.
	apiserverTime time.Duration
}

func (r *planResult) ratio() float64 { return r.ours.Seconds() / r.floor.Seconds() }

func (r *planResult) perResource(count int) float64 { return float64(count) / float64(r.n) }

func (r *planResult) report(b *testing.B) {
	b.ReportMetric(r.ours.Seconds(), "mc_site-plan-s")
	b.ReportMetric(r.floor.Seconds(), "terraform_data-plan-s")
	b.ReportMetric(r.ratio(), "ratio-vs-terraform_data")
	b.ReportMetric(r.perResource(r.requests), "api-calls/resource")
	b.ReportMetric(r.perResource(r.discovery), "discovery-calls/resource")
	b.ReportMetric(r.perResource(r.conns), "connections/resource")
	b.ReportMetric(r.apiserverTime.Seconds()*1000/float64(r.n), "api-ms/resource")
	b.ReportMetric(float64(r.ours.Nanoseconds()), "ns/op")
}

// measure applies n sites and n terraform_data, then times reps plans of
// each, interleaved, and counts the requests of one more plan of the sites.
func (pb *planBench) measure(b *testing.B, n, reps int) *planResult {
	b.Helper()
	ctx := context.Background()
	sites := filepath.Join(pb.dir, fmt.Sprintf("sites-%d", n))
	floor := filepath.Join(pb.dir, fmt.Sprintf("terraform-data-%d", n))
	writeBenchFile(b, filepath.Join(sites, "main.tf"), fmt.Sprintf(`terraform {
  required_providers {
    mc = {
      source = "mcplatform/mc"
    }
  }
}

provider "mc" {}

resource "mc_site" "bench" {
  count       = %d
  name        = "pb-%s-${count.index}"
  description = "plan benchmark"
}
`, n, pb.suffix))
	writeBenchFile(b, filepath.Join(floor, "main.tf"), fmt.Sprintf(`resource "terraform_data" "bench" {
  count = %d
  input = "pb-%s-${count.index}"
}
`, n, pb.suffix))

	direct := "MC_KUBECONFIG=" + pb.platform.KubeconfigPath
	// The sites go first: whatever state the apply leaves is destroyed,
	// without a refresh, when the benchmark ends.
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		if _, out, err := pb.run(ctx, sites, direct, "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", "-parallelism=20"); err != nil {
			b.Errorf("cannot destroy the %d benchmark sites: %v\n%s", n, err, outputTail(out))
		}
	})
	for _, dir := range []string{sites, floor} {
		d, out, err := pb.run(ctx, dir, direct, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")
		if err != nil {
			b.Fatalf("terraform apply in %s: %v\n%s", filepath.Base(dir), err, outputTail(out))
		}
		b.Logf("N=%d: applied %s in %s", n, filepath.Base(dir), d.Round(time.Millisecond))
	}

	plan := func(dir, kubeconfigEnv string) time.Duration {
		d, out, err := pb.run(ctx, dir, kubeconfigEnv, "plan", "-refresh=true", "-input=false", "-no-color", "-detailed-exitcode")
		if err != nil {
			b.Fatalf("terraform plan in %s (want no changes): %v\n%s", filepath.Base(dir), err, outputTail(out))
		}
		return d
	}
	var ours, floors []time.Duration
	for i := range reps {
		// Alternate the order, so that neither always runs second.
		if i%2 == 0 {
			ours = append(ours, plan(sites, direct))
			floors = append(floors, plan(floor, direct))
		} else {
			floors = append(floors, plan(floor, direct))
			ours = append(ours, plan(sites, direct))
		}
	}
	b.Logf("N=%d: mc_site plans %s", n, planDurations(ours))
	b.Logf("N=%d: terraform_data plans %s", n, planDurations(floors))

	pb.proxy.reset()
	counted := plan(sites, "MC_KUBECONFIG="+pb.proxyKubeconfig)
	requests, conns := pb.proxy.counts()
	latency := pb.proxy.latencies()
	r := &planResult{n: n, ours: planMedian(ours), floor: planMedian(floors), conns: conns, discovery: requests[discoveryKind]}
	for kind, c := range requests {
		r.requests += c
		r.apiserverTime += latency[kind]
	}
	b.Logf("N=%d: counted plan (through the proxy) %s: %d requests on %d connections: %s",
		n, counted.Round(time.Millisecond), r.requests, conns, formatCounts(requests))
	b.Logf("N=%d: time to answer, summed over the counted plan's requests: %s", n, formatLatencies(requests, latency))
	return r
}

// run runs terraform in dir with the benchmark's environment and one more
// variable, and returns how long it took and its combined output.
func (pb *planBench) run(ctx context.Context, dir, extraEnv string, args ...string) (time.Duration, []byte, error) {
	cmd := exec.CommandContext(ctx, pb.terraform, args...)
	cmd.Dir = dir
	cmd.Env = append(slices.Clone(pb.env), extraEnv)
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
