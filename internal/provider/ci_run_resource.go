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
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cirun"
)

// Default timeouts of mc_ci_run: a build takes minutes.
const (
	ciRunCreateTimeout = 30 * time.Minute
	ciRunUpdateTimeout = 30 * time.Minute
	ciRunDeleteTimeout = 5 * time.Minute
)

// ciRunKind is mc_ci_run.
var ciRunKind = &kind[ciRunModel, cirun.Spec, cirun.Status]{
	typeName: "ci_run",
	noun:     "CI run",
	schema:   ciRunSchema,
	client: func(d *providerData) (engine.Client[cirun.Spec, cirun.Status], error) {
		return d.ciRunClient()
	},
	expand: func(ctx context.Context, plan, _ *ciRunModel) (cirun.Spec, diag.Diagnostics) {
		return expandCIRun(ctx, *plan)
	},
	flatten:       flattenCIRun,
	id:            func(m *ciRunModel) *types.String { return &m.ID },
	timeouts:      func(m *ciRunModel) timeouts.Value { return m.Timeouts },
	createTimeout: ciRunCreateTimeout, updateTimeout: ciRunUpdateTimeout, deleteTimeout: ciRunDeleteTimeout,
	ready: func(m *ciRunModel) *types.Bool { return &m.Ready },
	resumed: map[string]attr.Value{
		"phase": types.StringUnknown(), "resolved_commit": types.StringUnknown(), "image_digest": types.StringUnknown(),
		"image_ref": types.StringUnknown(), "hub_image_ref": types.StringUnknown(), "scan_summary": types.ObjectUnknown(ciRunScanSummaryTypes),
		"steps": types.ListUnknown(types.ObjectType{AttrTypes: ciRunStepTypes}), "log_tail": types.StringUnknown(),
		"started_at": types.StringUnknown(), "finished_at": types.StringUnknown(),
	},
	progress:     func(m *ciRunModel) string { return "run " + m.ID.ValueString() },
	validateSpec: cirun.ValidatePartial,
	importState:  importCIRun,
}

// NewCIRunResource returns the mc_ci_run resource.
func NewCIRunResource() resource.Resource { return newResource(ciRunKind)() }

type ciRunModel struct {
	ID             types.String   `tfsdk:"id"`
	Site           types.String   `tfsdk:"site"`
	Source         types.Object   `tfsdk:"source"`
	Image          types.Object   `tfsdk:"image"`
	Build          types.Object   `tfsdk:"build"`
	Scan           types.Object   `tfsdk:"scan"`
	ReplicateTo    types.List     `tfsdk:"replicate_to"`
	Triggers       types.Map      `tfsdk:"triggers"`
	Notify         types.Set      `tfsdk:"notify"`
	OnDestroy      types.String   `tfsdk:"on_destroy"`
	Name           types.String   `tfsdk:"name"`
	Phase          types.String   `tfsdk:"phase"`
	Ready          types.Bool     `tfsdk:"ready"`
	ResolvedCommit types.String   `tfsdk:"resolved_commit"`
	ImageDigest    types.String   `tfsdk:"image_digest"`
	ImageRef       types.String   `tfsdk:"image_ref"`
	HubImageRef    types.String   `tfsdk:"hub_image_ref"`
	ScanSummary    types.Object   `tfsdk:"scan_summary"`
	Steps          types.List     `tfsdk:"steps"`
	LogTail        types.String   `tfsdk:"log_tail"`
	StartedAt      types.String   `tfsdk:"started_at"`
	FinishedAt     types.String   `tfsdk:"finished_at"`
	Timeouts       timeouts.Value `tfsdk:"timeouts"`
}

type ciRunSourceModel struct {
	Repository  types.String `tfsdk:"repository"`
	Application types.String `tfsdk:"application"`
	Revision    types.String `tfsdk:"revision"`
}

type ciRunImageModel struct {
	Project    types.String `tfsdk:"project"`
	Repository types.String `tfsdk:"repository"`
	Tag        types.String `tfsdk:"tag"`
}

