package provider

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestImageReplicationValidateConfigWithUnknowns checks that what is known
// is validated while a site is not known yet (made in the same
// configuration), and that every invalid argument is reported.
func TestImageReplicationValidateConfigWithUnknowns(t *testing.T) {
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	NewImageReplicationResource().Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	typ := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	config := func(values map[string]tftypes.Value) tfsdk.Config {
		attrs := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			attrs[name] = tftypes.NewValue(at, nil)
			if v, ok := values[name]; ok {
				attrs[name] = v
			}
		}
		return tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(typ, attrs)}
	}
	for _, tc := range []struct {
		name   string
		values map[string]tftypes.Value
		want   []string // attributes with errors
	}{
		{"unknown sites, valid", map[string]tftypes.Value{"name": str("edge-to-hub"), "source_site": unknown, "destination_site": unknown}, nil},
		{"unknown source, bad name and namespace", map[string]tftypes.Value{
			"name": str("Edge To Hub"), "source_site": unknown, "destination_site": str("hub"), "destination_namespace": str("-x"),
		}, []string{"name", "destination_namespace"}},
		{"same site twice", map[string]tftypes.Value{"name": str("loop"), "source_site": str("hub"), "destination_site": str("hub")}, []string{"destination_site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			NewImageReplicationResource().(resource.ResourceWithValidateConfig).ValidateConfig(ctx, resource.ValidateConfigRequest{Config: config(tc.values)}, &resp)
			var got []string
			for _, d := range resp.Diagnostics.Errors() {
				if withPath, ok := d.(diag.DiagnosticWithPath); ok {
					got = append(got, withPath.Path().String())
				} else {
					got = append(got, "(no path) "+d.Detail())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("attributes with errors (-want +got):\n%s", diff)
			}
		})
	}
}
