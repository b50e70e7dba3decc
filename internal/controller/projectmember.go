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
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ProjectMemberEngineFactory builds the project member engine client that
// finds projects, sites and the platform's Bitbucket and Jira through the
// registry sites.
type ProjectMemberEngineFactory func(sites *registry.Registry) engine.Client[projectmember.Spec, projectmember.Status]

// NewProjectMemberEngine is the ProjectMemberEngineFactory of the real
// engine.
func NewProjectMemberEngine(sites *registry.Registry) engine.Client[projectmember.Spec, projectmember.Status] {
	return projectmember.New(sites)
}

// RBAC of the ProjectMember controller. The engine reads project and site
// records (Secrets, granted with the Site controller) and binds groups in
// Argo CD AppProjects.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=projectmembers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=projectmembers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=argoproj.io,resources=appprojects,verbs=get;list;watch;update;patch

// SetupProjectMember registers the ProjectMember controller with mgr.
func SetupProjectMember(mgr ctrl.Manager, o Options) error {
	adapter := NewProjectMemberAdapter(resolverOf(mgr), NewProjectMemberEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.ProjectMember{} },
		Adapter[projectmember.Spec, projectmember.Status](adapter), o.reconcilerOptions(mgr, "projectmember")...)
	return setupManaged(mgr, "projectmember", r, func() client.ObjectList { return &v1alpha1.ProjectMemberList{} }, o)
}

// ProjectMemberAdapter connects ProjectMember managed resources to the
// project member engine. It is an ExternalNamer (external names are the
// member's id, "<KEY>/<accountID>" or "<KEY>/group:<group>" with its Harbor
// identity) and a FieldPathTranslator.
type ProjectMemberAdapter struct {
	providerConfigs ProviderConfigResolver
	engines         *engineCache[servicedEngine[projectmember.Spec, projectmember.Status]]
}

var (
	_ Adapter[projectmember.Spec, projectmember.Status] = (*ProjectMemberAdapter)(nil)
	_ ExternalNamer                                     = (*ProjectMemberAdapter)(nil)
	_ FieldPathTranslator                               = (*ProjectMemberAdapter)(nil)
)

// NewProjectMemberAdapter returns a ProjectMemberAdapter that resolves
// ProviderConfigs with providerConfigs and builds engine clients with
// newEngine.
func NewProjectMemberAdapter(providerConfigs ProviderConfigResolver, newEngine ProjectMemberEngineFactory) *ProjectMemberAdapter {
	return &ProjectMemberAdapter{
		providerConfigs: providerConfigs,
		engines: newEngineCache(providerConfigs, func(reg *registry.Registry) servicedEngine[projectmember.Spec, projectmember.Status] {
			return servicedEngine[projectmember.Spec, projectmember.Status]{Client: newEngine(reg), reg: reg}
		}),
	}
}

func asProjectMember(mg Managed) (*v1alpha1.ProjectMember, error) {
	m, ok := mg.(*v1alpha1.ProjectMember)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a ProjectMember", mg.GetName(), mg)
	}
	return m, nil
}

// Connect returns the engine client of the ProviderConfig the ProjectMember
// references, with the Bitbucket and Jira its credentials Secret names: a
// member is granted in them whether or not a Project controller runs in the
// same process.
func (a *ProjectMemberAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[projectmember.Spec, projectmember.Status], error) {
	if _, err := asProjectMember(mg); err != nil {
		return nil, err
	}
	return connectWithServices(ctx, a.providerConfigs, a.engines, mg)
}

func projectMemberSpec(m *v1alpha1.ProjectMember) projectmember.Spec {
	p := m.Spec.ForProvider
	return projectmember.Spec{
		Project: p.Project, AccountID: p.AccountID, Group: p.Group, Role: p.Role,
		HarborUser: p.HarborUser, HarborGroup: p.HarborGroup,
	}
}

// DesiredSpec builds the engine spec from spec.forProvider.
func (a *ProjectMemberAdapter) DesiredSpec(_ context.Context, mg Managed) (projectmember.Spec, error) {
	m, err := asProjectMember(mg)
	if err != nil {
		return projectmember.Spec{}, err
	}
	return projectMemberSpec(m), nil
}

// DefaultExternalName is the id Create returns for mg's spec.
func (a *ProjectMemberAdapter) DefaultExternalName(mg Managed) string {
	m, err := asProjectMember(mg)
	if err != nil {
		return ""
	}
	return projectMemberSpec(m).ID()
}

// SetObservation writes the member's grants into status.atProvider.
func (a *ProjectMemberAdapter) SetObservation(mg Managed, observed projectmember.Status) {
	m, err := asProjectMember(mg)
	if err != nil {
		return
	}
	m.Status.AtProvider.Grants = maps.Clone(observed.Grants)
}

// LateInitialize fills nothing: every field of a member is either required
// or an identity whose absence has a meaning of its own.
func (a *ProjectMemberAdapter) LateInitialize(Managed, projectmember.Spec) bool { return false }

// projectMemberFieldPaths maps the engine's argument paths to ProjectMember
// field paths where the names differ beyond snake_case to lowerCamelCase.
var projectMemberFieldPaths = map[string]string{
	"account_id": "spec.forProvider.accountID",
	"id":         "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
}

// FieldPath returns the ProjectMember field path of an engine argument
// path, for example spec.forProvider.harborUser for harbor_user.
func (a *ProjectMemberAdapter) FieldPath(enginePath string) string {
	if p, ok := projectMemberFieldPaths[enginePath]; ok {
		return p
	}
	segments := strings.Split(enginePath, ".")
	for i, s := range segments {
		segments[i] = lowerCamel(s)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
