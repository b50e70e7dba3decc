package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// Default timeouts of mc_site.
const (
	siteCreateTimeout = 10 * time.Minute
	siteUpdateTimeout = 10 * time.Minute
	siteDeleteTimeout = 10 * time.Minute
)

// siteKind is mc_site.
var siteKind = &kind[siteModel, site.Spec, site.Status]{
	typeName: "site",
	noun:     "site",
	schema:   siteSchema,
	client:   func(d *providerData) (engine.Client[site.Spec, site.Status], error) { return d.siteClient() },
	expand: func(ctx context.Context, plan, config *siteModel) (site.Spec, diag.Diagnostics) {
		return expandSite(ctx, *plan, *config)
	},
	flatten:       flattenSiteObservation,
	id:            func(m *siteModel) *types.String { return &m.ID },
	timeouts:      func(m *siteModel) timeouts.Value { return m.Timeouts },
	createTimeout: siteCreateTimeout, updateTimeout: siteUpdateTimeout, deleteTimeout: siteDeleteTimeout,
	attributePaths: siteAttributePaths,
	ready:          func(m *siteModel) *types.Bool { return &m.Ready },
	resumed: map[string]attr.Value{
		"kubernetes_version": types.StringUnknown(), "capi_version": types.StringUnknown(), "argocd_version": types.StringUnknown(),
		"harbor_version": types.StringUnknown(), "root_application": types.StringUnknown(),
		"task_runner": types.ObjectUnknown(taskRunnerTypes),
	},
	validate:    validateSite,
	importState: importSite,
	secrets:     siteSecrets,
}

// siteSecrets returns the write-only values of a site's configuration.
func siteSecrets(config *siteModel) []string {
	var out []string
	ctx := context.Background()
	var mc managementClusterModel
	if !config.ManagementCluster.IsNull() && !config.ManagementCluster.IsUnknown() &&
		!config.ManagementCluster.As(ctx, &mc, basetypes.ObjectAsOptions{}).HasError() {
		out = append(out, mc.TokenWO.ValueString(), mc.KubeconfigWO.ValueString())
	}
	var h harborModel
	if !config.Harbor.IsNull() && !config.Harbor.IsUnknown() && !config.Harbor.As(ctx, &h, basetypes.ObjectAsOptions{}).HasError() {
		out = append(out, h.PasswordWO.ValueString())
	}
	var g gitOpsModel
	if !config.GitOps.IsNull() && !config.GitOps.IsUnknown() && !config.GitOps.As(ctx, &g, basetypes.ObjectAsOptions{}).HasError() {
		out = append(out, g.PasswordWO.ValueString())
	}
	return out
}

// NewSiteResource returns the mc_site resource.
func NewSiteResource() resource.Resource { return newResource(siteKind)() }

type siteModel struct {
	ID                types.String   `tfsdk:"id"`
	Name              types.String   `tfsdk:"name"`
	Description       types.String   `tfsdk:"description"`
	Hub               types.Bool     `tfsdk:"hub"`
	Labels            types.Map      `tfsdk:"labels"`
	ManagementCluster types.Object   `tfsdk:"management_cluster"`
	ArgoCD            types.Object   `tfsdk:"argocd"`
	GitOps            types.Object   `tfsdk:"gitops"`
	Harbor            types.Object   `tfsdk:"harbor"`
	ClusterAddons     types.List     `tfsdk:"cluster_addons"`
	HarborVersion     types.String   `tfsdk:"harbor_version"`
	KubernetesVersion types.String   `tfsdk:"kubernetes_version"`
	CAPIVersion       types.String   `tfsdk:"capi_version"`
	ArgoCDVersion     types.String   `tfsdk:"argocd_version"`
	RootApplication   types.String   `tfsdk:"root_application"`
	TaskRunner        types.Object   `tfsdk:"task_runner"`
	Ready             types.Bool     `tfsdk:"ready"`
	Conditions        types.List     `tfsdk:"conditions"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

type managementClusterModel struct {
	Host              types.String `tfsdk:"host"`
	CACertificate     types.String `tfsdk:"ca_certificate"`
	Insecure          types.Bool   `tfsdk:"insecure"`
	Context           types.String `tfsdk:"context"`
	TokenWO           types.String `tfsdk:"token_wo"`
	TokenWOVersion    types.Int64  `tfsdk:"token_wo_version"`
	KubeconfigWO      types.String `tfsdk:"kubeconfig_wo"`
	KubeconfigVersion types.Int64  `tfsdk:"kubeconfig_wo_version"`
}

type argoCDModel struct {
	Namespace   types.String `tfsdk:"namespace"`
	Destination types.String `tfsdk:"destination"`
}

type harborModel struct {
	URL               types.String `tfsdk:"url"`
	Username          types.String `tfsdk:"username"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
	Insecure          types.Bool   `tfsdk:"insecure"`
}

