//go:build platform

package provider

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// The concurrency test: 20 deployments applied with -parallelism=20 by this
// process while a second terraform process (this test binary run again,
// with a provider of its own: its own committer and lock) applies 5 more
// into the same GitOps repository. Both processes meet at barriers (files
// in a shared directory), so that both applies run at the same time.
const (
	concurrentSite    = "acc-depc"
	concurrentCluster = "acc-depc-wl"
	concurrentMain    = 20
	concurrentSecond  = 5
	envSecondProcess  = "MC_DEPLOY_TEST_SECOND_PROCESS"
	envSecondBarriers = "MC_DEPLOY_TEST_BARRIERS"
)

// deploymentsConfig is n applications of project resource proj and their
// deployments to the concurrency test's site and cluster.
func deploymentsConfig(label, proj, prefix, namespace, src, yaml string, n int) string {
	return fmt.Sprintf(`
resource "mc_application" "%[1]s" {
  count   = %[7]d
  project = %[2]s.key
  name    = format("%[3]s%%02d", count.index)
  template = {
    source_repo = %[5]q
    yaml_repo   = %[6]q
  }
}

resource "mc_application_deployment" "%[1]s" {
  count       = %[7]d
  application = mc_application.%[1]s[count.index].id
  site        = %[8]q
  cluster     = %[9]q
  namespace   = %[4]q
  image = {
    repository = "registry.example/acc/many"
    tag        = "1"
  }
  sync_policy = {
    automated    = true
    prune        = true
    sync_options = ["CreateNamespace=true"]
  }
}
`, label, proj, prefix, namespace, src, yaml, n, concurrentSite, concurrentCluster)
}

// waitFile waits until path exists (written by the other process), or
// the other process ended (exited closed; nil in the second process).
func waitFile(path string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear within %s", filepath.Base(path), timeout)
		}
		select {
		case <-exited:
			return fmt.Errorf("the other process ended before %s", filepath.Base(path))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// countApps counts the Application manifests under the site's apps/ in git.
func countApps(repo git.Repository) (int, error) {
	out, err := exec.Command("git", "ls-remote", "--heads", authURL(repo), "main").Output()
	if err != nil || len(out) == 0 {
		return 0, fmt.Errorf("git ls-remote: %v", err)
	}
	dir, err := os.MkdirTemp("", "acc-depc-clone-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if out, err := exec.Command("git", "clone", "--quiet", "--depth", "1", authURL(repo), dir).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("git clone: %v: %s", err, out)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "sites", concurrentSite, "apps"))
	if err != nil {
		return 0, err
	}
	return len(entries), nil
}

func authURL(r git.Repository) string {
	return strings.Replace(r.URL, "://", "://"+r.Username+":"+r.Password+"@", 1)
}

func TestAccApplicationDeployment_concurrent(t *testing.T) {
	if os.Getenv(envSecondProcess) != "" {
		secondProcess(t)
		return
	}
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	f := newDeploymentFixture(t, p, concurrentSite, concurrentCluster)
	t.Setenv("TF_CLI_ARGS_apply", "-parallelism=20")
	t.Setenv("TF_CLI_ARGS_destroy", "-parallelism=20")
	barriers := t.TempDir()
	ns := "acc-depc-" + strings.ToLower(f.key)
	config := f.config(deploymentsConfig("many", "mc_project.dep", "many-", ns, f.templateSrc, f.tmplYAML, concurrentMain))
	setup := f.config(strings.Split(deploymentsConfig("many", "mc_project.dep", "many-", ns, f.templateSrc, f.tmplYAML, concurrentMain), `resource "mc_application_deployment"`)[0])

	var second *exec.Cmd
	var secondOut bytes.Buffer
	var secondErr error
	exited := make(chan struct{})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: setup},
			{
				PreConfig: func() {
					second = exec.Command(os.Args[0], "-test.run=^TestAccApplicationDeployment_concurrent$", "-test.v")
					second.Env = append(os.Environ(), envSecondProcess+"=1", envSecondBarriers+"="+barriers,
						"MC_SANDBOX_REUSE=1", "MC_SANDBOX_DIR="+p.StateDir)
					second.Stdout, second.Stderr = &secondOut, &secondOut
					if err := second.Start(); err != nil {
						t.Fatal(err)
					}
					go func() { secondErr = second.Wait(); close(exited) }()
					// The second process has its applications: both apply
					// their deployments now.
					if err := waitFile(filepath.Join(barriers, "second-ready"), 10*time.Minute, exited); err != nil {
						t.Fatalf("the second process: %v\n%s", err, secondOut.String())
					}
					touch(t, filepath.Join(barriers, "go"))
				},
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					func(s *terraform.State) error {
						for i := 0; i < concurrentMain; i++ {
							a := s.RootModule().Resources[fmt.Sprintf("mc_application_deployment.many.%d", i)].Primary.Attributes
							if a["sync_status"] != "Synced" || a["health_status"] != "Healthy" || a["synced_revision"] != a["yaml_commit"] {
								return fmt.Errorf("deployment %d: sync %s, health %s, synced %s, yaml commit %s", i, a["sync_status"], a["health_status"], a["synced_revision"], a["yaml_commit"])
							}
						}
						return nil
					},
					func(*terraform.State) error {
						if err := waitFile(filepath.Join(barriers, "second-applied"), 10*time.Minute, exited); err != nil {
							return fmt.Errorf("the second process: %v\n%s", err, secondOut.String())
						}
						n, err := countApps(f.gitopsRepo())
						touch(t, filepath.Join(barriers, "counted"))
						if err != nil {
							return err
						}
						if n != concurrentMain+concurrentSecond {
							return fmt.Errorf("%d Application manifests in git, want %d: commits were lost", n, concurrentMain+concurrentSecond)
						}
						return nil
					},
				),
			},
			{
				PreConfig: func() {
					select {
					case <-exited:
						if secondErr != nil {
							t.Fatalf("the second process failed: %v\n%s", secondErr, secondOut.String())
						}
					case <-time.After(10 * time.Minute):
						t.Fatalf("the second process did not end\n%s", secondOut.String())
					}
					t.Logf("second process:\n%s", lastLines(secondOut.String(), 5))
				},
				Config: config,
				// The deployments plan nothing (the site's root application
				// may still be pruning the second process's Applications, so
				// mc_site may plan to resume waiting).
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: noopDeployments(concurrentMain)},
				Check: func(*terraform.State) error {
					// The second process destroyed its 5 while this one kept its 20.
					n, err := countApps(f.gitopsRepo())
					if err == nil && n != concurrentMain {
						err = fmt.Errorf("%d Application manifests in git after the second process destroyed its own, want %d", n, concurrentMain)
					}
					return err
				},
			},
		},
	})
}

