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
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
)

var (
	_ resource.Resource                   = (*clusterResource)(nil)
	_ resource.ResourceWithConfigure      = (*clusterResource)(nil)
	_ resource.ResourceWithImportState    = (*clusterResource)(nil)
	_ resource.ResourceWithValidateConfig = (*clusterResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*clusterResource)(nil)
)

// Default timeouts of mc_cluster: provisioning bare-metal hosts takes long.
const (
	clusterCreateTimeout = 60 * time.Minute
	clusterUpdateTimeout = 60 * time.Minute
	clusterDeleteTimeout = 30 * time.Minute
)

// defaultClusterNamespace is the management cluster namespace of a cluster
// whose namespace is not set.
const defaultClusterNamespace = "default"

// NewClusterResource returns the mc_cluster resource.
func NewClusterResource() resource.Resource { return &clusterResource{} }

type clusterResource struct {
	data *providerData
}

type clusterModel struct {
	ID                        types.String   `tfsdk:"id"`
	Site                      types.String   `tfsdk:"site"`
	Namespace                 types.String   `tfsdk:"namespace"`
	Name                      types.String   `tfsdk:"name"`
	KubernetesVersion         types.String   `tfsdk:"kubernetes_version"`
	ControlPlane              types.Object   `tfsdk:"control_plane"`
	WorkerPools               types.List     `tfsdk:"worker_pools"`
	PodCIDRs                  types.List     `tfsdk:"pod_cidrs"`
	ServiceCIDRs              types.List     `tfsdk:"service_cidrs"`
	Infrastructure            types.String   `tfsdk:"infrastructure"`
	Labels                    types.Map      `tfsdk:"labels"`
	ArgoCDRegistration        types.Bool     `tfsdk:"argocd_registration"`
	DeletionProtection        types.Bool     `tfsdk:"deletion_protection"`
	Phase                     types.String   `tfsdk:"phase"`
	Endpoint                  types.String   `tfsdk:"endpoint"`
	ReadyWorkers              types.Int64    `tfsdk:"ready_workers"`
	ControlPlaneReady         types.Bool     `tfsdk:"control_plane_ready"`
	ObservedKubernetesVersion types.String   `tfsdk:"observed_kubernetes_version"`
	ArgoCDClusterName         types.String   `tfsdk:"argocd_cluster_name"`
	Ready                     types.Bool     `tfsdk:"ready"`
	Conditions                types.List     `tfsdk:"conditions"`
	Timeouts                  timeouts.Value `tfsdk:"timeouts"`
}

func (r *clusterResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster"
}

