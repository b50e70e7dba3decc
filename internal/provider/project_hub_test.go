//go:build platform

package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestAccProject_hubDefault: a project whose harbor block names no site gets
// its Harbor project at the hub site; the plan shows the site known after
// apply, and the next plan is empty.
func TestAccProject_hubDefault(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	a := platformAtlassian(p)
	key := randomKey("HB")
	siteName := "acc-hub-" + project.LowerKey(key)
	hub := p.Harbors[sandbox.HarborSiteA]
	config := a.providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "hub" {
  name = %q
  hub  = true
  harbor = {
    url                 = %q
    username            = %q
    password_wo         = %q
    password_wo_version = 1
  }
}

resource "mc_project" "test" {
  key    = %q
  name   = "Hub default %s"
  harbor = {}

  depends_on = [mc_site.hub]
}
`, siteName, hub.URL, hub.Username, hub.Password, key, key)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectUnknownValue("mc_project.test", tfjsonpath.New("harbor").AtMapKey("site")),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_site.hub", "hub", "true"),
					resource.TestCheckResourceAttr("mc_project.test", "harbor.site", siteName),
					resource.TestCheckResourceAttrSet("mc_project.test", "harbor_project_id"),
				),
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}
