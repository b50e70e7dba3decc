package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Directions of an image replication.
const (
	// ReplicationDirectionPull runs the policy in the destination site's
	// Harbor, pulling from the source site's Harbor.
	ReplicationDirectionPull = "pull"
	// ReplicationDirectionPush runs the policy in the source site's Harbor,
	// pushing to the destination site's Harbor.
	ReplicationDirectionPush = "push"
)

// Trigger types of an image replication, as Harbor names them.
const (
	ReplicationTriggerManual     = "manual"
	ReplicationTriggerScheduled  = "scheduled"
	ReplicationTriggerEventBased = "event_based"
)

// ImageReplicationFilters select what is replicated; empty fields select
// everything.
type ImageReplicationFilters struct {
	// Name is a repository name pattern (doublestar), such as "library/**".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`

	// Tag is a tag pattern (doublestar), such as "v*".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Tag string `json:"tag,omitempty"`

	// Labels are Harbor artifact labels that must all be present.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	Labels []string `json:"labels,omitempty"`

	// ResourceType is image or artifact; omitted means both.
	// +optional
	// +kubebuilder:validation:Enum=image;artifact
	ResourceType string `json:"resourceType,omitempty"`
}

// ImageReplicationTrigger says when the policy runs.
// +kubebuilder:validation:XValidation:rule="(has(self.type) && self.type == 'scheduled') == (has(self.cron) && size(self.cron) > 0)",message="cron is required when type is scheduled, and only then"
type ImageReplicationTrigger struct {
	// Type is manual (runs only on request, see runRequest), scheduled
	// (runs on cron) or event_based (runs when an artifact is pushed to or
	// deleted from the Harbor that runs the policy).
	// +optional
	// +kubebuilder:default=manual
	// +kubebuilder:validation:Enum=manual;scheduled;event_based
	Type string `json:"type,omitempty"`

	// Cron is the schedule of a scheduled trigger, 6 fields with seconds
	// first as Harbor takes it, such as "0 0 2 * * *" (daily at 02:00).
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Cron string `json:"cron,omitempty"`
}

// ImageReplicationParameters is the desired state of an image replication
// between two sites' Harbors. The Harbor replication policy's name is the
// managed resource's metadata.name.
// +kubebuilder:validation:XValidation:rule="self.sourceSite != self.destinationSite",message="sourceSite and destinationSite must be two different sites"
// +kubebuilder:validation:XValidation:rule="!(has(self.trigger) && has(self.trigger.type) && self.trigger.type == 'event_based' && (!has(self.direction) || self.direction == 'pull'))",message="an event_based trigger never fires with direction pull: Harbor offers only manual and scheduled triggers for a remote source; use a scheduled trigger, or direction push",fieldPath=".trigger.type"
type ImageReplicationParameters struct {
	// SourceSite is the Site whose Harbor holds the images.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="sourceSite is immutable: the policy belongs to it; make a new ImageReplication"
	SourceSite string `json:"sourceSite"`

	// DestinationSite is the Site whose Harbor receives the images.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="destinationSite is immutable: the policy belongs to it; make a new ImageReplication"
	DestinationSite string `json:"destinationSite"`

	// Direction is pull (the policy runs in the destination's Harbor) or
	// push (it runs in the source's Harbor). Changing it moves the policy
	// to another Harbor, which needs a new ImageReplication.
	// +optional
	// +kubebuilder:default=pull
	// +kubebuilder:validation:Enum=pull;push
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="direction is immutable: it moves the policy to another Harbor; make a new ImageReplication"
	Direction string `json:"direction,omitempty"`

	// Filters select the repositories, tags, labels and resource types
	// replicated; omitted means everything.
	// +optional
	Filters ImageReplicationFilters `json:"filters,omitempty"`

	// Trigger says when the policy runs; omitted means manual.
	// +optional
	// +kubebuilder:default={}
	Trigger ImageReplicationTrigger `json:"trigger,omitempty"`

	// DestinationNamespace is the Harbor project in the destination that
	// receives the images; omitted keeps the source project names.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`
	DestinationNamespace string `json:"destinationNamespace,omitempty"`

	// Override replaces artifacts of the same name in the destination.
	// +optional
	// +kubebuilder:default=true
	Override *bool `json:"override,omitempty"`

	// Enabled turns the policy on; a disabled policy keeps its settings but
	// never runs, not even on request.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// EndpointInsecure lets the Harbor that runs the policy skip the TLS
	// verification of the other Harbor's certificate when it checks and
	// uses the registry endpoint (the endpoint's insecure flag). It is
	// Harbor's own setting, not the Site's harbor.insecure. The endpoint is
	// shared by the replications between the same two Harbors.
	// +optional
	EndpointInsecure bool `json:"endpointInsecure,omitempty"`

	// Speed is the bandwidth limit of each task in KB/s; 0 is unlimited.
	// Omitted keeps the policy's value, also one changed in Harbor's UI.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Speed *int32 `json:"speed,omitempty"`

	// CopyByChunk copies blobs in chunks. Omitted keeps the policy's value.
	// +optional
	CopyByChunk *bool `json:"copyByChunk,omitempty"`

	// SingleActiveReplication runs at most one execution at a time (Harbor
	// v2.14 or later; not with an event_based trigger). Omitted keeps the
	// policy's value.
	// +optional
	SingleActiveReplication *bool `json:"singleActiveReplication,omitempty"`

	// ReplicateDeletion replicates deletions of artifacts too. Omitted keeps
	// the policy's value.
	// +optional
	ReplicateDeletion *bool `json:"replicateDeletion,omitempty"`

	// DestinationNamespaceReplaceCount is how many leading path components
	// of a source repository destinationNamespace replaces: -1 (Harbor's
	// default) all of them, 0 none. Omitted keeps the policy's value.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	// +kubebuilder:validation:Maximum=127
	DestinationNamespaceReplaceCount *int32 `json:"destinationNamespaceReplaceCount,omitempty"`

	// RunRequest requests one run of the policy: whenever it changes to a
	// new non-empty value (a timestamp, a build number, any token), the
	// controller starts one execution once the policy is Ready and up to
	// date, reports it in status.atProvider.lastExecution and, when the
	// execution has finished, records the value in
	// status.atProvider.lastRunRequest. A value equal to lastRunRequest, or
	// empty, requests nothing. A run already in progress is followed rather
	// than started twice.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RunRequest string `json:"runRequest,omitempty"`
}

