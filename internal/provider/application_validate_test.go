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

// TestApplicationBadInput is mc_application's table of inputs git or
// Bitbucket would refuse at the first push, each with its valid twin.
func TestApplicationBadInput(t *testing.T) {
	base := map[string]any{"project": "WEB", "name": "shop", "template": map[string]any{
		"source_repo": "https://bitbucket.org/templates/go-service.git", "yaml_repo": "https://bitbucket.org/templates/go-service-yaml.git", "ref": "main"}}
	runValidateTable(t, "mc_application", base, []badInput{
		{name: "template page instead of clone URL", want: []string{"template.source_repo"}, detail: "web page",
			good: map[string]any{"template.source_repo": "https://bitbucket.org/templates/go-service"},
			bad:  map[string]any{"template.source_repo": "https://bitbucket.org/templates/go-service/src/main/"}},
		{name: "Bitbucket Server browse page", want: []string{"template.yaml_repo"},
			good: map[string]any{"template.yaml_repo": "https://git.example/scm/tmpl/go-service-yaml.git"},
			bad:  map[string]any{"template.yaml_repo": "https://git.example/projects/TMPL/repos/go-service-yaml/browse"}},
		{name: "app password in the clone URL", want: []string{"template.source_repo"}, detail: "credentials",
			good: map[string]any{"template.source_repo": "https://bitbucket.org/templates/go-service.git"},
			bad:  map[string]any{"template.source_repo": "https://ci:app-password@bitbucket.org/templates/go-service.git"}},
		{name: "clone URL with a trailing newline", want: []string{"template.yaml_repo"}, detail: "white space",
			good: map[string]any{"template.yaml_repo": "https://bitbucket.org/templates/go-service-yaml.git"},
			bad:  map[string]any{"template.yaml_repo": "https://bitbucket.org/templates/go-service-yaml.git\n"}},
		{name: "clone URL port out of range", want: []string{"template.source_repo"},
			good: map[string]any{"template.source_repo": "https://git.example:7990/scm/t/go.git"},
			bad:  map[string]any{"template.source_repo": "https://git.example:79900/scm/t/go.git"}},
		{name: "ref with a space", want: []string{"template.ref"}, detail: "git refuses",
			good: map[string]any{"template.ref": "release/v1"}, bad: map[string]any{"template.ref": "release v1"}},
		{name: "ref with a double dot", want: []string{"template.ref"},
			good: map[string]any{"template.ref": "v1.2"}, bad: map[string]any{"template.ref": "v1..2"}},
		{name: "ref ending in .lock", want: []string{"template.ref"},
			good: map[string]any{"template.ref": "v1-lock"}, bad: map[string]any{"template.ref": "v1.lock"}},
		{name: "ref ending in a dot", want: []string{"template.ref"},
			good: map[string]any{"template.ref": "v1.0"}, bad: map[string]any{"template.ref": "v1."}},
		{name: "ref with a caret", want: []string{"template.ref"},
			good: map[string]any{"template.ref": "main"}, bad: map[string]any{"template.ref": "main^"}},
		{name: "bad value key", want: []string{"initial_values"},
			good: map[string]any{"initial_values": map[string]any{"http_port": "8080"}},
			bad:  map[string]any{"initial_values": map[string]any{"http-port": "8080"}}},
		{name: "lower-case project key", want: []string{"project"},
			good: map[string]any{"project": "WEB2"}, bad: map[string]any{"project": "web"}},
		{name: "negative delete timeout", want: []string{"timeouts.delete"},
			good: map[string]any{"timeouts": map[string]any{"delete": "5m"}}, bad: map[string]any{"timeouts": map[string]any{"delete": "-5m"}}},
	})
}
