// Package imagereplication implements the engine client for image
// replication between two sites' Harbors: a registry endpoint in the Harbor
// that runs the policy, pointing at the other site's Harbor, and a
// replication policy; optionally one execution run and waited for.
package imagereplication

import (
	"fmt"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Directions of a replication.
const (
	// DirectionPull runs the policy in the destination Harbor, pulling from the source.
	DirectionPull = "pull"
	// DirectionPush runs the policy in the source Harbor, pushing to the destination.
	DirectionPush = "push"
)

// Trigger types, as Harbor names them.
const (
	TriggerManual     = "manual"
	TriggerScheduled  = "scheduled"
	TriggerEventBased = "event_based"
)

// Spec is the desired replication, shared by both front-ends.
type Spec struct {
	// Name is the replication policy's name in Harbor.
	Name            string
	SourceSite      string
	DestinationSite string
	// Direction is DirectionPull (default) or DirectionPush.
	Direction string
	Filters   Filters
	Trigger   Trigger
	// DestinationNamespace is the project in the destination that receives
	// the images; empty keeps the source project names.
	DestinationNamespace string
	Override             bool
	Enabled              bool
	// EndpointInsecure turns off the TLS verification Harbor core does when
	// it checks and uses the registry endpoint pointing at the remote
	// Harbor. It is the endpoint's own setting, not the site's: the site's
	// insecure flag is about how the engine reaches that Harbor. Registry
	// endpoints are shared by the replications between the same two
	// Harbors, so they should agree on it.
	EndpointInsecure bool
	// Settings are the policy's settings that keep Harbor's value when not
	// set (nil): an update sends back what the policy has.
	Settings Settings
}

// Settings are policy settings a replication may leave to Harbor (or to a
// change made in Harbor's UI): a nil field keeps the policy's value.
type Settings struct {
	// Speed is the bandwidth limit of each task in KB/s; 0 is unlimited.
	Speed *int32
	// CopyByChunk copies blobs in chunks.
	CopyByChunk *bool
	// SingleActiveReplication runs at most one execution at a time
	// (Harbor v2.14+; older Harbors ignore it and report false).
	SingleActiveReplication *bool
	// Deletion replicates deletions of artifacts.
	Deletion *bool
	// DestinationNamespaceReplaceCount is how many leading path components
	// of the source repository the destination namespace replaces: -1
	// (Harbor's default) all of them, 0 none.
	DestinationNamespaceReplaceCount *int8
}

// Filters select what is replicated; empty fields select everything.
type Filters struct {
	// Name is a repository name pattern such as "library/**".
	Name string
	// Tag is a tag pattern such as "v*".
	Tag string
	// Labels are artifact labels that must all be present.
	Labels []string
	// ResourceType is "image" or "artifact".
	ResourceType string
}

// Trigger says when the policy runs.
type Trigger struct {
	// Type is TriggerManual, TriggerScheduled or TriggerEventBased.
	Type string
	// Cron is the schedule of a scheduled trigger, 6 fields with seconds
	// first, as Harbor takes it ("0 0 2 * * *").
	Cron string
}

// Status is what the engine reports of a replication.
type Status struct {
	// RunsOn is the site whose Harbor runs the policy.
	RunsOn     string
	PolicyID   int64
	RegistryID int64
	// RegistryName is the registry endpoint's name in the Harbor that runs
	// the policy.
	RegistryName string
	// Robot is the full name of the robot account in the remote Harbor
	// that the endpoint uses as its credential; empty when the endpoint
	// has other credentials (one made before robots, or by hand).
	Robot string
	// CredentialsCurrent is false when the remote site's Harbor credentials
	// changed after the robot's secret was last set: the next update
	// refreshes the robot's secret and the endpoint.
	CredentialsCurrent bool
	// LastExecution is the newest execution, nil before the first.
	LastExecution *Execution
}

// Execution is one run of the policy.
type Execution struct {
	ID         int64
	Status     string
	Succeeded  int
	Failed     int
	InProgress int
	Total      int
	// Message is Harbor's status text or, for a failure, the first
	// failing task's log line.
	Message string
}

var _ engine.Run = Execution{}

// Done reports whether the execution has finished: succeeded, failed or
// stopped.
func (e Execution) Done() bool {
	switch e.Status {
	case harbor.StatusSucceed, harbor.StatusFailed, harbor.StatusStopped:
		return true
	}
	return false
}

// Err is the execution's failure, with Harbor's message, once it failed or
// was stopped; nil otherwise.
func (e Execution) Err() error {
	if e.Status == harbor.StatusFailed || e.Status == harbor.StatusStopped {
		return engine.Terminal("replication execution %d %s: %d of %d tasks failed: %s", e.ID, e.Status, e.Failed, e.Total, e.Message)
	}
	return nil
}

// Progress words the execution's state, such as "execution 7 is
// InProgress (1 of 3 tasks done)".
func (e Execution) Progress() string {
	return fmt.Sprintf("execution %d is %s (%d of %d tasks done)", e.ID, e.Status, e.Succeeded+e.Failed, e.Total)
}

// RunsOn returns the site whose Harbor runs the policy of s.
func (s Spec) RunsOn() string {
	if s.Direction == DirectionPush {
		return s.SourceSite
	}
	return s.DestinationSite
}

// RemoteSite returns the site the policy's registry endpoint points at.
func (s Spec) RemoteSite() string {
	if s.Direction == DirectionPush {
		return s.DestinationSite
	}
	return s.SourceSite
}

// ID returns the replication's id, "<site that runs it>/<policy name>".
func (s Spec) ID() string { return s.RunsOn() + "/" + s.Name }

// ReplaceFields are the arguments of a replication whose change needs a
// new one: the name is the policy's key, and the sites and the direction
// choose the Harbor that runs the policy.
var ReplaceFields = []string{"name", "source_site", "destination_site", "direction"}
