package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ApplicationDeploymentImage is a container image: a repository with
// either a tag or a digest.
// +kubebuilder:validation:XValidation:rule="has(self.tag) != has(self.digest)",message="set exactly one of tag and digest"
type ApplicationDeploymentImage struct {
	// Repository is the image repository, such as harbor.example/team/app.
	// +kubebuilder:validation:MinLength=1
	Repository string `json:"repository"`
	// Tag is the image tag.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Digest is the image digest, sha256:<hex>.
	// +optional
	Digest string `json:"digest,omitempty"`
}

// ApplicationDeploymentRetry is Argo CD's retry policy of a failed sync.
type ApplicationDeploymentRetry struct {
	// Limit is the number of retries.
	// +kubebuilder:validation:Minimum=0
	Limit int64 `json:"limit"`
	// BackoffDuration is the first backoff, such as 5s.
	// +optional
	BackoffDuration string `json:"backoffDuration,omitempty"`
	// BackoffFactor multiplies the backoff at each retry.
	// +optional
	// +kubebuilder:validation:Minimum=0
	BackoffFactor int64 `json:"backoffFactor,omitempty"`
	// BackoffMaxDuration is the longest backoff, such as 3m.
	// +optional
	BackoffMaxDuration string `json:"backoffMaxDuration,omitempty"`
}

// ApplicationDeploymentSyncPolicy is the Argo CD Application's sync policy.
type ApplicationDeploymentSyncPolicy struct {
	// Automated makes Argo CD sync every new revision by itself.
	// +optional
	Automated bool `json:"automated,omitempty"`
	// Prune deletes resources no longer in git (automated sync).
	// +optional
	Prune bool `json:"prune,omitempty"`
	// SelfHeal reverts changes made in the cluster (automated sync).
	// +optional
	SelfHeal bool `json:"selfHeal,omitempty"`
	// SyncOptions are Argo CD sync options, such as CreateNamespace=true.
	// +optional
	// +listType=atomic
	SyncOptions []string `json:"syncOptions,omitempty"`
	// Retry is the retry policy of a failed sync.
	// +optional
	Retry *ApplicationDeploymentRetry `json:"retry,omitempty"`
}

// ApplicationDeploymentParameters is the desired deployment of an
// application to a cluster through a site's GitOps repository.
type ApplicationDeploymentParameters struct {
	// Application is the application, "<PROJECT>/<name>".
	// +kubebuilder:validation:Pattern=`^[^/]+/[^/]+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="application is immutable: make a new ApplicationDeployment"
	Application string `json:"application"`
	// Site is the Site whose GitOps repository and Argo CD deploy it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="site is immutable: make a new ApplicationDeployment"
	Site string `json:"site"`
	// Cluster is the Argo CD name of the destination cluster.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="cluster is immutable: make a new ApplicationDeployment"
	Cluster string `json:"cluster"`
	// Namespace is the workload's namespace in Cluster.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="namespace is immutable: make a new ApplicationDeployment"
	Namespace string `json:"namespace"`
	// Image is the workload's container image; changed in place.
	Image ApplicationDeploymentImage `json:"image"`
	// SyncPolicy is the Argo CD Application's sync policy.
	// +optional
	SyncPolicy *ApplicationDeploymentSyncPolicy `json:"syncPolicy,omitempty"`
	// Notify names NotificationChannels told how each wait for a sync
	// ended: sync_succeeded once Argo CD reports it Synced and Healthy at
	// the committed revision, sync_failed when the sync fails.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Notify []string `json:"notify,omitempty"`
}

// ApplicationDeploymentObservation is what the controller observed of the
// deployment.
type ApplicationDeploymentObservation struct {
	// ArgoCDApplication is the Argo CD Application, "<namespace>/<name>".
	// +optional
	ArgoCDApplication string `json:"argocdApplication,omitempty"`
	// GitOpsCommit is the GitOps repository's commit that last changed the
	// Application manifest.
	// +optional
	GitOpsCommit string `json:"gitopsCommit,omitempty"`
	// YAMLCommit is the yaml repository's commit that last changed the
	// workload manifest: the revision waited for.
	// +optional
	YAMLCommit string `json:"yamlCommit,omitempty"`
	// SyncedRevision is the revision Argo CD last compared with.
	// +optional
	SyncedRevision string `json:"syncedRevision,omitempty"`
	// SyncStatus is Argo CD's sync status.
	// +optional
	SyncStatus string `json:"syncStatus,omitempty"`
	// HealthStatus is Argo CD's health status.
	// +optional
	HealthStatus string `json:"healthStatus,omitempty"`
	// OperationPhase is the phase of the last sync operation.
	// +optional
	OperationPhase string `json:"operationPhase,omitempty"`
	// OperationMessage is the message of the last sync operation.
	// +optional
	OperationMessage string `json:"operationMessage,omitempty"`
}

// ApplicationDeploymentSpec is the desired state of an ApplicationDeployment.
type ApplicationDeploymentSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired deployment.
	ForProvider ApplicationDeploymentParameters `json:"forProvider"`
}

// ApplicationDeploymentStatus is the observed state of an ApplicationDeployment.
type ApplicationDeploymentStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the deployment.
	// +optional
	AtProvider ApplicationDeploymentObservation `json:"atProvider,omitempty"`
}

// ApplicationDeployment deploys an application to a cluster through GitOps:
// the workload manifest (a Deployment with the image) in the application's
// yaml repository, and an Argo CD Application in the site's GitOps
// repository. It is Ready while Argo CD reports the Application Synced and
// Healthy at the committed revision. Its external name is
// "<site>/<PROJECT>/<application>/<cluster>".
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="SYNC",type="string",JSONPath=".status.atProvider.syncStatus"
// +kubebuilder:printcolumn:name="HEALTH",type="string",JSONPath=".status.atProvider.healthStatus"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type ApplicationDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the ApplicationDeployment.
	Spec ApplicationDeploymentSpec `json:"spec"`
	// Status is the observed state of the ApplicationDeployment.
	// +optional
	Status ApplicationDeploymentStatus `json:"status,omitempty"`
}

// ApplicationDeploymentList is a list of ApplicationDeployments.
// +kubebuilder:object:root=true
type ApplicationDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ApplicationDeployments.
	Items []ApplicationDeployment `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ApplicationDeployment{}, &ApplicationDeploymentList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (r *ApplicationDeployment) GetResourceSpec() *ResourceSpec { return &r.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (r *ApplicationDeployment) GetResourceStatus() *ResourceStatus { return &r.Status.ResourceStatus }
