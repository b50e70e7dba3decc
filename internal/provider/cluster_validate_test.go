package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// clusterConfig builds an mc_cluster configuration from attribute values;
// attributes not given are null.
func clusterConfig(t *testing.T, values map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	NewClusterResource().Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	typ := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	attrs := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(at, nil)
		if v, ok := values[name]; ok {
			attrs[name] = v
		}
	}
	return tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(typ, attrs)}
}

func TestClusterValidateConfigWithUnknowns(t *testing.T) {
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	NewClusterResource().Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	typ := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	cpType := typ.AttributeTypes["control_plane"].(tftypes.Object)
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	unknown := func(t tftypes.Type) tftypes.Value { return tftypes.NewValue(t, tftypes.UnknownValue) }
	controlPlane := func(replicas tftypes.Value) tftypes.Value {
		return tftypes.NewValue(cpType, map[string]tftypes.Value{
			"replicas": replicas, "endpoint": tftypes.NewValue(tftypes.String, nil),
			"host_selector": tftypes.NewValue(cpType.AttributeTypes["host_selector"], nil),
		})
	}
	cases := []struct {
		name   string
		values map[string]tftypes.Value
		want   string // substring of the error; empty for none
	}{
		{"everything unknown", map[string]tftypes.Value{
			"site": unknown(tftypes.String), "name": unknown(tftypes.String), "kubernetes_version": unknown(tftypes.String),
			"control_plane": unknown(cpType), "infrastructure": unknown(tftypes.String),
		}, ""},
		{"unknown site, known cluster", map[string]tftypes.Value{
			"site": unknown(tftypes.String), "name": str("web"), "kubernetes_version": str("v1.36.0"),
			"infrastructure": str("in_memory"), "control_plane": controlPlane(unknown(tftypes.Number)),
		}, ""},
		{"unknown site, bad version", map[string]tftypes.Value{
			"site": unknown(tftypes.String), "name": str("web"), "kubernetes_version": str("1.36"),
			"infrastructure": str("in_memory"), "control_plane": controlPlane(unknown(tftypes.Number)),
		}, "Kubernetes version such as v1.36.0"},
		{"unknown infrastructure, no endpoint", map[string]tftypes.Value{
			"site": str("site-b"), "name": str("web"), "kubernetes_version": str("v1.36.0"),
			"infrastructure": unknown(tftypes.String), "control_plane": controlPlane(tftypes.NewValue(tftypes.Number, 3)),
		}, ""},
		{"even control plane", map[string]tftypes.Value{
			"site": unknown(tftypes.String), "name": str("web"), "kubernetes_version": str("v1.36.0"),
			"infrastructure": str("in_memory"), "control_plane": controlPlane(tftypes.NewValue(tftypes.Number, 2)),
		}, "Must be odd"},
		{"unknown pod CIDR element, bad service CIDR", map[string]tftypes.Value{
			"site": str("site-b"), "name": str("web"), "kubernetes_version": str("v1.36.0"),
			"infrastructure": str("in_memory"), "control_plane": controlPlane(tftypes.NewValue(tftypes.Number, 1)),
			"pod_cidrs":     tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{unknown(tftypes.String)}),
			"service_cidrs": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{str("10.0.0.0/33")}),
		}, "is not a CIDR block"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			NewClusterResource().(resource.ResourceWithValidateConfig).ValidateConfig(ctx, resource.ValidateConfigRequest{Config: clusterConfig(t, c.values)}, &resp)
			var got string
			for _, d := range resp.Diagnostics.Errors() {
				got += d.Summary() + ": " + d.Detail() + "\n"
			}
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("ValidateConfig() errors = %q, want %q", got, c.want)
			}
		})
	}
}

// TestClusterValidateConfigReportsEveryError checks that every invalid
// argument is reported at once, each on its own attribute.
func TestClusterValidateConfigReportsEveryError(t *testing.T) {
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	NewClusterResource().Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	typ := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	cpType := typ.AttributeTypes["control_plane"].(tftypes.Object)
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	config := clusterConfig(t, map[string]tftypes.Value{
		"site": str("site-b"), "name": str("web"), "kubernetes_version": str("1.36"), "infrastructure": str("in_memory"),
		"control_plane": tftypes.NewValue(cpType, map[string]tftypes.Value{
			"replicas": tftypes.NewValue(tftypes.Number, 2), "endpoint": tftypes.NewValue(tftypes.String, nil),
			"host_selector": tftypes.NewValue(cpType.AttributeTypes["host_selector"], nil),
		}),
		"pod_cidrs": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{str("10.0.0.0/33")}),
	})
	var resp resource.ValidateConfigResponse
	NewClusterResource().(resource.ResourceWithValidateConfig).ValidateConfig(ctx, resource.ValidateConfigRequest{Config: config}, &resp)
	var got []string
	for _, d := range resp.Diagnostics.Errors() {
		if withPath, ok := d.(diag.DiagnosticWithPath); ok {
			got = append(got, withPath.Path().String())
		}
	}
	want := []string{"kubernetes_version", "control_plane.replicas", "pod_cidrs"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attributes with errors (-want +got):\n%s\n%v", diff, resp.Diagnostics)
	}
}

func TestAttributePath(t *testing.T) {
	for in, want := range map[string]string{
		"name":                             "name",
		"control_plane.endpoint":           "control_plane.endpoint",
		"worker_pools[1].name":             "worker_pools[1].name",
		"worker_pools[0].taints[2].effect": "worker_pools[0].taints[2].effect",
	} {
		if got := attributePath(in).String(); got != want {
			t.Errorf("attributePath(%q) = %q, want %q", in, got, want)
		}
	}
}
