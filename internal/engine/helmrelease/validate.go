package helmrelease

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// maxReleaseName is Helm's limit on a release name.
const maxReleaseName = 53

// Validate checks a spec without talking to any backend; every error names
// the argument at fault, and all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks of unknown arguments are skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if v.Known("notify") {
		for _, name := range s.Notify {
			if _, err := notificationchannel.ParseID(name); err != nil {
				v.Add("notify", "%v", err)
			}
		}
	}
	if v.Known("site") {
		if err := registry.ValidateName(s.Site); err != nil {
			v.Add("site", "%v", err)
		}
	}
	for _, f := range []struct{ path, value, what string }{
		{"cluster", s.Cluster, "cluster name"}, {"namespace", s.Namespace, "namespace name"}, {"name", s.Name, "release name"},
	} {
		if !v.Known(f.path) {
			continue
		}
		if errs := validation.IsDNS1123Label(f.value); len(errs) > 0 {
			v.Add(f.path, "%q is not a valid %s: %s", f.value, f.what, strings.Join(errs, "; "))
		}
	}
	if v.Known("name") && len(s.Name) > maxReleaseName {
		v.Add("name", "%q is longer than Helm's %d characters for a release name", s.Name, maxReleaseName)
	}
	chart.Validate(v, s.Source(), "")
	return v.Err()
}
