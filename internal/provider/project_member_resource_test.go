//go:build platform

package provider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// memberEnv is a project's systems as a member test reads them: the
// sandbox's Bitbucket and Jira, a Harbor of the test's own (whose database
// knows the users alice and bob, which the sandbox's Harbors do not) and
// the sandbox's Argo CD.
type memberEnv struct {
	t      *testing.T
	p      *sandbox.Platform
	a      atlassian
	harbor *harbor.Client
	// harborURL is the Harbor's URL, for the site's harbor block.
	harborURL string
	key       string
}

func newMemberEnv(t *testing.T, prefix string) *memberEnv {
	t.Helper()
	p := sandboxtest.Platform(t)
	srv := httptest.NewServer(harborsim.New(harborsim.Options{AdminPassword: harborPassword, Users: []string{"alice", "bob"}}))
	t.Cleanup(srv.Close)
	return &memberEnv{t: t, p: p, a: platformAtlassian(p), harbor: harborClient(t, srv.URL), harborURL: srv.URL, key: randomKey(prefix)}
}

// grants reads the grants of a member (an account id or "group:<name>",
// with a Harbor user) in every system of the project, in each system's
// words; a system without a grant is left out.
func (e *memberEnv) grants(ctx context.Context, member, harborUser string) (map[string]string, error) {
	got := map[string]string{}
	group, isGroup := strings.CutPrefix(member, "group:")
	bb := e.a.bitbucketClient()
	var perm bitbucket.Permission
	if isGroup {
		gp, err := bb.GetProjectGroupPermission(ctx, e.a.workspace, e.key, projectmember.GroupSlug(group))
		if err != nil && !bitbucket.IsNotFound(err) {
			return nil, err
		}
		if gp != nil {
			perm = gp.Permission
		}
	} else {
		up, err := bb.GetProjectUserPermission(ctx, e.a.workspace, e.key, member)
		if err != nil && !bitbucket.IsNotFound(err) {
			return nil, err
		}
		if up != nil {
			perm = up.Permission
		}
	}
	if perm != "" && perm != bitbucket.PermissionNone {
		got["bitbucket"] = string(perm)
	}
	jc := e.a.jiraClient(e.t)
	roles, err := jc.ListProjectRoles(ctx, e.key)
	if err != nil {
		return nil, err
	}
	actor := jira.Actor{AccountID: member}
	if isGroup {
		actor = jira.Actor{GroupName: group}
	}
	var jiraRoles []string
	for _, name := range []string{"Administrators", "Developers", "Viewers"} {
		r, err := jc.GetProjectRole(ctx, e.key, roles[name])
		if err != nil {
			return nil, err
		}
		if r.Has(actor) {
			jiraRoles = append(jiraRoles, name)
		}
	}
	if len(jiraRoles) > 0 {
		got["jira"] = strings.Join(jiraRoles, "+")
	}
	if harborUser != "" {
		ms, err := e.harbor.ListProjectMembers(ctx, project.LowerKey(e.key), harborUser)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.EntityName == harborUser {
				got["harbor"] = m.RoleName
			}
		}
	}
	if isGroup {
		ap, found, err := kube.GetAppProject(ctx, dynamicClient(e.t, e.p), "argocd", project.LowerKey(e.key))
		if err != nil {
			return nil, err
		}
		for _, r := range ap.Roles {
			if found && slices.Contains(r.Groups, group) {
				got["argocd"] = r.Name
			}
		}
	}
	return got, nil
}

// checkGrants checks a member's grants in every system.
func (e *memberEnv) checkGrants(member, harborUser string, want map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, err := e.grants(context.Background(), member, harborUser)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("grants of %s (-want +got):\n%s", member, diff)
		}
		return nil
	}
}

// config is the hub site (with the test's Harbor), a project with all four
// parts and the members given.
func (e *memberEnv) config(members string) string {
	siteName := "acc-pm-" + project.LowerKey(e.key)
	return e.a.providerBlock(e.p) + fmt.Sprintf(`
resource "mc_site" "hub" {
  name = %q
  harbor = {
    url                 = %q
    username            = "admin"
    password_wo         = %q
    password_wo_version = 1
  }
}
`, siteName, e.harborURL, harborPassword) + projectConfig(e.key, "Members "+e.key, "", `
  harbor = {
    site = mc_site.hub.name
  }
  argocd = {
    sites = [mc_site.hub.name]
  }
`) + members
}

func member(name, who, role, extra string) string {
	return fmt.Sprintf(`
resource "mc_project_member" %q {
  project = mc_project.test.key
  %s
  role    = %q
  %s
}
`, name, who, role, extra)
}

