package provider

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
)

type controlPlaneModel struct {
	Replicas     types.Int64  `tfsdk:"replicas"`
	Endpoint     types.String `tfsdk:"endpoint"`
	HostSelector types.Map    `tfsdk:"host_selector"`
}

type workerPoolModel struct {
	Name         types.String `tfsdk:"name"`
	Replicas     types.Int64  `tfsdk:"replicas"`
	HostSelector types.Map    `tfsdk:"host_selector"`
	Labels       types.Map    `tfsdk:"labels"`
	Taints       types.List   `tfsdk:"taints"`
}

type topologyModel struct {
	Class          types.String `tfsdk:"class"`
	ClassNamespace types.String `tfsdk:"class_namespace"`
	Variables      types.Map    `tfsdk:"variables"`
	Workers        types.List   `tfsdk:"workers"`
}

type topologyWorkerModel struct {
	Name     types.String `tfsdk:"name"`
	Class    types.String `tfsdk:"class"`
	Replicas types.Int64  `tfsdk:"replicas"`
}

type taintModel struct {
	Key    types.String `tfsdk:"key"`
	Value  types.String `tfsdk:"value"`
	Effect types.String `tfsdk:"effect"`
}

var (
	controlPlaneTypes   = map[string]attr.Type{"replicas": types.Int64Type, "endpoint": types.StringType, "host_selector": types.MapType{ElemType: types.StringType}}
	topologyWorkerTypes = map[string]attr.Type{"name": types.StringType, "class": types.StringType, "replicas": types.Int64Type}
	topologyTypes       = map[string]attr.Type{
		"class": types.StringType, "class_namespace": types.StringType, "variables": types.MapType{ElemType: types.StringType},
		"workers": types.ListType{ElemType: types.ObjectType{AttrTypes: topologyWorkerTypes}},
	}
	taintTypes      = map[string]attr.Type{"key": types.StringType, "value": types.StringType, "effect": types.StringType}
	workerPoolTypes = map[string]attr.Type{
		"name": types.StringType, "replicas": types.Int64Type,
		"host_selector": types.MapType{ElemType: types.StringType}, "labels": types.MapType{ElemType: types.StringType},
		"taints": types.ListType{ElemType: types.ObjectType{AttrTypes: taintTypes}},
	}
)

// clusterAttributePaths maps the engine's argument names onto this schema's.
var clusterAttributePaths = map[string]string{
	"control_plane.endpoint_host": "control_plane.endpoint",
	"control_plane.endpoint_port": "control_plane.endpoint",
}

// expandCluster builds the engine spec from a plan or configuration. Unknown
// values expand to their zero value: callers check for unknowns first when
// that matters (validation).
func expandCluster(ctx context.Context, m clusterModel) (cluster.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := cluster.Spec{
		Site: m.Site.ValueString(), Namespace: m.Namespace.ValueString(), Name: m.Name.ValueString(),
		KubernetesVersion: m.KubernetesVersion.ValueString(), Infrastructure: m.Infrastructure.ValueString(),
		ArgoCDRegistration: m.ArgoCDRegistration.ValueBool(),
	}
	if m.Namespace.IsNull() {
		s.Namespace = cluster.DefaultNamespace
	}
	if m.Infrastructure.IsNull() {
		s.Infrastructure = cluster.DefaultInfrastructure
	}
	if m.ArgoCDRegistration.IsNull() {
		s.ArgoCDRegistration = cluster.DefaultArgoCDRegistration
	}
	var d diag.Diagnostics
	s.Labels, d = stringMap(ctx, m.Labels)
	diags.Append(d...)
	diags.Append(m.PodCIDRs.ElementsAs(ctx, &s.PodCIDRs, true)...)
	diags.Append(m.ServiceCIDRs.ElementsAs(ctx, &s.ServiceCIDRs, true)...)
	if !m.ControlPlane.IsNull() && !m.ControlPlane.IsUnknown() {
		var cp controlPlaneModel
		diags.Append(m.ControlPlane.As(ctx, &cp, basetypes.ObjectAsOptions{})...)
		s.ControlPlane.Replicas = cp.Replicas.ValueInt64()
		if cp.Replicas.IsNull() {
			s.ControlPlane.Replicas = cluster.DefaultControlPlaneReplicas
		}
		s.ControlPlane.HostSelector, d = stringMap(ctx, cp.HostSelector)
		diags.Append(d...)
		if !cp.Endpoint.IsNull() && !cp.Endpoint.IsUnknown() {
			host, port, err := splitEndpoint(cp.Endpoint.ValueString())
			if err != nil {
				diags.AddAttributeError(path.Root("control_plane").AtName("endpoint"), "Invalid control plane endpoint",
					capitalize(err.Error())+" (argument control_plane.endpoint)")
			}
			s.ControlPlane.EndpointHost, s.ControlPlane.EndpointPort = host, port
		}
	}
	if !m.WorkerPools.IsNull() && !m.WorkerPools.IsUnknown() {
		var pools []workerPoolModel
		diags.Append(m.WorkerPools.ElementsAs(ctx, &pools, false)...)
		for _, p := range pools {
			wp := cluster.WorkerPool{Name: p.Name.ValueString(), Replicas: p.Replicas.ValueInt64()}
			if p.Replicas.IsNull() {
				wp.Replicas = cluster.DefaultWorkerReplicas
			}
			wp.HostSelector, d = stringMap(ctx, p.HostSelector)
			diags.Append(d...)
			wp.Labels, d = stringMap(ctx, p.Labels)
			diags.Append(d...)
			if !p.Taints.IsNull() && !p.Taints.IsUnknown() {
				var taints []taintModel
				diags.Append(p.Taints.ElementsAs(ctx, &taints, false)...)
				for _, t := range taints {
					wp.Taints = append(wp.Taints, cluster.Taint{Key: t.Key.ValueString(), Value: t.Value.ValueString(), Effect: t.Effect.ValueString()})
				}
			}
			s.WorkerPools = append(s.WorkerPools, wp)
		}
	}
	if !m.Topology.IsNull() && !m.Topology.IsUnknown() {
		var t topologyModel
		diags.Append(m.Topology.As(ctx, &t, basetypes.ObjectAsOptions{})...)
		s.Topology = &cluster.Topology{Class: t.Class.ValueString(), ClassNamespace: t.ClassNamespace.ValueString()}
		s.Topology.Variables, d = stringMap(ctx, t.Variables)
		diags.Append(d...)
		if !t.Workers.IsNull() && !t.Workers.IsUnknown() {
			var workers []topologyWorkerModel
			diags.Append(t.Workers.ElementsAs(ctx, &workers, false)...)
			for _, w := range workers {
				tw := cluster.TopologyWorker{Name: w.Name.ValueString(), Class: w.Class.ValueString(), Replicas: w.Replicas.ValueInt64()}
				if w.Replicas.IsNull() {
					tw.Replicas = cluster.DefaultWorkerReplicas
				}
				s.Topology.Workers = append(s.Topology.Workers, tw)
			}
		}
	}
	return s, diags
}

