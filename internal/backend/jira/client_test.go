package jira_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
)

const (
	testEmail = "admin@example.com"
	testToken = "ATATT-s3cret-t0ken"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func fastRetries() httpclient.Options {
	return httpclient.Options{RetryMax: 3, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond}
}

// fakeClient serves h under a test server and returns a client for it.
func fakeClient(t *testing.T, h http.HandlerFunc, opts ...jira.Option) jira.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := jira.NewCloud(srv.URL, jira.Auth{Email: testEmail, APIToken: testToken}, append([]jira.Option{jira.WithHTTPOptions(fastRetries())}, opts...)...)
	if err != nil {
		t.Fatalf("NewCloud() error = %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestNewCloudURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://example.atlassian.net", ""},
		{"https://example.atlassian.net/rest/api/3/", ""},
		{"ftp://example.atlassian.net", "scheme must be http or https"},
		{"example.atlassian.net", "want scheme://host"},
		{"https://me:" + testToken + "@example.atlassian.net", "not in the URL"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			_, err := jira.NewCloud(tc.url, jira.Auth{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("NewCloud() error = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewCloud() error = %v, want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error %q shows the token", err)
			}
		})
	}
}

// TestRequestsCarryBasicAuthAndPath checks the path below /rest/api/3 and
// the basic credentials, whether or not the base URL names the prefix.
func TestRequestsCarryBasicAuthAndPath(t *testing.T) {
	for _, suffix := range []string{"", "/rest/api/3", "/rest/api/3/"} {
		t.Run("base"+suffix, func(t *testing.T) {
			var gotPath, gotUser, gotPass string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.URL.EscapedPath()
				gotUser, gotPass, _ = r.BasicAuth()
				writeJSON(w, http.StatusOK, map[string]any{"id": "10000", "key": "AB", "name": "A B"})
			}))
			defer srv.Close()
			c, err := jira.NewCloud(srv.URL+suffix, jira.Auth{Email: testEmail, APIToken: testToken})
			if err != nil {
				t.Fatal(err)
			}
			if p, err := c.GetProject(ctx(t), "A B"); err != nil || p.ID != "10000" {
				t.Fatalf("GetProject() = %+v, %v; want project 10000", p, err)
			}
			if gotPath != "/rest/api/3/project/A%20B" {
				t.Errorf("path = %q, want /rest/api/3/project/A%%20B", gotPath)
			}
			if gotUser != testEmail || gotPass != testToken {
				t.Errorf("basic auth = %q/%q, want the email and the token", gotUser, gotPass)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		wantMessage string
		check       func(error) bool
	}{
		{"not found", 404, `{"errorMessages":["No project could be found with key 'NOPE'."],"errors":{}}`,
			"No project could be found with key 'NOPE'.", jira.IsNotFound},
		{"unauthorized", 401, `{"errorMessages":["Client must be authenticated to access this resource."],"errors":{}}`,
			"Client must be authenticated to access this resource.", jira.IsUnauthorized},
		{"forbidden", 403, `{"errorMessages":["You do not have permission."],"errors":{}}`, "You do not have permission.", jira.IsForbidden},
		{"key in use", 400, `{"errorMessages":[],"errors":{"projectKey":"Project 'Payments' uses this project key.","projectName":"A project with that name already exists."}}`,
			"projectKey: Project 'Payments' uses this project key.; projectName: A project with that name already exists.", jira.IsProjectKeyInUse},
		{"name in use", 400, `{"errorMessages":[],"errors":{"projectName":"A project with that name already exists."}}`,
			"projectName: A project with that name already exists.", jira.IsProjectNameInUse},
		{"no body", 400, ``, "", jira.IsBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			_, err := c.GetProject(ctx(t), "NOPE")
			var je *jira.Error
			if !errors.As(err, &je) {
				t.Fatalf("error = %v, want a *jira.Error", err)
			}
			if je.StatusCode != tc.status || je.Method != http.MethodGet || je.Path != "/rest/api/3/project/NOPE" {
				t.Errorf("error = %d %s %s, want %d GET /rest/api/3/project/NOPE", je.StatusCode, je.Method, je.Path, tc.status)
			}
			if got := je.Message(); got != tc.wantMessage {
				t.Errorf("Message() = %q, want %q", got, tc.wantMessage)
			}
			if !tc.check(err) {
				t.Errorf("the predicate does not hold for %v", err)
			}
			if tc.status != 404 && jira.IsNotFound(err) {
				t.Errorf("IsNotFound(%v) = true", err)
			}
		})
	}
}

