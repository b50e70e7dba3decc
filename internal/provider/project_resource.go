package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
)

// Default timeouts of mc_project.
const (
	projectCreateTimeout = 10 * time.Minute
	projectUpdateTimeout = 10 * time.Minute
	projectDeleteTimeout = 10 * time.Minute
)

// projectKind is mc_project.
var projectKind = &kind[projectModel, project.Spec, project.Status]{
	typeName: "project",
	noun:     "project",
	schema:   projectSchema,
	client: func(d *providerData) (engine.Client[project.Spec, project.Status], error) {
		return d.projectClient()
	},
	expand: func(ctx context.Context, plan, _ *projectModel) (project.Spec, diag.Diagnostics) {
		return expandProject(ctx, *plan)
	},
	flatten:       flattenProject,
	readWithSpec:  true,
	id:            func(m *projectModel) *types.String { return &m.ID },
	timeouts:      func(m *projectModel) timeouts.Value { return m.Timeouts },
	createTimeout: projectCreateTimeout, updateTimeout: projectUpdateTimeout, deleteTimeout: projectDeleteTimeout,
	ready: func(m *projectModel) *types.Bool { return &m.Ready },
	resumed: map[string]attr.Value{
		"bitbucket_uuid": types.StringUnknown(), "jira_id": types.StringUnknown(),
		"harbor_project_id": types.Int64Unknown(), "app_projects": types.MapUnknown(types.StringType),
	},
	validateSpec: func(s project.Spec, unknown engine.Unknown) error {
		return project.ValidatePartial(project.WithDefaults(s), unknown)
	},
	importState: importProject,
}

// NewProjectResource returns the mc_project resource.
func NewProjectResource() resource.Resource { return newResource(projectKind)() }

type projectModel struct {
	ID              types.String   `tfsdk:"id"`
	Key             types.String   `tfsdk:"key"`
	Name            types.String   `tfsdk:"name"`
	Description     types.String   `tfsdk:"description"`
	Bitbucket       types.Object   `tfsdk:"bitbucket"`
	Jira            types.Object   `tfsdk:"jira"`
	Harbor          types.Object   `tfsdk:"harbor"`
	ArgoCD          types.Object   `tfsdk:"argocd"`
	OnDestroy       types.String   `tfsdk:"on_destroy"`
	BitbucketUUID   types.String   `tfsdk:"bitbucket_uuid"`
	JiraID          types.String   `tfsdk:"jira_id"`
	HarborProjectID types.Int64    `tfsdk:"harbor_project_id"`
	AppProjects     types.Map      `tfsdk:"app_projects"`
	Ready           types.Bool     `tfsdk:"ready"`
	Conditions      types.List     `tfsdk:"conditions"`
	Timeouts        timeouts.Value `tfsdk:"timeouts"`
}

type projectBitbucketModel struct {
	Workspace types.String `tfsdk:"workspace"`
	Private   types.Bool   `tfsdk:"private"`
}

type projectJiraModel struct {
	LeadAccountID     types.String `tfsdk:"lead_account_id"`
	Type              types.String `tfsdk:"type"`
	Template          types.String `tfsdk:"template"`
	DeletePermanently types.Bool   `tfsdk:"delete_permanently"`
}

type projectHarborModel struct {
	Site         types.String `tfsdk:"site"`
	Public       types.Bool   `tfsdk:"public"`
	ForceDestroy types.Bool   `tfsdk:"force_destroy"`
}

type projectArgoCDModel struct {
	Sites types.List `tfsdk:"sites"`
}

var (
	projectBitbucketTypes = map[string]attr.Type{"workspace": types.StringType, "private": types.BoolType}
	projectJiraTypes      = map[string]attr.Type{
		"lead_account_id": types.StringType, "type": types.StringType, "template": types.StringType, "delete_permanently": types.BoolType,
	}
	projectHarborTypes = map[string]attr.Type{"site": types.StringType, "public": types.BoolType, "force_destroy": types.BoolType}
	projectArgoCDTypes = map[string]attr.Type{"sites": types.ListType{ElemType: types.StringType}}
)

func projectSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A team's project across the platform's systems, each turned on by its block: a **Bitbucket Cloud** project, " +
			"a **Jira Cloud** project, a **Harbor** project at a site, and an **Argo CD AppProject** at each of a list of sites, " +
			"limited to the project's Bitbucket repositories and the clusters registered at the site, with the roles `admin`, " +
			"`developer` and `viewer` (which `mc_project_member` grants).\n\n" +
			"The parts are made in that order, each found by the project's key first and adopted when it exists. " +
			"A create that fails half-way (Jira down after Bitbucket answered) fails naming the system; the parts made so far are " +
			"kept in the project record in the registry namespace, not in Terraform's state (a failed create would be tainted, and " +
			"a tainted project replaced, deleting what was made), and the next apply makes only the missing parts: never a second " +
			"Bitbucket project.\n\n" +
			"**Delete** removes the AppProjects, the Harbor project (Harbor refuses one that still holds repositories; its answer is " +
			"shown), the Jira project and the Bitbucket project (Bitbucket refuses one that still holds repositories). " +
			"The Jira project goes to Jira's **trash** unless `jira.delete_permanently` is set: **its key stays reserved while it is " +
			"in the trash**, so a new project with the same key cannot be made until the trashed one is deleted permanently or " +
			"restored. `on_destroy = \"orphan\"` leaves every part in place.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The project's key, also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"key": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The project's key, Jira's rule: an upper-case letter, then upper-case letters or digits, 2 to 10 " +
					"characters in all, such as `WEB`. The key of the Bitbucket and Jira projects; in lower case the name of the " +
					"Harbor project and of the AppProjects. Changing it makes a new project.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The project's name in Bitbucket and Jira (Jira wants it unique), changed in place.",
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The project's description in Bitbucket, Jira and the AppProjects, changed in place.",
			},
			"bitbucket": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Makes a Bitbucket Cloud project (the provider's `bitbucket` block says how to reach Bitbucket).",
				Attributes: map[string]schema.Attribute{
					"workspace": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Slug of the Bitbucket workspace. Changing it makes a new project.",
						PlanModifiers:       []planmodifier.String{requiresReplaceOnceSet()},
					},
					"private": schema.BoolAttribute{
						Optional: true, Computed: true, Default: booldefault.StaticBool(true),
						MarkdownDescription: "Whether the Bitbucket project is private. Default `true`.",
					},
				},
			},
			"jira": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Makes a Jira Cloud project (the provider's `jira` block says how to reach Jira).",
				Attributes: map[string]schema.Attribute{
					"lead_account_id": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Atlassian account ID of the project lead.",
					},
					"type": schema.StringAttribute{
						Optional: true, Computed: true, Default: stringdefault.StaticString(project.JiraTypeSoftware),
						MarkdownDescription: "Project type: `software` (default), `business` or `service_desk`. Changing it makes a new project.",
						PlanModifiers:       []planmodifier.String{requiresReplaceOnceSet()},
						Validators: []validator.String{stringvalidator.OneOf(project.JiraTypeSoftware, project.JiraTypeBusiness,
							project.JiraTypeServiceDesk)},
					},
					"template": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Project template key, such as `com.pyxis.greenhopper.jira:gh-simplified-kanban-classic`; default Jira's for the type. Changing it makes a new project.",
						PlanModifiers:       []planmodifier.String{requiresReplaceOnceSet()},
					},
					"delete_permanently": schema.BoolAttribute{
						Optional: true, Computed: true, Default: booldefault.StaticBool(false),
						MarkdownDescription: "Delete the Jira project for good on destroy. Default `false`: it goes to Jira's trash, " +
							"where it can be restored, and its key stays reserved until it is deleted from the trash.",
					},
				},
			},
			"harbor": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Makes a Harbor project, named after the key in lower case, in a site's Harbor.",
				Attributes: map[string]schema.Attribute{
					"site": schema.StringAttribute{
						Optional: true, Computed: true,
						MarkdownDescription: "Site (`mc_site` name) whose Harbor holds the project. Default: the hub site " +
							"(the `mc_site` with `hub = true`), resolved when the Harbor project is made and kept afterwards. " +
							"Changing it makes a new project.",
						PlanModifiers: []planmodifier.String{stringUnlessBlockChanges("harbor"), requiresReplaceOnceSet()},
						Validators:    []validator.String{dnsLabel()},
					},
					"public": schema.BoolAttribute{
						Optional: true, Computed: true, Default: booldefault.StaticBool(false),
						MarkdownDescription: "Whether anyone may pull from the Harbor project. Default `false`.",
					},
					"force_destroy": schema.BoolAttribute{
						Optional: true, Computed: true, Default: booldefault.StaticBool(false),
						MarkdownDescription: "Delete the Harbor project on destroy even when it holds repositories: with `true`, " +
							"destroy deletes the project's repositories (and their artifacts) first, then the project. Default `false`: " +
							"Harbor refuses to delete a project that holds repositories, and its answer is shown.",
					},
				},
			},
			"argocd": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Makes an Argo CD AppProject at each site.",
				Attributes: map[string]schema.Attribute{
					"sites": schema.ListAttribute{
						Required:    true,
						ElementType: types.StringType,
						MarkdownDescription: "Sites (`mc_site` names) whose Argo CD gets an AppProject, named after the key in lower case, " +
							"whose applications may deploy from the project's Bitbucket repositories to the clusters registered at the site.",
						Validators: []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
					},
				},
			},
			"on_destroy": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(project.OnDestroyDelete),
				MarkdownDescription: "`delete` (default) deletes every part on destroy; `orphan` leaves them in place and only forgets the project.",
				Validators:          []validator.String{stringvalidator.OneOf(project.OnDestroyDelete, project.OnDestroyOrphan)},
			},
			"bitbucket_uuid": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "UUID of the Bitbucket project; null without one.",
				PlanModifiers:       []planmodifier.String{stringUnlessBlockChanges("bitbucket")},
			},
			"jira_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "ID of the Jira project; null without one.",
				PlanModifiers:       []planmodifier.String{stringUnlessBlockChanges("jira")},
			},
			"harbor_project_id": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "ID of the Harbor project; null without one.",
				PlanModifiers:       []planmodifier.Int64{int64UnlessBlockChanges("harbor")},
			},
			"app_projects": schema.MapAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Name of the AppProject at each site where it exists.",
				PlanModifiers:       []planmodifier.Map{mapUnlessBlockChanges("argocd")},
			},
			"ready": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether every declared part exists. A part deleted outside Terraform makes it `false`, and the next apply makes the part again.",
			},
			"conditions": conditionsAttribute("One condition per declared part: `BitbucketReady`, `JiraReady`, `HarborReady`, `ArgoCDReady`."),
			"timeouts":   timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// expandProject builds the engine spec from a plan, a state or a
