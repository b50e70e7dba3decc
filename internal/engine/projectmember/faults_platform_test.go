//go:build platform

package projectmember

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfault"
)

// TestMembersConvergeUnderFaults grants three members at once (two users,
// one with a Harbor user, and a group) while Bitbucket, Jira and Harbor
// answer 20% of the requests with 500, 503 or 429 and lose the answer of
// 20% of the writes, retrying each member as a next apply would. Every
// member ends with exactly its grants, once; then they are deleted under
// the same faults and no grant is left.
func TestMembersConvergeUnderFaults(t *testing.T) {
	bb, err := bitbucketsim.Start("127.0.0.1:0", bitbucketsim.Options{Password: "faults-app-password"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bb.Close() })
	ji, site, err := sandbox.StartJira()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ji.Close() })
	f := newFixtureOn(t, atlassianAccess{
		services: registry.Services{
			Bitbucket: &registry.BitbucketAccess{URL: bb.APIURL(), Username: "mc-admin", Token: "faults-app-password"},
			Jira:      &registry.JiraAccess{URL: site.URL, Email: site.Email, APIToken: site.APIToken},
		},
		workspace: bitbucketsim.DefaultWorkspace,
	})
	ctx := context.Background()
	alice, bob, group := jirasim.AliceAccountID, jirasim.BobAccountID, jirasim.PlatformDevs
	specs := []Spec{
		{Project: f.key, AccountID: alice, Role: RoleDeveloper, HarborUser: "h1"},
		{Project: f.key, AccountID: bob, Role: RoleViewer},
		{Project: f.key, Group: group, Role: RoleAdmin},
	}

	faults := simfault.Faults{ErrorRate: 0.2, Statuses: []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests}, LostResponseRate: 0.2}
	setFaults := func(on bool) {
		fl := simfault.Faults{}
		if on {
			fl = faults
		}
		bb.Server.SetFaults(fl)
		ji.Server.SetFaults(fl)
		f.harborServer.SetFaults(fl)
	}
	setFaults(true)
	t.Cleanup(func() { setFaults(false) })

	// Each member is applied until it converges, at most 10 times, all
	// three at once: a failed apply is followed by another, as a user would.
	applyAll := func(apply func(i int) error) {
		var wg sync.WaitGroup
		errs := make([]error, len(specs))
		for i := range specs {
			wg.Go(func() {
				for attempt := 0; attempt < 10; attempt++ {
					if errs[i] = apply(i); errs[i] == nil {
						return
					}
					if _, invalid := engine.AsInvalidInput(errs[i]); invalid {
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("members did not converge under faults: %v", err)
		}
	}
	ids := make([]string, len(specs))
	applyAll(func(i int) error {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		var err error
		ids[i], _, err = engine.Converge(ctx, f.client, ids[i], specs[i], engine.ConvergeOptions{Timeout: 30 * time.Second})
		return err
	})
	t.Logf("fault stats after the grants: Bitbucket %+v, Jira %+v, Harbor %+v", bb.Server.FaultStats(), ji.Server.FaultStats(), f.harborServer.FaultStats())

	setFaults(false)
	argo := "argocd/" + f.site
	want := map[string]map[string]string{
		specs[0].ID(): {"harbor": "developer", "jira": "Developers", "bitbucket": "write"},
		specs[1].ID(): {"jira": "Viewers", "bitbucket": "read"},
		specs[2].ID(): {"jira": "Administrators", "bitbucket": "admin", argo: "admin"},
	}
	for _, s := range specs {
		obs, err := f.client.Observe(ctx, s.ID(), s)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[s.ID()], obs.Status.Grants); diff != "" || !obs.UpToDate {
			t.Errorf("grants of %s (up to date %v) (-want +got):\n%s", s.ID(), obs.UpToDate, diff)
		}
	}
	// Each grant once: one Harbor membership, one actor per role.
	if n, err := f.harborMembers(ctx, "h1"); err != nil || n != 1 {
		t.Errorf("Harbor memberships of h1 = %d, %v; want 1", n, err)
	}
	roles, err := f.jira.ListProjectRoles(ctx, f.key)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Administrators", "Developers", "Viewers"} {
		r, err := f.jira.GetProjectRole(ctx, f.key, roles[name])
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, a := range r.Actors {
			seen[actorName(a)]++
		}
		for who, n := range seen {
			if n > 1 {
				t.Errorf("Jira role %s lists %s %d times", name, who, n)
			}
		}
	}

	setFaults(true)
	applyAll(func(i int) error {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		return engine.DeleteUntilGone(ctx, f.client, specs[i].ID(), engine.ConvergeOptions{Timeout: 30 * time.Second})
	})
	setFaults(false)
	for _, s := range specs {
		obs, err := f.client.Observe(ctx, s.ID(), s)
		if err != nil || obs.Exists {
			t.Errorf("Observe(%s) after delete = %v, %v; want no grant anywhere", s.ID(), obs.Status.Grants, err)
		}
	}
}

func actorName(a jira.RoleActor) string {
	switch {
	case a.ActorUser != nil:
		return "user " + a.ActorUser.AccountID
	case a.ActorGroup != nil:
		return "group " + a.ActorGroup.Name
	}
	return fmt.Sprintf("actor %d", a.ID)
}