// flattenTopology is the topology value of t; prior is the value before
// (plan or state): a class namespace written out and JSON text that says
// the same as what was read stay as written.
func flattenTopology(ctx context.Context, t *cluster.Topology, namespace string, prior types.Object) (types.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	if t == nil {
		return types.ObjectNull(topologyTypes), diags
	}
	var was topologyModel
	if !prior.IsNull() && !prior.IsUnknown() {
		diags.Append(prior.As(ctx, &was, basetypes.ObjectAsOptions{})...)
	}
	classNamespace := optionalString(t.ClassNamespace)
	if t.ClassNamespace == "" && was.ClassNamespace.ValueString() == namespace {
		classNamespace = was.ClassNamespace
	}
	variables := types.MapNull(types.StringType)
	if len(t.Variables) > 0 || (!was.Variables.IsNull() && !was.Variables.IsUnknown()) {
		priorText := map[string]string{}
		if !was.Variables.IsNull() && !was.Variables.IsUnknown() {
			diags.Append(was.Variables.ElementsAs(ctx, &priorText, false)...)
		}
		elems := map[string]attr.Value{}
		for k, v := range t.Variables {
			if p, ok := priorText[k]; ok && cluster.SameJSON(p, v) {
				v = p
			}
			elems[k] = types.StringValue(v)
		}
		variables = types.MapValueMust(types.StringType, elems)
	}
	workerType := types.ObjectType{AttrTypes: topologyWorkerTypes}
	workers := types.ListNull(workerType)
	if len(t.Workers) > 0 || (!was.Workers.IsNull() && !was.Workers.IsUnknown()) {
		items := []attr.Value{}
		for _, w := range t.Workers {
			items = append(items, types.ObjectValueMust(topologyWorkerTypes, map[string]attr.Value{
				"name": types.StringValue(w.Name), "class": types.StringValue(w.Class), "replicas": types.Int64Value(w.Replicas),
			}))
		}
		workers = types.ListValueMust(workerType, items)
	}
	return types.ObjectValueMust(topologyTypes, map[string]attr.Value{
		"class": types.StringValue(t.Class), "class_namespace": classNamespace, "variables": variables, "workers": workers,
	}), diags
}

// splitEndpoint splits "host:port" into its parts.
func splitEndpoint(endpoint string) (string, int64, error) {
	host, portText, err := net.SplitHostPort(endpoint)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port, such as 10.0.0.10:6443", endpoint)
	}
	port, err := strconv.ParseInt(portText, 10, 64)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("%q has no valid port number (1-65535)", endpoint)
	}
	if host == "" {
		return "", 0, fmt.Errorf("%q has no host", endpoint)
	}
	return host, port, nil
}

