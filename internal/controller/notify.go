package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// AnnotationLastNotice records the ID of the last sync notice the
// controller recorded and sent for a managed resource of a GitOps kind, so
// that each outcome at each revision is told once, also across restarts.
const AnnotationLastNotice = v1alpha1.Group + "/last-notice"

// notifySync records the end of a GitOps kind's sync as a Kubernetes Event
// (SyncSucceeded or SyncFailed) and sends it to the notification channels
// the spec names, once per outcome and revision: when external is an
// engine.Notifier and the observation shows the resource ready and up to
// date, or failed. A notice that cannot be delivered is a Warning event
// (CannotSendNotification); it is not sent again for that outcome. It
// reports whether mg's annotations changed and must be stored.
func (r *Reconciler[S, O]) notifySync(ctx context.Context, mg Managed, external engine.Client[S, O], id string, want S, observation engine.Observation[S, O]) bool {
	notifier, ok := external.(engine.Notifier[S, O])
	if !ok {
		return false
	}
	var waitErr error
	switch {
	case observation.Failed != nil:
		waitErr = r.explain(observation.Failed)
	case observation.Ready && observation.UpToDate:
	default:
		return false
	}
	n, ok := notifier.Notice(id, want, observation, waitErr)
	if !ok || mg.GetAnnotations()[AnnotationLastNotice] == n.ID {
		return false
	}
	if n.Event == notify.EventSyncSucceeded {
		r.event(mg, corev1.EventTypeNormal, EventReasonSyncSucceeded, "Sync", n.Message)
	} else {
		r.event(mg, corev1.EventTypeWarning, EventReasonSyncFailed, "Sync", n.Message)
	}
	if err := notifier.Notify(ctx, want, n); err != nil {
		r.event(mg, corev1.EventTypeWarning, EventReasonCannotSendNotification, "Notify",
			fmt.Sprintf("cannot deliver the %s notice: %s", n.Event, redact.Text(err.Error())))
	}
	return setAnnotation(mg, AnnotationLastNotice, n.ID)
}
