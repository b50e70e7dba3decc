package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/mcplatform/terraform-provider-mc/internal/kinds"
)

// TestEveryKindHasAResource holds the provider to the one list of kinds.
func TestEveryKindHasAResource(t *testing.T) {
	ctx := context.Background()
	var got, want []string
	for _, newResource := range (&mcProvider{}).Resources(ctx) {
		var resp resource.MetadataResponse
		newResource().Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "mc"}, &resp)
		got = append(got, resp.TypeName)
	}
	for _, k := range kinds.All {
		want = append(want, k.TerraformType)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resources() types (-kinds.All +provider):\n%s", diff)
	}
	if len(resourcesByKind) != len(kinds.All) {
		t.Errorf("resourcesByKind has %d entries, kinds.All %d: a resource serves no kind", len(resourcesByKind), len(kinds.All))
	}
}

// TestRequiresReplaceMatchesKinds checks that the arguments whose change
// plans a replacement are exactly the kind's ReplaceFields.
func TestRequiresReplaceMatchesKinds(t *testing.T) {
	ctx := context.Background()
	for _, k := range kinds.All {
		t.Run(k.TerraformType, func(t *testing.T) {
			r, ok := resourcesByKind[k.Name]
			if !ok {
				t.Fatalf("no resource for kind %q", k.Name)
			}
			var resp resource.SchemaResponse
			r().Schema(ctx, resource.SchemaRequest{}, &resp)
			got := replacingAttributes(ctx, "", resp.Schema.Attributes)
			want := slices.Sorted(slices.Values(k.ReplaceFields))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("attributes with RequiresReplace (-kind's ReplaceFields +schema):\n%s", diff)
			}
		})
	}
}

// describer is what every plan modifier implements.
type describer interface {
	Description(context.Context) string
}

// replacingAttributes returns the dotted paths of the attributes under
// prefix that have a RequiresReplace plan modifier, sorted.
func replacingAttributes(ctx context.Context, prefix string, attrs map[string]schema.Attribute) []string {
	var out []string
	for name, a := range attrs {
		p := prefix + name
		var modifiers []describer
		switch a := a.(type) {
		case schema.StringAttribute:
			modifiers = describers(a.PlanModifiers)
		case schema.ListAttribute:
			modifiers = describers(a.PlanModifiers)
		case schema.MapAttribute:
			modifiers = describers(a.PlanModifiers)
		case schema.BoolAttribute:
			modifiers = describers(a.PlanModifiers)
		case schema.Int64Attribute:
			modifiers = describers(a.PlanModifiers)
		case schema.SingleNestedAttribute:
			modifiers = describers(a.PlanModifiers)
			out = append(out, replacingAttributes(ctx, p+".", a.Attributes)...)
		case schema.ListNestedAttribute:
			modifiers = describers(a.PlanModifiers)
		}
		for _, m := range modifiers {
			if strings.Contains(m.Description(ctx), "destroy and recreate") {
				out = append(out, p)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func describers[M describer](ms []M) []describer {
	out := make([]describer, 0, len(ms))
	for _, m := range ms {
		out = append(out, m)
	}
	return out
}
