package provider

import (
	"context"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestApplicationValidateConfig checks the plan-time validation of an
// application: every invalid argument is reported on its attribute, and
// what is unknown (a project key or a value made in the same
// configuration) is skipped.
func TestApplicationValidateConfig(t *testing.T) {
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	NewApplicationResource().Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	typ := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	tmplType := typ.AttributeTypes["template"].(tftypes.Object)
	mapType := typ.AttributeTypes["initial_values"]
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	template := func(source, yaml string) tftypes.Value {
		return tftypes.NewValue(tmplType, map[string]tftypes.Value{"source_repo": str(source), "yaml_repo": str(yaml), "ref": tftypes.NewValue(tftypes.String, nil)})
	}
	good := template("https://bitbucket.org/t/go.git", "https://bitbucket.org/t/go-yaml.git")
	values := func(kv map[string]tftypes.Value) tftypes.Value { return tftypes.NewValue(mapType, kv) }
	config := func(v map[string]tftypes.Value) tfsdk.Config {
		attrs := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			attrs[name] = tftypes.NewValue(at, nil)
			if val, ok := v[name]; ok {
				attrs[name] = val
			}
		}
		return tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(typ, attrs)}
	}
	for _, tc := range []struct {
		name   string
		values map[string]tftypes.Value
		want   []string // attributes with errors
	}{
		{"valid", map[string]tftypes.Value{"project": str("WEB"), "name": str("shop"), "template": good, "initial_values": values(map[string]tftypes.Value{"port": str("8080")})}, nil},
		{"unknown project and value", map[string]tftypes.Value{"project": unknown, "name": str("shop"), "template": good,
			"initial_values": values(map[string]tftypes.Value{"port": unknown})}, nil},
		{"unknown template", map[string]tftypes.Value{"project": str("WEB"), "name": str("shop"), "template": tftypes.NewValue(tmplType, tftypes.UnknownValue)}, nil},
		{"upper-case name", map[string]tftypes.Value{"project": str("WEB"), "name": str("Shop"), "template": good}, []string{"name"}},
		{"name too long for the yaml repository", map[string]tftypes.Value{"project": str("WEB"), "name": str("a234567890123456789012345678901234567890123456789012345678"), "template": good}, []string{"name"}},
		{"ssh template and bad value key", map[string]tftypes.Value{"project": str("web"), "name": str("shop"),
			"template":       template("git@bitbucket.org:t/go.git", "https://bitbucket.org/t/go-yaml.git"),
			"initial_values": values(map[string]tftypes.Value{"my-port": str("1")})}, []string{"initial_values", "project", "template.source_repo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			NewApplicationResource().(resource.ResourceWithValidateConfig).ValidateConfig(ctx, resource.ValidateConfigRequest{Config: config(tc.values)}, &resp)
			var got []string
			for _, d := range resp.Diagnostics.Errors() {
				if withPath, ok := d.(diag.DiagnosticWithPath); ok {
					got = append(got, withPath.Path().String())
				} else {
					got = append(got, "(no path) "+d.Detail())
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("attributes with errors (-want +got):\n%s", diff)
			}
		})
	}
}
