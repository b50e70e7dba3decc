//go:build platform

package imagereplication_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest/readiness"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// BenchmarkImageReplicationCreateReturn measures how long after Harbor
// reports the first execution of a new replication Succeed the create
// returns: the wait the provider runs (WaitExecution, polling Harbor,
// which has no watch, at most every ExecutionPollInterval) beside the same
// wait polling every 10 seconds (figures: package readiness). The
// independent observer asks the Harbor that runs the replication every
// 50ms with a client of its own. Each run makes a pull replication of its
// own from site-b's Harbor to site-a's of an image pushed for it, and
// starts its first execution, as a create with run_on_create does. Runs:
// N of -benchtime=Nx, else $MC_BENCH_REPLICATION_RUNS, else 3.
func BenchmarkImageReplicationCreateReturn(b *testing.B) {
	runs, probe := readiness.Runs(b, "MC_BENCH_REPLICATION_RUNS", 3)
	if probe {
		return
	}
	p := sandboxtest.Platform(b)
	cfg, err := p.RESTConfig()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	prefix := fmt.Sprintf("irb-%06x", rand.IntN(1<<24))
	hub, edge := prefix+"-hub", prefix+"-edge"
	sites := site.New(registry.New(cfg, p.Namespace))
	for name, h := range map[string]sandbox.HarborSite{hub: p.Harbors[sandbox.HarborSiteA], edge: p.Harbors[sandbox.HarborSiteB]} {
		if _, err := sites.Create(ctx, site.Spec{
			Name:   name,
			ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
			Harbor: &site.Harbor{URL: h.URL, Username: h.Username, Password: h.Password, PasswordVersion: 1},
		}); err != nil {
			b.Fatalf("cannot register site %s: %v", name, err)
		}
		b.Cleanup(func() {
			if err := sites.Delete(context.Background(), name); err != nil {
				b.Errorf("cannot delete site %s: %v", name, err)
			}
		})
	}
	hubHarbor, err := p.HarborClient(sandbox.HarborSiteA) // the independent observer's own client
	if err != nil {
		b.Fatal(err)
	}
	client := imagereplication.New(registry.New(cfg, p.Namespace))
	samples := make([]readiness.Sample, 0, runs)
	for i := range runs {
		repository := fmt.Sprintf("%s-%d", prefix, i)
		if _, _, err := p.PushImage(ctx, sandbox.HarborSiteB, "library/"+repository+":v1"); err != nil {
			b.Fatal(err)
		}
		want := imagereplication.Spec{
			Name:       repository,
			SourceSite: edge, DestinationSite: hub, Direction: imagereplication.DirectionPull,
			Filters: imagereplication.Filters{Name: "library/" + repository, Tag: "v*"},
			Trigger: imagereplication.Trigger{Type: imagereplication.TriggerManual},
			Enabled: true, Override: true,
		}
		var id string
		var execID int64
		s, err := readiness.Measure(ctx, readiness.Run{
			Timeout: 5 * time.Minute,
			WatchReady: func(ctx context.Context, started <-chan struct{}) (time.Time, error) {
				<-started // the execution's id comes from Start
				return readiness.PollUntil(ctx, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
					e, err := hubHarbor.GetReplicationExecution(ctx, execID)
					return err == nil && e.Status == harbor.StatusSucceed, err
				})
			},
			Start: func(ctx context.Context) error {
				var err error
				if id, _, err = engine.Converge(ctx, client, "", want, engine.ConvergeOptions{Timeout: time.Minute}); err != nil {
					return err
				}
				execID, err = client.Run(ctx, id)
				return err
			},
			Wait: func(ctx context.Context) error {
				_, err := client.WaitExecution(ctx, id, execID, 4*time.Minute)
				return err
			},
			Poll: func(ctx context.Context) error {
				_, err := engine.WaitRun(ctx, func(ctx context.Context) (imagereplication.Execution, error) {
					return client.Execution(ctx, id, execID)
				}, imagereplication.Execution.Progress, engine.WaitOptions{Timeout: 4 * time.Minute, MinInterval: readiness.PollInterval, MaxInterval: readiness.PollInterval})
				return err
			},
		})
		if id != "" {
			b.Cleanup(func() { // before the sites go
				if err := client.Delete(context.Background(), id); err != nil {
					b.Errorf("cannot delete replication %s: %v", id, err)
				}
			})
		}
		if err != nil {
			b.Fatalf("run %d: %v", i, err)
		}
		samples = append(samples, s)
	}
	readiness.Report(b, samples)
}