// TestErrorsNeverShowTheToken checks that an answer quoting the token, a
// failed connection and a URL with a token do not show it.
func TestErrorsNeverShowTheToken(t *testing.T) {
	echo := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		writeJSON(w, 400, map[string]any{"errorMessages": []string{"bad token " + pass}, "errors": map[string]string{"auth": "Basic " + pass}})
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	unreachable, err := jira.NewCloud(closed.URL, jira.Auth{Email: testEmail, APIToken: testToken}, jira.WithHTTPOptions(fastRetries()))
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"echo":        func() error { _, err := echo.Myself(ctx(t)); return err },
		"unreachable": func() error { _, err := unreachable.Myself(ctx(t)); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error %q shows the token", err)
			}
		})
	}
}

// TestRetriesHonourRetryAfter checks that 429 and 503 are retried.
func TestRetriesHonourRetryAfter(t *testing.T) {
	var calls atomic.Int32
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"errorMessages": []string{"Rate limit exceeded."}})
		case 2:
			w.Header().Set("Retry-After", "0")
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errorMessages": []string{"Service unavailable."}})
		default:
			writeJSON(w, 200, map[string]any{"accountId": "a1", "active": true})
		}
	})
	u, err := c.Myself(ctx(t))
	if err != nil {
		t.Fatalf("Myself() error = %v", err)
	}
	if u.AccountID != "a1" || calls.Load() != 3 {
		t.Fatalf("Myself() = %+v after %d calls, want a1 after 3", u, calls.Load())
	}
}

// TestSearchProjectsFollowsPages serves 7 projects 3 at a time (the server
// caps maxResults) and checks that all are read, in order, with the filters.
func TestSearchProjectsFollowsPages(t *testing.T) {
	var keys []string
	for i := range 7 {
		keys = append(keys, fmt.Sprintf("P%d", i))
	}
	var requests []string
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		requests = append(requests, q.Get("startAt")+"/"+q.Get("maxResults"))
		if got := q["status"]; !cmp.Equal(got, []string{"live", "deleted"}) || q.Get("query") != "pay" {
			t.Errorf("query = %v, want status live, deleted and query pay", q)
		}
		start, _ := strconv.Atoi(q.Get("startAt"))
		end := min(start+3, len(keys))
		var vals []jira.Project
		for _, k := range keys[start:end] {
			vals = append(vals, jira.Project{ID: "1" + k[1:], Key: k, Name: k})
		}
		writeJSON(w, 200, map[string]any{"startAt": start, "maxResults": 3, "total": len(keys), "isLast": end == len(keys), "values": vals})
	}, jira.WithPageSize(50))
	ps, err := c.SearchProjects(ctx(t), jira.ProjectSearch{Query: "pay", Status: []string{jira.ProjectStatusLive, jira.ProjectStatusDeleted}})
	if err != nil {
		t.Fatalf("SearchProjects() error = %v", err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Key)
	}
	if diff := cmp.Diff(keys, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0/50", "3/50", "6/50"}, requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestFindUsersReadsUntilAnEmptyPage checks the bare-array pagination of
// user search.
func TestFindUsersReadsUntilAnEmptyPage(t *testing.T) {
	var calls int
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		var us []jira.User
		for i := start; i < min(start+2, 5); i++ {
			us = append(us, jira.User{AccountID: fmt.Sprintf("u%d", i), Active: true})
		}
		if us == nil {
			us = []jira.User{}
		}
		writeJSON(w, 200, us)
	})
	us, err := c.FindUsers(ctx(t), "u")
	if err != nil {
		t.Fatalf("FindUsers() error = %v", err)
	}
	if len(us) != 5 || us[4].AccountID != "u4" || calls != 4 {
		t.Fatalf("FindUsers() = %d users after %d calls, want 5 after 4", len(us), calls)
	}
}

