//go:build platform

package crash

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

// restartAfterCreate is an image replication client whose first Create,
// once it made the endpoint and the policy, restarts the edge's Harbor
// simulator, which loses them: what Converge then waits for has vanished,
// every time, unlike in a restart timed by a probe beside an apply.
type restartAfterCreate struct {
	*imagereplication.Client
	restart func(context.Context) error
	once    sync.Once
	err     error
}

func (c *restartAfterCreate) Create(ctx context.Context, want imagereplication.Spec) (string, error) {
	id, err := c.Client.Create(ctx, want)
	if err != nil {
		return id, err
	}
	c.once.Do(func() { c.err = c.restart(ctx) })
	return id, c.err
}

// testConvergeAfterVanish restarts the edge's Harbor right after Converge's
// Create made an image replication there: Converge must create it again,
// once, and finish with every object made exactly once.
func testConvergeAfterVanish(t *testing.T, p *sandbox.Platform, b *backends) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(cfg, p.Namespace)
	const hub, edge, name = "vanish-ir-hub", "vanish-ir-edge", "vanish-ir"
	sites := site.New(reg)
	for n, h := range map[string]sandbox.HarborSite{hub: p.Harbors[sandbox.HarborSiteA], edge: p.Harbors[sandbox.HarborSiteB]} {
		if _, err := sites.Create(ctx, site.Spec{
			Name:   n,
			ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
			Harbor: &site.Harbor{URL: h.URL, Username: h.Username, Password: h.Password, PasswordVersion: 1},
		}); err != nil {
			t.Fatalf("cannot register site %s: %v", n, err)
		}
		t.Cleanup(func() {
			if err := sites.Delete(context.Background(), n); err != nil {
				t.Errorf("cannot delete site %s: %v", n, err)
			}
		})
	}
	var restartedIn time.Duration
	c := &restartAfterCreate{Client: imagereplication.New(reg), restart: func(ctx context.Context) error {
		t0 := time.Now()
		err := p.Restart(ctx, "harbor-"+sandbox.HarborSiteB)
		restartedIn = time.Since(t0)
		return err
	}}
	want := imagereplication.WithDefaults(imagereplication.Spec{
		Name: name, SourceSite: edge, DestinationSite: hub, Direction: imagereplication.DirectionPush,
		Filters: imagereplication.Filters{Name: "vanish/**"}, Trigger: imagereplication.Trigger{Type: imagereplication.TriggerManual},
	})
	var recreations []engine.Recreation
	t0 := time.Now()
	id, obs, err := engine.Converge(ctx, engine.Client[imagereplication.Spec, imagereplication.Status](c), "", want, engine.ConvergeOptions{
		Timeout:   3 * time.Minute,
		Recreated: func(r engine.Recreation) { recreations = append(recreations, r) },
	})
	took := time.Since(t0)
	t.Cleanup(func() {
		if err := engine.DeleteUntilGone(context.Background(), c, want.ID(), engine.ConvergeOptions{Timeout: 2 * time.Minute}); err != nil {
			t.Errorf("cannot delete replication %s: %v", want.ID(), err)
		}
	})
	if err != nil {
		t.Fatalf("Converge() = %v after %s (restart of the edge's Harbor in %s); last message %q", err, took.Round(time.Millisecond), restartedIn.Round(time.Millisecond), obs.Message)
	}
	if id != want.ID() || !obs.Exists || !obs.Ready || !obs.UpToDate {
		t.Errorf("Converge() = %q, %+v; want %q ready and up to date", id, obs, want.ID())
	}
	if len(recreations) != 1 || recreations[0].Err != nil {
		t.Errorf("re-creates %v, want one that succeeded", recreations)
	}
	got := map[string]int{}
	for what, count := range map[string]func(context.Context) (int, error){
		"robot accounts (hub)": func(ctx context.Context) (int, error) {
			return b.harborRobots(ctx, sandbox.HarborSiteA, "mc-replication-"+edge)
		},
		"registry endpoints (edge)": func(ctx context.Context) (int, error) {
			return b.harborRegistries(ctx, sandbox.HarborSiteB, imagereplication.EndpointName(hub))
		},
		"replication policies (edge)": func(ctx context.Context) (int, error) { return b.harborPolicies(ctx, sandbox.HarborSiteB, name) },
	} {
		if got[what], err = count(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]int{"robot accounts (hub)": 1, "registry endpoints (edge)": 1, "replication policies (edge)": 1}, got); diff != "" {
		t.Errorf("backend objects after Converge (-want +got):\n%s", diff)
	}
	t.Logf("Converge: restarted harbor-%s right after the create (back in %s); %v; converged in %s, counts %v",
		sandbox.HarborSiteB, restartedIn.Round(time.Millisecond), recreations, took.Round(time.Millisecond), got)
}
