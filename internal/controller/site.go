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
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// Defaults of a site's Argo CD and GitOps settings, the same as the CRD's.
const (
	defaultArgoCDNamespace   = "argocd"
	defaultArgoCDDestination = "in-cluster"
	defaultGitOpsBranch      = "main"
)

// SiteEngineFactory builds the site engine client that keeps site records
// in the site registry sites.
type SiteEngineFactory func(sites *registry.Registry) engine.Client[site.Spec, site.Status]

// NewSiteEngine is the SiteEngineFactory of the real site engine.
func NewSiteEngine(sites *registry.Registry) engine.Client[site.Spec, site.Status] {
	return site.New(sites)
}

// RBAC of the controller, generated into config/rbac/role.yaml. The site
// engine keeps site records (Secrets) in the registry namespace, reads the
// referenced credential Secrets, and, when the platform plane is the
// management cluster, manages Argo CD Applications and repository Secrets
// and lists Cluster API clusters.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=sites,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=sites/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=providerconfigs,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="";events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=argoproj.io,resources=applications,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch

// SetupSite registers the Site controller with mgr. The controller's own
// configuration is the injected identity of ProviderConfigs that use it.
func SetupSite(mgr ctrl.Manager, o Options) error {
	adapter := NewSiteAdapter(resolverOf(mgr), mgr.GetAPIReader(), NewSiteEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter), o.reconcilerOptions(mgr, "site")...)
	return setupManaged(mgr, "site", r, func() client.ObjectList { return &v1alpha1.SiteList{} }, o)
}

// SiteAdapter connects Site managed resources to the site engine.
type SiteAdapter struct {
	secrets client.Reader
	engines *engineCache[engine.Client[site.Spec, site.Status]]
}

var (
	_ Adapter[site.Spec, site.Status] = (*SiteAdapter)(nil)
	_ SecretReferencer                = (*SiteAdapter)(nil)
	_ Triggerer                       = (*site.Client)(nil)
)

// ReferencedSecrets returns the Secrets spec.forProvider names: the
// management cluster's token or kubeconfig, the GitOps repository's
// password and Harbor's password. A change to one of them is reconciled at
// once.
func (a *SiteAdapter) ReferencedSecrets(mg Managed) []types.NamespacedName {
	s, err := asSite(mg)
	if err != nil {
		return nil
	}
	p := s.Spec.ForProvider
	var refs []*v1alpha1.SecretKeySelector
	if mc := p.ManagementCluster; mc != nil {
		refs = append(refs, mc.TokenSecretRef, mc.KubeconfigSecretRef)
	}
	if g := p.GitOps; g != nil {
		refs = append(refs, g.PasswordSecretRef)
	}
	if h := p.Harbor; h != nil {
		refs = append(refs, h.PasswordSecretRef)
	}
	var out []types.NamespacedName
	for _, ref := range refs {
		if ref != nil {
			out = append(out, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name})
		}
	}
	return out
}

// NewSiteAdapter returns a SiteAdapter that resolves ProviderConfigs with
// providerConfigs, reads referenced Secrets with secrets (an uncached
// reader) and builds engine clients with newEngine.
func NewSiteAdapter(providerConfigs ProviderConfigResolver, secrets client.Reader, newEngine SiteEngineFactory) *SiteAdapter {
	return &SiteAdapter{secrets: secrets, engines: newEngineCache(providerConfigs, newEngine)}
}

func asSite(mg Managed) (*v1alpha1.Site, error) {
	s, ok := mg.(*v1alpha1.Site)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a Site", mg.GetName(), mg)
	}
	return s, nil
}

// Connect returns the site engine client of the ProviderConfig the Site
// references. Clients are reused while the ProviderConfig and its
// credentials are unchanged.
func (a *SiteAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[site.Spec, site.Status], error) {
	if _, err := asSite(mg); err != nil {
		return nil, err
	}
	return a.engines.get(ctx, mg)
}

