//go:build platform

package taskrunner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// scanFixturePackage is a dpkg package only this test's images have, so
// that its vulnerabilities touch no other test's scans on a shared platform.
const scanFixturePackage = "mc-taskrunner-scan-fixture"

// dpkgBuild writes a dpkg status file listing the fixture package at
// version into the image.
func dpkgBuild(version string) string {
	return `mkdir -p "$OUT/var/lib/dpkg" && printf 'Package: ` + scanFixturePackage + `\nStatus: install ok installed\nVersion: ` + version +
		`\nArchitecture: amd64\n\n' > "$OUT/var/lib/dpkg/status" && cp README.md.tmpl "$OUT/README"`
}

// hubPolicy makes (or finds) a replication policy in site B's Harbor that
// pushes taskrunner-test/scanned to the hub (site A) and returns its id.
func hubPolicy(t *testing.T, p *sandbox.Platform, hc *harbor.Client) int64 {
	t.Helper()
	ctx := context.Background()
	const name = "taskrunner-test-to-hub"
	if pols, err := hc.ListReplicationPolicies(ctx, name); err == nil {
		for _, pol := range pols {
			if pol.Name == name {
				return pol.ID
			}
		}
	}
	hub := p.Harbors[sandbox.HarborSiteA]
	regID, err := hc.CreateRegistry(ctx, harbor.Registry{Name: name, URL: hub.URL, Type: "harbor", Insecure: true,
		Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: hub.Username, AccessSecret: hub.Password}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := hc.CreateReplicationPolicy(ctx, harbor.ReplicationPolicy{
		Name: name, DestRegistry: harbor.RegistryRef(regID), Enabled: true, Override: true,
		Trigger: &harbor.ReplicationTrigger{Type: "manual"},
		Filters: []harbor.ReplicationFilter{{Type: "name", Value: harborProject + "/scanned"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSandboxRunnerScansAndReplicates: a Critical finding with failOn
// Critical fails the run naming the CVE; a clean image is scanned,
// replicated to the hub by the policy the run names, and the hub has the
// digest.
func TestSandboxRunnerScansAndReplicates(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	c := platformClient(t, p)
	hc, err := p.HarborClient(sandbox.TaskRunnerSite)
	if err != nil {
		t.Fatal(err)
	}
	ensureHarborProject(t, hc, harborProject)
	if err := p.AddVulnerabilities(sandbox.TaskRunnerSite,
		harborsim.Vulnerability{ID: "CVE-2026-71401", Package: scanFixturePackage, Versions: []string{"1.0-1"}, Severity: "Critical", Description: "taskrunner test fixture"},
		harborsim.Vulnerability{ID: "CVE-2026-71402", Package: scanFixturePackage, FixVersion: "1.0-2", Severity: "Medium", Description: "taskrunner test fixture"},
	); err != nil {
		t.Fatal(err)
	}
	policy := hubPolicy(t, p, hc)
	base := tasksv1.TaskRunSpec{
		Site:      sandbox.TaskRunnerSite,
		Source:    tasksv1.TaskRunSource{RepoURL: p.Bitbucket.TemplateURL(sandbox.TemplateGoService), Revision: "main"},
		Image:     tasksv1.TaskRunImage{Project: harborProject, Repository: "scanned"},
		Scan:      tasksv1.TaskRunScan{Enabled: true, FailOn: "Critical"},
		Replicate: []tasksv1.TaskRunReplication{{PolicyID: policy, Site: sandbox.HarborSiteA}},
	}

	vulnerable := base
	vulnerable.Build = tasksv1.TaskRunBuild{Command: dpkgBuild("1.0-1")}
	vulnerable.Image.Tag = "vulnerable"
	bad := waitEnded(t, c, startRun(t, c, "taskrunner-test-scan-critical", vulnerable), 3*time.Minute)
	if bad.Status.Phase != tasksv1.PhaseFailed || !strings.Contains(bad.Status.Message, "CVE-2026-71401") {
		t.Fatalf("vulnerable image: %s %q, want Failed naming CVE-2026-71401", bad.Status.Phase, bad.Status.Message)
	}
	wantSum := &tasksv1.TaskRunScanSummary{Total: 2, Fixable: 1, Severities: map[string]int64{"Critical": 1, "Medium": 1}, Vulnerabilities: []string{"CVE-2026-71401"}}
	if diff := cmp.Diff(wantSum, bad.Status.ScanSummary); diff != "" {
		t.Errorf("scan summary (-want +got):\n%s", diff)
	}
	if got := stepPhase(bad, tasksv1.StepReplicate); got != tasksv1.PhasePending {
		t.Errorf("replicate step %s after a failed scan, want Pending", got)
	}

	clean := base
	clean.Build = tasksv1.TaskRunBuild{Command: dpkgBuild("1.0-2")}
	clean.Image.Tag = "clean"
	good := waitEnded(t, c, startRun(t, c, "taskrunner-test-scan-clean", clean), 3*time.Minute)
	if good.Status.Phase != tasksv1.PhaseSucceeded {
		t.Fatalf("clean image: %s %q", good.Status.Phase, good.Status.Message)
	}
	if good.Status.ScanSummary == nil || good.Status.ScanSummary.Total != 0 {
		t.Errorf("clean scan summary %+v, want no vulnerabilities", good.Status.ScanSummary)
	}
	if len(good.Status.Replications) != 1 || good.Status.Replications[0].Status != harbor.StatusSucceed || good.Status.Replications[0].ExecutionID == 0 {
		t.Errorf("replications %+v, want one Succeed execution", good.Status.Replications)
	}
	hub, err := p.HarborClient(sandbox.HarborSiteA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.GetArtifact(context.Background(), harborProject, "scanned", good.Status.ImageDigest); err != nil {
		t.Errorf("the hub does not have %s: %v", good.Status.ImageDigest, err)
	}
}
