package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
)

// Default timeouts of mc_image_replication.
const (
	replicationCreateTimeout = 30 * time.Minute
	replicationUpdateTimeout = 5 * time.Minute
	replicationDeleteTimeout = 5 * time.Minute
)

// imageReplicationKind is mc_image_replication.
var imageReplicationKind = &kind[imageReplicationModel, imagereplication.Spec, imagereplication.Status]{
	typeName: "image_replication",
	noun:     "image replication",
	schema:   imageReplicationSchema,
	client: func(d *providerData) (engine.Client[imagereplication.Spec, imagereplication.Status], error) {
		return d.imageReplicationClient()
	},
	expand: func(ctx context.Context, plan, _ *imageReplicationModel) (imagereplication.Spec, diag.Diagnostics) {
		return expandImageReplication(ctx, *plan)
	},
	flatten:       flattenImageReplicationObservation,
	id:            func(m *imageReplicationModel) *types.String { return &m.ID },
	timeouts:      func(m *imageReplicationModel) timeouts.Value { return m.Timeouts },
	createTimeout: replicationCreateTimeout, updateTimeout: replicationUpdateTimeout, deleteTimeout: replicationDeleteTimeout,
	validateSpec: validateImageReplication,
	importState:  importImageReplication,
	afterCreate:  runOnCreate,
}

// NewImageReplicationResource returns the mc_image_replication resource.
func NewImageReplicationResource() resource.Resource { return newResource(imageReplicationKind)() }

type imageReplicationModel struct {
	ID                   types.String   `tfsdk:"id"`
	Name                 types.String   `tfsdk:"name"`
	SourceSite           types.String   `tfsdk:"source_site"`
	DestinationSite      types.String   `tfsdk:"destination_site"`
	Direction            types.String   `tfsdk:"direction"`
	Filters              types.Object   `tfsdk:"filters"`
	Trigger              types.Object   `tfsdk:"trigger"`
	DestinationNamespace types.String   `tfsdk:"destination_namespace"`
	Override             types.Bool     `tfsdk:"override"`
	Enabled              types.Bool     `tfsdk:"enabled"`
	RunOnCreate          types.Bool     `tfsdk:"run_on_create"`
	EndpointInsecure     types.Bool     `tfsdk:"endpoint_insecure"`
	Speed                types.Int64    `tfsdk:"speed"`
	CopyByChunk          types.Bool     `tfsdk:"copy_by_chunk"`
	SingleActive         types.Bool     `tfsdk:"single_active_replication"`
	ReplicateDeletion    types.Bool     `tfsdk:"replicate_deletion"`
	ReplaceCount         types.Int64    `tfsdk:"destination_namespace_replace_count"`
	RunsOn               types.String   `tfsdk:"runs_on"`
	PolicyID             types.Int64    `tfsdk:"policy_id"`
	RegistryID           types.Int64    `tfsdk:"registry_id"`
	RegistryName         types.String   `tfsdk:"registry_name"`
	Robot                types.String   `tfsdk:"robot"`
	CredentialsCurrent   types.Bool     `tfsdk:"credentials_current"`
	LastExecution        types.Object   `tfsdk:"last_execution"`
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
}

type replicationFiltersModel struct {
	Name         types.String `tfsdk:"name"`
	Tag          types.String `tfsdk:"tag"`
	Labels       types.List   `tfsdk:"labels"`
	ResourceType types.String `tfsdk:"resource_type"`
}

type replicationTriggerModel struct {
	Type types.String `tfsdk:"type"`
	Cron types.String `tfsdk:"cron"`
}

var (
	replicationFiltersTypes = map[string]attr.Type{
		"name": types.StringType, "tag": types.StringType, "labels": types.ListType{ElemType: types.StringType}, "resource_type": types.StringType,
	}
	replicationTriggerTypes   = map[string]attr.Type{"type": types.StringType, "cron": types.StringType}
	replicationExecutionTypes = map[string]attr.Type{
		"id": types.Int64Type, "status": types.StringType, "succeeded": types.Int64Type, "failed": types.Int64Type,
		"in_progress": types.Int64Type, "total": types.Int64Type, "message": types.StringType,
	}
)

