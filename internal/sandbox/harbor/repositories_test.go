package harborsim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

// apiCall makes one API request with basic credentials and returns the
// status and the body.
func apiCall(t *testing.T, method, u, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRepositoriesAndHarborListing pushes into two private projects and
// checks the repositories API, its permissions, the replicator's listing of
// a Harbor through the API with a least-privilege robot, the catalog's
// permission and repository deletion.
func TestRepositoriesAndHarborListing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := newMemSite(t, false)
	admin := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "admin", Password: sitePassword}))
	private := false
	for _, p := range []string{"apps", "secret"} {
		if _, err := s.client.CreateProject(ctx, harbor.ProjectReq{ProjectName: p, Public: &private}); err != nil {
			t.Fatal(err)
		}
	}
	img, _ := random.Image(256, 1)
	dg, _ := img.Digest()
	for _, r := range []string{"apps/web:1", "apps/team/api:2", "secret/db:1"} {
		if err := remote.Write(ref(t, s.h.URL, r), img, admin, remote.WithContext(ctx)); err != nil {
			t.Fatalf("push %s: %v", r, err)
		}
	}
	pull, err := s.client.CreateRobot(ctx, harbor.RobotCreate{Name: "pull", Level: "system", Duration: -1,
		Permissions: []harbor.RobotPermission{{Kind: "project", Namespace: "apps", Access: []harbor.RobotAccess{
			{Resource: "repository", Action: "list"}, {Resource: "repository", Action: "pull"},
			{Resource: "artifact", Action: "list"}, {Resource: "artifact", Action: "read"}, {Resource: "tag", Action: "list"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	robotUser, robotPass := pull.Name, pull.Secret.Reveal()
	api := s.h.URL + "/api/v2.0"

	// The admin lists a project's repositories, newest first, with
	// Harbor's fields and paging.
	status, body := apiCall(t, "GET", api+"/projects/apps/repositories?page_size=1", "admin", sitePassword)
	if status != http.StatusOK {
		t.Fatalf("GET repositories = %d %s", status, body)
	}
	var repos []map[string]any
	if err := json.Unmarshal([]byte(body), &repos); err != nil || len(repos) != 1 {
		t.Fatalf("GET repositories page 1 = %s, %v; want one repository", body, err)
	}
	got := map[string]any{"name": repos[0]["name"], "artifact_count": repos[0]["artifact_count"], "pull_count": repos[0]["pull_count"]}
	if diff := cmp.Diff(map[string]any{"name": "apps/team/api", "artifact_count": 1.0, "pull_count": 0.0}, got); diff != "" {
		t.Errorf("first repository (-want +got):\n%s", diff)
	}
	for _, k := range []string{"id", "project_id", "creation_time", "update_time"} {
		if _, ok := repos[0][k]; !ok {
			t.Errorf("repository lacks %s: %s", k, body)
		}
	}

	// Permissions: the robot lists its project, not the other one; nobody
	// anonymous lists a private project.
	tests := []struct {
		name, user, pass, project string
		want                      int
	}{
		{"robot, its project", robotUser, robotPass, "apps", http.StatusOK},
		{"robot, another project", robotUser, robotPass, "secret", http.StatusForbidden},
		{"anonymous, private project", "", "", "apps", http.StatusUnauthorized},
		{"anonymous, public project", "", "", "library", http.StatusOK},
	}
	for _, tt := range tests {
		if status, body := apiCall(t, "GET", api+"/projects/"+tt.project+"/repositories", tt.user, tt.pass); status != tt.want {
			t.Errorf("%s: GET repositories = %d %s; want %d", tt.name, status, body, tt.want)
		}
	}

	// The replicator lists the Harbor through the API with the robot's
	// credentials: its project only (and the empty public library).
	src := harborsim.Endpoint{Name: "site", Type: "harbor", URL: s.h.URL, Username: robotUser, Password: robotPass}
	arts, err := (&harborsim.OCIReplicator{}).List(ctx, src)
	if err != nil {
		t.Fatalf("List(harbor endpoint as robot) error = %v", err)
	}
	var listed []string
	for _, a := range arts {
		if a.Digest != dg.String() {
			t.Errorf("artifact %s digest = %s; want %s", a.Repository, a.Digest, dg)
		}
		listed = append(listed, a.Repository+":"+a.Tags[0])
	}
	slices.Sort(listed)
	if diff := cmp.Diff([]string{"apps/team/api:2", "apps/web:1"}, listed); diff != "" {
		t.Errorf("listed artifacts (-want +got):\n%s", diff)
	}
	// The same robot may not list the catalog; a system robot with
	// catalog:read may.
	if status, _ := apiCall(t, "GET", s.h.URL+"/v2/_catalog", robotUser, robotPass); status != http.StatusForbidden {
		t.Errorf("catalog as a project robot = %d; want 403", status)
	}
	cat, err := s.client.CreateRobot(ctx, harbor.RobotCreate{Name: "cat", Level: "system", Duration: -1,
		Permissions: []harbor.RobotPermission{{Kind: "system", Namespace: "/", Access: []harbor.RobotAccess{{Resource: "catalog", Action: "read"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := apiCall(t, "GET", s.h.URL+"/v2/_catalog", cat.Name, cat.Secret.Reveal()); status != http.StatusOK {
		t.Errorf("catalog as a robot with catalog:read = %d %s; want 200", status, body)
	}

	// Deletion needs repository:delete; the name is encoded twice.
	del := api + "/projects/apps/repositories/team%252Fapi"
	if status, _ := apiCall(t, "DELETE", del, robotUser, robotPass); status != http.StatusForbidden {
		t.Errorf("DELETE repository as the pull robot = %d; want 403", status)
	}
	if status, _ := apiCall(t, "DELETE", api+"/projects/apps/repositories/team%2Fapi", "admin", sitePassword); status != http.StatusNotFound {
		t.Errorf("DELETE repository encoded once = %d; want 404", status)
	}
	if status, body := apiCall(t, "DELETE", del, "admin", sitePassword); status != http.StatusOK {
		t.Fatalf("DELETE repository = %d %s", status, body)
	}
	if status, _ := apiCall(t, "DELETE", del, "admin", sitePassword); status != http.StatusNotFound {
		t.Errorf("second DELETE repository = %d; want 404", status)
	}
	if status, _ := apiCall(t, "GET", del+"/artifacts", "admin", sitePassword); status != http.StatusNotFound {
		t.Errorf("artifacts of the deleted repository = %d; want 404", status)
	}
	if _, err := remote.Head(ref(t, s.registryURL, "apps/team/api@"+dg.String()), remote.WithContext(ctx)); statusOf(err) != http.StatusNotFound {
		t.Errorf("the registry still serves the deleted manifest: %v", err)
	}
	status, body = apiCall(t, "GET", api+"/projects/apps/repositories", "admin", sitePassword)
	if err := json.Unmarshal([]byte(body), &repos); status != http.StatusOK || err != nil || len(repos) != 1 || repos[0]["name"] != "apps/web" {
		t.Errorf("repositories after the deletion = %d %s; want apps/web only", status, body)
	}
}