// ImageReplicationExecution is one run of the replication policy.
type ImageReplicationExecution struct {
	// ID of the execution in Harbor.
	ID int64 `json:"id"`
	// Status as Harbor reports it: InProgress, Succeed, Failed or Stopped.
	// +optional
	Status string `json:"status,omitempty"`
	// Succeeded is the number of tasks that succeeded.
	// +optional
	Succeeded int `json:"succeeded,omitempty"`
	// Failed is the number of tasks that failed.
	// +optional
	Failed int `json:"failed,omitempty"`
	// InProgress is the number of tasks still running.
	// +optional
	InProgress int `json:"inProgress,omitempty"`
	// Total is the number of tasks.
	// +optional
	Total int `json:"total,omitempty"`
	// Message is Harbor's status text or, for a failure, the first failing
	// task's log line.
	// +optional
	Message string `json:"message,omitempty"`
}

// ImageReplicationPendingRun is a run requested through runRequest that has
// not finished yet.
type ImageReplicationPendingRun struct {
	// RunRequest is the spec.forProvider.runRequest value the run answers.
	RunRequest string `json:"runRequest"`
	// ExecutionID is the Harbor execution started for it.
	ExecutionID int64 `json:"executionID"`
}

// ImageReplicationObservation is what the controller observed of the
// replication.
type ImageReplicationObservation struct {
	// RunsOn is the site whose Harbor runs the policy: the destination for
	// pull, the source for push.
	// +optional
	RunsOn string `json:"runsOn,omitempty"`
	// PolicyID is the replication policy's id in that Harbor.
	// +optional
	PolicyID int64 `json:"policyID,omitempty"`
	// RegistryID is the id of the registry endpoint the policy uses.
	// +optional
	RegistryID int64 `json:"registryID,omitempty"`
	// RegistryName is the name of that registry endpoint.
	// +optional
	RegistryName string `json:"registryName,omitempty"`
	// Robot is the robot account of the remote Harbor the endpoint uses as
	// its credential.
	// +optional
	Robot string `json:"robot,omitempty"`
	// CredentialsCurrent is false when the remote Site's Harbor credentials
	// changed since the robot's secret was last set; the controller then
	// refreshes it.
	// +optional
	CredentialsCurrent bool `json:"credentialsCurrent,omitempty"`
	// LastExecution is the newest execution of the policy, or the one
	// started for a pending run request; absent before the first run.
	// +optional
	LastExecution *ImageReplicationExecution `json:"lastExecution,omitempty"`
	// LastRunRequest is the last spec.forProvider.runRequest value handled:
	// its execution has finished (see lastExecution for how).
	// +optional
	LastRunRequest string `json:"lastRunRequest,omitempty"`
	// PendingRun is the run requested through runRequest that is still in
	// progress.
	// +optional
	PendingRun *ImageReplicationPendingRun `json:"pendingRun,omitempty"`
}

// ImageReplicationSpec is the desired state of an ImageReplication.
type ImageReplicationSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired state of the replication.
	ForProvider ImageReplicationParameters `json:"forProvider"`
}

// ImageReplicationStatus is the observed state of an ImageReplication.
type ImageReplicationStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the replication.
	// +optional
	AtProvider ImageReplicationObservation `json:"atProvider,omitempty"`
}

// ImageReplication replicates images between the Harbors of two Sites: a
// Harbor replication policy, named metadata.name, with a registry endpoint
// pointing at the other site's Harbor, in the Harbor of the site that runs
// it. Its external name is "<site that runs the policy>/<policy name>".
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 255 && self.metadata.name.matches('^[a-z0-9]+(?:[._-][a-z0-9]+)*$')",message="metadata.name is the Harbor replication policy name: lower-case letters and digits, separated by single '.', '_' or '-'",fieldPath=".metadata"
type ImageReplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the ImageReplication.
	Spec ImageReplicationSpec `json:"spec"`
	// Status is the observed state of the ImageReplication.
	// +optional
	Status ImageReplicationStatus `json:"status,omitempty"`
}

// ImageReplicationList is a list of ImageReplications.
// +kubebuilder:object:root=true
type ImageReplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ImageReplications.
	Items []ImageReplication `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ImageReplication{}, &ImageReplicationList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (r *ImageReplication) GetResourceSpec() *ResourceSpec { return &r.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (r *ImageReplication) GetResourceStatus() *ResourceStatus { return &r.Status.ResourceStatus }
