package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

// Triggerer is implemented by engine clients whose backend can be watched
// (Kubernetes objects). Trigger signals whenever what id stands for changes,
// until ctx ends; it returns nil when there is nothing to watch.
type Triggerer interface {
	Trigger(ctx context.Context, id string) <-chan struct{}
}

// DefaultMaxReupdates bounds how often Converge updates a resource again
// when it is ready but drifted from the spec while it was waited for.
const DefaultMaxReupdates = 2

// DefaultMaxRecreates bounds how often Converge creates a resource again
// when it vanished while it was waited for.
const DefaultMaxRecreates = 3

// DefaultVanishedAfter is how long Converge must have observed the resource
// missing before it creates it again for the first time; each later
// re-create waits twice as long as the one before.
const DefaultVanishedAfter = 5 * time.Second

// VanishedObservations is how many observations in a row must find the
// resource missing, besides the time of ConvergeOptions.VanishedAfter,
// before Converge counts it as vanished.
const VanishedObservations = 3

// ConvergeOptions tune Converge and DeleteUntilGone.
type ConvergeOptions struct {
	// Timeout bounds the wait; zero means no bound beyond ctx.
	Timeout time.Duration
	// MaxReupdates bounds the updates made after the first; zero means
	// DefaultMaxReupdates, a negative value none.
	MaxReupdates int
	// MaxRecreates bounds the creates made again because the resource
	// vanished while it was waited for; zero means DefaultMaxRecreates, a
	// negative value none.
	MaxRecreates int
	// VanishedAfter is how long the resource must have been missing (on
	// VanishedObservations observations in a row) before the first
	// re-create; each later one waits twice as long. Zero means
	// DefaultVanishedAfter.
	VanishedAfter time.Duration
	// MinInterval and MaxInterval are handed to Wait.
	MinInterval, MaxInterval time.Duration
	// NotifyFailed is told when the notices of a Notifier client about
	// the end of the wait could not all be delivered; a delivery failure
	// never fails Converge. Nil ignores it.
	NotifyFailed func(err error)
	// Recreated is told of every re-create of a resource that vanished,
	// after Create returned. Nil ignores it.
	Recreated func(r Recreation)
}

// Recreation describes one re-create of a resource that vanished while
// Converge waited for it.
type Recreation struct {
	// ID is the id of the resource that vanished; NewID the id Create
	// returned (the same for every kind, whose ids are deterministic).
	ID, NewID string
	// Attempt counts the re-creates of this Converge, from 1 to Max.
	Attempt, Max int
	// MissingFor is how long the resource had been observed missing, on
	// Observations observations in a row (0 when an Update found it gone).
	MissingFor   time.Duration
	Observations int
	// Err is Create's error, nil when it succeeded.
	Err error
}

func (r Recreation) String() string {
	msg := fmt.Sprintf("re-creating %s: it vanished", r.ID)
	if r.Observations > 0 {
		msg += fmt.Sprintf(" (missing on %d observations over %s)", r.Observations, roundDuration(r.MissingFor))
	} else {
		msg += " (the update found it gone)"
	}
	msg += fmt.Sprintf("; re-create %d of at most %d", r.Attempt, r.Max)
	if r.NewID != "" && r.NewID != r.ID {
		msg += fmt.Sprintf(", now %s", r.NewID)
	}
	if r.Err != nil {
		msg += fmt.Sprintf(" failed: %v", r.Err)
	}
	return msg
}