func (r *clusterResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	stringMapAttr := func(desc string) schema.MapAttribute {
		return schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Cluster API workload cluster at a site: a `Cluster` with a kubeadm control plane and one `MachineDeployment` per " +
			"worker pool on the site's management cluster, on bring-your-own hosts (`byoh`, the default) or on Cluster API's in-memory " +
			"backend (`in_memory`, for development and tests).\n\n" +
			"Create waits until the control plane is ready, the cluster is Available and every pool has its ready replicas, then registers " +
			"the cluster in the site's Argo CD (unless `argocd_registration` is false). A create or update that outlives its timeout keeps the " +
			"cluster in state with a warning; the next apply resumes waiting. Delete is refused while `deletion_protection` is true, and otherwise " +
			"waits until every machine is gone.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`site/namespace/name`, the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"site": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the site whose management cluster runs the cluster. Reference `mc_site.<name>.id` when the site is made in the " +
					"same configuration, so that the cluster waits for it. Changing it replaces the cluster.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{dnsLabel()},
			},
			"namespace": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(defaultClusterNamespace),
				MarkdownDescription: "Namespace of the Cluster API objects on the management cluster; created when missing. Default `default`. Changing it replaces the cluster.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{dnsLabel()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the cluster, a DNS-1123 label; also its Argo CD cluster name. Changing it replaces the cluster.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{dnsLabel()},
			},
			"kubernetes_version": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Kubernetes version, such as `v1.36.0`. Changing it upgrades the control plane and then every pool in place " +
					"(a rolling replacement of the machines) and waits for the rollout.",
				Validators: []validator.String{stringvalidator.RegexMatches(cluster.VersionPattern, "must be a Kubernetes version such as v1.36.0")},
			},
			"control_plane": schema.SingleNestedAttribute{
				Required:            true,
				MarkdownDescription: "The kubeadm control plane.",
				Attributes: map[string]schema.Attribute{
					"replicas": schema.Int64Attribute{
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(1),
						MarkdownDescription: "Number of control plane machines: odd (etcd needs a majority) and at least 1. Default `1`. Scaled in place.",
						Validators:          []validator.Int64{int64validator.AtLeast(1)},
					},
					"endpoint": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "Fixed control plane endpoint `host:port`, such as `10.0.0.10:6443`: a virtual IP (served by kube-vip on the " +
							"control plane hosts) or a load balancer. Required for `byoh`; must be unset for `in_memory`, whose endpoint Cluster API assigns. " +
							"Changing it replaces the cluster.",
						PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
					},
					"host_selector": schema.MapAttribute{
						Optional:    true,
						ElementType: types.StringType,
						MarkdownDescription: "Labels a BYOH host must carry to be used by the control plane (`byoh` only), so that it does not " +
							"claim hosts meant for a worker pool. Changing it replaces the cluster.",
						PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
					},
				},
			},
			"worker_pools": schema.ListNestedAttribute{
				Optional: true,
				MarkdownDescription: "Worker pools, one `MachineDeployment` each. Everything here changes in place: adding or removing a pool, " +
					"scaling it, its labels, and its `host_selector` or `taints`, which roll the pool's machines over to new templates (the update waits " +
					"for the rollout).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Name of the pool, a DNS-1123 label unique within the cluster; the MachineDeployment is `<cluster>-<pool>`.",
						Validators:          []validator.String{dnsLabel()},
					},
					"replicas": schema.Int64Attribute{
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(1),
						MarkdownDescription: "Number of worker machines. Default `1`. Scaled in place.",
						Validators:          []validator.Int64{int64validator.AtLeast(0)},
					},
					"host_selector": stringMapAttr("Labels a BYOH host must carry to be used by this pool (`byoh` only)."),
					"labels":        stringMapAttr("Labels of the pool's machines; Cluster API copies those under `node-role.kubernetes.io/`, `node-restriction.kubernetes.io/` and `node.cluster.x-k8s.io/` onto the nodes. Changed in place."),
					"taints": schema.ListNestedAttribute{
						Optional:            true,
						MarkdownDescription: "Taints the pool's nodes get when they join.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"key":    schema.StringAttribute{Required: true, MarkdownDescription: "Taint key."},
							"value":  schema.StringAttribute{Optional: true, MarkdownDescription: "Taint value."},
							"effect": schema.StringAttribute{Required: true, MarkdownDescription: "`NoSchedule`, `PreferNoSchedule` or `NoExecute`.", Validators: []validator.String{stringvalidator.OneOf("NoSchedule", "PreferNoSchedule", "NoExecute")}},
						}},
					},
				}},
			},
			"pod_cidrs": schema.ListAttribute{
				Optional:            true,
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Pod network CIDR blocks. Default `[\"" + cluster.DefaultPodCIDR + "\"]`. Must not overlap `service_cidrs`. Changing it replaces the cluster.",
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown(), listplanmodifier.RequiresReplace()},
			},
			"service_cidrs": schema.ListAttribute{
				Optional:            true,
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Service network CIDR blocks. Default `[\"" + cluster.DefaultServiceCIDR + "\"]`. Changing it replaces the cluster.",
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown(), listplanmodifier.RequiresReplace()},
			},
			"infrastructure": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(cluster.InfrastructureBYOH),
				MarkdownDescription: "Infrastructure provider: `byoh` (Cluster API bring-your-own-host, the default) or `in_memory` (Cluster API's in-memory " +
					"backend: fake machines for development and tests). Changing it replaces the cluster.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.OneOf(cluster.InfrastructureBYOH, cluster.InfrastructureInMemory)},
			},
			"labels": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Labels of the `Cluster` object, copied onto its Argo CD cluster Secret so that ApplicationSets and projects can select it. Changed in place.",
			},
			"argocd_registration": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
				MarkdownDescription: "Register the cluster in the site's Argo CD once it is ready (a cluster Secret named after the cluster, with the " +
					"server and credentials from Cluster API's kubeconfig Secret), so that applications can target it by name. Default `true`.",
			},
			"deletion_protection": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Refuse to delete the cluster. Default `true`: set it to `false` and apply before destroying or replacing the cluster.",
			},
			"phase": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Cluster API phase of the cluster: `Pending`, `Provisioning`, `Provisioned`, `Deleting` or `Failed`.",
			},
			"endpoint": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Control plane endpoint URL, `https://host:port`, once known.",
			},
			"ready_workers": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Number of ready worker machines over all pools.",
			},
			"control_plane_ready": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether every control plane machine is ready and runs `kubernetes_version`.",
			},
			"observed_kubernetes_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Lowest Kubernetes version the control plane machines run.",
			},
			"argocd_cluster_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Name of the cluster in the site's Argo CD; null while it is not registered.",
			},
			"ready": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Whether the cluster is ready: control plane ready, Available, every pool at its ready replicas. A cluster that is not " +
					"ready (a create or update that outlived its timeout) plans an update, which resumes waiting.",
			},
			"conditions": conditionsAttribute("Cluster API conditions of the `Cluster`, such as `Available`, `ControlPlaneAvailable`, `WorkersAvailable`."),
			"timeouts":   timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func (r *clusterResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *clusterResource) client(diags *diag.Diagnostics) *cluster.Client {
	return engineClient(r.data, diags, (*providerData).clusterClient)
}

