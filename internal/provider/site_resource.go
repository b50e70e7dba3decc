package provider

import (
	"context"
	"fmt"
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
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

var (
	_ resource.Resource                   = (*siteResource)(nil)
	_ resource.ResourceWithConfigure      = (*siteResource)(nil)
	_ resource.ResourceWithImportState    = (*siteResource)(nil)
	_ resource.ResourceWithValidateConfig = (*siteResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*siteResource)(nil)
)

// Default timeouts of mc_site.
const (
	siteCreateTimeout = 10 * time.Minute
	siteUpdateTimeout = 10 * time.Minute
	siteDeleteTimeout = 10 * time.Minute
)

// NewSiteResource returns the mc_site resource.
func NewSiteResource() resource.Resource { return &siteResource{} }

type siteResource struct {
	data *providerData
}

type siteModel struct {
	ID                types.String   `tfsdk:"id"`
	Name              types.String   `tfsdk:"name"`
	Description       types.String   `tfsdk:"description"`
	Labels            types.Map      `tfsdk:"labels"`
	ManagementCluster types.Object   `tfsdk:"management_cluster"`
	ArgoCD            types.Object   `tfsdk:"argocd"`
	GitOps            types.Object   `tfsdk:"gitops"`
	Harbor            types.Object   `tfsdk:"harbor"`
	HarborVersion     types.String   `tfsdk:"harbor_version"`
	KubernetesVersion types.String   `tfsdk:"kubernetes_version"`
	CAPIVersion       types.String   `tfsdk:"capi_version"`
	ArgoCDVersion     types.String   `tfsdk:"argocd_version"`
	RootApplication   types.String   `tfsdk:"root_application"`
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

func (r *siteResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_site"
}

func (r *siteResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
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
			"ready": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether the management cluster answered and the root application is Synced and Healthy. A site that is not ready plans an update, which waits for it.",
			},
			"conditions": conditionsAttribute("Observed conditions: `ManagementClusterReachable` and, with `gitops`, `RootApplicationReady`."),
			"timeouts":   timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func (r *siteResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *siteResource) client(diags *diag.Diagnostics) *site.Client {
	return engineClient(r.data, diags, (*providerData).siteClient)
}

// ValidateConfig reports bad input at validate and plan time, wherever the
// values are known.
func (r *siteResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m siteModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !m.Labels.IsNull() && !m.Labels.IsUnknown() {
		labels, diags := stringMap(ctx, m.Labels)
		resp.Diagnostics.Append(diags...)
		if err := site.Validate(site.Spec{Name: "x", Labels: labels, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "x"}}); err != nil {
			addEngineError(&resp.Diagnostics, "Invalid site labels", err, siteAttributePaths)
		}
	}
	if !m.ManagementCluster.IsNull() && !m.ManagementCluster.IsUnknown() {
		var mc managementClusterModel
		resp.Diagnostics.Append(m.ManagementCluster.As(ctx, &mc, basetypes.ObjectAsOptions{})...)
		validateManagementCluster(mc, &resp.Diagnostics)
	}
	if !m.Harbor.IsNull() && !m.Harbor.IsUnknown() {
		var h harborModel
		resp.Diagnostics.Append(m.Harbor.As(ctx, &h, basetypes.ObjectAsOptions{})...)
		if !h.PasswordWO.IsNull() && h.PasswordWOVersion.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("harbor").AtName("password_wo_version"), "Missing password_wo_version",
				"Set password_wo_version with password_wo, and change it whenever the password changes")
		}
		if !anyUnknown(h.URL, h.Username) {
			if err := site.ValidateHarbor(site.Harbor{URL: h.URL.ValueString(), Username: h.Username.ValueString()}); err != nil {
				addEngineError(&resp.Diagnostics, "Invalid Harbor settings", err, siteAttributePaths)
			}
		}
	}
	if !m.GitOps.IsNull() && !m.GitOps.IsUnknown() {
		var g gitOpsModel
		resp.Diagnostics.Append(m.GitOps.As(ctx, &g, basetypes.ObjectAsOptions{})...)
		if !g.PasswordWO.IsNull() && g.PasswordWOVersion.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("gitops").AtName("password_wo_version"), "Missing password_wo_version",
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
			addEngineError(&resp.Diagnostics, "Invalid GitOps settings", err, siteAttributePaths)
		}
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
		diags.AddAttributeError(root, "Missing management cluster credentials", "Set token_wo (with host) or kubeconfig_wo")
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

