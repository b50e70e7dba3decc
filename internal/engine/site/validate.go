package site

import (
	"maps"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Validate checks a spec without talking to any backend. Every error is an
// *engine.InvalidInputError naming the argument, so front-ends can report it
// at plan time; all of them are returned, joined.
func Validate(s Spec) error {
	v := engine.NewValidation(nil)
	if err := ValidateName(s.Name); err != nil {
		v.Add("name", "%v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.Add("labels", "label key %q is invalid: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(s.Labels[k]); len(errs) > 0 {
			v.Add("labels", "label value %q of %q is invalid: %s", s.Labels[k], k, strings.Join(errs, "; "))
		}
	}
	if errs := validation.IsDNS1123Label(s.ArgoCD.Namespace); len(errs) > 0 {
		v.Add("argocd.namespace", "%q is not a namespace name: %s", s.ArgoCD.Namespace, strings.Join(errs, "; "))
	}
	if s.ArgoCD.Destination == "" {
		v.Add("argocd.destination", "must not be empty")
	}
	if mc := s.ManagementCluster; mc != nil {
		v.AddError(ValidateManagementCluster(*mc))
	}
	if g := s.GitOps; g != nil {
		v.AddError(ValidateGitOps(*g))
	}
	if h := s.Harbor; h != nil {
		v.AddError(ValidateHarbor(*h))
	}
	validateAddons(v, s)
	return v.Err()
}

// ValidateHarbor checks the Harbor settings; all errors are returned,
// joined.
func ValidateHarbor(h Harbor) error {
	v := engine.NewValidation(nil)
	if err := engine.CheckURL(h.URL, engine.HarborURL); err != nil {
		v.Add("harbor.url", "%v", err)
	}
	if strings.TrimSpace(h.Username) == "" {
		v.Add("harbor.username", "must not be empty")
	} else if strings.TrimSpace(h.Username) != h.Username {
		v.Add("harbor.username", "%q has white space around it", h.Username)
	}
	return v.Err()
}

// ValidateName checks that name is a DNS-1123 label, as every site name is.
func ValidateName(name string) error { return registry.ValidateName(name) }

// ValidateManagementCluster checks the connection settings: a host with a
// token, or a kubeconfig that parses, not both. Empty secrets are allowed
// (an update keeps the stored ones).
func ValidateManagementCluster(mc ManagementCluster) error {
	if mc.Token != "" && mc.Kubeconfig != "" {
		return engine.InvalidInput("management_cluster.kubeconfig", "set either a token (with host) or a kubeconfig, not both")
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
	if err := engine.CheckURL(mc.Host, engine.KubernetesAPI); err != nil {
		return engine.InvalidInput("management_cluster.host", "%v", err)
	}
	if mc.CACertificate != "" && !strings.Contains(mc.CACertificate, "-----BEGIN CERTIFICATE-----") {
		return engine.InvalidInput("management_cluster.ca_certificate", "must be a PEM-encoded certificate")
	}
	return nil
}

// ValidateGitOps checks the repository settings; all errors are returned,
// joined.
func ValidateGitOps(g GitOps) error {
	v := engine.NewValidation(nil)
	if err := engine.CheckURL(g.RepoURL, engine.GitCloneURL); err != nil {
		v.Add("gitops.repo_url", "%v", err)
	}
	if err := engine.CheckBranchName(g.Branch); err != nil {
		v.Add("gitops.branch", "%v", err)
	}
	if g.Path == "" || path.IsAbs(g.Path) || path.Clean(g.Path) != g.Path || strings.HasPrefix(g.Path, "..") {
		v.Add("gitops.path", "%q must be a clean relative path inside the repository, such as sites/site-b", g.Path)
	}
	return v.Err()
}
