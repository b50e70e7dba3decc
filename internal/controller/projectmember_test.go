package controller

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
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

// TestProjectMemberConnectConfiguresServices checks that the ProjectMember
// adapter gives its engine the Bitbucket and Jira of the ProviderConfig's
// credentials Secret by itself, without a Project controller in the process.
func TestProjectMemberConnectConfiguresServices(t *testing.T) {
	const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: platform
  cluster: {server: "https://platform.example:6443"}
users:
- name: admin
  user: {token: abc}
contexts:
- name: platform
  context: {cluster: platform, user: admin}
current-context: platform
`
	config := func(name, secretName string) *v1alpha1.ProviderConfig {
		return &v1alpha1.ProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: v1alpha1.ProviderConfigSpec{
				Credentials: v1alpha1.ProviderCredentials{
					Source:    v1alpha1.CredentialsSourceSecret,
					SecretRef: &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: secretName, Key: "kubeconfig"},
				},
				Namespace: "sites",
			},
		}
	}
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(
		config("with-services", "member-services"), config("without-services", "member-bare"),
		secret("mc-system", "member-services", map[string]string{
			"kubeconfig":            kubeconfig,
			ServicesKeyBitbucketURL: "http://bb.example/2.0", ServicesKeyBitbucketToken: "access-token",
			ServicesKeyJiraURL: "http://jira.example", ServicesKeyJiraEmail: "bot@example", ServicesKeyJiraAPIToken: "api-token",
		}),
		secret("mc-system", "member-bare", map[string]string{"kubeconfig": kubeconfig}),
	).Build()
	registries := map[string]*registry.Registry{}
	var building string
	adapter := NewProjectMemberAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube},
		func(reg *registry.Registry) engine.Client[projectmember.Spec, projectmember.Status] {
			registries[building] = reg
			return nil
		})
	member := func(config string) *v1alpha1.ProjectMember {
		return &v1alpha1.ProjectMember{
			ObjectMeta: metav1.ObjectMeta{Name: "connect-services-" + config},
			Spec: v1alpha1.ProjectMemberSpec{
				ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: config}},
				ForProvider:  v1alpha1.ProjectMemberParameters{Project: "SHOP", Group: "dev", Role: "developer"},
			},
		}
	}
	for _, name := range []string{"with-services", "without-services"} {
		building = name
		if _, err := adapter.Connect(context.Background(), member(name)); err != nil {
			t.Fatalf("Connect(%s): %v", name, err)
		}
	}
	if _, err := registries["with-services"].Jira(); err != nil {
		t.Errorf("Jira() after Connect with a Secret naming Jira: %v", err)
	}
	if _, err := registries["with-services"].Bitbucket(); err != nil {
		t.Errorf("Bitbucket() after Connect with a Secret naming Bitbucket: %v", err)
	}
	if _, err := registries["without-services"].Jira(); !errors.Is(err, registry.ErrNoJira) {
		t.Errorf("Jira() after Connect with a Secret naming none: error = %v, want ErrNoJira", err)
	}
}
