package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ManagementClusterParameters tells how to reach a site's Cluster API
// management cluster: either host with tokenSecretRef (and caCertificate),
// or kubeconfigSecretRef (with an optional context).
// +kubebuilder:validation:XValidation:rule="has(self.host) != has(self.kubeconfigSecretRef)",message="exactly one of host or kubeconfigSecretRef is required"
// +kubebuilder:validation:XValidation:rule="!has(self.tokenSecretRef) || has(self.host)",message="tokenSecretRef requires host"
// +kubebuilder:validation:XValidation:rule="!has(self.context) || has(self.kubeconfigSecretRef)",message="context requires kubeconfigSecretRef"
type ManagementClusterParameters struct {
	// Host is the URL of the management cluster's API server.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	Host string `json:"host,omitempty"`

	// CACertificate is the PEM-encoded CA bundle of Host.
	// +optional
	CACertificate string `json:"caCertificate,omitempty"`

	// InsecureSkipTLSVerify skips TLS verification of Host.
	// +optional
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`

	// Context is the kubeconfig context to use; empty means the current one.
	// +optional
	Context string `json:"context,omitempty"`

	// TokenSecretRef selects the Secret key holding a bearer token for Host.
	// +optional
	TokenSecretRef *SecretKeySelector `json:"tokenSecretRef,omitempty"`

	// KubeconfigSecretRef selects the Secret key holding a kubeconfig
	// document for the management cluster.
	// +optional
	KubeconfigSecretRef *SecretKeySelector `json:"kubeconfigSecretRef,omitempty"`
}

// ArgoCDParameters locates the site's Argo CD on its management cluster.
type ArgoCDParameters struct {
	// Namespace where Argo CD runs.
	// +optional
	// +kubebuilder:default=argocd
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`

	// Destination is the Argo CD cluster name the root application deploys
	// to: the management cluster as Argo CD knows it.
	// +optional
	// +kubebuilder:default=in-cluster
	// +kubebuilder:validation:MinLength=1
	Destination string `json:"destination,omitempty"`
}

// GitOpsParameters is the repository path the site's Argo CD root
// application (app-of-apps) follows.
type GitOpsParameters struct {
	// RepoURL is the Git repository URL.
	// +kubebuilder:validation:MinLength=1
	RepoURL string `json:"repoURL"`

	// Branch to follow.
	// +optional
	// +kubebuilder:default=main
	// +kubebuilder:validation:MinLength=1
	Branch string `json:"branch,omitempty"`

	// Path within the repository holding the site's applications.
	// +kubebuilder:validation:MinLength=1
	Path string `json:"path"`

	// Username for the repository, when it needs authentication.
	// +optional
	Username string `json:"username,omitempty"`

	// PasswordSecretRef selects the Secret key holding the repository
	// password or token.
	// +optional
	PasswordSecretRef *SecretKeySelector `json:"passwordSecretRef,omitempty"`
}

// HarborParameters tell how to reach a site's Harbor.
type HarborParameters struct {
	// URL of the Harbor, such as https://harbor.site-b.example.
	// +kubebuilder:validation:Pattern=`^https?://[^/@]+(/.*)?$`
	URL string `json:"url"`

	// Username is a Harbor user or robot account.
	// +kubebuilder:validation:MinLength=1
	Username string `json:"username"`

	// PasswordSecretRef selects the Secret key holding the password or
	// robot secret.
	// +optional
	PasswordSecretRef *SecretKeySelector `json:"passwordSecretRef,omitempty"`

	// InsecureSkipTLSVerify skips TLS verification of URL.
	// +optional
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
}

// SiteParameters is the desired state of a site. The site's name is the
// managed resource's metadata.name.
type SiteParameters struct {
	// Description of the site.
	// +optional
	Description string `json:"description,omitempty"`

	// Hub marks the platform's hub site: a Project's Harbor project is made
	// in the hub's Harbor unless it names another site. At most one site is
	// the hub.
	// +optional
	Hub bool `json:"hub,omitempty"`

	// Labels recorded on the site record.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// ManagementCluster is the site's Cluster API management cluster;
	// omitted means the platform plane's own cluster.
	// +optional
	ManagementCluster *ManagementClusterParameters `json:"managementCluster,omitempty"`

	// ArgoCD locates the site's Argo CD.
	// +optional
	// +kubebuilder:default={}
	ArgoCD ArgoCDParameters `json:"argocd,omitempty"`

	// GitOps is the repository path of the site's root application;
	// omitted means no root application.
	// +optional
	GitOps *GitOpsParameters `json:"gitops,omitempty"`

	// Harbor is the site's Harbor; omitted means the site has none.
	// +optional
	Harbor *HarborParameters `json:"harbor,omitempty"`

	// ClusterAddons are Helm charts every cluster registered at the site
	// gets: one Argo CD Application per cluster and add-on, rendered into
	// the GitOps repository under <path>/clusters/<cluster>/. Needs gitops.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	ClusterAddons []ClusterAddonParameters `json:"clusterAddons,omitempty"`
}

