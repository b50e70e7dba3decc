package cirun

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func TestRunName(t *testing.T) {
	base := RunName(testSpec())
	if !regexp.MustCompile(`^hello-[0-9a-f]{10}$`).MatchString(base) {
		t.Fatalf("RunName() = %q, want hello-<10 hex>", base)
	}
	for _, tc := range []struct {
		name string
		edit func(*Spec)
		same bool
	}{
		{name: "notify", edit: func(s *Spec) { s.Notify = []string{"team"} }, same: true},
		{name: "on_destroy", edit: func(s *Spec) { s.OnDestroy = OnDestroyDelete }, same: true},
		{name: "defaults spelled out", edit: func(s *Spec) { s.Build.Executor = "local"; s.Build.Env = map[string]string{} }, same: true},
		{name: "revision", edit: func(s *Spec) { s.Source.Revision = "v2" }},
		{name: "trigger", edit: func(s *Spec) { s.Triggers = map[string]string{"n": "1"} }},
		{name: "tag", edit: func(s *Spec) { s.Image.Tag = "v1" }},
		{name: "fail_on", edit: func(s *Spec) { s.Scan.FailOn = SeverityHigh }},
		{name: "replicate_to set empty", edit: func(s *Spec) { s.ReplicateTo = []string{} }},
		{name: "env", edit: func(s *Spec) { s.Build.Env = map[string]string{"CGO_ENABLED": "0"} }},
		{name: "site", edit: func(s *Spec) { s.Site = "site-c" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSpec()
			tc.edit(&s)
			if got := RunName(s); (got == base) != tc.same {
				t.Errorf("RunName() = %q beside %q: same = %t, want %t", got, base, got == base, tc.same)
			}
		})
	}
	long := testSpec()
	long.Image.Repository = "team/" + strings.Repeat("very-long-name", 5)
	if n := RunName(long); len(n) > 51 || !strings.HasPrefix(n, "team-very-long") {
		t.Errorf("RunName() of a long nested repository = %q", n)
	}
}

func TestParseID(t *testing.T) {
	site, name, err := ParseID(ID(testSpec()))
	if err != nil || site != "site-b" || name != RunName(testSpec()) {
		t.Errorf("ParseID(ID()) = %q, %q, %v", site, name, err)
	}
	for _, bad := range []string{"", "site-b", "site-b/", "/x", "site-b/a/b", "Site_B/x"} {
		if _, _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q): want an error", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Spec)
		paths []string
	}{
		{name: "valid", edit: func(*Spec) {}},
		{name: "no source", edit: func(s *Spec) { s.Source.Repository = "" }, paths: []string{"source"}},
		{name: "both sources", edit: func(s *Spec) { s.Source.Application = "DEMO/hello" }, paths: []string{"source"}},
		{name: "credentials in the URL", edit: func(s *Spec) { s.Source.Repository = "https://u:p@bitbucket.test/x.git" }, paths: []string{"source.repository"}},
		{name: "bad application", edit: func(s *Spec) { s.Source = Source{Application: "hello", Revision: "main"} }, paths: []string{"source.application"}},
		{name: "no revision", edit: func(s *Spec) { s.Source.Revision = " " }, paths: []string{"source.revision"}},
		{name: "bad project", edit: func(s *Spec) { s.Image.Project = "Apps" }, paths: []string{"image.project"}},
		{name: "bad repository", edit: func(s *Spec) { s.Image.Repository = "a//b" }, paths: []string{"image.repository"}},
		{name: "bad tag", edit: func(s *Spec) { s.Image.Tag = "-x" }, paths: []string{"image.tag"}},
		{name: "bad executor", edit: func(s *Spec) { s.Build.Executor = "docker" }, paths: []string{"build.executor"}},
		{name: "context outside", edit: func(s *Spec) { s.Build.ContextDir = "../x" }, paths: []string{"build.context_dir"}},
		{name: "bad env", edit: func(s *Spec) { s.Build.Env = map[string]string{"1X": "y"} }, paths: []string{"build.env"}},
		{name: "bad fail_on", edit: func(s *Spec) { s.Scan.FailOn = "critical" }, paths: []string{"scan.fail_on"}},
		{name: "replicate to itself and twice", edit: func(s *Spec) { s.ReplicateTo = []string{"site-b", "site-a", "site-a"} }, paths: []string{"replicate_to[0]", "replicate_to[2]"}},
		{name: "bad on_destroy", edit: func(s *Spec) { s.OnDestroy = "orphan" }, paths: []string{"on_destroy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSpec()
			tc.edit(&s)
			var got []string
			for _, in := range engine.InvalidInputs(Validate(s)) {
				got = append(got, in.Path)
			}
			if strings.Join(got, ",") != strings.Join(tc.paths, ",") {
				t.Errorf("Validate() paths = %v, want %v (%v)", got, tc.paths, Validate(s))
			}
		})
	}
}
