package jira_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

const (
	alice = jirasim.AliceAccountID
	bob   = jirasim.BobAccountID
	carol = jirasim.CarolAccountID
	devs  = jirasim.PlatformDevs
)

// simEnv is a simulated site behind a test server that counts requests by
// "METHOD path".
type simEnv struct {
	sim      *jirasim.Server
	srv      *httptest.Server
	client   jira.Client
	requests sync.Map // "METHOD path" -> *atomic.Int64
}

func (e *simEnv) count(method, path string) int64 {
	v, ok := e.requests.Load(method + " " + path)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newSimEnv(t *testing.T, opts ...jira.Option) *simEnv {
	t.Helper()
	e := &simEnv{sim: jirasim.New(jirasim.Options{APIToken: testToken, AdminEmail: testEmail,
		Users: jirasim.SandboxUsers(), Groups: jirasim.SandboxGroups()})}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := e.requests.LoadOrStore(r.Method+" "+r.URL.Path, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.client = e.newClient(t, jira.Auth{Email: testEmail, APIToken: testToken}, opts...)
	return e
}

func (e *simEnv) newClient(t *testing.T, auth jira.Auth, opts ...jira.Option) jira.Client {
	t.Helper()
	opts = append([]jira.Option{jira.WithHTTPOptions(httpclient.Options{RetryMax: 12, WaitMin: time.Millisecond, WaitMax: 10 * time.Millisecond})}, opts...)
	c, err := jira.NewCloud(e.srv.URL, auth, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func software(key, name string) jira.CreateProject {
	return jira.CreateProject{Key: key, Name: name, LeadAccountID: alice, ProjectTypeKey: jira.ProjectTypeSoftware,
		ProjectTemplateKey: "com.pyxis.greenhopper.jira:gh-simplified-kanban-classic"}
}

func wantJiraStatus(t *testing.T, err error, status int) *jira.Error {
	t.Helper()
	var je *jira.Error
	if !errors.As(err, &je) || je.StatusCode != status {
		t.Fatalf("error = %v, want a *jira.Error with status %d", err, status)
	}
	return je
}

// TestSimProjectLifecycle: create, read by key and id, update, search, move
// to the trash (the key stays reserved), restore, delete for good (the key
// is free again).
func TestSimProjectLifecycle(t *testing.T) {
	e := newSimEnv(t)
	c := ctx(t)
	created, err := e.client.CreateProject(c, software("PAY", "Payments"))
	if err != nil {
		t.Fatalf("CreateProject() error = %v", err)
	}
	if created.Key != "PAY" || created.ID < 10000 || !strings.HasSuffix(created.Self, fmt.Sprintf("/rest/api/3/project/%d", created.ID)) {
		t.Fatalf("CreateProject() = %+v", created)
	}
	byKey, err := e.client.GetProject(c, "PAY")
	if err != nil {
		t.Fatal(err)
	}
	byID, err := e.client.GetProject(c, fmt.Sprint(created.ID))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(byKey, byID); diff != "" {
		t.Errorf("by key and by id differ (-key +id):\n%s", diff)
	}
	if byKey.Name != "Payments" || byKey.ProjectTypeKey != "software" || byKey.LeadAccountID() != alice || byKey.Style != "classic" {
		t.Errorf("GetProject() = %+v", byKey)
	}
	for _, r := range []string{"Administrators", "Developers", "Viewers"} {
		if byKey.Roles[r] == "" {
			t.Errorf("project roles %v lack %s", byKey.Roles, r)
		}
	}

	name, desc, lead := "Payments Platform", "Money in, money out", bob
	updated, err := e.client.UpdateProject(c, "PAY", jira.UpdateProject{Name: &name, Description: &desc, LeadAccountID: &lead})
	if err != nil {
		t.Fatalf("UpdateProject() error = %v", err)
	}
	if updated.Name != name || updated.Description != desc || updated.LeadAccountID() != bob {
		t.Errorf("UpdateProject() = %+v", updated)
	}

	if err := e.client.DeleteProject(c, "PAY", true); err != nil {
		t.Fatalf("DeleteProject(enableUndo) error = %v", err)
	}
	if _, err := e.client.GetProject(c, "PAY"); !jira.IsNotFound(err) {
		t.Fatalf("GetProject(trashed) error = %v, want not found", err)
	}
	trash, err := e.client.SearchProjects(c, jira.ProjectSearch{Keys: []string{"PAY"}, Status: []string{jira.ProjectStatusDeleted}})
	if err != nil {
		t.Fatal(err)
	}
	if len(trash) != 1 || !trash[0].Deleted || trash[0].RetentionTillDate == "" || trash[0].DeletedBy == nil {
		t.Fatalf("the trash = %+v, want PAY deleted with a retention date", trash)
	}
	if live, _ := e.client.SearchProjects(c, jira.ProjectSearch{Keys: []string{"PAY"}}); len(live) != 0 {
		t.Fatalf("live projects = %+v, want none", live)
	}
	// The key (and the name) stay reserved while the project is in the trash.
	_, err = e.client.CreateProject(c, software("PAY", "Payments Again"))
	if !jira.IsProjectKeyInUse(err) {
		t.Fatalf("CreateProject(key in the trash) error = %v, want the key in use", err)
	}
	if je := wantJiraStatus(t, err, 400); je.Fields["projectKey"] != "Project 'Payments Platform' uses this project key." {
		t.Errorf("errors = %v", je.Fields)
	}
	// The same name and lead would be adopted: the project in the trash is
	// not, because GET does not find it.
	if _, err := e.client.CreateProject(c, jira.CreateProject{Key: "PAY", Name: name, LeadAccountID: bob, ProjectTypeKey: "software"}); !jira.IsProjectKeyInUse(err) {
		t.Fatalf("CreateProject(same project, in the trash) error = %v, want the key in use", err)
	}

	restored, err := e.client.RestoreProject(c, "PAY")
	if err != nil || restored.Key != "PAY" || restored.Deleted {
		t.Fatalf("RestoreProject() = %+v, %v", restored, err)
	}
	if again, err := e.client.RestoreProject(c, "PAY"); err != nil || again.Key != "PAY" {
		t.Fatalf("RestoreProject(live) = %+v, %v; want the live project", again, err)
	}
	if _, err := e.client.GetProject(c, "PAY"); err != nil {
		t.Fatalf("GetProject(restored) error = %v", err)
	}

	// For good: from the trash too, and the key is free again.
	if err := e.client.DeleteProject(c, "PAY", true); err != nil {
		t.Fatal(err)
	}
	if err := e.client.DeleteProject(c, "PAY", true); !jira.IsNotFound(err) {
		t.Fatalf("DeleteProject(enableUndo, in the trash) error = %v, want not found", err)
	}
	if err := e.client.DeleteProject(c, "PAY", false); err != nil {
		t.Fatalf("DeleteProject(permanently, from the trash) error = %v", err)
	}
	if err := e.client.DeleteProject(c, "PAY", false); !jira.IsNotFound(err) {
		t.Fatalf("DeleteProject(gone) error = %v, want not found", err)
	}
	if _, err := e.client.CreateProject(c, software("PAY", "Payments")); err != nil {
		t.Fatalf("CreateProject(freed key) error = %v", err)
	}
}

// TestSimKeyChangeKeepsTheOldKey: a renamed key still finds the project and
// stays reserved.
func TestSimKeyChangeKeepsTheOldKey(t *testing.T) {
	e := newSimEnv(t)
	c := ctx(t)
	if _, err := e.client.CreateProject(c, software("OLD", "Old Key")); err != nil {
		t.Fatal(err)
	}
	key := "NEW"
	if p, err := e.client.UpdateProject(c, "OLD", jira.UpdateProject{Key: &key}); err != nil || p.Key != "NEW" {
		t.Fatalf("UpdateProject(key) = %+v, %v", p, err)
	}
	if p, err := e.client.GetProject(c, "OLD"); err != nil || p.Key != "NEW" {
		t.Fatalf("GetProject(old key) = %+v, %v; want project NEW", p, err)
	}
	if _, err := e.client.CreateProject(c, software("OLD", "Another")); !jira.IsProjectKeyInUse(err) {
		t.Fatalf("CreateProject(old key) error = %v, want the key in use", err)
	}
}

// TestSimCreateProjectValidation checks Jira's rules on create, each answered
// 400 with the field's message.
func TestSimCreateProjectValidation(t *testing.T) {
	e := newSimEnv(t)
	c := ctx(t)
	if _, err := e.client.CreateProject(c, software("TAKEN", "Taken Name")); err != nil {
		t.Fatal(err)
	}
	keyRule := "Project keys must start with an uppercase letter, followed by one or more uppercase alphanumeric characters."
	tests := []struct {
		name       string
		mutate     func(*jira.CreateProject)
		wantFields map[string]string
		wantMsgs   []string
	}{
		{"key too short", func(p *jira.CreateProject) { p.Key = "A" }, map[string]string{"projectKey": keyRule}, nil},
		{"lower case", func(p *jira.CreateProject) { p.Key = "ab" }, map[string]string{"projectKey": keyRule}, nil},
		{"dash", func(p *jira.CreateProject) { p.Key = "A-B" }, map[string]string{"projectKey": keyRule}, nil},
		{"digit first", func(p *jira.CreateProject) { p.Key = "1AB" }, map[string]string{"projectKey": keyRule}, nil},
		{"eleven", func(p *jira.CreateProject) { p.Key = "ABCDEFGHIJK" }, map[string]string{"projectKey": "The project key must not exceed 10 characters in length."}, nil},
		{"reserved", func(p *jira.CreateProject) { p.Key = "CON" }, map[string]string{"projectKey": "This keyword is invalid as it is a reserved word on this operating system."}, nil},
		{"no key", func(p *jira.CreateProject) { p.Key = "" }, map[string]string{"projectKey": "You must specify a valid project key."}, nil},
		{"key taken", func(p *jira.CreateProject) { p.Key = "TAKEN" }, map[string]string{"projectKey": "Project 'Taken Name' uses this project key."}, nil},
		{"no name", func(p *jira.CreateProject) { p.Name = " " }, map[string]string{"projectName": "You must specify a valid project name."}, nil},
		{"long name", func(p *jira.CreateProject) { p.Name = strings.Repeat("n", 81) }, map[string]string{"projectName": "The project name must not exceed 80 characters in length."}, nil},
		{"name taken", func(p *jira.CreateProject) { p.Name = "taken name" }, map[string]string{"projectName": "A project with that name already exists."}, nil},
		{"no lead", func(p *jira.CreateProject) { p.LeadAccountID = "" }, map[string]string{"projectLead": "You must specify a valid project lead."}, nil},
		{"unknown lead", func(p *jira.CreateProject) { p.LeadAccountID = "557058:nobody" }, map[string]string{"projectLead": "The project lead you specified does not exist or is not active."}, nil},
		{"bad type", func(p *jira.CreateProject) { p.ProjectTypeKey = "kanban" }, map[string]string{"projectTypeKey": "The project type key 'kanban' is invalid: use software, business or service_desk."}, nil},
		{"template of another type", func(p *jira.CreateProject) { p.ProjectTypeKey = "business" }, nil,
			[]string{"The project template 'com.pyxis.greenhopper.jira:gh-simplified-kanban-classic' does not match the project type 'business'."}},
		{"unknown template", func(p *jira.CreateProject) { p.ProjectTemplateKey = "com.example:nothing" }, map[string]string{"projectTemplateKey": "The project template key 'com.example:nothing' is invalid."}, nil},
		{"neither type nor template", func(p *jira.CreateProject) { p.ProjectTypeKey, p.ProjectTemplateKey = "", "" }, map[string]string{"projectTypeKey": "You must specify a project type or a project template."}, nil},
		{"bad assignee type", func(p *jira.CreateProject) { p.AssigneeType = "ANYONE" }, map[string]string{"assigneeType": "Invalid assignee type 'ANYONE': use PROJECT_LEAD or UNASSIGNED."}, nil},
		{"several at once", func(p *jira.CreateProject) { p.Key, p.Name = "x", "" }, map[string]string{"projectKey": keyRule, "projectName": "You must specify a valid project name."}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := software("GOOD", "Good")
			tc.mutate(&p)
			_, err := e.client.CreateProject(c, p)
			je := wantJiraStatus(t, err, 400)
			if diff := cmp.Diff(tc.wantFields, je.Fields, cmpEmptyMap); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMsgs, je.Messages, cmpEmptySlice); diff != "" {
				t.Errorf("errorMessages (-want +got):\n%s", diff)
			}
		})
	}
	if live, _ := e.sim.ProjectCount(); live != 1 {
		t.Fatalf("projects = %d, want only TAKEN", live)
	}
	// The type alone is enough, and so is the template alone.
	if _, err := e.client.CreateProject(c, jira.CreateProject{Key: "BIZ", Name: "Biz", LeadAccountID: bob, ProjectTypeKey: "business"}); err != nil {
		t.Fatalf("CreateProject(type only) error = %v", err)
	}
	if _, err := e.client.CreateProject(c, jira.CreateProject{Key: "DESK", Name: "Desk", LeadAccountID: bob,
		ProjectTemplateKey: "com.atlassian.servicedesk:simplified-it-service-management"}); err != nil {
		t.Fatalf("CreateProject(template only) error = %v", err)
	}
	if p, err := e.client.GetProject(c, "DESK"); err != nil || p.ProjectTypeKey != "service_desk" {
		t.Fatalf("GetProject(DESK) = %+v, %v; want type service_desk", p, err)
	}
}

var (
	cmpEmptyMap   = cmp.Transformer("emptyMap", func(m map[string]string) map[string]string { return nilIfEmptyMap(m) })
	cmpEmptySlice = cmp.Transformer("emptySlice", func(s []string) []string { return nilIfEmpty(s) })
)

func nilIfEmptyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestSimRolesAndActors: roles by name with the site's ids, actors added
// once, unknown users and groups refused with nothing added, removal.
func TestSimRolesAndActors(t *testing.T) {
	e := newSimEnv(t)
	c := ctx(t)
	if _, err := e.client.CreateProject(c, software("ROLE", "Roles")); err != nil {
		t.Fatal(err)
	}
	roles, err := e.client.ListProjectRoles(c, "ROLE")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range jirasim.DefaultRoles {
		want, _ := e.sim.RoleID(name)
		if roles[name] != want || want < 10000 {
			t.Errorf("role %s = %d, want the site's id %d", name, roles[name], want)
		}
	}
	devRole := roles["Developers"]

	role, err := e.client.AddRoleActors(c, "ROLE", devRole, jira.RoleActors{AccountIDs: []string{bob, alice}, GroupNames: []string{devs}})
	if err != nil {
		t.Fatalf("AddRoleActors() error = %v", err)
	}
	var names []string
	for _, a := range role.Actors {
		names = append(names, a.DisplayName)
	}
	if diff := cmp.Diff([]string{"Alice Example", "Bob Example", devs}, names); diff != "" {
		t.Errorf("actors sorted by display name (-want +got):\n%s", diff)
	}
	if !role.HasUser(alice) || !role.HasUser(bob) || !role.HasGroup(devs) || role.Name != "Developers" || role.ID != devRole {
		t.Errorf("role = %+v", role)
	}
	group, err := e.client.FindGroup(c, devs)
	if err != nil {
		t.Fatal(err)
	}
	if !role.HasGroup(group.GroupID) {
		t.Errorf("role %+v has no actor with group id %s", role, group.GroupID)
	}

	// Again: nothing is sent.
	posts := e.count("POST", fmt.Sprintf("/rest/api/3/project/ROLE/role/%d", devRole))
	if _, err := e.client.AddRoleActors(c, "ROLE", devRole, jira.RoleActors{AccountIDs: []string{alice}, GroupIDs: []string{group.GroupID}}); err != nil {
		t.Fatalf("AddRoleActors(again) error = %v", err)
	}
	if got := e.count("POST", fmt.Sprintf("/rest/api/3/project/ROLE/role/%d", devRole)); got != posts {
		t.Errorf("POSTs = %d, want still %d", got, posts)
	}

	// Unknown actors: 404 naming them, and the valid ones of the same call
	// are not added either.
	viewers := roles["Viewers"]
	for name, actors := range map[string]jira.RoleActors{
		"unknown user":  {AccountIDs: []string{carol, "557058:ghost"}},
		"unknown group": {AccountIDs: []string{carol}, GroupNames: []string{"ghosts"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.client.AddRoleActors(c, "ROLE", viewers, actors)
			if !jira.IsNotFound(err) || !strings.Contains(err.Error(), "ghost") {
				t.Fatalf("AddRoleActors() error = %v, want not found naming the ghost", err)
			}
			r, err := e.client.GetProjectRole(c, "ROLE", viewers)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Actors) != 0 {
				t.Fatalf("Viewers = %+v, want no actor after a refused add", r.Actors)
			}
		})
	}
	if _, err := e.client.AddRoleActors(c, "ROLE", 1, jira.RoleActors{AccountIDs: []string{carol}}); !jira.IsNotFound(err) {
		t.Errorf("AddRoleActors(unknown role) error = %v, want not found", err)
	}
	if _, err := e.client.AddRoleActors(c, "NOPE", devRole, jira.RoleActors{AccountIDs: []string{carol}}); !jira.IsNotFound(err) {
		t.Errorf("AddRoleActors(unknown project) error = %v, want not found", err)
	}

	// Removal, by account, group name and group id; again is no error.
	for _, a := range []jira.Actor{{AccountID: bob}, {GroupName: devs}, {AccountID: bob}} {
		if err := e.client.RemoveRoleActor(c, "ROLE", devRole, a); err != nil {
			t.Fatalf("RemoveRoleActor(%s) error = %v", a, err)
		}
	}
	if _, err := e.client.AddRoleActors(c, "ROLE", devRole, jira.RoleActors{GroupIDs: []string{group.GroupID}}); err != nil {
		t.Fatal(err)
	}
	if err := e.client.RemoveRoleActor(c, "ROLE", devRole, jira.Actor{GroupID: group.GroupID}); err != nil {
		t.Fatalf("RemoveRoleActor(group id) error = %v", err)
	}
	r, err := e.client.GetProjectRole(c, "ROLE", devRole)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Actors) != 1 || !r.HasUser(alice) {
		t.Fatalf("Developers = %+v, want alice alone", r.Actors)
	}
	if err := e.client.RemoveRoleActor(c, "NOPE", devRole, jira.Actor{AccountID: alice}); !jira.IsNotFound(err) {
		t.Fatalf("RemoveRoleActor(unknown project) error = %v, want not found", err)
	}
}

