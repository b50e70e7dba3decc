package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Keys of the ProviderConfig's credentials Secret that say how to reach the
// platform's Bitbucket Cloud and Jira Cloud, the same settings as the
// Terraform provider's bitbucket and jira blocks.
const (
	ServicesKeyBitbucketURL      = "bitbucket-url"
	ServicesKeyBitbucketUsername = "bitbucket-username"
	ServicesKeyBitbucketToken    = "bitbucket-token"
	ServicesKeyJiraURL           = "jira-url"
	ServicesKeyJiraEmail         = "jira-email"
	ServicesKeyJiraAPIToken      = "jira-api-token"
)

// ProjectEngineFactory builds the project engine client over the registry reg.
type ProjectEngineFactory func(reg *registry.Registry) engine.Client[project.Spec, project.Status]

// NewProjectEngine is the ProjectEngineFactory of the real engine.
func NewProjectEngine(reg *registry.Registry) engine.Client[project.Spec, project.Status] {
	return project.New(reg)
}

// RBAC of the Project controller. The engine keeps project records
// (Secrets, granted with the Site controller) and manages Argo CD
// AppProjects.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=projects,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=projects/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=argoproj.io,resources=appprojects,verbs=get;list;watch;create;update;patch;delete

// SetupProject registers the Project controller with mgr.
func SetupProject(mgr ctrl.Manager, o Options) error {
	adapter := NewProjectAdapter(resolverOf(mgr), NewProjectEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.Project{} },
		Adapter[project.Spec, project.Status](adapter), o.reconcilerOptions(mgr, "project")...)
	return setupManaged(mgr, "project", r, func() client.ObjectList { return &v1alpha1.ProjectList{} }, o)
}

// ProjectAdapter connects Project managed resources to the project engine.
// External names are the project's key, metadata.name in upper case.
type ProjectAdapter struct {
	providerConfigs ProviderConfigResolver
	engines         *engineCache[servicedEngine[project.Spec, project.Status]]
}

var (
	_ Adapter[project.Spec, project.Status] = (*ProjectAdapter)(nil)
	_ ExternalNamer                         = (*ProjectAdapter)(nil)
	_ FieldPathTranslator                   = (*ProjectAdapter)(nil)
)

// NewProjectAdapter returns a ProjectAdapter that resolves ProviderConfigs
// with providerConfigs and builds engine clients with newEngine.
func NewProjectAdapter(providerConfigs ProviderConfigResolver, newEngine ProjectEngineFactory) *ProjectAdapter {
	return &ProjectAdapter{
		providerConfigs: providerConfigs,
		engines: newEngineCache(providerConfigs, func(reg *registry.Registry) servicedEngine[project.Spec, project.Status] {
			return servicedEngine[project.Spec, project.Status]{Client: newEngine(reg), reg: reg}
		}),
	}
}

func asProject(mg Managed) (*v1alpha1.Project, error) {
	p, ok := mg.(*v1alpha1.Project)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a Project", mg.GetName(), mg)
	}
	return p, nil
}

// Connect returns the engine client of the ProviderConfig the Project
// references, with the Bitbucket and Jira its credentials Secret names.
func (a *ProjectAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[project.Spec, project.Status], error) {
	if _, err := asProject(mg); err != nil {
		return nil, err
	}
	return connectWithServices(ctx, a.providerConfigs, a.engines, mg)
}

// servicedEngine is an engine client with the registry it was built over,
// whose platform services (Bitbucket, Jira) Connect sets from the
// ProviderConfig: the kinds that reach those services share it.
type servicedEngine[S, O any] struct {
	engine.Client[S, O]
	reg *registry.Registry
}

// connectWithServices returns the engine client of the ProviderConfig mg
// references, its registry configured with the Bitbucket and Jira that the
// ProviderConfig's credentials Secret names.
func connectWithServices[S, O any](ctx context.Context, providerConfigs ProviderConfigResolver, engines *engineCache[servicedEngine[S, O]], mg Managed) (engine.Client[S, O], error) {
	services, err := servicesOf(ctx, providerConfigs, mg)
	if err != nil {
		return nil, err
	}
	c, err := engines.get(ctx, mg)
	if err != nil {
		return nil, err
	}
	c.reg.UseServices(services)
	return c.Client, nil
}

// servicesOf reads the Bitbucket and Jira settings from the credentials
// Secret of the ProviderConfig mg references; a ProviderConfig without one
// configures neither. Every adapter whose engine reaches the services through
// the registry calls it at Connect.
func servicesOf(ctx context.Context, providerConfigs ProviderConfigResolver, mg Managed) (registry.Services, error) {
	name := v1alpha1.DefaultProviderConfigName
	if ref := mg.GetResourceSpec().ProviderConfigReference; ref != nil && ref.Name != "" {
		name = ref.Name
	}
	var pc v1alpha1.ProviderConfig
	if err := providerConfigs.Kube.Get(ctx, client.ObjectKey{Name: name}, &pc); err != nil {
		return registry.Services{}, fmt.Errorf("cannot get ProviderConfig %q: %w", name, err)
	}
	ref := pc.Spec.Credentials.SecretRef
	if ref == nil {
		return registry.Services{}, nil
	}
	var sec corev1.Secret
	if err := providerConfigs.Secrets.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &sec); err != nil {
		if apierrors.IsNotFound(err) {
			return registry.Services{}, fmt.Errorf("ProviderConfig %q: secret %s/%s not found", name, ref.Namespace, ref.Name)
		}
		return registry.Services{}, fmt.Errorf("ProviderConfig %q: cannot get secret %s/%s: %w", name, ref.Namespace, ref.Name, err)
	}
	return servicesOfSecret(sec.Data), nil
}