// ValidateConfig reports bad input at validate and plan time. Values not
// known yet are replaced by valid placeholders, so that what is known is
// still checked.
func (r *clusterResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m clusterModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec, diags := expandCluster(ctx, withPlaceholders(ctx, m))
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := cluster.Validate(spec); err != nil {
		addEngineError(&resp.Diagnostics, "Invalid cluster", err, clusterAttributePaths)
	}
}

// withPlaceholders returns m with every unknown value replaced by a valid
// one (or null), for validation.
func withPlaceholders(ctx context.Context, m clusterModel) clusterModel {
	str := func(v types.String, placeholder string) types.String {
		if v.IsUnknown() {
			return types.StringValue(placeholder)
		}
		return v
	}
	m.Site = str(m.Site, "placeholder")
	m.Namespace = str(m.Namespace, defaultClusterNamespace)
	m.Name = str(m.Name, "placeholder")
	m.KubernetesVersion = str(m.KubernetesVersion, "v1.36.0")
	if m.ControlPlane.IsUnknown() {
		m.ControlPlane = types.ObjectValueMust(controlPlaneTypes, map[string]attr.Value{
			"replicas": types.Int64Value(1), "endpoint": types.StringUnknown(), "host_selector": types.MapNull(types.StringType),
		})
	}
	if m.Infrastructure.IsUnknown() {
		// Assume the infrastructure the control plane's endpoint suits.
		m.Infrastructure = types.StringValue(cluster.InfrastructureInMemory)
		if !m.ControlPlane.IsNull() && !m.ControlPlane.Attributes()["endpoint"].IsNull() {
			m.Infrastructure = types.StringValue(cluster.InfrastructureBYOH)
		}
	}
	for _, l := range []*types.List{&m.PodCIDRs, &m.ServiceCIDRs} {
		if l.IsUnknown() || hasUnknownElement(*l) {
			*l = types.ListNull(types.StringType)
		}
	}
	if m.Labels.IsUnknown() || hasUnknownElement(m.Labels) {
		m.Labels = types.MapNull(types.StringType)
	}
	if !m.ControlPlane.IsNull() && !m.ControlPlane.IsUnknown() {
		attrs := m.ControlPlane.Attributes()
		if attrs["replicas"].IsUnknown() {
			attrs["replicas"] = types.Int64Value(1)
		}
		if attrs["host_selector"].IsUnknown() || hasUnknownElement(attrs["host_selector"]) {
			attrs["host_selector"] = types.MapNull(types.StringType)
		}
		if attrs["endpoint"].IsUnknown() {
			// A placeholder that suits the infrastructure.
			attrs["endpoint"] = types.StringNull()
			if m.Infrastructure.IsNull() || m.Infrastructure.ValueString() == cluster.InfrastructureBYOH {
				attrs["endpoint"] = types.StringValue("placeholder.invalid:6443")
			}
		}
		m.ControlPlane = types.ObjectValueMust(controlPlaneTypes, attrs)
	}
	if m.WorkerPools.IsUnknown() {
		m.WorkerPools = types.ListNull(types.ObjectType{AttrTypes: workerPoolTypes})
	} else if !m.WorkerPools.IsNull() {
		var pools []workerPoolModel
		m.WorkerPools.ElementsAs(ctx, &pools, false)
		var elems []workerPoolModel
		for i, p := range pools {
			p.Name = str(p.Name, fmt.Sprintf("placeholder-%d", i))
			if p.Replicas.IsUnknown() {
				p.Replicas = types.Int64Value(1)
			}
			for _, mp := range []*types.Map{&p.HostSelector, &p.Labels} {
				if mp.IsUnknown() || hasUnknownElement(*mp) {
					*mp = types.MapNull(types.StringType)
				}
			}
			if p.Taints.IsUnknown() || hasUnknownElement(p.Taints) {
				p.Taints = types.ListNull(types.ObjectType{AttrTypes: taintTypes})
			}
			elems = append(elems, p)
		}
		m.WorkerPools, _ = types.ListValueFrom(ctx, types.ObjectType{AttrTypes: workerPoolTypes}, elems)
	}
	return m
}

