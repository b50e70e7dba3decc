package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
)

// Default timeouts of mc_application.
const (
	applicationCreateTimeout = 5 * time.Minute
	applicationUpdateTimeout = 5 * time.Minute
	applicationDeleteTimeout = 5 * time.Minute
)

// applicationKind is mc_application.
var applicationKind = &kind[applicationModel, application.Spec, application.Status]{
	typeName: "application",
	noun:     "application",
	schema:   applicationSchema,
	client: func(d *providerData) (engine.Client[application.Spec, application.Status], error) {
		reg, err := d.platform()
		if err != nil {
			return nil, err
		}
		return application.New(reg), nil
	},
	expand: func(ctx context.Context, plan, _ *applicationModel) (application.Spec, diag.Diagnostics) {
		return expandApplication(ctx, *plan)
	},
	flatten:       flattenApplication,
	readWithSpec:  true,
	id:            func(m *applicationModel) *types.String { return &m.ID },
	timeouts:      func(m *applicationModel) timeouts.Value { return m.Timeouts },
	createTimeout: applicationCreateTimeout, updateTimeout: applicationUpdateTimeout, deleteTimeout: applicationDeleteTimeout,
	validateSpec: application.ValidatePartial,
	importState:  importApplication,
}

// NewApplicationResource returns the mc_application resource.
func NewApplicationResource() resource.Resource { return newResource(applicationKind)() }

type applicationModel struct {
	ID                  types.String   `tfsdk:"id"`
	Project             types.String   `tfsdk:"project"`
	Name                types.String   `tfsdk:"name"`
	Template            types.Object   `tfsdk:"template"`
	InitialValues       types.Map      `tfsdk:"initial_values"`
	OnDestroy           types.String   `tfsdk:"on_destroy"`
	SourceCloneURL      types.String   `tfsdk:"source_clone_url"`
	YAMLCloneURL        types.String   `tfsdk:"yaml_clone_url"`
	SourceInitialCommit types.String   `tfsdk:"source_initial_commit"`
	YAMLInitialCommit   types.String   `tfsdk:"yaml_initial_commit"`
	DefaultBranch       types.String   `tfsdk:"default_branch"`
	Notice              types.String   `tfsdk:"notice"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
}

var applicationTemplateTypes = map[string]attr.Type{
	"source_repo": types.StringType, "yaml_repo": types.StringType, "ref": types.StringType,
}

type applicationTemplateModel struct {
	SourceRepo types.String `tfsdk:"source_repo"`
	YAMLRepo   types.String `tfsdk:"yaml_repo"`
	Ref        types.String `tfsdk:"ref"`
}

func applicationSchema(ctx context.Context) schema.Schema {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	return schema.Schema{
		MarkdownDescription: "An application of an `mc_project`: two repositories in the project's Bitbucket project, made from template repositories: " +
			"the source repository `<name>` and the yaml (deployment manifests) repository `<name>-yaml`. Each template is read at `template.ref`, " +
			"its files filled with `initial_values`, the repository created, and the files pushed as its first commit on `main`.\n\n" +
			"**Filling the templates.** A template file whose name ends in `.tmpl` is a Go `text/template`, executed with `initial_values` " +
			"(`{{ .port }}`) plus `project` (the project key) and `name` (the application's name) unless `initial_values` sets them, and written " +
			"without the `.tmpl` suffix. A value a template names but that is not given is an error at apply, before any repository is made. " +
			"Every other file is copied as it is, so Helm charts and manifests with `{{` of their own are left alone.\n\n" +
			"**First push only.** The template and `initial_values` only fill the repositories at their first push. Changing them later is an in-place " +
			"change that touches no repository: `notice` says what the repositories were made from.\n\n" +
			"**Crash-safe.** Every step is recorded in the application record in the registry namespace as soon as it is done, and the first commit " +
			"carries a `Made-By: mc_application <PROJECT>/<name>` trailer: an apply cut off after a repository was created resumes (an empty repository " +
			"gets the push, one whose first commit is ours is adopted); a second repository is never made. A repository of the same name that holds " +
			"other commits is refused.\n\n" +
			"**Drift.** A repository deleted outside Terraform makes the application gone: the next plan creates it again, and the apply makes only the " +
			"missing repository.\n\n" +
			"Git reaches the repositories with the provider's Bitbucket credentials, which are also sent to a template repository on the same host " +
			"(and only there).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<PROJECT>/<name>`; also the import ID.",
				PlanModifiers:       keep,
			},
			"project": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Key of the project (`mc_project.<name>.key`); it needs a `bitbucket` block. Changing it makes a new application.",
				PlanModifiers:       replace,
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the application and slug of its source repository (the yaml repository is `<name>-yaml`): lower-case letters, " +
					"digits, `_`, `.` and `-`, starting with a letter, digit or `_`, at most 57 characters (Bitbucket's slug rule). Changing it makes a new application.",
				PlanModifiers: replace,
			},
			"template": schema.SingleNestedAttribute{
				Required:            true,
				MarkdownDescription: "The template repositories, read at the first push only.",
				Attributes: map[string]schema.Attribute{
					"source_repo": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "https clone URL of the source template repository.",
					},
					"yaml_repo": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "https clone URL of the yaml template repository.",
					},
					"ref": schema.StringAttribute{
						Optional: true, Computed: true, Default: stringdefault.StaticString(application.DefaultRef),
						MarkdownDescription: "Branch or tag read from both template repositories. Default `main`.",
					},
				},
			},
			"initial_values": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Values the `.tmpl` files are filled with at the first push; keys are letters, digits and `_`.",
			},
			"on_destroy": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(application.OnDestroyDelete),
				MarkdownDescription: "`delete` (default) deletes both repositories on destroy; `orphan` leaves them and only forgets the application.",
				Validators:          []validator.String{stringvalidator.OneOf(application.OnDestroyDelete, application.OnDestroyOrphan)},
			},
			"source_clone_url": schema.StringAttribute{
				Computed: true, PlanModifiers: keep,
				MarkdownDescription: "https clone URL of the source repository.",
			},
			"yaml_clone_url": schema.StringAttribute{
				Computed: true, PlanModifiers: keep,
				MarkdownDescription: "https clone URL of the yaml repository.",
			},
			"source_initial_commit": schema.StringAttribute{
				Computed: true, PlanModifiers: keep,
				MarkdownDescription: "SHA of the first commit of the source repository.",
			},
			"yaml_initial_commit": schema.StringAttribute{
				Computed: true, PlanModifiers: keep,
				MarkdownDescription: "SHA of the first commit of the yaml repository.",
			},
			"default_branch": schema.StringAttribute{
				Computed: true, PlanModifiers: keep,
				MarkdownDescription: "Branch the first commits were pushed to (`main`).",
			},
			"notice": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Empty, or says that the declared template or `initial_values` differ from what the repositories were made from " +
					"(they only fill the first push).",
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func expandApplication(ctx context.Context, m applicationModel) (application.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := application.Spec{Project: m.Project.ValueString(), Name: m.Name.ValueString(), OnDestroy: m.OnDestroy.ValueString()}
	if !m.Template.IsNull() && !m.Template.IsUnknown() {
		var t applicationTemplateModel
		diags.Append(m.Template.As(ctx, &t, basetypes.ObjectAsOptions{})...)
		s.Template = application.Template{SourceRepo: t.SourceRepo.ValueString(), YAMLRepo: t.YAMLRepo.ValueString(), Ref: t.Ref.ValueString()}
	}
	if !m.InitialValues.IsNull() && !m.InitialValues.IsUnknown() {
		// Element by element: a value not known yet at plan time expands
		// to "" (ValidateConfig skips the whole map then).
		s.InitialValues = map[string]string{}
		for k, v := range m.InitialValues.Elements() {
			if str, ok := v.(types.String); ok {
				s.InitialValues[k] = str.ValueString()
			}
		}
	}
	return s, diags
}

