package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
)

// Default timeouts of mc_project_member.
const (
	projectMemberCreateTimeout = 5 * time.Minute
	projectMemberUpdateTimeout = 5 * time.Minute
	projectMemberDeleteTimeout = 5 * time.Minute
)

// projectMemberKind is mc_project_member.
var projectMemberKind = &kind[projectMemberModel, projectmember.Spec, projectmember.Status]{
	typeName: "project_member",
	noun:     "project member",
	schema:   projectMemberSchema,
	client: func(d *providerData) (engine.Client[projectmember.Spec, projectmember.Status], error) {
		return d.projectMemberClient()
	},
	expand: func(_ context.Context, plan, _ *projectMemberModel) (projectmember.Spec, diag.Diagnostics) {
		return expandProjectMember(*plan), nil
	},
	flatten:       flattenProjectMember,
	id:            func(m *projectMemberModel) *types.String { return &m.ID },
	timeouts:      func(m *projectMemberModel) timeouts.Value { return m.Timeouts },
	createTimeout: projectMemberCreateTimeout, updateTimeout: projectMemberUpdateTimeout, deleteTimeout: projectMemberDeleteTimeout,
	validateSpec: projectmember.ValidatePartial,
	planCreate:   checkProjectMemberProject,
	importState:  importProjectMember,
}

// NewProjectMemberResource returns the mc_project_member resource.
func NewProjectMemberResource() resource.Resource { return newResource(projectMemberKind)() }

type projectMemberModel struct {
	ID          types.String   `tfsdk:"id"`
	Project     types.String   `tfsdk:"project"`
	AccountID   types.String   `tfsdk:"account_id"`
	Group       types.String   `tfsdk:"group"`
	Role        types.String   `tfsdk:"role"`
	HarborUser  types.String   `tfsdk:"harbor_user"`
	HarborGroup types.String   `tfsdk:"harbor_group"`
	Grants      types.Map      `tfsdk:"grants"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
}

// projectMemberRoleTable is the role table of the docs, from the engine's.
func projectMemberRoleTable() string {
	t := "| `role` | Bitbucket project permission | Jira project role | Harbor project member role | Argo CD AppProject role (groups only) |\n|---|---|---|---|---|\n"
	for _, m := range projectmember.Mappings {
		t += fmt.Sprintf("| `%s` | `%s` | %s | `%s` | `%s` |\n", m.Role, m.BitbucketPermission, m.JiraRole, m.HarborRole, m.ArgoCDRole)
	}
	return t
}

func projectMemberSchema(ctx context.Context) schema.Schema {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	return schema.Schema{
		MarkdownDescription: "One member of an `mc_project`, a user or a group, with one role in every system of the project: " +
			"a Bitbucket project permission, a Jira project role, a Harbor project membership (with `harbor_user` or `harbor_group`) " +
			"and, for a group, the group in the matching role of the project's Argo CD AppProjects.\n\n" +
			projectMemberRoleTable() + "\n" +
			"Jira roles are found by name, since their ids differ per site. A user member has no Argo CD part: AppProject roles bind SSO groups.\n\n" +
			"**Member by member.** Only this member's own grants are read and changed; other members of the project, such as one added by hand in Jira, are left alone. " +
			"A grant removed outside Terraform (in Bitbucket, say) shows as drift: the role reads as unset and `grants` says where it is missing, and the next apply grants it back.\n\n" +
			"**Nothing half-granted.** Create first checks every system (the project's part exists, the account or group is known) and only then grants; " +
			"an unknown account or group is an error that names the system and the member. Harbor's users cannot be looked up beforehand, so Harbor is granted first, " +
			"and when a later grant fails, what the create granted is rolled back.\n\n" +
			"**Plan-time checks.** The role, `account_id` versus `group` and the names are checked at plan. `harbor_user` or `harbor_group` on a project without a " +
			"`harbor` block is refused at plan when the project exists already, and at apply when the project is created in the same apply.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`<KEY>/<account_id>` or `<KEY>/group:<group>`, followed by `#harbor_user=<name>` or `#harbor_group=<name>` when the member has " +
					"a Harbor identity; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"project": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Key of the project (`mc_project.<name>.key`).",
				PlanModifiers:       replace,
			},
			"account_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Atlassian account id of a user, used by Bitbucket Cloud and Jira Cloud alike. Exactly one of `account_id` and `group`.",
				PlanModifiers:       replace,
			},
			"group": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Atlassian group name (its Bitbucket slug is derived from it); in Argo CD, the SSO group bound to the AppProject role. " +
					"Exactly one of `account_id` and `group`.",
				PlanModifiers: replace,
			},
			"role": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "`admin`, `developer` or `viewer` (see the table); changed in place.",
			},
			"harbor_user": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Harbor user (database, LDAP or OIDC) made a member of the project's Harbor project. With neither `harbor_user` nor `harbor_group`, Harbor is left alone. Needs a `harbor` block on the project.",
				PlanModifiers:       replace,
			},
			"harbor_group": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Harbor group (LDAP, HTTP or OIDC) made a member of the project's Harbor project instead of a user. Needs a `harbor` block on the project.",
				PlanModifiers:       replace,
			},
			"grants": schema.MapAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The member's grant in each part of the project, in that system's words: keys `bitbucket`, `jira`, `harbor` and `argocd/<site>`; " +
					"`none` where the member has no grant.",
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// projectMemberClient returns the engine client of project members. It
// keeps nothing of its own: the registry holds the clients.
func (d *providerData) projectMemberClient() (*projectmember.Client, error) {
	reg, err := d.platform()
	if err != nil {
		return nil, err
	}
	return projectmember.New(reg), nil
}

