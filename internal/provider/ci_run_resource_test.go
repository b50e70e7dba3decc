//go:build platform

package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// Names of the mc_ci_run acceptance test's objects on the shared platform:
// its own registry namespace (where it registers the sandbox's site-a and
// site-b under their own names, which the sandbox's runner serves) and its
// own Harbor project.
const (
	ciRunNamespace = "mc-cirun-acc"
	ciRunProject   = "cirun-acc"
	ciRunPolicy    = "cirun-acc-to-hub"
)

// ciRunBuild renders the Go service template's .tmpl files as
// mc_application would, then builds a static binary into $OUT.
const ciRunBuild = `for f in *.tmpl; do sed -e 's/{{ *\.name *}}/hello/g' -e 's/{{ *\.project *}}/demo/g' -e 's/{{ *\.port *}}/8080/g' "$f" > "${f%.tmpl}"; done && CGO_ENABLED=0 go build -trimpath -o "$OUT/app" .`

// ciRunSites registers the sandbox's two Harbor sites in the test's own
// registry namespace: site-a, the hub, and site-b, which has the runner.
func ciRunSites(p *sandbox.Platform) string {
	a, b := p.Harbors[sandbox.HarborSiteA], p.Harbors[sandbox.HarborSiteB]
	return fmt.Sprintf(`
provider "mc" {
  kubeconfig_path = %[1]q
  namespace       = %[2]q
}

resource "mc_site" "a" {
  name = %[3]q
  hub  = true
  harbor = {
    url                 = %[4]q
    username            = %[5]q
    password_wo         = %[6]q
    password_wo_version = 1
  }
}

resource "mc_site" "b" {
  name = %[7]q
  harbor = {
    url                 = %[8]q
    username            = %[9]q
    password_wo         = %[10]q
    password_wo_version = 1
  }
}
`, p.KubeconfigPath, ciRunNamespace, sandbox.HarborSiteA, a.URL, a.Username, a.Password, sandbox.HarborSiteB, b.URL, b.Username, b.Password)
}

func ciRunConfig(p *sandbox.Platform, extra string) string {
	return ciRunSites(p) + fmt.Sprintf(`
resource "mc_ci_run" "go" {
  site = mc_site.b.name
  source = {
    repository = %q
    revision   = "main"
  }
  image = {
    project    = %q
    repository = "go-template"
  }
  build = {
    command    = %q
    entrypoint = ["/app"]
  }
  depends_on = [mc_site.a]
}
`, p.Bitbucket.TemplateURL(sandbox.TemplateGoService), ciRunProject, strings.ReplaceAll(ciRunBuild, "${", "$${")) + extra
}

// ciRunSetup makes the test's registry namespace, its Harbor project at
// site B and a push replication policy from site B's Harbor to the hub's
// covering the project (as mc_image_replication would make it).
func ciRunSetup(t *testing.T, p *sandbox.Platform) *harbor.Client {
	t.Helper()
	ctx := context.Background()
	cs := platformClients(t, p)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ciRunNamespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	hc, err := p.HarborClient(sandbox.HarborSiteB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.CreateProject(ctx, harbor.ProjectReq{ProjectName: ciRunProject}); err != nil && harbor.StatusCode(err) != http.StatusConflict {
		t.Fatal(err)
	}
	if pols, err := hc.ListReplicationPolicies(ctx, ciRunPolicy); err == nil {
		for _, pol := range pols {
			if pol.Name == ciRunPolicy {
				return hc
			}
		}
	}
	hub := p.Harbors[sandbox.HarborSiteA]
	regID, err := hc.CreateRegistry(ctx, harbor.Registry{Name: ciRunPolicy, URL: hub.URL, Type: "harbor", Insecure: true,
		Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: hub.Username, AccessSecret: hub.Password}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.CreateReplicationPolicy(ctx, harbor.ReplicationPolicy{
		Name: ciRunPolicy, DestRegistry: harbor.RegistryRef(regID), Enabled: true, Override: true,
		Trigger: &harbor.ReplicationTrigger{Type: "manual"},
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: ciRunProject + "/**"}},
	}); err != nil {
		t.Fatal(err)
	}
	return hc
}

