package provider

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// secretName matches the names of arguments that carry a secret value:
// passwords, tokens, keys, kubeconfigs, secrets (HMAC, robot) and write-only
// URLs (a webhook's URL is its credential).
var secretName = regexp.MustCompile(`(^|_)(password|token|api_token|secret|private_key|client_key|kubeconfig|hmac_secret|credentials?)(_wo)?$|_wo$`)

// secretAttr is one attribute of a resource's schema, with its path and
// siblings.
type secretAttr struct {
	path     string
	name     string
	attr     schema.Attribute
	siblings map[string]schema.Attribute
}

// schemaAttributes walks every attribute of a resource schema, nested
// attributes and blocks included.
func schemaAttributes(prefix string, attrs map[string]schema.Attribute, blocks map[string]schema.Block, visit func(secretAttr)) {
	for name, a := range attrs {
		visit(secretAttr{path: prefix + name, name: name, attr: a, siblings: attrs})
		switch n := a.(type) {
		case schema.SingleNestedAttribute:
			schemaAttributes(prefix+name+".", n.Attributes, nil, visit)
		case schema.ListNestedAttribute:
			schemaAttributes(prefix+name+"[].", n.NestedObject.Attributes, nil, visit)
		case schema.SetNestedAttribute:
			schemaAttributes(prefix+name+"[].", n.NestedObject.Attributes, nil, visit)
		case schema.MapNestedAttribute:
			schemaAttributes(prefix+name+"{}.", n.NestedObject.Attributes, nil, visit)
		}
	}
	for name, b := range blocks {
		switch n := b.(type) {
		case schema.SingleNestedBlock:
			schemaAttributes(prefix+name+".", n.Attributes, n.Blocks, visit)
		case schema.ListNestedBlock:
			schemaAttributes(prefix+name+"[].", n.NestedObject.Attributes, n.NestedObject.Blocks, visit)
		case schema.SetNestedBlock:
			schemaAttributes(prefix+name+"[].", n.NestedObject.Attributes, n.NestedObject.Blocks, visit)
		}
	}
}

// TestEverySecretArgumentIsWriteOnly checks the schema of every resource
// of the provider: an argument whose name says it holds a secret, and
// every sensitive attribute, is write-only (never in state or plan), named
// *_wo, and has an Int64 *_wo_version beside it that says when to send it
// again. Ephemeral resources hold secrets by design and are not stored.
func TestEverySecretArgumentIsWriteOnly(t *testing.T) {
	ctx := context.Background()
	p := New("test")()
	var checked []string
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "mc"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		if resp.Diagnostics.HasError() {
			t.Fatalf("%s: schema: %v", meta.TypeName, resp.Diagnostics)
		}
		schemaAttributes(meta.TypeName+".", resp.Schema.Attributes, resp.Schema.Blocks, func(a secretAttr) {
			looksSecret := secretName.MatchString(a.name) && !strings.HasSuffix(a.name, "_version")
			computedOnly := a.attr.IsComputed() && !a.attr.IsOptional() && !a.attr.IsRequired()
			if computedOnly {
				// An output cannot be write-only: it must not hold a secret.
				if a.attr.IsSensitive() {
					t.Errorf("%s is a sensitive computed attribute: its value would be stored in state", a.path)
				}
				return
			}
			if !looksSecret && !a.attr.IsSensitive() {
				return
			}
			checked = append(checked, a.path)
			if !a.attr.IsWriteOnly() {
				t.Errorf("%s holds a secret but is not write-only", a.path)
			}
			if !strings.HasSuffix(a.name, "_wo") {
				t.Errorf("%s holds a secret but is not named *_wo", a.path)
				return
			}
			version, ok := a.siblings[a.name+"_version"]
			if !ok {
				t.Errorf("%s has no %s_version beside it", a.path, a.name)
				return
			}
			if _, isInt := version.(schema.Int64Attribute); !isInt || version.IsWriteOnly() {
				t.Errorf("%s_version must be a stored Int64 attribute", a.path)
			}
		})
	}
	slices.Sort(checked)
	if len(checked) == 0 {
		t.Fatal("no secret argument found: the name pattern no longer matches the schemas")
	}
	t.Logf("%d secret arguments, all write-only with a version: %s", len(checked), strings.Join(checked, ", "))
}