// ModifyPlan checks at plan time that the site exists (read-only), and plans
// an update for a cluster that is not ready yet, so that the next apply
// resumes waiting.
func (r *clusterResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	if req.State.Raw.IsNull() {
		r.checkSite(ctx, req.Plan, &resp.Diagnostics)
		return
	}
	planResumedWait(ctx, req, resp, map[string]attr.Value{
		"control_plane_ready": types.BoolUnknown(), "ready_workers": types.Int64Unknown(), "phase": types.StringUnknown(),
		"endpoint": types.StringUnknown(), "observed_kubernetes_version": types.StringUnknown(), "argocd_cluster_name": types.StringUnknown(),
	})
}

// checkSite reports an unknown site at plan time. It only reads, and says
// nothing when the platform plane cannot be reached or the site is not known
// yet.
func (r *clusterResource) checkSite(ctx context.Context, plan tfsdk.Plan, diags *diag.Diagnostics) {
	var siteName types.String
	diags.Append(plan.GetAttribute(ctx, path.Root("site"), &siteName)...)
	if r.data == nil || siteName.IsNull() || siteName.IsUnknown() {
		return
	}
	sites, err := r.data.siteClient()
	if err != nil {
		return
	}
	if _, err := sites.Lookup(ctx, siteName.ValueString()); engine.IsNotFound(err) {
		diags.AddAttributeError(path.Root("site"), "Unknown site",
			fmt.Sprintf("Site %q is not registered in the platform plane (namespace %q). If the site is made in this configuration, set site = mc_site.<name>.id so that the cluster is planned after it",
				siteName.ValueString(), sites.Namespace()))
	}
}

