package engine

import (
	"context"
	"time"
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

// ConvergeOptions tune Converge and DeleteUntilGone.
type ConvergeOptions struct {
	// Timeout bounds the wait; zero means no bound beyond ctx.
	Timeout time.Duration
	// MaxReupdates bounds the updates made after the first; zero means
	// DefaultMaxReupdates, a negative value none.
	MaxReupdates int
	// MinInterval and MaxInterval are handed to Wait.
	MinInterval, MaxInterval time.Duration
	// NotifyFailed is told when the notices of a Notifier client about
	// the end of the wait could not all be delivered; a delivery failure
	// never fails Converge. Nil ignores it.
	NotifyFailed func(err error)
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
// It returns the resource's id (also when the wait failed, so that the
// caller can keep it) and the last observation. A wait that outlives
// opts.Timeout returns a *TimeoutError: the resource exists and a later
// Converge resumes waiting. A client that is a Notifier is told how the
// wait ended.
func Converge[S, O any](ctx context.Context, c Client[S, O], id string, want S, opts ConvergeOptions) (string, Observation[S, O], error) {
	var none Observation[S, O]
	if id == "" {
		created, err := c.Create(ctx, want)
		if err != nil {
			return "", none, err
		}
		id = created
	} else if err := c.Update(ctx, id, want); err != nil {
		return id, none, err
	}
	reupdates := opts.MaxReupdates
	if reupdates == 0 {
		reupdates = DefaultMaxReupdates
	}
	var deadline time.Time
	if opts.Timeout > 0 {
		deadline = time.Now().Add(opts.Timeout)
	}
	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	trigger := triggerOf(watchCtx, c, id)
	for attempt := 0; ; attempt++ {
		waitOpts := WaitOptions{Trigger: trigger, MinInterval: opts.MinInterval, MaxInterval: opts.MaxInterval}
		if !deadline.IsZero() {
			waitOpts.Timeout = time.Until(deadline)
			if waitOpts.Timeout <= 0 {
				waitOpts.Timeout = time.Nanosecond
			}
		}
		obs, err := Wait(ctx, func(ctx context.Context) (Observation[S, O], error) {
			return c.Observe(ctx, id, want)
		}, waitOpts)
		if err != nil || obs.UpToDate || attempt >= reupdates {
			notifyConverged(ctx, c, id, want, obs, err, opts)
			return id, obs, err
		}
		if err := c.Update(ctx, id, want); err != nil {
			return id, obs, err
		}
	}
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