type ciRunBuildModel struct {
	Command    types.String `tfsdk:"command"`
	ContextDir types.String `tfsdk:"context_dir"`
	BaseImage  types.String `tfsdk:"base_image"`
	Env        types.Map    `tfsdk:"env"`
	Executor   types.String `tfsdk:"executor"`
	Entrypoint types.List   `tfsdk:"entrypoint"`
}

type ciRunScanModel struct {
	Enabled types.Bool   `tfsdk:"enabled"`
	FailOn  types.String `tfsdk:"fail_on"`
}

var (
	ciRunSourceTypes = map[string]attr.Type{"repository": types.StringType, "application": types.StringType, "revision": types.StringType}
	ciRunImageTypes  = map[string]attr.Type{"project": types.StringType, "repository": types.StringType, "tag": types.StringType}
	ciRunBuildTypes  = map[string]attr.Type{
		"command": types.StringType, "context_dir": types.StringType, "base_image": types.StringType,
		"env": types.MapType{ElemType: types.StringType}, "executor": types.StringType, "entrypoint": types.ListType{ElemType: types.StringType},
	}
	ciRunScanTypes        = map[string]attr.Type{"enabled": types.BoolType, "fail_on": types.StringType}
	ciRunScanSummaryTypes = map[string]attr.Type{
		"total": types.Int64Type, "fixable": types.Int64Type, "critical": types.Int64Type, "high": types.Int64Type,
		"medium": types.Int64Type, "low": types.Int64Type, "unknown": types.Int64Type, "vulnerabilities": types.ListType{ElemType: types.StringType},
	}
	ciRunStepTypes = map[string]attr.Type{
		"name": types.StringType, "phase": types.StringType, "duration": types.StringType, "message": types.StringType,
	}
)

var severities = []string{cirun.SeverityNone, cirun.SeverityLow, cirun.SeverityMedium, cirun.SeverityHigh, cirun.SeverityCritical}

