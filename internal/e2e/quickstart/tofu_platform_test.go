//go:build platform

package quickstart

import (
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// testQuickstartOpenTofu applies the quickstart with OpenTofu (the provider
// through tofu's dev_overrides), checks that a second plan is empty and
// destroys it.
func testQuickstartOpenTofu(t *testing.T) {
	p := sandboxtest.Platform(t)
	requireQuickstartParts(t, p)
	w := newWorkspace(t, p, tofuCLI(t), quickstartDir)
	version := w.must("version", nil, "version")
	t.Logf("%s", firstLine(version.output))
	apply := w.must("apply", nil, "apply", "-input=false", "-auto-approve")
	plan := w.run("plan", nil, "plan", "-input=false", "-detailed-exitcode")
	if plan.code != 0 {
		t.Errorf("tofu plan after the apply exits %d, want 0 (no changes):\n%s", plan.code, tail(plan.output, 80))
	}
	destroy := w.must("destroy", nil, "destroy", "-input=false", "-auto-approve")
	left := countObjects(t, w)
	if left[sharedPolicies] > 0 {
		for _, what := range append(sharedObjects, sharedPolicies) {
			delete(left, what)
		}
	}
	for what, n := range left {
		if n != 0 {
			t.Errorf("%s: %d left after tofu destroy, want 0", what, n)
		}
	}
	t.Logf("tofu apply %s, plan %s, destroy %s", apply.took.Round(time.Second), plan.took.Round(time.Second), destroy.took.Round(time.Second))
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
