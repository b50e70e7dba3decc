package provider

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

func TestConfigureServices(t *testing.T) {
	bitbucketTypes := map[string]attr.Type{"url": types.StringType, "username": types.StringType, "token": types.StringType}
	jiraTypes := map[string]attr.Type{"url": types.StringType, "email": types.StringType, "api_token": types.StringType}
	str := func(v types.String, env string) string {
		if !v.IsNull() {
			return v.ValueString()
		}
		return os.Getenv(env)
	}
	for name, tc := range map[string]struct {
		env      map[string]string
		model    providerModel
		want     registry.Services
		wantDiag bool
	}{
		"nothing": {model: providerModel{Bitbucket: types.ObjectNull(bitbucketTypes), Jira: types.ObjectNull(jiraTypes)}},
		"from the environment": {
			env: map[string]string{
				"MC_BITBUCKET_URL": "http://bb/2.0", "MC_BITBUCKET_USERNAME": "bot", "MC_BITBUCKET_TOKEN": "t1",
				"MC_JIRA_URL": "http://jira", "MC_JIRA_EMAIL": "bot@example", "MC_JIRA_API_TOKEN": "t2",
			},
			model: providerModel{Bitbucket: types.ObjectNull(bitbucketTypes), Jira: types.ObjectNull(jiraTypes)},
			want: registry.Services{
				Bitbucket: &registry.BitbucketAccess{URL: "http://bb/2.0", Username: "bot", Token: "t1"},
				Jira:      &registry.JiraAccess{URL: "http://jira", Email: "bot@example", APIToken: "t2"},
			},
		},
		"the block wins over the environment": {
			env: map[string]string{"MC_BITBUCKET_URL": "http://env/2.0", "MC_BITBUCKET_USERNAME": "env", "MC_BITBUCKET_TOKEN": "env"},
			model: providerModel{
				Bitbucket: types.ObjectValueMust(bitbucketTypes, map[string]attr.Value{
					"url": types.StringValue("http://block/2.0"), "username": types.StringNull(), "token": types.StringValue("block"),
				}),
				Jira: types.ObjectNull(jiraTypes),
			},
			want: registry.Services{Bitbucket: &registry.BitbucketAccess{URL: "http://block/2.0", Username: "env", Token: "block"}},
		},
		"Jira without a token": {
			model: providerModel{
				Bitbucket: types.ObjectNull(bitbucketTypes),
				Jira: types.ObjectValueMust(jiraTypes, map[string]attr.Value{
					"url": types.StringValue("http://jira"), "email": types.StringValue("bot@example"), "api_token": types.StringNull(),
				}),
			},
			want:     registry.Services{Jira: &registry.JiraAccess{URL: "http://jira", Email: "bot@example"}},
			wantDiag: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"MC_BITBUCKET_URL", "MC_BITBUCKET_USERNAME", "MC_BITBUCKET_TOKEN", "MC_JIRA_URL", "MC_JIRA_EMAIL", "MC_JIRA_API_TOKEN"} {
				t.Setenv(k, tc.env[k])
			}
			var diags diag.Diagnostics
			got := configureServices(context.Background(), tc.model, str, &diags)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
			if diags.HasError() != tc.wantDiag {
				t.Errorf("diagnostics = %v, want an error: %v", diags, tc.wantDiag)
			}
		})
	}
}
