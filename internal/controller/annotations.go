package controller

import (
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
)

// ExternalName returns the id of o's external resource: the external-name
// annotation, or metadata.name when it is absent. External names are
// deterministic, so the fallback is the id Create would return.
func ExternalName(o client.Object) string {
	if name := o.GetAnnotations()[v1alpha1.AnnotationExternalName]; name != "" {
		return name
	}
	return o.GetName()
}

// setAnnotation sets key to value on o and reports whether it changed.
func setAnnotation(o client.Object, key, value string) bool {
	annotations := o.GetAnnotations()
	if current, ok := annotations[key]; ok && current == value {
		return false
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[key] = value
	o.SetAnnotations(annotations)
	return true
}

// removeAnnotation removes key from o and reports whether it was there.
func removeAnnotation(o client.Object, key string) bool {
	annotations := o.GetAnnotations()
	if _, ok := annotations[key]; !ok {
		return false
	}
	delete(annotations, key)
	o.SetAnnotations(annotations)
	return true
}

// isPaused reports whether o carries the paused annotation set to "true".
func isPaused(o client.Object) bool {
	return o.GetAnnotations()[v1alpha1.AnnotationPaused] == "true"
}

// pollIntervalFor returns o's poll-interval annotation when it is a valid
// positive duration, else fallback.
func pollIntervalFor(o client.Object, fallback time.Duration) (time.Duration, error) {
	value, ok := o.GetAnnotations()[v1alpha1.AnnotationPollInterval]
	if !ok {
		return fallback, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return fallback, &invalidPollIntervalError{value: value}
	}
	return d, nil
}

// invalidPollIntervalError reports an unusable poll-interval annotation.
type invalidPollIntervalError struct{ value string }

func (e *invalidPollIntervalError) Error() string {
	return "annotation " + v1alpha1.AnnotationPollInterval + " is not a positive duration: " + e.value
}