// flattenCluster writes the observed cluster into m. prior is the value m
// held before (plan or state): empty maps and lists the user wrote stay
// empty instead of becoming null, so that they do not show as a change.
func flattenCluster(ctx context.Context, m *clusterModel, s cluster.Spec, st cluster.Status) diag.Diagnostics {
	var diags diag.Diagnostics
	prior := *m
	m.ID = types.StringValue(cluster.ID(s))
	m.Site = types.StringValue(s.Site)
	m.Namespace = types.StringValue(s.Namespace)
	m.Name = types.StringValue(s.Name)
	m.KubernetesVersion = types.StringValue(s.KubernetesVersion)
	m.Infrastructure = types.StringValue(s.Infrastructure)
	m.ArgoCDRegistration = types.BoolValue(s.ArgoCDRegistration)
	m.Labels = flattenStringMap(s.Labels, prior.Labels)
	m.PodCIDRs = flattenStringList(s.PodCIDRs)
	m.ServiceCIDRs = flattenStringList(s.ServiceCIDRs)
	endpoint := types.StringNull()
	if s.ControlPlane.EndpointHost != "" {
		endpoint = types.StringValue(net.JoinHostPort(s.ControlPlane.EndpointHost, strconv.FormatInt(s.ControlPlane.EndpointPort, 10)))
	}
	var priorSelector types.Map
	if !prior.ControlPlane.IsNull() && !prior.ControlPlane.IsUnknown() {
		priorSelector, _ = prior.ControlPlane.Attributes()["host_selector"].(types.Map)
	}
	m.ControlPlane = types.ObjectValueMust(controlPlaneTypes, map[string]attr.Value{
		"replicas": types.Int64Value(s.ControlPlane.Replicas), "endpoint": endpoint,
		"host_selector": flattenStringMap(s.ControlPlane.HostSelector, priorSelector),
	})

	priorPools := map[string]workerPoolModel{}
	if !prior.WorkerPools.IsNull() && !prior.WorkerPools.IsUnknown() {
		var pools []workerPoolModel
		diags.Append(prior.WorkerPools.ElementsAs(ctx, &pools, false)...)
		for _, p := range pools {
			priorPools[p.Name.ValueString()] = p
		}
	}
	poolType := types.ObjectType{AttrTypes: workerPoolTypes}
	if len(s.WorkerPools) == 0 {
		m.WorkerPools = types.ListNull(poolType)
		if !prior.WorkerPools.IsNull() && !prior.WorkerPools.IsUnknown() {
			m.WorkerPools = types.ListValueMust(poolType, nil)
		}
	} else {
		var pools []attr.Value
		for _, p := range s.WorkerPools {
			was := priorPools[p.Name]
			taints := types.ListNull(types.ObjectType{AttrTypes: taintTypes})
			if len(p.Taints) > 0 || (!was.Taints.IsNull() && !was.Taints.IsUnknown()) {
				var items []attr.Value
				for _, t := range p.Taints {
					items = append(items, types.ObjectValueMust(taintTypes, map[string]attr.Value{
						"key": types.StringValue(t.Key), "value": optionalString(t.Value), "effect": types.StringValue(t.Effect),
					}))
				}
				taints = types.ListValueMust(types.ObjectType{AttrTypes: taintTypes}, items)
			}
			pools = append(pools, types.ObjectValueMust(workerPoolTypes, map[string]attr.Value{
				"name": types.StringValue(p.Name), "replicas": types.Int64Value(p.Replicas),
				"host_selector": flattenStringMap(p.HostSelector, was.HostSelector),
				"labels":        flattenStringMap(p.Labels, was.Labels),
				"taints":        taints,
			}))
		}
		m.WorkerPools = types.ListValueMust(poolType, pools)
	}
	var d diag.Diagnostics
	m.Topology, d = flattenTopology(ctx, s.Topology, s.Namespace, prior.Topology)
	diags.Append(d...)
	diags.Append(flattenClusterStatus(m, st)...)
	return diags
}

// flattenClusterStatus writes the computed attributes into m.
func flattenClusterStatus(m *clusterModel, st cluster.Status) diag.Diagnostics {
	m.Phase = optionalString(st.Phase)
	m.Endpoint = optionalString(st.Endpoint)
	m.ReadyWorkers = types.Int64Value(st.ReadyWorkers)
	m.ControlPlaneReady = types.BoolValue(st.ControlPlaneReady)
	m.ObservedKubernetesVersion = optionalString(st.ObservedKubernetesVersion)
	m.ArgoCDClusterName = optionalString(st.ArgoCDClusterName)
	m.Conditions = conditionsValue(st.Conditions)
	return nil
}

// flattenStringMap returns v as a map value; an empty v is null unless prior
// was an empty map.
func flattenStringMap(v map[string]string, prior types.Map) types.Map {
	if len(v) == 0 {
		if !prior.IsNull() && !prior.IsUnknown() && len(prior.Elements()) == 0 {
			return prior
		}
		return types.MapNull(types.StringType)
	}
	elems := map[string]attr.Value{}
	for k, s := range v {
		elems[k] = types.StringValue(s)
	}
	return types.MapValueMust(types.StringType, elems)
}

func flattenStringList(v []string) types.List {
	elems := make([]attr.Value, 0, len(v))
	for _, s := range v {
		elems = append(elems, types.StringValue(s))
	}
	return types.ListValueMust(types.StringType, elems)
}
