// Package cirun implements the engine client for CI runs: one build of a
// git source into an image at a site, executed by the site's task runner
// (mc-taskrunner) as a TaskRun (tasks.mcplatform.dev/v1alpha1) in namespace
// mc-tasks of the site's management cluster: check out, build, push to the
// site's Harbor, scan, and replicate through the site's replication
// policies to other sites' Harbors (the hub by default).
//
// A run's name is derived from its inputs, so creating a run that already
// exists (a create cut off by a killed apply) adopts it instead of
// starting a second build. Every input but notify and on_destroy is
// immutable: a different input is a different run.
package cirun

import (
	"time"
)

// On-destroy behaviours.
const (
	// OnDestroyForget leaves the TaskRun (and the image) in place: the run
	// stays on record at the site. The default.
	OnDestroyForget = "forget"
	// OnDestroyDelete deletes the TaskRun; the image is kept.
	OnDestroyDelete = "delete"
)

// Scan severities, as Harbor names them, lowest first; SeverityNone never
// fails a run.
const (
	SeverityNone     = "None"
	SeverityLow      = "Low"
	SeverityMedium   = "Medium"
	SeverityHigh     = "High"
	SeverityCritical = "Critical"
)

// Spec is the desired run, shared by both front-ends.
type Spec struct {
	// Site is the site whose task runner builds, next to its Harbor.
	Site string `json:"site"`
	// Source is what is built.
	Source Source `json:"source"`
	// Image is where the image is pushed in the site's Harbor.
	Image Image `json:"image"`
	// Build is how the source is built.
	Build Build `json:"build"`
	// Scan is the scan of the pushed image.
	Scan Scan `json:"scan"`
	// ReplicateTo are the sites whose Harbors receive the image through
	// the site's replication policies. Nil means the hub (none when the
	// site is the hub); an empty, non-nil list means no replication.
	ReplicateTo []string `json:"replicateTo"`
	// Triggers are arbitrary values whose change starts a new run.
	Triggers map[string]string `json:"triggers,omitempty"`
	// Notify are notification channel names (mc_notification_channel) the
	// runner sends run notices to. Not part of the run's identity.
	Notify []string `json:"-"`
	// OnDestroy is OnDestroyForget (the default when empty) or
	// OnDestroyDelete. Not part of the run's identity.
	OnDestroy string `json:"-"`
}

// Source is the git source of a run: a clone URL, or an mc_application
// whose source repository is built.
type Source struct {
	// Repository is an https clone URL.
	Repository string `json:"repository,omitempty"`
	// Application is an mc_application id (<PROJECT>/<name>).
	Application string `json:"application,omitempty"`
	// Revision is a branch, tag or commit.
	Revision string `json:"revision"`
}

// Image is the image's repository at the site's Harbor.
type Image struct {
	// Project is the Harbor project.
	Project string `json:"project"`
	// Repository is the repository in the project.
	Repository string `json:"repository"`
	// Tag is the tag; the resolved commit's first 12 characters when empty.
	Tag string `json:"tag,omitempty"`
}

// Build is how the runner builds.
type Build struct {
	// Command is run with sh -c in ContextDir; what it writes to $OUT is
	// the image's layer. Empty: the layer is ContextDir.
	Command string `json:"command,omitempty"`
	// ContextDir is relative to the checkout.
	ContextDir string `json:"contextDir,omitempty"`
	// BaseImage is the image the layer goes on; empty is scratch.
	BaseImage string `json:"baseImage,omitempty"`
	// Env is the build command's environment.
	Env map[string]string `json:"env,omitempty"`
	// Executor is local (the default when empty) or kubernetes_job.
	Executor string `json:"executor,omitempty"`
	// Entrypoint is the image's entrypoint.
	Entrypoint []string `json:"entrypoint,omitempty"`
}

// Scan asks the site's Harbor to scan the pushed image.
type Scan struct {
	// Enabled turns the scan on.
	Enabled bool `json:"enabled"`
	// FailOn is the lowest severity that fails the run.
	FailOn string `json:"failOn,omitempty"`
}

// Status is what a run reports.
type Status struct {
	// Name is the TaskRun's name.
	Name string
	// Phase is Pending, Running, Succeeded or Failed.
	Phase string
	// ResolvedCommit is the commit the revision resolved to.
	ResolvedCommit string
	// ImageDigest is the pushed manifest's digest (sha256:...).
	ImageDigest string
	// ImageRef is <registry>/<project>/<repository>@<digest> at the site.
	ImageRef string
	// HubImageRef is the same image at the hub's registry, once the hub's
	// Harbor has the digest; empty otherwise.
	HubImageRef string
	// ScanSummary counts the scan's findings; nil without a scan.
	ScanSummary *ScanSummary
	// Steps are the run's steps in order.
	Steps []Step
	// LogTail is the last lines of the failing (or last) step's log.
	LogTail string
	// StartedAt and FinishedAt are the run's; zero until then.
	StartedAt, FinishedAt time.Time
	// Message says why the run failed.
	Message string
}

// ScanSummary counts a scan's findings.
type ScanSummary struct {
	Total, Fixable int64
	// Severities counts per severity.
	Severities map[string]int64
	// Vulnerabilities are the ids at or above the run's fail_on.
	Vulnerabilities []string
}

// Step is one step of a run.
type Step struct {
	Name, Phase, Message string
	// Duration is how long the step took (so far, while it runs).
	Duration time.Duration
	// StartedAt and FinishedAt are zero until then.
	StartedAt, FinishedAt time.Time
}

// ReplaceFields are the arguments whose change makes a new run: all but
// notify, on_destroy and timeouts.
var ReplaceFields = []string{
	"site", "source", "image", "build", "scan", "replicate_to", "triggers",
}
