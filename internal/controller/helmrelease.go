package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// HelmReleaseEngineFactory builds the Helm release engine client that
// finds sites, their Argo CDs and GitOps repositories, through sites.
type HelmReleaseEngineFactory func(sites *registry.Registry) engine.Client[helmrelease.Spec, helmrelease.Status]

// NewHelmReleaseEngine is the HelmReleaseEngineFactory of the real engine.
func NewHelmReleaseEngine(sites *registry.Registry) engine.Client[helmrelease.Spec, helmrelease.Status] {
	return helmrelease.New(sites)
}

// RBAC of the HelmRelease controller. The engine reads site records,
// commits to the sites' GitOps repositories, reads Argo CD Applications
// and writes OCI repository Secrets; Secrets, events and leases are granted
// with the Site controller, Applications with the Site controller too.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=helmreleases,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=helmreleases/status,verbs=get;update;patch

// SetupHelmRelease registers the HelmRelease controller with mgr.
func SetupHelmRelease(mgr ctrl.Manager, o Options) error {
	adapter := NewHelmReleaseAdapter(resolverOf(mgr), NewHelmReleaseEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.HelmRelease{} },
		Adapter[helmrelease.Spec, helmrelease.Status](adapter), o.reconcilerOptions(mgr, "helmrelease")...)
	return setupManaged(mgr, "helmrelease", r, func() client.ObjectList { return &v1alpha1.HelmReleaseList{} }, o)
}

// HelmReleaseAdapter connects HelmRelease managed resources to the Helm
// release engine. External names are "<site>/<cluster>/<namespace>/<name>".
type HelmReleaseAdapter struct {
	engines *engineCache[engine.Client[helmrelease.Spec, helmrelease.Status]]
}

var (
	_ Adapter[helmrelease.Spec, helmrelease.Status] = (*HelmReleaseAdapter)(nil)
	_ ExternalNamer                                 = (*HelmReleaseAdapter)(nil)
	_ FieldPathTranslator                           = (*HelmReleaseAdapter)(nil)
)

// NewHelmReleaseAdapter returns a HelmReleaseAdapter that resolves
// ProviderConfigs with providerConfigs and builds engine clients with
// newEngine.
func NewHelmReleaseAdapter(providerConfigs ProviderConfigResolver, newEngine HelmReleaseEngineFactory) *HelmReleaseAdapter {
	return &HelmReleaseAdapter{engines: newEngineCache(providerConfigs, newEngine)}
}

func asHelmRelease(mg Managed) (*v1alpha1.HelmRelease, error) {
	r, ok := mg.(*v1alpha1.HelmRelease)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a HelmRelease", mg.GetName(), mg)
	}
	return r, nil
}

// Connect returns the engine client of the ProviderConfig the HelmRelease
// references.
func (a *HelmReleaseAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[helmrelease.Spec, helmrelease.Status], error) {
	if _, err := asHelmRelease(mg); err != nil {
		return nil, err
	}
	return a.engines.get(ctx, mg)
}

// releaseName is the release name of r: the name part of its external
// name when it holds one (an adopted release), else metadata.name.
func releaseName(r *v1alpha1.HelmRelease) string {
	if id := r.GetAnnotations()[v1alpha1.AnnotationExternalName]; id != "" {
		if s, err := helmrelease.ParseID(id); err == nil {
			return s.Name
		}
	}
	return r.GetName()
}

// DesiredSpec builds the engine spec from spec.forProvider.
func (a *HelmReleaseAdapter) DesiredSpec(_ context.Context, mg Managed) (helmrelease.Spec, error) {
	r, err := asHelmRelease(mg)
	if err != nil {
		return helmrelease.Spec{}, err
	}
	p := r.Spec.ForProvider
	return helmrelease.Spec{
		Site: p.Site, Cluster: p.Cluster, Namespace: p.Namespace, Name: releaseName(r),
		RepoURL: p.RepoURL, Chart: p.Chart, Version: p.Version, Path: p.Path, Values: p.Values,
		Set: maps.Clone(p.Set), SetString: maps.Clone(p.SetString), ValueFiles: slices.Clone(p.ValueFiles),
		Notify: slices.Sorted(slices.Values(p.Notify)),
	}, nil
}

// DefaultExternalName is the id Create returns for mg's spec.
func (a *HelmReleaseAdapter) DefaultExternalName(mg Managed) string {
	r, err := asHelmRelease(mg)
	if err != nil {
		return ""
	}
	p := r.Spec.ForProvider
	return helmrelease.Spec{Site: p.Site, Cluster: p.Cluster, Namespace: p.Namespace, Name: r.GetName()}.ID()
}

// SetObservation writes the engine's status into status.atProvider.
func (a *HelmReleaseAdapter) SetObservation(mg Managed, observed helmrelease.Status) {
	r, err := asHelmRelease(mg)
	if err != nil {
		return
	}
	r.Status.AtProvider = v1alpha1.HelmReleaseObservation{
		Application: observed.Application, ManifestPath: observed.ManifestPath, Commit: observed.Commit,
		Revision: observed.Revision, SyncStatus: observed.SyncStatus, HealthStatus: observed.HealthStatus,
	}
}

// LateInitialize fills nothing: every field is the user's.
func (a *HelmReleaseAdapter) LateInitialize(Managed, helmrelease.Spec) bool { return false }

// helmReleaseFieldPaths maps the engine's argument paths to HelmRelease
// field paths where the names differ beyond snake_case to lowerCamelCase
// under spec.forProvider.
var helmReleaseFieldPaths = map[string]string{
	"name":     "metadata.name",
	"id":       "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
	"repo_url": "spec.forProvider.repoURL",
}

// FieldPath returns the HelmRelease field path of an engine argument path.
func (a *HelmReleaseAdapter) FieldPath(enginePath string) string {
	if path, ok := helmReleaseFieldPaths[enginePath]; ok {
		return path
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
