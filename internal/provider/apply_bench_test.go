//go:build platform

package provider

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// BenchmarkApplyThroughput applies N mc_application_deployment of one
// application into one GitOps repository with -parallelism=20, for each N
// of BENCH_APPLY_N (default 20,200), and reports the wall time, the commits
// the apply made to the GitOps and the yaml repository, and the time per
// resource against the smallest N's. The prerequisites (site, project,
// application, one cluster registration per deployment) are applied first,
// untimed. Each deployment's create returns when Argo CD reports its
// Application Synced and Healthy at the commit (the resource's own wait,
// the workload's pods run on kwok's simulated nodes), so the wall time
// includes Argo CD's syncs.
func BenchmarkApplyThroughput(b *testing.B) {
	sizes, err := planBenchSizes(os.Getenv("BENCH_APPLY_N"))
	if err != nil {
		b.Fatal(err)
	}
	if os.Getenv("BENCH_APPLY_N") == "" {
		sizes = []int{20, 200}
	}
	p := sandboxtest.Platform(b)
	pb := newPlanBench(b, p)
	fmt.Printf("BENCHMD-NOTE BenchmarkApplyThroughput: `terraform apply -parallelism=20` of N mc_application_deployment of one application " +
		"into one GitOps repository (prerequisites applied before, untimed). Each create returns when Argo CD reports its Application " +
		"Synced and Healthy at the commit, the pods running on kwok's simulated nodes. gitops-commits and yaml-commits: commits the apply added " +
		"to the site's GitOps repository and to the application's yaml repository; x_per_resource_vs_smallest: s/resource over the smallest N's.\n")
	fmt.Printf("BENCHMD-COLUMNS BenchmarkApplyThroughput: apply-s s/resource x_per_resource_vs_smallest gitops-commits yaml-commits commits/resource\n")
	var smallest float64
	for _, n := range sizes {
		var r *applyResult
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			if r == nil {
				r = &applyResult{}
				*r = pb.measureApply(b, n)
				if smallest == 0 {
					smallest = r.perResource()
				}
			}
			b.ReportMetric(r.apply.Seconds(), "apply-s")
			b.ReportMetric(r.perResource(), "s/resource")
			b.ReportMetric(r.perResource()/smallest, "x_per_resource_vs_smallest")
			b.ReportMetric(float64(r.gitopsCommits), "gitops-commits")
			b.ReportMetric(float64(r.yamlCommits), "yaml-commits")
			b.ReportMetric(float64(r.gitopsCommits+r.yamlCommits)/float64(n), "commits/resource")
			b.ReportMetric(float64(r.apply.Nanoseconds()), "ns/op")
		})
	}
}

// applyResult is what one apply measured.
type applyResult struct {
	n                          int
	apply                      time.Duration
	gitopsCommits, yamlCommits int
}

func (r applyResult) perResource() float64 { return r.apply.Seconds() / float64(r.n) }

func (pb *planBench) measureApply(b *testing.B, n int) applyResult {
	b.Helper()
	ctx := context.Background()
	p := pb.platform
	id := fmt.Sprintf("ab%s%d", pb.suffix, n)
	dir := filepath.Join(pb.dir, fmt.Sprintf("apply-%d", n))
	writeBenchFile(b, filepath.Join(dir, "main.tf"), deploymentBenchConfig(b, p, n, id))
	direct := pb.directEnv()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		if _, out, err := pb.run(ctx, dir, direct, "", "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", "-parallelism=20"); err != nil {
			b.Errorf("cannot destroy the %d deployments: %v\n%s", n, err, outputTail(out))
		}
	})
	if _, out, err := pb.run(ctx, dir, direct, "", "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20",
		"-target=mc_site.dep", "-target=mc_cluster_registration.wl", "-target=mc_application.web"); err != nil {
		b.Fatalf("terraform apply of the prerequisites: %v\n%s", err, outputTail(out))
	}
	gitops := pb.output(b, dir, "gitops_repo")
	yaml := pb.output(b, dir, "yaml_repo")
	gitopsBefore := countCommits(b, gitops, p.GitUsername, p.GitPassword)
	yamlBefore := countCommits(b, yaml, p.Bitbucket.Username, p.Bitbucket.Password)
	d, out, err := pb.run(ctx, dir, direct, "", "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20")
	if err != nil {
		b.Fatalf("terraform apply of %d deployments: %v\n%s", n, err, outputTail(out))
	}
	r := applyResult{n: n, apply: d,
		gitopsCommits: countCommits(b, gitops, p.GitUsername, p.GitPassword) - gitopsBefore,
		yamlCommits:   countCommits(b, yaml, p.Bitbucket.Username, p.Bitbucket.Password) - yamlBefore,
	}
	b.Logf("N=%d: applied in %s, %d GitOps commits, %d yaml commits", n, d.Round(time.Millisecond), r.gitopsCommits, r.yamlCommits)
	return r
}

// countCommits clones a repository (bare, into a temporary directory) and
// counts the commits of all its branches.
func countCommits(b *testing.B, repoURL, username, password string) int {
	b.Helper()
	u, err := url.Parse(repoURL)
	if err != nil {
		b.Fatalf("cannot parse %q: %v", repoURL, err)
	}
	u.User = url.UserPassword(username, password)
	dir := filepath.Join(b.TempDir(), "repo.git")
	if out, err := exec.Command("git", "clone", "--bare", "--quiet", u.String(), dir).CombinedOutput(); err != nil {
		b.Fatalf("cannot clone %s: %v\n%s", repoURL, err, strings.ReplaceAll(string(out), password, "***"))
	}
	out, err := exec.Command("git", "--git-dir", dir, "rev-list", "--count", "--all").Output()
	if err != nil {
		b.Fatalf("cannot count the commits of %s: %v", repoURL, err)
	}
	count, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		b.Fatalf("git rev-list --count: %q", out)
	}
	return count
}
