//go:build platform

package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// BenchmarkPlanSplit measures the layout docs/guides/state-per-site.md
// recommends: one root module (one state) per site, each holding the site
// and its resources. For each K of BENCH_SPLIT_K (default 1,2,4,8) it
// applies K root modules of one mc_site with BENCH_SPLIT_M (default 25)
// cluster registrations each, then plans every module, one after the other
// as a pipeline with a job per state does, BENCH_PLAN_REPS times (default
// 3), and reports the median time of a whole round over the resources it
// refreshed. The cost per resource stays flat as the states multiply when
// x_per_resource_vs_smallest stays near 1.
func BenchmarkPlanSplit(b *testing.B) {
	ks, err := planBenchSizes(os.Getenv("BENCH_SPLIT_K"))
	if err != nil {
		b.Fatal(err)
	}
	if os.Getenv("BENCH_SPLIT_K") == "" {
		ks = []int{1, 2, 4, 8}
	}
	m := envInt(b, "BENCH_SPLIT_M", 25)
	reps := envInt(b, "BENCH_PLAN_REPS", 3)
	if reps == 0 {
		reps = 1
	}
	p := sandboxtest.Platform(b)
	pb := newPlanBench(b, p)
	fmt.Printf("BENCHMD-NOTE BenchmarkPlanSplit: K root modules (one state per site), each an mc_site with %d mc_cluster_registration; "+
		"a round plans every module once, one after the other; median of %d rounds. ms/resource: a round's time over the resources it refreshed; "+
		"s/state: a round's time over K; x_per_resource_vs_smallest: ms/resource over the smallest K's. See docs/guides/state-per-site.md.\n", m, reps)
	fmt.Printf("BENCHMD-COLUMNS BenchmarkPlanSplit: states resources round-s s/state ms/resource x_per_resource_vs_smallest\n")
	// The modules of the largest K are applied once, here, so that they
	// last until every sub-benchmark is done; smaller K plan a prefix of
	// them.
	modules := pb.applySplit(b, slices.Max(ks), m)
	var smallest float64
	for _, k := range ks {
		var round time.Duration
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			if round == 0 {
				round = pb.planRounds(b, modules[:k], reps)
				if smallest == 0 {
					smallest = splitPerResource(round, k, m)
				}
			}
			b.ReportMetric(float64(k), "states")
			b.ReportMetric(float64(k*(m+1)), "resources")
			b.ReportMetric(round.Seconds(), "round-s")
			b.ReportMetric(round.Seconds()/float64(k), "s/state")
			b.ReportMetric(splitPerResource(round, k, m), "ms/resource")
			b.ReportMetric(splitPerResource(round, k, m)/smallest, "x_per_resource_vs_smallest")
			b.ReportMetric(float64(round.Nanoseconds()), "ns/op")
		})
	}
}

func splitPerResource(round time.Duration, k, m int) float64 {
	return float64(round.Milliseconds()) / float64(k*(m+1))
}

// applySplit applies k root modules, one per site, and returns their
// directories. They are destroyed when b ends.
func (pb *planBench) applySplit(b *testing.B, k, m int) []string {
	b.Helper()
	p := pb.platform
	direct := pb.directEnv()
	dirs := make([]string, k)
	for i := range k {
		site := fmt.Sprintf("sp%s-%d", pb.suffix, i)
		dirs[i] = filepath.Join(pb.dir, "split", site)
		writeBenchFile(b, filepath.Join(dirs[i], "main.tf"), mcProviderBlock(p)+fmt.Sprintf(`
resource "mc_site" "this" {
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

resource "mc_cluster_registration" "this" {
  count            = %[7]d
  site             = mc_site.this.name
  name             = "%[1]s-c${count.index}"
  server           = %[8]q
  ca_certificate   = file(%[9]q)
  token_wo         = %[10]q
  token_wo_version = 1
}
`, site, p.ArgoCDNamespace, p.ArgoCDClusterName, gitRepo(b, p, site, "sites/"+site), p.GitUsername, p.GitPassword,
			m, p.WorkloadServerURL, p.WorkloadCAFile, p.WorkloadToken))
	}
	ctx := context.Background()
	for _, dir := range dirs {
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if _, out, err := pb.run(ctx, dir, direct, "", "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", "-parallelism=20"); err != nil {
				b.Errorf("cannot destroy %s: %v\n%s", filepath.Base(dir), err, outputTail(out))
			}
		})
		d, out, err := pb.run(ctx, dir, direct, "", "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")
		if err != nil {
			b.Fatalf("terraform apply of %s: %v\n%s", filepath.Base(dir), err, outputTail(out))
		}
		b.Logf("applied %s in %s", filepath.Base(dir), d.Round(time.Millisecond))
	}
	return dirs
}

// planRounds plans every module once per round, reps rounds, and returns
// the median round.
func (pb *planBench) planRounds(b *testing.B, dirs []string, reps int) time.Duration {
	b.Helper()
	ctx := context.Background()
	direct := pb.directEnv()
	var rounds []time.Duration
	for range reps {
		var round time.Duration
		for _, dir := range dirs {
			d, out, err := pb.run(ctx, dir, direct, "", "plan", "-refresh=true", "-input=false", "-no-color", "-detailed-exitcode")
			if err != nil {
				b.Fatalf("terraform plan of %s (want no changes): %v\n%s", filepath.Base(dir), err, outputTail(out))
			}
			round += d
		}
		rounds = append(rounds, round)
	}
	b.Logf("K=%d: rounds %s", len(dirs), planDurations(rounds))
	return planMedian(rounds)
}
