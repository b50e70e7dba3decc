// Package readiness is the shared machinery of the readiness-latency
// benchmarks: how long after the backend reports a long-running operation
// done (seen by an independent watch or fast poll of its own) the wait of
// a create or update returns, for the production wait and for a 10-second
// poll in the same run. Every kind's benchmark describes one run with a
// Run and reports its samples with Report, so that the figures of every
// kind have the same names and meaning in BENCHMARKS.md:
//
//	watch-median-ms, watch-worst-ms        production wait, after the backend reported ready
//	poll10s-median-ms, poll10s-worst-ms    the same wait polling every 10 seconds (jittered over [5s, 10s]) without a trigger
//	start-to-ready-median-ms               the backend's own time from the start to ready
//	poll10s/watch                          ratio of the medians
//	ns/op                                  median time from the start to the production wait's return
//
// A negative delay (a waiter saw the change before the independent watch
// did) counts as 0. Nothing here asserts a figure: speed is measured, never
// tested.
package readiness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// PollInterval is the interval of the baseline poll every benchmark runs
// beside the production wait.
const PollInterval = 10 * time.Second

// Runs returns how many runs a benchmark makes: N of -benchtime=Nx, else
// $envVar, else def. probe is true for the single-iteration call the
// testing package makes before the -benchtime=Nx call (N > 1): the
// benchmark returns at once then, instead of running for nothing.
func Runs(b *testing.B, envVar string, def int) (runs int, probe bool) {
	if f := flag.Lookup("test.benchtime"); f != nil {
		if s, ok := strings.CutSuffix(f.Value.String(), "x"); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				return n, b.N == 1 && n > 1
			}
		}
	}
	if n, err := strconv.Atoi(os.Getenv(envVar)); err == nil && n > 0 {
		return n, false
	}
	return def, false
}

// Sample is what one run measured; every instant is on the local
// monotonic clock.
type Sample struct {
	// Started is when the operation (create, update, commit) returned.
	Started time.Time
	// Ready is when the independent watch first saw the backend report
	// the operation done.
	Ready time.Time
	// Watch is when the production wait returned.
	Watch time.Time
	// Poll is when the same wait polling every PollInterval returned.
	Poll time.Time
}

// Run describes one measurement.
type Run struct {
	// WatchReady blocks until the backend reports the operation done, seen
	// independently of the waits measured (a watch of its own, or a poll
	// every few milliseconds), and returns that instant. It starts before
	// Start so that it misses nothing; started is closed once Start
	// returned (it may need what Start made, such as a revision).
	WatchReady func(ctx context.Context, started <-chan struct{}) (time.Time, error)
	// Start starts the operation and returns without waiting for it.
	Start func(ctx context.Context) error
	// Wait is the production wait, exactly as the front-ends run it.
	Wait func(ctx context.Context) error
	// Poll is the same wait without a trigger, polling every PollInterval.
	Poll func(ctx context.Context) error
	// Timeout bounds the whole run; zero means 10 minutes.
	Timeout time.Duration
}

// Measure runs r once: the independent watch, then Start, then both waits
// at once.
func Measure(ctx context.Context, r Run) (Sample, error) {
	var s Sample
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	started := make(chan struct{})
	type readyAt struct {
		at  time.Time
		err error
	}
	ready := make(chan readyAt, 1)
	go func() {
		at, err := r.WatchReady(ctx, started)
		ready <- readyAt{at, err}
	}()
	if err := r.Start(ctx); err != nil {
		return s, fmt.Errorf("start: %w", err)
	}
	s.Started = time.Now()
	close(started)
	var wg sync.WaitGroup
	var errWatch, errPoll error
	wg.Go(func() {
		errWatch = r.Wait(ctx)
		s.Watch = time.Now()
	})
	wg.Go(func() {
		errPoll = r.Poll(ctx)
		s.Poll = time.Now()
	})
	wg.Wait()
	if errWatch != nil || errPoll != nil {
		return s, fmt.Errorf("waits: production %v, poll %v", errWatch, errPoll)
	}
	// Both waits saw the operation done: the independent watch is due.
	select {
	case got := <-ready:
		if got.err != nil {
			return s, fmt.Errorf("independent watch: %w", got.err)
		}
		s.Ready = got.at
	case <-time.After(time.Minute):
		return s, errors.New("the independent watch never saw the operation done, though both waits did")
	}
	return s, nil
}

