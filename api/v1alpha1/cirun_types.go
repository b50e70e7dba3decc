package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CIRunSource is the git source of a run: a repository or an application.
// +kubebuilder:validation:XValidation:rule="has(self.repository) != has(self.application)",message="name exactly one of repository and application"
type CIRunSource struct {
	// Repository is an https clone URL, without credentials.
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	Repository string `json:"repository,omitempty"`
	// Application is a GitOpsApplication's id (<PROJECT>/<name>) whose
	// source repository is built.
	// +optional
	Application string `json:"application,omitempty"`
	// Revision is a branch, tag or commit.
	// +kubebuilder:validation:MinLength=1
	Revision string `json:"revision"`
}

// CIRunImage is where the image is pushed in the site's Harbor.
type CIRunImage struct {
	// Project is the Harbor project.
	// +kubebuilder:validation:MinLength=1
	Project string `json:"project"`
	// Repository is the repository in the project.
	// +kubebuilder:validation:MinLength=1
	Repository string `json:"repository"`
	// Tag is the image tag; the resolved commit's first 12 characters when
	// empty.
	// +optional
	Tag string `json:"tag,omitempty"`
}

// CIRunBuild is how the source is built.
type CIRunBuild struct {
	// Command is a shell command (sh -c) run in ContextDir; what it writes
	// under $OUT becomes the image's layer.
	// +optional
	Command string `json:"command,omitempty"`
	// ContextDir is the build's directory, relative to the checkout.
	// +optional
	ContextDir string `json:"contextDir,omitempty"`
	// BaseImage is the image the layer goes on; scratch when empty.
	// +optional
	BaseImage string `json:"baseImage,omitempty"`
	// Env is the build command's environment (not secret).
	// +optional
	Env map[string]string `json:"env,omitempty"`
	// Executor is local (the default) or kubernetes_job.
	// +kubebuilder:validation:Enum=local;kubernetes_job
	// +optional
	Executor string `json:"executor,omitempty"`
	// Entrypoint is the image's entrypoint.
	// +optional
	// +listType=atomic
	Entrypoint []string `json:"entrypoint,omitempty"`
}

// CIRunScan is the scan of the pushed image by the site's Harbor.
type CIRunScan struct {
	// Enabled turns the scan on.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// FailOn is the lowest severity that fails the run.
	// +kubebuilder:validation:Enum=None;Low;Medium;High;Critical
	// +kubebuilder:default=Critical
	// +optional
	FailOn string `json:"failOn,omitempty"`
}

// CIRunParameters are the inputs of a CI run. Every input but notify and
// onDestroy is immutable: other inputs are another run.
type CIRunParameters struct {
	// Site is the site whose task runner builds.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="site is immutable: make a new CIRun"
	Site string `json:"site"`
	// Source is the git source.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="source is immutable: make a new CIRun"
	Source CIRunSource `json:"source"`
	// Image is where the image is pushed.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="image is immutable: make a new CIRun"
	Image CIRunImage `json:"image"`
	// Build is how the source is built.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="build is immutable: make a new CIRun"
	// +optional
	Build CIRunBuild `json:"build,omitempty"`
	// Scan is the scan of the pushed image; on, failing on Critical, by
	// default.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="scan is immutable: make a new CIRun"
	// +kubebuilder:default={}
	// +optional
	Scan CIRunScan `json:"scan,omitempty"`
	// ReplicateTo are the sites whose Harbors receive the image through the
	// site's replication policies; the hub when empty.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="replicateTo is immutable: make a new CIRun"
	// +optional
	// +listType=atomic
	ReplicateTo []string `json:"replicateTo,omitempty"`
	// Triggers are arbitrary values; other values are another run.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="triggers are immutable: make a new CIRun"
	// +optional
	Triggers map[string]string `json:"triggers,omitempty"`
	// Notify are NotificationChannel names the task runner sends the run's
	// notices to.
	// +optional
	// +listType=set
	Notify []string `json:"notify,omitempty"`
	// OnDestroy is what deleting the CIRun does to the TaskRun at the site
	// (with deletionPolicy Delete): forget (the default) leaves it, delete
	// deletes it. The image is kept either way.
	// +kubebuilder:validation:Enum=forget;delete
	// +kubebuilder:default=forget
	// +optional
	OnDestroy string `json:"onDestroy,omitempty"`
}

