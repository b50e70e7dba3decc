// Package v1alpha1 contains the Crossplane-style Kubernetes API of the mc
// platform: managed resources with spec.forProvider and status.atProvider,
// Ready and Synced conditions, deletion and management policies, and the
// ProviderConfig that tells the controller how to reach the platform plane.
//
// +kubebuilder:object:generate=true
// +groupName=mc.mcplatform.dev
package v1alpha1

// Deepcopy functions (zz_generated.deepcopy.go) and the CRDs in config/crd
// are generated; run `go generate ./api/...` after changing a type.
//go:generate go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0 object paths=./... crd paths=./... output:crd:artifacts:config=../../config/crd

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// Group is the API group of every kind in this package.
const Group = "mc.mcplatform.dev"

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