type gitOpsModel struct {
	RepoURL           types.String `tfsdk:"repo_url"`
	Branch            types.String `tfsdk:"branch"`
	Path              types.String `tfsdk:"path"`
	Username          types.String `tfsdk:"username"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
}

var (
	managementClusterTypes = map[string]attr.Type{
		"host": types.StringType, "ca_certificate": types.StringType, "insecure": types.BoolType, "context": types.StringType,
		"token_wo": types.StringType, "token_wo_version": types.Int64Type, "kubeconfig_wo": types.StringType, "kubeconfig_wo_version": types.Int64Type,
	}
	argoCDTypes = map[string]attr.Type{"namespace": types.StringType, "destination": types.StringType}
	gitOpsTypes = map[string]attr.Type{
		"repo_url": types.StringType, "branch": types.StringType, "path": types.StringType, "username": types.StringType,
		"password_wo": types.StringType, "password_wo_version": types.Int64Type,
	}
	harborTypes = map[string]attr.Type{
		"url": types.StringType, "username": types.StringType, "password_wo": types.StringType,
		"password_wo_version": types.Int64Type, "insecure": types.BoolType,
	}
	conditionTypes = map[string]attr.Type{"type": types.StringType, "status": types.StringType, "reason": types.StringType, "message": types.StringType}
)

func siteSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A site: a Cluster API management cluster with its Argo CD, registered in the platform plane's site registry " +
			"(a labelled Secret in the provider's `namespace`) so that every other resource can find it by name.\n\n" +
			"Create checks the management cluster (version, installed Cluster API and Argo CD) and, when `gitops` is set, creates the " +
			"site's Argo CD root application (app-of-apps over the repository path) and waits until it is Synced and Healthy. " +
			"Delete removes the root application (waiting until Argo CD has removed it) and the record, and refuses while Cluster API " +
			"clusters labelled with the site still exist.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The site's name.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the site, a DNS-1123 label such as `site-b`. Changing it replaces the site.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{dnsLabel()},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Free text describing the site.",
			},
			"hub": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Whether this is the platform's hub site, whose Harbor holds a `mc_project`'s Harbor project " +
					"when the project names no `harbor.site`. At most one site is the hub. Default `false`.",
			},
			"labels": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Labels of the site, used to select sites and copied onto what is made for them. Keys and values follow Kubernetes label syntax.",
			},
			"management_cluster": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "How to reach the site's Cluster API management cluster: `host` with `token_wo`, or `kubeconfig_wo`. " +
					"Omit it when the site runs on the platform plane's own cluster. The secrets are stored only in the site record, never in Terraform state.",
				Attributes: map[string]schema.Attribute{
					"host": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "API server URL, such as `https://10.0.0.1:6443`. Used with `token_wo`.",
					},
					"ca_certificate": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "PEM-encoded CA certificate of `host`.",
					},
					"insecure": schema.BoolAttribute{
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(false),
						MarkdownDescription: "Skip TLS verification of `host`. Default `false`.",
					},
					"context": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Context of `kubeconfig_wo` to use; default its current context.",
					},
					"token_wo": schema.StringAttribute{
						Optional:            true,
						WriteOnly:           true,
						Sensitive:           true,
						MarkdownDescription: "Bearer token for `host`. Write-only: never stored in state. Change `token_wo_version` to send a new token.",
					},
					"token_wo_version": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Version of `token_wo`; required with it. Changing it updates the stored token.",
					},
					"kubeconfig_wo": schema.StringAttribute{
						Optional:            true,
						WriteOnly:           true,
						Sensitive:           true,
						MarkdownDescription: "Kubeconfig document of the management cluster. Write-only: never stored in state. Conflicts with `host` and `token_wo`.",
					},
					"kubeconfig_wo_version": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Version of `kubeconfig_wo`; required with it. Changing it updates the stored kubeconfig.",
					},
				},
			},
			"argocd": schema.SingleNestedAttribute{
				Optional: true,
				Computed: true,
				Default: objectdefault.StaticValue(types.ObjectValueMust(argoCDTypes, map[string]attr.Value{
					"namespace": types.StringValue("argocd"), "destination": types.StringValue("in-cluster"),
				})),
				MarkdownDescription: "Where the site's Argo CD runs on the management cluster.",
				Attributes: map[string]schema.Attribute{
					"namespace": schema.StringAttribute{
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString("argocd"),
						MarkdownDescription: "Namespace of Argo CD. Default `argocd`.",
						Validators:          []validator.String{dnsLabel()},
					},
					"destination": schema.StringAttribute{
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString("in-cluster"),
						MarkdownDescription: "Argo CD cluster name of the management cluster itself, where the root application deploys. Default `in-cluster`.",
						Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
					},
				},
			},
			"gitops": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "The site's GitOps repository path. When set, the site gets an Argo CD root application (app-of-apps) over it.",
				Attributes: map[string]schema.Attribute{
					"repo_url": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "HTTP(S) URL of the git repository. Create checks that it exists.",
					},
					"branch": schema.StringAttribute{
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString("main"),
						MarkdownDescription: "Branch to follow. Default `main`.",
					},
					"path": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Directory in the repository holding the site's application manifests, such as `sites/site-b`.",
					},
					"username": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Username for the repository.",
					},
					"password_wo": schema.StringAttribute{
						Optional:            true,
						WriteOnly:           true,
						Sensitive:           true,
						MarkdownDescription: "Password or access token for the repository. Write-only: never stored in state.",
					},
					"password_wo_version": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Version of `password_wo`; required with it. Changing it updates the stored password.",
					},
				},
			},
			"harbor": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "The site's Harbor. Create and read check it (credentials and version); image replication between sites uses it.",
				Attributes: map[string]schema.Attribute{
					"url": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Harbor URL, such as `https://harbor.site-b.example`.",
					},
					"username": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Harbor user or robot account (`robot$name`).",
					},
					"password_wo": schema.StringAttribute{
						Optional:            true,
						WriteOnly:           true,
						Sensitive:           true,
						MarkdownDescription: "Password or robot secret. Write-only: never stored in state.",
					},
					"password_wo_version": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Version of `password_wo`; required with it. Changing it updates the stored password.",
					},
					"insecure": schema.BoolAttribute{
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(false),
						MarkdownDescription: "Skip TLS verification of `url`. Default `false`.",
					},
				},
			},
			"cluster_addons": clusterAddonsAttribute(),
			"harbor_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Version the site's Harbor reports; null without `harbor`.",
			},
			"kubernetes_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Kubernetes version of the management cluster.",
			},
			"capi_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "API version of Cluster API served by the management cluster (such as `v1beta2`); null when Cluster API is not installed.",
			},
			"argocd_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "API version of Argo CD's `argoproj.io` group served by the management cluster (such as `v1alpha1`); null when Argo CD is not installed.",
			},
			"root_application": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Name of the site's Argo CD root application; null without `gitops`.",
			},
			"task_runner": schema.SingleNestedAttribute{
				Computed: true,
				MarkdownDescription: "The site's task runner (`mc-taskrunner`), which executes `mc_ci_run` builds, as its Lease `mc-taskrunner-<name>` in namespace `mc-tasks` " +
					"of the management cluster tells. Read at every refresh and never planned, so a runner coming or going shows here without a diff.",
				Attributes: map[string]schema.Attribute{
					"available": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether a runner renews its Lease: `mc_ci_run` at this site can run."},
					"identity":  schema.StringAttribute{Computed: true, MarkdownDescription: "The runner holding the Lease; null without one."},
					"executors": schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Executors the runner offers (`local`, `kubernetes_job`), sorted."},
					"version":   schema.StringAttribute{Computed: true, MarkdownDescription: "The runner's version; null when unknown."},
				},
			},
			"ready": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether the management cluster answered and the root application is Synced and Healthy. A site that is not ready plans an update, which waits for it.",
			},
			"conditions": conditionsAttribute("Observed conditions: `ManagementClusterReachable` and, with `gitops`, `RootApplicationReady`."),
			"timeouts":   timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// validateSite reports bad input at validate and plan time, wherever the