func ciRunSchema(ctx context.Context) schema.Schema {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.Object{objectplanmodifier.RequiresReplace()}
	return schema.Schema{
		MarkdownDescription: "A CI run: one build of a git source into an image at a site, next to its Harbor, executed by the site's task runner " +
			"(`mc-taskrunner`, see `mc_site.task_runner`) as a `TaskRun` in namespace `mc-tasks` of the site's management cluster. The runner checks " +
			"the source out, builds it, pushes the image to the site's Harbor, has Harbor scan it, and replicates it to other sites' Harbors " +
			"(the hub by default) through the replication policies `mc_image_replication` made. Create waits through all of it; `image_digest` " +
			"then feeds `mc_application_deployment.image.digest`.\n\n" +
			"**One run per inputs.** The run's name is the image repository and a hash of every input but `notify`, `on_destroy` and `timeouts`: " +
			"changing any other argument makes a new run (a new resource). A create cut off (a killed apply) finds its run on the next apply and " +
			"waits for it: a build is never started twice. Use `triggers` to build the same inputs again, such as a branch that moved.\n\n" +
			"**Failures.** A site without a task runner fails at once. A failed step ends the run at once; the error names the step and carries the " +
			"last lines of its log (`log_tail`), such as the compiler's message, or the CVEs a scan found at or above `scan.fail_on`. A failed run " +
			"is tainted; the next apply's create runs it again.\n\n" +
			"**Timeouts.** A run that outlives the create timeout stays in state with `ready = false` and a warning; the next apply resumes waiting.\n\n" +
			"**Read** never starts anything. **Destroy** forgets the run (`on_destroy = \"forget\"`, the default: the `TaskRun` stays on record at the " +
			"site) or deletes its `TaskRun` (`on_destroy = \"delete\"`); the image stays in Harbor either way.\n\n" +
			"Git reaches the source with the provider's Bitbucket credentials, handed to the runner in the Secret `mc-ci-git` in `mc-tasks` at the " +
			"site (and only for a repository on the Bitbucket host): never in the `TaskRun`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, PlanModifiers: keep,
				MarkdownDescription: "`<site>/<run name>`; also the import ID.",
			},
			"site": schema.StringAttribute{
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				MarkdownDescription: "The site whose task runner builds and whose Harbor receives the image.",
			},
			"source": schema.SingleNestedAttribute{
				Required: true, PlanModifiers: replace,
				MarkdownDescription: "The git source: `repository` or `application`, at `revision`.",
				Attributes: map[string]schema.Attribute{
					"repository": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "https clone URL of the repository, without credentials.",
						Validators:          []validator.String{stringvalidator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("application"))},
					},
					"application": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "An `mc_application` id (`<PROJECT>/<name>`): its source repository is built.",
					},
					"revision": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Branch, tag or commit; the run records the commit in `resolved_commit`.",
					},
				},
			},
			"image": schema.SingleNestedAttribute{
				Required: true, PlanModifiers: replace,
				MarkdownDescription: "Where the image is pushed in the site's Harbor.",
				Attributes: map[string]schema.Attribute{
					"project":    schema.StringAttribute{Required: true, MarkdownDescription: "Harbor project."},
					"repository": schema.StringAttribute{Required: true, MarkdownDescription: "Repository in the project, such as `hello` or `team/hello`."},
					"tag":        schema.StringAttribute{Optional: true, MarkdownDescription: "Tag; the first 12 characters of the resolved commit when not set."},
				},
			},
			"build": schema.SingleNestedAttribute{
				Optional: true, PlanModifiers: replace,
				MarkdownDescription: "How the source is built. Without it, the image's layer is the checkout itself.",
				Attributes: map[string]schema.Attribute{
					"command": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "Shell command (`sh -c`) run in `context_dir`; what it writes under `$OUT` becomes the image's layer, laid out from the " +
							"image's root. The local executor gives it a bounded environment: `PATH`, `HOME`, `OUT`, the runner's Go caches and `env`.",
					},
					"context_dir": schema.StringAttribute{Optional: true, MarkdownDescription: "Directory of the build, relative to the checkout."},
					"base_image":  schema.StringAttribute{Optional: true, MarkdownDescription: "Image the layer goes on top of; scratch when not set."},
					"env": schema.MapAttribute{
						Optional: true, ElementType: types.StringType,
						MarkdownDescription: "Environment of the build command. Not secret: it is part of the run's inputs.",
					},
					"executor": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "`local` (the default: the runner builds in its process, no container runtime needed) or `kubernetes_job` (a Job " +
							"running kaniko at the site's cluster).",
						Validators: []validator.String{stringvalidator.OneOf("local", "kubernetes_job")},
					},
					"entrypoint": schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "The image's entrypoint."},
				},
			},
			"scan": schema.SingleNestedAttribute{
				Optional: true, Computed: true, PlanModifiers: replace,
				Default:             objectdefault.StaticValue(types.ObjectValueMust(ciRunScanTypes, map[string]attr.Value{"enabled": types.BoolValue(true), "fail_on": types.StringValue(cirun.SeverityCritical)})),
				MarkdownDescription: "The scan of the pushed image by the site's Harbor. Default: on, failing on `Critical`.",
				Attributes: map[string]schema.Attribute{
					"enabled": schema.BoolAttribute{
						Optional: true, Computed: true, Default: booldefault.StaticBool(true),
						MarkdownDescription: "Scan the image. Default `true`.",
					},
					"fail_on": schema.StringAttribute{
						Optional: true, Computed: true, Default: stringdefault.StaticString(cirun.SeverityCritical),
						MarkdownDescription: "Lowest severity that fails the run: `None` (never), `Low`, `Medium`, `High` or `Critical` (default).",
						Validators:          []validator.String{stringvalidator.OneOf(severities...)},
					},
				},
			},
			"replicate_to": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
				MarkdownDescription: "Sites whose Harbors receive the image, each through an enabled push replication policy of the site's Harbor " +
					"(`mc_image_replication`) covering `image.project`; a missing policy is an error before the run starts. Not set: the hub; `[]`: none.",
			},
			"triggers": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				PlanModifiers:       []planmodifier.Map{mapplanmodifier.RequiresReplace()},
				MarkdownDescription: "Arbitrary values; a change starts a new run.",
			},
			"notify": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Names of `mc_notification_channel`s the task runner sends the run's notices to (`run_started`, `run_succeeded`, " +
					"`run_failed`), itself, so a notice arrives even when nobody waits in `terraform apply`. The channels are fixed when the run starts; " +
					"a change later only rewrites their Secrets.",
			},
			"on_destroy": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(cirun.OnDestroyForget),
				MarkdownDescription: "`forget` (default) leaves the `TaskRun` at the site on destroy; `delete` deletes it. The image is kept either way.",
				Validators:          []validator.String{stringvalidator.OneOf(cirun.OnDestroyForget, cirun.OnDestroyDelete)},
			},
			"name":            schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "Name of the `TaskRun`."},
			"phase":           schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "`Pending`, `Running`, `Succeeded` or `Failed`."},
			"ready":           schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the run succeeded (and the hub has the image, when it replicates there). A run that is not ready plans an update, which resumes waiting."},
			"resolved_commit": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "The commit `source.revision` resolved to."},
			"image_digest":    schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "Digest of the pushed manifest (`sha256:...`): equal inputs give the same digest."},
			"image_ref":       schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "`<registry>/<project>/<repository>@<digest>` at the site's Harbor."},
			"hub_image_ref":   schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "The same image at the hub's Harbor, checked there; null when the run does not replicate to the hub."},
			"scan_summary": schema.SingleNestedAttribute{
				Computed: true, PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "What the scan found; null without a scan.",
				Attributes: map[string]schema.Attribute{
					"total":           schema.Int64Attribute{Computed: true, MarkdownDescription: "Vulnerabilities found."},
					"fixable":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Of them, those with a fix."},
					"critical":        schema.Int64Attribute{Computed: true, MarkdownDescription: "Critical ones."},
					"high":            schema.Int64Attribute{Computed: true, MarkdownDescription: "High ones."},
					"medium":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Medium ones."},
					"low":             schema.Int64Attribute{Computed: true, MarkdownDescription: "Low ones."},
					"unknown":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Those of unknown severity."},
					"vulnerabilities": schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Ids (CVE-...) at or above `scan.fail_on`."},
				},
			},
			"steps": schema.ListNestedAttribute{
				Computed: true, PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "The run's steps in order: `checkout`, `build`, `push`, `scan`, `replicate`.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":     schema.StringAttribute{Computed: true, MarkdownDescription: "Step."},
					"phase":    schema.StringAttribute{Computed: true, MarkdownDescription: "`Pending`, `Running`, `Succeeded`, `Failed` or `Skipped`."},
					"duration": schema.StringAttribute{Computed: true, MarkdownDescription: "How long it took, such as `1.2s`; null until it ends."},
					"message":  schema.StringAttribute{Computed: true, MarkdownDescription: "What it did or why it failed."},
				}},
			},
			"log_tail":    schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "Last lines of the failing (or last) step's log, redacted."},
			"started_at":  schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "When the runner started the run (RFC 3339)."},
			"finished_at": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "When the run ended (RFC 3339)."},
			"timeouts":    timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func expandCIRun(ctx context.Context, m ciRunModel) (cirun.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := cirun.Spec{Site: m.Site.ValueString(), OnDestroy: m.OnDestroy.ValueString()}
	if !m.Source.IsNull() && !m.Source.IsUnknown() {
		var src ciRunSourceModel
		diags.Append(m.Source.As(ctx, &src, basetypes.ObjectAsOptions{})...)
		s.Source = cirun.Source{Repository: src.Repository.ValueString(), Application: src.Application.ValueString(), Revision: src.Revision.ValueString()}
	}
	if !m.Image.IsNull() && !m.Image.IsUnknown() {
		var img ciRunImageModel
		diags.Append(m.Image.As(ctx, &img, basetypes.ObjectAsOptions{})...)
		s.Image = cirun.Image{Project: img.Project.ValueString(), Repository: img.Repository.ValueString(), Tag: img.Tag.ValueString()}
	}
	if !m.Build.IsNull() && !m.Build.IsUnknown() {
		var b ciRunBuildModel
		diags.Append(m.Build.As(ctx, &b, basetypes.ObjectAsOptions{})...)
		s.Build = cirun.Build{Command: b.Command.ValueString(), ContextDir: b.ContextDir.ValueString(), BaseImage: b.BaseImage.ValueString(), Executor: b.Executor.ValueString()}
		if !b.Env.IsNull() && !b.Env.IsUnknown() {
			env, d := stringMap(ctx, b.Env)
			diags.Append(d...)
			s.Build.Env = env
		}
		if !b.Entrypoint.IsNull() && !b.Entrypoint.IsUnknown() {
			diags.Append(b.Entrypoint.ElementsAs(ctx, &s.Build.Entrypoint, false)...)
		}
	}
	if !m.Scan.IsNull() && !m.Scan.IsUnknown() {
		var sc ciRunScanModel
		diags.Append(m.Scan.As(ctx, &sc, basetypes.ObjectAsOptions{})...)
		s.Scan = cirun.Scan{Enabled: sc.Enabled.ValueBool(), FailOn: sc.FailOn.ValueString()}
	}
	if !m.ReplicateTo.IsNull() && !m.ReplicateTo.IsUnknown() {
		s.ReplicateTo = []string{}
		diags.Append(m.ReplicateTo.ElementsAs(ctx, &s.ReplicateTo, false)...)
	}
	if !m.Triggers.IsNull() && !m.Triggers.IsUnknown() {
		t, d := stringMap(ctx, m.Triggers)
		diags.Append(d...)
		s.Triggers = t
	}
	if !m.Notify.IsNull() && !m.Notify.IsUnknown() {
		diags.Append(m.Notify.ElementsAs(ctx, &s.Notify, false)...)
	}
	return s, diags
}

