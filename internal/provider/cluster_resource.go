package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
)

// Default timeouts of mc_cluster: provisioning bare-metal hosts takes long.
const (
	clusterCreateTimeout = 60 * time.Minute
	clusterUpdateTimeout = 60 * time.Minute
	clusterDeleteTimeout = 30 * time.Minute
)

// clusterKind is mc_cluster.
var clusterKind = &kind[clusterModel, cluster.Spec, cluster.Status]{
	typeName: "cluster",
	noun:     "cluster",
	schema:   clusterSchema,
	client:   func(d *providerData) (engine.Client[cluster.Spec, cluster.Status], error) { return d.clusterClient() },
	expand: func(ctx context.Context, plan, _ *clusterModel) (cluster.Spec, diag.Diagnostics) {
		return expandCluster(ctx, *plan)
	},
	flatten:       flattenClusterObservation,
	readWithSpec:  true,
	id:            func(m *clusterModel) *types.String { return &m.ID },
	timeouts:      func(m *clusterModel) timeouts.Value { return m.Timeouts },
	createTimeout: clusterCreateTimeout, updateTimeout: clusterUpdateTimeout, deleteTimeout: clusterDeleteTimeout,
	attributePaths: clusterAttributePaths,
	ready:          func(m *clusterModel) *types.Bool { return &m.Ready },
	resumed: map[string]attr.Value{
		"control_plane_ready": types.BoolUnknown(), "ready_workers": types.Int64Unknown(), "phase": types.StringUnknown(),
		"endpoint": types.StringUnknown(), "observed_kubernetes_version": types.StringUnknown(), "argocd_cluster_name": types.StringUnknown(),
	},
	progress:     func(m *clusterModel) string { return "phase " + orUnknownPhase(m.Phase) },
	validateSpec: cluster.ValidatePartial,
	planCreate:   planClusterCreate,
	planUpdate:   planClusterUpdate,
	importState:  importCluster,
	beforeDelete: refuseProtectedCluster,
}

// NewClusterResource returns the mc_cluster resource.
func NewClusterResource() resource.Resource { return newResource(clusterKind)() }