// values are known.
func validateSite(ctx context.Context, m siteModel, diags *diag.Diagnostics) {
	if !m.Labels.IsNull() && !m.Labels.IsUnknown() {
		labels, d := stringMap(ctx, m.Labels)
		diags.Append(d...)
		if err := site.Validate(site.Spec{Name: "x", Labels: labels, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "x"}}); err != nil {
			addEngineError(diags, "Invalid site labels", err, siteAttributePaths)
		}
	}
	if !m.ClusterAddons.IsNull() && !m.ClusterAddons.IsUnknown() {
		validateClusterAddons(ctx, m, diags)
	}
	if !m.ManagementCluster.IsNull() && !m.ManagementCluster.IsUnknown() {
		var mc managementClusterModel
		diags.Append(m.ManagementCluster.As(ctx, &mc, basetypes.ObjectAsOptions{})...)
		validateManagementCluster(mc, diags)
	}
	if !m.Harbor.IsNull() && !m.Harbor.IsUnknown() {
		var h harborModel
		diags.Append(m.Harbor.As(ctx, &h, basetypes.ObjectAsOptions{})...)
		if !h.PasswordWO.IsNull() && h.PasswordWOVersion.IsNull() {
			diags.AddAttributeError(path.Root("harbor").AtName("password_wo_version"), "Missing password_wo_version",
				"Set password_wo_version with password_wo, and change it whenever the password changes")
		}
		if !anyUnknown(h.URL, h.Username) {
			if err := site.ValidateHarbor(site.Harbor{URL: h.URL.ValueString(), Username: h.Username.ValueString()}); err != nil {
				addEngineError(diags, "Invalid Harbor settings", err, siteAttributePaths)
			}
		}
	}
	if !m.GitOps.IsNull() && !m.GitOps.IsUnknown() {
		var g gitOpsModel
		diags.Append(m.GitOps.As(ctx, &g, basetypes.ObjectAsOptions{})...)
		if !g.PasswordWO.IsNull() && g.PasswordWOVersion.IsNull() {
			diags.AddAttributeError(path.Root("gitops").AtName("password_wo_version"), "Missing password_wo_version",
				"Set password_wo_version with password_wo, and change it whenever the password changes")
		}
		if anyUnknown(g.RepoURL, g.Branch, g.Path) {
			return
		}
		branch := g.Branch.ValueString()
		if g.Branch.IsNull() {
			branch = "main"
		}
		if err := site.ValidateGitOps(site.GitOps{RepoURL: g.RepoURL.ValueString(), Branch: branch, Path: g.Path.ValueString()}); err != nil {
			addEngineError(diags, "Invalid GitOps settings", err, siteAttributePaths)
		}
	}
}