// configuration.
func expandProject(ctx context.Context, m projectModel) (project.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := project.Spec{Key: m.Key.ValueString(), Name: m.Name.ValueString(), Description: m.Description.ValueString(), OnDestroy: m.OnDestroy.ValueString()}
	known := func(o types.Object) bool { return !o.IsNull() && !o.IsUnknown() }
	if known(m.Bitbucket) {
		var b projectBitbucketModel
		diags.Append(m.Bitbucket.As(ctx, &b, objectAsOptions)...)
		s.Bitbucket = &project.Bitbucket{Workspace: b.Workspace.ValueString(), Private: b.Private.ValueBool()}
		if b.Private.IsNull() {
			s.Bitbucket.Private = true
		}
	}
	if known(m.Jira) {
		var j projectJiraModel
		diags.Append(m.Jira.As(ctx, &j, objectAsOptions)...)
		s.Jira = &project.Jira{LeadAccountID: j.LeadAccountID.ValueString(), Type: j.Type.ValueString(), Template: j.Template.ValueString(),
			DeletePermanently: j.DeletePermanently.ValueBool()}
	}
	if known(m.Harbor) {
		var h projectHarborModel
		diags.Append(m.Harbor.As(ctx, &h, objectAsOptions)...)
		s.Harbor = &project.Harbor{Site: h.Site.ValueString(), Public: h.Public.ValueBool(), ForceDestroy: h.ForceDestroy.ValueBool()}
	}
	if known(m.ArgoCD) {
		var a projectArgoCDModel
		diags.Append(m.ArgoCD.As(ctx, &a, objectAsOptions)...)
		s.ArgoCD = &project.ArgoCD{}
		if !a.Sites.IsNull() && !a.Sites.IsUnknown() {
			diags.Append(a.Sites.ElementsAs(ctx, &s.ArgoCD.Sites, true)...)
		}
	}
	return s, diags
}

