package controller

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// TestExplainTranslatesEveryInvalidInput checks that invalid input, one
// error or several joined by a Validation, is reported with the kind's field
// paths, and that an error wrapped with more context is left as it is.
func TestExplainTranslatesEveryInvalidInput(t *testing.T) {
	r := &Reconciler[site.Spec, site.Status]{adapter: &SiteAdapter{}}
	one := engine.InvalidInput("gitops.repo_url", "is not a URL")
	two := errors.Join(one, engine.InvalidInput("argocd.namespace", "is not a namespace name"))
	wrapped := fmt.Errorf("cannot create: %w", one)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"one", one, "spec.forProvider.gitops.repoURL: is not a URL"},
		{"two joined", two, "spec.forProvider.gitops.repoURL: is not a URL\nspec.forProvider.argocd.namespace: is not a namespace name"},
		{"wrapped", wrapped, "cannot create: gitops.repo_url: is not a URL"},
		{"other", errors.New("connection refused"), "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.explain(tc.err).Error(); got != tc.want {
				t.Errorf("explain() = %q, want %q", got, tc.want)
			}
		})
	}
}