// Converge makes the external resource match want and waits until it is
// ready and up to date: it creates the resource when id is empty (Create
// adopts what already exists, so a create that was cut off is never
// duplicated) and updates it otherwise. When the resource is ready but no
// longer matches want (something changed it meanwhile, or a change can only
// be applied once a previous one settled) it is updated again, at most
// opts.MaxReupdates times. Clients that are Triggerers are watched so that
// the wait reacts at once.
//
// A resource that vanishes while it is waited for (a backend that lost its
// state in a restart, an object deleted by somebody else) is created again:
// once VanishedObservations observations in a row found it missing over at
// least opts.VanishedAfter (doubled after each re-create), Converge calls
// the idempotent Create and goes on waiting, at most opts.MaxRecreates
// times. An Update that fails with a not-found error (IsNotFound) of a
// resource that Observe then reports missing is followed by a Create too,
// counted alike. The observation's Message says that the resource vanished
// and how often it was created again, so that a wait that outlives its
// timeout says why; opts.Recreated is told of each re-create. Create
// returns the deterministic id of want for every kind; should it return
// another id, that one is waited for (and watched) from then on and
// returned. A re-create whose error stops a wait (invalid input, a terminal
// failure, a dependency that cannot be read) or that was the last one
// allowed fails Converge with that error; another failure is retried as
// the next re-create.
//
// It returns the resource's id (also when the wait failed, so that the
// caller can keep it) and the last observation. A wait that outlives
// opts.Timeout returns a *TimeoutError: the resource exists (unless the
// error's message says that it vanished) and a later Converge resumes
// waiting. A client that is a Notifier is told how the
// wait ended.
func Converge[S, O any](ctx context.Context, c Client[S, O], id string, want S, opts ConvergeOptions) (string, Observation[S, O], error) {
	var none Observation[S, O]
	v := newVanishing(opts)
	if id == "" {
		created, err := c.Create(ctx, want)
		if err != nil {
			return "", none, err
		}
		id = created
	} else if err := c.Update(ctx, id, want); err != nil {
		if !IsNotFound(err) || v.max == 0 {
			return id, none, err
		}
		// The resource vanished before it could be updated: create it
		// again when Observe agrees that it is gone.
		obs, oerr := c.Observe(ctx, id, want)
		if oerr != nil || obs.Exists {
			return id, none, err
		}
		newID, cerr := recreate(ctx, v, c, id, want, opts, true)
		if cerr != nil {
			return id, none, cerr
		}
		id = newID
	}
	reupdates := opts.MaxReupdates
	if reupdates == 0 {
		reupdates = DefaultMaxReupdates
	}
	var deadline time.Time
	if opts.Timeout > 0 {
		deadline = time.Now().Add(opts.Timeout)
	}
	// The watch of the id waited for; a re-create that returned another id
	// stops it and watches the new one.
	stopWatch := func() {}
	defer func() { stopWatch() }()
	watch := func(id string) <-chan struct{} {
		stopWatch()
		var watchCtx context.Context
		watchCtx, stopWatch = context.WithCancel(ctx)
		return triggerOf(watchCtx, c, id)
	}
	trigger := watch(id)
	for attempt := 0; ; {
		vanished := false
		waitOpts := WaitOptions{Trigger: trigger, MinInterval: opts.MinInterval, MaxInterval: opts.MaxInterval,
			Until: func(exists, ready bool) bool { return exists && ready || vanished }}
		if !deadline.IsZero() {
			waitOpts.Timeout = time.Until(deadline)
			if waitOpts.Timeout <= 0 {
				waitOpts.Timeout = time.Nanosecond
			}
		}
		obs, err := Wait(ctx, func(ctx context.Context) (Observation[S, O], error) {
			obs, err := c.Observe(ctx, id, want)
			if err != nil {
				// An observation that failed says nothing of existence.
				return obs, err
			}
			vanished = v.observed(obs.Exists, time.Now())
			if !obs.Exists {
				obs.Message = v.describe(id, obs.Message)
			}
			return obs, nil
		}, waitOpts)
		if err == nil && vanished {
			newID, err := recreate(ctx, v, c, id, want, opts, false)
			if err != nil {
				return id, obs, err
			}
			if newID != id {
				id, trigger = newID, watch(newID)
			}
			continue
		}
		if err != nil || obs.UpToDate || attempt >= reupdates {
			notifyConverged(ctx, c, id, want, obs, err, opts)
			return id, obs, err
		}
		if err := c.Update(ctx, id, want); err != nil {
			return id, obs, err
		}
		attempt++
	}
}

// vanishing follows, for Converge, how long the resource it made has been
// missing and how often it was created again.
type vanishing struct {
	max   int
	after time.Duration
	// missing counts the observations in a row that found the resource
	// missing, since missingSince.
	missing      int
	missingSince time.Time
	// recreates counts the re-creates so far; lastErr is the error of the
	// last one, if it failed.
	recreates int
	lastErr   error
}

func newVanishing(opts ConvergeOptions) *vanishing {
	v := &vanishing{max: opts.MaxRecreates, after: opts.VanishedAfter}
	switch {
	case v.max == 0:
		v.max = DefaultMaxRecreates
	case v.max < 0:
		v.max = 0
	}
	if v.after <= 0 {
		v.after = DefaultVanishedAfter
	}
	return v
}

// observed records an observation and reports whether the resource is to
// be created again now: missing on VanishedObservations observations in a
// row, for long enough, with re-creates left.
func (v *vanishing) observed(exists bool, now time.Time) bool {
	if exists {
		v.missing, v.missingSince = 0, time.Time{}
		return false
	}
	if v.missing == 0 {
		v.missingSince = now
	}
	v.missing++
	return v.recreates < v.max && v.missing >= VanishedObservations && now.Sub(v.missingSince) >= v.after<<v.recreates
}

