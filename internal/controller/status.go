package controller

import (
	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
)

// setConditions records conditions on mg for its current generation.
func setConditions(mg Managed, conditions ...v1alpha1.Condition) {
	generation := mg.GetGeneration()
	for i := range conditions {
		conditions[i].ObservedGeneration = generation
	}
	mg.GetResourceStatus().SetConditions(conditions...)
}

// setSynced records a successful reconcile of mg's current generation.
func setSynced(mg Managed) {
	setConditions(mg, v1alpha1.ReconcileSuccess())
	mg.GetResourceStatus().ObservedGeneration = mg.GetGeneration()
}

// setSyncError records a failed reconcile with err's message.
func setSyncError(mg Managed, err error) {
	setConditions(mg, v1alpha1.ReconcileError(err))
}

// readyCondition translates what Observe found into the Ready condition:
// Available when ready; Unavailable on a terminal failure or when a resource
// that was Available stopped being ready; Creating otherwise. The engine's
// progress message is kept.
func readyCondition(previous v1alpha1.Condition, ready bool, failed error, message string) v1alpha1.Condition {
	switch {
	case failed != nil:
		return v1alpha1.Unavailable(failed.Error())
	case ready:
		c := v1alpha1.Available()
		c.Message = message
		return c
	case previous.Reason == v1alpha1.ReasonAvailable || previous.Reason == v1alpha1.ReasonUnavailable:
		return v1alpha1.Unavailable(message)
	default:
		return v1alpha1.Creating(message)
	}
}
