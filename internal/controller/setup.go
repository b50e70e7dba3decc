package controller

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Options configures every managed controller.
type Options struct {
	// PollInterval is how often a Ready resource is observed for drift,
	// unless its mc.mcplatform.dev/poll-interval annotation says otherwise.
	// Zero means DefaultPollInterval.
	PollInterval time.Duration
	// NotReadyPollInterval is how soon a resource that is not Ready is
	// observed again. Zero means DefaultNotReadyPollInterval.
	NotReadyPollInterval time.Duration
	// WatchedNotReadyPollInterval is how soon a resource that is not Ready
	// is observed again while an engine trigger watches it (the trigger
	// wakes it at once on a change). Zero means
	// DefaultWatchedNotReadyPollInterval.
	WatchedNotReadyPollInterval time.Duration
	// PollJitter is the fraction by which poll intervals vary at random.
	// Nil means DefaultPollJitter.
	PollJitter *float64
	// MaxConcurrentReconciles per kind; zero means 1.
	MaxConcurrentReconciles int
}

func (o Options) reconcilerOptions(mgr ctrl.Manager, name string) []ReconcilerOption {
	opts := []ReconcilerOption{
		WithPollInterval(o.PollInterval),
		WithNotReadyPollInterval(o.NotReadyPollInterval),
		WithWatchedNotReadyPollInterval(o.WatchedNotReadyPollInterval),
		WithEventRecorder(mgr.GetEventRecorder("mc-controller/" + name)),
		WithSecretReader(mgr.GetAPIReader()),
	}
	if o.PollJitter != nil {
		opts = append(opts, WithPollJitter(*o.PollJitter))
	}
	return opts
}

func (o Options) controllerOptions() controller.Options {
	return controller.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles}
}

// setupManaged registers the controller name for the managed kind of r
// with mgr. Besides changes of the managed resources, the controller
// reconciles a resource whenever its engine trigger signals; the triggers
// stop with the manager.
//
// It also reconciles a resource when a Secret it references or its
// connection Secret changes (see watchSecrets); newList returns an empty
// list of the managed kind.
func setupManaged[S, O any](mgr ctrl.Manager, name string, r *Reconciler[S, O], newList func() client.ObjectList, o Options) error {
	stopTriggers := manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		r.StopTriggers()
		return nil
	})
	if err := mgr.Add(stopTriggers); err != nil {
		return fmt.Errorf("cannot register the triggers of the %s controller: %w", name, err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named(name).
		For(r.newManaged(), desiredStateChanged()).
		WatchesRawSource(source.Channel(r.TriggerEvents(), &handler.EnqueueRequestForObject{})).
		WithOptions(o.controllerOptions())
	b, err := watchSecrets(mgr, b, r, newList)
	if err != nil {
		return err
	}
	return b.Complete(r)
}

// desiredStateChanged passes the events that can change what the reconciler
// does: creation, deletion, a new generation (spec or deletion timestamp),
// changed annotations or labels, and the start of deletion. It drops the
// events of the reconciler's own status updates.
func desiredStateChanged() builder.Predicates {
	return builder.WithPredicates(predicate.Or(
		predicate.GenerationChangedPredicate{},
		predicate.AnnotationChangedPredicate{},
		predicate.LabelChangedPredicate{},
		predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
		}},
	))
}
