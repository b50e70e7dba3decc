package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
)

// Default timeouts of mc_helm_release: Argo CD renders and syncs a chart
// in seconds; the wait covers a slow chart and its objects' health.
const (
	helmReleaseCreateTimeout = 10 * time.Minute
	helmReleaseUpdateTimeout = 10 * time.Minute
	helmReleaseDeleteTimeout = 10 * time.Minute
)

// helmReleaseKind is mc_helm_release.
var helmReleaseKind = &kind[helmReleaseModel, helmrelease.Spec, helmrelease.Status]{
	typeName: "helm_release",
	noun:     "Helm release",
	schema:   helmReleaseSchema,
	client: func(d *providerData) (engine.Client[helmrelease.Spec, helmrelease.Status], error) {
		reg, err := d.platform()
		if err != nil {
			return nil, err
		}
		return helmrelease.New(reg), nil
	},
	expand:        expandHelmRelease,
	flatten:       flattenHelmReleaseObservation,
	id:            func(m *helmReleaseModel) *types.String { return &m.ID },
	timeouts:      func(m *helmReleaseModel) timeouts.Value { return m.Timeouts },
	createTimeout: helmReleaseCreateTimeout, updateTimeout: helmReleaseUpdateTimeout, deleteTimeout: helmReleaseDeleteTimeout,
	validateSpec: helmrelease.ValidatePartial,
	importState:  importHelmRelease,
}

// NewHelmReleaseResource returns the mc_helm_release resource.
func NewHelmReleaseResource() resource.Resource {
	return newResource(helmReleaseKind)()
}

type helmReleaseModel struct {
	ID           types.String   `tfsdk:"id"`
	Site         types.String   `tfsdk:"site"`
	Cluster      types.String   `tfsdk:"cluster"`
	Namespace    types.String   `tfsdk:"namespace"`
	Name         types.String   `tfsdk:"name"`
	RepoURL      types.String   `tfsdk:"repo_url"`
	Chart        types.String   `tfsdk:"chart"`
	Version      types.String   `tfsdk:"version"`
	Path         types.String   `tfsdk:"path"`
	Values       yamlValues     `tfsdk:"values"`
	Set          types.Map      `tfsdk:"set"`
	SetString    types.Map      `tfsdk:"set_string"`
	ValueFiles   types.List     `tfsdk:"value_files"`
	Application  types.String   `tfsdk:"application"`
	ManifestPath types.String   `tfsdk:"manifest_path"`
	Commit       types.String   `tfsdk:"commit"`
	Revision     types.String   `tfsdk:"revision"`
	SyncStatus   types.String   `tfsdk:"sync_status"`
	HealthStatus types.String   `tfsdk:"health_status"`
	Notify       types.Set      `tfsdk:"notify"`
	Timeouts     timeouts.Value `tfsdk:"timeouts"`
}

