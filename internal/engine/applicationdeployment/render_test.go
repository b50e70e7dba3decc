package applicationdeployment

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

func validSpec() Spec {
	return Spec{
		Application: "SHOP/web", Site: "site-b", Cluster: "brownfield-1", Namespace: "shop-web",
		Image: Image{Repository: "harbor.example/shop/web", Tag: "1.4.2"},
		SyncPolicy: SyncPolicy{Automated: true, Prune: true, SelfHeal: true, SyncOptions: []string{"CreateNamespace=true"},
			Retry: &Retry{Limit: 3, BackoffDuration: "5s", BackoffFactor: 2, BackoffMaxDuration: "3m"}},
	}
}

var testPlace = place{Project: "SHOP", Name: "web", ArgoCDNamespace: "argocd", YAMLRepoURL: "https://bot@bitbucket.example/ws/web-yaml.git", YAMLBranch: "main"}

func TestParseID(t *testing.T) {
	site, app, cluster, err := ParseID(validSpec().ID())
	if err != nil || site != "site-b" || app != "SHOP/web" || cluster != "brownfield-1" {
		t.Fatalf("ParseID(%q) = %q, %q, %q, %v", validSpec().ID(), site, app, cluster, err)
	}
	for _, bad := range []string{"", "a/b/c", "a/b/c/d/e", "a//c/d", "/b/c/d"} {
		if _, _, _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
	}
}

func TestPaths(t *testing.T) {
	got := []string{
		ApplicationName("SHOP", "web", "brownfield-1"),
		ManifestPath("sites/site-b/", "SHOP", "web", "brownfield-1"),
		ManifestPath(".", "SHOP", "web", "c"),
		YAMLPath("site-b", "brownfield-1"),
	}
	want := []string{"shop-web-brownfield-1", "sites/site-b/apps/shop-web-brownfield-1.yaml", "apps/shop-web-c.yaml", "deploy/site-b/brownfield-1/deployment.yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

// TestApplicationManifestRoundTrip: what Observe reads back from the
// manifest is the spec it was rendered from.
func TestApplicationManifestRoundTrip(t *testing.T) {
	for name, s := range map[string]Spec{
		"full":   validSpec(),
		"manual": func() Spec { s := validSpec(); s.SyncPolicy = SyncPolicy{}; return s }(),
		"digest": func() Spec {
			s := validSpec()
			s.Image = Image{Repository: "harbor.example:5000/shop/web", Digest: "sha256:" + strings.Repeat("ab", 32)}
			return s
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			content, err := s.applicationYAML(testPlace)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parseApplication([]byte(content))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s.SyncPolicy, syncPolicyOf(m)); diff != "" {
				t.Errorf("sync policy (-want +got):\n%s", diff)
			}
			if m.Spec.Destination.Namespace != s.Namespace || m.Spec.Destination.Name != s.Cluster {
				t.Errorf("destination %+v", m.Spec.Destination)
			}
			if m.Spec.Source.RepoURL != "https://bitbucket.example/ws/web-yaml.git" {
				t.Errorf("repoURL %q keeps credentials or changed", m.Spec.Source.RepoURL)
			}
			for _, want := range []string{"mc.mcplatform.dev/kind: application-deployment", "mc.mcplatform.dev/managed-by: terraform-provider-mc", ResourcesFinalizer} {
				if !strings.Contains(content, want) {
					t.Errorf("manifest lacks %q:\n%s", want, content)
				}
			}
			img, err := parseImage(s.deploymentYAML(testPlace))
			if err != nil {
				t.Fatal(err)
			}
			if img != s.Image {
				t.Errorf("image read back %+v, want %+v", img, s.Image)
			}
			if d := sameSpec(m.Spec, s.application(testPlace).Spec); len(d) != 0 {
				t.Errorf("sameSpec of the same manifest = %v", d)
			}
		})
	}
}

func TestSameSpecFindsEdits(t *testing.T) {
	want := validSpec().application(testPlace).Spec
	edited := validSpec().application(testPlace).Spec
	edited.SyncPolicy = &appSyncPolicy{SyncOptions: []string{"CreateNamespace=true"}}
	edited.Destination.Namespace = "elsewhere"
	if diff := cmp.Diff([]string{"spec.destination", "spec.syncPolicy"}, sameSpec(edited, want)); diff != "" {
		t.Errorf("sameSpec (-want +got):\n%s", diff)
	}
	empty := appSpec{Project: "default", Source: want.Source, Destination: want.Destination, SyncPolicy: &appSyncPolicy{SyncOptions: []string{}}}
	if d := sameSpec(empty, appSpec{Project: "default", Source: want.Source, Destination: want.Destination}); len(d) != 0 {
		t.Errorf("an empty sync policy differs from none: %v", d)
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(validSpec()); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	cases := map[string]struct {
		edit func(*Spec)
		path string
	}{
		"application without project": {func(s *Spec) { s.Application = "web" }, "application"},
		"cluster not a label":         {func(s *Spec) { s.Cluster = "Brown_Field" }, "cluster"},
		"namespace not a label":       {func(s *Spec) { s.Namespace = "a.b" }, "namespace"},
		"repository upper case":       {func(s *Spec) { s.Image.Repository = "Harbor/Web" }, "image.repository"},
		"tag and digest":              {func(s *Spec) { s.Image.Digest = "sha256:" + strings.Repeat("a", 64) }, "image.digest"},
		"neither tag nor digest":      {func(s *Spec) { s.Image.Tag = "" }, "image.tag"},
		"bad tag":                     {func(s *Spec) { s.Image.Tag = "a b" }, "image.tag"},
		"prune without automated":     {func(s *Spec) { s.SyncPolicy.Automated = false }, "sync_policy.prune"},
		"bad sync option":             {func(s *Spec) { s.SyncPolicy.SyncOptions = []string{"Prune"} }, "sync_policy.sync_options[0]"},
		"bad backoff":                 {func(s *Spec) { s.SyncPolicy.Retry.BackoffDuration = "soon" }, "sync_policy.retry.backoff_duration"},
		"negative retry":              {func(s *Spec) { s.SyncPolicy.Retry.Limit = -1 }, "sync_policy.retry.limit"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := validSpec()
			c.edit(&s)
			err := Validate(s)
			in, ok := engine.AsInvalidInput(err)
			if !ok || in.Path != c.path {
				t.Fatalf("Validate() = %v, want invalid input on %s", err, c.path)
			}
		})
	}
	// Unknown arguments are not checked at plan time.
	s := validSpec()
	s.Image.Tag = ""
	if err := ValidatePartial(s, func(p string) bool { return p == "image.tag" }); err != nil {
		t.Errorf("ValidatePartial with an unknown tag = %v", err)
	}
}

// TestRootApplicationName keeps the copy of the site kind's naming rule in step.
func TestRootApplicationName(t *testing.T) {
	if got, want := rootApplicationName("site-b"), site.RootApplicationName("site-b"); got != want {
		t.Errorf("rootApplicationName = %q, the site kind names it %q", got, want)
	}
}
