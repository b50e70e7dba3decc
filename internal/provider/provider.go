// Package provider is the Terraform front-end of terraform-provider-mc: the
// provider configuration, one generic resource over the engine contract
// (resource.go), and one file per kind holding only its schema, the
// expand/flatten conversions to the engine's specs and a few hooks.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// DefaultNamespace is the platform plane namespace holding site records.
const DefaultNamespace = "mc-system"

var _ provider.Provider = (*mcProvider)(nil)

// New returns a constructor of the provider at version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &mcProvider{version: version} }
}

type mcProvider struct {
	version string
}

// providerModel is the provider block.
type providerModel struct {
	KubeconfigPath       types.String `tfsdk:"kubeconfig_path"`
	KubeconfigContext    types.String `tfsdk:"kubeconfig_context"`
	Host                 types.String `tfsdk:"host"`
	Token                types.String `tfsdk:"token"`
	ClusterCACertificate types.String `tfsdk:"cluster_ca_certificate"`
	Insecure             types.Bool   `tfsdk:"insecure"`
	Namespace            types.String `tfsdk:"namespace"`
	Bitbucket            types.Object `tfsdk:"bitbucket"`
	Jira                 types.Object `tfsdk:"jira"`
}

func (p *mcProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "mc"
	resp.Version = p.version
}

func (p *mcProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The `mc` provider declares a multi-cluster estate: sites, Cluster API workload clusters, projects, " +
			"applications and their deployments. It connects to the **platform plane** cluster, which keeps the site registry.\n\n" +
			"Every argument can also come from an environment variable (shown with each argument); the block's value wins.",
		Attributes: map[string]schema.Attribute{
			"kubeconfig_path": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Path of a kubeconfig for the platform plane. Environment: `MC_KUBECONFIG`. Conflicts with `host`.",
			},
			"kubeconfig_context": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Context of the kubeconfig to use; default its current context. Environment: `MC_KUBECONFIG_CONTEXT`.",
			},
			"host": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "API server URL of the platform plane, such as `https://10.0.0.1:6443`. Environment: `MC_HOST`.",
			},
			"token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Bearer token for `host`. Environment: `MC_TOKEN`.",
			},
			"cluster_ca_certificate": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "PEM-encoded CA certificate of `host`. Environment: `MC_CLUSTER_CA_CERTIFICATE`.",
			},
			"insecure": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip TLS verification of `host`. Environment: `MC_INSECURE`.",
			},
			"namespace": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Platform plane namespace that holds the site registry. Default `" + DefaultNamespace + "`. Environment: `MC_NAMESPACE`.",
			},
			"bitbucket": bitbucketProviderAttribute(),
			"jira":      jiraProviderAttribute(),
		},
	}
}

// recordSnapshotTTL is how long one LIST of a kind in a namespace (the
// registry's records, Argo CD Applications, Cluster API objects) and one
// listing of a git repository's branches serve the refresh of a provider
// process: an object changed by another process during a terraform command
// is seen at most this late (the next command sees it at once; the process's
// own writes come after its refresh, and the records it wrote are read live).
const recordSnapshotTTL = 30 * time.Second

// providerData is handed to every resource. The platform connection is
// resolved on first use, so that a plan with unknown provider arguments (a
// cluster not created yet) does not fail before any resource needs it.
type providerData struct {
	conn      registry.Platform
	namespace string
	// services says how to reach the platform's Bitbucket and Jira.
	services registry.Services
	unknown  bool

	// gitTips are the GitOps and yaml repositories' branch tips the
	// refresh of this command saw (recordSnapshotTTL each).
	gitTips *git.TipMemo

	once     sync.Once
	err      error
	registry *registry.Registry
	sites    *site.Client
	clusters *cluster.Client
	replicas *imagereplication.Client
	projects *project.Client
}

// errUnknownConfig is returned when a resource needs the platform plane
// while the provider's arguments are still unknown.
var errUnknownConfig = errors.New("the provider's connection arguments are not known yet: they depend on values known only after apply")

