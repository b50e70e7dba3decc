//go:build platform

package quickstart

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfault"
)

// maxAttempts bounds how many times a step is run under faults, as a user
// would run a failed apply again.
const maxAttempts = 3

// requireQuickstartParts fails the test unless the platform runs what the
// quickstart needs.
func requireQuickstartParts(t *testing.T, p *sandbox.Platform) {
	t.Helper()
	parts := append(append(append([]string{}, sandboxtest.ClusterAPI...), sandboxtest.ArgoCD...), sandboxtest.Workload...)
	sandboxtest.Require(t, p, parts...)
}

// TestQuickstart runs the quickstart with terraform under faults, then with
// OpenTofu, one after the other: both register the quickstart's sites,
// site-a and site-b, whose root application and replication endpoint are
// named after them. The other tests of the package run beside it.
func TestQuickstart(t *testing.T) {
	t.Parallel()
	t.Run("terraform under faults without leaks", testQuickstartUnderFaultsWithoutLeaks)
	t.Run("opentofu", testQuickstartOpenTofu)
}

// testQuickstartUnderFaultsWithoutLeaks applies, plans and destroys the
// quickstart with terraform while every simulator (Harbor A and B,
// Bitbucket, Jira) answers 20% of the run's requests with 500, 502, 503,
// 429 or a connection reset and loses the answers of 20% of its writes.
// The faults are aimed at a "chaos" user of the run's own (Faults.Users),
// so that the other tests sharing the platform are not hit. The run
// converges, every backend holds each object once, the saved plan after
// the apply is empty, a plan with read-only credentials is empty too, and
// no secret of the run appears in the TRACE logs, the state, the plan's
// JSON, or the platform's Events.
func testQuickstartUnderFaultsWithoutLeaks(t *testing.T) {
	p := sandboxtest.Platform(t)
	requireQuickstartParts(t, p)
	w := newWorkspace(t, p, terraformCLI(t), quickstartDir)
	w.trace = true
	c := newChaos(t, w)
	c.set(t, true)
	t.Cleanup(func() { c.set(t, false) })

	applies := w.converge("apply", "apply", "-input=false", "-auto-approve")
	w.saveCopy("terraform.tfstate", "state-after-apply.json")
	robots, err := p.HarborRobotSecrets(context.Background(), sandbox.HarborSiteA)
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range robots {
		w.secrets.add("robot secret of "+name, secret)
	}

	c.set(t, false)
	counts := countObjects(t, w)
	delete(counts, sharedPolicies)
	for what, n := range counts {
		if n != 1 {
			t.Errorf("%s: %d after the apply, want exactly 1", what, n)
		}
	}
	c.set(t, true)

	plans := w.converge("plan", "plan", "-input=false", "-detailed-exitcode", "-out=saved.tfplan")
	show := w.must("show", nil, "show", "-json", "saved.tfplan")
	if err := os.WriteFile(filepath.Join(w.logDir, "saved-plan.json"), []byte(show.output), 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(show.output, `"resource_changes"`) {
		t.Errorf("show -json of the saved plan has no resource_changes:\n%s", tail(show.output, 5))
	}

	// Atlantis-style: a plan with read-only credentials everywhere.
	c.set(t, false)
	readOnlyPlan(t, w)

	c.set(t, true)
	destroys := w.converge("destroy", "destroy", "-input=false", "-auto-approve")
	c.set(t, false)
	stats := c.stats(t)
	left := countObjects(t, w)
	if left[sharedPolicies] > 0 {
		t.Logf("%d other policies from site-b to site-a share the endpoint and robot, which stay", left[sharedPolicies])
		for _, what := range append(sharedObjects, sharedPolicies) {
			delete(left, what)
		}
	}
	for what, n := range left {
		if n != 0 {
			t.Errorf("%s: %d left after the destroy, want 0", what, n)
		}
	}

	// The secrets scan: the run's files, then the platform's Events.
	leaks, scanned := w.secrets.scanDir(t, w.logDir)
	events := platformEvents(t, w)
	leaks = append(leaks, w.secrets.scanText("Kubernetes Events", events)...)
	for _, l := range leaks {
		t.Errorf("secret leaked: %s in %s", l.what, l.where)
	}

	var faults, total int64
	for _, st := range stats {
		faults += st.Errors + st.LostResponses
		total += st.Requests
	}
	t.Logf("applies %d, plans %d, destroys %d (attempts under faults, at most %d each)", applies, plans, destroys, maxAttempts)
	for _, name := range c.simNames() {
		st := stats[name]
		t.Logf("faults %-9s requests %5d  errors %4d (resets %3d)  lost answers %4d", name, st.Requests, st.Errors, st.Resets, st.LostResponses)
	}
	t.Logf("faults injected %d of %d requests; the provider logged %d retried HTTP requests", faults, total, countInLogs(t, w.logDir, "Retrying HTTP request"))
	t.Logf("objects counted after the apply: %v", counts)
	t.Logf("notices received by the webhook: %d", w.webhook.notices.Load())
	t.Logf("secrets scan: %d secrets (%s) in %d files, %d MB, and %d bytes of Events: %d leaks",
		w.secrets.count(), strings.Join(w.secrets.kinds(), ", "), countFiles(t, w.logDir), scanned>>20, len(events), len(leaks))
}

// converge runs a step until it succeeds, at most maxAttempts times, and
// returns how many runs it took. An exit code of 2 (a plan with changes
// under -detailed-exitcode) fails at once.
func (w *workspace) converge(step string, args ...string) int {
	w.t.Helper()
	for attempt := 1; ; attempt++ {
		r := w.run(step, nil, args...)
		switch {
		case r.code == 0:
			return attempt
		case r.code == 2:
			w.t.Fatalf("%s %s wants changes:\n%s", w.cli.name, step, tail(r.output, 80))
		case attempt == maxAttempts:
			w.t.Fatalf("%s %s failed %d times; last:\n%s", w.cli.name, step, attempt, tail(r.output, 60))
		}
		w.t.Logf("%s %s failed (attempt %d), running it again:\n%s", w.cli.name, step, attempt, tail(r.output, 15))
	}
}

// countInLogs counts the lines of the TRACE logs below dir that hold needle.
func countInLogs(t *testing.T, dir, needle string) int {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "*.trace.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(b), needle)
	}
	return n
}

