package provider

import (
	"context"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

var dnsLabelPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// dnsLabel validates a DNS-1123 label: lower-case letters, digits and '-',
// starting and ending with a letter or digit, at most 63 characters.
func dnsLabel() validator.String {
	return stringvalidator.RegexMatches(dnsLabelPattern,
		"must be a DNS-1123 label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit")
}

// addEngineError reports err as a diagnostic, on the attribute it names when
// it is an *engine.InvalidInputError. paths renames engine argument names to
// this resource's attribute names.
func addEngineError(diags *diag.Diagnostics, summary string, err error, paths map[string]string) {
	in, ok := engine.AsInvalidInput(err)
	if !ok || in.Path == "" {
		if ok {
			diags.AddError(summary, capitalize(in.Message))
			return
		}
		diags.AddError(summary, capitalize(err.Error()))
		return
	}
	name := in.Path
	if renamed, ok := paths[name]; ok {
		name = renamed
	}
	detail := capitalize(in.Message)
	if strings.Contains(name, ".") {
		// Terraform shows the enclosing block for paths inside nested
		// attributes, so say which argument is at fault.
		detail += " (argument " + name + ")"
	}
	diags.AddAttributeError(attributePath(name), summary, detail)
}

// attributePath turns "a.b.c" into path.Root("a").AtName("b").AtName("c").
func attributePath(dotted string) path.Path {
	parts := strings.Split(dotted, ".")
	p := path.Root(parts[0])
	for _, part := range parts[1:] {
		p = p.AtName(part)
	}
	return p
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func anyUnknown(vs ...attr.Value) bool {
	for _, v := range vs {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func optionalInt64(v int64) types.Int64 {
	if v == 0 {
		return types.Int64Null()
	}
	return types.Int64Value(v)
}

func stringMap(ctx context.Context, m types.Map) (map[string]string, diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	out := map[string]string{}
	diags := m.ElementsAs(ctx, &out, false)
	if diags.HasError() {
		return nil, diags
	}
	return out, diags
}
