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
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
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
	RunsOn               types.String   `tfsdk:"runs_on"`
	PolicyID             types.Int64    `tfsdk:"policy_id"`
	RegistryID           types.Int64    `tfsdk:"registry_id"`
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
			"An endpoint that already points at the same Harbor with the same user is reused; delete removes the endpoint when no other policy uses it.\n\n" +
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
						MarkdownDescription: "`manual`, `scheduled` (with `cron`) or `event_based` (on every push).",
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
	_, err = engine.WaitRun(ctx, func(ctx context.Context) (imagereplication.Execution, error) {
		return c.Execution(ctx, id, execID)
	}, imagereplication.Execution.Progress, engine.WaitOptions{Timeout: timeout, MinInterval: 250 * time.Millisecond, MaxInterval: 5 * time.Second})
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
