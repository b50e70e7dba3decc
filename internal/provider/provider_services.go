package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// The provider's blocks for the platform's Bitbucket Cloud and Jira Cloud,
// which mc_project and mc_project_member use.

type bitbucketProviderModel struct {
	URL      types.String `tfsdk:"url"`
	Username types.String `tfsdk:"username"`
	Token    types.String `tfsdk:"token"`
}

type jiraProviderModel struct {
	URL      types.String `tfsdk:"url"`
	Email    types.String `tfsdk:"email"`
	APIToken types.String `tfsdk:"api_token"`
}

func bitbucketProviderAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "The platform's Bitbucket Cloud, for `mc_project` and `mc_project_member`. " +
			"Each argument can also come from the environment; without a URL there is no Bitbucket.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "API URL, `https://api.bitbucket.org/2.0` for Bitbucket Cloud. Environment: `MC_BITBUCKET_URL`.",
			},
			"username": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Atlassian account email (with an API token) or Bitbucket username (with an app password); leave it out for a workspace, project or repository access token, sent as a bearer token. Environment: `MC_BITBUCKET_USERNAME`.",
			},
			"token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "API token, app password or access token. Environment: `MC_BITBUCKET_TOKEN`.",
			},
		},
	}
}

func jiraProviderAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "The platform's Jira Cloud, for `mc_project` and `mc_project_member`. " +
			"Each argument can also come from the environment; without a URL there is no Jira.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Site URL, such as `https://your-domain.atlassian.net`. Environment: `MC_JIRA_URL`.",
			},
			"email": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Email of the Atlassian account. Environment: `MC_JIRA_EMAIL`.",
			},
			"api_token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "API token of the account. Environment: `MC_JIRA_API_TOKEN`.",
			},
		},
	}
}

// configureServices reads the bitbucket and jira blocks, each argument
// falling back to its environment variable through str.
func configureServices(ctx context.Context, m providerModel, str func(types.String, string) string, diags *diag.Diagnostics) registry.Services {
	var out registry.Services
	var bb bitbucketProviderModel
	if !m.Bitbucket.IsNull() && !m.Bitbucket.IsUnknown() {
		diags.Append(m.Bitbucket.As(ctx, &bb, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	}
	if u := str(bb.URL, "MC_BITBUCKET_URL"); u != "" {
		out.Bitbucket = &registry.BitbucketAccess{URL: u, Username: str(bb.Username, "MC_BITBUCKET_USERNAME"), Token: str(bb.Token, "MC_BITBUCKET_TOKEN")}
	}
	var jm jiraProviderModel
	if !m.Jira.IsNull() && !m.Jira.IsUnknown() {
		diags.Append(m.Jira.As(ctx, &jm, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true})...)
	}
	if u := str(jm.URL, "MC_JIRA_URL"); u != "" {
		out.Jira = &registry.JiraAccess{URL: u, Email: str(jm.Email, "MC_JIRA_EMAIL"), APIToken: str(jm.APIToken, "MC_JIRA_API_TOKEN")}
	}
	if out.Jira != nil && (out.Jira.Email == "" || out.Jira.APIToken == "") {
		diags.AddAttributeError(path.Root("jira"), "Incomplete Jira configuration", "Jira Cloud needs an email and an API token beside its URL (email and api_token, or MC_JIRA_EMAIL and MC_JIRA_API_TOKEN)")
	}
	if out.Bitbucket != nil && out.Bitbucket.Token == "" {
		diags.AddAttributeError(path.Root("bitbucket"), "Incomplete Bitbucket configuration", "Bitbucket Cloud needs a token beside its URL (token, or MC_BITBUCKET_TOKEN)")
	}
	return out
}

func (d *providerData) projectClient() (*project.Client, error) {
	if _, err := d.platform(); err != nil {
		return nil, err
	}
	return d.projects, nil
}
