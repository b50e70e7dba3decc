//go:build platform

package provider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

const harborPassword = "Harbor12345"

// twoHarborSites configures a hub site and an edge site, each with its own
// Harbor, followed by extra configuration.
func twoHarborSites(p *sandbox.Platform, prefix, hubURL, edgeURL, extra string) string {
	return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "hub" {
  name = "%[1]s-hub"
  harbor = {
    url                 = %[2]q
    username            = "admin"
    password_wo         = %[4]q
    password_wo_version = 1
  }
}

resource "mc_site" "edge" {
  name = "%[1]s-edge"
  harbor = {
    url                 = %[3]q
    username            = "admin"
    password_wo         = %[4]q
    password_wo_version = 1
  }
}
`, prefix, hubURL, edgeURL, harborPassword) + extra
}

func newHarbor(t *testing.T) (*httptest.Server, *harbor.Client) {
	t.Helper()
	srv := httptest.NewServer(harborsim.New(harborsim.Options{AdminPassword: harborPassword}))
	t.Cleanup(srv.Close)
	return srv, harborClient(t, srv.URL)
}

func harborClient(t *testing.T, url string) *harbor.Client {
	t.Helper()
	hc, err := harbor.New(harbor.Config{URL: url, Username: "admin", Password: harborPassword})
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

// startHarborSite starts a Harbor simulator in front of a real distribution
// registry (built by hack/build-testplane.sh).
func startHarborSite(t *testing.T, name string) *harborsim.Site {
	t.Helper()
	bin := filepath.Join(sandbox.DefaultCacheDir(), "bin", "registry-v3.1.2")
	site, err := harborsim.StartSite(context.Background(), harborsim.SiteOptions{
		Name: name, RegistryBinary: bin, StateDir: t.TempDir(), AdminPassword: harborPassword,
	})
	if err != nil {
		t.Fatalf("StartSite(%q) error = %v", name, err)
	}
	t.Cleanup(func() { _ = site.Close() })
	return site
}

// registryRef names repo in a registry given by URL.
func registryRef(t *testing.T, registryURL, repo string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(strings.TrimPrefix(registryURL, "http://")+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAccImageReplication_lifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hubSite, edgeSite := startHarborSite(t, "hub"), startHarborSite(t, "edge")
	hubClient := harborClient(t, hubSite.URL)
	// An image built at the edge site, and one the name filter leaves out.
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := random.Image(512, 1)
	ctx := context.Background()
	if err := remote.Write(registryRef(t, edgeSite.RegistryURL, "library/app:v1"), img, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(registryRef(t, edgeSite.RegistryURL, "tools/other:v1"), other, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	replication := func(filters, trigger string) string {
		return fmt.Sprintf(`
resource "mc_image_replication" "test" {
  name             = "edge-to-hub"
  source_site      = mc_site.edge.name
  destination_site = mc_site.hub.name
  run_on_create    = true
  filters = {
    %s
  }
  trigger = {
    %s
  }
}
`, filters, trigger)
	}
	config1 := twoHarborSites(p, "acc-rep", hubSite.URL, edgeSite.URL, replication(`name = "library/**"`, `type = "manual"`))
	config2 := twoHarborSites(p, "acc-rep", hubSite.URL, edgeSite.URL, replication("name = \"library/**\"\n    tag = \"v*\"", "type = \"scheduled\"\n    cron = \"0 0 2 * * *\""))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkReplicationDestroyed(hubClient, "edge-to-hub"),
		Steps: []resource.TestStep{
			{
				Config: config1,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_image_replication.test", "id", "acc-rep-hub/edge-to-hub"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "runs_on", "acc-rep-hub"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "direction", "pull"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "last_execution.status", "Succeed"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "last_execution.succeeded", "1"),
					// The image is at the hub with the same digest; the filtered one is not.
					func(*terraform.State) error {
						got, err := remote.Head(registryRef(t, hubSite.RegistryURL, "library/app:v1"), remote.WithContext(ctx))
						if err != nil {
							return fmt.Errorf("image not replicated to the hub: %w", err)
						}
						if got.Digest != digest {
							return fmt.Errorf("hub digest = %s, want %s", got.Digest, digest)
						}
						if _, err := remote.Head(registryRef(t, hubSite.RegistryURL, "tools/other:v1"), remote.WithContext(ctx)); err == nil {
							return fmt.Errorf("tools/other was replicated although the name filter leaves it out")
						}
						return nil
					},
					resource.TestCheckResourceAttrSet("mc_image_replication.test", "policy_id"),
					checkHubPolicy(hubClient, "edge-to-hub", edgeSite.URL),
				),
			},
			{
				ResourceName:            "mc_image_replication.test",
				ImportState:             true,
				ImportStateId:           "acc-rep-hub/edge-to-hub",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "run_on_create"},
			},
			{
				Config: config2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_image_replication.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_image_replication.test", "filters.tag", "v*"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "trigger.cron", "0 0 2 * * *"),
				),
			},
			{
				// Edited in Harbor: the plan puts it back.
				PreConfig: func() { disableHubPolicy(t, hubClient, "edge-to-hub") },
				Config:    config2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_image_replication.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr("mc_image_replication.test", "enabled", "true"),
			},
		},
	})
}

func TestAccImageReplication_badInput(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hub, _ := newHarbor(t)
	edge, _ := newHarbor(t)
	cases := []struct {
		name, body string
		planOnly   bool
		want       string
	}{
		{"same site", `source_site = "acc-bad-hub"` + "\n" + `destination_site = "acc-bad-hub"`, true, `(?is)source and destination are both\s+site`},
		{"invalid cron", `source_site = "acc-bad-edge"` + "\n" + `destination_site = "acc-bad-hub"` + "\n" + `trigger = { type = "scheduled", cron = "0 2 * * *" }`, true, `(?is)has 5 fields.*\(argument\s+trigger\.cron\)`},
		{"unbalanced filter", `source_site = "acc-bad-edge"` + "\n" + `destination_site = "acc-bad-hub"` + "\n" + `filters = { name = "library/{a,b" }`, true, `(?is)unclosed '\{'.*\(argument\s+filters\.name\)`},
		{"unknown site", `source_site = "no-such-site"` + "\n" + `destination_site = "acc-bad-hub"`, false, `(?is)site "no-such-site" is not\s+registered`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			config := twoHarborSites(p, "acc-bad", hub.URL, edge.URL, fmt.Sprintf(`
resource "mc_image_replication" "test" {
  name = "bad"
  %s
  depends_on = [mc_site.hub, mc_site.edge]
}
`, tc.body))
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: config, PlanOnly: tc.planOnly, ExpectError: regexp.MustCompile(tc.want)}},
			})
		})
	}
}

func checkHubPolicy(hc *harbor.Client, name, edgeURL string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		pols, err := hc.ListReplicationPolicies(context.Background(), name)
		if err != nil {
			return err
		}
		if len(pols) != 1 {
			return fmt.Errorf("hub has %d policies named %q, want 1", len(pols), name)
		}
		regs, err := hc.ListRegistries(context.Background(), "")
		if err != nil {
			return err
		}
		if len(regs) != 1 || regs[0].URL != edgeURL {
			return fmt.Errorf("hub registry endpoints = %+v, want one pointing at %s", regs, edgeURL)
		}
		return nil
	}
}

func disableHubPolicy(t *testing.T, hc *harbor.Client, name string) {
	t.Helper()
	pols, err := hc.ListReplicationPolicies(context.Background(), name)
	if err != nil || len(pols) != 1 {
		t.Fatalf("ListReplicationPolicies() = %v, %v", pols, err)
	}
	pol, err := hc.GetReplicationPolicy(context.Background(), pols[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	pol.Enabled = false
	if err := hc.UpdateReplicationPolicy(context.Background(), pol.ID, *pol); err != nil {
		t.Fatal(err)
	}
}

func checkReplicationDestroyed(hc *harbor.Client, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		pols, err := hc.ListReplicationPolicies(context.Background(), "")
		if err != nil {
			return err
		}
		if len(pols) != 0 {
			return fmt.Errorf("hub still has %d replication policies", len(pols))
		}
		regs, err := hc.ListRegistries(context.Background(), "")
		if err != nil {
			return err
		}
		if len(regs) != 0 {
			return fmt.Errorf("hub still has %d registry endpoints", len(regs))
		}
		return nil
	}
}

// TestAccImageReplication_faultsAndFailure: with 20% of the hub Harbor's
// answers 5xx or 429 and some answers lost after the change was made, the
// apply still converges and creates nothing twice; a run whose source
// registry is down fails fast with Harbor's message.
func TestAccImageReplication_faultsAndFailure(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hubSite, edgeSite := startHarborSite(t, "hub"), startHarborSite(t, "edge")
	hubClient := harborClient(t, hubSite.URL)
	img, _ := random.Image(512, 1)
	if err := remote.Write(registryRef(t, edgeSite.RegistryURL, "library/app:v1"), img); err != nil {
		t.Fatal(err)
	}
	replication := func(name string, run bool) string {
		return fmt.Sprintf(`
resource "mc_image_replication" %[1]q {
  name             = %[1]q
  source_site      = mc_site.edge.name
  destination_site = mc_site.hub.name
  run_on_create    = %[2]t
}
`, name, run)
	}
	faulty := twoHarborSites(p, "acc-faults", hubSite.URL, edgeSite.URL, replication("flaky", true))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkReplicationDestroyed(hubClient, "flaky"),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					hubSite.Harbor.Server.SetFaults(harborsim.Faults{ErrorRate: 0.2, LostResponseRate: 0.2, Seed: 42})
				},
				Config: faulty,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_image_replication.flaky", "last_execution.status", "Succeed"),
					func(*terraform.State) error {
						hubSite.Harbor.Server.SetFaults(harborsim.Faults{})
						if st := hubSite.Harbor.Server.FaultStats(); st.Errors+st.LostResponses == 0 {
							return fmt.Errorf("no fault was injected (%+v): the test proves nothing", st)
						}
						pols, err := hubClient.ListReplicationPolicies(context.Background(), "")
						if err != nil {
							return err
						}
						regs, err := hubClient.ListRegistries(context.Background(), "")
						if err != nil {
							return err
						}
						execs, err := hubClient.ListReplicationExecutions(context.Background(), pols[0].ID)
						if err != nil {
							return err
						}
						if len(pols) != 1 || len(regs) != 1 || len(execs) != 1 {
							return fmt.Errorf("hub has %d policies, %d endpoints, %d executions; want 1 of each", len(pols), len(regs), len(execs))
						}
						return nil
					},
				),
			},
			{
				PreConfig: func() { edgeSite.StopRegistry() },
				Config:    twoHarborSites(p, "acc-faults", hubSite.URL, edgeSite.URL, replication("flaky", true)+replication("broken", true)),
				// The failed replication stays in state, tainted, so destroy removes it.
				ExpectError: regexp.MustCompile(`(?is)replication execution \d+ Failed`),
			},
		},
	})
}
