package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/project"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

func TestProjectDesiredSpec(t *testing.T) {
	a := &ProjectAdapter{}
	for name, tc := range map[string]struct {
		project *v1alpha1.Project
		want    project.Spec
	}{
		"defaults of fields the API server did not default": {
			project: &v1alpha1.Project{
				ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec: v1alpha1.ProjectSpec{ForProvider: v1alpha1.ProjectParameters{
					Name:      "Web shop",
					Bitbucket: &v1alpha1.ProjectBitbucket{Workspace: "mcplatform"},
					Jira:      &v1alpha1.ProjectJira{LeadAccountID: "557058:a"},
					Harbor:    &v1alpha1.ProjectHarbor{Site: "site-a"},
					ArgoCD:    &v1alpha1.ProjectArgoCD{Sites: []string{"site-b"}},
				}},
			},
			want: project.Spec{
				Key: "WEB", Name: "Web shop", OnDestroy: project.OnDestroyDelete,
				Bitbucket: &project.Bitbucket{Workspace: "mcplatform", Private: true},
				Jira:      &project.Jira{LeadAccountID: "557058:a", Type: project.JiraTypeSoftware},
				Harbor:    &project.Harbor{Site: "site-a"},
				ArgoCD:    &project.ArgoCD{Sites: []string{"site-b"}},
			},
		},
		"an adopted project keeps its external name as the key": {
			project: &v1alpha1.Project{
				ObjectMeta: metav1.ObjectMeta{Name: "legacy", Annotations: map[string]string{v1alpha1.AnnotationExternalName: "OLD1"}},
				Spec:       v1alpha1.ProjectSpec{ForProvider: v1alpha1.ProjectParameters{Name: "Legacy"}},
			},
			want: project.Spec{Key: "OLD1", Name: "Legacy", OnDestroy: project.OnDestroyDelete},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := a.DesiredSpec(context.Background(), tc.project)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DesiredSpec() (-want +got):\n%s", diff)
			}
		})
	}
	if got := a.DefaultExternalName(&v1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "web"}}); got != "WEB" {
		t.Errorf("DefaultExternalName() = %q, want WEB", got)
	}
}

func TestProjectFieldPath(t *testing.T) {
	a := &ProjectAdapter{}
	for enginePath, want := range map[string]string{
		"key":                  "metadata.name",
		"name":                 "spec.forProvider.name",
		"jira.lead_account_id": "spec.forProvider.jira.leadAccountId",
		"harbor.force_destroy": "spec.forProvider.harbor.forceDestroy",
		"argocd.sites[1]":      "spec.forProvider.argocd.sites[1]",
	} {
		if got := a.FieldPath(enginePath); got != want {
			t.Errorf("FieldPath(%q) = %q, want %q", enginePath, got, want)
		}
	}
}

func TestServicesOfSecret(t *testing.T) {
	got := servicesOfSecret(map[string][]byte{
		"kubeconfig":              []byte("ignored"),
		ServicesKeyBitbucketURL:   []byte("http://bb/2.0"),
		ServicesKeyBitbucketToken: []byte("access-token"),
		ServicesKeyJiraURL:        []byte("http://jira"),
		ServicesKeyJiraEmail:      []byte("bot@example"),
		ServicesKeyJiraAPIToken:   []byte("api-token"),
	})
	want := registry.Services{
		Bitbucket: &registry.BitbucketAccess{URL: "http://bb/2.0", Token: "access-token"},
		Jira:      &registry.JiraAccess{URL: "http://jira", Email: "bot@example", APIToken: "api-token"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("servicesOfSecret() (-want +got):\n%s", diff)
	}
	if got := servicesOfSecret(map[string][]byte{"kubeconfig": []byte("x")}); got.Bitbucket != nil || got.Jira != nil {
		t.Errorf("servicesOfSecret() of a Secret without the keys = %+v, want none", got)
	}
}

// TestProjectLateInitializeHarborSite: a Project whose harbor names no site
// gets the site the engine made the Harbor project at (the hub's); a named
// site is left alone.
func TestProjectLateInitializeHarborSite(t *testing.T) {
	a := &ProjectAdapter{}
	actual := project.Spec{Key: "WEB", Harbor: &project.Harbor{Site: "site-a"}}
	for name, tc := range map[string]struct {
		site, want  string
		wantChanged bool
	}{
		"left out: the hub's":  {site: "", want: "site-a", wantChanged: true},
		"named: kept as named": {site: "site-c", want: "site-c", wantChanged: false},
	} {
		t.Run(name, func(t *testing.T) {
			p := &v1alpha1.Project{
				ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec:       v1alpha1.ProjectSpec{ForProvider: v1alpha1.ProjectParameters{Name: "Web", Harbor: &v1alpha1.ProjectHarbor{Site: tc.site}}},
			}
			if changed := a.LateInitialize(p, actual); changed != tc.wantChanged {
				t.Errorf("LateInitialize() = %v, want %v", changed, tc.wantChanged)
			}
			if got := p.Spec.ForProvider.Harbor.Site; got != tc.want {
				t.Errorf("harbor.site = %q, want %q", got, tc.want)
			}
		})
	}
}
