package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
)

// yamlValuesType is the type of Helm values written as YAML: two values
// that are the same YAML mapping in another key order or style are
// semantically equal, so Terraform plans no change between them and keeps
// the text the configuration has.
type yamlValuesType struct {
	basetypes.StringType
}

var _ basetypes.StringTypable = yamlValuesType{}

// Equal reports whether o is a yamlValuesType.
func (t yamlValuesType) Equal(o attr.Type) bool {
	_, ok := o.(yamlValuesType)
	return ok
}

func (t yamlValuesType) String() string { return "yamlValuesType" }

// ValueFromString wraps a string value.
func (t yamlValuesType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return yamlValues{StringValue: in}, nil
}

// ValueFromTerraform reads a Terraform value.
func (t yamlValuesType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return yamlValues{StringValue: s}, nil
}

// ValueType is yamlValues.
func (t yamlValuesType) ValueType(context.Context) attr.Value { return yamlValues{} }

// yamlValues is a value of yamlValuesType.
type yamlValues struct {
	basetypes.StringValue
}

var _ basetypes.StringValuableWithSemanticEquals = yamlValues{}

// Type is yamlValuesType.
func (v yamlValues) Type(context.Context) attr.Type { return yamlValuesType{} }

// Equal compares the text.
func (v yamlValues) Equal(o attr.Value) bool {
	other, ok := o.(yamlValues)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals reports whether both are the same YAML values.
func (v yamlValues) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	other, ok := newValuable.(yamlValues)
	if !ok {
		return false, diags
	}
	a, err1 := chart.CanonicalValues(v.ValueString())
	b, err2 := chart.CanonicalValues(other.ValueString())
	return err1 == nil && err2 == nil && a == b, diags
}

// yamlValuesOf returns s as yamlValues, null when empty.
func yamlValuesOf(s string) yamlValues {
	if s == "" {
		return yamlValues{StringValue: basetypes.NewStringNull()}
	}
	return yamlValues{StringValue: basetypes.NewStringValue(s)}
}
