//go:build platform

package crash

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// restartCase restarts a part of the platform while an apply of kind runs.
type restartCase struct {
	// component is the platform's component restarted.
	component string
	// kind is the row of killCases whose configuration, probe and counters
	// are used: the restart happens when the probe fires.
	kind string
}

// TestRestarts runs on a platform of its own (sandboxtest.Own): it
// restarts parts of it, which would disturb the packages sharing the
// platform of make test (and hack/test-platform.sh fails a run whose
// shared platform was restarted).
//
// Each subtest restarts one part while an apply of a kind that depends on
// it runs, right after the kind's first backend write: the apply either
// finishes or fails with a clear error, and the next apply converges with
// every backend object made exactly once. The kube-apiserver goes first,
// alone (everything depends on it); then Argo CD's repo-server, a Harbor
// simulator and the controller, at once (they share nothing). The Harbor
// simulator is restarted a second time right after engine.Converge's
// Create, which must then create again what the restart lost. The last
// stops the controller right after it called Create.
func TestRestarts(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Own(t)
	sandboxtest.Require(t, p, append(append(sandboxtest.ClusterAPI, sandboxtest.ArgoCD...), sandboxtest.Workload...)...)
	// One build of the provider for every subtest.
	providerDir(t)
	b := newBackends(t, p)
	rows := map[string]killCase{}
	for _, c := range killCases(t, p, b) {
		rows[c.kind] = c
	}
	run := func(t *testing.T, rc restartCase) {
		c, ok := rows[rc.kind]
		if !ok || c.skip != "" {
			t.Fatalf("no usable row %q in killCases", rc.kind)
		}
		runRestartCase(t, p, b, rc.component, c)
	}
	// The kinds of the killed-apply table that need a platform of their
	// own go first, before anything is restarted.
	for _, c := range rows {
		if c.ownPlatform && c.skip == "" {
			t.Run("killed/"+c.kind, func(t *testing.T) { runKillCase(t, b, c) })
		}
	}
	t.Run("kube-apiserver", func(t *testing.T) {
		run(t, restartCase{component: "kube-apiserver", kind: "mc_cluster"})
	})
	t.Run("group", func(t *testing.T) {
		t.Run("argocd-repo-server", func(t *testing.T) {
			t.Parallel()
			run(t, restartCase{component: "argocd-repo-server", kind: "mc_helm_release"})
		})
		t.Run("harbor-site-b", func(t *testing.T) {
			t.Parallel()
			// The simulators keep their state in memory: a restart after
			// the endpoint and the policy were made loses them, and the
			// create's wait (engine.Converge) creates them again.
			// The edge Harbor, where the endpoint and the policy go after
			// the robot account is made in the hub.
			run(t, restartCase{component: "harbor-" + sandbox.HarborSiteB, kind: "mc_image_replication"})
			// Whether the apply's wait saw the replication vanish depends
			// on when the probe fired; here it always does.
			t.Run("converge", func(t *testing.T) { testConvergeAfterVanish(t, p, b) })
		})
		t.Run("controller", func(t *testing.T) {
			t.Parallel()
			testControllerRestart(t, p, b)
		})
	})
}

// runRestartCase applies c, restarts component when c's probe fires, and
// checks the outcome: the apply succeeded, or failed with an error
// diagnostic of the provider (not a crash of the plugin); the next apply
// converges, every object exists once, the plan is empty, and destroy
// removes them all.
func runRestartCase(t *testing.T, p *sandbox.Platform, b *backends, component string, c killCase) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	w := newWorkdir(t, providerBlock(p)+c.config)
	// The provider's log, to tell where an apply that hangs waits.
	providerLog := filepath.Join(t.TempDir(), "terraform.log")
	w.env = append(w.env, "TF_LOG_CORE=ERROR", "TF_LOG_PROVIDER=DEBUG", "TF_LOG_PATH="+providerLog)
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if out, err := w.run(ctx, "destroy", "-auto-approve"); err != nil {
				t.Logf("cleanup: terraform destroy: %v\n%s", err, tail(out))
			}
		}
	})

	apply := w.startApply(ctx)
	after := w.waitFor(ctx, apply, c.limit, c.probe)
	r0 := time.Now()
	if err := p.Restart(ctx, component); err != nil {
		apply.kill()
		t.Fatalf("cannot restart %s: %v", component, err)
	}
	t.Logf("%s: restarted %s %s into the apply, %s; back in %s", c.kind, component, after.Round(time.Millisecond), c.killPoint, time.Since(r0).Round(time.Millisecond))
	var err error
	select {
	case err = <-apply.exited:
		apply.err = err
	case <-time.After(restartBound):
		apply.kill()
		err = apply.err
		t.Errorf("the apply neither finished nor failed within %s of the restart of %s; the end of the provider's log:\n%s", restartBound, component, logTail(providerLog, 40))
	}
	out := apply.out.String()
	outcome := "the apply finished"
	if err != nil {
		outcome = "the apply failed: " + firstError(out)
		if !strings.Contains(out, "Error: ") || crashed(out) {
			t.Errorf("the apply during the restart of %s failed without a clear error (%v):\n%s", component, err, tail(out))
		}
	}
	if w := firstDiagnostic(out, "Warning: ", "created again"); w != "" {
		// Converge created again what the restart lost (engine.Recreation).
		outcome += " (" + w + ")"
	}
	t.Logf("%s: %s after %s", c.kind, outcome, time.Since(apply.started).Round(time.Millisecond))

	second := w.apply(ctx)
	got, err := countAll(ctx, c.counters)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(each(c.counters, 1), got); diff != "" {
		t.Errorf("backend objects after the next apply (-want +got):\n%s", diff)
	}
	w.planEmpty(ctx)
	w.destroy(ctx)
	destroyed = true
	t.Logf("%s: next apply %s, counts %v; %s in all", c.kind, second.Round(time.Millisecond), got, time.Since(t0).Round(time.Second))
}

// restartBound is how long an apply may go on after a restart: the parts
// come back within seconds, and the engine's retries and waits have then
// seen them again.
const restartBound = 3 * time.Minute

// logTail is the last n lines of the file at path.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// firstError is the first error diagnostic in terraform's output: its
// summary and its detail, on one line.
func firstError(out string) string {
	if d := firstDiagnostic(out, "Error: ", ""); d != "" {
		return d
	}
	return "(no error diagnostic)"
}

// firstDiagnostic is the first diagnostic in terraform's output whose
// heading starts with prefix ("Error: ", "Warning: ") and contains
// contains: its summary and its detail, on one line; "" when there is
// none.
func firstDiagnostic(out, prefix, contains string) string {
	i := -1
	for from := 0; ; {
		j := strings.Index(out[from:], prefix)
		if j < 0 {
			return ""
		}
		j += from
		heading, _, _ := strings.Cut(out[j:], "\n")
		if strings.Contains(heading, contains) {
			i = j
			break
		}
		from = j + len(prefix)
	}
	var parts []string
	for _, line := range strings.Split(out[i:], "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "with ") || strings.HasPrefix(line, "on ") || strings.Contains(line, "resource \"") || line == "" {
			continue
		}
		if len(parts) > 0 && (strings.HasPrefix(line, "Error: ") || strings.HasPrefix(line, "Warning: ")) {
			break
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, " ")
}

// crashed reports whether terraform's output tells of a crash of the
// provider plugin rather than an error it reported.
func crashed(out string) bool {
	for _, s := range []string{"panic:", "The plugin encountered an error", "Plugin did not respond", "plugin exited"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}
