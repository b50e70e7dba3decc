//go:build platform

package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// simHarbor is a simulated Harbor with a stand-in registry behind it that
// answers every request, enough for another Harbor's health check of an
// endpoint pointing at it (GET /v2/ with the endpoint's credentials).
type simHarbor struct {
	sim    *harborsim.Server
	url    string
	client *harbor.Client
}

func newSimHarbor(t *testing.T) *simHarbor {
	t.Helper()
	oci := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(oci.Close)
	sim := harborsim.New(harborsim.Options{AdminPassword: harborPassword, Registry: harborsim.Endpoint{URL: oci.URL}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	return &simHarbor{sim: sim, url: srv.URL, client: harborClient(t, srv.URL)}
}

// harborSites configures a hub and an edge site like twoHarborSites, with
// the edge's admin password and its version given.
func harborSites(prefix, hubURL, edgeURL, edgePassword string, edgeVersion int, extra string) string {
	return fmt.Sprintf(`
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
    password_wo         = %[5]q
    password_wo_version = %[6]d
  }
}
`, prefix, hubURL, edgeURL, harborPassword, edgePassword, edgeVersion) + extra
}

const edgeToHub = `
resource "mc_image_replication" "test" {
  name             = "edge-to-hub"
  source_site      = mc_site.edge.name
  destination_site = mc_site.hub.name
  filters = {
    name = "library/**"
    %s
  }
  %s
}
`

// changeAdminPassword changes the admin's password of a Harbor, as its
// administrator would.
func changeAdminPassword(t *testing.T, hc *harbor.Client, from, to string) {
	t.Helper()
	if err := hc.UpdateUserPassword(context.Background(), 1, from, to); err != nil {
		t.Fatalf("cannot change the admin password: %v", err)
	}
}

func hubEndpoints(t *testing.T, hc *harbor.Client) []harbor.Registry {
	t.Helper()
	regs, err := hc.ListRegistries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return regs
}

// TestAccImageReplication_wrongRemotePassword: once the edge Harbor's
// admin password is not the one the edge site holds, creating a
// replication from it fails at apply, naming the site, and leaves no
// registry endpoint in the hub.
func TestAccImageReplication_wrongRemotePassword(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hub, edge := newSimHarbor(t), newSimHarbor(t)
	sites := providerBlock(p) + harborSites("acc-irpw", hub.url, edge.url, harborPassword, 1, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: sites},
			{
				PreConfig:   func() { changeAdminPassword(t, edge.client, harborPassword, "Changed4Good") },
				Config:      sites + fmt.Sprintf(edgeToHub, "", ""),
				ExpectError: regexp.MustCompile(`(?s)Harbor of site "acc-irpw-edge" refuses the site's\s+credentials`),
			},
			{
				// Nothing was left behind in the hub.
				Config: sites,
				Check: func(*terraform.State) error {
					if regs := hubEndpoints(t, hub.client); len(regs) != 0 {
						return fmt.Errorf("the failed create left endpoints behind: %+v", regs)
					}
					return nil
				},
			},
		},
	})
}