// TestAccProjectMember_lifecycle grants three members (two users, one
// group) on a project with all four parts: create, import, a role changed
// in place, a member removed, a grant removed outside and given back, an
// empty plan, and destroy, each checked in every system; a member added by
// hand in Jira is left alone.
func TestAccProjectMember_lifecycle(t *testing.T) {
	t.Parallel()
	e := newMemberEnv(t, "PM")
	alice, bob, carol, group := jirasim.AliceAccountID, jirasim.BobAccountID, jirasim.CarolAccountID, jirasim.PlatformDevs
	aliceHCL := member("alice", fmt.Sprintf("account_id = %q", alice), "developer", `harbor_user = "alice"`)
	bobHCL := func(role string) string { return member("bob", fmt.Sprintf("account_id = %q", bob), role, "") }
	devsHCL := member("devs", fmt.Sprintf("group = %q", group), "admin", "")
	all := e.config(aliceHCL + bobHCL("viewer") + devsHCL)
	noGrants := map[string]string{}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			// Every part of the project is gone (the Jira project to the
			// trash), and with them every grant.
			got, err := countParts(context.Background(), t, e.a, e.harbor, e.p, e.key)
			if err != nil {
				return err
			}
			if got != (projectParts{}) {
				return fmt.Errorf("parts of project %s after destroy: %+v, want none", e.key, got)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: all,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_project_member.alice", "id", e.key+"/"+alice+"#harbor_user=alice"),
					resource.TestCheckResourceAttr("mc_project_member.alice", "grants.%", "3"),
					resource.TestCheckResourceAttr("mc_project_member.alice", "grants.harbor", "developer"),
					resource.TestCheckResourceAttr("mc_project_member.devs", "id", e.key+"/group:"+group),
					e.checkGrants(alice, "alice", map[string]string{"bitbucket": "write", "jira": "Developers", "harbor": "developer"}),
					e.checkGrants(bob, "", map[string]string{"bitbucket": "read", "jira": "Viewers"}),
					e.checkGrants("group:"+group, "", map[string]string{"bitbucket": "admin", "jira": "Administrators", "argocd": "admin"}),
				),
			},
			{ResourceName: "mc_project_member.alice", ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"timeouts"}},
			{ResourceName: "mc_project_member.bob", ImportState: true, ImportStateId: e.key + "/" + bob, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"timeouts"}},
			{ResourceName: "mc_project_member.devs", ImportState: true, ImportStateId: e.key + "/group:" + group, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"timeouts"}},
			{
				// Bob's role changes in place. Carol is added to Developers by
				// hand: no member of Terraform's, she is left alone throughout.
				PreConfig: func() {
					jc := e.a.jiraClient(t)
					roles, err := jc.ListProjectRoles(context.Background(), e.key)
					if err == nil {
						_, err = jc.AddRoleActors(context.Background(), e.key, roles["Developers"], jira.RoleActors{AccountIDs: []string{carol}})
					}
					if err != nil {
						t.Fatalf("cannot add Carol to Developers by hand: %v", err)
					}
				},
				Config: e.config(aliceHCL + bobHCL("developer") + devsHCL),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_project_member.bob", plancheck.ResourceActionUpdate)},
				},
				Check: e.checkGrants(bob, "", map[string]string{"bitbucket": "write", "jira": "Developers"}),
			},
			{
				// Alice is removed; the others keep their grants.
				Config: e.config(bobHCL("developer") + devsHCL),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_project_member.alice", plancheck.ResourceActionDestroy)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkGrants(alice, "alice", noGrants),
					e.checkGrants(bob, "", map[string]string{"bitbucket": "write", "jira": "Developers"}),
					e.checkGrants("group:"+group, "", map[string]string{"bitbucket": "admin", "jira": "Administrators", "argocd": "admin"}),
				),
			},
			{
				// The group's Bitbucket permission is removed outside: the
				// plan grants it back.
				PreConfig: func() {
					if err := e.a.bitbucketClient().DeleteProjectGroupPermission(context.Background(), e.a.workspace, e.key, projectmember.GroupSlug(group)); err != nil {
						t.Fatalf("cannot remove the group's Bitbucket permission: %v", err)
					}
				},
				Config: e.config(bobHCL("developer") + devsHCL),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_project_member.devs", plancheck.ResourceActionUpdate)},
				},
				Check: e.checkGrants("group:"+group, "", map[string]string{"bitbucket": "admin", "jira": "Administrators", "argocd": "admin"}),
			},
			{
				Config: e.config(bobHCL("developer") + devsHCL),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Every member removed, the project kept: no grant is left in
				// any system.
				Config: e.config(""),
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkGrants(bob, "", noGrants),
					e.checkGrants("group:"+group, "", noGrants),
					e.checkGrants(carol, "", map[string]string{"jira": "Developers"}),
				),
			},
		},
	})
}

// TestAccProjectMember_badInput checks bad input at plan time, and at apply
// where the plan cannot know it, and that an unknown account fails naming
// it with nothing granted.
func TestAccProjectMember_badInput(t *testing.T) {
	t.Parallel()
	e := newMemberEnv(t, "PB")
	alice := jirasim.AliceAccountID
	// A project without a harbor block.
	base := e.a.providerBlock(e.p) + projectConfig(e.key, "Bad input "+e.key, "", "")
	nobody := "557058:ffffffff-0000-4000-8000-00000000dead"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      base + member("m", fmt.Sprintf("account_id = %q", alice), "owner", ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`"owner" is not a role: use admin, developer, viewer`),
			},
			{
				Config:      base + member("m", fmt.Sprintf("account_id = %q\n  group = \"platform-devs\"", alice), "admin", ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Set either account_id or group, not both`),
			},
			{
				// The project is made in the same apply: its record does not
				// exist at plan, so harbor_user is refused at apply.
				Config:      base + member("m", fmt.Sprintf("account_id = %q", alice), "admin", `harbor_user = "alice"`),
				ExpectError: regexp.MustCompile(`Project "` + e.key + `" has no harbor block`),
			},
			{
				// Now the project exists: refused at plan.
				Config:      base + member("m", fmt.Sprintf("account_id = %q", alice), "admin", `harbor_user = "alice"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Project "` + e.key + `" has no harbor block`),
			},
			{
				Config:      base + member("m", fmt.Sprintf("account_id = %q", nobody), "developer", ""),
				ExpectError: regexp.MustCompile(`Jira has no account "` + regexp.QuoteMeta(nobody) + `"(.|\n)*Bitbucket has no account "` + regexp.QuoteMeta(nobody) + `"`),
			},
			{
				// Nothing was granted to anyone.
				Config: base,
				Check: resource.ComposeAggregateTestCheckFunc(
					e.checkGrants(nobody, "", map[string]string{}),
					e.checkGrants(alice, "", map[string]string{}),
				),
			},
		},
	})
}
