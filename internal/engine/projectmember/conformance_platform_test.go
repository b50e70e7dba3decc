//go:build platform

package projectmember

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"
)

// TestConformance runs the engine conformance suite against user members
// with a Harbor user, in a project with a part in every system. The count
// is of the Harbor memberships (of a member with a Jira role), the one
// grant a retried create could duplicate; the lost answer is Harbor's to
// the member's POST.
func TestConformance(t *testing.T) {
	f := newFixture(t)
	enginetest.Conformance(t, enginetest.Kind[Spec, Status]{
		Client: f.client,
		NewSpec: func(t *testing.T) Spec {
			account, hu := f.newUser(t)
			return Spec{Project: f.key, AccountID: account, Role: RoleDeveloper, HarborUser: hu}
		},
		ID: Spec.ID,
		// The Harbor memberships of the member's Harbor user, while its
		// account has a Jira role in the project: a member of another
		// project or account counts none.
		Count: func(ctx context.Context, s Spec) (int, error) {
			if s.Project != f.key {
				return 0, nil
			}
			word, err := (&jiraPart{client: func(context.Context) (jira.Client, error) { return f.jira, nil }, project: f.key, member: s.Member()}).get(ctx)
			if err != nil || word == "" {
				return 0, err
			}
			return f.harborMembers(ctx, s.HarborUser)
		},
		// A changed harbor_user is refused too (TestUpdateRefusesAnotherMember),
		// but not here: the suite's cleanup of the changed member would
		// revoke the account's grants, which both ids share. Ids that share an
		// account or a Harbor user share grants.
		Immutable: []enginetest.ImmutableChange[Spec]{
			{Path: "project", Change: func(s Spec) Spec { s.Project = "PMOTHER"; return s }},
			// Another account with another Harbor user: the suite's cleanup
			// of the changed member leaves the first one's grants alone.
			{Path: "account_id", Change: func(s Spec) Spec {
				s.AccountID, s.HarborUser = "557058:0000000b-0000-4000-8000-000000000b0b", fmt.Sprintf("h%d", harborUsers)
				return s
			}},
		},
		WithTransport: func(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[Spec, Status] {
			f.proxy.wrap(t, wrap)
			return f.client
		},
		LostWrite: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/members")
		},
	})
}

// TestMemberLifecycle follows a group member and a user member through
// every system: the grants after create, a role change, a grant removed
// outside and given back by Update, a member added by hand in Jira that is
// left alone, and delete.
func TestMemberLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, _ := f.newUser(t)
	bob, _ := f.newUser(t)
	group := f.newGroup(t, "devs", alice)
	member := Spec{Project: f.key, Group: group, Role: RoleDeveloper}
	user := Spec{Project: f.key, AccountID: alice, Role: RoleViewer}

	// Bob is added to Developers by hand: no member of ours.
	roles, err := f.jira.ListProjectRoles(ctx, f.key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.jira.AddRoleActors(ctx, f.key, roles["Developers"], jira.RoleActors{AccountIDs: []string{bob}}); err != nil {
		t.Fatal(err)
	}

	for _, s := range []Spec{member, user} {
		if _, _, err := engine.Converge(ctx, f.client, "", s, engine.ConvergeOptions{}); err != nil {
			t.Fatalf("Converge(%s) error = %v", s.ID(), err)
		}
	}
	wantGrants := func(s Spec, want map[string]string) {
		t.Helper()
		obs, err := f.client.Observe(ctx, s.ID(), s)
		if err != nil {
			t.Fatalf("Observe(%s) error = %v", s.ID(), err)
		}
		if diff := cmp.Diff(want, obs.Status.Grants); diff != "" {
			t.Errorf("grants of %s (-want +got):\n%s", s.ID(), diff)
		}
	}
	argo := "argocd/" + f.site
	wantGrants(member, map[string]string{"jira": "Developers", "bitbucket": "write", argo: "developer"})
	wantGrants(user, map[string]string{"jira": "Viewers", "bitbucket": "read"})
	f.wantAppProjectGroups(t, map[string][]string{"developer": {group}})

	// A role change, in place.
	member.Role = RoleAdmin
	if _, _, err := engine.Converge(ctx, f.client, member.ID(), member, engine.ConvergeOptions{}); err != nil {
		t.Fatalf("Converge(admin) error = %v", err)
	}
	wantGrants(member, map[string]string{"jira": "Administrators", "bitbucket": "admin", argo: "admin"})
	f.wantAppProjectGroups(t, map[string][]string{"admin": {group}})

	// Removed outside in Bitbucket: not up to date, and Update gives it back.
	if err := f.bitbucket.DeleteProjectGroupPermission(ctx, f.workspace, f.key, GroupSlug(group)); err != nil {
		t.Fatal(err)
	}
	obs, err := f.client.Observe(ctx, member.ID(), member)
	if err != nil || !obs.Exists || obs.UpToDate || obs.Actual.Role != "" || obs.Status.Grants["bitbucket"] != GrantNone {
		t.Fatalf("Observe() after the Bitbucket grant was removed = %+v, %v; want an existing member that is not up to date", obs, err)
	}
	if err := f.client.Update(ctx, member.ID(), member); err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	wantGrants(member, map[string]string{"jira": "Administrators", "bitbucket": "admin", argo: "admin"})

	// Delete removes our members only: Bob stays in Developers.
	for _, s := range []Spec{member, user} {
		if err := engine.DeleteUntilGone(ctx, f.client, s.ID(), engine.ConvergeOptions{}); err != nil {
			t.Fatalf("DeleteUntilGone(%s) error = %v", s.ID(), err)
		}
	}
	dev, err := f.jira.GetProjectRole(ctx, f.key, roles["Developers"])
	if err != nil {
		t.Fatal(err)
	}
	if !dev.HasUser(bob) || dev.HasUser(alice) || dev.HasGroup(group) {
		t.Errorf("Developers after the deletes = %+v, want Bob alone of these", dev.Actors)
	}
	if _, err := f.bitbucket.GetProjectUserPermission(ctx, f.workspace, f.key, alice); !bitbucket.IsNotFound(err) {
		t.Errorf("Alice's Bitbucket permission after delete: error = %v, want not found", err)
	}
	f.wantAppProjectGroups(t, map[string][]string{})
}

