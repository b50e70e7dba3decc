package project

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func TestValidate(t *testing.T) {
	valid := Spec{Key: "WEB", Name: "Web shop",
		Bitbucket: &Bitbucket{Workspace: "mcplatform"},
		Jira:      &Jira{LeadAccountID: "557058:0000000a-0000-4000-8000-00000000a11c"},
		Harbor:    &Harbor{Site: "site-a"},
		ArgoCD:    &ArgoCD{Sites: []string{"site-a"}},
	}
	with := func(f func(*Spec)) Spec {
		s := valid
		f(&s)
		return s
	}
	for name, tc := range map[string]struct {
		spec    Spec
		unknown engine.Unknown
		paths   []string
	}{
		"valid":               {spec: valid},
		"two characters":      {spec: with(func(s *Spec) { s.Key = "AB" })},
		"ten characters":      {spec: with(func(s *Spec) { s.Key = "ABCDEFGHIJ" })},
		"lower case":          {spec: with(func(s *Spec) { s.Key = "ab" }), paths: []string{"key"}},
		"dash":                {spec: with(func(s *Spec) { s.Key = "A-B" }), paths: []string{"key"}},
		"eleven characters":   {spec: with(func(s *Spec) { s.Key = "ABCDEFGHIJK" }), paths: []string{"key"}},
		"digit first":         {spec: with(func(s *Spec) { s.Key = "1AB" }), paths: []string{"key"}},
		"one character":       {spec: with(func(s *Spec) { s.Key = "A" }), paths: []string{"key"}},
		"unknown key":         {spec: with(func(s *Spec) { s.Key = "" }), unknown: func(p string) bool { return p == "key" }},
		"no name":             {spec: with(func(s *Spec) { s.Name = "" }), paths: []string{"name"}},
		"bad workspace":       {spec: with(func(s *Spec) { s.Bitbucket = &Bitbucket{Workspace: "My WS"} }), paths: []string{"bitbucket.workspace"}},
		"bad jira type":       {spec: with(func(s *Spec) { s.Jira = &Jira{LeadAccountID: "abc", Type: "kanban"} }), paths: []string{"jira.type"}},
		"no lead":             {spec: with(func(s *Spec) { s.Jira = &Jira{} }), paths: []string{"jira.lead_account_id"}},
		"bad harbor site":     {spec: with(func(s *Spec) { s.Harbor = &Harbor{Site: "Site_A"} }), paths: []string{"harbor.site"}},
		"no argocd sites":     {spec: with(func(s *Spec) { s.ArgoCD = &ArgoCD{} }), paths: []string{"argocd.sites"}},
		"bad argocd site":     {spec: with(func(s *Spec) { s.ArgoCD = &ArgoCD{Sites: []string{"a", "B"}} }), paths: []string{"argocd.sites[1]"}},
		"bad on_destroy":      {spec: with(func(s *Spec) { s.OnDestroy = "keep" }), paths: []string{"on_destroy"}},
		"every error at once": {spec: Spec{Key: "ab", OnDestroy: "keep"}, paths: []string{"key", "name", "on_destroy"}},
	} {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, in := range engine.InvalidInputs(ValidatePartial(tc.spec, tc.unknown)) {
				got = append(got, in.Path)
			}
			if diff := cmp.Diff(tc.paths, got); diff != "" {
				t.Errorf("invalid paths (-want +got):\n%s", diff)
			}
		})
	}
}
