//go:build platform

package project_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestHarborForceDestroy: a Harbor project holding repositories (one of
// them nested, whose name Harbor wants escaped twice) is not deleted
// without force_destroy, and Harbor's refusal is shown; with it, the
// repositories go first, then the project.
func TestHarborForceDestroy(t *testing.T) {
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := fmt.Sprintf("FD%c%c%c", 'A'+rand.IntN(26), 'A'+rand.IntN(26), 'A'+rand.IntN(26))
	siteName := "force-destroy-" + strings.ToLower(key)
	hub := p.Harbors[sandbox.HarborSiteA]
	sites := site.New(registry.New(cfg, p.Namespace))
	if _, err := sites.Create(ctx, site.Spec{
		Name:   siteName,
		ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
		Harbor: &site.Harbor{URL: hub.URL, Username: hub.Username, Password: hub.Password, PasswordVersion: 1},
	}); err != nil {
		t.Fatalf("cannot register site %s: %v", siteName, err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), siteName); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})
	client := project.New(registry.New(cfg, p.Namespace))
	hc, err := p.HarborClient(sandbox.HarborSiteA)
	if err != nil {
		t.Fatal(err)
	}
	name := project.LowerKey(key)

	spec := project.Spec{Key: key, Name: "Force destroy " + key, Harbor: &project.Harbor{Site: siteName}, OnDestroy: project.OnDestroyDelete}
	id, err := client.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for _, image := range []string{name + "/web:1", name + "/team/api:1"} {
		if _, _, err := p.PushImage(ctx, sandbox.HarborSiteA, image); err != nil {
			t.Fatalf("cannot push %s: %v", image, err)
		}
	}

	if err := client.Delete(ctx, id); err == nil || !strings.Contains(err.Error(), "force_destroy") {
		t.Fatalf("Delete without force_destroy of a project holding repositories: error = %v, want Harbor's refusal naming force_destroy", err)
	}
	if exists, err := hc.ProjectExists(ctx, name); err != nil || !exists {
		t.Fatalf("Harbor project %s after a refused delete: exists = %v, %v; want it kept", name, exists, err)
	}

	spec.Harbor.ForceDestroy = true
	if err := client.Update(ctx, id, spec); err != nil {
		t.Fatalf("Update to force_destroy: %v", err)
	}
	if err := client.Delete(ctx, id); err != nil {
		t.Fatalf("Delete with force_destroy: %v", err)
	}
	if exists, err := hc.ProjectExists(ctx, name); err != nil || exists {
		t.Errorf("Harbor project %s after Delete with force_destroy: exists = %v, %v; want it gone", name, exists, err)
	}
}
