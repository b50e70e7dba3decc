package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
)

// Default timeouts of mc_application_deployment.
const (
	deploymentCreateTimeout = 10 * time.Minute
	deploymentUpdateTimeout = 10 * time.Minute
	deploymentDeleteTimeout = 10 * time.Minute
)

// applicationDeploymentKind is mc_application_deployment.
var applicationDeploymentKind = &kind[applicationDeploymentModel, applicationdeployment.Spec, applicationdeployment.Status]{
	typeName: "application_deployment",
	noun:     "application deployment",
	schema:   applicationDeploymentSchema,
	client: func(d *providerData) (engine.Client[applicationdeployment.Spec, applicationdeployment.Status], error) {
		reg, err := d.platform()
		if err != nil {
			return nil, err
		}
		return applicationdeployment.New(reg), nil
	},
	expand:        expandApplicationDeployment,
	flatten:       flattenApplicationDeployment,
	readWithSpec:  true,
	id:            func(m *applicationDeploymentModel) *types.String { return &m.ID },
	timeouts:      func(m *applicationDeploymentModel) timeouts.Value { return m.Timeouts },
	createTimeout: deploymentCreateTimeout, updateTimeout: deploymentUpdateTimeout, deleteTimeout: deploymentDeleteTimeout,
	ready: func(m *applicationDeploymentModel) *types.Bool { return &m.Ready },
	resumed: map[string]attr.Value{
		"gitops_commit": types.StringUnknown(), "yaml_commit": types.StringUnknown(), "synced_revision": types.StringUnknown(),
		"sync_status": types.StringUnknown(), "health_status": types.StringUnknown(),
		"operation_phase": types.StringUnknown(), "operation_message": types.StringUnknown(),
	},
	progress: func(m *applicationDeploymentModel) string {
		return fmt.Sprintf("sync %s, health %s", orUnknownValue(m.SyncStatus), orUnknownValue(m.HealthStatus))
	},
	validateSpec: applicationdeployment.ValidatePartial,
	importState:  importApplicationDeployment,
}

// NewApplicationDeploymentResource returns the mc_application_deployment resource.
func NewApplicationDeploymentResource() resource.Resource {
	return newResource(applicationDeploymentKind)()
}

