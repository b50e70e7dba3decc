package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
)

var (
	_ ephemeral.EphemeralResource              = (*clusterKubeconfigEphemeral)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*clusterKubeconfigEphemeral)(nil)
)

// NewClusterKubeconfigEphemeralResource returns the mc_cluster_kubeconfig
// ephemeral resource.
func NewClusterKubeconfigEphemeralResource() ephemeral.EphemeralResource {
	return &clusterKubeconfigEphemeral{}
}

type clusterKubeconfigEphemeral struct {
	data *providerData
}

type clusterKubeconfigModel struct {
	ClusterID            types.String `tfsdk:"cluster_id"`
	Kubeconfig           types.String `tfsdk:"kubeconfig"`
	Host                 types.String `tfsdk:"host"`
	ClusterCACertificate types.String `tfsdk:"cluster_ca_certificate"`
	ClientCertificate    types.String `tfsdk:"client_certificate"`
	ClientKey            types.String `tfsdk:"client_key"`
	Token                types.String `tfsdk:"token"`
}

func (e *clusterKubeconfigEphemeral) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster_kubeconfig"
}

func (e *clusterKubeconfigEphemeral) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The admin kubeconfig of a workload cluster, read from the Secret Cluster API keeps on the site's management cluster. " +
			"Ephemeral: it is never stored in state or plan, so it can configure the `kubernetes` or `helm` provider in the same configuration.",
		Attributes: map[string]schema.Attribute{
			"cluster_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "ID of the cluster, `site/namespace/name`: usually `mc_cluster.<name>.id`.",
			},
			"kubeconfig": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The kubeconfig document.",
			},
			"host": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "API server URL of the workload cluster.",
			},
			"cluster_ca_certificate": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "PEM CA certificate of the API server.",
			},
			"client_certificate": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "PEM client certificate; null when the kubeconfig uses a token.",
			},
			"client_key": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "PEM key of `client_certificate`.",
			},
			"token": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "Bearer token; null when the kubeconfig uses a client certificate.",
			},
		},
	}
}

func (e *clusterKubeconfigEphemeral) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (e *clusterKubeconfigEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m clusterKubeconfigModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := engineClient(e.data, &resp.Diagnostics, (*providerData).clusterClient)
	if c == nil {
		return
	}
	id := m.ClusterID.ValueString()
	if _, _, _, err := cluster.ParseID(id); err != nil {
		addEngineError(&resp.Diagnostics, "Invalid cluster ID", err, map[string]string{"id": "cluster_id"})
		return
	}
	doc, err := c.Kubeconfig(ctx, id)
	if err != nil {
		summary := "Error reading cluster kubeconfig"
		if engine.IsNotFound(err) {
			summary = "Cluster kubeconfig not found"
		}
		resp.Diagnostics.AddError(summary, fmt.Sprintf("Cannot read the kubeconfig of cluster %q: %s", id, err))
		return
	}
	k, err := cluster.ParseKubeconfig(doc)
	if err != nil {
		resp.Diagnostics.AddError("Error reading cluster kubeconfig", fmt.Sprintf("Cannot use the kubeconfig of cluster %q: %s", id, err))
		return
	}
	m.Kubeconfig = types.StringValue(k.Raw)
	m.Host = types.StringValue(k.Host)
	m.ClusterCACertificate = optionalString(string(k.CACertificate))
	m.ClientCertificate = optionalString(string(k.ClientCertificate))
	m.ClientKey = optionalString(string(k.ClientKey))
	m.Token = optionalString(k.Token)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
