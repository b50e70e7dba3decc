//go:build platform

package helmrelease_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest/readiness"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/charttest"
)

// untriggered hides the client's Trigger: engine.Converge then polls.
type untriggered struct {
	engine.Client[helmrelease.Spec, helmrelease.Status]
}

// BenchmarkHelmReleaseCreateReturn measures how long after Argo CD first
// reports a new release's Application Synced and Healthy (its operation
// Succeeded) the create of the release returns: engine.Converge as the
// provider runs it (woken by the Application's watch) beside the same
// Converge polling every 10 seconds without a trigger (figures: package
// readiness). Each run installs a release of its own from a Helm
// repository into the workload cluster. Runs: N of -benchtime=Nx, else
// $MC_BENCH_HELM_RUNS, else 3.
func BenchmarkHelmReleaseCreateReturn(b *testing.B) {
	runs, probe := readiness.Runs(b, "MC_BENCH_HELM_RUNS", 3)
	if probe {
		return
	}
	f := newFixture(b)
	cfg, err := f.p.RESTConfig()
	if err != nil {
		b.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	repo := charttest.Serve(b, charttest.Chart{Name: "hr-bench", Version: "0.1.0"})
	ctx := context.Background()
	samples := make([]readiness.Sample, 0, runs)
	for i := range runs {
		want := helmrelease.Spec{
			Site: f.site, Cluster: f.cluster, Namespace: "hr-bench", Name: fmt.Sprintf("bench-%d", i),
			RepoURL: repo.URL, Chart: "hr-bench", Version: "0.1.0", Values: fmt.Sprintf("message: run %d\n", i),
		}
		var id string
		s, err := readiness.Measure(ctx, readiness.Run{
			Timeout: 5 * time.Minute,
			WatchReady: func(ctx context.Context, _ <-chan struct{}) (time.Time, error) {
				return readiness.WatchObject(ctx, dc, kube.ApplicationGVR, f.p.ArgoCDNamespace, helmrelease.ApplicationName(want), func(u *unstructured.Unstructured) bool {
					s := kube.ApplicationSyncOf(u)
					return s.SyncStatus == "Synced" && s.HealthStatus == "Healthy" && s.Operation != nil && s.Operation.Phase == kube.OperationSucceeded
				})
			},
			Start: func(ctx context.Context) (err error) {
				id, err = f.client.Create(ctx, want)
				return err
			},
			Wait: func(ctx context.Context) error {
				_, _, err := engine.Converge(ctx, f.client, id, want, engine.ConvergeOptions{Timeout: 4 * time.Minute})
				return err
			},
			Poll: func(ctx context.Context) error {
				_, _, err := engine.Converge(ctx, untriggered{f.client}, id, want,
					engine.ConvergeOptions{Timeout: 4 * time.Minute, MinInterval: readiness.PollInterval, MaxInterval: readiness.PollInterval})
				return err
			},
		})
		if id != "" {
			b.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				defer cancel()
				if err := engine.DeleteUntilGone(ctx, f.client, id, engine.ConvergeOptions{Timeout: 2 * time.Minute}); err != nil {
					b.Errorf("delete %s: %v", id, err)
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