// TestAccCIRun_buildsScansAndReplicates: the Go service template's source is
// built at site B by the sandbox's runner, pushed, scanned and replicated
// to the hub, which has the same digest; the run imports with the same
// attributes and plans nothing; a run at site A, which has no runner,
// fails at once.
func TestAccCIRun_buildsScansAndReplicates(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hc := ciRunSetup(t, p)
	hub, err := p.HarborClient(sandbox.HarborSiteA)
	if err != nil {
		t.Fatal(err)
	}
	digest := regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: ciRunConfig(p, ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_site.b", "task_runner.available", "true"),
					resource.TestCheckResourceAttr("mc_site.a", "task_runner.available", "false"),
					resource.TestCheckResourceAttr("mc_ci_run.go", "phase", "Succeeded"),
					resource.TestCheckResourceAttr("mc_ci_run.go", "ready", "true"),
					resource.TestMatchResourceAttr("mc_ci_run.go", "image_digest", digest),
					resource.TestMatchResourceAttr("mc_ci_run.go", "id", regexp.MustCompile(`^site-b/go-template-[0-9a-f]{10}$`)),
					resource.TestCheckResourceAttr("mc_ci_run.go", "steps.#", "5"),
					resource.TestCheckResourceAttr("mc_ci_run.go", "steps.1.name", "build"),
					resource.TestCheckResourceAttr("mc_ci_run.go", "scan_summary.critical", "0"),
					func(s *terraform.State) error {
						attrs := s.RootModule().Resources["mc_ci_run.go"].Primary.Attributes
						d := attrs["image_digest"]
						if _, err := hc.GetArtifact(context.Background(), ciRunProject, "go-template", d); err != nil {
							return fmt.Errorf("site B's Harbor does not have %s: %v", d, err)
						}
						a, err := hub.GetArtifact(context.Background(), ciRunProject, "go-template", d)
						if err != nil || a.Digest != d {
							return fmt.Errorf("the hub does not have %s: %v", d, err)
						}
						hubHost := strings.TrimPrefix(strings.TrimPrefix(p.Harbors[sandbox.HarborSiteA].URL, "http://"), "https://")
						if want := hubHost + "/" + ciRunProject + "/go-template@" + d; attrs["hub_image_ref"] != want {
							return fmt.Errorf("hub_image_ref = %q, want %q", attrs["hub_image_ref"], want)
						}
						if !strings.HasSuffix(attrs["image_ref"], "/"+ciRunProject+"/go-template@"+d) || len(attrs["resolved_commit"]) != 40 {
							return fmt.Errorf("image_ref %q, resolved_commit %q", attrs["image_ref"], attrs["resolved_commit"])
						}
						return nil
					},
				),
			},
			{
				Config:             ciRunConfig(p, ""),
				ConfigPlanChecks:   resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ExpectNonEmptyPlan: false,
			},
			{
				ResourceName:            "mc_ci_run.go",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: ciRunConfig(p, `
resource "mc_ci_run" "at_hub" {
  site = mc_site.a.name
  source = {
    repository = "https://example.invalid/x.git"
    revision   = "main"
  }
  image = {
    project    = "cirun-acc"
    repository = "nowhere"
  }
}
`),
				ExpectError: regexp.MustCompile(`Site "site-a" has no task\s+runner`),
			},
		},
	})
}

// ciRunExtra is an mc_ci_run of the test's sites building with command
// (no source file of the template is used) into repository.
func ciRunExtra(p *sandbox.Platform, name, repository, command, more string) string {
	return fmt.Sprintf(`
resource "mc_ci_run" %q {
  site = mc_site.b.name
  source = {
    repository = %q
    revision   = "main"
  }
  image = {
    project    = %q
    repository = %q
  }
  build = {
    command = %q
  }
%s
  depends_on = [mc_site.a]
}
`, name, p.Bitbucket.TemplateURL(sandbox.TemplateGoService), ciRunProject, repository, strings.ReplaceAll(command, "${", "$${"), more)
}

// TestAccCIRun_sameInputsSameDigestAndFailFast: a second run of the same
// source and build (a new run, forced by triggers) gives the same digest; a
// build with a compile error fails with the compiler's message; a scan that
// finds a Critical vulnerability fails the run naming it.
func TestAccCIRun_sameInputsSameDigestAndFailFast(t *testing.T) {
	p := sandboxtest.Platform(t)
	ciRunSetup(t, p)
	const cve = "CVE-2026-49001"
	if err := p.AddVulnerabilities(sandbox.HarborSiteB, harborsim.Vulnerability{ID: cve, Package: "mc-acc-vulnerable",
		Versions: []string{"1.0"}, Severity: "Critical", Description: "a package only this test installs"}); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: ciRunSites(p) + ciRunExtra(p, "first", "same-inputs", ciRunBuild, "") +
					ciRunExtra(p, "again", "same-inputs", ciRunBuild, `  triggers = { attempt = "2" }`),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_ci_run.again", "phase", "Succeeded"),
					resource.TestCheckResourceAttrPair("mc_ci_run.first", "image_digest", "mc_ci_run.again", "image_digest"),
					func(s *terraform.State) error {
						a := s.RootModule().Resources["mc_ci_run.first"].Primary.ID
						b := s.RootModule().Resources["mc_ci_run.again"].Primary.ID
						if a == b {
							return fmt.Errorf("both runs are %s; want two runs", a)
						}
						return nil
					},
				),
			},
			{
				Config: ciRunSites(p) + ciRunExtra(p, "broken", "broken",
					`cd "$(mktemp -d)" && printf 'module broken\n\ngo 1.22\n' > go.mod && printf 'package main\n\nfunc main() { undefinedThing() }\n' > main.go && go build -o "$OUT/app" .`, ""),
				ExpectError: regexp.MustCompile(`undefined: undefinedThing`),
			},
			{
				Config: ciRunSites(p) + ciRunExtra(p, "vulnerable", "vulnerable",
					`mkdir -p "$OUT/var/lib/dpkg" && printf 'Package: mc-acc-vulnerable\nVersion: 1.0\n' > "$OUT/var/lib/dpkg/status"`, ""),
				ExpectError: regexp.MustCompile(cve),
			},
		},
	})
}
