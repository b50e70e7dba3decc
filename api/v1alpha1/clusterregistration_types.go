package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterRegistrationParameters is the desired registration of an existing
// cluster in a site's Argo CD. The cluster's Argo CD name is the managed
// resource's metadata.name.
type ClusterRegistrationParameters struct {
	// Site is the Site in whose Argo CD the cluster is registered.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="site is immutable: the registration belongs to its Argo CD; make a new ClusterRegistration"
	Site string `json:"site"`

	// Server is the URL of the cluster's API server, as Argo CD reaches it.
	// +kubebuilder:validation:Pattern=`^https?://`
	Server string `json:"server"`

	// CACertificate is the PEM-encoded CA bundle of Server; omitted means
	// the system's trusted roots.
	// +optional
	CACertificate string `json:"caCertificate,omitempty"`

	// TokenSecretRef selects the Secret key holding the bearer token with
	// which Argo CD deploys to the cluster. A change of the token is written
	// to Argo CD at once.
	TokenSecretRef SecretKeySelector `json:"tokenSecretRef"`

	// Namespaces restricts Argo CD to these namespaces of the cluster;
	// omitted means all (cluster-scoped resources too).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespaces []string `json:"namespaces,omitempty"`

	// Labels are the cluster's labels in Argo CD, by which AppProjects and
	// ApplicationSet cluster generators select it.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// ClusterRegistrationObservation is what the controller observed of the
// registration.
type ClusterRegistrationObservation struct {
	// KubernetesVersion is the version the cluster reports, reached with
	// the registered token; empty while it does not answer.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// ArgoCDSecret is the Argo CD cluster Secret, "<namespace>/<name>", on
	// the site's management cluster.
	// +optional
	ArgoCDSecret string `json:"argocdSecret,omitempty"`
	// Message says why the cluster does not answer.
	// +optional
	Message string `json:"message,omitempty"`
}

// ClusterRegistrationSpec is the desired state of a ClusterRegistration.
type ClusterRegistrationSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired registration.
	ForProvider ClusterRegistrationParameters `json:"forProvider"`
}

// ClusterRegistrationStatus is the observed state of a ClusterRegistration.
type ClusterRegistrationStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the registration.
	// +optional
	AtProvider ClusterRegistrationObservation `json:"atProvider,omitempty"`
}

// ClusterRegistration registers an existing Kubernetes cluster, one that
// Cluster API did not make, in a Site's Argo CD under the name
// metadata.name: an Argo CD cluster Secret holding the cluster's server,
// CA and token, of the same kind a Cluster's registration is. It is Ready
// while the cluster answers with the token. Its external name is
// "<site>/<name>".
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="VERSION",type="string",JSONPath=".status.atProvider.kubernetesVersion"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name is the cluster's Argo CD name: a DNS-1123 label",fieldPath=".metadata"
type ClusterRegistration struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the ClusterRegistration.
	Spec ClusterRegistrationSpec `json:"spec"`
	// Status is the observed state of the ClusterRegistration.
	// +optional
	Status ClusterRegistrationStatus `json:"status,omitempty"`
}

// ClusterRegistrationList is a list of ClusterRegistrations.
// +kubebuilder:object:root=true
type ClusterRegistrationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ClusterRegistrations.
	Items []ClusterRegistration `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ClusterRegistration{}, &ClusterRegistrationList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (r *ClusterRegistration) GetResourceSpec() *ResourceSpec { return &r.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (r *ClusterRegistration) GetResourceStatus() *ResourceStatus { return &r.Status.ResourceStatus }