// flattenProject writes what the engine observed into m. Right after an
// apply m holds the plan, whose arguments stay as planned; on read and
// import the arguments come from the observation.
func flattenProject(ctx context.Context, m *projectModel, obs engine.Observation[project.Spec, project.Status], applied bool) diag.Diagnostics {
	var diags diag.Diagnostics
	s, st := obs.Actual, obs.Status
	if !applied {
		m.Key = types.StringValue(s.Key)
		m.Name = types.StringValue(s.Name)
		if m.Description.ValueString() != s.Description { // "" and null both mean none: keep the configured one
			m.Description = optionalString(s.Description)
		}
		m.OnDestroy = types.StringValue(s.OnDestroy)
		m.Bitbucket = types.ObjectNull(projectBitbucketTypes)
		if b := s.Bitbucket; b != nil {
			m.Bitbucket = types.ObjectValueMust(projectBitbucketTypes, map[string]attr.Value{
				"workspace": types.StringValue(b.Workspace), "private": types.BoolValue(b.Private),
			})
		}
		m.Jira = types.ObjectNull(projectJiraTypes)
		if j := s.Jira; j != nil {
			m.Jira = types.ObjectValueMust(projectJiraTypes, map[string]attr.Value{
				"lead_account_id": types.StringValue(j.LeadAccountID), "type": types.StringValue(j.Type),
				"template": optionalString(j.Template), "delete_permanently": types.BoolValue(j.DeletePermanently),
			})
		}
		m.Harbor = types.ObjectNull(projectHarborTypes)
		if h := s.Harbor; h != nil {
			m.Harbor = types.ObjectValueMust(projectHarborTypes, map[string]attr.Value{
				"site": types.StringValue(h.Site), "public": types.BoolValue(h.Public), "force_destroy": types.BoolValue(h.ForceDestroy),
			})
		}
		m.ArgoCD = types.ObjectNull(projectArgoCDTypes)
		if a := s.ArgoCD; a != nil {
			sites, d := types.ListValueFrom(ctx, types.StringType, a.Sites)
			diags.Append(d...)
			m.ArgoCD = types.ObjectValueMust(projectArgoCDTypes, map[string]attr.Value{"sites": sites})
		}
	}
	if applied && s.Harbor != nil && known(m.Harbor) {
		// harbor.site left out defaults to the hub: the planned unknown
		// becomes the site the engine made the Harbor project at.
		attrs := m.Harbor.Attributes()
		if site, ok := attrs["site"].(types.String); ok && site.IsUnknown() {
			attrs["site"] = types.StringValue(s.Harbor.Site)
			v, d := types.ObjectValue(projectHarborTypes, attrs)
			diags.Append(d...)
			m.Harbor = v
		}
	}
	m.ID = types.StringValue(s.Key)
	m.BitbucketUUID = optionalString(st.BitbucketUUID)
	m.JiraID = optionalString(st.JiraID)
	m.HarborProjectID = optionalInt64(st.HarborProjectID)
	if len(st.AppProjects) == 0 {
		m.AppProjects = types.MapNull(types.StringType)
	} else {
		v, d := types.MapValueFrom(ctx, types.StringType, st.AppProjects)
		diags.Append(d...)
		m.AppProjects = v
	}
	m.Conditions = conditionsValue(st.Conditions)
	return diags
}

// importProject imports a project by its key.
func importProject(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	if err := project.ValidateKey(id); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a project by its key: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