// validateClusterAddons reports bad cluster add-ons at their attributes,
// such as cluster_addons[0].repo_url, skipping unknown values.
func validateClusterAddons(ctx context.Context, m siteModel, diags *diag.Diagnostics) {
	addons, d := expandClusterAddons(ctx, m.ClusterAddons)
	diags.Append(d...)
	raw, err := m.ClusterAddons.ToTerraformValue(ctx)
	if d.HasError() || err != nil {
		return
	}
	unknown := unknownAttributes(raw) // paths such as [0].name
	gitOps := !m.GitOps.IsNull() || m.GitOps.IsUnknown()
	err = site.ValidateAddons(addons, gitOps, func(p string) bool { return unknown.covers(strings.TrimPrefix(p, "cluster_addons")) })
	for _, in := range engine.InvalidInputs(err) {
		addEngineError(diags, "Invalid cluster add-on", in, siteAttributePaths)
	}
}

func validateManagementCluster(mc managementClusterModel, diags *diag.Diagnostics) {
	root := path.Root("management_cluster")
	if !mc.TokenWO.IsNull() && mc.TokenWOVersion.IsNull() {
		diags.AddAttributeError(root.AtName("token_wo_version"), "Missing token_wo_version",
			"Set token_wo_version with token_wo, and change it whenever the token changes")
	}
	if !mc.KubeconfigWO.IsNull() && mc.KubeconfigVersion.IsNull() {
		diags.AddAttributeError(root.AtName("kubeconfig_wo_version"), "Missing kubeconfig_wo_version",
			"Set kubeconfig_wo_version with kubeconfig_wo, and change it whenever the kubeconfig changes")
	}
	if mc.TokenWO.IsNull() && mc.KubeconfigWO.IsNull() && !mc.TokenWO.IsUnknown() && !mc.KubeconfigWO.IsUnknown() {
		diags.AddAttributeError(root.AtName("token_wo"), "Missing management cluster credentials", "Set token_wo (with host) or kubeconfig_wo")
		return
	}
	if anyUnknown(mc.Host, mc.CACertificate, mc.Context, mc.TokenWO, mc.KubeconfigWO) {
		return
	}
	spec := expandManagementCluster(mc)
	if err := site.ValidateManagementCluster(*spec); err != nil {
		addEngineError(diags, "Invalid management cluster settings", err, siteAttributePaths)
	}
}

// siteAttributePaths maps the engine's argument names onto this schema's.
var siteAttributePaths = map[string]string{
	"management_cluster.token":      "management_cluster.token_wo",
	"management_cluster.kubeconfig": "management_cluster.kubeconfig_wo",
	"gitops.password":               "gitops.password_wo",
	"harbor.password":               "harbor.password_wo",
}

// flattenSiteObservation writes what Observe found into m. Right after a
// create or update m keeps the plan's arguments (write-only values are in
// no observation) and takes the computed attributes.
func flattenSiteObservation(ctx context.Context, m *siteModel, obs engine.Observation[site.Spec, site.Status], applied bool) diag.Diagnostics {
	if applied {
		return flattenStatus(ctx, m, obs.Status)
	}
	return flattenSite(ctx, m, obs.Actual, obs.Status)
}

// importSite imports a site by its name.
func importSite(ctx context.Context, id string, resp *resource.ImportStateResponse) {
	if err := site.ValidateName(id); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a site by its name: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), id)...)
}
