//go:build platform

package provider

import (
	"context"

	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// atlassian is how a test reaches a Bitbucket and a Jira: the shared
// platform's simulators or simulators of its own.
type atlassian struct {
	bitbucketURL, bitbucketUser, bitbucketToken, workspace string
	jiraURL, jiraEmail, jiraToken                          string
}

func platformAtlassian(p *sandbox.Platform) atlassian {
	return atlassian{
		bitbucketURL: p.Bitbucket.URL, bitbucketUser: p.Bitbucket.Username, bitbucketToken: p.Bitbucket.Password, workspace: p.Bitbucket.Workspace,
		jiraURL: p.Jira.URL, jiraEmail: p.Jira.Email, jiraToken: p.Jira.APIToken,
	}
}

// ownAtlassian starts a Bitbucket and a Jira simulator in this process,
// for tests that inject faults; they stop when t ends.
func ownAtlassian(t *testing.T) (atlassian, *bitbucketsim.Instance, *jirasim.Instance) {
	t.Helper()
	bb, err := bitbucketsim.Start("127.0.0.1:0", bitbucketsim.Options{Password: "acc-app-password"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bb.Close() })
	ji, site, err := sandbox.StartJira()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ji.Close() })
	return atlassian{
		bitbucketURL: bb.APIURL(), bitbucketUser: "mc-admin", bitbucketToken: "acc-app-password", workspace: bitbucketsim.DefaultWorkspace,
		jiraURL: site.URL, jiraEmail: site.Email, jiraToken: site.APIToken,
	}, bb, ji
}

func (a atlassian) providerBlock(p *sandbox.Platform) string {
	return fmt.Sprintf(`
provider "mc" {
  kubeconfig_path = %q
  namespace       = %q
  bitbucket = {
    url      = %q
    username = %q
    token    = %q
  }
  jira = {
    url       = %q
    email     = %q
    api_token = %q
  }
}
`, p.KubeconfigPath, p.Namespace, a.bitbucketURL, a.bitbucketUser, a.bitbucketToken, a.jiraURL, a.jiraEmail, a.jiraToken)
}

func (a atlassian) bitbucketClient() bitbucket.Client {
	return bitbucket.NewCloud(a.bitbucketURL, bitbucket.Auth{Username: a.bitbucketUser, Token: a.bitbucketToken})
}

func (a atlassian) jiraClient(t *testing.T) jira.Client {
	t.Helper()
	c, err := jira.NewCloud(a.jiraURL, jira.Auth{Email: a.jiraEmail, APIToken: a.jiraToken})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// randomKey is a project key unique to this run: prefix and random
// upper-case letters, 8 characters in all.
func randomKey(prefix string) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < 8 {
		b.WriteByte(letters[rand.IntN(len(letters))])
	}
	return b.String()
}

// projectConfig is an mc_project with Bitbucket and Jira parts, and the
// extra blocks given.
func projectConfig(key, name, description, extra string) string {
	return fmt.Sprintf(`
resource "mc_project" "test" {
  key         = %q
  name        = %q
  description = %q
  bitbucket = {
    workspace = "mcplatform"
  }
  jira = {
    lead_account_id = %q
  }
%s
}
`, key, name, description, jirasim.AliceAccountID, extra)
}

// projectParts counts the live parts of project key in each system.
type projectParts struct {
	bitbucket, jira, harbor, appProjects int
}

func countParts(ctx context.Context, t *testing.T, a atlassian, hc *harbor.Client, p *sandbox.Platform, key string) (projectParts, error) {
	var n projectParts
	projects, err := a.bitbucketClient().ListProjects(ctx, a.workspace)
	if err != nil {
		return n, err
	}
	for _, bp := range projects {
		if bp.Key == key {
			n.bitbucket++
		}
	}
	live, err := a.jiraClient(t).SearchProjects(ctx, jira.ProjectSearch{Keys: []string{key}})
	if err != nil {
		return n, err
	}
	n.jira = len(live)
	if hc != nil {
		ok, err := hc.ProjectExists(ctx, project.LowerKey(key))
		if err != nil {
			return n, err
		}
		if ok {
			n.harbor = 1
		}
	}
	if p != nil {
		dc := dynamicClient(t, p)
		if _, found, err := kube.GetAppProject(ctx, dc, "argocd", project.LowerKey(key)); err != nil {
			return n, err
		} else if found {
			n.appProjects = 1
		}
	}
	return n, nil
}

