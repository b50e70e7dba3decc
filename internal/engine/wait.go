package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

// TimeoutError is returned by Wait when the deadline passes before the
// resource is ready. It is not a failure: the resource exists and the next
// apply resumes waiting.
type TimeoutError struct {
	// After is how long Wait waited.
	After time.Duration
	// Message is the last progress message the backend reported.
	Message string
}

func (e *TimeoutError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("not ready after %s", e.After)
	}
	return fmt.Sprintf("not ready after %s: %s", e.After, e.Message)
}

// IsTimeout reports whether err is a *TimeoutError.
func IsTimeout(err error) bool {
	var t *TimeoutError
	return errors.As(err, &t)
}

// WaitOptions tune Wait.
type WaitOptions struct {
	// Timeout bounds the wait; zero means no bound beyond ctx.
	Timeout time.Duration
	// Trigger, when set, fires whenever the watched backend objects change
	// (a Kubernetes watch); Wait observes again at once on every signal.
	Trigger <-chan struct{}
	// MinInterval and MaxInterval bound the polling backoff; polling goes on
	// beside a Trigger as a safety net. Defaults: 500ms and 10s (30s with a Trigger).
	MinInterval, MaxInterval time.Duration
	// Until decides when to stop; the default stops when the observation is Ready.
	Until func(exists, ready bool) bool
}

// Wait observes until the observation is ready (or opts.Until holds), a
// terminal failure is reported (returned as *TerminalError), the timeout
// passes (*TimeoutError) or ctx ends. Invalid input and a dependency that
// cannot be read stop it at once; other observe errors are retried. It
// returns the last observation in every case. Each step is logged at Debug
// to the context's logger (internal/logctx): what was observed, the next
// delay, and every wake-up by the trigger.
func Wait[S, O any](ctx context.Context, observe func(context.Context) (Observation[S, O], error), opts WaitOptions) (Observation[S, O], error) {
	start := time.Now()
	if opts.MinInterval <= 0 {
		opts.MinInterval = 500 * time.Millisecond
	}
	if opts.MaxInterval <= 0 {
		opts.MaxInterval = 10 * time.Second
		if opts.Trigger != nil {
			opts.MaxInterval = 30 * time.Second
		}
	}
	until := opts.Until
	if until == nil {
		until = func(exists, ready bool) bool { return exists && ready }
	}
	var deadline <-chan time.Time
	if opts.Timeout > 0 {
		t := time.NewTimer(opts.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	interval := opts.MinInterval
	var last Observation[S, O]
	var lastErr error
	log := logctx.From(ctx)
	for step := 1; ; step++ {
		obs, err := observe(ctx)
		if err == nil {
			last, lastErr = obs, nil
			if obs.Failed != nil {
				log.Debug("Wait ended: the resource failed", "step", step, "failure", obs.Failed)
				var term *TerminalError
				if errors.As(obs.Failed, &term) {
					return last, obs.Failed
				}
				return last, &TerminalError{Message: obs.Failed.Error()}
			}
			if until(obs.Exists, obs.Ready) {
				log.Debug("Wait ended: the resource is settled", "step", step, "exists", obs.Exists, "ready", obs.Ready, "elapsed", time.Since(start))
				return last, nil
			}
		} else {
			lastErr = err
			if reason := stopReason(err); reason != "" {
				log.Debug("Wait ended: "+reason, "step", step, "error", err)
				return last, err
			}
		}
		// Full jitter over the current interval, at least MinInterval/2.
		sleep := opts.MinInterval/2 + rand.N(interval-opts.MinInterval/2+1)
		if err != nil {
			log.Debug("Wait step", "step", step, "error", err, "next_in", sleep, "elapsed", time.Since(start))
		} else {
			log.Debug("Wait step", "step", step, "exists", obs.Exists, "ready", obs.Ready, "message", obs.Message, "next_in", sleep, "elapsed", time.Since(start))
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			log.Debug("Wait ended: the context ended", "step", step, "reason", ctx.Err(), "elapsed", time.Since(start))
			if lastErr != nil {
				return last, fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr)
			}
			return last, ctx.Err()
		case <-deadline:
			timer.Stop()
			log.Debug("Wait ended: the timeout passed", "step", step, "timeout", opts.Timeout)
			msg := last.Message
			if lastErr != nil {
				msg = lastErr.Error()
			}
			return last, &TimeoutError{After: time.Since(start).Round(time.Second), Message: msg}
		case <-opts.Trigger:
			timer.Stop()
			log.Debug("Wait woken by a change of a watched object", "step", step)
			// A change arrived: observe again at once, and restart the backoff.
			interval = opts.MinInterval
			continue
		case <-timer.C:
		}
		interval *= 2
		if interval > opts.MaxInterval {
			interval = opts.MaxInterval
		}
	}
}

// stopReason says why err ends a wait instead of being retried (an
// observation that failed for good, invalid input, a dependency that cannot
// be read); empty when it is retried.
func stopReason(err error) string {
	var term *TerminalError
	if errors.As(err, &term) {
		return "the observation failed for good"
	}
	if _, ok := AsInvalidInput(err); ok {
		return "the input is invalid"
	}
	if _, ok := AsDependency(err); ok {
		return "a dependency cannot be read"
	}
	return ""
}
