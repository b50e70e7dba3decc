//go:build platform

package quickstart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// siteModule is a root module with one site of the platform plane.
const siteModule = `terraform {
  required_providers {
    mc = {
      source = "mcplatform/mc"
    }
  }
}

provider "mc" {}

variable "description" {
  type = string
}

resource "mc_site" "this" {
  name        = %q
  description = var.description
  labels = {
    team = %q
  }
}
`

// TestParallelPlans plans two root modules, each with its own site in one
// registry namespace, at the same time against one platform, as Atlantis
// does for two projects of one pull request: after both are applied (also
// at the same time), both plans are empty; with a change in one module
// only, that one plans exactly that change and the other stays empty.
func TestParallelPlans(t *testing.T) {
	t.Parallel() // beside TestQuickstart: its names are its own
	p := sandboxtest.Platform(t)
	tf := terraformCLI(t)
	var ws [2]*workspace
	run := randomName(5)
	for i := range ws {
		src := t.TempDir()
		module := fmt.Sprintf(siteModule, fmt.Sprintf("%s-par-%d", run, i+1), fmt.Sprintf("team-%d", i+1))
		if err := os.WriteFile(filepath.Join(src, "main.tf"), []byte(module), 0o644); err != nil {
			t.Fatal(err)
		}
		ws[i] = newWorkspace(t, p, tf, src)
		if i > 0 {
			ws[i].env["MC_NAMESPACE"] = ws[0].namespace
		}
		ws[i].env["TF_VAR_description"] = "parallel plans"
	}
	both := func(step string, args ...string) [2]result {
		var out [2]result
		var wg sync.WaitGroup
		for i := range ws {
			wg.Go(func() { out[i] = ws[i].run(step, nil, args...) })
		}
		wg.Wait()
		return out
	}
	for i, r := range both("apply", "apply", "-input=false", "-auto-approve") {
		if r.code != 0 {
			t.Fatalf("apply of module %d failed:\n%s", i+1, tail(r.output, 40))
		}
	}
	t.Cleanup(func() {
		for i, r := range both("destroy", "destroy", "-input=false", "-auto-approve") {
			if r.code != 0 {
				t.Errorf("destroy of module %d failed:\n%s", i+1, tail(r.output, 40))
			}
		}
	})
	empty := both("plan", "plan", "-input=false", "-detailed-exitcode")
	for i, r := range empty {
		if r.code != 0 {
			t.Errorf("plan of module %d exits %d, want 0 (no changes):\n%s", i+1, r.code, tail(r.output, 40))
		}
	}
	ws[0].env["TF_VAR_description"] = "parallel plans, changed"
	got := both("plan-change", "plan", "-input=false", "-detailed-exitcode")
	if got[0].code != 2 || !strings.Contains(got[0].output, "0 to add, 1 to change, 0 to destroy") {
		t.Errorf("plan of the changed module exits %d, want 2 with one change:\n%s", got[0].code, tail(got[0].output, 40))
	}
	if got[1].code != 0 {
		t.Errorf("plan of the unchanged module exits %d beside the other's change, want 0:\n%s", got[1].code, tail(got[1].output, 40))
	}
	ws[0].env["TF_VAR_description"] = "parallel plans"
	t.Logf("parallel plans: %s and %s with nothing to change; %s and %s with one change in the first",
		empty[0].took.Round(time.Second), empty[1].took.Round(time.Second), got[0].took.Round(time.Second), got[1].took.Round(time.Second))
}
