package projectmember

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// fakePart is a part in memory: the grants of one member in one system,
// with failures on demand.
type fakePart struct {
	name  string
	word  string
	calls *[]string
	// unknownMember makes check fail as for an unknown account.
	unknownMember bool
	// failSet makes set fail.
	failSet error
	// failRevoke makes revoke fail.
	failRevoke error
}

func (p *fakePart) key() string { return p.name }

func (p *fakePart) check(context.Context) error {
	*p.calls = append(*p.calls, "check "+p.name)
	if p.unknownMember {
		return engine.InvalidInput("account_id", "%s has no account %q", SystemName(p.name), "nobody")
	}
	return nil
}

func (p *fakePart) get(context.Context) (string, error) { return p.word, nil }

func (p *fakePart) set(_ context.Context, word string) error {
	*p.calls = append(*p.calls, "set "+p.name+" "+word)
	if p.failSet != nil {
		return p.failSet
	}
	p.word = word
	return nil
}

func (p *fakePart) revoke(context.Context) error {
	*p.calls = append(*p.calls, "revoke "+p.name)
	if p.failRevoke != nil {
		return p.failRevoke
	}
	p.word = ""
	return nil
}

// fakeProject is a project with a part in every system, for a group member.
var fakeProject = &Project{Key: "SHOP", Bitbucket: &BitbucketProject{Workspace: "mcplatform"}, Jira: true,
	Harbor: &HarborProject{Site: "site-a", Project: "shop"}, ArgoCD: []AppProject{{Site: "site-b", Name: "shop"}}}

// newFakeClient returns a client over parts, whose project is fakeProject.
func newFakeClient(parts ...*fakePart) *Client {
	return &Client{
		project: func(_ context.Context, key string) (*Project, error) {
			if key != fakeProject.Key {
				return nil, &engine.DependencyError{Kind: "project", Name: key, Reason: "is not registered"}
			}
			return fakeProject, nil
		},
		parts: func(context.Context, *Project, Spec) ([]part, error) {
			out := make([]part, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		},
	}
}

func fakeParts(calls *[]string) []*fakePart {
	return []*fakePart{
		{name: SystemHarbor, calls: calls}, {name: SystemJira, calls: calls},
		{name: SystemBitbucket, calls: calls}, {name: SystemArgoCD + "/site-b", calls: calls},
	}
}

var developers = Spec{Project: "SHOP", Group: "platform-devs", Role: RoleDeveloper, HarborGroup: "devs"}

func TestCreateChecksEverySystemBeforeGranting(t *testing.T) {
	var calls []string
	parts := fakeParts(&calls)
	c := newFakeClient(parts...)
	id, err := c.Create(context.Background(), developers)
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	if id != "SHOP/group:platform-devs#harbor_group=devs" {
		t.Errorf("Create() id = %q", id)
	}
	want := []string{
		"check harbor", "check jira", "check bitbucket", "check argocd/site-b",
		"set harbor developer", "set jira Developers", "set bitbucket write", "set argocd/site-b developer",
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	obs, err := c.Observe(context.Background(), id, developers)
	if err != nil {
		t.Fatalf("Observe() error = %v", err)
	}
	if !obs.Exists || !obs.UpToDate || !obs.Ready || obs.Actual.Role != RoleDeveloper {
		t.Errorf("Observe() after Create = %+v, want an existing, up-to-date developer", obs)
	}
	wantGrants := map[string]string{"harbor": "developer", "jira": "Developers", "bitbucket": "write", "argocd/site-b": "developer"}
	if diff := cmp.Diff(wantGrants, obs.Status.Grants); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
}

func TestUnknownMemberGrantsNothing(t *testing.T) {
	var calls []string
	parts := fakeParts(&calls)
	parts[1].unknownMember = true // Jira
	parts[2].unknownMember = true // Bitbucket
	c := newFakeClient(parts...)
	_, err := c.Create(context.Background(), developers)
	invalid := engine.InvalidInputs(err)
	if len(invalid) != 2 || !strings.Contains(invalid[0].Message, "Jira has no account") || !strings.Contains(invalid[1].Message, "Bitbucket has no account") {
		t.Fatalf("Create() error = %v, want two invalid inputs naming Jira and Bitbucket", err)
	}
	for _, call := range calls {
		if !strings.HasPrefix(call, "check ") {
			t.Errorf("Create() called %q after a failed check", call)
		}
	}
}

func TestFailedGrantRollsBackWhatTheCreateGranted(t *testing.T) {
	var calls []string
	parts := fakeParts(&calls)
	parts[1].word = "Developers" // Jira had it already: adopted, and left in place
	parts[3].failSet = errors.New("AppProject is being deleted")
	c := newFakeClient(parts...)
	_, err := c.Create(context.Background(), developers)
	if err == nil || !strings.Contains(err.Error(), "in Argo CD at site site-b") || !strings.Contains(err.Error(), "rolled back what this create granted in Bitbucket, Harbor") {
		t.Fatalf("Create() error = %v, want the Argo CD failure and the rollback of Bitbucket and Harbor", err)
	}
	got := map[string]string{}
	for _, p := range parts {
		got[p.name] = p.word
	}
	want := map[string]string{"harbor": "", "jira": "Developers", "bitbucket": "", "argocd/site-b": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("grants after the rollback (-want +got):\n%s", diff)
	}
}

func TestRollbackPutsBackAPreviousGrant(t *testing.T) {
	var calls []string
	parts := fakeParts(&calls)
	parts[0].word = "maintainer" // Harbor: a role the table does not map
	parts[2].failSet = errors.New("503 Service Unavailable")
	c := newFakeClient(parts...)
	if _, err := c.Create(context.Background(), developers); err == nil {
		t.Fatal("Create() succeeded, want the Bitbucket failure")
	}
	if parts[0].word != "maintainer" || parts[1].word != "" {
		t.Errorf("after the rollback Harbor has %q and Jira %q, want maintainer and nothing", parts[0].word, parts[1].word)
	}
}

func TestFailedRollbackSaysWhatIsLeft(t *testing.T) {
	var calls []string
	parts := fakeParts(&calls)
	parts[0].failRevoke = errors.New("harbor down")
	parts[2].failSet = errors.New("503 Service Unavailable")
	c := newFakeClient(parts...)
	_, err := c.Create(context.Background(), developers)
	if err == nil || !strings.Contains(err.Error(), "the grants in Harbor are still in place") || !strings.Contains(err.Error(), "harbor down") {
		t.Fatalf("Create() error = %v, want it to say that Harbor's grant is left", err)
	}
}

func TestObserveDrift(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		words                    [4]string // harbor, jira, bitbucket, argocd
		wantExists, wantUpToDate bool
		wantRole                 string
	}{
		{"all granted", [4]string{"developer", "Developers", "write", "developer"}, true, true, RoleDeveloper},
		{"removed in Bitbucket", [4]string{"developer", "Developers", "", "developer"}, true, false, ""},
		{"raised in Jira", [4]string{"developer", "Administrators", "write", "developer"}, true, false, ""},
		{"two roles in Argo CD", [4]string{"developer", "Developers", "write", "developer+viewer"}, true, false, ""},
		{"all changed to viewer", [4]string{"guest", "Viewers", "read", "viewer"}, true, false, RoleViewer},
		{"removed everywhere", [4]string{"", "", "", ""}, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			parts := fakeParts(&calls)
			for i, w := range tc.words {
				parts[i].word = w
			}
			obs, err := newFakeClient(parts...).Observe(context.Background(), developers.ID(), developers)
			if err != nil {
				t.Fatalf("Observe() error = %v", err)
			}
			if obs.Exists != tc.wantExists || obs.UpToDate != tc.wantUpToDate || obs.Actual.Role != tc.wantRole {
				t.Errorf("Observe() = exists %v, up to date %v, role %q; want %v, %v, %q",
					obs.Exists, obs.UpToDate, obs.Actual.Role, tc.wantExists, tc.wantUpToDate, tc.wantRole)
			}
		})
	}
}