// TestSimRoleIDsDifferPerSite: two sites number their roles differently.
func TestSimRoleIDsDifferPerSite(t *testing.T) {
	a := jirasim.New(jirasim.Options{Seed: 1})
	b := jirasim.New(jirasim.Options{Seed: 2})
	ida, _ := a.RoleID("Developers")
	idb, _ := b.RoleID("Developers")
	if ida == idb {
		t.Fatalf("Developers is %d on both sites", ida)
	}
	var ids []int64
	for _, name := range jirasim.DefaultRoles {
		id, _ := a.RoleID(name)
		ids = append(ids, id)
	}
	if slices.IsSorted(ids) {
		t.Errorf("role ids %v follow the order of the names", ids)
	}
}

func TestSimUsersAndGroups(t *testing.T) {
	e := newSimEnv(t)
	c := ctx(t)
	u, err := e.client.GetUser(c, alice)
	if err != nil || u.DisplayName != "Alice Example" || u.EmailAddress != "alice@mcplatform.example" || !u.Active || u.AccountType != "atlassian" {
		t.Fatalf("GetUser(alice) = %+v, %v", u, err)
	}
	if _, err := e.client.GetUser(c, "557058:ghost"); !jira.IsNotFound(err) {
		t.Fatalf("GetUser(ghost) error = %v, want not found", err)
	}
	me, err := e.client.Myself(c)
	if err != nil || me.AccountID != jirasim.DefaultAdminAccountID || me.EmailAddress != testEmail {
		t.Fatalf("Myself() = %+v, %v", me, err)
	}
	found, err := e.client.FindUsers(c, "exam")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range found {
		ids = append(ids, u.AccountID)
	}
	if diff := cmp.Diff([]string{alice, bob, carol}, ids); diff != "" {
		t.Errorf("FindUsers(exam) (-want +got):\n%s", diff)
	}
	if found, _ := e.client.FindUsers(c, "carol@"); len(found) != 1 || found[0].AccountID != carol {
		t.Errorf("FindUsers(carol@) = %+v, want carol", found)
	}
	g, err := e.client.FindGroup(c, "PLATFORM-DEVS")
	if err != nil || g.Name != devs || g.GroupID == "" {
		t.Fatalf("FindGroup() = %+v, %v", g, err)
	}
	if byID, err := e.client.GetGroupByID(c, g.GroupID); err != nil || byID.Name != devs {
		t.Fatalf("GetGroupByID() = %+v, %v", byID, err)
	}
	if _, err := e.client.FindGroup(c, "ghosts"); !jira.IsNotFound(err) {
		t.Fatalf("FindGroup(ghosts) error = %v, want not found", err)
	}
	members, err := e.client.ListGroupMembers(c, devs)
	if err != nil || len(members) != 2 || members[0].AccountID != alice || members[1].AccountID != bob {
		t.Fatalf("ListGroupMembers() = %+v, %v; want alice and bob", members, err)
	}
	if _, err := e.client.ListGroupMembers(c, "ghosts"); !jira.IsNotFound(err) {
		t.Fatalf("ListGroupMembers(ghosts) error = %v, want not found", err)
	}
}