// TestAccImageReplication_passwordRotation: a new admin password of the
// edge Harbor, given to the edge site with a new password_wo_version,
// makes the next plan refresh the robot the hub's endpoint uses, which
// then works with its new secret.
func TestAccImageReplication_passwordRotation(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hub, edge := newSimHarbor(t), newSimHarbor(t)
	const rotated = "Rotated4Now"
	replication := fmt.Sprintf(edgeToHub, "", "")
	before := providerBlock(p) + harborSites("acc-irrot", hub.url, edge.url, harborPassword, 1, replication)
	after := providerBlock(p) + harborSites("acc-irrot", hub.url, edge.url, rotated, 2, replication)
	var description string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkReplicationDestroyed(hub.client, "edge-to-hub"),
		Steps: []resource.TestStep{
			{
				Config: before,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_image_replication.test", "robot", "robot$mc-replication-acc-irrot-hub"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "registry_name", "site-acc-irrot-edge"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "credentials_current", "true"),
					func(*terraform.State) error {
						regs := hubEndpoints(t, hub.client)
						if len(regs) != 1 || regs[0].Credential == nil || regs[0].Credential.AccessKey != "robot$mc-replication-acc-irrot-hub" {
							return fmt.Errorf("hub endpoints = %+v, want one with the robot as credential", regs)
						}
						description = regs[0].Description
						return nil
					},
				),
			},
			{
				// The site takes the new password; the replication's
				// robot is refreshed by the next apply.
				PreConfig:          func() { changeAdminPassword(t, edge.client, harborPassword, rotated) },
				Config:             after,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: after,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_image_replication.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_image_replication.test", "credentials_current", "true"),
					func(*terraform.State) error {
						regs := hubEndpoints(t, hub.client)
						if len(regs) != 1 || regs[0].Description == description {
							return fmt.Errorf("hub endpoints = %+v, want the one endpoint with a new credentials fingerprint", regs)
						}
						// The hub's own health check of the endpoint logs in
						// to the edge with the robot's refreshed secret.
						if err := hub.client.PingRegistry(context.Background(), harbor.RegistryPing{ID: &regs[0].ID}); err != nil {
							return fmt.Errorf("the endpoint does not work after the rotation: %w", err)
						}
						return nil
					},
				),
			},
		},
	})
}

// TestAccImageReplication_speedSetInTheUI: a speed set in Harbor's UI is
// kept by the next apply when the configuration does not set one, and the
// configuration's wins once it does.
func TestAccImageReplication_speedSetInTheUI(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hub, edge := newSimHarbor(t), newSimHarbor(t)
	config := func(tag, speed string) string {
		return providerBlock(p) + harborSites("acc-irspeed", hub.url, edge.url, harborPassword, 1, fmt.Sprintf(edgeToHub, tag, speed))
	}
	setSpeedInUI := func() {
		pols, err := hub.client.ListReplicationPolicies(context.Background(), "edge-to-hub")
		if err != nil || len(pols) != 1 {
			t.Fatalf("ListReplicationPolicies() = %+v, %v", pols, err)
		}
		pol, err := hub.client.GetReplicationPolicy(context.Background(), pols[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		pol.Speed = new(int32(512))
		if err := hub.client.UpdateReplicationPolicy(context.Background(), pol.ID, *pol); err != nil {
			t.Fatal(err)
		}
	}
	hubSpeed := func(want int32) resource.TestCheckFunc {
		return func(*terraform.State) error {
			pols, err := hub.client.ListReplicationPolicies(context.Background(), "edge-to-hub")
			if err != nil || len(pols) != 1 {
				return fmt.Errorf("ListReplicationPolicies() = %+v, %v", pols, err)
			}
			pol, err := hub.client.GetReplicationPolicy(context.Background(), pols[0].ID)
			if err != nil {
				return err
			}
			if pol.Speed == nil || *pol.Speed != want {
				return fmt.Errorf("the hub's policy has speed %v, want %d", pol.Speed, want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkReplicationDestroyed(hub.client, "edge-to-hub"),
		Steps: []resource.TestStep{
			{Config: config("", ""), Check: resource.TestCheckResourceAttr("mc_image_replication.test", "speed", "0")},
			{
				// The UI sets a speed; an apply that changes the tag filter
				// keeps it, and the plan after it is empty.
				PreConfig: setSpeedInUI,
				Config:    config(`tag = "v*"`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_image_replication.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_image_replication.test", "speed", "512"),
					resource.TestCheckResourceAttr("mc_image_replication.test", "filters.tag", "v*"),
					hubSpeed(512),
				),
			},
			{
				Config: config(`tag = "v*"`, "speed = 100"),
				Check:  resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttr("mc_image_replication.test", "speed", "100"), hubSpeed(100)),
			},
		},
	})
}

// TestAccImageReplication_deleteWithStuckExecution: destroy succeeds for a
// policy whose execution stays InProgress for good, which Harbor refuses to
// delete (412) until the execution is stopped.
func TestAccImageReplication_deleteWithStuckExecution(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hub, edge := newSimHarbor(t), newSimHarbor(t)
	config := providerBlock(p) + harborSites("acc-irstuck", hub.url, edge.url, harborPassword, 1, fmt.Sprintf(edgeToHub, "", ""))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkReplicationDestroyed(hub.client, "edge-to-hub"),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: func(*terraform.State) error {
					ctx := context.Background()
					pols, err := hub.client.ListReplicationPolicies(ctx, "edge-to-hub")
					if err != nil || len(pols) != 1 {
						return fmt.Errorf("ListReplicationPolicies() = %+v, %v", pols, err)
					}
					hub.sim.StickExecutions(0, true)
					if _, err := hub.client.StartReplication(ctx, pols[0].ID); err != nil {
						return err
					}
					if err := hub.client.DeleteReplicationPolicy(ctx, pols[0].ID); !harbor.IsPreconditionFailed(err) {
						return fmt.Errorf("deleting the policy with a stuck execution in Harbor = %v, want 412: the test proves nothing", err)
					}
					return nil
				},
			},
		},
	})
}