// secondProcess is the second terraform process of
// TestAccApplicationDeployment_concurrent: its own project, 5 applications
// and their deployments into the first process's site.
func secondProcess(t *testing.T) {
	p := sandboxtest.Platform(t)
	barriers := os.Getenv(envSecondBarriers)
	t.Setenv("TF_CLI_ARGS_apply", "-parallelism=20")
	src, yaml := depTemplates(t, p)
	key := randomKey("DEQ")
	ns := "acc-depc2-" + strings.ToLower(key)
	project := fmt.Sprintf(`
resource "mc_project" "second" {
  key  = %q
  name = "Second process %s"
  bitbucket = {
    workspace = %q
  }
}
`, key, key, p.Bitbucket.Workspace)
	provider := platformAtlassian(p).providerBlock(p)
	full := provider + project + deploymentsConfig("second", "mc_project.second", "second-", ns, src, yaml, concurrentSecond)
	setup := provider + project + strings.Split(deploymentsConfig("second", "mc_project.second", "second-", ns, src, yaml, concurrentSecond), `resource "mc_application_deployment"`)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: setup},
			{
				PreConfig: func() {
					touch(t, filepath.Join(barriers, "second-ready"))
					if err := waitFile(filepath.Join(barriers, "go"), 10*time.Minute, nil); err != nil {
						t.Fatal(err)
					}
				},
				Config: full,
				Check: func(*terraform.State) error {
					touch(t, filepath.Join(barriers, "second-applied"))
					return waitFile(filepath.Join(barriers, "counted"), 10*time.Minute, nil)
				},
			},
		},
	})
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// noopDeployments expects no change of the n deployments.
func noopDeployments(n int) []plancheck.PlanCheck {
	var checks []plancheck.PlanCheck
	for i := 0; i < n; i++ {
		checks = append(checks, plancheck.ExpectResourceAction(fmt.Sprintf("mc_application_deployment.many[%d]", i), plancheck.ResourceActionNoop))
	}
	return checks
}
