package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
)

func TestApplicationAdapter(t *testing.T) {
	a := &ApplicationAdapter{}
	m := &v1alpha1.GitOpsApplication{
		ObjectMeta: metav1.ObjectMeta{Name: "web-shop"},
		Spec: v1alpha1.GitOpsApplicationSpec{ForProvider: v1alpha1.GitOpsApplicationParameters{
			Project: "WEB", Name: "shop",
			Template:      v1alpha1.GitOpsApplicationTemplate{SourceRepo: "https://bitbucket.org/t/go.git", YAMLRepo: "https://bitbucket.org/t/go-yaml.git"},
			InitialValues: map[string]string{"port": "8080"},
		}},
	}
	spec, err := a.DesiredSpec(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	want := application.Spec{Project: "WEB", Name: "shop",
		Template:      application.Template{SourceRepo: "https://bitbucket.org/t/go.git", YAMLRepo: "https://bitbucket.org/t/go-yaml.git"},
		InitialValues: map[string]string{"port": "8080"}, OnDestroy: application.OnDestroyDelete,
	}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("DesiredSpec() (-want +got):\n%s", diff)
	}
	if got := a.DefaultExternalName(m); got != "WEB/shop" {
		t.Errorf("DefaultExternalName() = %q", got)
	}
	st := application.Status{SourceCloneURL: "https://bitbucket.org/mcplatform/shop.git", YAMLCloneURL: "https://bitbucket.org/mcplatform/shop-yaml.git",
		SourceInitialCommit: "a", YAMLInitialCommit: "b", DefaultBranch: "main", Notice: "n"}
	a.SetObservation(m, st)
	if diff := cmp.Diff(v1alpha1.GitOpsApplicationObservation{SourceCloneURL: st.SourceCloneURL, YAMLCloneURL: st.YAMLCloneURL,
		SourceInitialCommit: "a", YAMLInitialCommit: "b", DefaultBranch: "main", Notice: "n"}, m.Status.AtProvider); diff != "" {
		t.Errorf("SetObservation() (-want +got):\n%s", diff)
	}
	actual := application.WithDefaults(spec)
	if !a.LateInitialize(m, actual) || m.Spec.ForProvider.Template.Ref != "main" {
		t.Errorf("LateInitialize() left ref %q, want main", m.Spec.ForProvider.Template.Ref)
	}
	if a.LateInitialize(m, actual) {
		t.Error("LateInitialize() changed a set ref")
	}
	for path, want := range map[string]string{
		"project":              "spec.forProvider.project",
		"name":                 "spec.forProvider.name",
		"template.source_repo": "spec.forProvider.template.sourceRepo",
		"template.yaml_repo":   "spec.forProvider.template.yamlRepo",
		"template.ref":         "spec.forProvider.template.ref",
		"initial_values":       "spec.forProvider.initialValues",
		"on_destroy":           "spec.deletionPolicy",
	} {
		if got := a.FieldPath(path); got != want {
			t.Errorf("FieldPath(%q) = %q, want %q", path, got, want)
		}
	}
	if _, err := a.DesiredSpec(context.Background(), &v1alpha1.Site{}); err == nil {
		t.Error("DesiredSpec() of a Site succeeded")
	}
}
