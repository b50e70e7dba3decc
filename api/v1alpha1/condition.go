package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Available returns Ready=True with reason Available.
func Available() Condition {
	return Condition{Type: TypeReady, Status: corev1.ConditionTrue, Reason: ReasonAvailable}
}

// Creating returns Ready=False with reason Creating and the progress message.
func Creating(message string) Condition {
	return Condition{Type: TypeReady, Status: corev1.ConditionFalse, Reason: ReasonCreating, Message: message}
}

// Deleting returns Ready=False with reason Deleting and the progress message.
func Deleting(message string) Condition {
	return Condition{Type: TypeReady, Status: corev1.ConditionFalse, Reason: ReasonDeleting, Message: message}
}

// Unavailable returns Ready=False with reason Unavailable and why.
func Unavailable(message string) Condition {
	return Condition{Type: TypeReady, Status: corev1.ConditionFalse, Reason: ReasonUnavailable, Message: message}
}

// ReconcileSuccess returns Synced=True with reason ReconcileSuccess.
func ReconcileSuccess() Condition {
	return Condition{Type: TypeSynced, Status: corev1.ConditionTrue, Reason: ReasonReconcileSuccess}
}

// ReconcileError returns Synced=False with reason ReconcileError and the
// error's message.
func ReconcileError(err error) Condition {
	return Condition{Type: TypeSynced, Status: corev1.ConditionFalse, Reason: ReasonReconcileError, Message: err.Error()}
}

// DependencyUnavailable returns Synced=False with reason
// DependencyUnavailable and the error's message, which names the dependency
// that cannot be read.
func DependencyUnavailable(err error) Condition {
	return Condition{Type: TypeSynced, Status: corev1.ConditionFalse, Reason: ReasonDependencyUnavailable, Message: err.Error()}
}

// ReconcilePaused returns Synced=False with reason ReconcilePaused.
func ReconcilePaused() Condition {
	return Condition{
		Type: TypeSynced, Status: corev1.ConditionFalse, Reason: ReasonReconcilePaused,
		Message: "reconciling is paused by the annotation " + AnnotationPaused,
	}
}

// Equal reports whether c and other say the same thing, ignoring
// LastTransitionTime.
func (c Condition) Equal(other Condition) bool {
	return c.Type == other.Type && c.Status == other.Status && c.Reason == other.Reason &&
		c.Message == other.Message && c.ObservedGeneration == other.ObservedGeneration
}

// GetCondition returns the condition of type t, or an Unknown condition of
// that type when there is none.
func (s *ResourceStatus) GetCondition(t ConditionType) Condition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return Condition{Type: t, Status: corev1.ConditionUnknown}
}

// SetConditions sets each condition, replacing the one of the same type.
// LastTransitionTime changes only when Status changes; a zero
// LastTransitionTime on a new condition becomes now.
func (s *ResourceStatus) SetConditions(conditions ...Condition) {
	now := metav1.Now()
	for _, c := range conditions {
		replaced := false
		for i, existing := range s.Conditions {
			if existing.Type != c.Type {
				continue
			}
			replaced = true
			if existing.Status == c.Status {
				c.LastTransitionTime = existing.LastTransitionTime
			} else if c.LastTransitionTime.IsZero() {
				c.LastTransitionTime = now
			}
			s.Conditions[i] = c
		}
		if !replaced {
			if c.LastTransitionTime.IsZero() {
				c.LastTransitionTime = now
			}
			s.Conditions = append(s.Conditions, c)
		}
	}
}
