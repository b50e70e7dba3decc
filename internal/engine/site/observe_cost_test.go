package site_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// TestObserveCostsTheRecordOnly reads 20 sites twice: the first round
// discovers the management cluster once and lists its task runners' Leases
// once, the second costs one request per site, the record's GET.
// costSites is how many sites the observe-cost tests read.
const costSites = 20

// costSite is the spec of the observe-cost tests' site i.
func costSite(i int) site.Spec {
	return site.Spec{Name: fmt.Sprintf("site-%d", i), ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}
}

// registerCostSites registers costSites sites in a fake API server and
// returns it and the registry.
func registerCostSites(t *testing.T) (*registrytest.API, *registry.Registry) {
	t.Helper()
	api := registrytest.New(t)
	reg := registry.New(api.Config(), "mc-system")
	for i := range costSites {
		if err := reg.Register(context.Background(), costSite(i)); err != nil {
			t.Fatal(err)
		}
	}
	return api, reg
}

func TestObserveCostsTheRecordOnly(t *testing.T) {
	api, reg := registerCostSites(t)
	ctx := context.Background()
	const sites = costSites
	want := costSite
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

// TestObserveSharesOneLeaseList reads 20 sites at once with a new client:
// the reads that find no task runners cached wait for one LIST of Leases
// instead of each making their own.
func TestObserveSharesOneLeaseList(t *testing.T) {
	api, reg := registerCostSites(t)
	ctx := context.Background()
	const sites = costSites
	want := costSite
	// One read first connects to the management cluster, so that the
	// concurrent ones below race for the Leases alone.
	c := site.New(reg)
	if _, err := c.Observe(ctx, want(0).Name, want(0)); err != nil {
		t.Fatal(err)
	}
	c = site.New(reg)
	api.Reset()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, sites)
	for i := range sites {
		wg.Go(func() {
			<-start
			if _, err := c.Observe(ctx, want(i).Name, want(i)); err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var lists []string
	for _, r := range api.Requests() {
		if strings.HasSuffix(r, "/leases") {
			lists = append(lists, r)
		}
	}
	if len(lists) != 1 {
		t.Errorf("%d concurrent reads listed Leases %d times, want once: %v", sites, len(lists), lists)
	}
}
