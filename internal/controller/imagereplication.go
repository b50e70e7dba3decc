package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ImageReplicationEngine is the image replication engine client: the
// managed resource contract plus runs of the policy.
type ImageReplicationEngine interface {
	engine.Client[imagereplication.Spec, imagereplication.Status]
	// Run starts an execution of replication id, or returns the one in
	// progress, and returns its id without waiting for it.
	Run(ctx context.Context, id string) (int64, error)
	// Execution reports execution execID of replication id.
	Execution(ctx context.Context, id string, execID int64) (imagereplication.Execution, error)
}

var _ ImageReplicationEngine = (*imagereplication.Client)(nil)

// ImageReplicationEngineFactory builds the image replication engine client
// that finds sites, and their Harbors, through the site registry sites.
type ImageReplicationEngineFactory func(sites *registry.Registry) ImageReplicationEngine

// NewImageReplicationEngine is the ImageReplicationEngineFactory of the
// real engine.
func NewImageReplicationEngine(sites *registry.Registry) ImageReplicationEngine {
	return imagereplication.New(sites)
}

// RBAC of the ImageReplication controller. The engine reads site records
// (Secrets) and the Harbor credentials they hold; Secrets, events and
// leases are granted with the Site controller.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=imagereplications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=imagereplications/status,verbs=get;update;patch

// SetupImageReplication registers the ImageReplication controller with mgr.
func SetupImageReplication(mgr ctrl.Manager, o Options) error {
	adapter := NewImageReplicationAdapter(resolverOf(mgr), NewImageReplicationEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.ImageReplication{} },
		Adapter[imagereplication.Spec, imagereplication.Status](adapter), o.reconcilerOptions(mgr, "imagereplication")...)
	return setupManaged(mgr, "imagereplication", r, func() client.ObjectList { return &v1alpha1.ImageReplicationList{} }, o)
}

// ImageReplicationAdapter connects ImageReplication managed resources to
// the image replication engine. It is an ExternalNamer (external names are
// "<site that runs the policy>/<policy name>"), a FieldPathTranslator and
// an Actor that runs the policy when spec.forProvider.runRequest changes.
type ImageReplicationAdapter struct {
	engines *engineCache[ImageReplicationEngine]
}

var (
	_ Adapter[imagereplication.Spec, imagereplication.Status] = (*ImageReplicationAdapter)(nil)
	_ Actor[imagereplication.Spec, imagereplication.Status]   = (*ImageReplicationAdapter)(nil)
	_ ExternalNamer                                           = (*ImageReplicationAdapter)(nil)
	_ FieldPathTranslator                                     = (*ImageReplicationAdapter)(nil)
)

// NewImageReplicationAdapter returns an ImageReplicationAdapter that
// resolves ProviderConfigs with providerConfigs and builds engine clients
// with newEngine.
func NewImageReplicationAdapter(providerConfigs ProviderConfigResolver, newEngine ImageReplicationEngineFactory) *ImageReplicationAdapter {
	return &ImageReplicationAdapter{engines: newEngineCache(providerConfigs, newEngine)}
}

func asImageReplication(mg Managed) (*v1alpha1.ImageReplication, error) {
	r, ok := mg.(*v1alpha1.ImageReplication)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not an ImageReplication", mg.GetName(), mg)
	}
	return r, nil
}