func TestUpdateChangesTheRoleAndGrantsBack(t *testing.T) {
	var calls []string
	parts := fakeParts(&calls)
	for i, w := range []string{"developer", "Developers", "", "developer"} { // removed in Bitbucket
		parts[i].word = w
	}
	c := newFakeClient(parts...)
	admin := developers
	admin.Role = RoleAdmin
	if err := c.Update(context.Background(), developers.ID(), admin); err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	obs, err := c.Observe(context.Background(), developers.ID(), admin)
	if err != nil || !obs.UpToDate || obs.Actual.Role != RoleAdmin {
		t.Fatalf("Observe() after Update = %+v, %v; want an up-to-date admin", obs, err)
	}
}

func TestUpdateRefusesAnotherMember(t *testing.T) {
	c := newFakeClient(fakeParts(new([]string))...)
	other := developers
	other.HarborGroup = "ops"
	err := c.Update(context.Background(), developers.ID(), other)
	if in, ok := engine.AsInvalidInput(err); !ok || in.Path != "harbor_group" {
		t.Fatalf("Update() error = %v, want invalid input at harbor_group", err)
	}
}

func TestDeleteRevokesEveryPartAndReportsFailures(t *testing.T) {
	var calls []string
	parts := fakeParts(&calls)
	for i, w := range []string{"developer", "Developers", "write", "developer"} {
		parts[i].word = w
	}
	parts[1].failRevoke = errors.New("jira down")
	c := newFakeClient(parts...)
	err := c.Delete(context.Background(), developers.ID())
	if err == nil || !strings.Contains(err.Error(), "cannot remove group \"platform-devs\" from Jira: jira down") {
		t.Fatalf("Delete() error = %v, want the Jira failure", err)
	}
	if parts[0].word != "" || parts[2].word != "" || parts[3].word != "" {
		t.Errorf("Delete() left grants: %+v", parts)
	}
}

func TestMissingProjectIsADependency(t *testing.T) {
	c := newFakeClient()
	_, err := c.Observe(context.Background(), "NOPE/557058:x", Spec{})
	if _, ok := engine.AsDependency(err); !ok || engine.IsNotFound(err) {
		t.Fatalf("Observe() of a member of an unregistered project error = %v, want a dependency error", err)
	}
	if err := c.Delete(context.Background(), "NOPE/557058:x"); err == nil {
		t.Fatal("Delete() of a member of an unregistered project succeeded, want a dependency error")
	}
}

func ExampleSpec_ID() {
	for _, s := range []Spec{
		{Project: "SHOP", AccountID: "557058:0000000a-0000-4000-8000-00000000a11c"},
		{Project: "SHOP", Group: "platform devs", HarborGroup: "devs"},
	} {
		fmt.Println(s.ID())
	}
	// Output:
	// SHOP/557058:0000000a-0000-4000-8000-00000000a11c
	// SHOP/group:platform devs#harbor_group=devs
}