// countFiles counts the files below dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// platformEvents returns every Event of the platform, all namespaces, as
// text: reason, message, note and the involved object.
func platformEvents(t *testing.T, w *workspace) string {
	t.Helper()
	l, err := kubeClient(t, w.p).CoreV1().Events(metav1.NamespaceAll).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("cannot list Events: %v", err)
	}
	var b strings.Builder
	for _, e := range l.Items {
		fmt.Fprintf(&b, "%s/%s %s %s %s: %s\n", e.Namespace, e.Name, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
	return b.String()
}

// chaos is the run's own user in every simulator, the one faults are aimed at.
type chaos struct {
	w                    *workspace
	harborUser, harborPW string
	bitbucketUser        string
	jiraEmail            string
}

// newChaos adds the run's chaos user to every simulator with the admin's
// rights and makes the run use it.
func newChaos(t *testing.T, w *workspace) *chaos {
	t.Helper()
	ctx := context.Background()
	c := &chaos{w: w, harborUser: "chaos-" + w.suffix, harborPW: "Chaos-" + randomName(16) + "-A1",
		bitbucketUser: "chaos-" + w.suffix, jiraEmail: "chaos-" + w.suffix + "@mcplatform.example"}
	for _, site := range sandbox.HarborSites {
		if err := w.p.AddHarborUser(ctx, site, c.harborUser, c.harborPW, true); err != nil {
			t.Fatal(err)
		}
	}
	bbPW, jiraToken := "chaos-app-password-"+randomName(16), "chaos-api-token-"+randomName(16)
	if err := w.p.AddBitbucketCredential(ctx, bitbucketsim.Credential{Username: c.bitbucketUser, Password: bbPW}); err != nil {
		t.Fatal(err)
	}
	if err := w.p.AddJiraCredential(ctx, jirasim.Credential{Email: c.jiraEmail, APIToken: jiraToken}); err != nil {
		t.Fatal(err)
	}
	w.env["TF_VAR_harbor_username"], w.env["TF_VAR_harbor_password"] = c.harborUser, c.harborPW
	w.env["MC_BITBUCKET_USERNAME"], w.env["MC_BITBUCKET_TOKEN"] = c.bitbucketUser, bbPW
	w.env["MC_JIRA_EMAIL"], w.env["MC_JIRA_API_TOKEN"] = c.jiraEmail, jiraToken
	w.secrets.addBasic("chaos Harbor password", c.harborUser, c.harborPW)
	w.secrets.addBasic("chaos Bitbucket app password", c.bitbucketUser, bbPW)
	w.secrets.addBasic("chaos Jira API token", c.jiraEmail, jiraToken)
	return c
}

// faultsFor returns the run's faults aimed at user, or none when off.
func faultsFor(user string, on bool) simfault.Faults {
	if !on {
		return simfault.Faults{}
	}
	return simfault.Faults{
		ErrorRate:        0.2,
		Statuses:         []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusTooManyRequests, simfault.StatusConnectionReset},
		RetryAfter:       1,
		LostResponseRate: 0.2,
		Users:            []string{user},
	}
}