// Connect returns the engine client of the ProviderConfig the
// ImageReplication references. Clients are reused while the ProviderConfig
// and its credentials are unchanged.
func (a *ImageReplicationAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[imagereplication.Spec, imagereplication.Status], error) {
	if _, err := asImageReplication(mg); err != nil {
		return nil, err
	}
	c, err := a.engines.get(ctx, mg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// policyName is the Harbor policy name of r: the name part of its
// external-name annotation when it holds "<site>/<name>" (an adopted
// policy), else metadata.name.
func policyName(r *v1alpha1.ImageReplication) string {
	if id := r.GetAnnotations()[v1alpha1.AnnotationExternalName]; id != "" {
		if _, name, err := imagereplication.ParseID(id); err == nil {
			return name
		}
	}
	return r.GetName()
}

// DesiredSpec builds the engine spec from spec.forProvider, with the CRD's
// defaults for fields the API server has not defaulted: direction pull,
// trigger manual, override and enabled true.
func (a *ImageReplicationAdapter) DesiredSpec(_ context.Context, mg Managed) (imagereplication.Spec, error) {
	r, err := asImageReplication(mg)
	if err != nil {
		return imagereplication.Spec{}, err
	}
	p := r.Spec.ForProvider
	return imagereplication.Spec{
		Name:            policyName(r),
		SourceSite:      p.SourceSite,
		DestinationSite: p.DestinationSite,
		Direction:       orDefault(p.Direction, imagereplication.DirectionPull),
		Filters: imagereplication.Filters{
			Name:         p.Filters.Name,
			Tag:          p.Filters.Tag,
			Labels:       slices.Clone(p.Filters.Labels),
			ResourceType: p.Filters.ResourceType,
		},
		Trigger: imagereplication.Trigger{
			Type: orDefault(p.Trigger.Type, imagereplication.TriggerManual),
			Cron: p.Trigger.Cron,
		},
		DestinationNamespace: p.DestinationNamespace,
		Override:             boolOrDefault(p.Override, true),
		Enabled:              boolOrDefault(p.Enabled, true),
		EndpointInsecure:     p.EndpointInsecure,
		Settings:             replicationSettings(p),
	}, nil
}

// replicationSettings are the policy settings p sets; those it omits keep
// the policy's values (they are not late-initialized, so that a change made
// in Harbor's UI stays).
func replicationSettings(p v1alpha1.ImageReplicationParameters) imagereplication.Settings {
	s := imagereplication.Settings{
		Speed: clonePtr(p.Speed), CopyByChunk: clonePtr(p.CopyByChunk),
		SingleActiveReplication: clonePtr(p.SingleActiveReplication), Deletion: clonePtr(p.ReplicateDeletion),
	}
	if c := p.DestinationNamespaceReplaceCount; c != nil {
		s.DestinationNamespaceReplaceCount = new(int8(*c))
	}
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return new(*p)
}

// DefaultExternalName is the id Create returns for mg's spec:
// "<site that runs the policy>/<metadata.name>".
func (a *ImageReplicationAdapter) DefaultExternalName(mg Managed) string {
	r, err := asImageReplication(mg)
	if err != nil {
		return ""
	}
	p := r.Spec.ForProvider
	return imagereplication.Spec{
		Name:            r.GetName(),
		SourceSite:      p.SourceSite,
		DestinationSite: p.DestinationSite,
		Direction:       orDefault(p.Direction, imagereplication.DirectionPull),
	}.ID()
}

// SetObservation writes the engine's status into status.atProvider. The
// run-request bookkeeping (lastRunRequest, pendingRun) is the controller's
// own and is kept.
func (a *ImageReplicationAdapter) SetObservation(mg Managed, observed imagereplication.Status) {
	r, err := asImageReplication(mg)
	if err != nil {
		return
	}
	at := &r.Status.AtProvider
	at.RunsOn = observed.RunsOn
	at.PolicyID = observed.PolicyID
	at.RegistryID = observed.RegistryID
	at.RegistryName = observed.RegistryName
	at.Robot = observed.Robot
	at.CredentialsCurrent = observed.CredentialsCurrent
	at.LastExecution = executionObservation(observed.LastExecution)
}

func executionObservation(e *imagereplication.Execution) *v1alpha1.ImageReplicationExecution {
	if e == nil {
		return nil
	}
	return &v1alpha1.ImageReplicationExecution{
		ID:         e.ID,
		Status:     e.Status,
		Succeeded:  e.Succeeded,
		Failed:     e.Failed,
		InProgress: e.InProgress,
		Total:      e.Total,
		Message:    e.Message,
	}
}

// LateInitialize fills only fields whose absence has no meaning of its own:
// direction, trigger type, override and enabled (the API server defaults
// them, so this matters only for objects stored without defaults). Empty
// filters and destinationNamespace mean "everything" and "keep the source
// project", so they are never filled from Harbor.
func (a *ImageReplicationAdapter) LateInitialize(mg Managed, actual imagereplication.Spec) bool {
	r, err := asImageReplication(mg)
	if err != nil {
		return false
	}
	p := &r.Spec.ForProvider
	changed := false
	if p.Direction == "" && actual.Direction != "" {
		p.Direction, changed = actual.Direction, true
	}
	if p.Trigger.Type == "" && actual.Trigger.Type != "" {
		p.Trigger.Type, changed = actual.Trigger.Type, true
		if p.Trigger.Cron == "" && actual.Trigger.Type == imagereplication.TriggerScheduled {
			p.Trigger.Cron = actual.Trigger.Cron
		}
	}
	if p.Override == nil {
		p.Override, changed = new(actual.Override), true
	}
	if p.Enabled == nil {
		p.Enabled, changed = new(actual.Enabled), true
	}
	return changed
}

// imageReplicationFieldPaths maps the engine's argument paths to
// ImageReplication field paths where the names differ beyond snake_case
// to lowerCamelCase under spec.forProvider.
var imageReplicationFieldPaths = map[string]string{
	"name": "metadata.name",
	"id":   "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
}

// FieldPath returns the ImageReplication field path of an engine argument
// path, for example spec.forProvider.trigger.cron for trigger.cron and
// spec.forProvider.sourceSite for source_site.
func (a *ImageReplicationAdapter) FieldPath(enginePath string) string {
	if path, ok := imageReplicationFieldPaths[enginePath]; ok {
		return path
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}

// Act handles spec.forProvider.runRequest. A pending run is polled with
// Execution until it is done, then its request is recorded as
// lastRunRequest. A runRequest that is non-empty and differs from
// lastRunRequest (and from the pending run's) starts a run with Run, which
// returns the execution in progress rather than start a second one. Act
// never waits for an execution: it reports one in progress and is called
// again.
func (a *ImageReplicationAdapter) Act(ctx context.Context, mg Managed, external engine.Client[imagereplication.Spec, imagereplication.Status], id string) (bool, error) {
	r, err := asImageReplication(mg)
	if err != nil {
		return false, err
	}
	runner, ok := external.(ImageReplicationEngine)
	if !ok {
		return false, fmt.Errorf("the engine client %T cannot run replications", external)
	}
	at := &r.Status.AtProvider
	if pending := at.PendingRun; pending != nil {
		e, err := runner.Execution(ctx, id, pending.ExecutionID)
		if err != nil {
			return false, fmt.Errorf("cannot follow execution %d of run request %q: %w", pending.ExecutionID, pending.RunRequest, err)
		}
		at.LastExecution = executionObservation(&e)
		if !e.Done() {
			return true, nil
		}
		at.LastRunRequest, at.PendingRun = pending.RunRequest, nil
	}

	request := r.Spec.ForProvider.RunRequest
	if request == "" || request == at.LastRunRequest {
		return false, nil
	}
	if !boolOrDefault(r.Spec.ForProvider.Enabled, true) {
		return false, engine.Terminal("run request %q waits: the replication is disabled; set spec.forProvider.enabled to true to run it", request)
	}
	execID, err := runner.Run(ctx, id)
	if err != nil {
		return false, fmt.Errorf("cannot run replication for run request %q: %w", request, err)
	}
	at.PendingRun = &v1alpha1.ImageReplicationPendingRun{RunRequest: request, ExecutionID: execID}
	if at.LastExecution == nil || at.LastExecution.ID != execID {
		at.LastExecution = &v1alpha1.ImageReplicationExecution{ID: execID}
	}
	return true, nil
}

func boolOrDefault(value *bool, fallback bool) bool {
	if value == nil {
		return fallback
	}
	return *value
}
