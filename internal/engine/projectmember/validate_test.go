package projectmember

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

const alice = "557058:0000000a-0000-4000-8000-00000000a11c"

func TestValidate(t *testing.T) {
	valid := Spec{Project: "SHOP", AccountID: alice, Role: RoleDeveloper}
	for _, tc := range []struct {
		name    string
		change  func(*Spec)
		unknown []string
		want    []string // paths of the invalid arguments
	}{
		{"valid user", func(*Spec) {}, nil, nil},
		{"valid group with Harbor group", func(s *Spec) { s.AccountID, s.Group, s.HarborGroup = "", "platform devs", "devs" }, nil, nil},
		{"role owner", func(s *Spec) { s.Role = "owner" }, nil, []string{"role"}},
		{"both account and group", func(s *Spec) { s.Group = "platform-devs" }, nil, []string{"group"}},
		{"neither account nor group", func(s *Spec) { s.AccountID = "" }, nil, []string{"account_id"}},
		{"neither, group unknown", func(s *Spec) { s.AccountID = "" }, []string{"group"}, nil},
		{"key ab", func(s *Spec) { s.Project = "ab" }, nil, []string{"project"}},
		{"key A-B", func(s *Spec) { s.Project = "A-B" }, nil, []string{"project"}},
		{"key too long", func(s *Spec) { s.Project = "ABCDEFGHIJK" }, nil, []string{"project"}},
		{"key unknown", func(s *Spec) { s.Project = "" }, []string{"project"}, nil},
		{"account id with a slash", func(s *Spec) { s.AccountID = "a/b" }, nil, []string{"account_id"}},
		{"both Harbor identities", func(s *Spec) { s.HarborUser, s.HarborGroup = "alice", "devs" }, nil, []string{"harbor_group"}},
		{"Harbor user with #", func(s *Spec) { s.HarborUser = "a#b" }, nil, []string{"harbor_user"}},
		{"everything wrong", func(s *Spec) { s.Project, s.Role, s.Group = "x", "owner", "g" }, nil, []string{"project", "group", "role"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := valid
			tc.change(&s)
			unknown := func(p string) bool {
				for _, u := range tc.unknown {
					if u == p {
						return true
					}
				}
				return false
			}
			var got []string
			for _, in := range engine.InvalidInputs(ValidatePartial(s, unknown)) {
				got = append(got, in.Path)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("invalid arguments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateWithProject(t *testing.T) {
	noHarbor := &Project{Key: "SHOP", Bitbucket: &BitbucketProject{Workspace: "mcplatform"}, Jira: true}
	onlyArgo := &Project{Key: "SHOP", ArgoCD: []AppProject{{Site: "site-b", Name: "shop"}}}
	for _, tc := range []struct {
		name    string
		spec    Spec
		project *Project
		want    []string
	}{
		{"user on Bitbucket and Jira", Spec{AccountID: alice}, noHarbor, nil},
		{"harbor_user without harbor", Spec{AccountID: alice, HarborUser: "alice"}, noHarbor, []string{"harbor_user"}},
		{"harbor_group without harbor", Spec{Group: "g", HarborGroup: "devs"}, noHarbor, []string{"harbor_group"}},
		{"group on Argo CD only", Spec{Group: "g"}, onlyArgo, nil},
		{"user on Argo CD only", Spec{AccountID: alice}, onlyArgo, []string{"project"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, in := range engine.InvalidInputs(ValidateWithProject(tc.spec, tc.project)) {
				got = append(got, in.Path)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("invalid arguments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMappingTable(t *testing.T) {
	type row struct{ Bitbucket, Jira, Harbor, ArgoCD string }
	want := map[string]row{
		RoleAdmin:     {"admin", "Administrators", "projectAdmin", "admin"},
		RoleDeveloper: {"write", "Developers", "developer", "developer"},
		RoleViewer:    {"read", "Viewers", "guest", "viewer"},
	}
	got := map[string]row{}
	for _, r := range Roles {
		got[r] = row{native(SystemBitbucket, r), native(SystemJira, r), native(SystemHarbor, r), native("argocd/site-b", r)}
		for _, sys := range []string{SystemBitbucket, SystemJira, SystemHarbor, "argocd/site-b"} {
			if back := roleOf(sys, native(sys, r)); back != r {
				t.Errorf("roleOf(%s, %q) = %q, want %q", sys, native(sys, r), back, r)
			}
		}
		m, _ := MappingOf(r)
		if harborRoleIDs[m.HarborRole] != m.HarborRoleID {
			t.Errorf("role %s: Harbor role %q has id %d, the table says %d", r, m.HarborRole, harborRoleIDs[m.HarborRole], m.HarborRoleID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
	for _, unmapped := range []struct{ system, word string }{{SystemBitbucket, "create-repo"}, {SystemHarbor, "maintainer"}, {SystemJira, "Testers"}} {
		if r := roleOf(unmapped.system, unmapped.word); r != "" {
			t.Errorf("roleOf(%s, %q) = %q, want none", unmapped.system, unmapped.word, r)
		}
	}
}

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		id      string
		want    Spec
		wantErr bool
	}{
		{id: "SHOP/" + alice, want: Spec{Project: "SHOP", AccountID: alice}},
		{id: "SHOP/group:platform-devs", want: Spec{Project: "SHOP", Group: "platform-devs"}},
		{id: "SHOP/group:a/b c", want: Spec{Project: "SHOP", Group: "a/b c"}},
		{id: "SHOP/" + alice + "#harbor_user=alice", want: Spec{Project: "SHOP", AccountID: alice, HarborUser: "alice"}},
		{id: "SHOP/group:devs#harbor_group=devs", want: Spec{Project: "SHOP", Group: "devs", HarborGroup: "devs"}},
		{id: "SHOP", wantErr: true},
		{id: "/x", wantErr: true},
		{id: "SHOP/group:", wantErr: true},
		{id: "SHOP/x#harbor=y", wantErr: true},
	} {
		got, err := ParseID(tc.id)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseID(%q) error = %v, want error %v", tc.id, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseID(%q) (-want +got):\n%s", tc.id, diff)
		}
		if got.ID() != tc.id {
			t.Errorf("ParseID(%q).ID() = %q, want the id back", tc.id, got.ID())
		}
	}
}

func TestGroupSlug(t *testing.T) {
	for name, want := range map[string]string{"platform-devs": "platform-devs", "Platform Devs": "platform-devs", " QA & Ops ": "qa-ops", "a--b": "a-b", "Ops_Team": "ops_team"} {
		if got := GroupSlug(name); got != want {
			t.Errorf("GroupSlug(%q) = %q, want %q", name, got, want)
		}
	}
}