func checkParts(t *testing.T, a atlassian, hc *harbor.Client, p *sandbox.Platform, key string, want projectParts) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, err := countParts(context.Background(), t, a, hc, p, key)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("parts of project %s: got %+v, want %+v", key, got, want)
		}
		return nil
	}
}

// TestAccProject_lifecycle makes a project with all four parts on the
// shared platform: create, import, rename in place, an empty plan, and
// destroy, checked in every system.
func TestAccProject_lifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	a := platformAtlassian(p)
	key := randomKey("AC")
	lower := project.LowerKey(key)
	siteName := "acc-proj-" + lower
	hub := p.Harbors[sandbox.HarborSiteA]
	hc, err := harbor.New(harbor.Config{URL: hub.URL, Username: hub.Username, Password: hub.Password})
	if err != nil {
		t.Fatal(err)
	}
	config := func(name, description string) string {
		return a.providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "hub" {
  name = %q
  harbor = {
    url                 = %q
    username            = %q
    password_wo         = %q
    password_wo_version = 1
  }
}
`, siteName, hub.URL, hub.Username, hub.Password) + projectConfig(key, name, description, `
  harbor = {
    site = mc_site.hub.name
  }
  argocd = {
    sites = [mc_site.hub.name]
  }
`)
	}
	all := projectParts{bitbucket: 1, jira: 1, harbor: 1, appProjects: 1}
	repo := lower + "-api"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := checkParts(t, a, hc, p, key, projectParts{})(s); err != nil {
				return err
			}
			// The Jira project is in the trash, its key reserved.
			trashed, err := a.jiraClient(t).SearchProjects(context.Background(), jira.ProjectSearch{Keys: []string{key}, Status: []string{jira.ProjectStatusDeleted}})
			if err != nil || len(trashed) != 1 {
				return fmt.Errorf("trashed Jira projects %s: %d, %v; want 1", key, len(trashed), err)
			}
			_, err = platformClients(t, p).CoreV1().Secrets(p.Namespace).Get(context.Background(), registry.ProjectRecordName(key), metav1.GetOptions{})
			if err == nil {
				return fmt.Errorf("the record of project %s is still there", key)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config("Acc "+key, "first"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_project.test", "id", key),
					resource.TestCheckResourceAttr("mc_project.test", "ready", "true"),
					resource.TestCheckResourceAttrSet("mc_project.test", "bitbucket_uuid"),
					resource.TestCheckResourceAttrSet("mc_project.test", "jira_id"),
					resource.TestCheckResourceAttrSet("mc_project.test", "harbor_project_id"),
					resource.TestCheckResourceAttr("mc_project.test", "app_projects."+siteName, lower),
					resource.TestCheckResourceAttr("mc_project.test", "conditions.#", "4"),
					checkParts(t, a, hc, p, key, all),
					checkAppProjectRoles(t, p, lower),
				),
			},
			{
				ResourceName:      "mc_project.test",
				ImportState:       true,
				ImportStateId:     key,
				ImportStateVerify: true,
				// Timeouts are not part of the project.
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				// A repository made in the Bitbucket project meanwhile: the
				// update lets the AppProject deploy from it.
				PreConfig: func() {
					if _, err := a.bitbucketClient().CreateRepository(context.Background(), a.workspace, repo,
						bitbucket.RepositoryInput{ProjectKey: key, Name: repo, IsPrivate: true}); err != nil {
						t.Fatalf("cannot create repository %s: %v", repo, err)
					}
				},
				Config: config("Acc "+key+" renamed", "second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_project.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_project.test", "name", "Acc "+key+" renamed"),
					checkRenamed(t, a, key, "Acc "+key+" renamed", "second"),
					checkParts(t, a, hc, p, key, all),
					checkAppProjectRepos(t, a, p, lower, repo),
				),
			},
			{
				// Bitbucket refuses to delete a project that holds repositories.
				PreConfig: func() {
					if err := a.bitbucketClient().DeleteRepository(context.Background(), a.workspace, repo); err != nil {
						t.Fatalf("cannot delete repository %s: %v", repo, err)
					}
				},
				Config: config("Acc "+key+" renamed", "second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func checkAppProjectRoles(t *testing.T, p *sandbox.Platform, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ap, found, err := kube.GetAppProject(context.Background(), dynamicClient(t, p), "argocd", name)
		if err != nil || !found {
			return fmt.Errorf("AppProject %s: found %v, %v", name, found, err)
		}
		for _, role := range project.Roles {
			r, ok := ap.Role(role)
			if !ok || len(r.Policies) == 0 {
				return fmt.Errorf("AppProject %s has no role %s with policies: %+v", name, role, ap.Roles)
			}
		}
		return nil
	}
}

func checkAppProjectRepos(t *testing.T, a atlassian, p *sandbox.Platform, name, repo string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		r, err := a.bitbucketClient().GetRepository(context.Background(), a.workspace, repo)
		if err != nil {
			return err
		}
		ap, _, err := kube.GetAppProject(context.Background(), dynamicClient(t, p), "argocd", name)
		if err != nil {
			return err
		}
		if want := r.CloneURL("https"); want == "" || len(ap.SourceRepos) != 1 || ap.SourceRepos[0] != want {
			return fmt.Errorf("AppProject %s source repositories = %v, want [%s]", name, ap.SourceRepos, want)
		}
		return nil
	}
}

func checkRenamed(t *testing.T, a atlassian, key, name, description string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		bp, err := a.bitbucketClient().GetProject(ctx, a.workspace, key)
		if err != nil {
			return err
		}
		jp, err := a.jiraClient(t).GetProject(ctx, key)
		if err != nil {
			return err
		}
		if bp.Name != name || bp.Description != description || jp.Name != name || jp.Description != description {
			return fmt.Errorf("names: Bitbucket %q (%q), Jira %q (%q); want %q (%q)", bp.Name, bp.Description, jp.Name, jp.Description, name, description)
		}
		return nil
	}
}

// TestAccProject_halfFailure makes Jira answer 503 to everything after
// Bitbucket succeeded: the apply fails naming Jira, and the next apply,
// with Jira back, makes only the Jira project.
func TestAccProject_halfFailure(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	a, _, ji := ownAtlassian(t)
	key := randomKey("HF")
	config := a.providerBlock(p) + projectConfig(key, "Half "+key, "", "")
	var firstUUID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkParts(t, a, nil, nil, key, projectParts{}),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					ji.Server.SetFaults(jirasim.Faults{ErrorRate: 1, Statuses: []int{http.StatusServiceUnavailable}})
				},
				Config:      config,
				ExpectError: regexp.MustCompile(`Jira project "` + key + `"`),
			},
			{
				PreConfig: func() {
					ji.Server.SetFaults(jirasim.Faults{})
					ctx := context.Background()
					bp, err := a.bitbucketClient().GetProject(ctx, a.workspace, key)
					if err != nil {
						t.Fatalf("after the half-failed apply, the Bitbucket project is not there: %v", err)
					}
					firstUUID = bp.UUID
					if live, trashed := ji.Server.ProjectCount(); live != 0 || trashed != 0 {
						t.Fatalf("after the half-failed apply, Jira holds %d live and %d trashed projects, want none", live, trashed)
					}
				},
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_project.test", "ready", "true"),
					checkParts(t, a, nil, nil, key, projectParts{bitbucket: 1, jira: 1}),
					func(*terraform.State) error {
						bp, err := a.bitbucketClient().GetProject(context.Background(), a.workspace, key)
						if err != nil {
							return err
						}
						if bp.UUID != firstUUID {
							return fmt.Errorf("the Bitbucket project was made again: uuid %s, first %s", bp.UUID, firstUUID)
						}
						if live, _ := ji.Server.ProjectCount(); live != 1 {
							return fmt.Errorf("Jira holds %d live projects, want 1", live)
						}
						return nil
					},
				),
			},
		},
	})
}

// TestAccProject_faults applies and destroys a project while both
// simulators answer 20% of requests with 5xx or 429 and lose 20% of the
// answers to writes: it converges with exactly one project in each.
func TestAccProject_faults(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	a, bb, ji := ownAtlassian(t)
	key := randomKey("FT")
	// Seeded, so that the faults (and the figures logged below) are the same
	// on every run: one resource applies its calls one after the other.
	faults := bitbucketsim.Faults{ErrorRate: 0.2, Statuses: []int{500, 502, 503, 429}, LostResponseRate: 0.2, Seed: 10}
	jiraFaults := faults
	jiraFaults.Seed = 11
	bb.Server.SetFaults(faults)
	ji.Server.SetFaults(jiraFaults)
	config := a.providerBlock(p) + projectConfig(key, "Faults "+key, "under faults", "")
	renamed := a.providerBlock(p) + projectConfig(key, "Faults "+key+" renamed", "still under faults", "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			bb.Server.SetFaults(bitbucketsim.Faults{})
			ji.Server.SetFaults(jirasim.Faults{})
			return checkParts(t, a, nil, nil, key, projectParts{})(s)
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_project.test", "ready", "true"),
					func(s *terraform.State) error {
						bb.Server.SetFaults(bitbucketsim.Faults{})
						ji.Server.SetFaults(jirasim.Faults{})
						defer bb.Server.SetFaults(faults)
						defer ji.Server.SetFaults(jiraFaults)
						if err := checkParts(t, a, nil, nil, key, projectParts{bitbucket: 1, jira: 1})(s); err != nil {
							return err
						}
						if live, trashed := ji.Server.ProjectCount(); live != 1 || trashed != 0 {
							return fmt.Errorf("Jira holds %d live and %d trashed projects, want 1 and 0", live, trashed)
						}
						return nil
					},
				),
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: renamed,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_project.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr("mc_project.test", "ready", "true"),
			},
		},
	})
	bs, js := bb.Server.FaultStats(), ji.Server.FaultStats()
	t.Logf("Bitbucket: %d requests, %d errors, %d lost answers; Jira: %d requests, %d errors, %d lost answers",
		bs.Requests, bs.Errors, bs.LostResponses, js.Requests, js.Errors, js.LostResponses)
	if bs.Errors == 0 || js.Errors == 0 || bs.LostResponses+js.LostResponses == 0 {
		t.Errorf("the faults were not injected: Bitbucket %+v, Jira %+v", bs, js)
	}
}

// TestAccProject_badKey refuses invalid keys at plan time.
func TestAccProject_badKey(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	a := platformAtlassian(p)
	var steps []resource.TestStep
	for _, key := range []string{"ab", "A-B", "ABCDEFGHIJK"} {
		steps = append(steps, resource.TestStep{
			Config:      a.providerBlock(p) + projectConfig(key, "Bad "+key, "", ""),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(regexp.QuoteMeta(fmt.Sprintf("%q is not a valid project key", key))),
		})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: protoV6ProviderFactories, Steps: steps})
}

// TestAccProject_orphan destroys a project with on_destroy = "orphan": both
// projects stay, only the record goes.
func TestAccProject_orphan(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	a, _, ji := ownAtlassian(t)
	key := randomKey("OR")
	config := a.providerBlock(p) + projectConfig(key, "Orphan "+key, "", `
  on_destroy = "orphan"
`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := checkParts(t, a, nil, nil, key, projectParts{bitbucket: 1, jira: 1})(s); err != nil {
				return err
			}
			if live, trashed := ji.Server.ProjectCount(); live != 1 || trashed != 0 {
				return fmt.Errorf("Jira holds %d live and %d trashed projects after an orphaning destroy, want 1 and 0", live, trashed)
			}
			_, err := platformClients(t, p).CoreV1().Secrets(p.Namespace).Get(context.Background(), registry.ProjectRecordName(key), metav1.GetOptions{})
			if err == nil {
				return fmt.Errorf("the record of project %s is still there", key)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("mc_project.test", "on_destroy", "orphan"),
				checkParts(t, a, nil, nil, key, projectParts{bitbucket: 1, jira: 1}),
			),
		}},
	})
}