// TestSimPagination reads lists longer than a page and counts the requests.
func TestSimPagination(t *testing.T) {
	e := newSimEnv(t, jira.WithPageSize(3))
	c := ctx(t)
	var want []string
	for i := range 7 {
		key := fmt.Sprintf("PG%d", i)
		want = append(want, key)
		if _, err := e.client.CreateProject(c, software(key, "Paged "+key)); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := e.client.SearchProjects(c, jira.ProjectSearch{Query: "paged"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Key)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if n := e.count("GET", "/rest/api/3/project/search"); n != 3 {
		t.Errorf("project search requests = %d, want 3 pages of 3", n)
	}

	var members []string
	for i := range 5 {
		id := fmt.Sprintf("557058:paged-%d", i)
		e.sim.AddUser(jirasim.User{AccountID: id, DisplayName: fmt.Sprintf("Paged User %d", i)})
		members = append(members, id)
	}
	if err := e.sim.AddGroup(jirasim.Group{Name: "paged", Members: members}); err != nil {
		t.Fatal(err)
	}
	us, err := e.client.FindUsers(c, "paged")
	if err != nil || len(us) != 5 {
		t.Fatalf("FindUsers() = %d users, %v; want 5", len(us), err)
	}
	// 2 full pages, 1 short page, 1 empty page to find the end.
	if n := e.count("GET", "/rest/api/3/user/search"); n != 3 {
		t.Errorf("user search requests = %d, want 3", n)
	}
	ms, err := e.client.ListGroupMembers(c, "paged")
	if err != nil || len(ms) != 5 || ms[4].AccountID != members[4] {
		t.Fatalf("ListGroupMembers() = %+v, %v; want the 5 members", ms, err)
	}
	if n := e.count("GET", "/rest/api/3/group/member"); n != 2 {
		t.Errorf("group member requests = %d, want 2", n)
	}
}

// TestSimWrongCredentials: 401, with the token in no error.
func TestSimWrongCredentials(t *testing.T) {
	e := newSimEnv(t)
	for name, auth := range map[string]jira.Auth{
		"wrong token": {Email: testEmail, APIToken: "ATATT-wrong-token"},
		"wrong email": {Email: "someone@example.com", APIToken: testToken},
		"none":        {},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.newClient(t, auth).Myself(ctx(t))
			if !jira.IsUnauthorized(err) {
				t.Fatalf("Myself() error = %v, want 401", err)
			}
			if strings.Contains(err.Error(), auth.APIToken) && auth.APIToken != "" {
				t.Fatalf("error %q shows the token", err)
			}
		})
	}
}

