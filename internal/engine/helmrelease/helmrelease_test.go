package helmrelease_test

import (
	"strings"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

func TestRootApplicationNameIsTheSites(t *testing.T) {
	if got, want := helmrelease.RootApplicationName("site-b"), site.RootApplicationName("site-b"); got != want {
		t.Errorf("root application name %q, the site kind makes %q", got, want)
	}
}

func TestIDRoundTrip(t *testing.T) {
	s := helmrelease.Spec{Site: "site-b", Cluster: "dev", Namespace: "web", Name: "ingress"}
	got, err := helmrelease.ParseID(s.ID())
	if err != nil || got.ID() != s.ID() || got.Name != s.Name {
		t.Errorf("ParseID(%q) = %+v, %v", s.ID(), got, err)
	}
	for _, bad := range []string{"a/b/c", "a//c/d", "a/b/c/d/e", ""} {
		if _, err := helmrelease.ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
	if p := helmrelease.ManifestPath("sites/site-b/", s); p != "sites/site-b/helm/dev-web-ingress.yaml" {
		t.Errorf("ManifestPath = %q", p)
	}
}

func TestValidate(t *testing.T) {
	good := helmrelease.Spec{Site: "site-b", Cluster: "dev", Namespace: "web", Name: "ingress", RepoURL: "https://c.example", Chart: "web", Version: "1.0.0"}
	if err := helmrelease.Validate(good); err != nil {
		t.Fatalf("a valid spec is refused: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*helmrelease.Spec)
		path   string
	}{
		{"bad cluster", func(s *helmrelease.Spec) { s.Cluster = "Dev" }, "cluster"},
		{"bad namespace", func(s *helmrelease.Spec) { s.Namespace = "web_1" }, "namespace"},
		{"long name", func(s *helmrelease.Spec) { s.Name = strings.Repeat("a", 54) }, "name"},
		{"bad values", func(s *helmrelease.Spec) { s.Values = "[1, 2]" }, "values"},
		{"no chart", func(s *helmrelease.Spec) { s.Chart = "" }, "chart"},
	} {
		s := good
		tc.change(&s)
		found := false
		for _, e := range engine.InvalidInputs(helmrelease.Validate(s)) {
			found = found || e.Path == tc.path
		}
		if !found {
			t.Errorf("%s: Validate = %v, want an error on %s", tc.name, helmrelease.Validate(s), tc.path)
		}
	}
}