// DesiredSpec builds the site engine spec from spec.forProvider. The site's
// name is its external name. Secret values are read from the referenced
// Secrets and versioned with SecretVersion.
func (a *SiteAdapter) DesiredSpec(ctx context.Context, mg Managed) (site.Spec, error) {
	s, err := asSite(mg)
	if err != nil {
		return site.Spec{}, err
	}
	p := s.Spec.ForProvider
	want := site.Spec{
		Name:        ExternalName(s),
		Description: p.Description,
		Hub:         p.Hub,
		Labels:      maps.Clone(p.Labels),
		ArgoCD: site.ArgoCD{
			Namespace:   orDefault(p.ArgoCD.Namespace, defaultArgoCDNamespace),
			Destination: orDefault(p.ArgoCD.Destination, defaultArgoCDDestination),
		},
	}
	if mc := p.ManagementCluster; mc != nil {
		m := &site.ManagementCluster{
			Host:          mc.Host,
			CACertificate: mc.CACertificate,
			Insecure:      mc.InsecureSkipTLSVerify,
			Context:       mc.Context,
		}
		if ref := mc.TokenSecretRef; ref != nil {
			if m.Token, err = secretValue(ctx, a.secrets, *ref); err != nil {
				return site.Spec{}, fmt.Errorf("managementCluster.tokenSecretRef: %w", err)
			}
			m.TokenVersion = SecretVersion(m.Token)
		}
		if ref := mc.KubeconfigSecretRef; ref != nil {
			if m.Kubeconfig, err = secretValue(ctx, a.secrets, *ref); err != nil {
				return site.Spec{}, fmt.Errorf("managementCluster.kubeconfigSecretRef: %w", err)
			}
			m.KubeconfigVersion = SecretVersion(m.Kubeconfig)
		}
		want.ManagementCluster = m
	}
	if g := p.GitOps; g != nil {
		gitops := &site.GitOps{
			RepoURL:  g.RepoURL,
			Branch:   orDefault(g.Branch, defaultGitOpsBranch),
			Path:     g.Path,
			Username: g.Username,
		}
		if ref := g.PasswordSecretRef; ref != nil {
			if gitops.Password, err = secretValue(ctx, a.secrets, *ref); err != nil {
				return site.Spec{}, fmt.Errorf("gitops.passwordSecretRef: %w", err)
			}
			gitops.PasswordVersion = SecretVersion(gitops.Password)
		}
		want.GitOps = gitops
	}
	if h := p.Harbor; h != nil {
		hb := &site.Harbor{URL: h.URL, Username: h.Username, Insecure: h.InsecureSkipTLSVerify}
		if ref := h.PasswordSecretRef; ref != nil {
			if hb.Password, err = secretValue(ctx, a.secrets, *ref); err != nil {
				return site.Spec{}, fmt.Errorf("harbor.passwordSecretRef: %w", err)
			}
			hb.PasswordVersion = SecretVersion(hb.Password)
		}
		want.Harbor = hb
	}
	for _, c := range p.ClusterAddons {
		want.ClusterAddons = append(want.ClusterAddons, site.ClusterAddon{
			Name: c.Name, Namespace: c.Namespace, RepoURL: c.RepoURL, Chart: c.Chart, Version: c.Version, Path: c.Path,
			Values: c.Values, Set: maps.Clone(c.Set), SetString: maps.Clone(c.SetString), ValueFiles: slices.Clone(c.ValueFiles),
			ClusterSelector: maps.Clone(c.ClusterSelector),
		})
	}
	return want, nil
}

// SetObservation writes the engine's site status into status.atProvider.
func (a *SiteAdapter) SetObservation(mg Managed, observed site.Status) {
	s, err := asSite(mg)
	if err != nil {
		return
	}
	s.Status.AtProvider = v1alpha1.SiteObservation{
		KubernetesVersion: observed.KubernetesVersion,
		CAPIVersion:       observed.CAPIVersion,
		ArgoCDVersion:     observed.ArgoCDVersion,
		HarborVersion:     observed.HarborVersion,
		RootApplication:   observed.RootApplication,
		SyncStatus:        observed.SyncStatus,
		HealthStatus:      observed.HealthStatus,
		TaskRunner: &v1alpha1.SiteTaskRunner{
			Available: observed.TaskRunner.Available, Identity: observed.TaskRunner.Identity,
			Executors: observed.TaskRunner.Executors, Version: observed.TaskRunner.Version,
		},
	}
}

// LateInitialize fills an unset description, labels and Argo CD location
// from the site record. It leaves managementCluster and gitops alone: they
// go with secret references that the record cannot supply.
func (a *SiteAdapter) LateInitialize(mg Managed, actual site.Spec) bool {
	s, err := asSite(mg)
	if err != nil {
		return false
	}
	p := &s.Spec.ForProvider
	changed := false
	if p.Description == "" && actual.Description != "" {
		p.Description, changed = actual.Description, true
	}
	if len(p.Labels) == 0 && len(actual.Labels) > 0 {
		p.Labels, changed = maps.Clone(actual.Labels), true
	}
	if p.ArgoCD.Namespace == "" && actual.ArgoCD.Namespace != "" {
		p.ArgoCD.Namespace, changed = actual.ArgoCD.Namespace, true
	}
	if p.ArgoCD.Destination == "" && actual.ArgoCD.Destination != "" {
		p.ArgoCD.Destination, changed = actual.ArgoCD.Destination, true
	}
	return changed
}

// siteFieldPaths maps the site engine's argument paths to Site field paths
// where the names differ beyond snake_case to lowerCamelCase.
var siteFieldPaths = map[string]string{
	"name":                              "metadata.name",
	"management_cluster.insecure":       "spec.forProvider.managementCluster.insecureSkipTLSVerify",
	"management_cluster.token":          "spec.forProvider.managementCluster.tokenSecretRef",
	"management_cluster.kubeconfig":     "spec.forProvider.managementCluster.kubeconfigSecretRef",
	"gitops.repo_url":                   "spec.forProvider.gitops.repoURL",
	"gitops.password":                   "spec.forProvider.gitops.passwordSecretRef",
	"harbor.password":                   "spec.forProvider.harbor.passwordSecretRef",
	"harbor.url":                        "spec.forProvider.harbor.url",
	"management_cluster.ca_certificate": "spec.forProvider.managementCluster.caCertificate",
}

var _ FieldPathTranslator = (*SiteAdapter)(nil)

// FieldPath returns the Site field path of a site engine argument path,
// for example spec.forProvider.gitops.repoURL for gitops.repo_url.
func (a *SiteAdapter) FieldPath(enginePath string) string {
	if path, ok := siteFieldPaths[enginePath]; ok {
		return path
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}

// lowerCamel turns snake_case into lowerCamelCase.
func lowerCamel(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}
