package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
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
	if _, ok := engine.AsDependency(err); ok {
		diags.AddError(summary, capitalize(engineErrorDetail(err)))
		return
	}
	if invalid := engine.InvalidInputs(err); len(invalid) > 1 {
		// Several pieces of invalid input, joined by an engine.Validation:
		// each on its own attribute.
		for _, in := range invalid {
			addEngineError(diags, summary, in, paths)
		}
		return
	}
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

// engineErrorDetail is err's message for Terraform users: a dependency that
// cannot be read (a site that is not registered or has no Harbor) says how
// to fix it in the configuration, and that the resource stays in the state.
func engineErrorDetail(err error) string {
	dep, ok := engine.AsDependency(err)
	if !ok {
		return err.Error()
	}
	hint := dep.Hint
	switch {
	case errors.Is(dep.Err, registry.ErrNotRegistered):
		hint = "register the site with mc_site, or point the provider's namespace (MC_NAMESPACE) at the registry that holds it"
	case errors.Is(dep.Err, registry.ErrNoHarbor):
		hint = "give the site's mc_site its harbor block again"
	}
	return fmt.Sprintf("%s %q %s: %s. The resource stays in the state, and nothing is changed, until the %s can be read again",
		dep.Kind, dep.Name, dep.Reason, hint, dep.Kind)
}

// attributePath turns "a.b[2].c" into
// path.Root("a").AtName("b").AtListIndex(2).AtName("c").
func attributePath(dotted string) path.Path {
	var p path.Path
	for i, part := range strings.Split(dotted, ".") {
		name, index, hasIndex := strings.Cut(part, "[")
		if i == 0 {
			p = path.Root(name)
		} else {
			p = p.AtName(name)
		}
		for hasIndex {
			var rest string
			n, _, _ := strings.Cut(index, "]")
			if k, err := strconv.Atoi(n); err == nil {
				p = p.AtListIndex(k)
			}
			_, rest, hasIndex = strings.Cut(index, "[")
			index = rest
		}
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
	diags := m.ElementsAs(ctx, &out, true) // unknown elements expand to ""
	if diags.HasError() {
		return nil, diags
	}
	return out, diags
}

// hasUnknownElement reports whether a known list or map holds an unknown
// element.
func hasUnknownElement(v attr.Value) bool {
	var elems []attr.Value
	switch v := v.(type) {
	case types.List:
		elems = v.Elements()
	case types.Map:
		for _, e := range v.Elements() {
			elems = append(elems, e)
		}
	}
	for _, e := range elems {
		if e.IsUnknown() {
			return true
		}
	}
	return false
}

// conditionsAttribute is the schema of a computed list of observed
// conditions.
func conditionsAttribute(description string) schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Computed:            true,
		MarkdownDescription: description,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"type":    schema.StringAttribute{Computed: true, MarkdownDescription: "Condition type."},
			"status":  schema.StringAttribute{Computed: true, MarkdownDescription: "`True`, `False` or `Unknown`."},
			"reason":  schema.StringAttribute{Computed: true, MarkdownDescription: "Machine-readable reason."},
			"message": schema.StringAttribute{Computed: true, MarkdownDescription: "Human-readable detail."},
		}},
	}
}

// conditionsValue is the value of a conditionsAttribute; the engines'
// condition types share one shape.
func conditionsValue[C ~struct{ Type, Status, Reason, Message string }](conds []C) types.List {
	elems := make([]attr.Value, 0, len(conds))
	for _, c := range conds {
		f := struct{ Type, Status, Reason, Message string }(c)
		elems = append(elems, types.ObjectValueMust(conditionTypes, map[string]attr.Value{
			"type": types.StringValue(f.Type), "status": types.StringValue(f.Status),
			"reason": types.StringValue(f.Reason), "message": types.StringValue(f.Message),
		}))
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: conditionTypes}, elems)
}
