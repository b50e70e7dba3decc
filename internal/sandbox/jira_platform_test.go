//go:build platform

package sandbox_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestJiraSite checks the platform's Jira: the env file, the admin's
// credentials, the seeded identities, seeding over /_sandbox/users, and a
// project round trip.
func TestJiraSite(t *testing.T) {
	p := sandboxtest.Platform(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env, err := os.ReadFile(p.EnvPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"MC_SANDBOX_JIRA_URL", "MC_SANDBOX_JIRA_EMAIL", "MC_SANDBOX_JIRA_API_TOKEN"} {
		if !strings.Contains(string(env), "export "+v+"=") {
			t.Errorf("env file lacks %s", v)
		}
	}
	c, err := p.JiraClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Myself(ctx); err != nil {
		t.Fatalf("Myself() error = %v", err)
	}
	if ms, err := c.ListGroupMembers(ctx, jirasim.PlatformDevs); err != nil || len(ms) < 2 {
		t.Fatalf("ListGroupMembers(platform-devs) = %+v, %v", ms, err)
	}
	id := "557058:sandbox-test-" + suffix()
	resp, err := http.Post(p.Jira.URL+"/_sandbox/users", "application/json",
		strings.NewReader(`{"account_id":"`+id+`","display_name":"Sandbox Test","email":"sandbox-test@mcplatform.example"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_sandbox/users = %s, want 201", resp.Status)
	}
	if _, err := c.GetUser(ctx, id); err != nil {
		t.Fatalf("GetUser(seeded) error = %v", err)
	}
	key := "SBX" + strings.ToUpper(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, suffix()))
	if len(key) > 10 {
		key = key[:10]
	}
	if _, err := c.CreateProject(ctx, jira.CreateProject{Key: key, Name: "Sandbox test " + key, LeadAccountID: id, ProjectTypeKey: "software"}); err != nil {
		t.Fatalf("CreateProject(%s) error = %v", key, err)
	}
	if err := c.DeleteProject(ctx, key, false); err != nil {
		t.Fatalf("DeleteProject(%s) error = %v", key, err)
	}
}