// flattenCIRun writes what Observe found into m. The inputs are written
// only into an imported state (no site yet): a run's inputs never change,
// and a run adopted by a create keeps the configuration's spelling.
func flattenCIRun(ctx context.Context, m *ciRunModel, obs engine.Observation[cirun.Spec, cirun.Status], _ bool) diag.Diagnostics {
	var diags diag.Diagnostics
	s, st := obs.Actual, obs.Status
	if m.Site.IsNull() {
		flattenCIRunInputs(ctx, m, s, &diags)
	}
	m.Name = types.StringValue(st.Name)
	m.Phase = types.StringValue(st.Phase)
	m.ResolvedCommit = optionalString(st.ResolvedCommit)
	m.ImageDigest = optionalString(st.ImageDigest)
	m.ImageRef = optionalString(st.ImageRef)
	m.HubImageRef = optionalString(st.HubImageRef)
	m.LogTail = optionalString(st.LogTail)
	m.StartedAt = optionalTime(st.StartedAt)
	m.FinishedAt = optionalTime(st.FinishedAt)
	if sum := st.ScanSummary; sum != nil {
		vulns := make([]attr.Value, 0, len(sum.Vulnerabilities))
		for _, v := range sum.Vulnerabilities {
			vulns = append(vulns, types.StringValue(v))
		}
		m.ScanSummary = types.ObjectValueMust(ciRunScanSummaryTypes, map[string]attr.Value{
			"total": types.Int64Value(sum.Total), "fixable": types.Int64Value(sum.Fixable),
			"critical": types.Int64Value(sum.Severities["Critical"]), "high": types.Int64Value(sum.Severities["High"]),
			"medium": types.Int64Value(sum.Severities["Medium"]), "low": types.Int64Value(sum.Severities["Low"]),
			"unknown": types.Int64Value(sum.Severities["Unknown"]), "vulnerabilities": types.ListValueMust(types.StringType, vulns),
		})
	} else {
		m.ScanSummary = types.ObjectNull(ciRunScanSummaryTypes)
	}
	steps := make([]attr.Value, 0, len(st.Steps))
	for _, step := range st.Steps {
		duration := types.StringNull()
		if !step.FinishedAt.IsZero() {
			duration = types.StringValue(step.Duration.Round(time.Millisecond).String())
		}
		steps = append(steps, types.ObjectValueMust(ciRunStepTypes, map[string]attr.Value{
			"name": types.StringValue(step.Name), "phase": types.StringValue(step.Phase), "duration": duration, "message": types.StringValue(step.Message),
		}))
	}
	m.Steps = types.ListValueMust(types.ObjectType{AttrTypes: ciRunStepTypes}, steps)
	return diags
}

