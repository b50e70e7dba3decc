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

// TestClusterBadInput is mc_cluster's table of inputs that kubeadm,
// Kubernetes or Cluster API would reject after the machines are made, each
// with its valid twin.
func TestClusterBadInput(t *testing.T) {
	taint := func(key, value, effect string) map[string]any {
		return map[string]any{"key": key, "value": value, "effect": effect}
	}
	pool := func(name string) map[string]any { return map[string]any{"name": name, "replicas": 1} }
	topology := map[string]any{"class": "quick-start", "workers": []any{map[string]any{"name": "md-0", "class": "default-worker"}}}
	base := map[string]any{
		"site": "site-b", "name": "web", "kubernetes_version": "v1.36.0",
		"control_plane": map[string]any{"replicas": 3, "endpoint": "10.0.0.10:6443"},
		"worker_pools":  []any{map[string]any{"name": "md-0", "replicas": 2, "taints": []any{taint("dedicated", "gpu", "NoSchedule")}}},
	}
	runValidateTable(t, "mc_cluster", base, []badInput{
		{name: "two IPv4 pod ranges", want: []string{"pod_cidrs[1]"}, detail: "one range per IP family",
			good: map[string]any{"pod_cidrs": []any{"10.244.0.0/16", "fd00:10:244::/56"}, "service_cidrs": []any{"10.96.0.0/16", "fd00:10:96::/112"}},
			bad:  map[string]any{"pod_cidrs": []any{"10.244.0.0/16", "10.245.0.0/16"}}},
		{name: "two IPv6 service ranges", want: []string{"service_cidrs[1]"},
			good: map[string]any{"pod_cidrs": []any{"fd00:10:244::/56"}, "service_cidrs": []any{"fd00:10:96::/112"}},
			bad:  map[string]any{"pod_cidrs": []any{"fd00:10:244::/56"}, "service_cidrs": []any{"fd00:10:96::/112", "fd00:10:97::/112"}}},
		{name: "pod and service ranges of other families", want: []string{"pod_cidrs"},
			good: map[string]any{"pod_cidrs": []any{"fd00:10:244::/56"}, "service_cidrs": []any{"fd00:10:96::/112"}},
			bad:  map[string]any{"pod_cidrs": []any{"fd00:10:244::/56"}}},
		{name: "service range over 20 bits", want: []string{"service_cidrs[0]"},
			good: map[string]any{"service_cidrs": []any{"172.16.0.0/12"}},
			bad:  map[string]any{"service_cidrs": []any{"172.0.0.0/8"}}},
		{name: "pod range smaller than a node's", want: []string{"pod_cidrs[0]"},
			good: map[string]any{"pod_cidrs": []any{"10.244.0.0/24"}},
			bad:  map[string]any{"pod_cidrs": []any{"10.244.0.0/25"}}},
		{name: "IPv6 pod range too large to cut", want: []string{"pod_cidrs[0]"},
			good: map[string]any{"pod_cidrs": []any{"fd00::/48"}, "service_cidrs": []any{"fd00:10:96::/112"}},
			bad:  map[string]any{"pod_cidrs": []any{"fd00::/32"}, "service_cidrs": []any{"fd00:10:96::/112"}}},
		{name: "pod range with host bits", want: []string{"pod_cidrs"},
			good: map[string]any{"pod_cidrs": []any{"10.244.0.0/16"}},
			bad:  map[string]any{"pod_cidrs": []any{"10.244.0.1/16"}}},
		{name: "repeated taint key and effect", want: []string{"worker_pools[0].taints[1]"}, detail: "one taint per key and effect",
			good: map[string]any{"worker_pools[0].taints": []any{taint("dedicated", "gpu", "NoSchedule"), taint("dedicated", "gpu", "NoExecute")}},
			bad:  map[string]any{"worker_pools[0].taints": []any{taint("dedicated", "gpu", "NoSchedule"), taint("dedicated", "cpu", "NoSchedule")}}},
		{name: "bad taint effect", want: []string{"worker_pools[0].taints[0].effect"},
			good: map[string]any{"worker_pools[0].taints": []any{taint("dedicated", "gpu", "PreferNoSchedule")}},
			bad:  map[string]any{"worker_pools[0].taints": []any{taint("dedicated", "gpu", "NoScheduleAtAll")}}},
		{name: "loopback endpoint", want: []string{"control_plane.endpoint"}, detail: "loopback",
			good: map[string]any{"control_plane.endpoint": "10.0.0.11:6443"},
			bad:  map[string]any{"control_plane.endpoint": "127.0.0.1:6443"}},
		{name: "unspecified endpoint", want: []string{"control_plane.endpoint"},
			good: map[string]any{"control_plane.endpoint": "[fd00::10]:6443"},
			bad:  map[string]any{"control_plane.endpoint": "[::]:6443"}},
		{name: "localhost endpoint", want: []string{"control_plane.endpoint"},
			good: map[string]any{"control_plane.endpoint": "api.web.example:6443"},
			bad:  map[string]any{"control_plane.endpoint": "localhost:6443"}},
		{name: "link-local endpoint", want: []string{"control_plane.endpoint"},
			good: map[string]any{"control_plane.endpoint": "172.16.0.10:6443"},
			bad:  map[string]any{"control_plane.endpoint": "169.254.0.10:6443"}},
		{name: "endpoint inside the service range", want: []string{"control_plane.endpoint"}, detail: "inside service_cidrs",
			good: map[string]any{"control_plane.endpoint": "10.127.255.10:6443"},
			bad:  map[string]any{"control_plane.endpoint": "10.128.0.1:6443"}},
		{name: "endpoint port out of range", want: []string{"control_plane.endpoint"},
			good: map[string]any{"control_plane.endpoint": "10.0.0.10:65535"},
			bad:  map[string]any{"control_plane.endpoint": "10.0.0.10:65536"}},
		{name: "endpoint port zero", want: []string{"control_plane.endpoint"},
			good: map[string]any{"control_plane.endpoint": "10.0.0.10:443"},
			bad:  map[string]any{"control_plane.endpoint": "10.0.0.10:0"}},
		{name: "endpoint with stray white space", want: []string{"control_plane.endpoint"},
			good: map[string]any{"control_plane.endpoint": "10.0.0.10:6443"},
			bad:  map[string]any{"control_plane.endpoint": " 10.0.0.10:6443"}},
		{name: "endpoint without port", want: []string{"control_plane.endpoint"},
			good: map[string]any{"control_plane.endpoint": "10.0.0.10:6443"},
			bad:  map[string]any{"control_plane.endpoint": "10.0.0.10"}},
		{name: "even control plane", want: []string{"control_plane.replicas"},
			good: map[string]any{"control_plane.replicas": 5},
			bad:  map[string]any{"control_plane.replicas": 4}},
		{name: "duplicate pool", want: []string{"worker_pools[1].name"},
			good: map[string]any{"worker_pools": []any{pool("md-0"), pool("md-1")}},
			bad:  map[string]any{"worker_pools": []any{pool("md-0"), pool("md-0")}}},
		{name: "in_memory with an endpoint", want: []string{"control_plane.endpoint"},
			good: map[string]any{"infrastructure": "in_memory", "control_plane.endpoint": nil},
			bad:  map[string]any{"infrastructure": "in_memory"}},
		{name: "topology with worker pools", want: []string{"worker_pools"}, detail: "topology.workers",
			good: map[string]any{"infrastructure": "in_memory", "control_plane.endpoint": nil, "worker_pools": nil, "topology": topology},
			bad:  map[string]any{"infrastructure": "in_memory", "control_plane.endpoint": nil, "topology": topology}},
		{name: "zero create timeout", want: []string{"timeouts.create"}, detail: "not positive",
			good: map[string]any{"timeouts": map[string]any{"create": "90m"}},
			bad:  map[string]any{"timeouts": map[string]any{"create": "0s"}}},
		{name: "negative update timeout", want: []string{"timeouts.update"},
			good: map[string]any{"timeouts": map[string]any{"update": "5m"}},
			bad:  map[string]any{"timeouts": map[string]any{"update": "-5m"}}},
		{name: "unparsable delete timeout", want: []string{"timeouts.delete"},
			good: map[string]any{"timeouts": map[string]any{"delete": "10m"}},
			bad:  map[string]any{"timeouts": map[string]any{"delete": "ten minutes"}}},
		{name: "version without v", want: []string{"kubernetes_version"},
			good: map[string]any{"kubernetes_version": "v1.35.2"},
			bad:  map[string]any{"kubernetes_version": "1.35.2"}},
	})
}