// ClusterAddonParameters is a Helm chart every cluster of a site gets.
type ClusterAddonParameters struct {
	// Name is the add-on's name, also its Helm release name.
	// +kubebuilder:validation:MaxLength=53
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Namespace is the namespace of each cluster the chart is installed into.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace"`
	// RepoURL is a Helm repository's URL, oci://<registry>/<repository>,
	// or a git repository's URL (with Path).
	// +kubebuilder:validation:Pattern=`^(https?|oci)://`
	RepoURL string `json:"repoURL"`
	// Chart is the chart's name in the Helm repository.
	// +optional
	Chart string `json:"chart,omitempty"`
	// Version is the chart version, OCI tag, or git revision.
	// +optional
	Version string `json:"version,omitempty"`
	// Path is the chart's directory in the git repository.
	// +optional
	Path string `json:"path,omitempty"`
	// Values is a YAML mapping of values.
	// +optional
	Values string `json:"values,omitempty"`
	// Set are Helm parameters (--set).
	// +optional
	Set map[string]string `json:"set,omitempty"`
	// SetString are Helm parameters taken as strings.
	// +optional
	SetString map[string]string `json:"setString,omitempty"`
	// ValueFiles are values files of the chart.
	// +optional
	// +listType=atomic
	ValueFiles []string `json:"valueFiles,omitempty"`
	// ClusterSelector are labels a cluster must have in Argo CD to get the
	// add-on; omitted selects every cluster of the site.
	// +optional
	ClusterSelector map[string]string `json:"clusterSelector,omitempty"`
}

// SiteObservation is what the controller observed of the site.
type SiteObservation struct {
	// KubernetesVersion of the management cluster.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// CAPIVersion is the served storage version of Cluster API's Cluster
	// kind; empty when Cluster API is absent.
	// +optional
	CAPIVersion string `json:"capiVersion,omitempty"`
	// ArgoCDVersion is the storage version of Argo CD's Application kind;
	// empty when Argo CD is absent.
	// +optional
	ArgoCDVersion string `json:"argocdVersion,omitempty"`
	// HarborVersion is the version the site's Harbor reports; empty without
	// Harbor.
	// +optional
	HarborVersion string `json:"harborVersion,omitempty"`
	// RootApplication is the name of the root application; empty without
	// GitOps.
	// +optional
	RootApplication string `json:"rootApplication,omitempty"`
	// SyncStatus is the root application's Argo CD sync status.
	// +optional
	SyncStatus string `json:"syncStatus,omitempty"`
	// HealthStatus is the root application's Argo CD health status.
	// +optional
	HealthStatus string `json:"healthStatus,omitempty"`
	// TaskRunner is the site's task runner (mc-taskrunner) as its Lease
	// tells.
	// +optional
	TaskRunner *SiteTaskRunner `json:"taskRunner,omitempty"`
}

// SiteTaskRunner is what a site's task runner publishes in its Lease.
type SiteTaskRunner struct {
	// Available is true while a runner renews its Lease.
	Available bool `json:"available"`
	// Identity is the runner holding the Lease.
	// +optional
	Identity string `json:"identity,omitempty"`
	// Executors are the executors the runner offers.
	// +optional
	// +listType=atomic
	Executors []string `json:"executors,omitempty"`
	// Version is the runner's version.
	// +optional
	Version string `json:"version,omitempty"`
}

// SiteSpec is the desired state of a Site.
type SiteSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired state of the site.
	// +kubebuilder:default={}
	ForProvider SiteParameters `json:"forProvider"`
}

// SiteStatus is the observed state of a Site.
type SiteStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the site.
	// +optional
	AtProvider SiteObservation `json:"atProvider,omitempty"`
}

// Site registers a remote site (its management cluster, Argo CD and GitOps
// root application) in the platform plane. Every other resource finds its
// site by name through it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",fieldPath=".metadata"
type Site struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Site.
	Spec SiteSpec `json:"spec"`
	// Status is the observed state of the Site.
	// +optional
	Status SiteStatus `json:"status,omitempty"`
}

// SiteList is a list of Sites.
// +kubebuilder:object:root=true
type SiteList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Sites.
	Items []Site `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Site{}, &SiteList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (s *Site) GetResourceSpec() *ResourceSpec { return &s.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (s *Site) GetResourceStatus() *ResourceStatus { return &s.Status.ResourceStatus }
