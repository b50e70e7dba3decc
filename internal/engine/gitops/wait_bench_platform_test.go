//go:build platform

package gitops_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest/readiness"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// waitReturn is what one run measured; every instant is local (monotonic).
type waitReturn struct {
	committed time.Time // Commit returned
	synced    time.Time // the independent watch first saw Synced+Healthy at the commit, its operation Succeeded there
	watch     time.Time // the production wait (Delivery.Wait, woken by the watch of the Application) returned
	poll10s   time.Time // engine.Wait over Delivery.Observe without a trigger, 10s intervals, returned
	fixed10s  time.Time // a strict 10-second Observe ticker saw Ready
	// watchState is Argo CD's report the production wait returned on.
	watchState string
	revision   string
}

// BenchmarkGitOpsWaitReturn measures how long after Argo CD reports an
// Application Synced and Healthy at a committed revision the GitOps wait
// returns: the production wait, woken by a watch of the Application,
// beside a 10-second poll, in the same run. Each run commits a change of a
// ConfigMap that the Application (auto-sync, the platform's own cluster)
// deploys, after the previous change settled. Figures (milliseconds,
// median and worst over the runs):
//
//	watch-*                       production wait after Argo CD reported Synced+Healthy (independent watch)
//	poll10s-*                     engine.Wait over Observe without a trigger, 10s intervals (jittered over [5s, 10s])
//	fixed10s-*                    a strict 10-second Observe ticker
//	commit-to-synced-*            Argo CD's own delay from the commit (with the refresh annotation) to Synced+Healthy
//	poll10s/watch, fixed10s/watch ratios of the medians
//
// A negative delay (a waiter saw the state before the independent watch
// did) counts as 0. It asserts nothing about the figures.
func BenchmarkGitOpsWaitReturn(b *testing.B) {
	runs, probe := readiness.Runs(b, "MC_BENCH_GITOPS_RUNS", 3)
	if probe {
		return
	}
	f := newFixture(b, "bench")
	sandboxtest.Require(b, f.p, sandboxtest.ArgoCD...)
	ctx := context.Background()
	ns := "gitops-bench-" + f.suffix
	d := gitops.New(git.NewCommitter())
	path := "apps/bench"
	file := path + "/cm.yaml"
	first, err := d.Commit(ctx, f.dc, f.target, git.Change{Files: map[string]string{file: configMap(ns, "bench", "0")}})
	if err != nil {
		b.Fatal(err)
	}
	app := f.application(b, "gitops-bench-"+f.suffix, path, ns, false)
	if s, err := d.Wait(ctx, f.dc, f.target, app, first.SHA, engine.WaitOptions{Timeout: 3 * time.Minute}); err != nil {
		b.Fatalf("the application never synced its first revision: %v (%s)", err, s.Message)
	}

	results := make([]waitReturn, runs)
	for i := range runs {
		r, err := measureWaitReturn(d, f.dc, f.target, app, git.Change{Files: map[string]string{file: configMap(ns, "bench", strconv.Itoa(i+1))}})
		if err != nil {
			b.Fatalf("run %d: %v", i, err)
		}
		results[i] = r
		b.Logf("run %d (%.7s): commit→synced %s; returned after synced: watch %s (on %s), poll10s %s, fixed10s %s", i, r.revision,
			r.synced.Sub(r.committed).Round(time.Millisecond), r.watch.Sub(r.synced).Round(time.Millisecond), r.watchState,
			r.poll10s.Sub(r.synced).Round(time.Millisecond), r.fixed10s.Sub(r.synced).Round(time.Millisecond))
	}
	clamped := 0
	after := func(t, from time.Time) time.Duration {
		if d := t.Sub(from); d > 0 {
			return d
		}
		clamped++
		return 0
	}
	var watch, poll, fixed, commitToSynced, commitToReturn []time.Duration
	for _, r := range results {
		watch = append(watch, after(r.watch, r.synced))
		poll = append(poll, after(r.poll10s, r.synced))
		fixed = append(fixed, after(r.fixed10s, r.synced))
		commitToSynced = append(commitToSynced, r.synced.Sub(r.committed))
		commitToReturn = append(commitToReturn, r.watch.Sub(r.committed))
	}
	if clamped > 0 {
		b.Logf("%d delays were negative (a waiter saw the state before the independent watch) and count as 0", clamped)
	}
	report := func(name string, ds []time.Duration) float64 { return readiness.ReportDurations(b, name, ds) }
	w := report("watch", watch)
	pm := report("poll10s", poll)
	fm := report("fixed10s", fixed)
	report("commit-to-synced", commitToSynced)
	w = max(w, 1) // a 0 (clamped) median would make the ratios infinite
	b.ReportMetric(pm/w, "poll10s/watch")
	b.ReportMetric(fm/w, "fixed10s/watch")
	b.ReportMetric(float64(readiness.Median(commitToReturn).Nanoseconds()), "ns/op")
}

