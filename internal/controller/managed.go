// Package controller holds the Crossplane-style Kubernetes controller: one
// generic managed reconciler that drives any engine.Client through the
// Observe/Create/Update/Delete contract, and a Setup per kind that wires an
// adapter between the kind's CRD and its engine client.
//
// The reconciler follows crossplane-runtime's managed reconciler contract:
// a finalizer, the external-name annotation, a create-pending annotation for
// crash safety, deletionPolicy, managementPolicies, Ready and Synced
// conditions with stable reasons, Kubernetes events with stable reasons,
// connection Secrets, and a per-resource poll interval. It never blocks
// waiting for readiness: it requeues, and it is woken at once by the
// engine's triggers (watches on Cluster API objects and Argo CD
// Applications) and by changes of the Secrets a resource references.
package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Managed is a Kubernetes object the managed reconciler drives: a kind of
// api/v1alpha1 with an embedded ResourceSpec and ResourceStatus.
type Managed interface {
	client.Object
	// GetResourceSpec returns the spec fields common to every managed kind.
	GetResourceSpec() *v1alpha1.ResourceSpec
	// GetResourceStatus returns the status fields common to every managed kind.
	GetResourceStatus() *v1alpha1.ResourceStatus
}

// Adapter connects one managed kind to its engine client. S and O are the
// engine's spec and status types. Every method receives the kind the
// adapter was made for; Connect and DesiredSpec report an error otherwise.
type Adapter[S, O any] interface {
	// Connect returns the engine client that manages mg's external resource,
	// built from the ProviderConfig mg references.
	Connect(ctx context.Context, mg Managed) (engine.Client[S, O], error)

	// DesiredSpec returns the engine spec for mg's spec.forProvider,
	// resolving secret references into values and their versions.
	DesiredSpec(ctx context.Context, mg Managed) (S, error)

	// SetObservation writes the engine status into mg's status.atProvider.
	SetObservation(mg Managed, observed O)

	// LateInitialize fills unset fields of mg's spec.forProvider from the
	// spec the external resource reports, and reports whether it changed
	// anything. It never copies secret values.
	LateInitialize(mg Managed, actual S) (changed bool)
}

// FieldPathTranslator is implemented by adapters whose engine names invalid
// input with the front-end-neutral argument paths of
// engine.InvalidInputError (such as "gitops.repo_url"). The reconciler
// reports such errors with the kind's own field path (such as
// "spec.forProvider.gitops.repoURL") so that users see what to fix.
type FieldPathTranslator interface {
	// FieldPath returns the field path of the managed kind for enginePath.
	FieldPath(enginePath string) string
}

// ExternalNamer is implemented by adapters whose external names are not
// metadata.name, such as "<site>/<policy name>". When the external-name
// annotation is absent the reconciler uses DefaultExternalName instead of
// metadata.name: it must be the deterministic id Create would return for
// mg's spec, computed without reading Secrets or the backend.
type ExternalNamer interface {
	// DefaultExternalName returns the id of mg's external resource when
	// mg has no external-name annotation.
	DefaultExternalName(mg Managed) string
}

// Actor is implemented by adapters whose kind requests actions beyond
// keeping the external resource in line with spec.forProvider, such as
// running a replication when a run-request token changes.
//
// The reconciler calls Act only after a successful Observe found the
// external resource existing, Ready and up to date, with nothing to create,
// update or late-initialise, and only when managementPolicies allow Update
// (an Observe-only resource never acts). Act runs after status.atProvider
// was set from the observation, so what it records in status is kept.
type Actor[S, O any] interface {
	// Act performs or follows the actions mg requests on external resource
	// id through external, records them in mg's status, and reports
	// whether one is still in progress (the resource is then observed
	// again after the not-ready poll interval). It never blocks waiting
	// for an action to finish. An error is reported as Synced=False like
	// any reconcile error; status changes Act made are still written.
	Act(ctx context.Context, mg Managed, external engine.Client[S, O], id string) (inProgress bool, err error)
}
