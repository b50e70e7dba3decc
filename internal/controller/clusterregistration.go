package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ClusterRegistrationEngineFactory builds the cluster registration engine
// client that finds sites, and their Argo CDs, through the site registry
// sites.
type ClusterRegistrationEngineFactory func(sites *registry.Registry) engine.Client[clusterregistration.Spec, clusterregistration.Status]

// NewClusterRegistrationEngine is the ClusterRegistrationEngineFactory of
// the real engine.
func NewClusterRegistrationEngine(sites *registry.Registry) engine.Client[clusterregistration.Spec, clusterregistration.Status] {
	return clusterregistration.New(sites)
}

// RBAC of the ClusterRegistration controller. The engine reads site records
// and writes Argo CD cluster Secrets; Secrets, events and leases are granted
// with the Site controller.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=clusterregistrations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=clusterregistrations/status,verbs=get;update;patch

// SetupClusterRegistration registers the ClusterRegistration controller with mgr.
func SetupClusterRegistration(mgr ctrl.Manager, o Options) error {
	adapter := NewClusterRegistrationAdapter(resolverOf(mgr), mgr.GetAPIReader(), NewClusterRegistrationEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.ClusterRegistration{} },
		Adapter[clusterregistration.Spec, clusterregistration.Status](adapter), o.reconcilerOptions(mgr, "clusterregistration")...)
	return setupManaged(mgr, "clusterregistration", r, func() client.ObjectList { return &v1alpha1.ClusterRegistrationList{} }, o)
}

// ClusterRegistrationAdapter connects ClusterRegistration managed resources
// to the cluster registration engine. External names are "<site>/<name>";
// the token comes from the Secret spec.forProvider.tokenSecretRef selects,
// whose changes are reconciled at once.
type ClusterRegistrationAdapter struct {
	secrets client.Reader
	engines *engineCache[engine.Client[clusterregistration.Spec, clusterregistration.Status]]
}

var (
	_ Adapter[clusterregistration.Spec, clusterregistration.Status] = (*ClusterRegistrationAdapter)(nil)
	_ ExternalNamer                                                 = (*ClusterRegistrationAdapter)(nil)
	_ FieldPathTranslator                                           = (*ClusterRegistrationAdapter)(nil)
	_ SecretReferencer                                              = (*ClusterRegistrationAdapter)(nil)
)

// NewClusterRegistrationAdapter returns a ClusterRegistrationAdapter that
// resolves ProviderConfigs with providerConfigs, reads the token Secret
// with secrets (an uncached reader) and builds engine clients with newEngine.
func NewClusterRegistrationAdapter(providerConfigs ProviderConfigResolver, secrets client.Reader, newEngine ClusterRegistrationEngineFactory) *ClusterRegistrationAdapter {
	return &ClusterRegistrationAdapter{secrets: secrets, engines: newEngineCache(providerConfigs, newEngine)}
}

func asClusterRegistration(mg Managed) (*v1alpha1.ClusterRegistration, error) {
	r, ok := mg.(*v1alpha1.ClusterRegistration)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a ClusterRegistration", mg.GetName(), mg)
	}
	return r, nil
}

// Connect returns the engine client of the ProviderConfig the
// ClusterRegistration references.
func (a *ClusterRegistrationAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[clusterregistration.Spec, clusterregistration.Status], error) {
	if _, err := asClusterRegistration(mg); err != nil {
		return nil, err
	}
	return a.engines.get(ctx, mg)
}

// ReferencedSecrets returns the token Secret.
func (a *ClusterRegistrationAdapter) ReferencedSecrets(mg Managed) []types.NamespacedName {
	r, err := asClusterRegistration(mg)
	if err != nil {
		return nil
	}
	ref := r.Spec.ForProvider.TokenSecretRef
	return []types.NamespacedName{{Namespace: ref.Namespace, Name: ref.Name}}
}

// registrationName is the Argo CD name of r: the name part of its
// external-name annotation when it holds "<site>/<name>" (an adopted
// registration), else metadata.name.
func registrationName(r *v1alpha1.ClusterRegistration) string {
	if id := r.GetAnnotations()[v1alpha1.AnnotationExternalName]; id != "" {
		if _, name, err := clusterregistration.ParseID(id); err == nil {
			return name
		}
	}
	return r.GetName()
}

// DesiredSpec builds the engine spec from spec.forProvider, with the token
// read from the referenced Secret and versioned with SecretVersion.
func (a *ClusterRegistrationAdapter) DesiredSpec(ctx context.Context, mg Managed) (clusterregistration.Spec, error) {
	r, err := asClusterRegistration(mg)
	if err != nil {
		return clusterregistration.Spec{}, err
	}
	p := r.Spec.ForProvider
	token, err := secretValue(ctx, a.secrets, p.TokenSecretRef)
	if err != nil {
		return clusterregistration.Spec{}, fmt.Errorf("tokenSecretRef: %w", err)
	}
	return clusterregistration.Spec{
		Site: p.Site, Name: registrationName(r), Server: p.Server, CACertificate: p.CACertificate,
		Token: token, TokenVersion: SecretVersion(token),
		Namespaces: slices.Clone(p.Namespaces), Labels: maps.Clone(p.Labels),
	}, nil
}

// DefaultExternalName is the id Create returns for mg's spec:
// "<site>/<metadata.name>".
func (a *ClusterRegistrationAdapter) DefaultExternalName(mg Managed) string {
	r, err := asClusterRegistration(mg)
	if err != nil {
		return ""
	}
	return clusterregistration.Spec{Site: r.Spec.ForProvider.Site, Name: r.GetName()}.ID()
}

// SetObservation writes the engine's status into status.atProvider.
func (a *ClusterRegistrationAdapter) SetObservation(mg Managed, observed clusterregistration.Status) {
	r, err := asClusterRegistration(mg)
	if err != nil {
		return
	}
	at := v1alpha1.ClusterRegistrationObservation{KubernetesVersion: observed.KubernetesVersion, Message: observed.Message}
	if observed.SecretName != "" {
		at.ArgoCDSecret = observed.ArgoCDNamespace + "/" + observed.SecretName
	}
	r.Status.AtProvider = at
}

// LateInitialize fills nothing: every field the registration has is the
// user's (an empty caCertificate, namespaces or labels mean something).
func (a *ClusterRegistrationAdapter) LateInitialize(Managed, clusterregistration.Spec) bool {
	return false
}

// clusterRegistrationFieldPaths maps the engine's argument paths to
// ClusterRegistration field paths where the names differ beyond snake_case
// to lowerCamelCase under spec.forProvider.
var clusterRegistrationFieldPaths = map[string]string{
	"name":          "metadata.name",
	"id":            "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
	"token":         "spec.forProvider.tokenSecretRef",
	"token_version": "spec.forProvider.tokenSecretRef",
}

// FieldPath returns the ClusterRegistration field path of an engine
// argument path, for example spec.forProvider.caCertificate for
// ca_certificate.
func (a *ClusterRegistrationAdapter) FieldPath(enginePath string) string {
	if path, ok := clusterRegistrationFieldPaths[enginePath]; ok {
		return path
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