func (r *clusterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply(ctx, true, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *clusterResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply(ctx, false, req.Plan, &resp.State, &resp.Diagnostics)
}

// apply is Create and Update: the engine call, then the wait until the
// cluster is ready and, once ready, its Argo CD registration.
func (r *clusterResource) apply(ctx context.Context, creating bool, planIn tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	var plan clusterModel
	diags.Append(planIn.Get(ctx, &plan)...)
	c := r.client(diags)
	if diags.HasError() || c == nil {
		return
	}
	verb := "updating"
	timeout, d := plan.Timeouts.Update(ctx, clusterUpdateTimeout)
	if creating {
		verb = "creating"
		timeout, d = plan.Timeouts.Create(ctx, clusterCreateTimeout)
	}
	diags.Append(d...)
	spec, d := expandCluster(ctx, plan)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := plan.ID.ValueString()
	var err error
	if creating {
		id, err = c.Create(ctx, spec)
	} else {
		err = c.Update(ctx, id, spec)
	}
	if err != nil {
		addEngineError(diags, "Error "+verb+" cluster", err, clusterAttributePaths)
		return
	}
	plan.ID = types.StringValue(id)
	obs, err := settleCluster(ctx, c, id, spec)
	if obs.Exists {
		// A cluster that is not ready yet cannot be registered in Argo CD:
		// the argument keeps what was asked for until it can.
		wanted := plan.ArgoCDRegistration
		diags.Append(flattenCluster(ctx, &plan, obs.Actual, obs.Status)...)
		plan.ArgoCDRegistration = wanted
	}
	plan.Ready = types.BoolValue(obs.Ready && obs.UpToDate)
	switch {
	case err == nil:
	case engine.IsTimeout(err) || ctx.Err() != nil:
		diags.AddWarning("Cluster not ready yet", fmt.Sprintf("Cluster %q is not ready after the %s timeout (phase %s): %s. It stays in state; the next apply resumes waiting",
			id, verb, orUnknownPhase(plan.Phase), obs.Message))
	default:
		addEngineError(diags, "Error "+verb+" cluster", err, clusterAttributePaths)
	}
	diags.Append(state.Set(ctx, &plan)...)
}

func orUnknownPhase(v types.String) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return "unknown"
	}
	return v.ValueString()
}

// settleCluster waits until the cluster is ready and then brings what only
// a ready cluster can have (its Argo CD registration) up to date. The
// context's deadline is the resource's timeout.
func settleCluster(ctx context.Context, c *cluster.Client, id string, want cluster.Spec) (engine.Observation[cluster.Spec, cluster.Status], error) {
	for attempt := 0; ; attempt++ {
		remaining := time.Hour
		if deadline, ok := ctx.Deadline(); ok {
			remaining = time.Until(deadline)
		}
		obs, err := waitReady(ctx, c.Observe, c.Trigger, id, want, remaining)
		if err != nil || obs.UpToDate || attempt == 2 {
			return obs, err
		}
		if err := c.Update(ctx, id, want); err != nil {
			return obs, err
		}
	}
}

func (r *clusterResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state clusterModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	want, diags := expandCluster(ctx, state)
	resp.Diagnostics.Append(diags...)
	id := state.ID.ValueString()
	obs, err := c.Observe(ctx, id, want)
	if err != nil {
		resp.Diagnostics.AddError("Error reading cluster", fmt.Sprintf("Cannot read cluster %q: %s", id, engineErrorDetail(err)))
		return
	}
	if !obs.Exists {
		resp.State.RemoveResource(ctx)
		return
	}
	wanted := state.ArgoCDRegistration
	resp.Diagnostics.Append(flattenCluster(ctx, &state, obs.Actual, obs.Status)...)
	if !obs.Ready && wanted.ValueBool() {
		state.ArgoCDRegistration = wanted // registered once ready, not drift before
	}
	// Whether the cluster matches the configuration shows in the plan; ready
	// says whether Cluster API reports it ready.
	state.Ready = types.BoolValue(obs.Ready)
	if state.DeletionProtection.IsNull() {
		state.DeletionProtection = types.BoolValue(true)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *clusterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state clusterModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	id := state.ID.ValueString()
	if state.DeletionProtection.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("deletion_protection"), "Cluster is protected from deletion",
			fmt.Sprintf("Cluster %q has deletion_protection = true. Set it to false and apply before destroying or replacing the cluster", id))
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, clusterDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if err := deleteUntilGone(ctx, c.Delete, c.Observe, c.Trigger, id, timeout); err != nil {
		if engine.IsTimeout(err) {
			resp.Diagnostics.AddError("Error deleting cluster", fmt.Sprintf("Cluster %q is still being deleted after the delete timeout: %s. Run destroy again to resume", id, err))
			return
		}
		addEngineError(&resp.Diagnostics, "Error deleting cluster", err, clusterAttributePaths)
	}
}

// ImportState imports a cluster by site/namespace/name, including clusters
// made outside this provider. deletion_protection starts at its default,
// true.
func (r *clusterResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	siteName, ns, name, err := cluster.ParseID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", "Import a cluster by site/namespace/name, such as site-b/clusters/web-1")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("site"), siteName)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("namespace"), ns)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("deletion_protection"), true)...)
}
