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

	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
)

// TestProjectMemberValidateConfig checks the plan-time validation of a
// member: every invalid argument is reported on its attribute, and what is
// unknown (a project made in the same configuration) is skipped.
func TestProjectMemberValidateConfig(t *testing.T) {
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	NewProjectMemberResource().Schema(ctx, resource.SchemaRequest{}, &schemaResp)
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
	const alice = "557058:0000000a-0000-4000-8000-00000000a11c"
	for _, tc := range []struct {
		name   string
		values map[string]tftypes.Value
		want   []string // attributes with errors
	}{
		{"valid user", map[string]tftypes.Value{"project": str("SHOP"), "account_id": str(alice), "role": str("developer")}, nil},
		{"unknown project", map[string]tftypes.Value{"project": unknown, "group": str("platform-devs"), "role": str("viewer")}, nil},
		{"role owner", map[string]tftypes.Value{"project": str("SHOP"), "account_id": str(alice), "role": str("owner")}, []string{"role"}},
		{"both account_id and group", map[string]tftypes.Value{"project": str("SHOP"), "account_id": str(alice), "group": str("platform-devs"), "role": str("admin")}, []string{"group"}},
		{"neither", map[string]tftypes.Value{"project": str("SHOP"), "role": str("admin")}, []string{"account_id"}},
		{"group unknown", map[string]tftypes.Value{"project": str("SHOP"), "group": unknown, "role": str("admin")}, nil},
		{"bad key and both Harbor identities", map[string]tftypes.Value{
			"project": str("A-B"), "account_id": str(alice), "role": str("admin"), "harbor_user": str("alice"), "harbor_group": str("devs"),
		}, []string{"project", "harbor_group"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			NewProjectMemberResource().(resource.ResourceWithValidateConfig).ValidateConfig(ctx, resource.ValidateConfigRequest{Config: config(tc.values)}, &resp)
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

// TestProjectMemberDocsHaveTheEngineTable checks that the resource's
// description carries the engine's role table, row by row.
func TestProjectMemberDocsHaveTheEngineTable(t *testing.T) {
	var resp resource.SchemaResponse
	NewProjectMemberResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	for _, m := range projectmember.Mappings {
		row := "| `" + m.Role + "` | `" + m.BitbucketPermission + "` | " + m.JiraRole + " | `" + m.HarborRole + "` | `" + m.ArgoCDRole + "` |"
		if !strings.Contains(resp.Schema.MarkdownDescription, row) {
			t.Errorf("the description has no row %q", row)
		}
	}
}

// TestProjectMemberBadInput is mc_project_member's table of inputs
// Bitbucket, Jira or Harbor would refuse, each with its valid twin.
func TestProjectMemberBadInput(t *testing.T) {
	const alice = "557058:0000000a-0000-4000-8000-00000000a11c"
	base := map[string]any{"project": "SHOP", "account_id": alice, "role": "developer"}
	runValidateTable(t, "mc_project_member", base, []badInput{
		{name: "account and group", want: []string{"group"}, detail: "not both",
			good: map[string]any{"account_id": nil, "group": "platform-devs"}, bad: map[string]any{"group": "platform-devs"}},
		{name: "neither account nor group", want: []string{"account_id"},
			good: map[string]any{"account_id": "5b10ac8d82e05b22cc7d4ef5"}, bad: map[string]any{"account_id": nil}},
		{name: "Harbor user and group", want: []string{"harbor_group"}, detail: "not both",
			good: map[string]any{"harbor_user": "alice"}, bad: map[string]any{"harbor_user": "alice", "harbor_group": "devs"}},
		{name: "account id with a space", want: []string{"account_id"},
			good: map[string]any{"account_id": alice}, bad: map[string]any{"account_id": "557058 0000000a"}},
		{name: "blank group", want: []string{"group"},
			good: map[string]any{"account_id": nil, "group": "devs"}, bad: map[string]any{"account_id": nil, "group": "  "}},
		{name: "Harbor user with the id separator", want: []string{"harbor_user"},
			good: map[string]any{"harbor_user": "alice"}, bad: map[string]any{"harbor_user": "alice#1"}},
		{name: "unknown role", want: []string{"role"},
			good: map[string]any{"role": "viewer"}, bad: map[string]any{"role": "owner"}},
		{name: "zero update timeout", want: []string{"timeouts.update"},
			good: map[string]any{"timeouts": map[string]any{"update": "1m"}}, bad: map[string]any{"timeouts": map[string]any{"update": "0s"}}},
	})
}
