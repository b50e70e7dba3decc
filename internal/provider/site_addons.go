package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// clusterAddonModel is one element of mc_site's cluster_addons.
type clusterAddonModel struct {
	Name            types.String `tfsdk:"name"`
	Namespace       types.String `tfsdk:"namespace"`
	RepoURL         types.String `tfsdk:"repo_url"`
	Chart           types.String `tfsdk:"chart"`
	Version         types.String `tfsdk:"version"`
	Path            types.String `tfsdk:"path"`
	Values          yamlValues   `tfsdk:"values"`
	Set             types.Map    `tfsdk:"set"`
	SetString       types.Map    `tfsdk:"set_string"`
	ValueFiles      types.List   `tfsdk:"value_files"`
	ClusterSelector types.Map    `tfsdk:"cluster_selector"`
}

var clusterAddonTypes = map[string]attr.Type{
	"name": types.StringType, "namespace": types.StringType, "repo_url": types.StringType, "chart": types.StringType,
	"version": types.StringType, "path": types.StringType, "values": yamlValuesType{},
	"set": types.MapType{ElemType: types.StringType}, "set_string": types.MapType{ElemType: types.StringType},
	"value_files": types.ListType{ElemType: types.StringType}, "cluster_selector": types.MapType{ElemType: types.StringType},
}

// clusterAddonsAttribute is mc_site's cluster_addons.
func clusterAddonsAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Optional: true,
		MarkdownDescription: "Helm charts that every cluster registered at the site (by `mc_cluster` or `mc_cluster_registration`) gets, " +
			"such as its base components. The site renders one Argo CD Application per cluster and add-on into its GitOps repository " +
			"under `<gitops.path>/clusters/<cluster>/<name>.yaml`; needs `gitops`. A cluster registered later gets the add-ons from its " +
			"registration, which commits them without waiting for their sync, and a cluster that leaves loses them the same way, " +
			"with no apply of the site; a change of an add-on reaches every cluster. The site is ready once every add-on is Synced and Healthy.",
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				Required: true, MarkdownDescription: "Add-on name, also its Helm release name.",
				Validators: []validator.String{dnsLabel()},
			},
			"namespace": schema.StringAttribute{
				Required: true, MarkdownDescription: "Namespace of each cluster the chart is installed into; created when missing.",
				Validators: []validator.String{dnsLabel()},
			},
			"repo_url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "A Helm repository's URL, `oci://<registry>/<repository>`, or a git repository's URL (with `path`).",
			},
			"chart":   schema.StringAttribute{Optional: true, MarkdownDescription: "Chart name in the Helm repository."},
			"version": schema.StringAttribute{Optional: true, MarkdownDescription: "Chart version, OCI tag, or git revision."},
			"path":    schema.StringAttribute{Optional: true, MarkdownDescription: "Directory of the chart in the git repository."},
			"values": schema.StringAttribute{
				Optional: true, MarkdownDescription: "Values, a YAML mapping; the same values in another key order or style are no change.",
				CustomType: yamlValuesType{},
			},
			"set":         schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "Helm parameters (`--set`)."},
			"set_string":  schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "Helm parameters taken as strings."},
			"value_files": schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "Values files of the chart."},
			"cluster_selector": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Labels a cluster must have in Argo CD (its registration's `labels`) to get the add-on; default every cluster.",
			},
		}},
	}
}

// expandClusterAddons reads cluster_addons.
func expandClusterAddons(ctx context.Context, l types.List) ([]site.ClusterAddon, diag.Diagnostics) {
	var diags diag.Diagnostics
	if l.IsNull() || l.IsUnknown() {
		return nil, diags
	}
	var models []clusterAddonModel
	diags.Append(l.ElementsAs(ctx, &models, false)...)
	out := make([]site.ClusterAddon, 0, len(models))
	for _, m := range models {
		a := site.ClusterAddon{
			Name: m.Name.ValueString(), Namespace: m.Namespace.ValueString(), RepoURL: m.RepoURL.ValueString(),
			Chart: m.Chart.ValueString(), Version: m.Version.ValueString(), Path: m.Path.ValueString(), Values: m.Values.ValueString(),
		}
		var d diag.Diagnostics
		a.Set, d = stringMap(ctx, m.Set)
		diags.Append(d...)
		a.SetString, d = stringMap(ctx, m.SetString)
		diags.Append(d...)
		a.ClusterSelector, d = stringMap(ctx, m.ClusterSelector)
		diags.Append(d...)
		if !m.ValueFiles.IsNull() && !m.ValueFiles.IsUnknown() {
			diags.Append(m.ValueFiles.ElementsAs(ctx, &a.ValueFiles, true)...)
		}
		out = append(out, a)
	}
	return out, diags
}

// flattenClusterAddons writes addons; values equal as YAML to those of the
// same add-on in prior keep prior's text.
func flattenClusterAddons(ctx context.Context, prior types.List, addons []site.ClusterAddon, diags *diag.Diagnostics) types.List {
	elemType := types.ObjectType{AttrTypes: clusterAddonTypes}
	if len(addons) == 0 {
		return types.ListNull(elemType)
	}
	priorValues := map[string]string{}
	if !prior.IsNull() && !prior.IsUnknown() {
		var models []clusterAddonModel
		if !prior.ElementsAs(ctx, &models, false).HasError() {
			for _, m := range models {
				priorValues[m.Name.ValueString()] = m.Values.ValueString()
			}
		}
	}
	elems := make([]attr.Value, 0, len(addons))
	for _, a := range addons {
		values := yamlValuesOf(a.Values)
		if p, ok := priorValues[a.Name]; ok {
			if c, err := chart.CanonicalValues(p); err == nil && c == a.Values && p != "" {
				values = yamlValuesOf(p)
			}
		}
		files := types.ListNull(types.StringType)
		if len(a.ValueFiles) > 0 {
			v, d := types.ListValueFrom(ctx, types.StringType, a.ValueFiles)
			diags.Append(d...)
			files = v
		}
		elems = append(elems, types.ObjectValueMust(clusterAddonTypes, map[string]attr.Value{
			"name": types.StringValue(a.Name), "namespace": types.StringValue(a.Namespace), "repo_url": types.StringValue(a.RepoURL),
			"chart": optionalString(a.Chart), "version": optionalString(a.Version), "path": optionalString(a.Path), "values": values,
			"set": optionalStringMap(ctx, a.Set, diags), "set_string": optionalStringMap(ctx, a.SetString, diags),
			"value_files": files, "cluster_selector": optionalStringMap(ctx, a.ClusterSelector, diags),
		}))
	}
	v, d := types.ListValue(elemType, elems)
	diags.Append(d...)
	return v
}