func TestListProjectRolesParsesIDs(t *testing.T) {
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{
			"Administrators": "https://x.atlassian.net/rest/api/3/project/PAY/role/10417",
			"Developers":     "https://x.atlassian.net/rest/api/3/project/PAY/role/10523",
		})
	})
	got, err := c.ListProjectRoles(ctx(t), "PAY")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int64{"Administrators": 10417, "Developers": 10523}, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}

// TestCreateProjectAdoptsOnlyItsOwnProject checks the retry after a lost
// answer: the key is in use by the project asked for (adopted) or by
// another one (an error).
func TestCreateProjectAdoptsOnlyItsOwnProject(t *testing.T) {
	req := jira.CreateProject{Key: "PAY", Name: "Payments", LeadAccountID: "lead-1", ProjectTypeKey: jira.ProjectTypeSoftware}
	tests := []struct {
		name      string
		existing  jira.Project
		wantAdopt bool
	}{
		{"same project", jira.Project{ID: "10042", Key: "PAY", Name: "Payments", ProjectTypeKey: "software", Lead: &jira.User{AccountID: "lead-1"}}, true},
		{"other name", jira.Project{ID: "10042", Key: "PAY", Name: "Payroll", ProjectTypeKey: "software", Lead: &jira.User{AccountID: "lead-1"}}, false},
		{"other lead", jira.Project{ID: "10042", Key: "PAY", Name: "Payments", ProjectTypeKey: "software", Lead: &jira.User{AccountID: "lead-2"}}, false},
		{"other type", jira.Project{ID: "10042", Key: "PAY", Name: "Payments", ProjectTypeKey: "business", Lead: &jira.User{AccountID: "lead-1"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.Method + " " + r.URL.Path {
				case "POST /rest/api/3/project":
					writeJSON(w, 400, map[string]any{"errorMessages": []string{}, "errors": map[string]string{"projectKey": "Project '" + tc.existing.Name + "' uses this project key."}})
				case "GET /rest/api/3/project/PAY":
					writeJSON(w, 200, tc.existing)
				default:
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
			})
			got, err := c.CreateProject(ctx(t), req)
			if tc.wantAdopt {
				if err != nil {
					t.Fatalf("CreateProject() error = %v", err)
				}
				if got.ID != 10042 || got.Key != "PAY" {
					t.Fatalf("CreateProject() = %+v, want 10042 PAY", got)
				}
				return
			}
			if !jira.IsProjectKeyInUse(err) {
				t.Fatalf("CreateProject() error = %v, want the key in use", err)
			}
		})
	}
}

// TestAddRoleActorsSendsOnlyMissingActors checks that actors already in the
// role are not sent, that nothing is sent when all are there, and that a
// 400 after which the role holds every actor counts as done.
func TestAddRoleActorsSendsOnlyMissingActors(t *testing.T) {
	role := jira.ProjectRole{ID: 10523, Name: "Developers", Actors: []jira.RoleActor{
		{ID: 1, Type: jira.ActorTypeUser, ActorUser: &jira.RoleActorUser{AccountID: "alice"}},
		{ID: 2, Type: jira.ActorTypeGroup, ActorGroup: &jira.RoleActorGroup{Name: "devs", GroupID: "g-devs"}},
	}}
	var posted []map[string][]string
	postStatus := 200
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, 200, role)
		case http.MethodPost:
			var body map[string][]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			posted = append(posted, body)
			for _, u := range body["user"] {
				role.Actors = append(role.Actors, jira.RoleActor{Type: jira.ActorTypeUser, ActorUser: &jira.RoleActorUser{AccountID: u}})
			}
			for _, g := range body["group"] {
				role.Actors = append(role.Actors, jira.RoleActor{Type: jira.ActorTypeGroup, ActorGroup: &jira.RoleActorGroup{Name: g}})
			}
			if postStatus != 200 {
				writeJSON(w, postStatus, map[string]any{"errorMessages": []string{"'bob' is already a member of the project role."}})
				return
			}
			writeJSON(w, 200, role)
		}
	})
	got, err := c.AddRoleActors(ctx(t), "PAY", 10523, jira.RoleActors{AccountIDs: []string{"alice", "bob"}, GroupNames: []string{"devs", "ops"}})
	if err != nil {
		t.Fatalf("AddRoleActors() error = %v", err)
	}
	if diff := cmp.Diff([]map[string][]string{{"user": {"bob"}, "group": {"ops"}}}, posted); diff != "" {
		t.Errorf("posted (-want +got):\n%s", diff)
	}
	if !got.HasUser("bob") || !got.HasGroup("ops") {
		t.Errorf("role = %+v, want bob and ops in it", got)
	}
	posted = nil
	if _, err := c.AddRoleActors(ctx(t), "PAY", 10523, jira.RoleActors{AccountIDs: []string{"bob"}, GroupIDs: []string{"g-devs"}}); err != nil || posted != nil {
		t.Fatalf("AddRoleActors(present) error = %v, posted %v; want no error and nothing posted", err, posted)
	}
	postStatus = 400 // the change is kept, the answer says it was there
	if _, err := c.AddRoleActors(ctx(t), "PAY", 10523, jira.RoleActors{AccountIDs: []string{"carol"}}); err != nil {
		t.Fatalf("AddRoleActors() after a 400 with carol in the role: error = %v", err)
	}
}