// TestAccImageReplication_eventBasedPull: an event_based trigger with
// direction pull is refused at plan time, on the trigger's type.
func TestAccImageReplication_eventBasedPull(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	config := providerBlock(p) + harborSites("acc-irevent", "https://hub.example", "https://edge.example", harborPassword, 1,
		fmt.Sprintf(edgeToHub, "", `trigger = { type = "event_based" }`))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config, PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?is)event_based trigger never fires with direction pull.*trigger\.type`),
		}},
	})
}

// TestAccImageReplication_pushOnEvent: a push replication with an
// event_based trigger runs in the edge's Harbor when an image is pushed
// there, and its robot in the hub's Harbor may create the missing
// destination project and push into it, and nothing more.
func TestAccImageReplication_pushOnEvent(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	hubSite, edgeSite := startHarborSite(t, "hub"), startHarborSite(t, "edge")
	edgeClient, hubClient := harborClient(t, edgeSite.URL), harborClient(t, hubSite.URL)
	ctx := context.Background()
	if _, err := edgeClient.CreateProject(ctx, harbor.ProjectReq{ProjectName: "apps"}); err != nil {
		t.Fatal(err)
	}
	config := providerBlock(p) + harborSites("acc-irpush", hubSite.URL, edgeSite.URL, harborPassword, 1, `
resource "mc_image_replication" "test" {
  name             = "edge-to-hub-on-push"
  source_site      = mc_site.edge.name
  destination_site = mc_site.hub.name
  direction        = "push"
  filters          = { name = "apps/**" }
  trigger          = { type = "event_based" }
}
`)
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if regs, err := edgeClient.ListRegistries(ctx, ""); err != nil || len(regs) != 0 {
				return fmt.Errorf("edge endpoints after destroy = %+v, %v; want none", regs, err)
			}
			if robots, err := hubClient.ListRobots(ctx, "Level=system"); err != nil || len(robots) != 0 {
				return fmt.Errorf("hub robots after destroy = %+v, %v; want none", robots, err)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("mc_image_replication.test", "runs_on", "acc-irpush-edge"),
				resource.TestCheckResourceAttr("mc_image_replication.test", "robot", "robot$mc-replication-acc-irpush-edge"),
				func(*terraform.State) error {
					// A push to the edge's Harbor, as a build would do.
					ref := registryRef(t, strings.TrimPrefix(edgeSite.URL, "http://"), "apps/web:v1")
					auth := authn.FromConfig(authn.AuthConfig{Username: "admin", Password: harborPassword})
					if err := remote.Write(ref, img, remote.WithAuth(auth), remote.WithContext(ctx)); err != nil {
						return fmt.Errorf("cannot push to the edge's Harbor: %w", err)
					}
					if err := edgeSite.Harbor.Server.WaitIdle(ctx); err != nil {
						return err
					}
					got, err := remote.Head(registryRef(t, hubSite.RegistryURL, "apps/web:v1"), remote.WithContext(ctx))
					if err != nil {
						return fmt.Errorf("the push was not replicated to the hub: %w", err)
					}
					if got.Digest != digest {
						return fmt.Errorf("hub digest = %s, want %s", got.Digest, digest)
					}
					return nil
				},
			),
		}},
	})
}