// flattenCIRunInputs writes the run's inputs, as they were given, into m.
func flattenCIRunInputs(ctx context.Context, m *ciRunModel, s cirun.Spec, diags *diag.Diagnostics) {
	m.Site = types.StringValue(s.Site)
	m.OnDestroy = types.StringValue(s.OnDestroy)
	m.Source = types.ObjectValueMust(ciRunSourceTypes, map[string]attr.Value{
		"repository": optionalString(s.Source.Repository), "application": optionalString(s.Source.Application), "revision": types.StringValue(s.Source.Revision),
	})
	m.Image = types.ObjectValueMust(ciRunImageTypes, map[string]attr.Value{
		"project": types.StringValue(s.Image.Project), "repository": types.StringValue(s.Image.Repository), "tag": optionalString(s.Image.Tag),
	})
	b := s.Build
	if b.Command == "" && b.ContextDir == "" && b.BaseImage == "" && len(b.Env) == 0 && b.Executor == "" && len(b.Entrypoint) == 0 {
		m.Build = types.ObjectNull(ciRunBuildTypes)
	} else {
		env, entrypoint := types.MapNull(types.StringType), types.ListNull(types.StringType)
		if len(b.Env) > 0 {
			v, d := types.MapValueFrom(ctx, types.StringType, b.Env)
			diags.Append(d...)
			env = v
		}
		if len(b.Entrypoint) > 0 {
			v, d := types.ListValueFrom(ctx, types.StringType, b.Entrypoint)
			diags.Append(d...)
			entrypoint = v
		}
		m.Build = types.ObjectValueMust(ciRunBuildTypes, map[string]attr.Value{
			"command": optionalString(b.Command), "context_dir": optionalString(b.ContextDir), "base_image": optionalString(b.BaseImage),
			"env": env, "executor": optionalString(b.Executor), "entrypoint": entrypoint,
		})
	}
	failOn := s.Scan.FailOn
	if failOn == "" {
		failOn = cirun.SeverityCritical
	}
	m.Scan = types.ObjectValueMust(ciRunScanTypes, map[string]attr.Value{"enabled": types.BoolValue(s.Scan.Enabled), "fail_on": types.StringValue(failOn)})
	m.ReplicateTo = types.ListNull(types.StringType)
	if s.ReplicateTo != nil {
		v, d := types.ListValueFrom(ctx, types.StringType, s.ReplicateTo)
		diags.Append(d...)
		m.ReplicateTo = v
	}
	m.Triggers = types.MapNull(types.StringType)
	if len(s.Triggers) > 0 {
		v, d := types.MapValueFrom(ctx, types.StringType, s.Triggers)
		diags.Append(d...)
		m.Triggers = v
	}
	m.Notify = types.SetNull(types.StringType)
	if len(s.Notify) > 0 {
		v, d := types.SetValueFrom(ctx, types.StringType, s.Notify)
		diags.Append(d...)
		m.Notify = v
	}
}

func optionalTime(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// importCIRun imports a run by <site>/<run name>.
func importCIRun(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	if _, _, err := cirun.ParseID(id); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a CI run as <site>/<run name>: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

func (d *providerData) ciRunClient() (*cirun.Client, error) {
	reg, err := d.platform()
	if err != nil {
		return nil, err
	}
	return cirun.New(reg), nil
}
