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

// TestImageReplicationBadInput is mc_image_replication's table of inputs
// Harbor would refuse when the policy is made or first runs, each with its
// valid twin.
func TestImageReplicationBadInput(t *testing.T) {
	scheduled := func(cron string) map[string]any {
		return map[string]any{"trigger": map[string]any{"type": "scheduled", "cron": cron}}
	}
	base := map[string]any{"name": "edge-to-hub", "source_site": "site-b", "destination_site": "hub",
		"filters": map[string]any{"name": "library/**", "tag": "v*"}}
	runValidateTable(t, "mc_image_replication", base, []badInput{
		{name: "seconds above 59", want: []string{"trigger.cron"}, detail: "not in 0-59",
			good: scheduled("0 59 23 31 12 6"), bad: scheduled("60 0 2 * * *")},
		{name: "minutes above 59", want: []string{"trigger.cron"}, detail: "minutes",
			good: scheduled("0 0,30 2 * * *"), bad: scheduled("0 0,60 2 * * *")},
		{name: "hour 24", want: []string{"trigger.cron"}, detail: "hours",
			good: scheduled("0 0 0 * * *"), bad: scheduled("0 0 24 * * *")},
		{name: "day of month 0", want: []string{"trigger.cron"}, detail: "day of month",
			good: scheduled("0 0 2 1 * *"), bad: scheduled("0 0 2 0 * *")},
		{name: "day of month 32", want: []string{"trigger.cron"},
			good: scheduled("0 0 2 1-31/2 * *"), bad: scheduled("0 0 2 1-32 * *")},
		{name: "month 13", want: []string{"trigger.cron"}, detail: "month",
			good: scheduled("0 0 2 * DEC *"), bad: scheduled("0 0 2 * 13 *")},
		{name: "month name misspelt", want: []string{"trigger.cron"},
			good: scheduled("0 0 2 * jan-mar *"), bad: scheduled("0 0 2 * janu *")},
		{name: "day of week 7", want: []string{"trigger.cron"}, detail: "day of week",
			good: scheduled("0 0 2 ? * SUN"), bad: scheduled("0 0 2 ? * 7")},
		{name: "range backwards", want: []string{"trigger.cron"}, detail: "backwards",
			good: scheduled("0 0 2 * * MON-FRI"), bad: scheduled("0 0 2 * * FRI-MON")},
		{name: "step zero", want: []string{"trigger.cron"}, detail: "step",
			good: scheduled("0 */15 * * * *"), bad: scheduled("0 */0 * * * *")},
		{name: "five fields", want: []string{"trigger.cron"}, detail: "6 with seconds first",
			good: scheduled("0 0 2 * * *"), bad: scheduled("0 2 * * *")},
		{name: "seconds not 0", want: []string{"trigger.cron"},
			good: scheduled("0 30 2 * * *"), bad: scheduled("30 30 2 * * *")},
		{name: "cron on a manual trigger", want: []string{"trigger.cron"},
			good: map[string]any{"trigger": map[string]any{"type": "manual"}},
			bad:  map[string]any{"trigger": map[string]any{"type": "manual", "cron": "0 0 2 * * *"}}},
		{name: "event_based pull", want: []string{"trigger.type"},
			good: map[string]any{"direction": "push", "trigger": map[string]any{"type": "event_based"}},
			bad:  map[string]any{"direction": "pull", "trigger": map[string]any{"type": "event_based"}}},
		{name: "unclosed brace in the name filter", want: []string{"filters.name"},
			good: map[string]any{"filters.name": "library/{a,b}"}, bad: map[string]any{"filters.name": "library/{a,b"}},
		{name: "white space in the tag filter", want: []string{"filters.tag"},
			good: map[string]any{"filters.tag": "v*"}, bad: map[string]any{"filters.tag": "v* "}},
		{name: "single active with event_based", want: []string{"single_active_replication"},
			good: map[string]any{"direction": "push", "trigger": map[string]any{"type": "event_based"}, "single_active_replication": false},
			bad:  map[string]any{"direction": "push", "trigger": map[string]any{"type": "event_based"}, "single_active_replication": true}},
		{name: "negative speed", want: []string{"speed"}, good: map[string]any{"speed": 0}, bad: map[string]any{"speed": -1}},
		{name: "same site twice", want: []string{"destination_site"},
			good: map[string]any{"destination_site": "site-c"}, bad: map[string]any{"destination_site": "site-b"}},
		{name: "zero create timeout", want: []string{"timeouts.create"},
			good: map[string]any{"timeouts": map[string]any{"create": "20m"}}, bad: map[string]any{"timeouts": map[string]any{"create": "0h"}}},
	})
}