// measureWaitReturn commits change and waits for it in three ways at once
// while an independent watch records when Argo CD reports the Application
// Synced and Healthy at the commit.
func measureWaitReturn(d *gitops.Delivery, dc dynamic.Interface, t gitops.Target, app gitops.App, change git.Change) (waitReturn, error) {
	var r waitReturn
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The recorder starts before the commit so that it misses nothing; it
	// learns the revision once Commit returns.
	revision := make(chan string, 1)
	synced := make(chan time.Time, 1)
	go watchSynced(ctx, dc, app, revision, synced)
	res, err := d.Commit(ctx, dc, t, change, app)
	if err != nil {
		return r, err
	}
	r.committed, r.revision = time.Now(), res.SHA
	revision <- res.SHA
	var wg sync.WaitGroup
	var errWatch, errPoll, errFixed error
	wg.Go(func() { // exactly the production wait
		s, err := d.Wait(ctx, dc, t, app, res.SHA, engine.WaitOptions{Timeout: 4 * time.Minute})
		r.watch, errWatch = time.Now(), err
		st := s.State
		r.watchState = fmt.Sprintf("%s at %.7s, %s", st.SyncStatus, st.SyncRevision, st.HealthStatus)
		if op := st.Operation; op != nil {
			r.watchState += fmt.Sprintf(", operation %s at %.7s", op.Phase, op.Revision)
		}
	})
	observe := func(ctx context.Context) (engine.Observation[gitops.Sync, struct{}], error) {
		s, err := d.Observe(ctx, dc, t, app, res.SHA)
		return engine.Observation[gitops.Sync, struct{}]{Exists: true, Ready: s.Ready, Failed: s.Failed, Message: s.Message}, err
	}
	wg.Go(func() { // the baseline: a 10-second poll
		_, errPoll = engine.Wait(ctx, observe, engine.WaitOptions{Timeout: 4 * time.Minute, MinInterval: 10 * time.Second, MaxInterval: 10 * time.Second})
		r.poll10s = time.Now()
	})
	wg.Go(func() { // a strict 10-second poll, without Wait's jitter
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			obs, err := observe(ctx)
			if err == nil && obs.Ready {
				r.fixed10s = time.Now()
				return
			}
			select {
			case <-ctx.Done():
				errFixed = fmt.Errorf("%w (last: %s, %v)", ctx.Err(), obs.Message, err)
				return
			case <-tick.C:
			}
		}
	})
	wg.Wait()
	if errWatch != nil || errPoll != nil || errFixed != nil {
		return r, fmt.Errorf("waits: watch %v, poll10s %v, fixed10s %v", errWatch, errPoll, errFixed)
	}
	select {
	case r.synced = <-synced:
	case <-time.After(time.Minute):
		return r, fmt.Errorf("the independent watch never saw the application Synced and Healthy at %s", res.SHA)
	}
	return r, nil
}

// watchSynced sends the instant a watch on app first shows it Synced and
// Healthy at exactly the revision received on revision, with its last
// operation Succeeded there. Events before the revision is known are kept
// and judged once it is.
func watchSynced(ctx context.Context, dc dynamic.Interface, app gitops.App, revision <-chan string, out chan<- time.Time) {
	type event struct {
		at time.Time
		st kube.ApplicationSync
	}
	var pending []event
	want := ""
	done := func(st kube.ApplicationSync) bool {
		return want != "" && st.SyncStatus == "Synced" && st.HealthStatus == "Healthy" && st.SyncRevision == want &&
			st.Operation != nil && st.Operation.Phase == kube.OperationSucceeded && st.Operation.Revision == want
	}
	opts := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", app.Name).String()}
	for ctx.Err() == nil {
		w, err := dc.Resource(kube.ApplicationGVR).Namespace(app.Namespace).Watch(ctx, opts)
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
	events:
		for {
			select {
			case want = <-revision:
				for _, e := range pending {
					if done(e.st) {
						out <- e.at
						w.Stop()
						return
					}
				}
				pending = nil
			case ev, ok := <-w.ResultChan():
				if !ok {
					break events
				}
				u, isApp := ev.Object.(*unstructured.Unstructured)
				if !isApp {
					continue
				}
				st := kube.ApplicationSyncOf(u)
				if want == "" {
					pending = append(pending, event{time.Now(), st})
				} else if done(st) {
					out <- time.Now()
					w.Stop()
					return
				}
			}
		}
		w.Stop()
	}
}
