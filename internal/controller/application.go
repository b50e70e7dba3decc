package controller

import (
	"context"
	"fmt"
	"maps"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ApplicationEngineFactory builds the application engine client that finds
// projects and the platform's Bitbucket through the registry.
type ApplicationEngineFactory func(sites *registry.Registry) engine.Client[application.Spec, application.Status]

// NewApplicationEngine is the ApplicationEngineFactory of the real engine.
func NewApplicationEngine(sites *registry.Registry) engine.Client[application.Spec, application.Status] {
	return application.New(sites)
}

// RBAC of the GitOpsApplication controller. The engine reads project
// records and writes application records (Secrets, granted with the Site
// controller).
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=gitopsapplications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=gitopsapplications/status,verbs=get;update;patch

// SetupApplication registers the GitOpsApplication controller with mgr.
func SetupApplication(mgr ctrl.Manager, o Options) error {
	adapter := NewApplicationAdapter(resolverOf(mgr), NewApplicationEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.GitOpsApplication{} },
		Adapter[application.Spec, application.Status](adapter), o.reconcilerOptions(mgr, "application")...)
	return setupManaged(mgr, "application", r, func() client.ObjectList { return &v1alpha1.GitOpsApplicationList{} }, o)
}

// ApplicationAdapter connects GitOpsApplication managed resources to the
// application engine. It is an ExternalNamer (external names are
// "<PROJECT>/<name>") and a FieldPathTranslator.
type ApplicationAdapter struct {
	providerConfigs ProviderConfigResolver
	engines         *engineCache[servicedEngine[application.Spec, application.Status]]
}

var (
	_ Adapter[application.Spec, application.Status] = (*ApplicationAdapter)(nil)
	_ ExternalNamer                                 = (*ApplicationAdapter)(nil)
	_ FieldPathTranslator                           = (*ApplicationAdapter)(nil)
)

// NewApplicationAdapter returns an ApplicationAdapter that resolves
// ProviderConfigs with providerConfigs and builds engine clients with
// newEngine.
func NewApplicationAdapter(providerConfigs ProviderConfigResolver, newEngine ApplicationEngineFactory) *ApplicationAdapter {
	return &ApplicationAdapter{
		providerConfigs: providerConfigs,
		engines: newEngineCache(providerConfigs, func(reg *registry.Registry) servicedEngine[application.Spec, application.Status] {
			return servicedEngine[application.Spec, application.Status]{Client: newEngine(reg), reg: reg}
		}),
	}
}

func asApplication(mg Managed) (*v1alpha1.GitOpsApplication, error) {
	m, ok := mg.(*v1alpha1.GitOpsApplication)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a GitOpsApplication", mg.GetName(), mg)
	}
	return m, nil
}

// Connect returns the engine client of the ProviderConfig the
// GitOpsApplication references, with the Bitbucket its credentials Secret
// names (the keys the Project kind reads).
func (a *ApplicationAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[application.Spec, application.Status], error) {
	if _, err := asApplication(mg); err != nil {
		return nil, err
	}
	return connectWithServices(ctx, a.providerConfigs, a.engines, mg)
}

// applicationSpec is the engine spec of m. on_destroy is always delete:
// spec.deletionPolicy Orphan keeps the controller from deleting.
func applicationSpec(m *v1alpha1.GitOpsApplication) application.Spec {
	p := m.Spec.ForProvider
	return application.Spec{
		Project: p.Project, Name: p.Name,
		Template:      application.Template{SourceRepo: p.Template.SourceRepo, YAMLRepo: p.Template.YAMLRepo, Ref: p.Template.Ref},
		InitialValues: maps.Clone(p.InitialValues),
		OnDestroy:     application.OnDestroyDelete,
	}
}

// DesiredSpec builds the engine spec from spec.forProvider.
func (a *ApplicationAdapter) DesiredSpec(_ context.Context, mg Managed) (application.Spec, error) {
	m, err := asApplication(mg)
	if err != nil {
		return application.Spec{}, err
	}
	return applicationSpec(m), nil
}

// DefaultExternalName is the id Create returns for mg's spec.
func (a *ApplicationAdapter) DefaultExternalName(mg Managed) string {
	m, err := asApplication(mg)
	if err != nil {
		return ""
	}
	return applicationSpec(m).ID()
}

// SetObservation writes the repositories into status.atProvider.
func (a *ApplicationAdapter) SetObservation(mg Managed, o application.Status) {
	m, err := asApplication(mg)
	if err != nil {
		return
	}
	m.Status.AtProvider = v1alpha1.GitOpsApplicationObservation{
		SourceCloneURL: o.SourceCloneURL, YAMLCloneURL: o.YAMLCloneURL,
		SourceInitialCommit: o.SourceInitialCommit, YAMLInitialCommit: o.YAMLInitialCommit,
		DefaultBranch: o.DefaultBranch, Notice: o.Notice,
	}
}

// LateInitialize fills the template ref when it is unset.
func (a *ApplicationAdapter) LateInitialize(mg Managed, actual application.Spec) bool {
	m, err := asApplication(mg)
	if err != nil || m.Spec.ForProvider.Template.Ref != "" || actual.Template.Ref == "" {
		return false
	}
	m.Spec.ForProvider.Template.Ref = actual.Template.Ref
	return true
}

// applicationFieldPaths maps the engine's argument paths to
// GitOpsApplication field paths where the names differ beyond snake_case
// to lowerCamelCase.
var applicationFieldPaths = map[string]string{
	"template.yaml_repo": "spec.forProvider.template.yamlRepo",
	"on_destroy":         "spec.deletionPolicy",
	"id":                 "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
}

// FieldPath returns the GitOpsApplication field path of an engine argument
// path, for example spec.forProvider.template.sourceRepo for
// template.source_repo.
func (a *ApplicationAdapter) FieldPath(enginePath string) string {
	if p, ok := applicationFieldPaths[enginePath]; ok {
		return p
	}
	segments := strings.Split(enginePath, ".")
	for i, s := range segments {
		segments[i] = lowerCamel(s)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
