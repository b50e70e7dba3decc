package controller

import (
	"time"

	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
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
	// MaxConcurrentReconciles per kind; zero means 1.
	MaxConcurrentReconciles int
}

func (o Options) reconcilerOptions() []ReconcilerOption {
	return []ReconcilerOption{WithPollInterval(o.PollInterval), WithNotReadyPollInterval(o.NotReadyPollInterval)}
}

func (o Options) controllerOptions() controller.Options {
	return controller.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles}
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