type clusterModel struct {
	ID                        types.String   `tfsdk:"id"`
	Site                      types.String   `tfsdk:"site"`
	Namespace                 types.String   `tfsdk:"namespace"`
	Name                      types.String   `tfsdk:"name"`
	KubernetesVersion         types.String   `tfsdk:"kubernetes_version"`
	ControlPlane              types.Object   `tfsdk:"control_plane"`
	WorkerPools               types.List     `tfsdk:"worker_pools"`
	Topology                  types.Object   `tfsdk:"topology"`
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

func clusterSchema(ctx context.Context) schema.Schema {
	stringMapAttr := func(desc string) schema.MapAttribute {
		return schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	return schema.Schema{
		MarkdownDescription: "A Cluster API workload cluster at a site: a `Cluster` with a kubeadm control plane and one `MachineDeployment` per " +
			"worker pool on the site's management cluster, on bring-your-own hosts (`byoh`, the default) or on Cluster API's in-memory " +
			"backend (`in_memory`, for development and tests); or a topology cluster of a Cluster API `ClusterClass` (`topology`), whose " +
			"control plane and `MachineDeployment`s Cluster API's topology controller makes from the class.\n\n" +
			"Create waits until the control plane is ready, the cluster is Available and every pool has its ready replicas (for a topology " +
			"cluster, also until the topology controller has reconciled the `Cluster`'s latest change), then registers " +
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
				Default:             stringdefault.StaticString(cluster.DefaultNamespace),
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
						Default:             int64default.StaticInt64(cluster.DefaultControlPlaneReplicas),
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
						Default:             int64default.StaticInt64(cluster.DefaultWorkerReplicas),
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
			"topology": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Makes the cluster a topology cluster of a Cluster API `ClusterClass`: the `Cluster`'s `spec.topology` holds " +
					"`kubernetes_version`, `control_plane.replicas`, the worker machine deployments (`workers`) and the class's `variables`, and Cluster " +
					"API's topology controller makes and changes the control plane, the `MachineDeployment`s and their templates. Scaling and upgrades " +
					"change `spec.topology` and nothing else. Conflicts with `worker_pools`, `control_plane.endpoint` and `control_plane.host_selector` " +
					"(the class sets those, usually through variables). Set `infrastructure` to the class's provider (`in_memory` for CAPD's in-memory " +
					"classes). Adding `topology` to a cluster without it replaces the cluster; a topology cluster cannot be managed without it.",
				PlanModifiers: []planmodifier.Object{objectplanmodifier.RequiresReplaceIf(topologyAdded,
					"Adding topology to a cluster made without a ClusterClass replaces the cluster.",
					"Adding `topology` to a cluster made without a ClusterClass replaces the cluster.")},
				Attributes: map[string]schema.Attribute{
					"class": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Name of the `ClusterClass`. Changed in place (a rebase, which the class must allow).",
					},
					"class_namespace": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Namespace of the `ClusterClass`; default the cluster's `namespace`.",
						Validators:          []validator.String{dnsLabel()},
					},
					"variables": schema.MapAttribute{
						Optional:    true,
						ElementType: types.StringType,
						MarkdownDescription: "Values of the class's variables, each JSON text (write them with `jsonencode`, such as " +
							"`imageRepository = jsonencode(\"registry.example/k8s\")`). Checked at plan time against the class's variable schemas when " +
							"the class can be read, otherwise at apply. Variables the class defaults and the configuration leaves out are not reported. " +
							"Changed in place.",
					},
					"workers": schema.ListNestedAttribute{
						Optional:            true,
						MarkdownDescription: "Worker machine deployments of the topology. Adding, removing and scaling them changes `spec.topology` in place.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"name": schema.StringAttribute{
								Required:            true,
								MarkdownDescription: "Name of the machine deployment in the topology, a DNS-1123 label unique within the cluster.",
								Validators:          []validator.String{dnsLabel()},
							},
							"class": schema.StringAttribute{
								Required:            true,
								MarkdownDescription: "Worker class of the `ClusterClass` (`spec.workers.machineDeployments[].class`) it is made from.",
							},
							"replicas": schema.Int64Attribute{
								Optional:            true,
								Computed:            true,
								Default:             int64default.StaticInt64(cluster.DefaultWorkerReplicas),
								MarkdownDescription: "Number of worker machines. Default `1`. Scaled in place.",
								Validators:          []validator.Int64{int64validator.AtLeast(0)},
							},
						}},
					},
				},
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
				Default:  stringdefault.StaticString(cluster.DefaultInfrastructure),
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
				Default:  booldefault.StaticBool(cluster.DefaultArgoCDRegistration),
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

// topologyAdded reports whether a plan adds topology to a cluster that has
// none: Cluster API cannot turn a cluster into a topology cluster in place.
func topologyAdded(_ context.Context, req planmodifier.ObjectRequest, resp *objectplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = req.StateValue.IsNull() && !req.PlanValue.IsNull()
}

// planClusterCreate checks, at plan time, the site and the topology
// against its ClusterClass.
func planClusterCreate(ctx context.Context, data *providerData, plan clusterModel, diags *diag.Diagnostics) {
	checkClusterSite(ctx, data, plan, diags)
	checkClusterClass(ctx, data, plan, diags)
}

// planClusterUpdate refuses to manage a topology cluster without topology
// (as after importing one into a configuration written for worker_pools),
// saying what to write, and checks the topology against its ClusterClass.
func planClusterUpdate(ctx context.Context, data *providerData, plan, state clusterModel, diags *diag.Diagnostics) {
	if plan.Topology.IsNull() && !state.Topology.IsNull() && !state.Topology.IsUnknown() {
		diags.AddAttributeError(path.Root("topology"), "Topology cluster without topology",
			fmt.Sprintf("Cluster %q is a topology cluster of a ClusterClass: Cluster API's topology controller owns its control plane and "+
				"MachineDeployments and would undo direct changes. Describe it with a topology block instead of worker_pools, such as:\n\n%s",
				state.ID.ValueString(), topologyHint(ctx, state)))
		return
	}
	checkClusterClass(ctx, data, plan, diags)
}