// TestUnknownAccountGrantsNothing checks that an account Jira and Bitbucket
// do not know fails the create with an error naming the systems and the
// account, and that nothing was granted, not even in Harbor.
func TestUnknownAccountGrantsNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, hu := f.newUser(t)
	nobody := "557058:ffffffff-0000-4000-8000-00000000dead"
	_, err := f.client.Create(ctx, Spec{Project: f.key, AccountID: nobody, Role: RoleDeveloper, HarborUser: hu})
	invalid := engine.InvalidInputs(err)
	var messages []string
	for _, in := range invalid {
		messages = append(messages, in.Path+": "+in.Message)
	}
	want := []string{`account_id: Jira has no account "` + nobody + `"`, `account_id: Bitbucket has no account "` + nobody + `"`}
	if diff := cmp.Diff(want, messages); diff != "" {
		t.Fatalf("Create() error = %v\ninvalid inputs (-want +got):\n%s", err, diff)
	}
	if n, err := f.harborMembers(ctx, hu); err != nil || n != 0 {
		t.Errorf("Harbor memberships of %s = %d, %v; want none", hu, n, err)
	}
}

// TestFailedGrantIsRolledBack checks that a create whose Bitbucket grant
// fails (Bitbucket answers 503 to every permission write) leaves no grant
// in Harbor and Jira, which it granted before.
func TestFailedGrantIsRolledBack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	account, hu := f.newUser(t)
	c := f.newClient(failingPermissions{f.bitbucket}, f.jira)
	s := Spec{Project: f.key, AccountID: account, Role: RoleDeveloper, HarborUser: hu}
	_, err := c.Create(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "in Bitbucket") || !strings.Contains(err.Error(), "rolled back what this create granted in Jira, Harbor") {
		t.Fatalf("Create() error = %v, want the Bitbucket failure and the rollback of Jira and Harbor", err)
	}
	obs, err := f.client.Observe(ctx, s.ID(), s)
	if err != nil || obs.Exists {
		t.Fatalf("Observe() after the failed create = %+v, %v; want no grant anywhere", obs.Status.Grants, err)
	}
}

// failingPermissions is a Bitbucket whose permission writes fail.
type failingPermissions struct{ bitbucket.Client }

func (failingPermissions) PutProjectUserPermission(context.Context, string, string, string, bitbucket.Permission) (*bitbucket.UserPermission, error) {
	return nil, &bitbucket.Error{StatusCode: http.StatusServiceUnavailable, Method: http.MethodPut, Path: "/permissions-config/users", Message: "Service Unavailable"}
}

// wantAppProjectGroups checks the groups of the fixture's AppProject's
// roles that belong to the test (the fixture's key is their prefix).
func (f *fixture) wantAppProjectGroups(t *testing.T, want map[string][]string) {
	t.Helper()
	conn, err := f.reg.Connect(context.Background(), f.site)
	if err != nil {
		t.Fatal(err)
	}
	ap, found, err := kube.GetAppProject(context.Background(), conn.Dynamic, f.p.ArgoCDNamespace, f.appProject)
	if err != nil || !found {
		t.Fatalf("GetAppProject() = %v, %v", found, err)
	}
	got := map[string][]string{}
	for _, r := range ap.Roles {
		groups := slices.DeleteFunc(slices.Clone(r.Groups), func(g string) bool { return !strings.HasPrefix(g, strings.ToLower(f.key)) })
		if len(groups) > 0 {
			got[r.Name] = groups
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AppProject role groups (-want +got):\n%s", diff)
	}
}
