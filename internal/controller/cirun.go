package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cirun"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Event reasons the CIRun controller records for each transition of a run
// it observes, beside the reconciler's own. They are stable:
//
//	kubectl get events --field-selector reason=CIRunStepFailed
const (
	// EventReasonCIRunStepRunning (Normal): a step started.
	EventReasonCIRunStepRunning = "CIRunStepRunning"
	// EventReasonCIRunStepSucceeded (Normal): a step succeeded; the note
	// has its duration and message.
	EventReasonCIRunStepSucceeded = "CIRunStepSucceeded"
	// EventReasonCIRunStepSkipped (Normal): the run's spec turned a step
	// off.
	EventReasonCIRunStepSkipped = "CIRunStepSkipped"
	// EventReasonCIRunStepFailed (Warning): a step failed; the note has
	// its message.
	EventReasonCIRunStepFailed = "CIRunStepFailed"
	// EventReasonCIRunSucceeded (Normal): the run succeeded; the note has
	// the image's digest.
	EventReasonCIRunSucceeded = "CIRunSucceeded"
	// EventReasonCIRunFailed (Warning): the run failed.
	EventReasonCIRunFailed = "CIRunFailed"
)

// CIRunEngineFactory builds the CI run engine client over the registry.
type CIRunEngineFactory func(sites *registry.Registry) engine.Client[cirun.Spec, cirun.Status]

// NewCIRunEngine is the CIRunEngineFactory of the real engine.
func NewCIRunEngine(sites *registry.Registry) engine.Client[cirun.Spec, cirun.Status] {
	return cirun.New(sites)
}

// RBAC of the CIRun controller. The engine works on the sites' management
// clusters with the credentials of the site records; on the platform
// plane it reads records (Secrets, granted with the Site controller).
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=ciruns,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=ciruns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=tasks.mcplatform.dev,resources=taskruns,verbs=get;list;watch;create;patch;delete

// SetupCIRun registers the CIRun controller with mgr.
func SetupCIRun(mgr ctrl.Manager, o Options) error {
	adapter := NewCIRunAdapter(resolverOf(mgr), NewCIRunEngine)
	adapter.Recorder = mgr.GetEventRecorder("mc-controller/cirun")
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.CIRun{} },
		Adapter[cirun.Spec, cirun.Status](adapter), o.reconcilerOptions(mgr, "cirun")...)
	return setupManaged(mgr, "cirun", r, func() client.ObjectList { return &v1alpha1.CIRunList{} }, o)
}

// CIRunAdapter connects CIRun managed resources to the CI run engine. It
// is an ExternalNamer (external names are "<site>/<run name>") and a
// FieldPathTranslator, and records an Event for every step transition.
type CIRunAdapter struct {
	providerConfigs ProviderConfigResolver
	engines         *engineCache[servicedEngine[cirun.Spec, cirun.Status]]
	// Recorder records the run's step transitions; nil records none.
	Recorder events.EventRecorder
}

var (
	_ Adapter[cirun.Spec, cirun.Status] = (*CIRunAdapter)(nil)
	_ ExternalNamer                     = (*CIRunAdapter)(nil)
	_ FieldPathTranslator               = (*CIRunAdapter)(nil)
)

// NewCIRunAdapter returns a CIRunAdapter that resolves ProviderConfigs with
// providerConfigs and builds engine clients with newEngine.
func NewCIRunAdapter(providerConfigs ProviderConfigResolver, newEngine CIRunEngineFactory) *CIRunAdapter {
	return &CIRunAdapter{
		providerConfigs: providerConfigs,
		engines: newEngineCache(providerConfigs, func(reg *registry.Registry) servicedEngine[cirun.Spec, cirun.Status] {
			return servicedEngine[cirun.Spec, cirun.Status]{Client: newEngine(reg), reg: reg}
		}),
	}
}

func asCIRun(mg Managed) (*v1alpha1.CIRun, error) {
	m, ok := mg.(*v1alpha1.CIRun)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a CIRun", mg.GetName(), mg)
	}
	return m, nil
}

// Connect returns the engine client of the ProviderConfig the CIRun
// references, with the Bitbucket its credentials Secret names (the git
// credentials of the runs).
func (a *CIRunAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[cirun.Spec, cirun.Status], error) {
	if _, err := asCIRun(mg); err != nil {
		return nil, err
	}
	return connectWithServices(ctx, a.providerConfigs, a.engines, mg)
}

// ciRunSpec is the engine spec of m, with the CRD's defaults for what the
// API server has not defaulted.
func ciRunSpec(m *v1alpha1.CIRun) cirun.Spec {
	p := m.Spec.ForProvider
	s := cirun.Spec{
		Site:   p.Site,
		Source: cirun.Source{Repository: p.Source.Repository, Application: p.Source.Application, Revision: p.Source.Revision},
		Image:  cirun.Image{Project: p.Image.Project, Repository: p.Image.Repository, Tag: p.Image.Tag},
		Build: cirun.Build{
			Command: p.Build.Command, ContextDir: p.Build.ContextDir, BaseImage: p.Build.BaseImage,
			Env: maps.Clone(p.Build.Env), Executor: p.Build.Executor, Entrypoint: slices.Clone(p.Build.Entrypoint),
		},
		Scan:      cirun.Scan{Enabled: boolOrDefault(p.Scan.Enabled, true), FailOn: orDefault(p.Scan.FailOn, cirun.SeverityCritical)},
		Triggers:  maps.Clone(p.Triggers),
		Notify:    slices.Clone(p.Notify),
		OnDestroy: orDefault(p.OnDestroy, cirun.OnDestroyForget),
	}
	if len(p.ReplicateTo) > 0 {
		s.ReplicateTo = slices.Clone(p.ReplicateTo)
	}
	return s
}