func imageReplicationSchema(ctx context.Context) schema.Schema {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	return schema.Schema{
		MarkdownDescription: "Image replication between two sites' Harbors: a registry endpoint in the Harbor that runs the policy " +
			"(the destination's for `pull`, the source's for `push`) pointing at the other site's Harbor, and a replication policy. " +
			"The endpoint's credential is a robot account made in the other Harbor with the least the direction needs: read and pull of the source projects " +
			"for `pull`; push on the destination projects for `push`, and project creation (Harbor v2.10 or later) since Harbor creates missing destination projects. " +
			"It is refreshed when the other site's Harbor credentials change (a new `password_wo_version`). So the site's credentials must be allowed to manage " +
			"robot accounts: an administrator, or a system robot with robot permissions. A Harbor in OIDC mode refuses a user's CLI secret on the robot, registry " +
			"and replication APIs: give such a site a robot account or the local admin. The endpoint, `site-<remote site>`, is shared by the replications between " +
			"the same two Harbors; delete removes it, and its robot, when no other policy uses it. Delete stops the policy's running executions first.\n\n" +
			"An `event_based` trigger needs direction `push`: Harbor sees no events of a remote source.\n\n" +
			"With `run_on_create`, create starts one execution and waits until it succeeds, failing with Harbor's message when it fails.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<site that runs the policy>/<name>`, also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the replication policy in Harbor: lower-case letters and digits separated by single `.`, `_` or `-`.",
				PlanModifiers:       replace,
			},
			"source_site": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Site (`mc_site` name) whose Harbor holds the images.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"destination_site": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Site that receives the images, such as the hub.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"direction": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(imagereplication.DirectionPull),
				MarkdownDescription: "`pull` (default): the destination's Harbor pulls from the source. `push`: the source's Harbor pushes to the destination.",
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.OneOf(imagereplication.DirectionPull, imagereplication.DirectionPush)},
			},
			"filters": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "What to replicate; omitted filters select everything.",
				Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Repository name pattern (doublestar), such as `library/**`.",
					},
					"tag": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Tag pattern, such as `v*`.",
					},
					"labels": schema.ListAttribute{
						Optional:            true,
						ElementType:         types.StringType,
						MarkdownDescription: "Artifact labels that must all be present.",
					},
					"resource_type": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "`image` or `artifact`.",
						Validators:          []validator.String{stringvalidator.OneOf("image", "artifact")},
					},
				},
			},
			"trigger": schema.SingleNestedAttribute{
				Optional: true,
				Computed: true,
				Default: objectdefault.StaticValue(types.ObjectValueMust(replicationTriggerTypes, map[string]attr.Value{
					"type": types.StringValue(imagereplication.TriggerManual), "cron": types.StringNull(),
				})),
				MarkdownDescription: "When the policy runs. Default `manual`.",
				Attributes: map[string]schema.Attribute{
					"type": schema.StringAttribute{
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString(imagereplication.TriggerManual),
						MarkdownDescription: "`manual`, `scheduled` (with `cron`) or `event_based` (on every push; direction `push` only).",
						Validators: []validator.String{stringvalidator.OneOf(imagereplication.TriggerManual,
							imagereplication.TriggerScheduled, imagereplication.TriggerEventBased)},
					},
					"cron": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Schedule of a `scheduled` trigger: 6 fields, seconds first and `0`, such as `0 0 2 * * *`.",
					},
				},
			},
			"destination_namespace": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Project in the destination that receives the images; default the source project names.",
			},
			"override": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Overwrite artifacts that exist in the destination. Default `true`.",
			},
			"enabled": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Whether the policy runs. Default `true`.",
			},
			"run_on_create": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				MarkdownDescription: "Start one execution when the replication is created and wait until it succeeds. Changing it later has no effect.",
				PlanModifiers:       []planmodifier.Bool{keepStateBool()},
			},
			"endpoint_insecure": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "Let the Harbor that runs the policy skip the TLS verification of the other Harbor's certificate when it checks and uses the registry endpoint " +
					"(the endpoint's `insecure`). Default `false`. This is Harbor's own setting, not the site's `insecure` (how the provider reaches a Harbor). " +
					"The endpoint is shared by the replications between the same two Harbors: give them the same value.",
			},
			"speed": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Bandwidth limit of each task in KB/s; `0` is unlimited. When not set, the policy keeps its value, " +
					"also one changed in Harbor's UI.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
				Validators:    []validator.Int64{int64validator.AtLeast(0)},
			},
			"copy_by_chunk": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "Copy blobs in chunks. When not set, the policy keeps its value.",
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"single_active_replication": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Run at most one execution of the policy at a time (Harbor v2.14 or later; older Harbors ignore it and report `false`). " +
					"Not with an `event_based` trigger. When not set, the policy keeps its value.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"replicate_deletion": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "Replicate deletions of artifacts too. When not set, the policy keeps its value.",
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"destination_namespace_replace_count": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "How many leading path components of a source repository `destination_namespace` replaces: `-1` (Harbor's default) " +
					"all of them, so `a/b/c` lands as `<namespace>/c`; `0` none, so it lands as `<namespace>/a/b/c`. When not set, the policy keeps its value.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
				Validators:    []validator.Int64{int64validator.Between(-1, 127)},
			},
			"runs_on": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Site whose Harbor runs the policy.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"policy_id": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "ID of the replication policy in Harbor.",
			},
			"registry_id": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "ID of the registry endpoint the policy uses.",
			},
			"registry_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Name of the registry endpoint: `site-<remote site>`, shortened with a hash to Harbor's 64 characters.",
			},
			"robot": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Robot account of the remote Harbor that the endpoint uses as its credential, holding the least the policies " +
					"using the endpoint need; empty for an endpoint with other credentials.",
			},
			"credentials_current": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "`false` when the remote site's Harbor credentials changed since the robot's secret was last set " +
					"(a new `password_wo_version` of the site): the next apply refreshes the robot's secret and the endpoint.",
				PlanModifiers: []planmodifier.Bool{renewWhenFalse()},
			},
			"last_execution": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The newest execution of the policy; null before the first.",
				Attributes: map[string]schema.Attribute{
					"id":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Execution ID."},
					"status":      schema.StringAttribute{Computed: true, MarkdownDescription: "`InProgress`, `Succeed`, `Failed` or `Stopped`."},
					"succeeded":   schema.Int64Attribute{Computed: true, MarkdownDescription: "Tasks that succeeded."},
					"failed":      schema.Int64Attribute{Computed: true, MarkdownDescription: "Tasks that failed."},
					"in_progress": schema.Int64Attribute{Computed: true, MarkdownDescription: "Tasks still running."},
					"total":       schema.Int64Attribute{Computed: true, MarkdownDescription: "All tasks."},
					"message":     schema.StringAttribute{Computed: true, MarkdownDescription: "Harbor's status text, or the failing task's log line."},
				},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// validateImageReplication is the engine's validation of a replication
