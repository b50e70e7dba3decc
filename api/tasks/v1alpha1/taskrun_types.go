package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Discovery of a site's task runner: a running mc-taskrunner holds the Lease
// LeaseNamePrefix+<site> in its namespace (DefaultNamespace unless told
// otherwise) and renews it; a site is served while the Lease's renewTime is
// younger than its leaseDurationSeconds. The runner writes what it offers
// into the Lease's annotations.
const (
	// DefaultNamespace is the namespace of TaskRuns, the runner's Lease and
	// the Secrets runs refer to.
	DefaultNamespace = "mc-tasks"
	// LeaseNamePrefix prefixes the site name in the runner's Lease name.
	LeaseNamePrefix = "mc-taskrunner-"
	// AnnotationExecutors lists the executors the runner offers,
	// comma-separated (local, kubernetes_job).
	AnnotationExecutors = Group + "/executors"
	// AnnotationVersion is the runner's version.
	AnnotationVersion = Group + "/version"
	// LabelSite is the label every TaskRun carries with the site it runs
	// at; a runner executes only the TaskRuns of its own site.
	LabelSite = Group + "/site"
)

// Executors.
const (
	// ExecutorLocal builds in the runner's process: go-git checkout, the
	// build command in a scratch directory, the image assembled with
	// go-containerregistry and pushed to the site's Harbor.
	ExecutorLocal = "local"
	// ExecutorKubernetesJob builds in a Job of the site's cluster running a
	// builder image (kaniko by default).
	ExecutorKubernetesJob = "kubernetes_job"
)

// Phases of a run and of each of its steps.
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
	// PhaseSkipped is a step that the run's spec turned off.
	PhaseSkipped = "Skipped"
)

// Step names, in the order a run takes them.
const (
	StepCheckout  = "checkout"
	StepBuild     = "build"
	StepPush      = "push"
	StepScan      = "scan"
	StepReplicate = "replicate"
)

// Run notice events, as written in TaskRunNotify.Events and in the notices.
const (
	EventRunStarted   = "run_started"
	EventRunSucceeded = "run_succeeded"
	EventRunFailed    = "run_failed"
	EventRunTimedOut  = "run_timed_out"
)

// TaskRunSource is the git source of a run.
type TaskRunSource struct {
	// RepoURL is the repository's clone URL (https).
	// +kubebuilder:validation:MinLength=1
	RepoURL string `json:"repoURL"`
	// Revision is a branch, tag or commit; the run records the commit it
	// resolved to.
	// +kubebuilder:validation:MinLength=1
	Revision string `json:"revision"`
	// SecretName names a Secret in the run's namespace with keys username
	// and password to clone with; the runner's own git credentials when
	// empty.
	// +optional
	SecretName string `json:"secretName,omitempty"`
}

// TaskRunBuild is how the source is built and assembled into an image.
type TaskRunBuild struct {
	// Executor is local (the default) or kubernetes_job.
	// +kubebuilder:validation:Enum=local;kubernetes_job
	// +optional
	Executor string `json:"executor,omitempty"`
	// Command is a shell command (sh -c) run in ContextDir of the checkout.
	// The local executor gives it the environment variable OUT, a scratch
	// directory: what the command writes there becomes the image's layer,
	// laid out from the image's root. Empty means no build step: the
	// layer is ContextDir itself.
	// +optional
	Command string `json:"command,omitempty"`
	// ContextDir is the build's directory, relative to the checkout.
	// +optional
	ContextDir string `json:"contextDir,omitempty"`
	// BaseImage is the image the layer goes on top of; empty is scratch.
	// +optional
	BaseImage string `json:"baseImage,omitempty"`
	// Env is the build command's environment, beside a bounded set the
	// runner provides (PATH, HOME, OUT and the runner's build cache).
	// +optional
	Env map[string]string `json:"env,omitempty"`
	// Entrypoint is the image's entrypoint.
	// +optional
	// +listType=atomic
	Entrypoint []string `json:"entrypoint,omitempty"`
	// TimeoutSeconds bounds the build command; default 600.
	// +optional
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
	// BuilderImage is the kubernetes_job executor's builder image
	// (kaniko's executor by default).
	// +optional
	BuilderImage string `json:"builderImage,omitempty"`
}

// TaskRunImage is where the image is pushed: a repository of a project in
// the site's Harbor.
type TaskRunImage struct {
	// Project is the Harbor project.
	// +kubebuilder:validation:MinLength=1
	Project string `json:"project"`
	// Repository is the repository inside the project.
	// +kubebuilder:validation:MinLength=1
	Repository string `json:"repository"`
	// Tag is the image tag; the first 12 characters of the resolved commit
	// when empty.
	// +optional
	Tag string `json:"tag,omitempty"`
}

// TaskRunScan asks the site's Harbor to scan the pushed image.
type TaskRunScan struct {
	// Enabled turns the scan step on.
	Enabled bool `json:"enabled"`
	// FailOn is the lowest severity that fails the run (None, Low, Medium,
	// High, Critical); None never fails.
	// +kubebuilder:validation:Enum=None;Low;Medium;High;Critical
	// +optional
	FailOn string `json:"failOn,omitempty"`
}

// TaskRunReplication is one replication policy of the site's Harbor that
// the run executes after the push, and waits for.
type TaskRunReplication struct {
	// PolicyID is the replication policy's id in the site's Harbor.
	PolicyID int64 `json:"policyID"`
	// Site is the destination site, for the record.
	// +optional
	Site string `json:"site,omitempty"`
}

