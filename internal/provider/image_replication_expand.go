package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
)

// expandImageReplication builds the engine spec from a plan or configuration.
func expandImageReplication(ctx context.Context, m imageReplicationModel) (imagereplication.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := imagereplication.Spec{
		Name: m.Name.ValueString(), SourceSite: m.SourceSite.ValueString(), DestinationSite: m.DestinationSite.ValueString(),
		Direction: m.Direction.ValueString(), DestinationNamespace: m.DestinationNamespace.ValueString(),
		Override: m.Override.ValueBool(), Enabled: m.Enabled.ValueBool(), EndpointInsecure: m.EndpointInsecure.ValueBool(),
	}
	if known(m.Speed) {
		s.Settings.Speed = new(int32(m.Speed.ValueInt64()))
	}
	if known(m.CopyByChunk) {
		s.Settings.CopyByChunk = new(m.CopyByChunk.ValueBool())
	}
	if known(m.SingleActive) {
		s.Settings.SingleActiveReplication = new(m.SingleActive.ValueBool())
	}
	if known(m.ReplicateDeletion) {
		s.Settings.Deletion = new(m.ReplicateDeletion.ValueBool())
	}
	if known(m.ReplaceCount) {
		s.Settings.DestinationNamespaceReplaceCount = new(int8(m.ReplaceCount.ValueInt64()))
	}
	if !m.Filters.IsNull() && !m.Filters.IsUnknown() {
		var f replicationFiltersModel
		diags.Append(m.Filters.As(ctx, &f, basetypes.ObjectAsOptions{})...)
		s.Filters = imagereplication.Filters{Name: f.Name.ValueString(), Tag: f.Tag.ValueString(), ResourceType: f.ResourceType.ValueString()}
		if !f.Labels.IsNull() && !f.Labels.IsUnknown() {
			diags.Append(f.Labels.ElementsAs(ctx, &s.Filters.Labels, true)...) // unknown elements expand to ""
		}
	}
	if !m.Trigger.IsNull() && !m.Trigger.IsUnknown() {
		var t replicationTriggerModel
		diags.Append(m.Trigger.As(ctx, &t, basetypes.ObjectAsOptions{})...)
		s.Trigger = imagereplication.Trigger{Type: t.Type.ValueString(), Cron: t.Cron.ValueString()}
	}
	return s, diags
}

// flattenImageReplication writes what Harbor reports into m.
func flattenImageReplication(ctx context.Context, m *imageReplicationModel, s imagereplication.Spec, st imagereplication.Status) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(s.ID())
	m.Name = types.StringValue(s.Name)
	m.SourceSite = types.StringValue(s.SourceSite)
	m.DestinationSite = types.StringValue(s.DestinationSite)
	m.Direction = types.StringValue(s.Direction)
	m.DestinationNamespace = optionalString(s.DestinationNamespace)
	m.Override = types.BoolValue(s.Override)
	m.Enabled = types.BoolValue(s.Enabled)
	f := s.Filters
	if f.Name == "" && f.Tag == "" && len(f.Labels) == 0 && f.ResourceType == "" {
		m.Filters = types.ObjectNull(replicationFiltersTypes)
	} else {
		labels := types.ListNull(types.StringType)
		if len(f.Labels) > 0 {
			var d diag.Diagnostics
			labels, d = types.ListValueFrom(ctx, types.StringType, f.Labels)
			diags.Append(d...)
		}
		m.Filters = types.ObjectValueMust(replicationFiltersTypes, map[string]attr.Value{
			"name": optionalString(f.Name), "tag": optionalString(f.Tag), "labels": labels, "resource_type": optionalString(f.ResourceType),
		})
	}
	m.Trigger = types.ObjectValueMust(replicationTriggerTypes, map[string]attr.Value{
		"type": types.StringValue(s.Trigger.Type), "cron": optionalString(s.Trigger.Cron),
	})
	m.EndpointInsecure = types.BoolValue(s.EndpointInsecure)
	if v := s.Settings.Speed; v != nil {
		m.Speed = types.Int64Value(int64(*v))
	}
	if v := s.Settings.CopyByChunk; v != nil {
		m.CopyByChunk = types.BoolValue(*v)
	}
	if v := s.Settings.SingleActiveReplication; v != nil {
		m.SingleActive = types.BoolValue(*v)
	}
	if v := s.Settings.Deletion; v != nil {
		m.ReplicateDeletion = types.BoolValue(*v)
	}
	if v := s.Settings.DestinationNamespaceReplaceCount; v != nil {
		m.ReplaceCount = types.Int64Value(int64(*v))
	}
	m.RunsOn = types.StringValue(st.RunsOn)
	m.PolicyID = types.Int64Value(st.PolicyID)
	m.RegistryID = types.Int64Value(st.RegistryID)
	m.RegistryName = types.StringValue(st.RegistryName)
	m.Robot = types.StringValue(st.Robot)
	m.CredentialsCurrent = types.BoolValue(st.CredentialsCurrent)
	if e := st.LastExecution; e == nil {
		m.LastExecution = types.ObjectNull(replicationExecutionTypes)
	} else {
		m.LastExecution = types.ObjectValueMust(replicationExecutionTypes, map[string]attr.Value{
			"id": types.Int64Value(e.ID), "status": types.StringValue(e.Status), "succeeded": types.Int64Value(int64(e.Succeeded)),
			"failed": types.Int64Value(int64(e.Failed)), "in_progress": types.Int64Value(int64(e.InProgress)),
			"total": types.Int64Value(int64(e.Total)), "message": types.StringValue(e.Message),
		})
	}
	return diags
}

// known reports whether v has a value: neither null nor unknown.
func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }
