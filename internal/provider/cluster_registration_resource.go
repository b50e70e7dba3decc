package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
)

// Default timeouts of mc_cluster_registration.
const (
	registrationCreateTimeout = 2 * time.Minute
	registrationUpdateTimeout = 2 * time.Minute
	registrationDeleteTimeout = 2 * time.Minute
)

// clusterRegistrationKind is mc_cluster_registration.
var clusterRegistrationKind = &kind[clusterRegistrationModel, clusterregistration.Spec, clusterregistration.Status]{
	typeName: "cluster_registration",
	noun:     "cluster registration",
	schema:   clusterRegistrationSchema,
	client: func(d *providerData) (engine.Client[clusterregistration.Spec, clusterregistration.Status], error) {
		reg, err := d.platform()
		if err != nil {
			return nil, err
		}
		return clusterregistration.New(reg), nil
	},
	expand:        expandClusterRegistration,
	flatten:       flattenClusterRegistrationObservation,
	id:            func(m *clusterRegistrationModel) *types.String { return &m.ID },
	timeouts:      func(m *clusterRegistrationModel) timeouts.Value { return m.Timeouts },
	createTimeout: registrationCreateTimeout, updateTimeout: registrationUpdateTimeout, deleteTimeout: registrationDeleteTimeout,
	attributePaths: clusterRegistrationAttributePaths,
	validateSpec:   clusterregistration.ValidatePartial,
	importState:    importClusterRegistration,
	secrets:        func(config *clusterRegistrationModel) []string { return []string{config.TokenWO.ValueString()} },
}

// NewClusterRegistrationResource returns the mc_cluster_registration resource.
func NewClusterRegistrationResource() resource.Resource {
	return newResource(clusterRegistrationKind)()
}

// clusterRegistrationAttributePaths maps the engine's argument names onto
// this schema's.
var clusterRegistrationAttributePaths = map[string]string{
	"token":         "token_wo",
	"token_version": "token_wo_version",
}

type clusterRegistrationModel struct {
	ID                types.String   `tfsdk:"id"`
	Site              types.String   `tfsdk:"site"`
	Name              types.String   `tfsdk:"name"`
	Server            types.String   `tfsdk:"server"`
	CACertificate     types.String   `tfsdk:"ca_certificate"`
	TokenWO           types.String   `tfsdk:"token_wo"`
	TokenWOVersion    types.Int64    `tfsdk:"token_wo_version"`
	Namespaces        types.List     `tfsdk:"namespaces"`
	Labels            types.Map      `tfsdk:"labels"`
	KubernetesVersion types.String   `tfsdk:"kubernetes_version"`
	ArgoCDSecret      types.String   `tfsdk:"argocd_secret"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

func clusterRegistrationSchema(ctx context.Context) schema.Schema {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	return schema.Schema{
		MarkdownDescription: "Registers an existing Kubernetes cluster, one that Cluster API did not make (a brownfield cluster), in a site's Argo CD, " +
			"so that Argo CD Applications can deploy to it by `name`. The registration is a declarative Argo CD cluster Secret " +
			"(`mc-registration.<name>` in the site's Argo CD namespace) of the same kind `mc_cluster` writes for the clusters it makes.\n\n" +
			"Create and update first check that the cluster answers at `server`, with `ca_certificate`, and accepts `token_wo`: a wrong token " +
			"fails the apply on `token_wo`. Read reports the cluster's version as Argo CD reaches it. Delete removes the Secret; the cluster itself is left alone.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<site>/<name>`, also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"site": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Site (`mc_site` name) in whose Argo CD the cluster is registered. Changing it replaces the registration.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Argo CD name of the cluster, which Applications use as `destination.name`; a DNS-1123 label, unique in the site's Argo CD. Changing it replaces the registration.",
				PlanModifiers:       replace,
				Validators:          []validator.String{dnsLabel()},
			},
			"server": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "URL of the cluster's API server, such as `https://10.30.0.10:6443`, as Argo CD reaches it.",
			},
			"ca_certificate": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "PEM-encoded CA certificate of `server`; default the system's trusted roots.",
			},
			"token_wo": schema.StringAttribute{
				Required:            true,
				WriteOnly:           true,
				Sensitive:           true,
				MarkdownDescription: "Bearer token with which Argo CD deploys, such as a ServiceAccount token bound to `cluster-admin` in the cluster. Write-only: never stored in state. Change `token_wo_version` to send a new token.",
			},
			"token_wo_version": schema.Int64Attribute{
				Required:            true,
				MarkdownDescription: "Version of `token_wo`. Changing it writes the token again.",
				Validators:          []validator.Int64{int64validator.AtLeast(0)},
			},
			"namespaces": schema.ListAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Namespaces of the cluster Argo CD may manage; default all (cluster-scoped too).",
			},
			"labels": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Labels of the cluster in Argo CD, by which AppProjects and ApplicationSet cluster generators select it.",
			},
			"kubernetes_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Kubernetes version the cluster reports, reached with the registered token; null while it does not answer.",
			},
			"argocd_secret": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The Argo CD cluster Secret, `<namespace>/<name>`, on the site's management cluster.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// expandClusterRegistration builds the engine spec from the plan, with the
