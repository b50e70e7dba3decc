// Package v1alpha1 contains the API of the task runner that serves a site:
// the TaskRun kind, one build-and-deliver run recorded in the site's
// management cluster and executed by mc-taskrunner.
//
// +kubebuilder:object:generate=true
// +groupName=tasks.mcplatform.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// Group is the API group of the task runner's kinds.
const Group = "tasks.mcplatform.dev"

// Version is the API version of this package.
const Version = "v1alpha1"

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// SchemeBuilder registers the kinds of this package with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
