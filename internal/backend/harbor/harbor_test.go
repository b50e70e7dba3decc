package harbor_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

const (
	adminUser = "admin"
	adminPass = "s3cret-Passw0rd"
)

type env struct {
	sim      *harborsim.Server
	srv      *httptest.Server
	client   *harbor.Client
	requests sync.Map // "METHOD path" -> *atomic.Int64
}

func (e *env) count(method, path string) int64 {
	v, ok := e.requests.Load(method + " " + path)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newEnv(t *testing.T, o harborsim.Options) *env {
	t.Helper()
	o.AdminUsername, o.AdminPassword = adminUser, adminPass
	if o.Pinger == nil {
		// The registry endpoints of these tests point at made-up hosts:
		// take them as healthy.
		o.Pinger = func(context.Context, harborsim.Endpoint) error { return nil }
	}
	e := &env{sim: harborsim.New(o)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := e.requests.LoadOrStore(r.Method+" "+r.URL.Path, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		e.srv.Close()
		e.sim.Close()
	})
	e.client = e.newClient(t, adminUser, adminPass)
	return e
}

func (e *env) newClient(t *testing.T, user, pass string) *harbor.Client {
	t.Helper()
	c, err := harbor.New(harbor.Config{URL: e.srv.URL, Username: user, Password: pass,
		HTTPOptions: httpclient.Options{RetryMax: 12, WaitMin: time.Millisecond, WaitMax: 10 * time.Millisecond}})
	if err != nil {
		t.Fatalf("harbor.New() error = %v", err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantStatus(t *testing.T, err error, status int, code string) {
	t.Helper()
	var he *harbor.Error
	if !errors.As(err, &he) {
		t.Fatalf("error = %v, want *harbor.Error %d %s", err, status, code)
	}
	if he.StatusCode != status || he.Code() != code {
		t.Fatalf("error = %v, want %d %s", err, status, code)
	}
	if he.Message() == "" {
		t.Fatalf("error = %v, want Harbor's error message", err)
	}
}

func TestNewRejectsCredentialsInURL(t *testing.T) {
	_, err := harbor.New(harbor.Config{URL: "https://admin:hunter2@harbor.example"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("New() error = %v, want a refusal without the password", err)
	}
}

func TestSystemInfoAndHealth(t *testing.T) {
	e := newEnv(t, harborsim.Options{Version: "v2.13.1"})
	h, err := e.client.Health(ctx(t))
	if err != nil || h.Status != "healthy" || len(h.Components) == 0 {
		t.Fatalf("Health() = %+v, %v; want healthy with components", h, err)
	}
	info, err := e.client.SystemInfo(ctx(t))
	if err != nil || info.HarborVersion != "v2.13.1" {
		t.Fatalf("SystemInfo() = %+v, %v; want harbor_version v2.13.1", info, err)
	}
	anon := e.newClient(t, "", "")
	info, err = anon.SystemInfo(ctx(t))
	if err != nil || info.HarborVersion != "" {
		t.Fatalf("anonymous SystemInfo() = %+v, %v; want no version, as Harbor hides it", info, err)
	}
	if _, err := anon.Health(ctx(t)); err != nil {
		t.Fatalf("anonymous Health() error = %v", err)
	}
}

func TestWrongPasswordIsUnauthorized(t *testing.T) {
	e := newEnv(t, harborsim.Options{})
	if u, err := e.client.CurrentUser(ctx(t)); err != nil || u.Username != adminUser || !u.SysadminFlag {
		t.Fatalf("CurrentUser() = %+v, %v; want the admin", u, err)
	}
	c := e.newClient(t, adminUser, "not-the-password")
	_, err := c.CurrentUser(ctx(t))
	wantStatus(t, err, http.StatusUnauthorized, "UNAUTHORIZED")
	if !harbor.IsUnauthorized(err) || strings.Contains(err.Error(), "not-the-password") {
		t.Fatalf("error = %v, want 401 without the password", err)
	}
	_, err = c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "x"})
	wantStatus(t, err, http.StatusUnauthorized, "UNAUTHORIZED")
	_, err = c.ListRegistries(ctx(t), "")
	wantStatus(t, err, http.StatusUnauthorized, "UNAUTHORIZED")
	// Like Harbor, wrong credentials read as anonymous: public projects only.
	if _, err := e.client.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "hidden"}); err != nil {
		t.Fatal(err)
	}
	if ps, err := c.ListProjects(ctx(t), harbor.ListProjectsOptions{}); err != nil || len(ps) != 1 || ps[0].Name != "library" {
		t.Fatalf("ListProjects() with a wrong password = %+v, %v; want the public library only", ps, err)
	}
	// Health answers without credentials, even wrong ones are not sent.
	if _, err := c.Health(ctx(t)); err != nil {
		t.Fatalf("Health() error = %v", err)
	}
	// Anonymous writes are refused.
	_, err = e.newClient(t, "", "").CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "anon"})
	wantStatus(t, err, http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestProjectLifecycleAndPagination(t *testing.T) {
	e := newEnv(t, harborsim.Options{})
	c := e.client
	for i := range 25 {
		id, err := c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: fmt.Sprintf("team-%02d", i), Metadata: map[string]string{"auto_scan": "true"}})
		if err != nil || id <= 0 {
			t.Fatalf("CreateProject(%d) = %d, %v", i, id, err)
		}
	}
	ps, err := c.ListProjects(ctx(t), harbor.ListProjectsOptions{PageSize: 10})
	if err != nil {
		t.Fatalf("ListProjects() error = %v", err)
	}
	if len(ps) != 26 || ps[0].Name != "library" || ps[1].Name != "team-00" || ps[25].Name != "team-24" {
		t.Fatalf("ListProjects() returned %d projects, want library and the 25 in order", len(ps))
	}
	if n := e.count("GET", "/api/v2.0/projects"); n != 3 {
		t.Fatalf("ListProjects() made %d requests, want 3 pages following Link rel=next", n)
	}
	// A fuzzy query over several pages: Harbor writes the query of its Link
	// unescaped; the client must send it encoded again.
	ps, err = c.ListProjects(ctx(t), harbor.ListProjectsOptions{Q: "name=~team-1", PageSize: 3})
	if err != nil || len(ps) != 10 || ps[0].Name != "team-10" || ps[9].Name != "team-19" {
		t.Fatalf("ListProjects(q=name=~team-1) = %d projects, %v; want team-10..team-19", len(ps), err)
	}
	ps, err = c.ListProjects(ctx(t), harbor.ListProjectsOptions{Q: "name=team-07"})
	if err != nil || len(ps) != 1 || ps[0].Name != "team-07" {
		t.Fatalf("ListProjects(q=name=team-07) = %+v, %v", ps, err)
	}

	got, err := c.GetProject(ctx(t), "team-03")
	if err != nil {
		t.Fatalf("GetProject() error = %v", err)
	}
	want := &harbor.Project{ProjectID: 5, Name: "team-03", OwnerID: 1, OwnerName: adminUser,
		Metadata: map[string]string{"public": "false", "auto_scan": "true"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(harbor.Project{}, "CreationTime", "UpdateTime")); diff != "" {
		t.Fatalf("GetProject() mismatch (-want +got):\n%s", diff)
	}
	byID, err := c.GetProjectByID(ctx(t), got.ProjectID)
	if err != nil || byID.Name != "team-03" {
		t.Fatalf("GetProjectByID() = %+v, %v", byID, err)
	}

	pub := true
	if err := c.UpdateProject(ctx(t), "team-03", harbor.ProjectReq{Public: &pub}); err != nil {
		t.Fatalf("UpdateProject() error = %v", err)
	}
	if got, _ := c.GetProject(ctx(t), "team-03"); !got.Public() || got.Metadata["auto_scan"] != "true" {
		t.Fatalf("after update metadata = %v, want public and auto_scan kept", got.Metadata)
	}
	if ok, err := c.ProjectExists(ctx(t), "team-03"); !ok || err != nil {
		t.Fatalf("ProjectExists(team-03) = %v, %v", ok, err)
	}
	if err := c.DeleteProject(ctx(t), "team-03"); err != nil {
		t.Fatalf("DeleteProject() error = %v", err)
	}
	if ok, err := c.ProjectExists(ctx(t), "team-03"); ok || err != nil {
		t.Fatalf("ProjectExists(team-03) after delete = %v, %v", ok, err)
	}
	_, err = c.GetProject(ctx(t), "team-03")
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
	if !harbor.IsNotFound(err) {
		t.Fatalf("IsNotFound(%v) = false", err)
	}
	err = c.DeleteProject(ctx(t), "team-03")
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")

	_, err = c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "team-04"})
	wantStatus(t, err, http.StatusConflict, "CONFLICT")
	if !harbor.IsConflict(err) {
		t.Fatalf("IsConflict(%v) = false", err)
	}
}