// topologyHint is the topology block that describes the topology of state.
func topologyHint(ctx context.Context, state clusterModel) string {
	s, d := expandCluster(ctx, state)
	if d.HasError() || s.Topology == nil {
		return "topology {\n  class = \"...\"\n}"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "topology {\n  class = %q\n", s.Topology.Class)
	if s.Topology.ClassNamespace != "" {
		fmt.Fprintf(&b, "  class_namespace = %q\n", s.Topology.ClassNamespace)
	}
	if len(s.Topology.Variables) > 0 {
		b.WriteString("  variables = {\n")
		for _, k := range slices.Sorted(maps.Keys(s.Topology.Variables)) {
			fmt.Fprintf(&b, "    %s = jsonencode(%s)\n", k, s.Topology.Variables[k])
		}
		b.WriteString("  }\n")
	}
	b.WriteString("  workers = [\n")
	for _, w := range s.Topology.Workers {
		fmt.Fprintf(&b, "    { name = %q, class = %q, replicas = %d },\n", w.Name, w.Class, w.Replicas)
	}
	b.WriteString("  ]\n}")
	return b.String()
}

// checkClusterClass checks a planned topology against its ClusterClass
// when the class can be read: its variables, their values and its worker
// classes. It says nothing when the plan has unknown values, the platform
// cannot be reached or the class is not there (yet): apply checks again.
func checkClusterClass(ctx context.Context, data *providerData, plan clusterModel, diags *diag.Diagnostics) {
	if plan.Topology.IsNull() || plan.Topology.IsUnknown() || plan.Site.IsUnknown() || plan.Namespace.IsUnknown() {
		return
	}
	raw, err := plan.Topology.ToTerraformValue(ctx)
	if err != nil || !raw.IsFullyKnown() {
		return
	}
	s, d := expandCluster(ctx, plan)
	if d.HasError() || s.Topology == nil {
		return
	}
	clusters, err := data.clusterClient()
	if err != nil {
		return
	}
	err = clusters.ValidateAgainstClass(ctx, s)
	for _, in := range engine.InvalidInputs(err) {
		addEngineError(diags, "Invalid cluster", in, clusterAttributePaths)
	}
}

// checkClusterSite reports an unknown site when a plan creates a cluster.
// It only reads, and says nothing when the platform plane cannot be reached
// or the site is not known yet.
func checkClusterSite(ctx context.Context, data *providerData, plan clusterModel, diags *diag.Diagnostics) {
	siteName := plan.Site
	if siteName.IsNull() || siteName.IsUnknown() {
		return
	}
	sites, err := data.siteClient()
	if err != nil {
		return
	}
	if _, err := sites.Lookup(ctx, siteName.ValueString()); engine.IsNotFound(err) {
		diags.AddAttributeError(path.Root("site"), "Unknown site",
			fmt.Sprintf("Site %q is not registered in the platform plane (namespace %q). If the site is made in this configuration, set site = mc_site.<name>.id so that the cluster is planned after it",
				siteName.ValueString(), sites.Namespace()))
	}
}

func orUnknownPhase(v types.String) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return "unknown"
	}
	return v.ValueString()
}

// flattenClusterObservation writes what Observe found into m. A
// registration in Argo CD that waits for the cluster to be ready is reported
// by the engine as wanted, so it is no drift. An imported cluster starts
// with deletion protection.
func flattenClusterObservation(ctx context.Context, m *clusterModel, obs engine.Observation[cluster.Spec, cluster.Status], _ bool) diag.Diagnostics {
	diags := flattenCluster(ctx, m, obs.Actual, obs.Status)
	if m.DeletionProtection.IsNull() {
		m.DeletionProtection = types.BoolValue(true)
	}
	return diags
}

// refuseProtectedCluster refuses to delete a cluster whose
// deletion_protection is true.
func refuseProtectedCluster(_ context.Context, m clusterModel, diags *diag.Diagnostics) {
	if m.DeletionProtection.ValueBool() {
		diags.AddAttributeError(path.Root("deletion_protection"), "Cluster is protected from deletion",
			fmt.Sprintf("Cluster %q has deletion_protection = true. Set it to false and apply before destroying or replacing the cluster", m.ID.ValueString()))
	}
}

// importCluster imports a cluster by site/namespace/name, including
// clusters made outside this provider. deletion_protection starts at its
// default, true.
func importCluster(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	siteName, ns, name, err := cluster.ParseID(id)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", "Import a cluster by site/namespace/name, such as site-b/clusters/web-1")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("site"), siteName)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("namespace"), ns)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("deletion_protection"), true)...)
}