// DesiredSpec builds the engine spec from spec.forProvider.
func (a *CIRunAdapter) DesiredSpec(_ context.Context, mg Managed) (cirun.Spec, error) {
	m, err := asCIRun(mg)
	if err != nil {
		return cirun.Spec{}, err
	}
	return ciRunSpec(m), nil
}

// DefaultExternalName is the id Create returns for mg's spec.
func (a *CIRunAdapter) DefaultExternalName(mg Managed) string {
	m, err := asCIRun(mg)
	if err != nil {
		return ""
	}
	return cirun.ID(ciRunSpec(m))
}

// SetObservation writes the run into status.atProvider, and records an
// Event for every step that changed phase since the status it replaces
// (and for the run's end).
func (a *CIRunAdapter) SetObservation(mg Managed, o cirun.Status) {
	m, err := asCIRun(mg)
	if err != nil {
		return
	}
	previous := m.Status.AtProvider
	next := v1alpha1.CIRunObservation{
		Name: o.Name, Phase: o.Phase, ResolvedCommit: o.ResolvedCommit, ImageDigest: o.ImageDigest, ImageRef: o.ImageRef,
		HubImageRef: o.HubImageRef, LogTail: o.LogTail, StartedAt: metaTime(o.StartedAt), FinishedAt: metaTime(o.FinishedAt),
	}
	if s := o.ScanSummary; s != nil {
		next.ScanSummary = &v1alpha1.CIRunScanSummary{Total: s.Total, Fixable: s.Fixable, Severities: maps.Clone(s.Severities), Vulnerabilities: slices.Clone(s.Vulnerabilities)}
	}
	for _, s := range o.Steps {
		step := v1alpha1.CIRunStep{Name: s.Name, Phase: s.Phase, Message: s.Message}
		if !s.FinishedAt.IsZero() {
			step.Duration = s.Duration.Round(time.Millisecond).String()
		}
		next.Steps = append(next.Steps, step)
	}
	m.Status.AtProvider = next
	a.recordTransitions(m, previous, next)
}

// recordTransitions records the Events of what changed from previous to
// next.
func (a *CIRunAdapter) recordTransitions(m *v1alpha1.CIRun, previous, next v1alpha1.CIRunObservation) {
	if a.Recorder == nil {
		return
	}
	if previous.Name != "" && previous.Name != next.Name {
		previous = v1alpha1.CIRunObservation{} // another run: every step is new
	}
	was := map[string]string{}
	for _, s := range previous.Steps {
		was[s.Name] = s.Phase
	}
	for _, s := range next.Steps {
		if was[s.Name] == s.Phase {
			continue
		}
		note := fmt.Sprintf("step %s of run %s is %s", s.Name, next.Name, s.Phase)
		if s.Duration != "" {
			note += " after " + s.Duration
		}
		if s.Message != "" {
			note += ": " + s.Message
		}
		switch s.Phase {
		case tasksv1alpha1.PhaseRunning:
			a.Recorder.Eventf(m, nil, corev1.EventTypeNormal, EventReasonCIRunStepRunning, "Observe", "%s", note)
		case tasksv1alpha1.PhaseSucceeded:
			a.Recorder.Eventf(m, nil, corev1.EventTypeNormal, EventReasonCIRunStepSucceeded, "Observe", "%s", note)
		case tasksv1alpha1.PhaseSkipped:
			a.Recorder.Eventf(m, nil, corev1.EventTypeNormal, EventReasonCIRunStepSkipped, "Observe", "%s", note)
		case tasksv1alpha1.PhaseFailed:
			a.Recorder.Eventf(m, nil, corev1.EventTypeWarning, EventReasonCIRunStepFailed, "Observe", "%s", note)
		}
	}
	if previous.Phase == next.Phase {
		return
	}
	switch next.Phase {
	case tasksv1alpha1.PhaseSucceeded:
		a.Recorder.Eventf(m, nil, corev1.EventTypeNormal, EventReasonCIRunSucceeded, "Observe", "run %s succeeded: %s", next.Name, next.ImageRef)
	case tasksv1alpha1.PhaseFailed:
		tail := strings.TrimSpace(next.LogTail)
		if i := strings.LastIndex(tail, "\n"); i >= 0 {
			tail = tail[i+1:]
		}
		a.Recorder.Eventf(m, nil, corev1.EventTypeWarning, EventReasonCIRunFailed, "Observe", "run %s failed: %s", next.Name, tail)
	}
}

func metaTime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t)
	return &mt
}

// LateInitialize changes nothing: a run's inputs are all given, and the
// engine's defaults are the CRD's.
func (a *CIRunAdapter) LateInitialize(Managed, cirun.Spec) bool { return false }

// ciRunFieldPaths maps the engine's argument paths to CIRun field paths
// where the names differ beyond snake_case to lowerCamelCase.
var ciRunFieldPaths = map[string]string{
	"id": "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
}

// FieldPath returns the CIRun field path of an engine argument path, for
// example spec.forProvider.build.contextDir for build.context_dir.
func (a *CIRunAdapter) FieldPath(enginePath string) string {
	if p, ok := ciRunFieldPaths[enginePath]; ok {
		return p
	}
	segments := strings.Split(enginePath, ".")
	for i, s := range segments {
		segments[i] = lowerCamel(s)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