// describe words a missing resource for the observation's message, followed
// by the client's own message, if any.
func (v *vanishing) describe(id, message string) string {
	missing := fmt.Sprintf("%d observations over %s", v.missing, roundDuration(time.Since(v.missingSince)))
	var msg string
	switch {
	case v.recreates == 0:
		msg = fmt.Sprintf("%s is missing (%s)", id, missing)
	case v.recreates < v.max:
		msg = fmt.Sprintf("%s vanished and was created again (%d of at most %d re-creates); missing again (%s)", id, v.recreates, v.max, missing)
	default:
		msg = fmt.Sprintf("%s vanished: created again %d times, the most a wait does, and missing again (%s)", id, v.recreates, missing)
	}
	if v.lastErr != nil {
		msg += fmt.Sprintf("; the last re-create failed: %v", v.lastErr)
	}
	if message != "" {
		msg += ": " + message
	}
	return msg
}

// recreate calls Create again for the resource id that vanished, logs it
// and tells opts.Recreated. afterUpdate is true when an Update found it
// gone. It returns the id to wait for, and Create's error when it stops
// the wait (see Converge); another failure is kept for the message and
// retried as the next re-create.
func recreate[S, O any](ctx context.Context, v *vanishing, c Client[S, O], id string, want S, opts ConvergeOptions, afterUpdate bool) (string, error) {
	v.recreates++
	r := Recreation{ID: id, Attempt: v.recreates, Max: v.max}
	if !afterUpdate {
		r.Observations, r.MissingFor = v.missing, time.Since(v.missingSince)
	}
	v.missing, v.missingSince = 0, time.Time{}
	log := logctx.From(ctx)
	log.Debug("Converge: re-creating the resource, it vanished", "id", id, "attempt", r.Attempt, "max", r.Max,
		"missing_observations", r.Observations, "missing_for", r.MissingFor)
	newID, err := c.Create(ctx, want)
	r.NewID, r.Err = newID, err
	if err == nil {
		v.lastErr = nil
		log.Debug("Converge: created again", "id", id, "new_id", newID, "attempt", r.Attempt)
	} else {
		v.lastErr = err
		log.Debug("Converge: the re-create failed", "id", id, "attempt", r.Attempt, "error", err)
	}
	if opts.Recreated != nil {
		opts.Recreated(r)
	}
	if err != nil {
		if stopReason(err) != "" || v.recreates >= v.max || afterUpdate {
			return id, err
		}
		return id, nil
	}
	if newID == "" {
		return id, nil
	}
	return newID, nil
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// DeleteUntilGone deletes the external resource id and waits until Observe
// reports it gone. Delete runs on every round, because engines may delete
// step by step (first the dependants, then the resource). Deleting what is
// already gone succeeds.
func DeleteUntilGone[S, O any](ctx context.Context, c Client[S, O], id string, opts ConvergeOptions) error {
	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var nothing S
	_, err := Wait(ctx, func(ctx context.Context) (Observation[S, O], error) {
		if err := c.Delete(ctx, id); err != nil {
			return Observation[S, O]{}, err
		}
		return c.Observe(ctx, id, nothing)
	}, WaitOptions{
		Timeout: opts.Timeout, Trigger: triggerOf(watchCtx, c, id),
		MinInterval: opts.MinInterval, MaxInterval: opts.MaxInterval,
		Until: func(exists, _ bool) bool { return !exists },
	})
	return err
}

func triggerOf[S, O any](ctx context.Context, c Client[S, O], id string) <-chan struct{} {
	if t, ok := c.(Triggerer); ok {
		return t.Trigger(ctx, id)
	}
	return nil
}

// Run is the state of a long-running action that a resource started, such
// as a replication execution or a CI run.
type Run interface {
	// Done reports whether the run has finished, successfully or not.
	Done() bool
	// Err is the run's failure once it is done and failed, a
	// *TerminalError; nil while it runs and when it succeeded.
	Err() error
}

// WaitRun observes a run until it is done, failing with the run's error.
// describe words the run's progress for timeouts and logs.
func WaitRun[R Run](ctx context.Context, observe func(context.Context) (R, error), describe func(R) string, opts WaitOptions) (R, error) {
	obs, err := Wait(ctx, func(ctx context.Context) (Observation[R, struct{}], error) {
		r, err := observe(ctx)
		if err != nil {
			return Observation[R, struct{}]{}, err
		}
		return Observation[R, struct{}]{Exists: true, Ready: r.Done(), Actual: r, Failed: r.Err(), Message: describe(r)}, nil
	}, opts)
	return obs.Actual, err
}
