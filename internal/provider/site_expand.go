package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// expandSite builds the engine spec from the plan, taking write-only secrets
// from the configuration (they are never in the plan).
func expandSite(ctx context.Context, plan, config siteModel) (site.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := site.Spec{Name: plan.Name.ValueString(), Description: plan.Description.ValueString(), Hub: plan.Hub.ValueBool()}
	labels, d := stringMap(ctx, plan.Labels)
	diags.Append(d...)
	s.Labels = labels
	var a argoCDModel
	diags.Append(plan.ArgoCD.As(ctx, &a, basetypes.ObjectAsOptions{})...)
	s.ArgoCD = site.ArgoCD{Namespace: a.Namespace.ValueString(), Destination: a.Destination.ValueString()}
	if !plan.ManagementCluster.IsNull() {
		var mc managementClusterModel
		diags.Append(plan.ManagementCluster.As(ctx, &mc, basetypes.ObjectAsOptions{})...)
		var secrets managementClusterModel
		diags.Append(config.ManagementCluster.As(ctx, &secrets, basetypes.ObjectAsOptions{})...)
		mc.TokenWO, mc.KubeconfigWO = secrets.TokenWO, secrets.KubeconfigWO
		s.ManagementCluster = expandManagementCluster(mc)
	}
	if !plan.GitOps.IsNull() {
		var g, secrets gitOpsModel
		diags.Append(plan.GitOps.As(ctx, &g, basetypes.ObjectAsOptions{})...)
		diags.Append(config.GitOps.As(ctx, &secrets, basetypes.ObjectAsOptions{})...)
		s.GitOps = &site.GitOps{
			RepoURL: g.RepoURL.ValueString(), Branch: g.Branch.ValueString(), Path: g.Path.ValueString(),
			Username: g.Username.ValueString(), Password: secrets.PasswordWO.ValueString(), PasswordVersion: g.PasswordWOVersion.ValueInt64(),
		}
	}
	if !plan.Harbor.IsNull() {
		var h, secrets harborModel
		diags.Append(plan.Harbor.As(ctx, &h, basetypes.ObjectAsOptions{})...)
		diags.Append(config.Harbor.As(ctx, &secrets, basetypes.ObjectAsOptions{})...)
		s.Harbor = &site.Harbor{
			URL: h.URL.ValueString(), Username: h.Username.ValueString(), Insecure: h.Insecure.ValueBool(),
			Password: secrets.PasswordWO.ValueString(), PasswordVersion: h.PasswordWOVersion.ValueInt64(),
		}
	}
	addons, d := expandClusterAddons(ctx, plan.ClusterAddons)
	diags.Append(d...)
	s.ClusterAddons = addons
	return s, diags
}

func expandManagementCluster(mc managementClusterModel) *site.ManagementCluster {
	return &site.ManagementCluster{
		Host: mc.Host.ValueString(), CACertificate: mc.CACertificate.ValueString(), Insecure: mc.Insecure.ValueBool(),
		Context: mc.Context.ValueString(),
		Token:   mc.TokenWO.ValueString(), TokenVersion: mc.TokenWOVersion.ValueInt64(),
		Kubeconfig: mc.KubeconfigWO.ValueString(), KubeconfigVersion: mc.KubeconfigVersion.ValueInt64(),
	}
}

// flattenSite writes what the backend reports into m. Write-only values stay null.
func flattenSite(ctx context.Context, m *siteModel, s site.Spec, st site.Status) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(s.Name)
	m.Name = types.StringValue(s.Name)
	m.Description = optionalString(s.Description)
	m.Hub = types.BoolValue(s.Hub)
	if len(s.Labels) == 0 {
		m.Labels = types.MapNull(types.StringType)
	} else {
		v, d := types.MapValueFrom(ctx, types.StringType, s.Labels)
		diags.Append(d...)
		m.Labels = v
	}
	m.ArgoCD = types.ObjectValueMust(argoCDTypes, map[string]attr.Value{
		"namespace": types.StringValue(s.ArgoCD.Namespace), "destination": types.StringValue(s.ArgoCD.Destination),
	})
	if mc := s.ManagementCluster; mc == nil {
		m.ManagementCluster = types.ObjectNull(managementClusterTypes)
	} else {
		m.ManagementCluster = types.ObjectValueMust(managementClusterTypes, map[string]attr.Value{
			"host": optionalString(mc.Host), "ca_certificate": optionalString(mc.CACertificate), "insecure": types.BoolValue(mc.Insecure),
			"context": optionalString(mc.Context), "token_wo": types.StringNull(), "token_wo_version": optionalInt64(mc.TokenVersion),
			"kubeconfig_wo": types.StringNull(), "kubeconfig_wo_version": optionalInt64(mc.KubeconfigVersion),
		})
	}
	if g := s.GitOps; g == nil {
		m.GitOps = types.ObjectNull(gitOpsTypes)
	} else {
		m.GitOps = types.ObjectValueMust(gitOpsTypes, map[string]attr.Value{
			"repo_url": types.StringValue(g.RepoURL), "branch": types.StringValue(g.Branch), "path": types.StringValue(g.Path),
			"username": optionalString(g.Username), "password_wo": types.StringNull(), "password_wo_version": optionalInt64(g.PasswordVersion),
		})
	}
	if h := s.Harbor; h == nil {
		m.Harbor = types.ObjectNull(harborTypes)
	} else {
		m.Harbor = types.ObjectValueMust(harborTypes, map[string]attr.Value{
			"url": types.StringValue(h.URL), "username": types.StringValue(h.Username), "password_wo": types.StringNull(),
			"password_wo_version": optionalInt64(h.PasswordVersion), "insecure": types.BoolValue(h.Insecure),
		})
	}
	m.ClusterAddons = flattenClusterAddons(ctx, m.ClusterAddons, s.ClusterAddons, &diags)
	diags.Append(flattenStatus(ctx, m, st)...)
	return diags
}

// flattenStatus writes the computed attributes into m.
func flattenStatus(ctx context.Context, m *siteModel, st site.Status) diag.Diagnostics {
	m.KubernetesVersion = types.StringValue(st.KubernetesVersion)
	m.CAPIVersion = optionalString(st.CAPIVersion)
	m.ArgoCDVersion = optionalString(st.ArgoCDVersion)
	m.HarborVersion = optionalString(st.HarborVersion)
	m.RootApplication = optionalString(st.RootApplication)
	m.TaskRunner = taskRunnerValue(st.TaskRunner)
	m.Ready = types.BoolValue(st.Ready)
	m.Conditions = conditionsValue(st.Conditions)
	return nil
}

// taskRunnerTypes are the attribute types of a site's task_runner.
var taskRunnerTypes = map[string]attr.Type{
	"available": types.BoolType, "identity": types.StringType,
	"executors": types.ListType{ElemType: types.StringType}, "version": types.StringType,
}

// taskRunnerValue is a site's task_runner.
func taskRunnerValue(tr site.TaskRunner) types.Object {
	executors := make([]attr.Value, 0, len(tr.Executors))
	for _, e := range tr.Executors {
		executors = append(executors, types.StringValue(e))
	}
	return types.ObjectValueMust(taskRunnerTypes, map[string]attr.Value{
		"available": types.BoolValue(tr.Available), "identity": optionalString(tr.Identity),
		"executors": types.ListValueMust(types.StringType, executors), "version": optionalString(tr.Version),
	})
}