// write-only token from the configuration (nil on read: no token).
func expandClusterRegistration(ctx context.Context, plan, config *clusterRegistrationModel) (clusterregistration.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := clusterregistration.Spec{
		Site: plan.Site.ValueString(), Name: plan.Name.ValueString(), Server: plan.Server.ValueString(),
		CACertificate: plan.CACertificate.ValueString(), TokenVersion: plan.TokenWOVersion.ValueInt64(),
	}
	if config != nil {
		s.Token = config.TokenWO.ValueString()
	}
	if !plan.Namespaces.IsNull() && !plan.Namespaces.IsUnknown() {
		diags.Append(plan.Namespaces.ElementsAs(ctx, &s.Namespaces, true)...)
	}
	labels, d := stringMap(ctx, plan.Labels)
	diags.Append(d...)
	s.Labels = labels
	return s, diags
}

// flattenClusterRegistrationObservation writes what Observe found into m.
// Right after a create or update m keeps the plan's arguments and takes the
// computed attributes; the token stays null.
func flattenClusterRegistrationObservation(ctx context.Context, m *clusterRegistrationModel, obs engine.Observation[clusterregistration.Spec, clusterregistration.Status], applied bool) diag.Diagnostics {
	var diags diag.Diagnostics
	st := obs.Status
	m.KubernetesVersion = optionalString(st.KubernetesVersion)
	m.ArgoCDSecret = types.StringValue(st.ArgoCDNamespace + "/" + st.SecretName)
	m.TokenWO = types.StringNull()
	if applied {
		return diags
	}
	s := obs.Actual
	m.ID = types.StringValue(s.ID())
	m.Site = types.StringValue(s.Site)
	m.Name = types.StringValue(s.Name)
	m.Server = types.StringValue(s.Server)
	m.CACertificate = optionalString(s.CACertificate)
	m.TokenWOVersion = types.Int64Value(s.TokenVersion)
	if len(s.Namespaces) == 0 {
		m.Namespaces = types.ListNull(types.StringType)
	} else {
		v, d := types.ListValueFrom(ctx, types.StringType, s.Namespaces)
		diags.Append(d...)
		m.Namespaces = v
	}
	if len(s.Labels) == 0 {
		m.Labels = types.MapNull(types.StringType)
	} else {
		v, d := types.MapValueFrom(ctx, types.StringType, s.Labels)
		diags.Append(d...)
		m.Labels = v
	}
	return diags
}

// importClusterRegistration imports a registration by <site>/<name>.
func importClusterRegistration(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	site, name, err := clusterregistration.ParseID(id)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a cluster registration as <site>/<name>: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("site"), site)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}