// servicesOfSecret reads the services' settings from a credentials Secret's data.
func servicesOfSecret(data map[string][]byte) registry.Services {
	var s registry.Services
	if u := string(data[ServicesKeyBitbucketURL]); u != "" {
		s.Bitbucket = &registry.BitbucketAccess{URL: u, Username: string(data[ServicesKeyBitbucketUsername]), Token: string(data[ServicesKeyBitbucketToken])}
	}
	if u := string(data[ServicesKeyJiraURL]); u != "" {
		s.Jira = &registry.JiraAccess{URL: u, Email: string(data[ServicesKeyJiraEmail]), APIToken: string(data[ServicesKeyJiraAPIToken])}
	}
	return s
}

// projectKey is the key of the project p stands for: its external-name
// annotation when set (an adopted project), else metadata.name in upper case.
func projectKey(p *v1alpha1.Project) string {
	if id := p.GetAnnotations()[v1alpha1.AnnotationExternalName]; id != "" {
		return id
	}
	return strings.ToUpper(p.GetName())
}

// DesiredSpec builds the engine spec from spec.forProvider, with the CRD's
// defaults for fields the API server has not defaulted. Deletion is always
// "delete": spec.deletionPolicy Orphan keeps the controller from deleting.
func (a *ProjectAdapter) DesiredSpec(_ context.Context, mg Managed) (project.Spec, error) {
	p, err := asProject(mg)
	if err != nil {
		return project.Spec{}, err
	}
	fp := p.Spec.ForProvider
	s := project.Spec{Key: projectKey(p), Name: fp.Name, Description: fp.Description, OnDestroy: project.OnDestroyDelete}
	if b := fp.Bitbucket; b != nil {
		s.Bitbucket = &project.Bitbucket{Workspace: b.Workspace, Private: boolOrDefault(b.Private, true)}
	}
	if j := fp.Jira; j != nil {
		s.Jira = &project.Jira{LeadAccountID: j.LeadAccountID, Type: orDefault(j.Type, project.JiraTypeSoftware), Template: j.Template,
			DeletePermanently: j.DeletePermanently}
	}
	if h := fp.Harbor; h != nil {
		s.Harbor = &project.Harbor{Site: h.Site, Public: h.Public, ForceDestroy: h.ForceDestroy}
	}
	if ac := fp.ArgoCD; ac != nil {
		s.ArgoCD = &project.ArgoCD{Sites: slices.Clone(ac.Sites)}
	}
	return s, nil
}

// DefaultExternalName is the project's key: metadata.name in upper case.
func (a *ProjectAdapter) DefaultExternalName(mg Managed) string { return strings.ToUpper(mg.GetName()) }

// SetObservation writes the engine's status into status.atProvider.
func (a *ProjectAdapter) SetObservation(mg Managed, observed project.Status) {
	p, err := asProject(mg)
	if err != nil {
		return
	}
	at := &p.Status.AtProvider
	at.BitbucketUUID, at.JiraID = observed.BitbucketUUID, observed.JiraID
	at.HarborProjectID, at.HarborProject = observed.HarborProjectID, observed.HarborProject
	at.AppProjects = maps.Clone(observed.AppProjects)
	at.Parts = nil
	for _, c := range observed.Conditions {
		at.Parts = append(at.Parts, v1alpha1.ProjectCondition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message})
	}
}

// LateInitialize fills only the Jira type, the Bitbucket privacy and the
// Harbor site (the hub's when left out, fixed once the Harbor project is
// made), whose absence has no meaning of its own; everything else the user leaves out
// stays out (an Observe-only Project adopts without taking over).
func (a *ProjectAdapter) LateInitialize(mg Managed, actual project.Spec) bool {
	p, err := asProject(mg)
	if err != nil {
		return false
	}
	fp := &p.Spec.ForProvider
	changed := false
	if fp.Jira != nil && fp.Jira.Type == "" && actual.Jira != nil && actual.Jira.Type != "" {
		fp.Jira.Type, changed = actual.Jira.Type, true
	}
	if fp.Bitbucket != nil && fp.Bitbucket.Private == nil && actual.Bitbucket != nil {
		fp.Bitbucket.Private, changed = new(actual.Bitbucket.Private), true
	}
	if fp.Harbor != nil && fp.Harbor.Site == "" && actual.Harbor != nil && actual.Harbor.Site != "" {
		fp.Harbor.Site, changed = actual.Harbor.Site, true
	}
	return changed
}

// projectFieldPaths maps the engine's argument paths to Project field paths
// where the names differ beyond snake_case to lowerCamelCase under
// spec.forProvider.
var projectFieldPaths = map[string]string{
	"key":                  "metadata.name",
	"id":                   "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
	"on_destroy":           "spec.deletionPolicy",
	"jira.lead_account_id": "spec.forProvider.jira.leadAccountId",
}

// FieldPath returns the Project field path of an engine argument path, for
// example spec.forProvider.harbor.forceDestroy for harbor.force_destroy.
func (a *ProjectAdapter) FieldPath(enginePath string) string {
	if path, ok := projectFieldPaths[enginePath]; ok {
		return path
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
