package controller

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/kinds"
)

// TestEveryKindHasAController holds mc-controller to the one list of kinds.
func TestEveryKindHasAController(t *testing.T) {
	for _, k := range kinds.All {
		if _, ok := controllersByKind[k.Name]; !ok {
			t.Errorf("kind %q has no controller", k.Name)
		}
	}
	if len(controllersByKind) != len(kinds.All) {
		t.Errorf("controllersByKind has %d entries, kinds.All %d: a controller serves no kind", len(controllersByKind), len(kinds.All))
	}
}

// TestImmutableFieldsMatchKinds checks that the fields the CRDs make
// immutable (a "self == oldSelf" rule), plus metadata.name where a replace
// field maps onto it, are exactly the kind's ReplaceFields.
func TestImmutableFieldsMatchKinds(t *testing.T) {
	for _, k := range kinds.All {
		t.Run(k.CRDKind, func(t *testing.T) {
			c, ok := controllersByKind[k.Name]
			if !ok {
				t.Fatalf("kind %q has no controller", k.Name)
			}
			crd := readCRD(t, k.CRDKind)
			if len(crd.Spec.Versions) != 1 {
				t.Fatalf("CRD %s has %d versions, want 1", crd.Name, len(crd.Spec.Versions))
			}
			spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
			got := immutableFields("spec.forProvider", spec.Properties["forProvider"])
			var want []string
			for _, f := range k.ReplaceFields {
				want = append(want, c.fieldPaths.FieldPath(f))
			}
			// metadata.name is immutable on every kind; it is a replace
			// field of the kinds that take an argument from it (not of a
			// ProjectMember, whose identity is in spec.forProvider).
			if slices.Contains(want, "metadata.name") {
				got = append(got, "metadata.name")
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("immutable fields (-kind's ReplaceFields +CRD):\n%s", diff)
			}
		})
	}
}

// readCRD reads the generated CRD of kind from config/crd.
func readCRD(t *testing.T, kind string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	file := filepath.Join("..", "..", "config", "crd", "mc.mcplatform.dev_"+strings.ToLower(kind)+"s.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("cannot read the CRD of %s: %v", kind, err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		t.Fatalf("cannot parse %s: %v", file, err)
	}
	return crd
}

// immutableFields returns the paths under path of the properties with a
// "self == oldSelf" validation rule.
func immutableFields(path string, s apiextensionsv1.JSONSchemaProps) []string {
	var out []string
	for _, v := range s.XValidations {
		if strings.ReplaceAll(v.Rule, " ", "") == "self==oldSelf" {
			out = append(out, path)
			break
		}
	}
	for name, p := range s.Properties {
		out = append(out, immutableFields(path+"."+name, p)...)
	}
	if s.Items != nil && s.Items.Schema != nil {
		out = append(out, immutableFields(path+"[]", *s.Items.Schema)...)
	}
	return out
}

// TestClusterCRDDefaultsMatchEngine checks that the Cluster CRD defaults
// its fields to the engine's defaults, as Terraform's schema does.
func TestClusterCRDDefaultsMatchEngine(t *testing.T) {
	forProvider := readCRD(t, "Cluster").Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["forProvider"]
	for _, tc := range []struct {
		path string
		got  *apiextensionsv1.JSON
		want string
	}{
		{"argocdRegistration", forProvider.Properties["argocdRegistration"].Default, strconv.FormatBool(cluster.DefaultArgoCDRegistration)},
		{"workerPools[].replicas", forProvider.Properties["workerPools"].Items.Schema.Properties["replicas"].Default, strconv.Itoa(cluster.DefaultWorkerReplicas)},
	} {
		if tc.got == nil || string(tc.got.Raw) != tc.want {
			t.Errorf("spec.forProvider.%s defaults to %v, want the engine's %s", tc.path, tc.got, tc.want)
		}
	}
}
