package site

import (
	"slices"
	"strings"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func validSpec() Spec {
	return Spec{
		Name:   "site-b",
		Labels: map[string]string{"region": "kr-central"},
		ArgoCD: ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
	}
}

func TestValidate(t *testing.T) {
	const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t}}]
current-context: ctx
`
	tests := []struct {
		name     string
		mutate   func(*Spec)
		wantPath string
		wantMsg  string
	}{
		{"valid", func(*Spec) {}, "", ""},
		{"upper-case name", func(s *Spec) { s.Name = "Site-B" }, "name", "not a valid site name"},
		{"name too long", func(s *Spec) { s.Name = strings.Repeat("a", 64) }, "name", "not a valid site name"},
		{"bad label key", func(s *Spec) { s.Labels = map[string]string{"a b": "x"} }, "labels", "label key"},
		{"bad argocd namespace", func(s *Spec) { s.ArgoCD.Namespace = "Argo" }, "argocd.namespace", "not a namespace name"},
		{"token with host", func(s *Spec) {
			s.ManagementCluster = &ManagementCluster{Host: "https://10.0.0.1:6443", Token: "t"}
		}, "", ""},
		{"host without scheme", func(s *Spec) {
			s.ManagementCluster = &ManagementCluster{Host: "10.0.0.1:6443", Token: "t"}
		}, "management_cluster.host", "not an http(s) URL"},
		{"token and kubeconfig", func(s *Spec) {
			s.ManagementCluster = &ManagementCluster{Host: "https://h", Token: "t", Kubeconfig: kubeconfig}
		}, "management_cluster.kubeconfig", "not both"},
		{"valid kubeconfig", func(s *Spec) { s.ManagementCluster = &ManagementCluster{Kubeconfig: kubeconfig} }, "", ""},
		{"kubeconfig with unknown context", func(s *Spec) {
			s.ManagementCluster = &ManagementCluster{Kubeconfig: kubeconfig, Context: "other"}
		}, "management_cluster.kubeconfig", `no context "other"`},
		{"kubeconfig that does not parse", func(s *Spec) {
			s.ManagementCluster = &ManagementCluster{Kubeconfig: "{not yaml"}
		}, "management_cluster.kubeconfig", "does not parse"},
		{"ca that is not PEM", func(s *Spec) {
			s.ManagementCluster = &ManagementCluster{Host: "https://h", Token: "t", CACertificate: "abc"}
		}, "management_cluster.ca_certificate", "PEM"},
		{"gitops", func(s *Spec) {
			s.GitOps = &GitOps{RepoURL: "https://git.example/gitops.git", Branch: "main", Path: "sites/site-b"}
		}, "", ""},
		{"gitops ssh url", func(s *Spec) {
			s.GitOps = &GitOps{RepoURL: "git@git.example:gitops.git", Branch: "main", Path: "sites"}
		}, "gitops.repo_url", "not an http(s) URL"},
		{"gitops credentials in url", func(s *Spec) {
			s.GitOps = &GitOps{RepoURL: "https://u:p@git.example/g.git", Branch: "main", Path: "sites"}
		}, "gitops.repo_url", "has credentials in it"},
		{"gitops ftp url with credentials", func(s *Spec) {
			s.GitOps = &GitOps{RepoURL: "ftp://u:url-secret@git.example/g.git?token=url-secret", Branch: "main", Path: "sites"}
		}, "gitops.repo_url", `"ftp://u:REDACTED@git.example/g.git?token=REDACTED" is not an http(s) URL`},
		{"harbor ftp url with credentials", func(s *Spec) {
			s.Harbor = &Harbor{URL: "ftp://u:url-secret@harbor.example", Username: "admin"}
		}, "harbor.url", `"ftp://u:REDACTED@harbor.example" is not an http(s) URL`},
		{"host with credentials", func(s *Spec) {
			s.ManagementCluster = &ManagementCluster{Host: "ftp://u:url-secret@10.0.0.1:6443", Token: "t"}
		}, "management_cluster.host", `"ftp://u:REDACTED@10.0.0.1:6443" is not an http(s) URL`},
		{"gitops bad branch", func(s *Spec) {
			s.GitOps = &GitOps{RepoURL: "https://git.example/g.git", Branch: "a..b", Path: "sites"}
		}, "gitops.branch", "git refuses"},
		{"gitops absolute path", func(s *Spec) {
			s.GitOps = &GitOps{RepoURL: "https://git.example/g.git", Branch: "main", Path: "/sites"}
		}, "gitops.path", "clean relative path"},
		{"gitops path escaping", func(s *Spec) {
			s.GitOps = &GitOps{RepoURL: "https://git.example/g.git", Branch: "main", Path: "../x"}
		}, "gitops.path", "clean relative path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.mutate(&s)
			err := Validate(s)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			in, ok := engine.AsInvalidInput(err)
			if !ok {
				t.Fatalf("Validate() = %v, want an invalid input error", err)
			}
			if in.Path != tc.wantPath || !strings.Contains(in.Message, tc.wantMsg) {
				t.Fatalf("Validate() = %q at %q, want %q at %q", in.Message, in.Path, tc.wantMsg, tc.wantPath)
			}
		})
	}
}

func TestKeepSecretsAndEqualSpecs(t *testing.T) {
	cur := validSpec()
	cur.ManagementCluster = &ManagementCluster{Host: "https://h", Token: "old", TokenVersion: 1}
	want := validSpec()
	want.ManagementCluster = &ManagementCluster{Host: "https://h", TokenVersion: 1}
	keepSecrets(&want, cur)
	if want.ManagementCluster.Token != "old" {
		t.Fatalf("keepSecrets() token = %q, want the stored one", want.ManagementCluster.Token)
	}
	if !equalSpecs(want, withoutSecrets(cur)) {
		t.Fatal("equalSpecs() = false for specs that differ only in secret values")
	}
	want.ManagementCluster.TokenVersion = 2
	if equalSpecs(want, cur) {
		t.Fatal("equalSpecs() = true although the token version changed")
	}
	a, b := validSpec(), validSpec()
	a.Labels, b.Labels = nil, map[string]string{}
	if !equalSpecs(a, b) {
		t.Fatal("equalSpecs() = false for nil and empty labels")
	}
}

// TestValidateReportsEveryError checks that every invalid argument is
// reported at once, each with its path.
func TestValidateReportsEveryError(t *testing.T) {
	s := validSpec()
	s.Name = "Site B"
	s.ArgoCD.Namespace = "Argo CD"
	s.GitOps = &GitOps{RepoURL: "https://git.example/gitops.git", Branch: "a..b", Path: "/abs"}
	var got []string
	for _, in := range engine.InvalidInputs(Validate(s)) {
		got = append(got, in.Path)
	}
	want := []string{"name", "argocd.namespace", "gitops.branch", "gitops.path"}
	if !slices.Equal(got, want) {
		t.Errorf("Validate() reported %q, want %q", got, want)
	}
}
