package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
)

func TestReadEnvFileUndoesShellQuote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	want := map[string]string{"A": "plain", "B": "it's quoted", "C": ""}
	content := ""
	for _, k := range []string{"A", "B", "C"} {
		content += "export " + k + "=" + shellQuote(want[k]) + "\n"
	}
	if err := os.WriteFile(path, []byte(content+"# comment\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ReadEnvFile (-want +got):\n%s", diff)
	}
}

// TestAtlassianSeedingAndFaults seeds a user and a group into a Bitbucket
// simulator named by env-file variables, as mc-sandbox atlassian-user does,
// and sets and reads its faults over HTTP, as tests in other processes do.
func TestAtlassianSeedingAndFaults(t *testing.T) {
	inst, err := bitbucketsim.Start("127.0.0.1:0", bitbucketsim.Options{Username: BitbucketUsername, Password: "pw", GitRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env := map[string]string{"MC_SANDBOX_BITBUCKET_URL": inst.APIURL(), "MC_SANDBOX_BITBUCKET_USERNAME": BitbucketUsername, "MC_SANDBOX_BITBUCKET_PASSWORD": "pw"}
	sims := AtlassianSims(env)
	if diff := cmp.Diff([]AtlassianSim{{Name: "Bitbucket", URL: inst.URL, Username: BitbucketUsername, Password: "pw"}}, sims); diff != "" {
		t.Fatalf("AtlassianSims (-want +got):\n%s", diff)
	}
	const dave = "557058:0000000d-0000-4000-8000-00000000da7e"
	if err := AddAtlassianUser(ctx, sims, AtlassianUser{AccountID: dave, DisplayName: "Dave", Email: "dave@example.com"}); err != nil {
		t.Fatalf("AddAtlassianUser() error = %v", err)
	}
	if err := AddAtlassianGroup(ctx, sims, AtlassianGroup{Name: "SRE Team", Members: []string{dave}}); err != nil {
		t.Fatalf("AddAtlassianGroup() error = %v", err)
	}
	if err := AddAtlassianGroup(ctx, sims, AtlassianGroup{Name: "ghosts", Members: []string{"557058:ffffffff-0000-4000-8000-000000000000"}}); err == nil {
		t.Fatal("AddAtlassianGroup() with an unknown member succeeded")
	}
	if err := AddAtlassianUser(ctx, nil, AtlassianUser{AccountID: dave}); err == nil {
		t.Fatal("AddAtlassianUser() with no simulator succeeded")
	}

	p := &Platform{Bitbucket: BitbucketSim{URL: inst.APIURL(), Username: BitbucketUsername, Password: "pw", Workspace: BitbucketWorkspace}}
	c := p.BitbucketClient()
	if u, err := c.GetUser(ctx, dave); err != nil || u.DisplayName != "Dave" {
		t.Fatalf("GetUser(dave) = %+v, %v", u, err)
	}
	if _, err := c.CreateProject(ctx, BitbucketWorkspace, bitbucket.ProjectInput{Key: "SRE", Name: "sre"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutProjectGroupPermission(ctx, BitbucketWorkspace, "SRE", bitbucketsim.GroupSlug("SRE Team"), bitbucket.PermissionWrite); err != nil {
		t.Fatalf("granting the seeded group: %v", err)
	}
	if err := p.SetBitbucketFaults(ctx, bitbucketsim.Faults{ErrorRate: 1, Statuses: []int{503}}); err != nil {
		t.Fatalf("SetBitbucketFaults() error = %v", err)
	}
	if p.bitbucketHealthy(ctx) {
		t.Fatal("bitbucketHealthy() = true while every request fails")
	}
	if err := p.SetBitbucketFaults(ctx, bitbucketsim.Faults{}); err != nil {
		t.Fatal(err)
	}
	st, err := p.BitbucketFaultStats(ctx)
	if err != nil || st.Errors != 1 {
		t.Fatalf("BitbucketFaultStats() = %+v, %v; want 1 error (the health check)", st, err)
	}
	if !p.bitbucketHealthy(ctx) {
		t.Fatal("bitbucketHealthy() = false after the faults were turned off")
	}
}
