package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
)

func TestProjectMemberAdapter(t *testing.T) {
	a := &ProjectMemberAdapter{}
	m := &v1alpha1.ProjectMember{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-alice"},
		Spec: v1alpha1.ProjectMemberSpec{ForProvider: v1alpha1.ProjectMemberParameters{
			Project: "SHOP", AccountID: "557058:0000000a-0000-4000-8000-00000000a11c", Role: "developer", HarborUser: "alice",
		}},
	}
	spec, err := a.DesiredSpec(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	want := projectmember.Spec{Project: "SHOP", AccountID: "557058:0000000a-0000-4000-8000-00000000a11c", Role: "developer", HarborUser: "alice"}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("DesiredSpec() (-want +got):\n%s", diff)
	}
	if got := a.DefaultExternalName(m); got != "SHOP/557058:0000000a-0000-4000-8000-00000000a11c#harbor_user=alice" {
		t.Errorf("DefaultExternalName() = %q", got)
	}
	a.SetObservation(m, projectmember.Status{Grants: map[string]string{"jira": "Developers"}})
	if m.Status.AtProvider.Grants["jira"] != "Developers" {
		t.Errorf("SetObservation() left grants %v", m.Status.AtProvider.Grants)
	}
	if a.LateInitialize(m, spec) {
		t.Error("LateInitialize() changed a member")
	}
	for path, want := range map[string]string{
		"account_id":   "spec.forProvider.accountID",
		"group":        "spec.forProvider.group",
		"role":         "spec.forProvider.role",
		"harbor_user":  "spec.forProvider.harborUser",
		"harbor_group": "spec.forProvider.harborGroup",
		"project":      "spec.forProvider.project",
	} {
		if got := a.FieldPath(path); got != want {
			t.Errorf("FieldPath(%q) = %q, want %q", path, got, want)
		}
	}
	if _, err := a.DesiredSpec(context.Background(), &v1alpha1.Site{}); err == nil {
		t.Error("DesiredSpec() of a Site succeeded")
	}
}