// platform connects to the platform plane once per provider process: one
// site registry, whose clients and discovered capabilities every resource
// shares, and one engine client per kind over it.
func (d *providerData) platform() (*registry.Registry, error) {
	d.once.Do(func() {
		if d.unknown {
			d.err = errUnknownConfig
			return
		}
		if d.conn.KubeconfigPath == "" && d.conn.Host == "" {
			d.err = errors.New("no platform plane connection: set kubeconfig_path or host in the provider block, or MC_KUBECONFIG or MC_HOST")
			return
		}
		d.registry, d.err = d.conn.Open(d.namespace)
		if d.err != nil {
			return
		}
		d.registry.UseServices(d.services)
		// A provider process lives for one terraform command: a plan over
		// many resources reads each kind and namespace with one LIST.
		d.registry.BatchLookups(recordSnapshotTTL)
		d.sites = site.New(d.registry)
		d.clusters = cluster.New(d.registry)
		d.replicas = imagereplication.New(d.registry)
		d.projects = project.New(d.registry)
	})
	return d.registry, d.err
}

// providerDataFrom returns the provider data handed to a resource's
// Configure; nil before the provider is configured (validation time).
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	d, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T", data))
	}
	return d
}

// engineClient returns the engine client get makes from the provider data,
// reporting a diagnostic when the provider is not configured or the platform
// plane cannot be reached.
func engineClient[C any](d *providerData, diags *diag.Diagnostics, get func(*providerData) (C, error)) C {
	var zero C
	if d == nil {
		diags.AddError("Provider not configured", "The mc provider was not configured")
		return zero
	}
	c, err := get(d)
	if err != nil {
		diags.AddError("Cannot connect to the platform plane", err.Error())
		return zero
	}
	return c
}

func (d *providerData) imageReplicationClient() (*imagereplication.Client, error) {
	if _, err := d.platform(); err != nil {
		return nil, err
	}
	return d.replicas, nil
}

func (d *providerData) clusterClient() (*cluster.Client, error) {
	if _, err := d.platform(); err != nil {
		return nil, err
	}
	return d.clusters, nil
}

func (d *providerData) siteClient() (*site.Client, error) {
	if _, err := d.platform(); err != nil {
		return nil, err
	}
	return d.sites, nil
}

func (p *mcProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	d := &providerData{gitTips: git.NewTipMemo(recordSnapshotTTL)}
	str := func(v types.String, env string) string {
		if v.IsUnknown() {
			d.unknown = true
		}
		if !v.IsNull() && !v.IsUnknown() {
			return v.ValueString()
		}
		return os.Getenv(env)
	}
	d.conn = registry.Platform{
		KubeconfigPath: str(m.KubeconfigPath, "MC_KUBECONFIG"),
		Context:        str(m.KubeconfigContext, "MC_KUBECONFIG_CONTEXT"),
		Host:           str(m.Host, "MC_HOST"),
		Token:          str(m.Token, "MC_TOKEN"),
		CACertificate:  str(m.ClusterCACertificate, "MC_CLUSTER_CA_CERTIFICATE"),
	}
	d.namespace = str(m.Namespace, "MC_NAMESPACE")
	if d.namespace == "" {
		d.namespace = DefaultNamespace
	}
	switch {
	case m.Insecure.IsUnknown():
		d.unknown = true
	case !m.Insecure.IsNull():
		d.conn.Insecure = m.Insecure.ValueBool()
	case os.Getenv("MC_INSECURE") != "":
		b, err := strconv.ParseBool(os.Getenv("MC_INSECURE"))
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("insecure"), "Invalid MC_INSECURE", "MC_INSECURE must be true or false: "+err.Error())
			return
		}
		d.conn.Insecure = b
	}
	d.services = configureServices(ctx, m, str, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !d.unknown && d.conn.KubeconfigPath != "" && d.conn.Host != "" {
		resp.Diagnostics.AddAttributeError(path.Root("host"), "Conflicting platform plane connection",
			"Set either kubeconfig_path (MC_KUBECONFIG) or host (MC_HOST), not both")
		return
	}
	if !d.unknown && d.conn.Host != "" {
		if err := registry.ValidateHost(d.conn.Host); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("host"), "Invalid platform plane host", err.Error())
			return
		}
	}
	resp.ResourceData = d
	resp.DataSourceData = d
	resp.EphemeralResourceData = d
}

func (p *mcProvider) Resources(context.Context) []func() resource.Resource {
	return kindResources()
}

func (p *mcProvider) DataSources(context.Context) []func() datasource.DataSource {
	return nil
}

// EphemeralResources lists the provider's ephemeral resources.
func (p *mcProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewClusterKubeconfigEphemeralResource}
}

var _ provider.ProviderWithEphemeralResources = (*mcProvider)(nil)
