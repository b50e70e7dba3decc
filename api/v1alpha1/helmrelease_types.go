package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HelmReleaseParameters is the desired Helm release, installed by a site's
// Argo CD. The release name is the managed resource's metadata.name.
type HelmReleaseParameters struct {
	// Site is the Site whose Argo CD and GitOps repository deliver the
	// release.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="site is immutable: make a new HelmRelease"
	Site string `json:"site"`

	// Cluster is the destination cluster's name in the site's Argo CD.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="cluster is immutable: make a new HelmRelease"
	Cluster string `json:"cluster"`

	// Namespace is the namespace the chart is installed into; created
	// when missing.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="namespace is immutable: make a new HelmRelease"
	Namespace string `json:"namespace"`

	// RepoURL is a Helm repository's URL, oci://<registry>/<repository>
	// for a chart in an OCI registry, or a git repository's URL (with
	// Path).
	// +kubebuilder:validation:Pattern=`^(https?|oci)://`
	RepoURL string `json:"repoURL"`

	// Chart is the chart's name in the Helm repository.
	// +optional
	Chart string `json:"chart,omitempty"`

	// Version is the chart version, the OCI tag, or the git revision
	// (default HEAD). Changing it upgrades the release in place.
	// +optional
	Version string `json:"version,omitempty"`

	// Path is the chart's directory in the git repository.
	// +optional
	Path string `json:"path,omitempty"`

	// Values is a YAML mapping of values.
	// +optional
	Values string `json:"values,omitempty"`

	// Set are Helm parameters (--set), by dotted name.
	// +optional
	Set map[string]string `json:"set,omitempty"`

	// SetString are Helm parameters taken as strings (--set-string).
	// +optional
	SetString map[string]string `json:"setString,omitempty"`

	// ValueFiles are values files of the chart, applied in order.
	// +optional
	// +listType=atomic
	ValueFiles []string `json:"valueFiles,omitempty"`

	// Notify names NotificationChannels told how each wait for a sync
	// ended: sync_succeeded once Argo CD reports it Synced and Healthy at
	// the committed revision, sync_failed when the sync fails.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Notify []string `json:"notify,omitempty"`
}

// HelmReleaseObservation is what the controller observed of the release.
type HelmReleaseObservation struct {
	// Application is the release's Argo CD Application, "<namespace>/<name>".
	// +optional
	Application string `json:"application,omitempty"`
	// ManifestPath is the manifest's path in the site's GitOps repository.
	// +optional
	ManifestPath string `json:"manifestPath,omitempty"`
	// Commit is the GitOps repository commit that last changed the manifest.
	// +optional
	Commit string `json:"commit,omitempty"`
	// Revision is the revision Argo CD last compared.
	// +optional
	Revision string `json:"revision,omitempty"`
	// SyncStatus and HealthStatus are the Application's.
	// +optional
	SyncStatus string `json:"syncStatus,omitempty"`
	// +optional
	HealthStatus string `json:"healthStatus,omitempty"`
}

// HelmReleaseSpec is the desired state of a HelmRelease.
type HelmReleaseSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired release.
	ForProvider HelmReleaseParameters `json:"forProvider"`
}

// HelmReleaseStatus is the observed state of a HelmRelease.
type HelmReleaseStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the release.
	// +optional
	AtProvider HelmReleaseObservation `json:"atProvider,omitempty"`
}

// HelmRelease is a Helm chart that a Site's Argo CD installs into a
// cluster registered there: an Argo CD Application committed to the site's
// GitOps repository. It is Ready once Argo CD has synced the chart and its
// values and the release is Healthy. Its external name is
// "<site>/<cluster>/<namespace>/<name>".
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="REVISION",type="string",JSONPath=".status.atProvider.revision"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 53 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name is the Helm release name: a DNS-1123 label of at most 53 characters",fieldPath=".metadata"
type HelmRelease struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the HelmRelease.
	Spec HelmReleaseSpec `json:"spec"`
	// Status is the observed state of the HelmRelease.
	// +optional
	Status HelmReleaseStatus `json:"status,omitempty"`
}

// HelmReleaseList is a list of HelmReleases.
// +kubebuilder:object:root=true
type HelmReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the HelmReleases.
	Items []HelmRelease `json:"items"`
}

func init() {
	SchemeBuilder.Register(&HelmRelease{}, &HelmReleaseList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (r *HelmRelease) GetResourceSpec() *ResourceSpec { return &r.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (r *HelmRelease) GetResourceStatus() *ResourceStatus { return &r.Status.ResourceStatus }