func TestProjectNameRule(t *testing.T) {
	e := newEnv(t, harborsim.Options{})
	tests := []struct {
		name   string
		status int // 0: accepted
		code   string
	}{
		{name: "a"},
		{name: "my.team_x-1"},
		{name: strings.Repeat("a", 255)},
		{name: "", status: 400, code: "BAD_REQUEST"},
		{name: "Upper", status: 400, code: "BAD_REQUEST"},
		{name: "-lead", status: 400, code: "BAD_REQUEST"},
		{name: "trail_", status: 400, code: "BAD_REQUEST"},
		{name: "dou..ble", status: 400, code: "BAD_REQUEST"},
		{name: "sp ace", status: 400, code: "BAD_REQUEST"},
		{name: "sl/ash", status: 400, code: "BAD_REQUEST"},
		{name: strings.Repeat("a", 256), status: 422, code: "UNPROCESSABLE_ENTITY"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.20q", tt.name), func(t *testing.T) {
			_, err := e.client.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: tt.name})
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("CreateProject(%q) error = %v, want accepted", tt.name, err)
				}
				return
			}
			wantStatus(t, err, tt.status, tt.code)
		})
	}
}

func TestProjectMembers(t *testing.T) {
	e := newEnv(t, harborsim.Options{Users: []string{"alice", "bob"}})
	c := e.client
	if _, err := c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "apps"}); err != nil {
		t.Fatal(err)
	}
	id, err := c.AddProjectMember(ctx(t), "apps", harbor.ProjectMember{RoleID: harbor.RoleDeveloper, MemberUser: &harbor.UserEntity{Username: "alice"}})
	if err != nil || id <= 0 {
		t.Fatalf("AddProjectMember(alice) = %d, %v", id, err)
	}
	_, err = c.AddProjectMember(ctx(t), "apps", harbor.ProjectMember{RoleID: harbor.RoleGuest, MemberUser: &harbor.UserEntity{Username: "alice"}})
	wantStatus(t, err, http.StatusConflict, "CONFLICT")
	_, err = c.AddProjectMember(ctx(t), "apps", harbor.ProjectMember{RoleID: harbor.RoleGuest, MemberUser: &harbor.UserEntity{Username: "mallory"}})
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
	_, err = c.AddProjectMember(ctx(t), "apps", harbor.ProjectMember{RoleID: 9, MemberUser: &harbor.UserEntity{Username: "bob"}})
	wantStatus(t, err, http.StatusBadRequest, "BAD_REQUEST")
	_, err = c.AddProjectMember(ctx(t), "nope", harbor.ProjectMember{RoleID: 1, MemberUser: &harbor.UserEntity{Username: "bob"}})
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")

	if err := c.UpdateProjectMemberRole(ctx(t), "apps", id, harbor.RoleMaintainer); err != nil {
		t.Fatalf("UpdateProjectMemberRole() error = %v", err)
	}
	ms, err := c.ListProjectMembers(ctx(t), "apps", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.EntityName] = m.RoleName
	}
	if diff := cmp.Diff(map[string]string{adminUser: "projectAdmin", "alice": "maintainer"}, got); diff != "" {
		t.Fatalf("members mismatch (-want +got):\n%s", diff)
	}
	if err := c.DeleteProjectMember(ctx(t), "apps", id); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetProjectMember(ctx(t), "apps", id)
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
}

