package provider

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestSiteSecretsFindsEveryWriteOnlyValue checks that the write-only values
// a site's logs must mask are all found.
func TestSiteSecretsFindsEveryWriteOnlyValue(t *testing.T) {
	config := siteModel{
		ManagementCluster: types.ObjectValueMust(managementClusterTypes, map[string]attr.Value{
			"host": types.StringValue("https://10.0.0.1:6443"), "ca_certificate": types.StringNull(), "insecure": types.BoolNull(),
			"context": types.StringNull(), "token_wo": types.StringValue("cluster-token"), "token_wo_version": types.Int64Value(1),
			"kubeconfig_wo": types.StringNull(), "kubeconfig_wo_version": types.Int64Null(),
		}),
		Harbor: types.ObjectValueMust(harborTypes, map[string]attr.Value{
			"url": types.StringValue("https://harbor.example"), "username": types.StringValue("robot"),
			"password_wo": types.StringValue("harbor-password"), "password_wo_version": types.Int64Value(1), "insecure": types.BoolNull(),
		}),
		GitOps: types.ObjectValueMust(gitOpsTypes, map[string]attr.Value{
			"repo_url": types.StringValue("https://git.example/gitops.git"), "branch": types.StringNull(), "path": types.StringValue("sites/b"),
			"username": types.StringValue("git"), "password_wo": types.StringValue("git-password"), "password_wo_version": types.Int64Value(1),
		}),
	}
	got := slices.DeleteFunc(siteSecrets(&config), func(s string) bool { return s == "" })
	slices.Sort(got)
	if diff := cmp.Diff([]string{"cluster-token", "git-password", "harbor-password"}, got); diff != "" {
		t.Errorf("siteSecrets() (-want +got):\n%s", diff)
	}
	if got := siteSecrets(&siteModel{ManagementCluster: types.ObjectNull(managementClusterTypes), Harbor: types.ObjectNull(harborTypes), GitOps: types.ObjectNull(gitOpsTypes)}); len(got) != 0 {
		t.Errorf("siteSecrets() of a site without secrets = %q, want none", got)
	}
}