// Report logs every sample and reports the figures of samples (see the
// package documentation). It reports nothing for no samples.
func Report(b *testing.B, samples []Sample) {
	b.Helper()
	if len(samples) == 0 {
		return
	}
	clamped := 0
	after := func(t, from time.Time) time.Duration {
		if d := t.Sub(from); d > 0 {
			return d
		}
		clamped++
		return 0
	}
	var watch, poll, startToReady, startToReturn []time.Duration
	for i, s := range samples {
		watch = append(watch, after(s.Watch, s.Ready))
		poll = append(poll, after(s.Poll, s.Ready))
		startToReady = append(startToReady, s.Ready.Sub(s.Started))
		startToReturn = append(startToReturn, s.Watch.Sub(s.Started))
		b.Logf("run %d: start→ready %s; returned after ready: watch %s, poll%s %s", i,
			s.Ready.Sub(s.Started).Round(time.Millisecond), s.Watch.Sub(s.Ready).Round(time.Millisecond),
			PollInterval, s.Poll.Sub(s.Ready).Round(time.Millisecond))
	}
	if clamped > 0 {
		b.Logf("%d delays were negative (a waiter saw the change before the independent watch) and count as 0", clamped)
	}
	fmt.Printf("BENCHMD-COLUMNS %s: watch-median-ms watch-worst-ms poll10s-median-ms poll10s-worst-ms poll10s/watch start-to-ready-median-ms\n", b.Name())
	fmt.Printf("BENCHMD-NOTE %s: %d runs; watch = the production wait, poll10s = the same wait polling every %s, both counted from when an independent watch saw the backend report ready (goal: watch median under 1 s, worst under 2 s)\n", b.Name(), len(samples), PollInterval)
	w := ReportDurations(b, "watch", watch)
	p := ReportDurations(b, "poll10s", poll)
	b.ReportMetric(Milliseconds(Median(startToReady)), "start-to-ready-median-ms")
	b.ReportMetric(p/max(w, 1), "poll10s/watch") // a 0 (clamped) median would make the ratio infinite
	b.ReportMetric(float64(Median(startToReturn).Nanoseconds()), "ns/op")
}

// ReportDurations reports the median and the worst of ds as
// <name>-median-ms and <name>-worst-ms, and returns the median in
// milliseconds.
func ReportDurations(b *testing.B, name string, ds []time.Duration) float64 {
	m := Milliseconds(Median(ds))
	b.ReportMetric(m, name+"-median-ms")
	b.ReportMetric(Milliseconds(slices.Max(ds)), name+"-worst-ms")
	return m
}

// Milliseconds is d in milliseconds.
func Milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Median returns the median of ds (the mean of the two middle values for
// an even count); ds is not changed.
func Median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// WatchObject watches the object namespace/name of resource gvr and
// returns the instant of the first event for which done holds. It watches
// again when the watch ends, and returns ctx's error when ctx ends first.
func WatchObject(ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, namespace, name string, done func(*unstructured.Unstructured) bool) (time.Time, error) {
	opts := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()}
	for {
		w, err := dc.Resource(gvr).Namespace(namespace).Watch(ctx, opts)
		if err == nil {
			for ev := range w.ResultChan() {
				if u, ok := ev.Object.(*unstructured.Unstructured); ok && done(u) {
					at := time.Now()
					w.Stop()
					return at, nil
				}
			}
			w.Stop()
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// PollUntil calls done every interval and returns the instant of the
// first answer that reported true (a backend without watches, such as
// Harbor's REST API, seen independently of the wait under test).
func PollUntil(ctx context.Context, interval time.Duration, done func(context.Context) (bool, error)) (time.Time, error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if ok, err := done(ctx); err == nil && ok {
			return time.Now(), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}
