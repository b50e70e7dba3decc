package site

import (
	"net/url"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Validate checks a spec without talking to any backend. Every error is an
// *engine.InvalidInputError naming the argument, so front-ends can report it
// at plan time.
func Validate(s Spec) error {
	if err := ValidateName(s.Name); err != nil {
		return engine.InvalidInput("name", "%v", err)
	}
	for k, v := range s.Labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return engine.InvalidInput("labels", "label key %q is invalid: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return engine.InvalidInput("labels", "label value %q of %q is invalid: %s", v, k, strings.Join(errs, "; "))
		}
	}
	if errs := validation.IsDNS1123Label(s.ArgoCD.Namespace); len(errs) > 0 {
		return engine.InvalidInput("argocd.namespace", "%q is not a namespace name: %s", s.ArgoCD.Namespace, strings.Join(errs, "; "))
	}
	if s.ArgoCD.Destination == "" {
		return engine.InvalidInput("argocd.destination", "must not be empty")
	}
	if mc := s.ManagementCluster; mc != nil {
		if err := ValidateManagementCluster(*mc); err != nil {
			return err
		}
	}
	if g := s.GitOps; g != nil {
		if err := ValidateGitOps(*g); err != nil {
			return err
		}
	}
	if h := s.Harbor; h != nil {
		if err := ValidateHarbor(*h); err != nil {
			return err
		}
	}
	return nil
}

// ValidateHarbor checks the Harbor settings.
func ValidateHarbor(h Harbor) error {
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return engine.InvalidInput("harbor.url", "%q is not an http(s) URL such as https://harbor.site-b.example", redact.URL(h.URL))
	}
	if u.User != nil {
		return engine.InvalidInput("harbor.url", "put credentials in username and password_wo, not in the URL")
	}
	if h.Username == "" {
		return engine.InvalidInput("harbor.username", "must not be empty")
	}
	return nil
}

// ValidateName checks that name is a DNS-1123 label, as every site name is.
func ValidateName(name string) error { return registry.ValidateName(name) }

// ValidateManagementCluster checks the connection settings: a host with a
// token, or a kubeconfig that parses, not both. Empty secrets are allowed
// (an update keeps the stored ones).
func ValidateManagementCluster(mc ManagementCluster) error {
	if mc.Token != "" && mc.Kubeconfig != "" {
		return engine.InvalidInput("management_cluster", "set either a token or a kubeconfig, not both")
	}
	if mc.Kubeconfig != "" {
		if mc.Host != "" {
			return engine.InvalidInput("management_cluster.host", "the host comes from the kubeconfig: leave it unset")
		}
		if _, err := kube.ParseKubeconfig(mc.Kubeconfig, mc.Context); err != nil {
			return engine.InvalidInput("management_cluster.kubeconfig", "%v", err)
		}
		return nil
	}
	if mc.Context != "" {
		return engine.InvalidInput("management_cluster.context", "a context only applies to a kubeconfig")
	}
	if mc.Host == "" {
		return engine.InvalidInput("management_cluster.host", "set the API server URL, or give a kubeconfig")
	}
	if err := kube.ValidateHost(mc.Host); err != nil {
		return engine.InvalidInput("management_cluster.host", "%v", err)
	}
	if mc.CACertificate != "" && !strings.Contains(mc.CACertificate, "-----BEGIN CERTIFICATE-----") {
		return engine.InvalidInput("management_cluster.ca_certificate", "must be a PEM-encoded certificate")
	}
	return nil
}

// ValidateGitOps checks the repository settings.
func ValidateGitOps(g GitOps) error {
	u, err := url.Parse(g.RepoURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return engine.InvalidInput("gitops.repo_url", "%q is not an http(s) repository URL", redact.URL(g.RepoURL))
	}
	if u.User != nil {
		return engine.InvalidInput("gitops.repo_url", "put credentials in username and password_wo, not in the URL")
	}
	if g.Branch == "" || strings.ContainsAny(g.Branch, " ~^:?*[\\") || strings.Contains(g.Branch, "..") {
		return engine.InvalidInput("gitops.branch", "%q is not a valid branch name", g.Branch)
	}
	if g.Path == "" || path.IsAbs(g.Path) || path.Clean(g.Path) != g.Path || strings.HasPrefix(g.Path, "..") {
		return engine.InvalidInput("gitops.path", "%q must be a clean relative path inside the repository, such as sites/site-b", g.Path)
	}
	return nil
}