// CIRunScanSummary counts what the scan found.
type CIRunScanSummary struct {
	// Total is the number of vulnerabilities found.
	Total int64 `json:"total"`
	// Fixable is how many of them have a fix.
	// +optional
	Fixable int64 `json:"fixable,omitempty"`
	// Severities counts them per severity.
	// +optional
	Severities map[string]int64 `json:"severities,omitempty"`
	// Vulnerabilities are the ids at or above failOn.
	// +optional
	// +listType=atomic
	Vulnerabilities []string `json:"vulnerabilities,omitempty"`
}

// CIRunStep is one step of the run.
type CIRunStep struct {
	// Name is checkout, build, push, scan or replicate.
	Name string `json:"name"`
	// Phase is Pending, Running, Succeeded, Failed or Skipped.
	Phase string `json:"phase"`
	// Duration is how long the step took, once it ended.
	// +optional
	Duration string `json:"duration,omitempty"`
	// Message says what the step did or why it failed.
	// +optional
	Message string `json:"message,omitempty"`
}

// CIRunObservation is what the controller observed of the run.
type CIRunObservation struct {
	// Name is the TaskRun's name at the site.
	// +optional
	Name string `json:"name,omitempty"`
	// Phase is Pending, Running, Succeeded or Failed.
	// +optional
	Phase string `json:"phase,omitempty"`
	// ResolvedCommit is the commit the revision resolved to.
	// +optional
	ResolvedCommit string `json:"resolvedCommit,omitempty"`
	// ImageDigest is the pushed manifest's digest.
	// +optional
	ImageDigest string `json:"imageDigest,omitempty"`
	// ImageRef is <registry>/<project>/<repository>@<digest> at the site.
	// +optional
	ImageRef string `json:"imageRef,omitempty"`
	// HubImageRef is the same image at the hub's Harbor.
	// +optional
	HubImageRef string `json:"hubImageRef,omitempty"`
	// ScanSummary is what the scan found.
	// +optional
	ScanSummary *CIRunScanSummary `json:"scanSummary,omitempty"`
	// Steps are the run's steps in order.
	// +optional
	// +listType=atomic
	Steps []CIRunStep `json:"steps,omitempty"`
	// LogTail is the last lines of the failing (or last) step's log.
	// +optional
	LogTail string `json:"logTail,omitempty"`
	// StartedAt is when the runner started the run.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the run ended.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
}

// CIRunSpec is the desired state of a CIRun.
type CIRunSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider are the run's inputs.
	ForProvider CIRunParameters `json:"forProvider"`
}

// CIRunStatus is the observed state of a CIRun.
type CIRunStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the run.
	// +optional
	AtProvider CIRunObservation `json:"atProvider,omitempty"`
}

// CIRun is one build of a git source into an image at a site, executed by
// the site's task runner as a TaskRun (tasks.mcplatform.dev) in namespace
// mc-tasks of its management cluster: check out, build, push to the
// site's Harbor, scan, replicate. The controller records every step
// transition as an Event (reasons CIRunStep<Phase>, CIRunSucceeded,
// CIRunFailed).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="PHASE",type="string",JSONPath=".status.atProvider.phase"
// +kubebuilder:printcolumn:name="DIGEST",type="string",JSONPath=".status.atProvider.imageDigest",priority=1
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type CIRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CIRunSpec   `json:"spec"`
	Status CIRunStatus `json:"status,omitempty"`
}

// CIRunList is a list of CIRuns.
// +kubebuilder:object:root=true
type CIRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CIRun `json:"items"`
}

func init() {
	SchemeBuilder.Register(&CIRun{}, &CIRunList{})
}

// GetResourceSpec returns the common managed resource spec.
func (m *CIRun) GetResourceSpec() *ResourceSpec { return &m.Spec.ResourceSpec }

// GetResourceStatus returns the common managed resource status.
func (m *CIRun) GetResourceStatus() *ResourceStatus { return &m.Status.ResourceStatus }
