//go:build platform

package sandbox_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestBitbucketSimulatorOfThePlatform checks the platform's Bitbucket: the
// env file names it, the seeded identities are there, an account seeded
// as mc-sandbox atlassian-user does it can be granted, and a repository
// created through the API clones with git from its clone link.
func TestBitbucketSimulatorOfThePlatform(t *testing.T) {
	p := sandboxtest.Platform(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env, err := sandbox.ReadEnvFile(p.EnvPath)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"MC_SANDBOX_BITBUCKET_URL": p.Bitbucket.URL, "MC_SANDBOX_BITBUCKET_USERNAME": sandbox.BitbucketUsername,
		"MC_SANDBOX_BITBUCKET_PASSWORD": p.Bitbucket.Password, "MC_SANDBOX_BITBUCKET_WORKSPACE": sandbox.BitbucketWorkspace,
	} {
		if env[k] != want || want == "" {
			t.Errorf("env file %s = %q, want %q", k, env[k], want)
		}
	}
	c := bitbucket.NewCloud(env["MC_SANDBOX_BITBUCKET_URL"], bitbucket.Auth{Username: env["MC_SANDBOX_BITBUCKET_USERNAME"], Token: env["MC_SANDBOX_BITBUCKET_PASSWORD"]})
	ws := env["MC_SANDBOX_BITBUCKET_WORKSPACE"]
	if _, err := c.GetWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	for _, u := range bitbucketsim.SeedUsers {
		if _, err := c.GetUser(ctx, u.AccountID); err != nil {
			t.Errorf("seeded user %s: %v", u.DisplayName, err)
		}
	}
	const erin = "557058:0000000e-0000-4000-8000-0000000e7a1e"
	if err := sandbox.AddAtlassianUser(ctx, sandbox.AtlassianSims(env), sandbox.AtlassianUser{AccountID: erin, DisplayName: "Erin"}); err != nil {
		t.Fatal(err)
	}
	const key = "SBXPLAT"
	if _, _, err := bitbucket.CreateOrGetProject(ctx, c, ws, bitbucket.ProjectInput{Key: key, Name: "sandbox platform test", IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutProjectUserPermission(ctx, ws, key, erin, bitbucket.PermissionWrite); err != nil {
		t.Fatalf("granting the seeded account: %v", err)
	}
	if _, err := c.PutProjectGroupPermission(ctx, ws, key, bitbucketsim.GroupSlug("platform-devs"), bitbucket.PermissionRead); err != nil {
		t.Fatalf("granting the seeded group: %v", err)
	}
	r, _, err := bitbucket.CreateOrGetRepository(ctx, c, ws, "sbx-platform-test", bitbucket.RepositoryInput{ProjectKey: key, IsPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.DeleteRepository(context.Background(), ws, r.Slug)
		_ = c.DeleteProject(context.Background(), ws, key)
	})
	u, err := url.Parse(r.CloneURL("https"))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), p.Bitbucket.Password)
	dir := filepath.Join(t.TempDir(), "clone")
	cmd := exec.CommandContext(ctx, "git", "clone", u.String(), dir)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git clone %s: %v\n%s", r.CloneURL("https"), err, strings.ReplaceAll(string(out), p.Bitbucket.Password, "***"))
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		t.Fatalf("the clone has no .git: %v", err)
	}
}
