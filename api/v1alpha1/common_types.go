package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Annotations understood by the managed reconciler on every managed kind.
const (
	// AnnotationExternalName holds the id of the external resource. The
	// controller sets it after a successful Create; set it yourself to adopt
	// (import) an existing external resource under another name. When absent
	// the external name is metadata.name.
	AnnotationExternalName = Group + "/external-name"

	// AnnotationCreatePending is written, with an RFC 3339 timestamp, just
	// before the controller calls Create and removed once the outcome is
	// known. If the controller stops in between, the next reconcile finds the
	// annotation, observes the deterministic external name and either adopts
	// what was created or calls Create again (Create is idempotent).
	AnnotationCreatePending = Group + "/external-create-pending"

	// AnnotationPollInterval overrides, per resource, how often a Ready
	// resource is observed for drift, as a Go duration such as "30s" or "5m".
	AnnotationPollInterval = Group + "/poll-interval"
)

// LabelShard assigns a managed resource to a shard of the controller: an
// mc-controller started with --shard=<value> sees and reconciles only the
// managed resources labelled mc.mcplatform.dev/shard=<value>; one started
// without --shard reconciles every managed resource, labelled or not.
const LabelShard = Group + "/shard"

// Finalizer is the finalizer the managed reconciler puts on every managed
// resource so that the external resource is handled before the object goes.
const Finalizer = "finalizer.managedresource." + Group

// DeletionPolicy tells what happens to the external resource when the
// managed resource is deleted.
// +kubebuilder:validation:Enum=Delete;Orphan
type DeletionPolicy string

const (
	// DeletionDelete deletes the external resource with the managed resource.
	DeletionDelete DeletionPolicy = "Delete"
	// DeletionOrphan leaves the external resource in place.
	DeletionOrphan DeletionPolicy = "Orphan"
)

// ManagementAction is one action the controller may take on the external
// resource.
// +kubebuilder:validation:Enum=*;Observe;Create;Update;Delete;LateInitialize
type ManagementAction string

const (
	// ManagementActionAll allows every action.
	ManagementActionAll ManagementAction = "*"
	// ManagementActionObserve allows observing the external resource and
	// reporting it in status.atProvider. Every supported policy includes it.
	ManagementActionObserve ManagementAction = "Observe"
	// ManagementActionCreate allows creating the external resource.
	ManagementActionCreate ManagementAction = "Create"
	// ManagementActionUpdate allows updating the external resource when it
	// drifts from spec.forProvider.
	ManagementActionUpdate ManagementAction = "Update"
	// ManagementActionDelete allows deleting the external resource when the
	// managed resource is deleted with deletionPolicy Delete.
	ManagementActionDelete ManagementAction = "Delete"
	// ManagementActionLateInitialize allows filling unset fields of
	// spec.forProvider from what the external resource reports.
	ManagementActionLateInitialize ManagementAction = "LateInitialize"
)

// ManagementPolicies is the set of actions the controller may take.
// ["*"] allows everything; ["Observe"] only observes (declarative import).
type ManagementPolicies []ManagementAction

// Allows reports whether the policies allow action. An empty list is the
// default ["*"].
func (p ManagementPolicies) Allows(action ManagementAction) bool {
	if len(p) == 0 {
		return true
	}
	for _, a := range p {
		if a == ManagementActionAll || a == action {
			return true
		}
	}
	return false
}

// ProviderConfigReference names the cluster-scoped ProviderConfig a managed
// resource uses.
type ProviderConfigReference struct {
	// Name of the ProviderConfig.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// SecretKeySelector selects one key of a Secret.
type SecretKeySelector struct {
	// Namespace of the Secret.
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Key within the Secret's data.
	// +kubebuilder:validation:MinLength=1
	Key string `json:"key"`
}

// ResourceSpec holds the fields common to the spec of every managed
// resource.
type ResourceSpec struct {
	// DeletionPolicy tells whether the external resource is deleted (Delete)
	// or left in place (Orphan) when this managed resource is deleted.
	// +optional
	// +kubebuilder:default=Delete
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// ManagementPolicies lists the actions the controller may take on the
	// external resource. ["*"] allows all of them; ["Observe"] only observes
	// and reports status.atProvider, and never creates, updates or deletes.
	// Every list must include Observe (or "*").
	// +optional
	// +kubebuilder:default={"*"}
	// +listType=set
	// +kubebuilder:validation:MaxItems=6
	// +kubebuilder:validation:XValidation:rule="self.exists(a, a == '*' || a == 'Observe')",message="managementPolicies must include Observe or *"
	ManagementPolicies ManagementPolicies `json:"managementPolicies,omitempty"`

	// ProviderConfigReference names the ProviderConfig that tells how to
	// reach the platform plane.
	// +optional
	// +kubebuilder:default={"name": "default"}
	ProviderConfigReference *ProviderConfigReference `json:"providerConfigRef,omitempty"`

	// WriteConnectionSecretToReference names the Secret the controller
	// writes the connection details of the external resource to, once it is
	// Ready, and keeps up to date. The Secret is owned by this managed
	// resource and deleted with it. Kinds without connection details ignore
	// it; a Cluster publishes its admin kubeconfig (keys kubeconfig, server
	// and ca.crt).
	// +optional
	WriteConnectionSecretToReference *SecretReference `json:"writeConnectionSecretToRef,omitempty"`
}

// SecretReference names a Secret.
type SecretReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Namespace of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
}

