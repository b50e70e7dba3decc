//go:build platform

package cirun_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cirun"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// Names of this package's objects on the shared platform.
const (
	benchNamespace = "mc-cirun-bench"
	benchProject   = "cirun-bench"
)

// BenchmarkCIRunCreateReturn measures, for runs of the Go service template
// at site B (without scan and replication), the time from the end of the
// run's last step (an independent watch first sees the TaskRun Succeeded)
// to the return of the production wait (engine.Wait with the client's
// TaskRun Trigger), beside engine.Wait polling every 10 seconds without a
// Trigger. Each run has a new trigger value, so each is a new build.
// N runs of -benchtime=Nx, else $MC_BENCH_CIRUN_RUNS, else 3.
//
//	watch-median-ms, watch-worst-ms       production wait
//	poll10s-median-ms, poll10s-worst-ms   10-second poll
//	poll10s/watch                         ratio of the medians
func BenchmarkCIRunCreateReturn(b *testing.B) {
	runs, probe := benchRuns(b)
	if probe {
		return
	}
	p := sandboxtest.Platform(b)
	cfg, err := p.RESTConfig()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(cfg)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	reg := registry.New(cfg, benchNamespace)
	h := p.Harbors[sandbox.HarborSiteB]
	if err := reg.Register(ctx, registry.Site{Name: sandbox.HarborSiteB, ArgoCD: registry.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName},
		Harbor: &registry.Harbor{URL: h.URL, Username: h.Username, Password: h.Password}}); err != nil {
		b.Fatal(err)
	}
	hc, err := p.HarborClient(sandbox.HarborSiteB)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := hc.CreateProject(ctx, harbor.ProjectReq{ProjectName: benchProject}); err != nil && harbor.StatusCode(err) != http.StatusConflict {
		b.Fatal(err)
	}
	dc := dynamic.NewForConfigOrDie(cfg)
	c := cirun.New(reg)
	var watch, poll []time.Duration
	b.ResetTimer()
	for i := range runs {
		want := cirun.Spec{
			Site:        sandbox.HarborSiteB,
			Source:      cirun.Source{Repository: p.Bitbucket.TemplateURL(sandbox.TemplateGoService), Revision: "main"},
			Image:       cirun.Image{Project: benchProject, Repository: "bench", Tag: fmt.Sprintf("bench-%d", i)},
			Build:       cirun.Build{Command: `cp README.md.tmpl "$OUT/README"`},
			ReplicateTo: []string{},
			Triggers:    map[string]string{"run": strconv.FormatInt(time.Now().UnixNano(), 10)},
			OnDestroy:   cirun.OnDestroyDelete,
		}
		w, pl, err := measureRun(ctx, c, dc, want)
		if err != nil {
			b.Fatalf("run %d: %v", i, err)
		}
		b.Logf("run %d: returned after the last step: watch %s, poll10s %s", i, w.Round(time.Millisecond), pl.Round(time.Millisecond))
		watch, poll = append(watch, w), append(poll, pl)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	median := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	b.ReportMetric(ms(median(watch)), "watch-median-ms")
	b.ReportMetric(ms(slices.Max(watch)), "watch-worst-ms")
	b.ReportMetric(ms(median(poll)), "poll10s-median-ms")
	b.ReportMetric(ms(slices.Max(poll)), "poll10s-worst-ms")
	if m := median(watch); m > 0 {
		b.ReportMetric(float64(median(poll))/float64(m), "poll10s/watch")
	}
}

// measureRun creates a run and waits for it twice at once, returning how
// long after the independent watch saw it Succeeded each wait returned.
func measureRun(ctx context.Context, c *cirun.Client, dc dynamic.Interface, want cirun.Spec) (watch, poll time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	name := cirun.RunName(want)
	succeeded := make(chan time.Time, 1)
	go watchSucceeded(ctx, dc, name, succeeded)
	id, err := c.Create(ctx, want)
	if err != nil {
		return 0, 0, fmt.Errorf("Create() = %w", err)
	}
	defer func() { _ = c.Delete(context.Background(), id) }()
	observe := func(ctx context.Context) (engine.Observation[cirun.Spec, cirun.Status], error) {
		return c.Observe(ctx, id, want)
	}
	var watchAt, pollAt time.Time
	var errWatch, errPoll error
	done := make(chan struct{}, 2)
	go func() {
		_, errWatch = engine.Wait(ctx, observe, engine.WaitOptions{Trigger: c.Trigger(ctx, id)})
		watchAt = time.Now()
		done <- struct{}{}
	}()
	go func() {
		_, errPoll = engine.Wait(ctx, observe, engine.WaitOptions{MinInterval: 10 * time.Second, MaxInterval: 10 * time.Second})
		pollAt = time.Now()
		done <- struct{}{}
	}()
	<-done
	<-done
	if errWatch != nil || errPoll != nil {
		return 0, 0, fmt.Errorf("waits: watch %v, poll10s %v", errWatch, errPoll)
	}
	select {
	case at := <-succeeded:
		return watchAt.Sub(at), pollAt.Sub(at), nil
	case <-time.After(time.Minute):
		return 0, 0, fmt.Errorf("the independent watch never saw TaskRun %s Succeeded", name)
	}
}

// watchSucceeded sends the instant a watch first shows the TaskRun name
// Succeeded.
func watchSucceeded(ctx context.Context, dc dynamic.Interface, name string, out chan<- time.Time) {
	opts := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()}
	for ctx.Err() == nil {
		w, err := dc.Resource(cirun.TaskRunGVR).Namespace(tasksv1alpha1.DefaultNamespace).Watch(ctx, opts)
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			if phase, _, _ := unstructured.NestedString(u.Object, "status", "phase"); phase == tasksv1alpha1.PhaseSucceeded {
				out <- time.Now()
				w.Stop()
				return
			}
		}
		w.Stop()
	}
}

// benchRuns is the number of runs: N of -benchtime=Nx, else
// $MC_BENCH_CIRUN_RUNS, else 3. probe is true for the single-iteration call
// the testing package makes before the -benchtime=Nx call (N > 1), which
// would otherwise build for nothing.
func benchRuns(b *testing.B) (runs int, probe bool) {
	if f := flag.Lookup("test.benchtime"); f != nil {
		if s, ok := strings.CutSuffix(f.Value.String(), "x"); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				return n, b.N == 1 && n > 1
			}
		}
	}
	if n, err := strconv.Atoi(os.Getenv("MC_BENCH_CIRUN_RUNS")); err == nil && n > 0 {
		return n, false
	}
	return 3, false
}
