package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// benchmarkReaction measures how long Wait takes to return after the
// backend becomes ready, reported as the custom metric ms-after-ready.
func benchmarkReaction(b *testing.B, withTrigger bool, poll time.Duration) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		var readyAt atomic.Int64
		trigger := make(chan struct{}, 1)
		opts := WaitOptions{MinInterval: poll, MaxInterval: poll}
		if withTrigger {
			opts.Trigger = trigger
		}
		// The backend becomes ready a third of a poll interval from now.
		time.AfterFunc(poll/3, func() {
			readyAt.Store(time.Now().UnixNano())
			trigger <- struct{}{}
		})
		_, err := Wait(context.Background(), func(context.Context) (Observation[struct{}, struct{}], error) {
			return Observation[struct{}, struct{}]{Exists: true, Ready: readyAt.Load() != 0}, nil
		}, opts)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(time.Unix(0, readyAt.Load()))
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms-after-ready")
}

// BenchmarkWaitReaction compares a watch-triggered wait with plain polling
// at the same interval: the ratio of their ms-after-ready is the gain.
func BenchmarkWaitReaction(b *testing.B) {
	b.Run("poll-300ms", func(b *testing.B) { benchmarkReaction(b, false, 300*time.Millisecond) })
	b.Run("trigger", func(b *testing.B) { benchmarkReaction(b, true, 300*time.Millisecond) })
}
