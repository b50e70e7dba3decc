package site_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// TestObserveCostsTheRecordOnly reads 20 sites twice: the first round
// discovers the management cluster once and lists its task runners' Leases
// once, the second costs one request per site, the record's GET.
func TestObserveCostsTheRecordOnly(t *testing.T) {
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	ctx := context.Background()
	const sites = 20
	want := func(i int) site.Spec {
		return site.Spec{Name: fmt.Sprintf("site-%d", i), ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}
	}
	for i := range sites {
		if err := reg.Register(ctx, want(i)); err != nil {
			t.Fatal(err)
		}
	}
	c := site.New(reg)
	for round, maxRequests := range []int{sites + 4, sites} {
		api.Reset()
		for i := range sites {
			obs, err := c.Observe(ctx, want(i).Name, want(i))
			if err != nil {
				t.Fatalf("round %d: Observe(%s) error = %v", round, want(i).Name, err)
			}
			if !obs.Exists || !obs.UpToDate || !obs.Ready || obs.Status.KubernetesVersion != "v1.36.0" || obs.Status.CAPIVersion != "v1beta2" {
				t.Fatalf("round %d: Observe(%s) = %+v", round, want(i).Name, obs)
			}
		}
		if got := api.Requests(); len(got) > maxRequests {
			t.Errorf("round %d: observing %d sites made %d requests, want at most %d: %v", round, sites, len(got), maxRequests, got)
		}
	}
}