func TestRegistriesAndPolicyValidation(t *testing.T) {
	e := newEnv(t, harborsim.Options{Pinger: func(_ context.Context, ep harborsim.Endpoint) error {
		if ep.URL == "https://site-a.example" && ep.Username == "robot$sync" && ep.Password == "pw" {
			return nil
		}
		return errors.New("unreachable")
	}})
	c := e.client
	reg := harbor.Registry{Name: "site-a", URL: "https://site-a.example/", Type: "harbor",
		Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: "robot$sync", AccessSecret: "pw"}}
	regID, err := c.CreateRegistry(ctx(t), reg)
	if err != nil {
		t.Fatalf("CreateRegistry() error = %v", err)
	}
	_, err = c.CreateRegistry(ctx(t), reg)
	wantStatus(t, err, http.StatusConflict, "CONFLICT")
	// Harbor finds no adapter for an unknown type and hides that behind a 500.
	_, err = c.CreateRegistry(ctx(t), harbor.Registry{Name: "x", URL: "https://x.example", Type: "nexus"})
	wantStatus(t, err, http.StatusInternalServerError, "UNKNOWN")
	got, err := c.GetRegistry(ctx(t), regID)
	if err != nil || got.URL != "https://site-a.example" || got.Credential == nil || got.Credential.AccessSecret == "pw" {
		t.Fatalf("GetRegistry() = %+v, %v; want trimmed URL and a masked secret", got, err)
	}
	if err := c.PingRegistry(ctx(t), harbor.RegistryPing{ID: &regID}); err != nil {
		t.Fatalf("PingRegistry(id) error = %v", err)
	}
	bad := "https://elsewhere.example"
	typ := "harbor"
	wantStatus(t, c.PingRegistry(ctx(t), harbor.RegistryPing{URL: &bad, Type: &typ}), http.StatusBadRequest, "BAD_REQUEST")
	missing := int64(99)
	wantStatus(t, c.PingRegistry(ctx(t), harbor.RegistryPing{ID: &missing}), http.StatusNotFound, "NOT_FOUND")
	desc := "hub"
	if err := c.UpdateRegistry(ctx(t), regID, harbor.RegistryUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}

	valid := harbor.ReplicationPolicy{
		Name: "to-hub", DestRegistry: harbor.RegistryRef(regID), DestNamespace: "mirror", Enabled: true, Override: true,
		Trigger: &harbor.ReplicationTrigger{Type: harbor.TriggerScheduled, Settings: &harbor.TriggerSettings{Cron: "0 30 2 * * *"}},
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: "apps/**"}, {Type: "tag", Value: "v*"},
			{Type: "resource", Value: "image"}, {Type: "label", Value: []string{"release"}, Decoration: "matches"}},
	}
	tests := []struct {
		name   string
		mutate func(p *harbor.ReplicationPolicy)
		status int
		code   string
	}{
		{name: "five-field cron", mutate: func(p *harbor.ReplicationPolicy) { p.Trigger.Settings.Cron = "30 2 * * *" }, status: 400, code: "BAD_REQUEST"},
		{name: "garbage cron", mutate: func(p *harbor.ReplicationPolicy) { p.Trigger.Settings.Cron = "* * *" }, status: 400, code: "BAD_REQUEST"},
		{name: "seconds not 0", mutate: func(p *harbor.ReplicationPolicy) { p.Trigger.Settings.Cron = "15 30 2 * * *" }, status: 400, code: "BAD_REQUEST"},
		{name: "every minute", mutate: func(p *harbor.ReplicationPolicy) { p.Trigger.Settings.Cron = "0 * * * * *" }, status: 400, code: "BAD_REQUEST"},
		{name: "hour out of range", mutate: func(p *harbor.ReplicationPolicy) { p.Trigger.Settings.Cron = "0 0 24 * * *" }, status: 400, code: "BAD_REQUEST"},
		{name: "empty cron", mutate: func(p *harbor.ReplicationPolicy) { p.Trigger.Settings = nil }, status: 400, code: "BAD_REQUEST"},
		{name: "unknown trigger", mutate: func(p *harbor.ReplicationPolicy) { p.Trigger.Type = "hourly" }, status: 400, code: "BAD_REQUEST"},
		{name: "unknown filter type", mutate: func(p *harbor.ReplicationPolicy) { p.Filters[0].Type = "repository" }, status: 400, code: "BAD_REQUEST"},
		{name: "label filter not an array", mutate: func(p *harbor.ReplicationPolicy) { p.Filters[3].Value = "release" }, status: 400, code: "BAD_REQUEST"},
		{name: "unknown resource", mutate: func(p *harbor.ReplicationPolicy) { p.Filters[2].Value = "helm" }, status: 400, code: "BAD_REQUEST"},
		{name: "bad decoration", mutate: func(p *harbor.ReplicationPolicy) { p.Filters[1].Decoration = "maybe" }, status: 400, code: "BAD_REQUEST"},
		{name: "bad namespace", mutate: func(p *harbor.ReplicationPolicy) { p.DestNamespace = "Mirror" }, status: 400, code: "BAD_REQUEST"},
		{name: "no registry", mutate: func(p *harbor.ReplicationPolicy) { p.DestRegistry = nil }, status: 400, code: "BAD_REQUEST"},
		{name: "both registries", mutate: func(p *harbor.ReplicationPolicy) { p.SrcRegistry = harbor.RegistryRef(regID) }, status: 400, code: "BAD_REQUEST"},
		{name: "unknown registry", mutate: func(p *harbor.ReplicationPolicy) { p.DestRegistry = harbor.RegistryRef(42) }, status: 404, code: "NOT_FOUND"},
		{name: "empty name", mutate: func(p *harbor.ReplicationPolicy) { p.Name = "" }, status: 400, code: "BAD_REQUEST"},
		{name: "valid", mutate: func(*harbor.ReplicationPolicy) {}},
	}
	var policyID int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid
			p.Trigger = &harbor.ReplicationTrigger{Type: valid.Trigger.Type, Settings: &harbor.TriggerSettings{Cron: valid.Trigger.Settings.Cron}}
			p.Filters = append([]harbor.ReplicationFilter(nil), valid.Filters...)
			tt.mutate(&p)
			id, err := c.CreateReplicationPolicy(ctx(t), p)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("CreateReplicationPolicy() error = %v", err)
				}
				policyID = id
				return
			}
			wantStatus(t, err, tt.status, tt.code)
		})
	}
	if policyID == 0 {
		t.Fatal("the valid policy was not created")
	}
	_, err = c.CreateReplicationPolicy(ctx(t), valid)
	wantStatus(t, err, http.StatusConflict, "CONFLICT")

	gotP, err := c.GetReplicationPolicy(ctx(t), policyID)
	if err != nil {
		t.Fatal(err)
	}
	if gotP.SrcRegistry == nil || gotP.SrcRegistry.ID != 0 || gotP.SrcRegistry.Name != "Local" || gotP.DestRegistry.ID != regID {
		t.Fatalf("policy registries = %+v -> %+v, want Local -> %d", gotP.SrcRegistry, gotP.DestRegistry, regID)
	}
	wantFilters := []harbor.ReplicationFilter{{Type: "name", Value: "apps/**"}, {Type: "tag", Value: "v*"},
		{Type: "resource", Value: "image"}, {Type: "label", Value: []any{"release"}, Decoration: "matches"}}
	if diff := cmp.Diff(wantFilters, gotP.Filters); diff != "" {
		t.Fatalf("filters mismatch (-want +got):\n%s", diff)
	}
	if gotP.Trigger == nil || gotP.Trigger.Settings == nil || gotP.Trigger.Settings.Cron != "0 30 2 * * *" || gotP.DestNamespace != "mirror" {
		t.Fatalf("policy = %+v, want the cron and namespace kept", gotP)
	}
	gotP.Enabled = false
	if err := c.UpdateReplicationPolicy(ctx(t), policyID, *gotP); err != nil {
		t.Fatalf("UpdateReplicationPolicy() error = %v", err)
	}
	_, err = c.StartReplication(ctx(t), policyID)
	wantStatus(t, err, http.StatusPreconditionFailed, "PRECONDITION")
	ps, err := c.ListReplicationPolicies(ctx(t), "to-")
	if err != nil || len(ps) != 1 || ps[0].Enabled {
		t.Fatalf("ListReplicationPolicies() = %+v, %v", ps, err)
	}
	wantStatus(t, c.DeleteRegistry(ctx(t), regID), http.StatusPreconditionFailed, "PRECONDITION")
	if err := c.DeleteReplicationPolicy(ctx(t), policyID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetReplicationPolicy(ctx(t), policyID)
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
	if err := c.DeleteRegistry(ctx(t), regID); err != nil {
		t.Fatal(err)
	}
}

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	digestC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