// whose arguments may not all be known yet, after the defaults the schema
// fills in.
func validateImageReplication(s imagereplication.Spec, unknown engine.Unknown) error {
	return imagereplication.ValidatePartial(imagereplication.WithDefaults(s), unknown)
}

// flattenImageReplicationObservation writes what Harbor reports into m.
// run_on_create only matters at create; an imported replication has false.
func flattenImageReplicationObservation(ctx context.Context, m *imageReplicationModel, obs engine.Observation[imagereplication.Spec, imagereplication.Status], _ bool) diag.Diagnostics {
	diags := flattenImageReplication(ctx, m, obs.Actual, obs.Status)
	if m.RunOnCreate.IsNull() {
		m.RunOnCreate = types.BoolValue(false)
	}
	return diags
}

// runOnCreate starts one execution of a new replication when run_on_create
// is set and waits until it is done, failing with Harbor's message when it
// fails; then it reads the replication back, with its last execution.
func runOnCreate(ctx context.Context, c engine.Client[imagereplication.Spec, imagereplication.Status], m *imageReplicationModel, timeout time.Duration, diags *diag.Diagnostics) {
	if !m.RunOnCreate.ValueBool() {
		return
	}
	runner, ok := c.(*imagereplication.Client)
	if !ok {
		diags.AddError("Error creating image replication", fmt.Sprintf("The engine client %T cannot run replications", c))
		return
	}
	id := m.ID.ValueString()
	err := runAndWait(ctx, runner, id, timeout)
	switch {
	case err == nil:
	case engine.IsTimeout(err):
		diags.AddWarning("Replication still running", fmt.Sprintf("The first execution of %q did not finish in time: %s. The replication stays in state", id, err))
	default:
		addEngineError(diags, "Error creating image replication", err, nil)
	}
	obs, err := c.Observe(ctx, id, imagereplication.Spec{})
	if err != nil {
		diags.AddError("Error reading image replication", fmt.Sprintf("Cannot read replication %q: %s", id, err))
		return
	}
	if obs.Exists {
		diags.Append(flattenImageReplicationObservation(ctx, m, obs, true)...)
	}
}

// runAndWait starts an execution (or joins the one in progress) and waits
// until it is done.
func runAndWait(ctx context.Context, c *imagereplication.Client, id string, timeout time.Duration) error {
	execID, err := c.Run(ctx, id)
	if err != nil {
		return err
	}
	_, err = c.WaitExecution(ctx, id, execID, timeout)
	return err
}

// importImageReplication imports a replication by <site that runs it>/<policy name>.
func importImageReplication(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	if _, _, err := imagereplication.ParseID(id); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a replication as <site that runs it>/<policy name>: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

// keepStateBool keeps the prior state's value once the resource exists:
// the argument only matters at create.
func keepStateBool() planmodifier.Bool { return keepStateBoolModifier{} }

type keepStateBoolModifier struct{}

func (keepStateBoolModifier) Description(context.Context) string {
	return "Changes after create are ignored."
}

func (m keepStateBoolModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (keepStateBoolModifier) PlanModifyBool(_ context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.State.Raw.IsNull() || req.StateValue.IsNull() {
		return
	}
	resp.PlanValue = req.StateValue
}

// renewWhenFalse plans true for an attribute whose state is false, so that
// the plan updates the resource; credentials_current uses it to refresh the
// robot's secret after the remote site's credentials changed.
func renewWhenFalse() planmodifier.Bool { return renewWhenFalseModifier{} }

type renewWhenFalseModifier struct{}

func (renewWhenFalseModifier) Description(context.Context) string {
	return "An update renews what the state reports as not current."
}

func (m renewWhenFalseModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (renewWhenFalseModifier) PlanModifyBool(_ context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || req.StateValue.IsNull() || req.StateValue.IsUnknown() {
		return
	}
	resp.PlanValue = types.BoolValue(true)
}