// flattenApplication writes what Observe found into m.
func flattenApplication(ctx context.Context, m *applicationModel, obs engine.Observation[application.Spec, application.Status], _ bool) diag.Diagnostics {
	var diags diag.Diagnostics
	s, st := obs.Actual, obs.Status
	m.ID = types.StringValue(s.ID())
	m.Project = types.StringValue(s.Project)
	m.Name = types.StringValue(s.Name)
	m.OnDestroy = types.StringValue(s.OnDestroy)
	if s.Template.SourceRepo != "" || s.Template.YAMLRepo != "" {
		m.Template = types.ObjectValueMust(applicationTemplateTypes, map[string]attr.Value{
			"source_repo": types.StringValue(s.Template.SourceRepo), "yaml_repo": types.StringValue(s.Template.YAMLRepo),
			"ref": types.StringValue(s.Template.Ref),
		})
	} else if m.Template.IsUnknown() {
		m.Template = types.ObjectNull(applicationTemplateTypes)
	}
	switch {
	case len(s.InitialValues) > 0:
		v, d := types.MapValueFrom(ctx, types.StringType, s.InitialValues)
		diags.Append(d...)
		m.InitialValues = v
	case m.InitialValues.IsUnknown() || len(m.InitialValues.Elements()) > 0:
		m.InitialValues = types.MapNull(types.StringType)
	}
	m.SourceCloneURL = types.StringValue(st.SourceCloneURL)
	m.YAMLCloneURL = types.StringValue(st.YAMLCloneURL)
	m.SourceInitialCommit = types.StringValue(st.SourceInitialCommit)
	m.YAMLInitialCommit = types.StringValue(st.YAMLInitialCommit)
	m.DefaultBranch = types.StringValue(st.DefaultBranch)
	m.Notice = types.StringValue(st.Notice)
	return diags
}

// importApplication imports an application by <PROJECT>/<name>.
func importApplication(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	if _, _, err := application.ParseID(id); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import an application as <PROJECT>/<name>: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
