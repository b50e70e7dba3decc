//go:build platform

package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// applicationConfig is a Bitbucket-only mc_project of key and an
// mc_application of it made from the sandbox's Go service templates.
func applicationConfig(a atlassian, p *sandbox.Platform, key, name, port, extra string) string {
	return a.providerBlock(p) + fmt.Sprintf(`
resource "mc_project" "app" {
  key  = %q
  name = "Application %s"
  bitbucket = {
    workspace = %q
  }
}

resource "mc_application" "test" {
  project = mc_project.app.key
  name    = %q
  template = {
    source_repo = %q
    yaml_repo   = %q
  }
  initial_values = {
    port = %q
  }
%s
}
`, key, key, a.workspace, name, p.Bitbucket.TemplateURL(sandbox.TemplateGoService), p.Bitbucket.TemplateURL(sandbox.TemplateGoServiceYAML), port, extra)
}

// gitClone clones url with the git CLI and the platform's Bitbucket
// credentials into a new directory and returns it.
func gitClone(t *testing.T, p *sandbox.Platform, url string) (string, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	auth := base64.StdEncoding.EncodeToString([]byte(p.Bitbucket.Username + ":" + p.Bitbucket.Password))
	cmd := exec.Command("git", "-c", "http.extraHeader=Authorization: Basic "+auth, "clone", "--quiet", url, dir)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("git clone %s: %v: %s", url, err, out)
	}
	return dir, nil
}

// checkClonedFiles clones the computed source and yaml URLs with git and
// checks the filled template files.
func checkClonedFiles(t *testing.T, p *sandbox.Platform, key, name, port string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		attrs := s.RootModule().Resources["mc_application.test"].Primary.Attributes
		src, err := gitClone(t, p, attrs["source_clone_url"])
		if err != nil {
			return err
		}
		want := map[string]string{
			"README.md": fmt.Sprintf("# %s\n\nA Go service of project %s, listening on port %s.\n", name, key, port),
			"go.mod":    fmt.Sprintf("module example.com/%s/%s\n\ngo 1.24\n", key, name),
		}
		for file, content := range want {
			b, err := os.ReadFile(filepath.Join(src, file))
			if err != nil || string(b) != content {
				return fmt.Errorf("%s of the source repository = %q, %v; want %q", file, b, err, content)
			}
		}
		if b, err := os.ReadFile(filepath.Join(src, "main.go")); err != nil || !strings.Contains(string(b), `":`+port+`"`) {
			return fmt.Errorf("main.go of the source repository does not listen on %s: %q, %v", port, b, err)
		}
		if _, err := os.Stat(filepath.Join(src, "main.go.tmpl")); !os.IsNotExist(err) {
			return fmt.Errorf("main.go.tmpl was pushed as it is")
		}
		head, err := exec.Command("git", "-C", src, "rev-list", "--max-parents=0", "HEAD").Output()
		if err != nil || strings.TrimSpace(string(head)) != attrs["source_initial_commit"] {
			return fmt.Errorf("first commit of the clone = %q, %v; want source_initial_commit %s", head, err, attrs["source_initial_commit"])
		}
		yml, err := gitClone(t, p, attrs["yaml_clone_url"])
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(yml, "README.md")); err != nil {
			return fmt.Errorf("the yaml repository has no README.md: %v", err)
		}
		return nil
	}
}

// countRepositories checks how many of the application's two
// repositories exist.
func countRepositories(a atlassian, name string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		n := 0
		for _, slug := range []string{name, name + "-yaml"} {
			_, err := a.bitbucketClient().GetRepository(context.Background(), a.workspace, slug)
			switch {
			case err == nil:
				n++
			case !bitbucket.IsNotFound(err):
				return err
			}
		}
		if n != want {
			return fmt.Errorf("repositories of application %s: %d, want %d", name, n, want)
		}
		return nil
	}
}

