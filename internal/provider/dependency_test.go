package provider

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

func TestDependencyErrorsSayHowToFixThem(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			"not registered", fmt.Errorf("cannot read: %w", registry.NotRegistered("edge", "mc-system")),
			`Site "edge" is not registered in namespace "mc-system": register the site with mc_site, or point the provider's namespace (MC_NAMESPACE) at the registry that holds it. ` +
				"The resource stays in the state, and nothing is changed, until the site can be read again",
		},
		{
			"no harbor", registry.NoHarbor("hub"),
			`Site "hub" has no harbor block: give the site's mc_site its harbor block again. ` +
				"The resource stays in the state, and nothing is changed, until the site can be read again",
		},
		{"other errors unchanged", errors.New("cannot list things: boom"), "Cannot list things: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			addEngineError(&diags, "Error reading cluster", tc.err, nil)
			if len(diags) != 1 || diags[0].Summary() != "Error reading cluster" || diags[0].Detail() != tc.want {
				t.Errorf("diagnostics = %v, want one with detail %q", diags, tc.want)
			}
		})
	}
}
