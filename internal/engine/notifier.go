package engine

import (
	"context"

	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// Notifier is implemented by engine clients that tell notification channels
// how the wait for their resource ended, such as the GitOps kinds'
// sync_succeeded and sync_failed. Converge calls it after its wait, whether
// the wait succeeded or failed; the controller, which never waits, calls it
// when an observation shows the resource ready and up to date, or failed.
type Notifier[S, O any] interface {
	// Notice words what the end of a wait means: obs is the last
	// observation and waitErr the wait's error (nil when the resource is
	// ready and up to date). The notice's ID is stable for the same outcome
	// at the same revision, so that it is sent once; ok is false when the
	// outcome is none to notify (the context was cancelled).
	Notice(id string, want S, obs Observation[S, O], waitErr error) (n notify.Notice, ok bool)
	// Notify sends n to the channels want names that want its event; it
	// returns every failure, joined. It does nothing when want names none.
	Notify(ctx context.Context, want S, n notify.Notice) error
}

// notifyConverged sends the notice of a finished wait when c is a Notifier,
// reporting a delivery failure to opts.NotifyFailed.
func notifyConverged[S, O any](ctx context.Context, c Client[S, O], id string, want S, obs Observation[S, O], waitErr error, opts ConvergeOptions) {
	n, ok := c.(Notifier[S, O])
	if !ok || ctx.Err() != nil {
		return
	}
	notice, ok := n.Notice(id, want, obs, waitErr)
	if !ok {
		return
	}
	if err := n.Notify(ctx, want, notice); err != nil && opts.NotifyFailed != nil {
		opts.NotifyFailed(err)
	}
}