// TestSimFaults: with 20% of the answers 500, 503 or 429 and 20% of the
// writes' answers lost after the change, every call still succeeds, and
// nothing is created or granted twice: project creates that went through
// are adopted on the retry (same key, name, type and lead), actor adds and
// removals read the role back.
func TestSimFaults(t *testing.T) {
	e := newSimEnv(t)
	c := ctx(t)
	e.sim.SetFaults(jirasim.Faults{ErrorRate: 0.2, LostResponseRate: 0.2, Seed: 11})
	const n = 12
	for i := range n {
		key := fmt.Sprintf("FLT%d", i)
		if _, err := e.client.CreateProject(c, software(key, "Faulty "+key)); err != nil {
			t.Fatalf("CreateProject(%s) error = %v", key, err)
		}
		roles, err := e.client.ListProjectRoles(c, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.AddRoleActors(c, key, roles["Developers"], jira.RoleActors{AccountIDs: []string{alice, bob}, GroupNames: []string{devs}}); err != nil {
			t.Fatalf("AddRoleActors(%s) error = %v", key, err)
		}
		if err := e.client.RemoveRoleActor(c, key, roles["Developers"], jira.Actor{AccountID: bob}); err != nil {
			t.Fatalf("RemoveRoleActor(%s) error = %v", key, err)
		}
		if i%2 == 0 {
			if err := e.client.DeleteProject(c, key, true); err != nil && !jira.IsNotFound(err) {
				t.Fatalf("DeleteProject(%s) error = %v", key, err)
			}
		}
	}
	e.sim.SetFaults(jirasim.Faults{})
	st := e.sim.FaultStats()
	if st.Errors == 0 || st.LostResponses == 0 {
		t.Fatalf("fault stats = %+v, want errors and lost answers: the test proves nothing", st)
	}
	t.Logf("requests %d, injected errors %d, lost answers %d", st.Requests, st.Errors, st.LostResponses)
	live, trashed := e.sim.ProjectCount()
	if live != n/2 || trashed != n/2 {
		t.Fatalf("projects live %d, in the trash %d; want %d and %d", live, trashed, n/2, n/2)
	}
	for i := 1; i < n; i += 2 {
		key := fmt.Sprintf("FLT%d", i)
		roles, _ := e.client.ListProjectRoles(c, key)
		r, err := e.client.GetProjectRole(c, key, roles["Developers"])
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Actors) != 2 || !r.HasUser(alice) || !r.HasGroup(devs) {
			t.Errorf("%s Developers = %+v, want alice and %s once each", key, r.Actors, devs)
		}
	}
}