type applicationDeploymentModel struct {
	ID               types.String   `tfsdk:"id"`
	Application      types.String   `tfsdk:"application"`
	Site             types.String   `tfsdk:"site"`
	Cluster          types.String   `tfsdk:"cluster"`
	Namespace        types.String   `tfsdk:"namespace"`
	Image            types.Object   `tfsdk:"image"`
	SyncPolicy       types.Object   `tfsdk:"sync_policy"`
	Notify           types.Set      `tfsdk:"notify"`
	ApplicationName  types.String   `tfsdk:"argocd_application"`
	GitOpsCommit     types.String   `tfsdk:"gitops_commit"`
	YAMLCommit       types.String   `tfsdk:"yaml_commit"`
	SyncedRevision   types.String   `tfsdk:"synced_revision"`
	SyncStatus       types.String   `tfsdk:"sync_status"`
	HealthStatus     types.String   `tfsdk:"health_status"`
	OperationPhase   types.String   `tfsdk:"operation_phase"`
	OperationMessage types.String   `tfsdk:"operation_message"`
	Ready            types.Bool     `tfsdk:"ready"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

type deploymentImageModel struct {
	Repository types.String `tfsdk:"repository"`
	Tag        types.String `tfsdk:"tag"`
	Digest     types.String `tfsdk:"digest"`
}

type deploymentSyncPolicyModel struct {
	Automated   types.Bool   `tfsdk:"automated"`
	Prune       types.Bool   `tfsdk:"prune"`
	SelfHeal    types.Bool   `tfsdk:"self_heal"`
	SyncOptions types.List   `tfsdk:"sync_options"`
	Retry       types.Object `tfsdk:"retry"`
}

type deploymentRetryModel struct {
	Limit              types.Int64  `tfsdk:"limit"`
	BackoffDuration    types.String `tfsdk:"backoff_duration"`
	BackoffFactor      types.Int64  `tfsdk:"backoff_factor"`
	BackoffMaxDuration types.String `tfsdk:"backoff_max_duration"`
}

var (
	deploymentImageTypes = map[string]attr.Type{"repository": types.StringType, "tag": types.StringType, "digest": types.StringType}
	deploymentRetryTypes = map[string]attr.Type{
		"limit": types.Int64Type, "backoff_duration": types.StringType, "backoff_factor": types.Int64Type, "backoff_max_duration": types.StringType,
	}
	deploymentSyncPolicyTypes = map[string]attr.Type{
		"automated": types.BoolType, "prune": types.BoolType, "self_heal": types.BoolType,
		"sync_options": types.ListType{ElemType: types.StringType}, "retry": types.ObjectType{AttrTypes: deploymentRetryTypes},
	}
)

func applicationDeploymentSchema(ctx context.Context) schema.Schema {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	return schema.Schema{
		MarkdownDescription: "Deploys an application (`mc_application`) to a cluster through GitOps. It commits the workload manifest, a Deployment " +
			"of the application with `image`, to the application's yaml repository at `deploy/<site>/<cluster>/deployment.yaml` (plain manifests: " +
			"no Helm or Kustomize), and an Argo CD Application that deploys that directory into `namespace` on `cluster` to the site's GitOps " +
			"repository at `<gitops.path>/apps/<project>-<application>-<cluster>.yaml`, where the site's root application picks it up. " +
			"Argo CD objects are never created through its API.\n\n" +
			"Create and update wait until Argo CD reports the Application Synced and Healthy at the yaml commit (or a later one containing " +
			"it) with its sync operation Succeeded. A sync that ends Failed or Error after Argo CD's retries fails at once with Argo CD's " +
			"message; a wait that outlives its timeout is a warning (`ready = false`) and the next apply resumes waiting. An Application " +
			"edited in the cluster, or a manifest edited in git, plans the change back. Delete removes the Application manifest and waits " +
			"until Argo CD has removed the Application and its resources from the cluster, then removes the workload manifest.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<site>/<PROJECT>/<application>/<cluster>`, also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"application": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Application deployed, `<PROJECT>/<name>` (an `mc_application`'s id). Changing it replaces the deployment.",
				PlanModifiers:       replace,
			},
			"site": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Site (`mc_site` name) whose GitOps repository and Argo CD deploy the application. Changing it replaces the deployment.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"cluster": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Argo CD name of the destination cluster (an `mc_cluster` or `mc_cluster_registration` in the site's Argo CD). Changing it replaces the deployment.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"namespace": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Namespace of the workload in `cluster`; add `CreateNamespace=true` to `sync_policy.sync_options` to create it. Changing it replaces the deployment.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"image": schema.SingleNestedAttribute{
				Required:            true,
				MarkdownDescription: "Container image of the workload. Changed in place: a new commit to the yaml repository, waited for.",
				Attributes: map[string]schema.Attribute{
					"repository": schema.StringAttribute{Required: true, MarkdownDescription: "Image repository, such as `harbor.example/team/app`."},
					"tag":        schema.StringAttribute{Optional: true, MarkdownDescription: "Image tag; exactly one of `tag` and `digest`."},
					"digest":     schema.StringAttribute{Optional: true, MarkdownDescription: "Image digest, `sha256:<hex>`; exactly one of `tag` and `digest`."},
				},
			},
			"sync_policy": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Argo CD sync policy of the Application. Without it, or with `automated = false`, the provider asks Argo CD to sync " +
					"the committed revision itself while it waits.",
				Attributes: map[string]schema.Attribute{
					"automated": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false), MarkdownDescription: "Argo CD syncs every new revision by itself. Default `false`."},
					"prune":     schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false), MarkdownDescription: "Automated sync deletes resources no longer in git. Default `false`."},
					"self_heal": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false), MarkdownDescription: "Automated sync reverts changes made in the cluster. Default `false`."},
					"sync_options": schema.ListAttribute{
						Optional: true, ElementType: types.StringType,
						MarkdownDescription: "Argo CD sync options, such as `CreateNamespace=true` or `ServerSideApply=true`.",
					},
					"retry": schema.SingleNestedAttribute{
						Optional:            true,
						MarkdownDescription: "Retries of a failed sync; a sync fails only once they are spent.",
						Attributes: map[string]schema.Attribute{
							"limit":                schema.Int64Attribute{Required: true, MarkdownDescription: "Number of retries.", Validators: []validator.Int64{int64validator.AtLeast(0)}},
							"backoff_duration":     schema.StringAttribute{Optional: true, MarkdownDescription: "First backoff, such as `5s` (Argo CD's default when unset)."},
							"backoff_factor":       schema.Int64Attribute{Optional: true, MarkdownDescription: "Factor of each next backoff (Argo CD's default when unset)."},
							"backoff_max_duration": schema.StringAttribute{Optional: true, MarkdownDescription: "Longest backoff, such as `3m` (Argo CD's default when unset)."},
						},
					},
				},
			},
			"argocd_application": computed("The Argo CD Application, `<namespace>/<name>`, on the site's management cluster."),
			"gitops_commit":      computed("Commit of the site's GitOps repository that last changed the Application manifest."),
			"yaml_commit":        computed("Commit of the yaml repository that last changed the workload manifest: the revision waited for."),
			"synced_revision":    computed("Revision of the yaml repository Argo CD last compared with."),
			"sync_status":        computed("Argo CD's sync status: `Synced`, `OutOfSync` or `Unknown`."),
			"health_status":      computed("Argo CD's health status, such as `Healthy` or `Progressing`."),
			"operation_phase":    computed("Phase of the last sync operation, such as `Succeeded` or `Failed`."),
			"operation_message":  computed("Message of the last sync operation."),
			"ready": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Whether Argo CD reports the Application Synced and Healthy at `yaml_commit` with the Application as committed. " +
					"A deployment that is not ready (a wait that outlived its timeout, or an Application edited in the cluster) plans an update, which resumes waiting.",
			},
			"notify":   notifyAttribute("deployment"),
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// expandApplicationDeployment builds the engine spec from the plan.
func expandApplicationDeployment(ctx context.Context, plan, _ *applicationDeploymentModel) (applicationdeployment.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := applicationdeployment.Spec{
		Application: plan.Application.ValueString(), Site: plan.Site.ValueString(),
		Cluster: plan.Cluster.ValueString(), Namespace: plan.Namespace.ValueString(),
	}
	notifyNames, notifyDiags := expandNotify(ctx, plan.Notify)
	diags.Append(notifyDiags...)
	s.Notify = notifyNames
	if !plan.Image.IsNull() && !plan.Image.IsUnknown() {
		var img deploymentImageModel
		diags.Append(plan.Image.As(ctx, &img, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
		s.Image = applicationdeployment.Image{Repository: img.Repository.ValueString(), Tag: img.Tag.ValueString(), Digest: img.Digest.ValueString()}
	}
	if !plan.SyncPolicy.IsNull() && !plan.SyncPolicy.IsUnknown() {
		var sp deploymentSyncPolicyModel
		diags.Append(plan.SyncPolicy.As(ctx, &sp, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
		s.SyncPolicy = applicationdeployment.SyncPolicy{Automated: sp.Automated.ValueBool(), Prune: sp.Prune.ValueBool(), SelfHeal: sp.SelfHeal.ValueBool()}
		if !sp.SyncOptions.IsNull() && !sp.SyncOptions.IsUnknown() {
			diags.Append(sp.SyncOptions.ElementsAs(ctx, &s.SyncPolicy.SyncOptions, true)...)
		}
		if !sp.Retry.IsNull() && !sp.Retry.IsUnknown() {
			var r deploymentRetryModel
			diags.Append(sp.Retry.As(ctx, &r, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
			s.SyncPolicy.Retry = &applicationdeployment.Retry{Limit: r.Limit.ValueInt64(), BackoffDuration: r.BackoffDuration.ValueString(),
				BackoffFactor: r.BackoffFactor.ValueInt64(), BackoffMaxDuration: r.BackoffMaxDuration.ValueString()}
		}
	}
	return s, diags
}

// flattenApplicationDeployment writes what Observe found into m: the
// computed attributes always, the arguments as git and Argo CD have them
// unless m holds the plan just applied.
func flattenApplicationDeployment(ctx context.Context, m *applicationDeploymentModel, obs engine.Observation[applicationdeployment.Spec, applicationdeployment.Status], applied bool) diag.Diagnostics {
	var diags diag.Diagnostics
	st := obs.Status
	m.ApplicationName = types.StringValue(st.ArgoCDNamespace + "/" + st.ApplicationName)
	m.GitOpsCommit = optionalString(st.GitOpsCommit)
	m.YAMLCommit = optionalString(st.YAMLCommit)
	m.SyncedRevision = optionalString(st.SyncedRevision)
	m.SyncStatus = optionalString(st.SyncStatus)
	m.HealthStatus = optionalString(st.HealthStatus)
	m.OperationPhase = optionalString(st.OperationPhase)
	m.OperationMessage = optionalString(st.OperationMessage)
	if applied {
		return diags
	}
	s := obs.Actual
	m.ID = types.StringValue(s.ID())
	m.Application = types.StringValue(s.Application)
	m.Site = types.StringValue(s.Site)
	m.Cluster = types.StringValue(s.Cluster)
	m.Namespace = types.StringValue(s.Namespace)
	img, d := types.ObjectValue(deploymentImageTypes, map[string]attr.Value{
		"repository": types.StringValue(s.Image.Repository), "tag": optionalString(s.Image.Tag), "digest": optionalString(s.Image.Digest),
	})
	diags.Append(d...)
	m.Image = img
	p := s.SyncPolicy
	if !p.Automated && !p.Prune && !p.SelfHeal && len(p.SyncOptions) == 0 && p.Retry == nil {
		m.SyncPolicy = types.ObjectNull(deploymentSyncPolicyTypes)
		return diags
	}
	opts := types.ListNull(types.StringType)
	if len(p.SyncOptions) > 0 {
		opts, d = types.ListValueFrom(ctx, types.StringType, p.SyncOptions)
		diags.Append(d...)
	}
	retry := types.ObjectNull(deploymentRetryTypes)
	if r := p.Retry; r != nil {
		retry, d = types.ObjectValue(deploymentRetryTypes, map[string]attr.Value{
			"limit": types.Int64Value(r.Limit), "backoff_duration": optionalString(r.BackoffDuration),
			"backoff_factor": optionalInt64(r.BackoffFactor), "backoff_max_duration": optionalString(r.BackoffMaxDuration),
		})
		diags.Append(d...)
	}
	m.SyncPolicy, d = types.ObjectValue(deploymentSyncPolicyTypes, map[string]attr.Value{
		"automated": types.BoolValue(p.Automated), "prune": types.BoolValue(p.Prune), "self_heal": types.BoolValue(p.SelfHeal),
		"sync_options": opts, "retry": retry,
	})
	diags.Append(d...)
	return diags
}

// importApplicationDeployment imports a deployment by
// <site>/<PROJECT>/<application>/<cluster>.
func importApplicationDeployment(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	site, application, cluster, err := applicationdeployment.ParseID(id)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import an application deployment as <site>/<PROJECT>/<application>/<cluster>: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("site"), site)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("application"), application)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("cluster"), cluster)...)
}

// orUnknownValue is s's value, or "unknown".
func orUnknownValue(s types.String) string {
	if s.IsNull() || s.IsUnknown() || s.ValueString() == "" {
		return "unknown"
	}
	return s.ValueString()
}
