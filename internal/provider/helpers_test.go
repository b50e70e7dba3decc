package provider

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// TestAddEngineErrorReportsEveryInvalidInput checks that invalid input
// joined by an engine.Validation becomes one diagnostic per attribute.
func TestAddEngineErrorReportsEveryInvalidInput(t *testing.T) {
	v := engine.NewValidation(nil)
	v.Add("name", "is not a DNS-1123 label")
	v.Add("control_plane.endpoint_host", "is neither an IP address nor a host name")
	var diags diag.Diagnostics
	addEngineError(&diags, "Invalid cluster", v.Err(), clusterAttributePaths)
	var got []string
	for _, d := range diags.Errors() {
		if withPath, ok := d.(diag.DiagnosticWithPath); ok {
			got = append(got, withPath.Path().String())
		}
	}
	if diff := cmp.Diff([]string{"name", "control_plane.endpoint"}, got); diff != "" {
		t.Errorf("diagnostics' attributes (-want +got):\n%s", diff)
	}
}