func expandProjectMember(m projectMemberModel) projectmember.Spec {
	return projectmember.Spec{
		Project: m.Project.ValueString(), AccountID: m.AccountID.ValueString(), Group: m.Group.ValueString(),
		Role: m.Role.ValueString(), HarborUser: m.HarborUser.ValueString(), HarborGroup: m.HarborGroup.ValueString(),
	}
}

// flattenProjectMember writes what Observe found into m. A role that the
// parts do not agree on (a grant removed or changed outside) is null, so
// that the plan grants the configured role again.
func flattenProjectMember(ctx context.Context, m *projectMemberModel, obs engine.Observation[projectmember.Spec, projectmember.Status], _ bool) diag.Diagnostics {
	s := obs.Actual
	m.ID = types.StringValue(s.ID())
	m.Project = types.StringValue(s.Project)
	m.AccountID = optionalString(s.AccountID)
	m.Group = optionalString(s.Group)
	m.Role = optionalString(s.Role)
	m.HarborUser = optionalString(s.HarborUser)
	m.HarborGroup = optionalString(s.HarborGroup)
	grants, diags := types.MapValueFrom(ctx, types.StringType, obs.Status.Grants)
	m.Grants = grants
	return diags
}

// checkProjectMemberProject checks, at plan time, the member against its
// project's record when the project exists already: a Harbor identity
// needs a project with a harbor block. A project created in the same apply
// has no record yet; the engine checks it at apply.
func checkProjectMemberProject(ctx context.Context, data *providerData, plan projectMemberModel, diags *diag.Diagnostics) {
	if plan.Project.IsUnknown() || plan.Project.IsNull() || plan.HarborUser.IsUnknown() || plan.HarborGroup.IsUnknown() {
		return
	}
	reg, err := data.platform()
	if err != nil {
		return
	}
	rec, err := reg.Project(ctx, plan.Project.ValueString())
	if err != nil {
		return // not registered yet (made in this apply), or unreadable: checked at apply
	}
	for _, in := range engine.InvalidInputs(projectmember.ValidateWithProject(expandProjectMember(plan), projectmember.ProjectOf(rec))) {
		addEngineError(diags, "Invalid project member", in, nil)
	}
}

// importProjectMember imports a member by <KEY>/<account id> or
// <KEY>/group:<name>, with the Harbor identity after '#' when it has one.
func importProjectMember(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	if _, err := projectmember.ParseID(id); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a project member as <KEY>/<account id> or <KEY>/group:<name>, "+
			"followed by #harbor_user=<name> or #harbor_group=<name> when it has a Harbor identity: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