func helmReleaseSchema(ctx context.Context) schema.Schema {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	return schema.Schema{
		MarkdownDescription: "A Helm chart installed by a site's Argo CD into a cluster registered there. The release is an Argo CD " +
			"Application committed to the site's GitOps repository at `<gitops.path>/helm/<cluster>-<namespace>-<name>.yaml`, which the " +
			"site's root application applies. The chart comes from a Helm repository (`repo_url` and `chart`), an OCI registry " +
			"(`repo_url = \"oci://<registry>/<repository>\"`, such as a chart pushed to the site's Harbor, whose credentials Argo CD is given), " +
			"or a directory in a git repository (`repo_url` and `path`).\n\n" +
			"Create and update commit and wait until Argo CD has synced exactly that chart and those values and the release is Healthy; " +
			"a chart that does not render, or whose objects the cluster refuses, fails at once with Argo CD's message. Changing the version " +
			"or the values upgrades the release in place. Delete removes the manifest; Argo CD then removes what the chart installed.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<site>/<cluster>/<namespace>/<name>`, also the import ID.",
				PlanModifiers:       keep,
			},
			"site": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Site (`mc_site` name) whose Argo CD and GitOps repository deliver the release. Changing it replaces the release.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"cluster": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Destination cluster, by its name in the site's Argo CD (an `mc_cluster` or `mc_cluster_registration`). Changing it replaces the release.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"namespace": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Namespace the chart is installed into; created when missing. Changing it replaces the release.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Helm release name (at most 53 characters). Changing it replaces the release.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"repo_url": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Where the chart comes from: a Helm repository's URL, `oci://<registry>/<repository>` for a chart in an OCI " +
					"registry, or a git repository's URL (with `path`).",
			},
			"chart": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Chart name in the Helm repository; not set for OCI and git charts.",
			},
			"version": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Chart version (Helm repository), tag (OCI), or git revision (branch, tag or commit; default `HEAD`). Changing it upgrades in place.",
			},
			"path": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Directory of the chart in the git repository `repo_url`.",
			},
			"values": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Values, a YAML mapping (such as `yamlencode({...})`), checked at plan time. Values written in another key order " +
					"or style are the same values: no change is planned.",
				CustomType: yamlValuesType{},
			},
			"set": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Helm parameters (`--set`), by dotted name.",
			},
			"set_string": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Helm parameters taken as strings (`--set-string`), by dotted name.",
			},
			"value_files": schema.ListAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Values files of the chart (relative to it), applied in order before `values`.",
			},
			"application": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The release's Argo CD Application, `<namespace>/<name>`, on the site's management cluster.",
				PlanModifiers:       keep,
			},
			"manifest_path": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Path of the release's manifest in the site's GitOps repository.",
				PlanModifiers:       keep,
			},
			"commit": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Commit of the GitOps repository that last changed the manifest.",
			},
			"revision": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Revision Argo CD last compared: the chart version (Helm repository), the manifest digest (OCI), or the commit (git).",
			},
			"sync_status": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The Application's sync status (`Synced`, `OutOfSync`, `Unknown`).",
			},
			"health_status": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The Application's health (`Healthy`, `Progressing`, `Degraded`, ...).",
			},
			"notify":   notifyAttribute("Helm release"),
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// expandHelmRelease builds the engine spec from the plan.
func expandHelmRelease(ctx context.Context, plan, _ *helmReleaseModel) (helmrelease.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := helmrelease.Spec{
		Site: plan.Site.ValueString(), Cluster: plan.Cluster.ValueString(), Namespace: plan.Namespace.ValueString(), Name: plan.Name.ValueString(),
		RepoURL: plan.RepoURL.ValueString(), Chart: plan.Chart.ValueString(), Version: plan.Version.ValueString(), Path: plan.Path.ValueString(),
		Values: plan.Values.ValueString(),
	}
	notifyNames, notifyDiags := expandNotify(ctx, plan.Notify)
	diags.Append(notifyDiags...)
	s.Notify = notifyNames
	var d diag.Diagnostics
	s.Set, d = stringMap(ctx, plan.Set)
	diags.Append(d...)
	s.SetString, d = stringMap(ctx, plan.SetString)
	diags.Append(d...)
	if !plan.ValueFiles.IsNull() && !plan.ValueFiles.IsUnknown() {
		diags.Append(plan.ValueFiles.ElementsAs(ctx, &s.ValueFiles, true)...)
	}
	return s, diags
}

// flattenHelmReleaseObservation writes what Observe found into m. Values
// that are the same YAML as the observed ones keep m's text.
func flattenHelmReleaseObservation(ctx context.Context, m *helmReleaseModel, obs engine.Observation[helmrelease.Spec, helmrelease.Status], applied bool) diag.Diagnostics {
	var diags diag.Diagnostics
	st := obs.Status
	m.Application = types.StringValue(st.Application)
	m.ManifestPath = types.StringValue(st.ManifestPath)
	m.Commit = optionalString(st.Commit)
	m.Revision = optionalString(st.Revision)
	m.SyncStatus = optionalString(st.SyncStatus)
	m.HealthStatus = optionalString(st.HealthStatus)
	if applied {
		return diags
	}
	s := obs.Actual
	m.ID = types.StringValue(s.ID())
	m.Site, m.Cluster, m.Namespace, m.Name = types.StringValue(s.Site), types.StringValue(s.Cluster), types.StringValue(s.Namespace), types.StringValue(s.Name)
	m.RepoURL = types.StringValue(s.RepoURL)
	m.Chart, m.Version, m.Path = optionalString(s.Chart), optionalString(s.Version), optionalString(s.Path)
	if cur, err := chart.CanonicalValues(m.Values.ValueString()); err != nil || cur != s.Values {
		m.Values = yamlValuesOf(s.Values)
	}
	m.Set = optionalStringMap(ctx, s.Set, &diags)
	m.SetString = optionalStringMap(ctx, s.SetString, &diags)
	if len(s.ValueFiles) == 0 {
		m.ValueFiles = types.ListNull(types.StringType)
	} else {
		v, d := types.ListValueFrom(ctx, types.StringType, s.ValueFiles)
		diags.Append(d...)
		m.ValueFiles = v
	}
	return diags
}

// optionalStringMap is m as a Terraform map, null when empty.
func optionalStringMap(ctx context.Context, m map[string]string, diags *diag.Diagnostics) types.Map {
	if len(m) == 0 {
		return types.MapNull(types.StringType)
	}
	v, d := types.MapValueFrom(ctx, types.StringType, m)
	diags.Append(d...)
	return v
}

// importHelmRelease imports a release by <site>/<cluster>/<namespace>/<name>.
func importHelmRelease(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	s, err := helmrelease.ParseID(id)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a Helm release as <site>/<cluster>/<namespace>/<name>: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	for attr, v := range map[string]string{"site": s.Site, "cluster": s.Cluster, "namespace": s.Namespace, "name": s.Name} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attr), v)...)
	}
}