// TestAccApplication_lifecycle makes an application from the sandbox's
// templates: create (the clone has the filled files), import, new initial
// values in place (reported, not pushed), an empty plan, a repository
// deleted outside planned and made again, and destroy.
func TestAccApplication_lifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	if err := sandbox.SeedTemplates(context.Background(), p.Bitbucket); err != nil {
		t.Fatal(err)
	}
	a := platformAtlassian(p)
	key := randomKey("AP")
	name := "svc-" + strings.ToLower(key)
	var firstCommit string
	keepFirstCommit := func(s *terraform.State) error {
		firstCommit = s.RootModule().Resources["mc_application.test"].Primary.Attributes["source_initial_commit"]
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := countRepositories(a, name, 0)(s); err != nil {
				return err
			}
			cfg, err := p.RESTConfig()
			if err != nil {
				return err
			}
			reg := registry.New(cfg, p.Namespace)
			if _, err := reg.LookupApplication(context.Background(), key, name); !engine.IsNotFound(err) {
				return fmt.Errorf("the record of application %s/%s: %v, want none", key, name, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: applicationConfig(a, p, key, name, "8080", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_application.test", "id", key+"/"+name),
					resource.TestCheckResourceAttr("mc_application.test", "default_branch", "main"),
					resource.TestCheckResourceAttr("mc_application.test", "template.ref", "main"),
					resource.TestCheckResourceAttr("mc_application.test", "on_destroy", "delete"),
					resource.TestCheckResourceAttr("mc_application.test", "notice", ""),
					resource.TestMatchResourceAttr("mc_application.test", "source_clone_url", regexp.MustCompile("/"+a.workspace+"/"+name+`\.git$`)),
					resource.TestMatchResourceAttr("mc_application.test", "yaml_clone_url", regexp.MustCompile("/"+a.workspace+"/"+name+`-yaml\.git$`)),
					resource.TestMatchResourceAttr("mc_application.test", "source_initial_commit", regexp.MustCompile(`^[0-9a-f]{40}$`)),
					resource.TestMatchResourceAttr("mc_application.test", "yaml_initial_commit", regexp.MustCompile(`^[0-9a-f]{40}$`)),
					countRepositories(a, name, 2),
					checkClonedFiles(t, p, key, name, "8080"),
					keepFirstCommit,
				),
			},
			{
				ResourceName:            "mc_application.test",
				ImportState:             true,
				ImportStateId:           key + "/" + name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				// New initial values: in place, nothing pushed, a notice.
				Config: applicationConfig(a, p, key, name, "9090", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_application.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_application.test", "initial_values.port", "9090"),
					resource.TestMatchResourceAttr("mc_application.test", "notice", regexp.MustCompile(`port="8080"`)),
					checkClonedFiles(t, p, key, name, "8080"),
				),
			},
			{
				Config:   applicationConfig(a, p, key, name, "9090", ""),
				PlanOnly: true,
			},
			{
				// on_destroy changes in place.
				Config: applicationConfig(a, p, key, name, "9090", `  on_destroy = "orphan"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_application.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr("mc_application.test", "on_destroy", "orphan"),
			},
			{
				// The yaml repository deleted outside: planned and made again,
				// the source repository kept.
				PreConfig: func() {
					if err := a.bitbucketClient().DeleteRepository(context.Background(), a.workspace, name+"-yaml"); err != nil {
						t.Fatalf("cannot delete repository %s-yaml: %v", name, err)
					}
				},
				Config: applicationConfig(a, p, key, name, "9090", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_application.test", plancheck.ResourceActionCreate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					countRepositories(a, name, 2),
					func(s *terraform.State) error { // the source repository was adopted, not pushed again
						return resource.TestCheckResourceAttr("mc_application.test", "source_initial_commit", firstCommit)(s)
					},
					checkClonedFiles(t, p, key, name, "8080"),
				),
			},
		},
	})
}

// TestAccApplication_badInput: names outside Bitbucket's slug rule are
// refused at plan time; an unknown project fails the apply, naming it.
func TestAccApplication_badInput(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	a := platformAtlassian(p)
	tmpl := fmt.Sprintf(`
  template = {
    source_repo = %q
    yaml_repo   = %q
  }
  initial_values = { port = "8080" }
`, p.Bitbucket.TemplateURL(sandbox.TemplateGoService), p.Bitbucket.TemplateURL(sandbox.TemplateGoServiceYAML))
	var steps []resource.TestStep
	for _, name := range []string{"Shop", "-shop", "sh/op", strings.Repeat("a", 58)} {
		steps = append(steps, resource.TestStep{
			Config: a.providerBlock(p) + fmt.Sprintf(`
resource "mc_application" "bad" {
  project = "BAD"
  name    = %q
%s}
`, name, tmpl),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`not a valid\s+application\s+name`),
		})
	}
	steps = append(steps, resource.TestStep{
		Config: a.providerBlock(p) + fmt.Sprintf(`
resource "mc_application" "bad" {
  project = "NOSUCHPRJ"
  name    = "orphan-app"
%s}
`, tmpl),
		ExpectError: regexp.MustCompile(`(?i)project\s+"NOSUCHPRJ"\s+is\s+not\s+registered`),
	})
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: protoV6ProviderFactories, Steps: steps})
}
