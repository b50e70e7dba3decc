package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CredentialsSource tells where the controller finds its credentials for the
// platform plane.
// +kubebuilder:validation:Enum=InjectedIdentity;Secret
type CredentialsSource string

const (
	// CredentialsSourceInjectedIdentity uses the controller's own identity
	// (its in-cluster service account or --kubeconfig): the platform plane
	// is the cluster the controller runs in.
	CredentialsSourceInjectedIdentity CredentialsSource = "InjectedIdentity"
	// CredentialsSourceSecret uses a kubeconfig held in a Secret.
	CredentialsSourceSecret CredentialsSource = "Secret"
)

// ProviderCredentials tells how to reach the platform plane.
// +kubebuilder:validation:XValidation:rule="self.source != 'Secret' || has(self.secretRef)",message="secretRef is required when source is Secret"
type ProviderCredentials struct {
	// Source of the credentials.
	// +kubebuilder:default=InjectedIdentity
	Source CredentialsSource `json:"source"`

	// SecretRef selects the Secret key holding a kubeconfig for the platform
	// plane; required when source is Secret.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`
}

// ProviderConfigSpec is the desired state of a ProviderConfig.
type ProviderConfigSpec struct {
	// Credentials tells how to reach the platform plane.
	// +kubebuilder:default={"source": "InjectedIdentity"}
	Credentials ProviderCredentials `json:"credentials"`

	// Namespace is the site registry namespace in the platform plane, where
	// site records are kept.
	// +optional
	// +kubebuilder:default=mc-system
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
}

// ProviderConfig tells the controller how to reach the platform plane on
// behalf of the managed resources that reference it.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories={mc,mc-config}
// +kubebuilder:printcolumn:name="SOURCE",type="string",JSONPath=".spec.credentials.source"
// +kubebuilder:printcolumn:name="NAMESPACE",type="string",JSONPath=".spec.namespace"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the ProviderConfig.
	Spec ProviderConfigSpec `json:"spec"`
}

// ProviderConfigList is a list of ProviderConfigs.
// +kubebuilder:object:root=true
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ProviderConfigs.
	Items []ProviderConfig `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ProviderConfig{}, &ProviderConfigList{})
}

// DefaultProviderConfigName is the ProviderConfig a managed resource uses
// when it names none.
const DefaultProviderConfigName = "default"

// DefaultRegistryNamespace is the site registry namespace when a
// ProviderConfig names none.
const DefaultRegistryNamespace = "mc-system"
