//go:build !platform

package sandbox

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

// TestMain lets this test binary become the Jira child that startJira
// starts. (With the platform tag, sandboxtest.Main does that.)
func TestMain(m *testing.M) {
	RunChildIfRequested()
	os.Exit(m.Run())
}

// TestStartJira starts the Jira simulator as Up does, as a detached child,
// and checks the seeded identities, the credentials, the env file and Down.
func TestStartJira(t *testing.T) {
	dir := t.TempDir()
	if err := prepareStateDir(dir); err != nil {
		t.Fatal(err)
	}
	s := &starter{o: Options{StateDir: dir, Logf: t.Logf}, p: &Platform{StateDir: dir, EnvPath: dir + "/env", Harbors: map[string]HarborSite{}}}
	t.Cleanup(func() {
		if err := Down(dir); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.startJira(ctx); err != nil {
		t.Fatalf("startJira() error = %v", err)
	}
	p := s.p
	if !p.jiraHealthy(ctx) {
		t.Fatal("the Jira child is not healthy")
	}
	c, err := p.JiraClient()
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Myself(ctx)
	if err != nil || me.EmailAddress != JiraAdminEmail {
		t.Fatalf("Myself() = %+v, %v", me, err)
	}
	for _, id := range []string{jirasim.AliceAccountID, jirasim.BobAccountID, jirasim.CarolAccountID} {
		if _, err := c.GetUser(ctx, id); err != nil {
			t.Errorf("GetUser(%s) error = %v", id, err)
		}
	}
	members, err := c.ListGroupMembers(ctx, jirasim.PlatformDevs)
	if err != nil || len(members) != 2 {
		t.Errorf("ListGroupMembers(platform-devs) = %+v, %v; want alice and bob", members, err)
	}
	bad, err := jira.NewCloud(p.Jira.URL, jira.Auth{Email: p.Jira.Email, APIToken: p.Jira.APIToken + "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Myself(ctx); !jira.IsUnauthorized(err) {
		t.Errorf("Myself(wrong token) error = %v, want 401", err)
	}
	if err := p.SetJiraFaults(ctx, jirasim.Faults{ErrorRate: 1, Statuses: []int{http.StatusServiceUnavailable}}); err != nil {
		t.Fatal(err)
	}
	noRetry, err := jira.NewCloud(p.Jira.URL, jira.Auth{Email: p.Jira.Email, APIToken: p.Jira.APIToken}, jira.WithHTTPClient(http.DefaultClient))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noRetry.Myself(ctx); jira.StatusCode(err) != http.StatusServiceUnavailable {
		t.Errorf("Myself() with faults error = %v, want 503", err)
	}
	if err := p.SetJiraFaults(ctx, jirasim.Faults{}); err != nil {
		t.Fatal(err)
	}
	if st, err := p.JiraFaultStats(ctx); err != nil || st.Errors != 1 {
		t.Errorf("JiraFaultStats() = %+v, %v; want one error", st, err)
	}
	if err := s.writeEnv(); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(p.EnvPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"export MC_SANDBOX_JIRA_URL='" + p.Jira.URL + "'",
		"export MC_SANDBOX_JIRA_EMAIL='" + JiraAdminEmail + "'",
		"export MC_SANDBOX_JIRA_API_TOKEN='" + p.Jira.APIToken + "'",
	} {
		if !strings.Contains(string(env), line+"\n") {
			t.Errorf("env file lacks %s", line)
		}
	}
	if err := Down(dir); err != nil {
		t.Fatal(err)
	}
	if p.jiraHealthy(ctx) {
		t.Error("Jira still answers after Down")
	}
}

// TestStartJiraInProcess: the in-process simulator for tests that inject
// faults answers with the sandbox's identities.
func TestStartJiraInProcess(t *testing.T) {
	inst, site, err := StartJira()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	c, err := jira.NewCloud(site.URL, jira.Auth{Email: site.Email, APIToken: site.APIToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.GetUser(ctx, jirasim.CarolAccountID); err != nil {
		t.Fatalf("GetUser(carol) error = %v", err)
	}
}