// Keys of the connection details a Cluster publishes to the Secret named by
// writeConnectionSecretToRef.
const (
	// ConnectionSecretKeyKubeconfig holds the admin kubeconfig document.
	ConnectionSecretKeyKubeconfig = "kubeconfig"
	// ConnectionSecretKeyServer holds the API server URL.
	ConnectionSecretKeyServer = "server"
	// ConnectionSecretKeyCACertificate holds the PEM CA bundle of the API
	// server, when the kubeconfig embeds one.
	ConnectionSecretKeyCACertificate = "ca.crt"
)

// ConditionType is the type of a condition.
type ConditionType string

// Condition types reported by every managed resource.
const (
	// TypeReady tells whether the external resource is usable.
	TypeReady ConditionType = "Ready"
	// TypeSynced tells whether the last reconcile of the desired state with
	// the external resource succeeded.
	TypeSynced ConditionType = "Synced"
)

// ConditionReason is the stable, machine-readable reason of a condition.
type ConditionReason string

// Reasons of the Ready condition.
const (
	// ReasonAvailable (Ready=True): the external resource exists and every
	// long-running part has finished.
	ReasonAvailable ConditionReason = "Available"
	// ReasonCreating (Ready=False): the external resource is being created
	// or has not become ready yet; the message tells the progress.
	ReasonCreating ConditionReason = "Creating"
	// ReasonDeleting (Ready=False): the managed resource is being deleted.
	ReasonDeleting ConditionReason = "Deleting"
	// ReasonUnavailable (Ready=False): the external resource is missing, has
	// stopped being ready or reported a terminal failure; the message tells why.
	ReasonUnavailable ConditionReason = "Unavailable"
)

// Reasons of the Synced condition.
const (
	// ReasonReconcileSuccess (Synced=True): the last reconcile succeeded.
	ReasonReconcileSuccess ConditionReason = "ReconcileSuccess"
	// ReasonReconcileError (Synced=False): the last reconcile failed; the
	// message holds the error.
	ReasonReconcileError ConditionReason = "ReconcileError"
	// ReasonReconcilePaused (Synced=False): reconciling is paused by the
	// annotation mc.mcplatform.dev/paused.
	ReasonReconcilePaused ConditionReason = "ReconcilePaused"
	// ReasonDependencyUnavailable (Synced=False): something the external
	// resource depends on, such as its site record, cannot be read. The
	// external resource may still exist, so the controller neither
	// forgets nor releases it: the finalizer stays, also while the managed
	// resource is being deleted, and the reconcile is retried with
	// backoff. The message names the dependency and how to fix it.
	ReasonDependencyUnavailable ConditionReason = "DependencyUnavailable"
)

// AnnotationPaused, when set to "true", stops the controller from acting on
// the managed resource; Synced becomes False with reason ReconcilePaused.
const AnnotationPaused = Group + "/paused"

// Condition is one observed fact about a managed resource, in the shape of
// metav1.Condition with typed Type and Reason.
type Condition struct {
	// Type of the condition: Ready or Synced.
	Type ConditionType `json:"type"`
	// Status of the condition: True, False or Unknown.
	Status corev1.ConditionStatus `json:"status"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`
	// Reason is a stable, machine-readable reason for Status.
	Reason ConditionReason `json:"reason"`
	// Message is a human-readable account of Reason.
	// +optional
	Message string `json:"message,omitempty"`
	// ObservedGeneration is the metadata.generation the condition was set for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// ResourceStatus holds the fields common to the status of every managed
// resource.
type ResourceStatus struct {
	// Conditions of the managed resource: Ready and Synced.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the metadata.generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}
