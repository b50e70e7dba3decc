package provider

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// unknownValue stands for an unknown value (known only after apply) in a
// configuration of a validate table.
type unknownValue struct{}

// unknown is the unknownValue of validate tables.
var unknown = unknownValue{}

// badInput is one row of a kind's validate table: bad is an input the
// backend would reject later, good its valid twin, which changes the same
// arguments to values that must pass, so that the table cannot rot (a bad
// case that fails for another reason than the one it names is caught by its
// twin). Both override the table's valid base configuration, by dotted
// attribute path ("control_plane.endpoint", "worker_pools[0].taints").
type badInput struct {
	name      string
	good, bad map[string]any
	// want are the dotted paths of the attributes whose errors the bad
	// input must report, exactly, such as "worker_pools[0].taints[1].effect".
	want []string
	// detail, when set, must be in the detail of every error.
	detail string
}

// runValidateTable runs a kind's validate table through the provider's
// protocol server, as terraform validate does: schema validators, then the
// resource's ValidateConfig. base must pass; every good twin must pass;
// every bad input must report errors on exactly its paths.
func runValidateTable(t *testing.T, typeName string, base map[string]any, cases []badInput) {
	t.Helper()
	ctx := context.Background()
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	var typ tftypes.Object
	for _, newResource := range kindResources() {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "mc"}, &meta)
		if meta.TypeName != typeName {
			continue
		}
		var schemaResp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
		typ = schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	}
	if typ.AttributeTypes == nil {
		t.Fatalf("no resource %s", typeName)
	}
	validate := func(t *testing.T, overrides map[string]any) (paths []string, details []string) {
		t.Helper()
		config := deepCopy(base).(map[string]any)
		for _, p := range slices.Sorted(maps.Keys(overrides)) {
			setPath(t, config, p, overrides[p])
		}
		val := toTerraformValue(t, typ, config, typeName)
		dv, err := tfprotov6.NewDynamicValue(typ, val)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := server.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
			TypeName: typeName, Config: &dv,
			ClientCapabilities: &tfprotov6.ValidateResourceConfigClientCapabilities{WriteOnlyAttributesAllowed: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range resp.Diagnostics {
			if d.Severity != tfprotov6.DiagnosticSeverityError {
				continue
			}
			paths = append(paths, dottedPath(d.Attribute))
			details = append(details, d.Summary+": "+d.Detail)
		}
		// A schema validator and the engine may both report one attribute.
		sort.Strings(paths)
		return slices.Compact(paths), details
	}
	t.Run("base", func(t *testing.T) {
		if paths, details := validate(t, nil); len(paths) > 0 {
			t.Fatalf("the base configuration has errors at %v: %q", paths, details)
		}
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if paths, details := validate(t, c.good); len(paths) > 0 {
				t.Errorf("the valid twin has errors at %v: %q", paths, details)
			}
			paths, details := validate(t, c.bad)
			want := slices.Clone(c.want)
			sort.Strings(want)
			if diff := cmp.Diff(want, paths); diff != "" {
				t.Errorf("attributes with errors (-want +got):\n%s\n%q", diff, details)
			}
			for _, d := range details {
				if !strings.Contains(d, c.detail) {
					t.Errorf("error %q does not say %q", d, c.detail)
				}
			}
		})
	}
}

// dottedPath writes p as the engine and these tables do:
// worker_pools[0].taints[1].key, labels["k"].
func dottedPath(p *tftypes.AttributePath) string {
	if p == nil {
		return "(no attribute)"
	}
	var b strings.Builder
	for _, step := range p.Steps() {
		switch s := step.(type) {
		case tftypes.AttributeName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(s))
		case tftypes.ElementKeyInt:
			fmt.Fprintf(&b, "[%d]", int64(s))
		case tftypes.ElementKeyString:
			fmt.Fprintf(&b, "[%q]", string(s))
		case tftypes.ElementKeyValue:
			b.WriteString("[set element]")
		}
	}
	return b.String()
}

// setPath sets the value at a dotted path of config ("a.b[1].c"), making
// the objects on the way; nil removes the attribute (null).
func setPath(t *testing.T, config map[string]any, dotted string, value any) {
	t.Helper()
	parts := strings.Split(dotted, ".")
	var cur any = config
	for i, part := range parts {
		name, index, hasIndex := strings.Cut(part, "[")
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is not an object", dotted, name)
		}
		last := i == len(parts)-1
		if !hasIndex {
			if last {
				if value == nil {
					delete(m, name)
				} else {
					m[name] = value
				}
				return
			}
			next, ok := m[name].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[name] = next
			}
			cur = next
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
		if err != nil {
			t.Fatalf("%s: bad index %q", dotted, index)
		}
		list, ok := m[name].([]any)
		if !ok || n >= len(list) {
			t.Fatalf("%s: %s has no element %d", dotted, name, n)
		}
		if last {
			list[n] = value
			return
		}
		cur = list[n]
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// toTerraformValue converts v (maps, lists, strings, ints, bools and
// unknown) to a value of type typ; attributes v leaves out are null.
func toTerraformValue(t *testing.T, typ tftypes.Type, v any, at string) tftypes.Value {
	t.Helper()
	if v == nil {
		return tftypes.NewValue(typ, nil)
	}
	if _, ok := v.(unknownValue); ok {
		return tftypes.NewValue(typ, tftypes.UnknownValue)
	}
	switch typ := typ.(type) {
	case tftypes.Object:
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: want an object, got %T", at, v)
		}
		for k := range m {
			if _, ok := typ.AttributeTypes[k]; !ok {
				t.Fatalf("%s: no attribute %q", at, k)
			}
		}
		attrs := map[string]tftypes.Value{}
		for name, at2 := range typ.AttributeTypes {
			attrs[name] = toTerraformValue(t, at2, m[name], at+"."+name)
		}
		return tftypes.NewValue(typ, attrs)
	case tftypes.List, tftypes.Set:
		var elem tftypes.Type
		if l, ok := typ.(tftypes.List); ok {
			elem = l.ElementType
		} else {
			elem = typ.(tftypes.Set).ElementType
		}
		l, ok := v.([]any)
		if !ok {
			t.Fatalf("%s: want a list, got %T", at, v)
		}
		var elems []tftypes.Value
		for i, e := range l {
			elems = append(elems, toTerraformValue(t, elem, e, fmt.Sprintf("%s[%d]", at, i)))
		}
		return tftypes.NewValue(typ, elems)
	case tftypes.Map:
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: want a map, got %T", at, v)
		}
		elems := map[string]tftypes.Value{}
		for k, e := range m {
			elems[k] = toTerraformValue(t, typ.ElementType, e, at+"."+k)
		}
		return tftypes.NewValue(typ, elems)
	}
	switch {
	case typ.Is(tftypes.String):
		return tftypes.NewValue(typ, v.(string))
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, big.NewFloat(float64(v.(int))))
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, v.(bool))
	}
	t.Fatalf("%s: cannot make a %s", at, typ)
	return tftypes.Value{}
}