func TestArtifactsWithNestedRepository(t *testing.T) {
	e := newEnv(t, harborsim.Options{})
	c := e.client
	if _, err := c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "apps"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddArtifact(harborsim.Artifact{Repository: "apps/team/web", Digest: digestA, Tags: []string{"v1", "latest"}, Size: 10}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddArtifact(harborsim.Artifact{Repository: "apps/team/web", Digest: digestB, Tags: []string{"v2"}}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{digestA, "v1", "latest"} {
		a, err := c.GetArtifact(ctx(t), "apps", "team/web", ref)
		if err != nil || a.Digest != digestA || len(a.Tags) != 2 {
			t.Fatalf("GetArtifact(%s) = %+v, %v", ref, a, err)
		}
	}
	_, err := c.GetArtifact(ctx(t), "apps", "team/web", "v9")
	wantStatus(t, err, http.StatusNotFound, "NOT_FOUND")
	as, err := c.ListArtifacts(ctx(t), "apps", "team/web")
	if err != nil || len(as) != 2 {
		t.Fatalf("ListArtifacts() = %+v, %v", as, err)
	}
	// Encoded only once, the path does not match Harbor's routes.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v2.0/projects/apps/repositories/team%2Fweb/artifacts/v1", nil)
	req.SetBasicAuth(adminUser, adminPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("single-encoded repository answered %d, want 404", resp.StatusCode)
	}
	// A project with repositories cannot be deleted.
	wantStatus(t, c.DeleteProject(ctx(t), "apps"), http.StatusPreconditionFailed, "PRECONDITION")
}

func TestRobotAccounts(t *testing.T) {
	e := newEnv(t, harborsim.Options{})
	c := e.client
	if _, err := c.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "apps"}); err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateRobot(ctx(t), harbor.RobotCreate{Name: "ci", Level: harbor.RobotLevelProject, Duration: -1,
		Permissions: []harbor.RobotPermission{{Kind: "project", Namespace: "apps", Access: []harbor.RobotAccess{
			{Resource: "repository", Action: "push"}, {Resource: "artifact", Action: "read"}, {Resource: "artifact", Action: "list"}}}}})
	if err != nil {
		t.Fatalf("CreateRobot() error = %v", err)
	}
	if created.Name != "robot$apps+ci" || created.Secret.Reveal() == "" || created.ExpiresAt != -1 {
		t.Fatalf("CreateRobot() = name %q expires %d", created.Name, created.ExpiresAt)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", created.Secret, *created, *created, created.Secret); strings.Contains(s, created.Secret.Reveal()) {
		t.Fatalf("the robot secret prints: %s", s)
	}
	_, err = c.CreateRobot(ctx(t), harbor.RobotCreate{Name: "ci", Level: harbor.RobotLevelProject, Duration: -1,
		Permissions: []harbor.RobotPermission{{Kind: "project", Namespace: "apps", Access: []harbor.RobotAccess{{Resource: "repository", Action: "pull"}}}}})
	wantStatus(t, err, http.StatusConflict, "CONFLICT")
	_, err = c.CreateRobot(ctx(t), harbor.RobotCreate{Name: "x", Level: harbor.RobotLevelSystem, Duration: 0,
		Permissions: []harbor.RobotPermission{{Kind: "system", Namespace: "/", Access: []harbor.RobotAccess{{Resource: "project", Action: "create"}}}}})
	wantStatus(t, err, http.StatusBadRequest, "BAD_REQUEST")

	robot := e.newClient(t, created.Name, created.Secret.Reveal())
	if err := e.sim.AddArtifact(harborsim.Artifact{Repository: "apps/web", Digest: digestA, Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := robot.GetArtifact(ctx(t), "apps", "web", "v1"); err != nil {
		t.Fatalf("robot GetArtifact() error = %v", err)
	}
	_, err = robot.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: "other"})
	wantStatus(t, err, http.StatusForbidden, "FORBIDDEN")
	_, err = robot.ListRegistries(ctx(t), "")
	wantStatus(t, err, http.StatusForbidden, "FORBIDDEN")
	_, err = e.newClient(t, created.Name, "wrong").GetArtifact(ctx(t), "apps", "web", "v1")
	wantStatus(t, err, http.StatusUnauthorized, "UNAUTHORIZED")

	rs, err := c.ListRobots(ctx(t), "Level=project")
	if err != nil || len(rs) != 1 || rs[0].Name != "robot$apps+ci" {
		t.Fatalf("ListRobots() = %+v, %v", rs, err)
	}
	if err := c.DeleteRobot(ctx(t), created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = robot.GetArtifact(ctx(t), "apps", "web", "v1")
	wantStatus(t, err, http.StatusUnauthorized, "UNAUTHORIZED")
}

// TestConvergesUnderFaults creates projects while 20% of the requests fail
// with 500, 503 or 429 and some answers to writes are lost after the change
// was made; treating a conflict on retry as "already there", the client ends
// with every project exactly once.
func TestConvergesUnderFaults(t *testing.T) {
	e := newEnv(t, harborsim.Options{})
	e.sim.SetFaults(harborsim.Faults{ErrorRate: 0.2, LostResponseRate: 0.1, RetryAfter: 0, Seed: 7})
	const n = 30
	for i := range n {
		name := fmt.Sprintf("svc-%02d", i)
		_, err := e.client.CreateProject(ctx(t), harbor.ProjectReq{ProjectName: name})
		if harbor.IsConflict(err) {
			err = nil // the create went through and its answer was lost: adopt it
		}
		if err != nil {
			t.Fatalf("CreateProject(%s) error = %v", name, err)
		}
		if _, err := e.client.GetProject(ctx(t), name); err != nil {
			t.Fatalf("GetProject(%s) error = %v", name, err)
		}
	}
	ps, err := e.client.ListProjects(ctx(t), harbor.ListProjectsOptions{PageSize: 7})
	if err != nil {
		t.Fatalf("ListProjects() error = %v", err)
	}
	e.sim.SetFaults(harborsim.Faults{})
	seen := map[string]int{}
	for _, p := range ps {
		if p.Name != "library" {
			seen[p.Name]++
		}
	}
	if len(ps) != n+1 || len(seen) != n {
		t.Fatalf("got %d projects (%d distinct), want %d exactly once", len(ps), len(seen), n)
	}
	st := e.sim.FaultStats()
	if st.Errors == 0 || st.LostResponses == 0 {
		t.Fatalf("fault stats = %+v, want injected errors and lost answers", st)
	}
	t.Logf("fault stats: %+v", st)
}
