package provider

import (
	"context"
	"testing"
)

func TestYAMLValuesSemanticEquals(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"a: 1\nb: two\n", "{b: two, a: 1}", true},
		{"a: \"x\"", "a: x\n", true},
		{"a: 1", "a: 2", false},
		{"a: \"1\"", "a: 1", false},
		{"a: [1", "a: [1", false},
	} {
		got, diags := yamlValuesOf(tc.a).StringSemanticEquals(context.Background(), yamlValuesOf(tc.b))
		if diags.HasError() {
			t.Fatal(diags)
		}
		if got != tc.want {
			t.Errorf("StringSemanticEquals(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
