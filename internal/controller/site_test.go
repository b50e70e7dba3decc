package controller

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

func secret(namespace, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestSiteDesiredSpec(t *testing.T) {
	kubeconfigRef := &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "edge-1-mgmt", Key: "kubeconfig"}
	tokenRef := &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "edge-1-mgmt", Key: "token"}
	passwordRef := &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "edge-1-git", Key: "password"}
	secrets := []client.Object{
		secret("mc-system", "edge-1-mgmt", map[string]string{"kubeconfig": "apiVersion: v1\nkind: Config\n", "token": "s3cr3t"}),
		secret("mc-system", "edge-1-git", map[string]string{"password": "hunter2"}),
	}

	cases := []struct {
		name    string
		site    *v1alpha1.Site
		want    site.Spec
		wantErr string
	}{
		{
			name: "the platform's own cluster, no GitOps, defaults filled",
			site: siteObject(func(s *v1alpha1.Site) {
				s.Spec.ForProvider = v1alpha1.SiteParameters{Labels: map[string]string{"region": "kr"}}
			}),
			want: site.Spec{
				Name:   testSite,
				Labels: map[string]string{"region": "kr"},
				ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
			},
		},
		{
			name: "the external name is the site's name",
			site: siteObject(withAnnotations(v1alpha1.AnnotationExternalName, "imported-site")),
			want: site.Spec{Name: "imported-site", Description: "edge site", ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}},
		},
		{
			name: "host and token, GitOps with password: values read, versions hashed",
			site: siteObject(func(s *v1alpha1.Site) {
				s.Spec.ForProvider.ManagementCluster = &v1alpha1.ManagementClusterParameters{
					Host: "https://10.0.0.1:6443", CACertificate: "PEM", InsecureSkipTLSVerify: true, TokenSecretRef: tokenRef,
				}
				s.Spec.ForProvider.GitOps = &v1alpha1.GitOpsParameters{
					RepoURL: "http://git.test/sites.git", Path: "edge-1", Username: "mc", PasswordSecretRef: passwordRef,
				}
			}),
			want: site.Spec{
				Name: testSite, Description: "edge site",
				ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
				ManagementCluster: &site.ManagementCluster{
					Host: "https://10.0.0.1:6443", CACertificate: "PEM", Insecure: true,
					Token: "s3cr3t", TokenVersion: SecretVersion("s3cr3t"),
				},
				GitOps: &site.GitOps{
					RepoURL: "http://git.test/sites.git", Branch: "main", Path: "edge-1", Username: "mc",
					Password: "hunter2", PasswordVersion: SecretVersion("hunter2"),
				},
			},
		},
		{
			name: "harbor with password: value read, version hashed",
			site: siteObject(func(s *v1alpha1.Site) {
				s.Spec.ForProvider.Harbor = &v1alpha1.HarborParameters{
					URL: "https://harbor.edge-1.test", Username: "admin", PasswordSecretRef: passwordRef, InsecureSkipTLSVerify: true,
				}
			}),
			want: site.Spec{
				Name: testSite, Description: "edge site",
				ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
				Harbor: &site.Harbor{
					URL: "https://harbor.edge-1.test", Username: "admin", Insecure: true,
					Password: "hunter2", PasswordVersion: SecretVersion("hunter2"),
				},
			},
		},
		{
			name: "kubeconfig with context",
			site: siteObject(func(s *v1alpha1.Site) {
				s.Spec.ForProvider.ManagementCluster = &v1alpha1.ManagementClusterParameters{Context: "edge", KubeconfigSecretRef: kubeconfigRef}
			}),
			want: site.Spec{
				Name: testSite, Description: "edge site",
				ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
				ManagementCluster: &site.ManagementCluster{
					Context: "edge", Kubeconfig: "apiVersion: v1\nkind: Config\n", KubeconfigVersion: SecretVersion("apiVersion: v1\nkind: Config\n"),
				},
			},
		},
		{
			name: "a missing key names the reference",
			site: siteObject(func(s *v1alpha1.Site) {
				s.Spec.ForProvider.ManagementCluster = &v1alpha1.ManagementClusterParameters{
					Host: "https://10.0.0.1:6443", TokenSecretRef: &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "edge-1-mgmt", Key: "nope"},
				}
			}),
			wantErr: `managementCluster.tokenSecretRef: secret mc-system/edge-1-mgmt has no key "nope"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(secrets...).Build()
			adapter := NewSiteAdapter(ProviderConfigResolver{}, kube, nil)
			got, err := adapter.DesiredSpec(context.Background(), tc.site)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("DesiredSpec error = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DesiredSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretVersion(t *testing.T) {
	a, b := SecretVersion("token-a"), SecretVersion("token-b")
	if a == b {
		t.Errorf("different values have the same version %d", a)
	}
	if a != SecretVersion("token-a") {
		t.Errorf("the version of one value is not stable")
	}
	for _, v := range []string{"", "token-a", "token-b", strings.Repeat("x", 1000)} {
		if SecretVersion(v) < 0 {
			t.Errorf("SecretVersion(%q) = %d, want non-negative", v, SecretVersion(v))
		}
	}
}

func TestSiteConnect(t *testing.T) {
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
	secretConfig := &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "remote"},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{
				Source:    v1alpha1.CredentialsSourceSecret,
				SecretRef: &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "platform", Key: "kubeconfig"},
			},
			Namespace: "sites",
		},
	}
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(
		defaultProviderConfig(), secretConfig, secret("mc-system", "platform", map[string]string{"kubeconfig": kubeconfig}),
	).Build()

	type connection struct{ Host, Namespace string }
	var built []connection
	adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{Host: "https://injected:6443"}}, kube,
		func(sites *registry.Registry) engine.Client[site.Spec, site.Status] {
			built = append(built, connection{sites.PlatformHost(), sites.Namespace()})
			return &fakeSiteEngine{}
		})
	ctx := context.Background()

	for _, s := range []*v1alpha1.Site{
		siteObject(),
		siteObject(), // same ProviderConfig, unchanged: the engine is reused
		siteObject(func(s *v1alpha1.Site) {
			s.Spec.ProviderConfigReference = &v1alpha1.ProviderConfigReference{Name: "remote"}
		}),
	} {
		if _, err := adapter.Connect(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	want := []connection{{"https://injected:6443", "mc-system"}, {"https://platform.example:6443", "sites"}}
	if diff := cmp.Diff(want, built); diff != "" {
		t.Errorf("engines built (-want +got):\n%s", diff)
	}

	_, err := adapter.Connect(ctx, siteObject(func(s *v1alpha1.Site) {
		s.Spec.ProviderConfigReference = &v1alpha1.ProviderConfigReference{Name: "missing"}
	}))
	if want := `cannot get ProviderConfig "missing": providerconfigs.mc.mcplatform.dev "missing" not found`; err == nil || err.Error() != want {
		t.Errorf("Connect to a missing ProviderConfig: error = %v, want %s", err, want)
	}
}

func TestSiteLateInitialize(t *testing.T) {
	s := siteObject(func(s *v1alpha1.Site) { s.Spec.ForProvider = v1alpha1.SiteParameters{} })
	actual := site.Spec{
		Name: testSite, Description: "recorded", Labels: map[string]string{"region": "kr"},
		ArgoCD:            site.ArgoCD{Namespace: "gitops", Destination: "mgmt"},
		ManagementCluster: &site.ManagementCluster{Host: "https://10.0.0.1:6443", TokenVersion: 42},
		GitOps:            &site.GitOps{RepoURL: "http://git.test/x.git", Path: "p"},
	}
	adapter := NewSiteAdapter(ProviderConfigResolver{}, nil, nil)
	if !adapter.LateInitialize(s, actual) {
		t.Fatal("LateInitialize reported no change")
	}
	want := v1alpha1.SiteParameters{
		Description: "recorded", Labels: map[string]string{"region": "kr"},
		ArgoCD: v1alpha1.ArgoCDParameters{Namespace: "gitops", Destination: "mgmt"},
	}
	if diff := cmp.Diff(want, s.Spec.ForProvider); diff != "" {
		t.Errorf("forProvider after late initialisation (-want +got):\n%s", diff)
	}
	if adapter.LateInitialize(s, actual) {
		t.Error("a second LateInitialize reported a change")
	}
}

func TestSiteFieldPath(t *testing.T) {
	adapter := NewSiteAdapter(ProviderConfigResolver{}, nil, nil)
	for enginePath, want := range map[string]string{
		"name":                          "metadata.name",
		"labels":                        "spec.forProvider.labels",
		"management_cluster":            "spec.forProvider.managementCluster",
		"management_cluster.host":       "spec.forProvider.managementCluster.host",
		"management_cluster.kubeconfig": "spec.forProvider.managementCluster.kubeconfigSecretRef",
		"management_cluster.token":      "spec.forProvider.managementCluster.tokenSecretRef",
		"argocd.namespace":              "spec.forProvider.argocd.namespace",
		"gitops.repo_url":               "spec.forProvider.gitops.repoURL",
		"gitops.password":               "spec.forProvider.gitops.passwordSecretRef",
		"gitops.path":                   "spec.forProvider.gitops.path",
	} {
		if got := adapter.FieldPath(enginePath); got != want {
			t.Errorf("FieldPath(%q) = %q, want %q", enginePath, got, want)
		}
	}
}