// TestSimSandboxEndpoints seeds a user and a group over HTTP, as
// `mc-sandbox atlassian-user` does, without credentials and with faults on.
func TestSimSandboxEndpoints(t *testing.T) {
	e := newSimEnv(t)
	e.sim.SetFaults(jirasim.Faults{ErrorRate: 1})
	post := func(path, body string) int {
		resp, err := http.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const dave = "557058:0000000d-0000-4000-8000-00000000da7e"
	if got := post("/_sandbox/users", `{"account_id":"`+dave+`","display_name":"Dave Example","email":"dave@mcplatform.example"}`); got != 201 {
		t.Fatalf("POST /_sandbox/users = %d, want 201", got)
	}
	if got := post("/_sandbox/groups", `{"name":"release-managers","members":["`+dave+`","`+carol+`"]}`); got != 201 {
		t.Fatalf("POST /_sandbox/groups = %d, want 201", got)
	}
	for body, want := range map[string]int{
		`{"name":"bad","members":["557058:ghost"]}`: 400,
		`{"members":[]}`:         400,
		`{"name":"x","extra":1}`: 400,
	} {
		if got := post("/_sandbox/groups", body); got != want {
			t.Errorf("POST /_sandbox/groups %s = %d, want %d", body, got, want)
		}
	}
	if got := post("/_sandbox/users", `{"display_name":"No Id"}`); got != 400 {
		t.Errorf("POST /_sandbox/users without an id = %d, want 400", got)
	}
	e.sim.SetFaults(jirasim.Faults{})
	c := ctx(t)
	if u, err := e.client.GetUser(c, dave); err != nil || u.DisplayName != "Dave Example" {
		t.Fatalf("GetUser(dave) = %+v, %v", u, err)
	}
	ms, err := e.client.ListGroupMembers(c, "release-managers")
	if err != nil || len(ms) != 2 {
		t.Fatalf("ListGroupMembers() = %+v, %v; want carol and dave", ms, err)
	}
}

// TestSimConcurrentGrantsWithFaults: members granted at once to one role
// (as Terraform applies them in parallel), with faults on, each end up in
// the role exactly once.
func TestSimConcurrentGrantsWithFaults(t *testing.T) {
	e := newSimEnv(t)
	c := ctx(t)
	if _, err := e.client.CreateProject(c, software("PAR", "Parallel")); err != nil {
		t.Fatal(err)
	}
	roles, err := e.client.ListProjectRoles(c, "PAR")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 8 {
		id := fmt.Sprintf("557058:parallel-%d", i)
		e.sim.AddUser(jirasim.User{AccountID: id, DisplayName: fmt.Sprintf("Parallel %d", i)})
		ids = append(ids, id)
	}
	e.sim.SetFaults(jirasim.Faults{ErrorRate: 0.2, LostResponseRate: 0.2, Seed: 5})
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.client.AddRoleActors(c, "PAR", roles["Viewers"], jira.RoleActors{AccountIDs: []string{id}})
		}()
	}
	wg.Wait()
	e.sim.SetFaults(jirasim.Faults{})
	for i, err := range errs {
		if err != nil {
			t.Errorf("AddRoleActors(%s) error = %v", ids[i], err)
		}
	}
	r, err := e.client.GetProjectRole(c, "PAR", roles["Viewers"])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range r.Actors {
		got = append(got, a.ActorUser.AccountID)
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("Viewers (-want +got):\n%s", diff)
	}
	if st := e.sim.FaultStats(); st.Errors+st.LostResponses == 0 {
		t.Fatalf("fault stats = %+v: no fault was injected", st)
	}
}
