package registry_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
)

const recordsPath = "/api/v1/namespaces/mc-system/secrets"

// TestBatchLookups refreshes many sites through one LIST, and checks what
// a process sees of changes: its own writes at once, another process's once
// the snapshot is older than its lifetime, and a new process (the next
// plan) at once; a read outside a refresh is always live.
func TestBatchLookups(t *testing.T) {
	api := registrytest.New(t)
	ctx := engine.WithRefresh(context.Background())
	other := registry.New(api.Config(), "mc-system") // another process
	const sites = 20
	for i := range sites {
		if err := other.Register(ctx, registry.Site{Name: fmt.Sprintf("site-%d", i), Description: "v1"}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	newPlan := func() *registry.Registry {
		reg := registry.New(api.Config(), "mc-system")
		reg.BatchLookups(10 * time.Second)
		registry.SetSnapshotClock(reg, clock)
		return reg
	}
	describe := func(reg *registry.Registry, name string) string {
		t.Helper()
		rec, err := reg.Lookup(ctx, name)
		if err != nil {
			t.Fatalf("Lookup(%s) error = %v", name, err)
		}
		return rec.Spec.Description
	}

	plan := newPlan()
	api.Reset()
	// Terraform reads resources ten at a time.
	var wg sync.WaitGroup
	for i := range sites {
		wg.Go(func() {
			if got := describe(plan, fmt.Sprintf("site-%d", i)); got != "v1" {
				t.Errorf("site-%d: description %q, want v1", i, got)
			}
		})
	}
	wg.Wait()
	gets, lists := countRequests(api.Requests())
	if lists != 1 || gets > 2*(3-1) {
		t.Errorf("reading %d sites at once made %d GETs and %d LISTs, want 1 LIST and at most %d GETs (the look-ups before the process knew it reads many): %v",
			sites, gets, lists, 2*(3-1), api.Requests())
	}
	if _, err := plan.Lookup(ctx, "unknown"); !engine.IsNotFound(err) {
		t.Errorf("Lookup(unknown) from the snapshot: error = %v, want not found", err)
	}

	// Another process changes site-3; this one writes site-4.
	if err := other.Register(ctx, registry.Site{Name: "site-3", Description: "v2"}); err != nil {
		t.Fatal(err)
	}
	if err := plan.Register(ctx, registry.Site{Name: "site-4", Description: "mine"}); err != nil {
		t.Fatal(err)
	}
	api.Reset()
	if got := describe(plan, "site-4"); got != "mine" {
		t.Errorf("own write: site-4 description %q, want mine", got)
	}
	if got := describe(plan, "site-3"); got != "v1" {
		t.Errorf("within the snapshot's lifetime: site-3 description %q, want the snapshot's v1", got)
	}
	if diff := cmp.Diff([]string{"GET " + recordsPath + "/site-site-4"}, api.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if got := describe(newPlan(), "site-3"); got != "v2" {
		t.Errorf("next plan: site-3 description %q, want v2", got)
	}
	if rec, err := plan.Lookup(context.Background(), "site-3"); err != nil || rec.Spec.Description != "v2" {
		t.Errorf("outside a refresh: Lookup(site-3) = %+v, %v; want the live v2", rec, err)
	}

	advance(10 * time.Second)
	for i := range sites {
		describe(plan, fmt.Sprintf("site-%d", i))
	}
	if got := describe(plan, "site-3"); got != "v2" {
		t.Errorf("once the snapshot aged: site-3 description %q, want v2", got)
	}
	if err := plan.Unregister(ctx, "site-5"); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Lookup(ctx, "site-5"); !engine.IsNotFound(err) {
		t.Errorf("Lookup(site-5) after this process unregistered it: error = %v, want not found", err)
	}
}

// TestBatchLookupsOutsideARefresh reads one site again and again, as a
// create's wait does: each read is that record's GET, never a snapshot.
func TestBatchLookupsOutsideARefresh(t *testing.T) {
	api := registrytest.New(t)
	ctx := context.Background()
	reg := registry.New(api.Config(), "mc-system")
	reg.BatchLookups(10 * time.Second)
	for i := range 5 {
		if err := registry.New(api.Config(), "mc-system").Register(ctx, registry.Site{Name: fmt.Sprintf("site-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	api.Reset()
	for range 10 {
		if _, err := reg.Require(ctx, "site-1"); err != nil {
			t.Fatal(err)
		}
	}
	if gets, lists := countRequests(api.Requests()); gets != 10 || lists != 0 {
		t.Errorf("10 reads of one site made %d GETs and %d LISTs, want 10 and 0", gets, lists)
	}
}

func countRequests(requests []string) (gets, lists int) {
	for _, r := range requests {
		switch r {
		case "GET " + recordsPath:
			lists++
		default:
			gets++
		}
	}
	return gets, lists
}

// TestBatchLookupsOfEveryRecordKind refreshes sites, projects and
// applications from the one LIST of the registry namespace's records, and
// List of the sites from it counts no project or application.
func TestBatchLookupsOfEveryRecordKind(t *testing.T) {
	api := registrytest.New(t)
	ctx := engine.WithRefresh(context.Background())
	other := registry.New(api.Config(), "mc-system")
	for i := range 3 {
		if err := other.Register(ctx, registry.Site{Name: fmt.Sprintf("site-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.RegisterProject(ctx, registry.Project{Key: "WEB", Name: "Web shop"}); err != nil {
		t.Fatal(err)
	}
	if err := other.RegisterApplication(ctx, registry.Application{Project: "WEB", Name: "shop", Workspace: "acme"}); err != nil {
		t.Fatal(err)
	}
	plan := registry.New(api.Config(), "mc-system")
	plan.BatchLookups(10 * time.Second)
	for i := range 3 {
		if _, err := plan.Require(ctx, fmt.Sprintf("site-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	api.Reset()
	if p, err := plan.Project(ctx, "WEB"); err != nil || p.Name != "Web shop" {
		t.Errorf("Project(WEB) = %+v, %v", p, err)
	}
	if a, err := plan.Application(ctx, "WEB", "shop"); err != nil || a.Workspace != "acme" {
		t.Errorf("Application(WEB, shop) = %+v, %v", a, err)
	}
	if _, err := plan.LookupProject(ctx, "NONE"); !engine.IsNotFound(err) {
		t.Errorf("LookupProject(NONE) from the snapshot: error = %v, want not found", err)
	}
	names, err := plan.List(ctx)
	if diff := cmp.Diff([]string{"site-0", "site-1", "site-2"}, names); err != nil || diff != "" {
		t.Errorf("List() = %v, %v (-want +got):\n%s", names, err, diff)
	}
	if got := api.Requests(); len(got) != 0 {
		t.Errorf("refreshing a project, an application and the site list after the snapshot made requests: %v", got)
	}
}
