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
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ApplicationDeploymentEngineFactory builds the application deployment
// engine client that finds sites and applications through the registry.
type ApplicationDeploymentEngineFactory func(reg *registry.Registry) engine.Client[applicationdeployment.Spec, applicationdeployment.Status]

// NewApplicationDeploymentEngine is the ApplicationDeploymentEngineFactory
// of the real engine.
func NewApplicationDeploymentEngine(reg *registry.Registry) engine.Client[applicationdeployment.Spec, applicationdeployment.Status] {
	return applicationdeployment.New(reg)
}

// RBAC of the ApplicationDeployment controller. The engine reads site and
// application records and writes Argo CD repository Secrets; Secrets,
// events and leases are granted with the Site controller.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=applicationdeployments,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=applicationdeployments/status,verbs=get;update;patch

// SetupApplicationDeployment registers the ApplicationDeployment controller with mgr.
func SetupApplicationDeployment(mgr ctrl.Manager, o Options) error {
	adapter := NewApplicationDeploymentAdapter(resolverOf(mgr), NewApplicationDeploymentEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.ApplicationDeployment{} },
		Adapter[applicationdeployment.Spec, applicationdeployment.Status](adapter), o.reconcilerOptions(mgr, "applicationdeployment")...)
	return setupManaged(mgr, "applicationdeployment", r, func() client.ObjectList { return &v1alpha1.ApplicationDeploymentList{} }, o)
}

// ApplicationDeploymentAdapter connects ApplicationDeployment managed
// resources to the application deployment engine. External names are
// "<site>/<PROJECT>/<application>/<cluster>".
type ApplicationDeploymentAdapter struct {
	providerConfigs ProviderConfigResolver
	engines         *engineCache[servicedEngine[applicationdeployment.Spec, applicationdeployment.Status]]
}

var (
	_ Adapter[applicationdeployment.Spec, applicationdeployment.Status] = (*ApplicationDeploymentAdapter)(nil)
	_ ExternalNamer                                                     = (*ApplicationDeploymentAdapter)(nil)
	_ FieldPathTranslator                                               = (*ApplicationDeploymentAdapter)(nil)
)

// NewApplicationDeploymentAdapter returns an ApplicationDeploymentAdapter
// that resolves ProviderConfigs with providerConfigs and builds engine
// clients with newEngine.
func NewApplicationDeploymentAdapter(providerConfigs ProviderConfigResolver, newEngine ApplicationDeploymentEngineFactory) *ApplicationDeploymentAdapter {
	return &ApplicationDeploymentAdapter{
		providerConfigs: providerConfigs,
		engines: newEngineCache(providerConfigs, func(reg *registry.Registry) servicedEngine[applicationdeployment.Spec, applicationdeployment.Status] {
			return servicedEngine[applicationdeployment.Spec, applicationdeployment.Status]{Client: newEngine(reg), reg: reg}
		}),
	}
}

func asApplicationDeployment(mg Managed) (*v1alpha1.ApplicationDeployment, error) {
	d, ok := mg.(*v1alpha1.ApplicationDeployment)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not an ApplicationDeployment", mg.GetName(), mg)
	}
	return d, nil
}

// Connect returns the engine client of the ProviderConfig the
// ApplicationDeployment references, with the Bitbucket its credentials
// Secret names (the yaml repositories are pushed with its credentials).
func (a *ApplicationDeploymentAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[applicationdeployment.Spec, applicationdeployment.Status], error) {
	if _, err := asApplicationDeployment(mg); err != nil {
		return nil, err
	}
	return connectWithServices(ctx, a.providerConfigs, a.engines, mg)
}

// DesiredSpec builds the engine spec from spec.forProvider.
func (a *ApplicationDeploymentAdapter) DesiredSpec(_ context.Context, mg Managed) (applicationdeployment.Spec, error) {
	d, err := asApplicationDeployment(mg)
	if err != nil {
		return applicationdeployment.Spec{}, err
	}
	return applicationDeploymentSpec(d.Spec.ForProvider), nil
}

// applicationDeploymentSpec is the engine spec of p.
func applicationDeploymentSpec(p v1alpha1.ApplicationDeploymentParameters) applicationdeployment.Spec {
	s := applicationdeployment.Spec{
		Application: p.Application, Site: p.Site, Cluster: p.Cluster, Namespace: p.Namespace,
		Image:  applicationdeployment.Image{Repository: p.Image.Repository, Tag: p.Image.Tag, Digest: p.Image.Digest},
		Notify: slices.Sorted(slices.Values(p.Notify)),
	}
	if sp := p.SyncPolicy; sp != nil {
		s.SyncPolicy = applicationdeployment.SyncPolicy{Automated: sp.Automated, Prune: sp.Prune, SelfHeal: sp.SelfHeal, SyncOptions: slices.Clone(sp.SyncOptions)}
		if r := sp.Retry; r != nil {
			s.SyncPolicy.Retry = &applicationdeployment.Retry{Limit: r.Limit, BackoffDuration: r.BackoffDuration, BackoffFactor: r.BackoffFactor, BackoffMaxDuration: r.BackoffMaxDuration}
		}
	}
	return s
}

// DefaultExternalName is the id Create returns for mg's spec.
func (a *ApplicationDeploymentAdapter) DefaultExternalName(mg Managed) string {
	d, err := asApplicationDeployment(mg)
	if err != nil {
		return ""
	}
	return applicationDeploymentSpec(d.Spec.ForProvider).ID()
}

// SetObservation writes the engine's status into status.atProvider.
func (a *ApplicationDeploymentAdapter) SetObservation(mg Managed, observed applicationdeployment.Status) {
	d, err := asApplicationDeployment(mg)
	if err != nil {
		return
	}
	at := v1alpha1.ApplicationDeploymentObservation{
		GitOpsCommit: observed.GitOpsCommit, YAMLCommit: observed.YAMLCommit, SyncedRevision: observed.SyncedRevision,
		SyncStatus: observed.SyncStatus, HealthStatus: observed.HealthStatus,
		OperationPhase: observed.OperationPhase, OperationMessage: observed.OperationMessage,
	}
	if observed.ApplicationName != "" {
		at.ArgoCDApplication = observed.ArgoCDNamespace + "/" + observed.ApplicationName
	}
	d.Status.AtProvider = at
}

// LateInitialize fills nothing: every field of a deployment is the user's.
func (a *ApplicationDeploymentAdapter) LateInitialize(Managed, applicationdeployment.Spec) bool {
	return false
}

// applicationDeploymentFieldPaths maps the engine's argument paths to
// ApplicationDeployment field paths where they differ beyond snake_case to
// lowerCamelCase under spec.forProvider.
var applicationDeploymentFieldPaths = map[string]string{
	"id": "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
}

// FieldPath returns the ApplicationDeployment field path of an engine
// argument path, for example spec.forProvider.syncPolicy.syncOptions for
// sync_policy.sync_options.
func (a *ApplicationDeploymentAdapter) FieldPath(enginePath string) string {
	if path, ok := applicationDeploymentFieldPaths[enginePath]; ok {
		return path
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
