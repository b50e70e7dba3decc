package project_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

// atlassianSims starts a Bitbucket and a Jira simulator and a registry
// (over a stand-in platform API) whose services they are.
func atlassianSims(t *testing.T) (*registry.Registry, *bitbucketsim.Instance, *jirasim.Instance) {
	t.Helper()
	bb, err := bitbucketsim.Start("127.0.0.1:0", bitbucketsim.Options{Password: "unit-app-password"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bb.Close() })
	ji, err := jirasim.Start("127.0.0.1:0", jirasim.SandboxOptions(jirasim.DefaultAdminEmail, "unit-token"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ji.Close() })
	reg := registry.New(registrytest.New(t).Config(), "mc-system")
	reg.UseServices(registry.Services{
		Bitbucket: &registry.BitbucketAccess{URL: bb.APIURL(), Username: "mc-admin", Token: "unit-app-password"},
		Jira:      &registry.JiraAccess{URL: ji.URL, Email: jirasim.DefaultAdminEmail, APIToken: "unit-token"},
	})
	return reg, bb, ji
}

func webSpec() project.Spec {
	return project.Spec{
		Key: "WEB", Name: "Web shop", Description: "front end",
		Bitbucket: &project.Bitbucket{Workspace: bitbucketsim.DefaultWorkspace, Private: true},
		Jira:      &project.Jira{LeadAccountID: jirasim.AliceAccountID},
	}
}

// TestCreateResumesAfterHalfFailure: with Jira down after Bitbucket
// answered, Create fails naming Jira and the record says which part
// exists; the next Create makes only the Jira project.
func TestCreateResumesAfterHalfFailure(t *testing.T) {
	reg, bb, ji := atlassianSims(t)
	ctx := context.Background()
	c := project.New(reg)

	ji.Server.SetFaults(jirasim.Faults{ErrorRate: 1, Statuses: []int{http.StatusServiceUnavailable}})
	_, err := c.Create(ctx, webSpec())
	if err == nil || !strings.Contains(err.Error(), `Jira project "WEB"`) {
		t.Fatalf("Create() with Jira down = %v, want an error naming the Jira project", err)
	}
	rec, err := reg.Project(ctx, "WEB")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Bitbucket == nil || rec.Bitbucket.UUID == "" || rec.Jira == nil || rec.Jira.ID != "" {
		t.Fatalf("record after the half-failure = %+v %+v, want the Bitbucket uuid and no Jira id", rec.Bitbucket, rec.Jira)
	}
	firstUUID := rec.Bitbucket.UUID

	ji.Server.SetFaults(jirasim.Faults{})
	before := bb.Server.FaultStats().Requests
	if _, err := c.Create(ctx, webSpec()); err != nil {
		t.Fatalf("Create() with Jira back = %v", err)
	}
	obs, err := c.Observe(ctx, "WEB", webSpec())
	if err != nil || !obs.Exists || !obs.Ready || !obs.UpToDate {
		t.Fatalf("Observe() = %+v, %v; want it existing, ready and up to date", obs, err)
	}
	if obs.Status.BitbucketUUID != firstUUID {
		t.Errorf("Bitbucket uuid = %s, want the first project's %s", obs.Status.BitbucketUUID, firstUUID)
	}
	if live, _ := ji.Server.ProjectCount(); live != 1 {
		t.Errorf("Jira holds %d live projects, want 1", live)
	}
	projects, err := reg.Bitbucket()
	if err != nil {
		t.Fatal(err)
	}
	all, err := projects.ListProjects(ctx, bitbucketsim.DefaultWorkspace)
	if err != nil || len(all) != 1 {
		t.Errorf("Bitbucket holds %d projects (%v), want 1", len(all), err)
	}
	t.Logf("the resuming Create and an Observe sent %d requests to Bitbucket", bb.Server.FaultStats().Requests-before)
}

// TestDeleteRules: Jira's trash by default, a permanent delete on request,
// and an orphan that leaves everything in place.
func TestDeleteRules(t *testing.T) {
	for name, tc := range map[string]struct {
		change                   func(*project.Spec)
		bitbucket, live, trashed int
	}{
		"to Jira's trash":    {change: func(*project.Spec) {}, trashed: 1},
		"permanently":        {change: func(s *project.Spec) { s.Jira.DeletePermanently = true }},
		"orphan leaves both": {change: func(s *project.Spec) { s.OnDestroy = project.OnDestroyOrphan }, bitbucket: 1, live: 1},
	} {
		t.Run(name, func(t *testing.T) {
			reg, _, ji := atlassianSims(t)
			ctx := context.Background()
			c := project.New(reg)
			spec := webSpec()
			j := *spec.Jira
			spec.Jira = &j
			tc.change(&spec)
			if _, err := c.Create(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if err := engine.DeleteUntilGone(ctx, engine.Client[project.Spec, project.Status](c), "WEB", engine.ConvergeOptions{}); err != nil {
				t.Fatalf("DeleteUntilGone() = %v", err)
			}
			if _, err := reg.Project(ctx, "WEB"); !errors.Is(err, registry.ErrProjectNotRegistered) {
				t.Errorf("record after delete: %v, want it gone", err)
			}
			bb, _ := reg.Bitbucket()
			all, err := bb.ListProjects(ctx, bitbucketsim.DefaultWorkspace)
			if err != nil {
				t.Fatal(err)
			}
			live, trashed := ji.Server.ProjectCount()
			if len(all) != tc.bitbucket || live != tc.live || trashed != tc.trashed {
				t.Errorf("after delete: %d Bitbucket, %d live and %d trashed Jira projects; want %d, %d, %d",
					len(all), live, trashed, tc.bitbucket, tc.live, tc.trashed)
			}
		})
	}
}

// TestUpdateTurnsPartsOnAndOff: adding a block makes the part, removing it
// deletes the part, and the record follows.
func TestUpdateTurnsPartsOnAndOff(t *testing.T) {
	reg, _, ji := atlassianSims(t)
	ctx := context.Background()
	c := project.New(reg)
	spec := webSpec()
	spec.Jira = nil
	if _, err := c.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if live, _ := ji.Server.ProjectCount(); live != 0 {
		t.Fatalf("Jira holds %d projects without a jira block", live)
	}
	if err := c.Update(ctx, "WEB", webSpec()); err != nil {
		t.Fatalf("Update() adding jira = %v", err)
	}
	if live, _ := ji.Server.ProjectCount(); live != 1 {
		t.Fatalf("Jira holds %d live projects after adding the block, want 1", live)
	}
	if err := c.Update(ctx, "WEB", spec); err != nil {
		t.Fatalf("Update() removing jira = %v", err)
	}
	if live, trashed := ji.Server.ProjectCount(); live != 0 || trashed != 1 {
		t.Fatalf("Jira holds %d live and %d trashed projects after removing the block, want 0 and 1", live, trashed)
	}
	rec, err := reg.Project(ctx, "WEB")
	if err != nil || rec.Jira != nil {
		t.Fatalf("record = %+v, %v; want no Jira part", rec, err)
	}
	obs, err := c.Observe(ctx, "WEB", spec)
	if err != nil || !obs.UpToDate {
		t.Fatalf("Observe() = %+v, %v; want up to date", obs, err)
	}
}
