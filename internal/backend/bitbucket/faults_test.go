package bitbucket_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
)

// TestSimFaultsMakeNoDuplicates runs creates, grants and deletes against a
// simulator that answers 20% of requests with 500, 503 or 429 and loses
// the answers of 20% of the writes after applying them, and counts what it
// holds afterwards: every project and repository exactly once, every grant
// as asked, every deleted object gone.
func TestSimFaultsMakeNoDuplicates(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	e.sim.SetFaults(bitbucketsim.Faults{ErrorRate: 0.2, LostResponseRate: 0.2, Seed: 10})
	const n = 20
	adopted := 0
	for i := range n {
		key := fmt.Sprintf("F%02d", i)
		_, a, err := bitbucket.CreateOrGetProject(c, e.client, ws, bitbucket.ProjectInput{Key: key, Name: key, IsPrivate: true})
		if err != nil {
			t.Fatalf("CreateOrGetProject(%s) error = %v", key, err)
		}
		if a {
			adopted++
		}
		if _, _, err := bitbucket.CreateOrGetRepository(c, e.client, ws, fmt.Sprintf("f%02d-config", i), bitbucket.RepositoryInput{ProjectKey: key, IsPrivate: true}); err != nil {
			t.Fatalf("CreateOrGetRepository() error = %v", err)
		}
		if _, err := e.client.PutProjectUserPermission(c, ws, key, alice, bitbucket.PermissionAdmin); err != nil {
			t.Fatalf("PutProjectUserPermission() error = %v", err)
		}
		if _, err := e.client.PutProjectGroupPermission(c, ws, key, "platform-devs", bitbucket.PermissionWrite); err != nil {
			t.Fatalf("PutProjectGroupPermission() error = %v", err)
		}
	}
	// Delete every other project, its repository first; a delete whose
	// answer was lost answers 404 on the retry, which means gone.
	for i := 0; i < n; i += 2 {
		if err := e.client.DeleteRepository(c, ws, fmt.Sprintf("f%02d-config", i)); err != nil && !bitbucket.IsNotFound(err) {
			t.Fatalf("DeleteRepository() error = %v", err)
		}
		if err := e.client.DeleteProject(c, ws, fmt.Sprintf("F%02d", i)); err != nil && !bitbucket.IsNotFound(err) {
			t.Fatalf("DeleteProject() error = %v", err)
		}
	}
	st := e.sim.FaultStats()
	e.sim.SetFaults(bitbucketsim.Faults{})
	t.Logf("faults: %d requests, %d errors, %d lost answers; %d of %d project creates adopted after a lost answer", st.Requests, st.Errors, st.LostResponses, adopted, n)
	if st.Errors == 0 || st.LostResponses == 0 {
		t.Fatalf("the injector injected nothing: %+v", st)
	}

	ps, err := e.client.ListProjects(c, ws)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	for _, p := range ps {
		keys[p.Key]++
	}
	if len(ps) != n/2 || len(keys) != n/2 {
		t.Fatalf("%d projects (%d keys) left, want %d: %v", len(ps), len(keys), n/2, keys)
	}
	for i := 1; i < n; i += 2 {
		key := fmt.Sprintf("F%02d", i)
		rs, err := e.client.ListRepositories(c, ws, key)
		if err != nil || len(rs) != 1 {
			t.Fatalf("project %s has %d repositories (%v), want 1", key, len(rs), err)
		}
		us, err := e.client.ListProjectUserPermissions(c, ws, key)
		if err != nil || len(us) != 1 || us[0].User.AccountID != alice || us[0].Permission != bitbucket.PermissionAdmin {
			t.Fatalf("project %s user permissions = %+v, %v; want alice admin only", key, us, err)
		}
		gs, err := e.client.ListProjectGroupPermissions(c, ws, key)
		if err != nil || len(gs) != 1 || gs[0].Permission != bitbucket.PermissionWrite {
			t.Fatalf("project %s group permissions = %+v, %v; want platform-devs write only", key, gs, err)
		}
	}
}

// TestSimConcurrentCreatesMakeOneProject races eight creates of the same
// project and repository under faults: one of each exists afterwards, and
// every caller got it.
func TestSimConcurrentCreatesMakeOneProject(t *testing.T) {
	e := newSim(t)
	c := ctx(t)
	e.sim.SetFaults(bitbucketsim.Faults{ErrorRate: 0.2, LostResponseRate: 0.2, Seed: 3})
	const n = 8
	uuids := make(chan string, 2*n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _, err := bitbucket.CreateOrGetProject(c, e.client, ws, bitbucket.ProjectInput{Key: "RACE", Name: "race", IsPrivate: true})
			if err != nil {
				errs <- err
				return
			}
			r, _, err := bitbucket.CreateOrGetRepository(c, e.client, ws, "race", bitbucket.RepositoryInput{ProjectKey: "RACE", IsPrivate: true})
			if err != nil {
				errs <- err
				return
			}
			uuids <- p.UUID
			uuids <- r.UUID
		}()
	}
	wg.Wait()
	close(errs)
	close(uuids)
	for err := range errs {
		t.Fatalf("a create failed: %v", err)
	}
	seen := map[string]int{}
	for u := range uuids {
		seen[u]++
	}
	e.sim.SetFaults(bitbucketsim.Faults{})
	ps, err := e.client.ListProjects(c, ws)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := e.client.ListRepositories(c, ws, "RACE")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || len(rs) != 1 || len(seen) != 2 || seen[ps[0].UUID] != n || seen[rs[0].UUID] != n {
		t.Fatalf("%d projects, %d repositories; callers saw %v; want one of each, seen by all %d", len(ps), len(rs), seen, n)
	}
}