// TaskRunNotify is one notification channel the runner sends run notices
// to.
type TaskRunNotify struct {
	// Channel is the channel's name.
	Channel string `json:"channel"`
	// SecretName names a Secret in the run's namespace with the keys type
	// (webhook or slack), url and, optionally, hmacSecret.
	SecretName string `json:"secretName"`
	// Events are the events sent (EventRun*); every run event when empty.
	// +optional
	// +listType=atomic
	Events []string `json:"events,omitempty"`
}

// TaskRunSpec is what a run does. It is immutable: a different run is a
// different TaskRun, named after a hash of its inputs.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a TaskRun's spec is immutable: make a new TaskRun"
type TaskRunSpec struct {
	// Site is the site whose runner executes the run.
	// +kubebuilder:validation:MinLength=1
	Site string `json:"site"`
	// Source is the git source.
	Source TaskRunSource `json:"source"`
	// Build is how it is built.
	// +optional
	Build TaskRunBuild `json:"build,omitempty"`
	// Image is where the image is pushed.
	Image TaskRunImage `json:"image"`
	// Scan is the scan of the pushed image.
	// +optional
	Scan TaskRunScan `json:"scan,omitempty"`
	// Replicate are the replication policies executed after the push (and
	// the scan).
	// +optional
	// +listType=atomic
	Replicate []TaskRunReplication `json:"replicate,omitempty"`
	// Notify are the channels the runner sends run notices to.
	// +optional
	// +listType=atomic
	Notify []TaskRunNotify `json:"notify,omitempty"`
}

// TaskRunStep is one step of a run as it went.
type TaskRunStep struct {
	// Name is the step (checkout, build, push, scan, replicate).
	Name string `json:"name"`
	// Phase is Pending, Running, Succeeded, Failed or Skipped.
	Phase string `json:"phase"`
	// StartedAt is when the step started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the step ended.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Message tells what the step did or why it failed.
	// +optional
	Message string `json:"message,omitempty"`
}

// TaskRunScanSummary counts the vulnerabilities Harbor's scan found, per
// severity.
type TaskRunScanSummary struct {
	// Total is the number of vulnerabilities found.
	Total int64 `json:"total"`
	// Fixable is how many of them have a fix.
	// +optional
	Fixable int64 `json:"fixable,omitempty"`
	// Severities counts them per severity (Critical, High, Medium, Low,
	// Unknown).
	// +optional
	Severities map[string]int64 `json:"severities,omitempty"`
	// Vulnerabilities are the ids of those at or above the run's FailOn.
	// +optional
	// +listType=atomic
	Vulnerabilities []string `json:"vulnerabilities,omitempty"`
}

// TaskRunReplicationStatus is one replication's execution.
type TaskRunReplicationStatus struct {
	// PolicyID is the policy's id.
	PolicyID int64 `json:"policyID"`
	// ExecutionID is the execution the runner started (or adopted).
	// +optional
	ExecutionID int64 `json:"executionID,omitempty"`
	// Status is Harbor's status of the execution.
	// +optional
	Status string `json:"status,omitempty"`
}

// TaskRunStatus is how the run went.
type TaskRunStatus struct {
	// Phase is Pending, Running, Succeeded or Failed.
	// +optional
	Phase string `json:"phase,omitempty"`
	// Runner is the identity of the runner that executes the run.
	// +optional
	Runner string `json:"runner,omitempty"`
	// StartedAt is when the runner started the run.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the run ended.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Steps are the run's steps, in order.
	// +optional
	// +listType=atomic
	Steps []TaskRunStep `json:"steps,omitempty"`
	// ResolvedCommit is the commit the revision resolved to.
	// +optional
	ResolvedCommit string `json:"resolvedCommit,omitempty"`
	// ImageDigest is the pushed manifest's digest (sha256:...).
	// +optional
	ImageDigest string `json:"imageDigest,omitempty"`
	// ImageRef is <registry>/<project>/<repository>@<digest> at the site.
	// +optional
	ImageRef string `json:"imageRef,omitempty"`
	// ScanSummary is the scan's result.
	// +optional
	ScanSummary *TaskRunScanSummary `json:"scanSummary,omitempty"`
	// Replications are the replication executions.
	// +optional
	// +listType=atomic
	Replications []TaskRunReplicationStatus `json:"replications,omitempty"`
	// LogTail is the last lines of the failing (or last) step's log.
	// +optional
	LogTail string `json:"logTail,omitempty"`
	// Message tells why the run failed.
	// +optional
	Message string `json:"message,omitempty"`
}

// TaskRun is one build-and-deliver run at a site: check out, build, push
// to the site's Harbor, scan, replicate; recorded here by the runner.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories=mc
// +kubebuilder:printcolumn:name="SITE",type=string,JSONPath=`.spec.site`
// +kubebuilder:printcolumn:name="PHASE",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="DIGEST",type=string,JSONPath=`.status.imageDigest`,priority=1
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type TaskRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TaskRunSpec   `json:"spec"`
	Status TaskRunStatus `json:"status,omitempty"`
}

// TaskRunList is a list of TaskRuns.
// +kubebuilder:object:root=true
type TaskRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskRun `json:"items"`
}

func init() {
	SchemeBuilder.Register(&TaskRun{}, &TaskRunList{})
}