// TestRemoveRoleActor checks the query of each kind of actor and that an
// actor Jira refuses to remove because it is not there counts as removed.
func TestRemoveRoleActor(t *testing.T) {
	tests := []struct {
		actor     jira.Actor
		wantQuery string
		status    int
		inRole    bool
		wantErr   bool
	}{
		{jira.Actor{AccountID: "alice"}, "user=alice", 204, true, false},
		{jira.Actor{GroupName: "platform devs"}, "group=platform+devs", 204, true, false},
		{jira.Actor{GroupID: "g-1"}, "groupId=g-1", 204, true, false},
		{jira.Actor{AccountID: "gone"}, "user=gone", 400, false, false},
		{jira.Actor{AccountID: "stays"}, "user=stays", 400, true, true},
		{jira.Actor{}, "", 0, false, true},
		{jira.Actor{AccountID: "a", GroupName: "g"}, "", 0, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.actor.String()+tc.wantQuery, func(t *testing.T) {
			c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case http.MethodDelete:
					if r.URL.RawQuery != tc.wantQuery {
						t.Errorf("query = %q, want %q", r.URL.RawQuery, tc.wantQuery)
					}
					if tc.status == 204 {
						w.WriteHeader(204)
						return
					}
					writeJSON(w, tc.status, map[string]any{"errorMessages": []string{"not a member"}})
				case http.MethodGet:
					role := jira.ProjectRole{ID: 7, Name: "Viewers"}
					if tc.inRole {
						role.Actors = []jira.RoleActor{{Type: jira.ActorTypeUser, ActorUser: &jira.RoleActorUser{AccountID: tc.actor.AccountID}}}
					}
					writeJSON(w, 200, role)
				}
			})
			err := c.RemoveRoleActor(ctx(t), "PAY", 7, tc.actor)
			if (err != nil) != tc.wantErr {
				t.Fatalf("RemoveRoleActor() error = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestFindGroup(t *testing.T) {
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		var vals []jira.Group
		if n := r.URL.Query().Get("groupName"); n == "platform-devs" {
			vals = append(vals, jira.Group{Name: n, GroupID: "g-1"})
		}
		if id := r.URL.Query().Get("groupId"); id == "g-1" {
			vals = append(vals, jira.Group{Name: "platform-devs", GroupID: id})
		}
		writeJSON(w, 200, map[string]any{"startAt": 0, "maxResults": 50, "total": len(vals), "isLast": true, "values": vals})
	})
	g, err := c.FindGroup(ctx(t), "platform-devs")
	if err != nil || g.GroupID != "g-1" {
		t.Fatalf("FindGroup() = %+v, %v; want g-1", g, err)
	}
	if g, err := c.GetGroupByID(ctx(t), "g-1"); err != nil || g.Name != "platform-devs" {
		t.Fatalf("GetGroupByID() = %+v, %v; want platform-devs", g, err)
	}
	if _, err := c.FindGroup(ctx(t), "nobody"); !jira.IsNotFound(err) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("FindGroup(nobody) error = %v, want not found naming it", err)
	}
	if _, err := c.GetGroupByID(ctx(t), "g-2"); !jira.IsNotFound(err) {
		t.Fatalf("GetGroupByID(g-2) error = %v, want not found", err)
	}
}