// set turns the faults on every simulator on or off.
func (c *chaos) set(t *testing.T, on bool) {
	t.Helper()
	ctx := context.Background()
	p := c.w.p
	for _, site := range sandbox.HarborSites {
		if err := p.SetHarborFaults(ctx, site, faultsFor(c.harborUser, on)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.SetBitbucketFaults(ctx, faultsFor(c.bitbucketUser, on)); err != nil {
		t.Fatal(err)
	}
	if err := p.SetJiraFaults(ctx, faultsFor(c.jiraEmail, on)); err != nil {
		t.Fatal(err)
	}
}

func (c *chaos) simNames() []string {
	return []string{"harbor-" + sandbox.HarborSiteA, "harbor-" + sandbox.HarborSiteB, "bitbucket", "jira"}
}

// stats returns what each simulator's injector did to the run.
func (c *chaos) stats(t *testing.T) map[string]simfault.Stats {
	t.Helper()
	ctx := context.Background()
	p := c.w.p
	out := map[string]simfault.Stats{}
	for _, site := range sandbox.HarborSites {
		st, err := p.HarborFaultStats(ctx, site)
		if err != nil {
			t.Fatal(err)
		}
		out["harbor-"+site] = st
	}
	bb, err := p.BitbucketFaultStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ji, err := p.JiraFaultStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["bitbucket"], out["jira"] = bb, ji
	return out
}

// readOnlyPlan plans the applied quickstart as Atlantis would on a pull
// request: a platform token of a ServiceAccount bound to a ClusterRole
// with only get, list and watch, and read-only Bitbucket and Jira
// credentials that the simulators answer 403 on any write. The plan must
// succeed and be empty.
func readOnlyPlan(t *testing.T, w *workspace) {
	t.Helper()
	ctx := context.Background()
	kube := kubeClient(t, w.p)
	name := "mc-e2e-readonly-" + w.suffix
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.namespace}}
	if _, err := kube.CoreV1().ServiceAccounts(w.namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cleanup := bindReadOnly(t, kube, name, w.namespace)
	t.Cleanup(cleanup)
	token := serviceAccountToken(t, kube, w.namespace, name)
	bbPW, jiraToken := "readonly-app-password-"+randomName(16), "readonly-api-token-"+randomName(16)
	bbUser, jiraEmail := "readonly-"+w.suffix, "readonly-"+w.suffix+"@mcplatform.example"
	if err := w.p.AddBitbucketCredential(ctx, bitbucketsim.Credential{Username: bbUser, Password: bbPW, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if err := w.p.AddJiraCredential(ctx, jirasim.Credential{Email: jiraEmail, APIToken: jiraToken, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	w.secrets.add("read-only platform token", token)
	w.secrets.addBasic("read-only Bitbucket app password", bbUser, bbPW)
	w.secrets.addBasic("read-only Jira API token", jiraEmail, jiraToken)

	readOnly := map[string]string{
		"MC_KUBECONFIG":             "",
		"MC_HOST":                   w.p.APIServerURL,
		"MC_TOKEN":                  token,
		"MC_CLUSTER_CA_CERTIFICATE": string(w.p.CACertPEM),
		"MC_BITBUCKET_USERNAME":     bbUser,
		"MC_BITBUCKET_TOKEN":        bbPW,
		"MC_JIRA_EMAIL":             jiraEmail,
		"MC_JIRA_API_TOKEN":         jiraToken,
	}
	r := w.run("plan-read-only", readOnly, "plan", "-input=false", "-detailed-exitcode", "-lock=false")
	switch r.code {
	case 0:
		t.Logf("read-only plan: empty, in %s", r.took.Round(time.Second))
	case 2:
		t.Errorf("the read-only plan wants changes:\n%s", tail(r.output, 80))
	default:
		t.Errorf("the read-only plan failed (a plan that needs write access is a bug):\n%s", tail(r.output, 60))
	}
}