// ModifyPlan plans an update for a site that is not ready yet (a create or
// update that outlived its timeout), so that the next apply resumes waiting
// instead of leaving the site half-done.
func (r *siteResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	planResumedWait(ctx, req, resp, map[string]attr.Value{
		"kubernetes_version": types.StringUnknown(), "capi_version": types.StringUnknown(), "argocd_version": types.StringUnknown(),
		"harbor_version": types.StringUnknown(), "root_application": types.StringUnknown(),
	})
}

func (r *siteResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply(ctx, true, req.Plan, req.Config, &resp.State, &resp.Diagnostics)
}

func (r *siteResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state siteModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	id := state.ID.ValueString()
	if id == "" {
		id = state.Name.ValueString()
	}
	obs, err := c.Observe(ctx, id, site.Spec{})
	if err != nil {
		resp.Diagnostics.AddError("Error reading site", fmt.Sprintf("Cannot read site %q: %s", id, err))
		return
	}
	if !obs.Exists {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(flattenSite(ctx, &state, obs.Actual, obs.Status)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *siteResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply(ctx, false, req.Plan, req.Config, &resp.State, &resp.Diagnostics)
}

// apply is Create and Update: the engine call, then the wait for readiness.
func (r *siteResource) apply(ctx context.Context, creating bool, planIn tfsdk.Plan, configIn tfsdk.Config, state *tfsdk.State, diags *diag.Diagnostics) {
	var plan, config siteModel
	diags.Append(planIn.Get(ctx, &plan)...)
	diags.Append(configIn.Get(ctx, &config)...)
	c := r.client(diags)
	if diags.HasError() || c == nil {
		return
	}
	verb := "updating"
	timeout, d := plan.Timeouts.Update(ctx, siteUpdateTimeout)
	if creating {
		verb = "creating"
		timeout, d = plan.Timeouts.Create(ctx, siteCreateTimeout)
	}
	diags.Append(d...)
	spec, d := expandSite(ctx, plan, config)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	id := plan.ID.ValueString()
	var err error
	if creating {
		id, err = c.Create(ctx, spec)
	} else {
		err = c.Update(ctx, id, spec)
	}
	if err != nil {
		addEngineError(diags, "Error "+verb+" site", err, siteAttributePaths)
		return
	}
	plan.ID = types.StringValue(id)
	obs, err := waitReady(ctx, c.Observe, c.Trigger, id, spec, timeout)
	diags.Append(flattenStatus(ctx, &plan, obs.Status)...)
	switch {
	case err == nil:
	case engine.IsTimeout(err):
		diags.AddWarning("Site not ready yet", fmt.Sprintf("Site %q is registered but not ready: %s. It stays in state; the next apply resumes waiting", id, err))
	default:
		addEngineError(diags, "Error "+verb+" site", err, siteAttributePaths)
	}
	diags.Append(state.Set(ctx, &plan)...)
}

func (r *siteResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state siteModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() || c == nil {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, siteDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	id := state.ID.ValueString()
	if err := deleteUntilGone(ctx, c.Delete, c.Observe, c.Trigger, id, timeout); err != nil {
		if engine.IsTimeout(err) {
			resp.Diagnostics.AddError("Error deleting site", fmt.Sprintf("Site %q is still being deleted after the delete timeout: %s. Run destroy again to resume", id, err))
			return
		}
		addEngineError(&resp.Diagnostics, "Error deleting site", err, siteAttributePaths)
	}
}

func (r *siteResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if err := site.ValidateName(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a site by its name: %s", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
