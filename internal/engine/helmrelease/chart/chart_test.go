package chart

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func TestCanonicalValues(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{name: "empty", in: "", want: ""},
		{name: "blank", in: "  \n", want: ""},
		{name: "empty mapping", in: "{}", want: ""},
		{name: "sorted", in: "b: 1\na: x\n", want: "a: x\nb: 1\n"},
		{name: "flow style and quotes", in: `{b: 1, "a": 'x'}`, want: "a: x\nb: 1\n"},
		{name: "nested", in: "z:\n  w: [1, 2]\n  v: true\n", want: "z:\n  v: true\n  w:\n  - 1\n  - 2\n"},
		{name: "strings that look like numbers stay strings", in: "v: \"007\"\n", want: "v: \"007\"\n"},
		{name: "a list", in: "- a\n- b\n", err: "not a YAML mapping"},
		{name: "a scalar", in: "hello", err: "not a YAML mapping"},
		{name: "not YAML", in: "a: [1", err: "not valid YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalValues(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("CanonicalValues(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("CanonicalValues(%q) = %q, want %q", tc.in, got, tc.want)
			}
			again, err := CanonicalValues(got)
			if err != nil || again != got {
				t.Errorf("the canonical form is not stable: %q -> %q, %v", got, again, err)
			}
		})
	}
}

func TestRenderParseRoundTrip(t *testing.T) {
	for _, src := range []Source{
		{RepoURL: "https://charts.example/stable", Chart: "web", Version: "1.2.3", Values: "a: 1\n",
			Set: map[string]string{"replicas": "2", "image.tag": "v1"}, SetString: map[string]string{"port": "8080"}, ValueFiles: []string{"values-prod.yaml"}},
		{RepoURL: "oci://harbor.example/platform/web", Version: "1.2.3"},
		{RepoURL: "https://git.example/charts.git", Path: "charts/web"},
		{RepoURL: "https://git.example/charts.git", Path: "charts/web", Version: "v2"},
	} {
		app := Application{
			Name: "helm-c-ns-web", Namespace: "argocd", Labels: map[string]string{LabelKind: "helmrelease"},
			ReleaseName: "web", Source: src, Cluster: "c", TargetNamespace: "ns",
		}
		manifest, err := Render(app)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(manifest)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(app, got); diff != "" {
			t.Errorf("Parse(Render) of %s (-want +got):\n%s\nmanifest:\n%s", src.Type(), diff, manifest)
		}
		for _, want := range []string{LabelManagedBy + ": " + ManagedBy, "resources-finalizer.argocd.argoproj.io", "releaseName: web", "name: c\n"} {
			if !strings.Contains(manifest, want) {
				t.Errorf("manifest of %s lacks %q:\n%s", src.Type(), want, manifest)
			}
		}
	}
}

func TestSourceObjectBySource(t *testing.T) {
	app := func(s Source) map[string]any {
		return Application{ReleaseName: "r", Source: s}.SourceObject()
	}
	for _, tc := range []struct {
		name string
		src  Source
		want map[string]any
	}{
		{"helm repository", Source{RepoURL: "https://c.example", Chart: "web", Version: "1.0.0"},
			map[string]any{"repoURL": "https://c.example", "chart": "web", "targetRevision": "1.0.0", "helm": map[string]any{"releaseName": "r"}}},
		{"oci", Source{RepoURL: "oci://h.example/p/web", Version: "1.0.0"},
			map[string]any{"repoURL": "oci://h.example/p/web", "path": ".", "targetRevision": "1.0.0", "helm": map[string]any{"releaseName": "r"}}},
		{"git at HEAD", Source{RepoURL: "https://g.example/c.git", Path: "web"},
			map[string]any{"repoURL": "https://g.example/c.git", "path": "web", "targetRevision": "HEAD", "helm": map[string]any{"releaseName": "r"}}},
		{"parameters sorted, strings forced", Source{RepoURL: "https://c.example", Chart: "web", Version: "1", Set: map[string]string{"b": "1", "a": "2"}, SetString: map[string]string{"c": "3"}},
			map[string]any{"repoURL": "https://c.example", "chart": "web", "targetRevision": "1", "helm": map[string]any{"releaseName": "r", "parameters": []any{
				map[string]any{"name": "a", "value": "2"}, map[string]any{"name": "b", "value": "1"}, map[string]any{"name": "c", "value": "3", "forceString": true},
			}}}},
	} {
		if diff := cmp.Diff(tc.want, app(tc.src)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  Source
		path string
		msg  string
	}{
		{"helm without chart", Source{RepoURL: "https://c.example", Version: "1"}, "chart", "needs its name"},
		{"helm without version", Source{RepoURL: "https://c.example", Chart: "web"}, "version", "needs the version"},
		{"oci with chart", Source{RepoURL: "oci://h.example/p/web", Chart: "web", Version: "1"}, "chart", "must be empty"},
		{"oci without version", Source{RepoURL: "oci://h.example/p/web"}, "version", "needs the version"},
		{"git with chart", Source{RepoURL: "https://g.example/c.git", Path: "web", Chart: "web"}, "chart", "must be empty"},
		{"git path escapes", Source{RepoURL: "https://g.example/c.git", Path: "../web"}, "path", "clean relative path"},
		{"credentials in URL", Source{RepoURL: "https://u:secret@c.example", Chart: "web", Version: "1"}, "repo_url", "has credentials"},
		{"ssh URL", Source{RepoURL: "git@g.example:c.git", Path: "web"}, "repo_url", "not an http(s) or oci URL"},
		{"values not a mapping", Source{RepoURL: "https://c.example", Chart: "web", Version: "1", Values: "- a"}, "values", "not a YAML mapping"},
		{"parameter in both", Source{RepoURL: "https://c.example", Chart: "web", Version: "1", Set: map[string]string{"a": "1"}, SetString: map[string]string{"a": "1"}}, "set_string", "both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := engine.NewValidation(nil)
			Validate(v, tc.src, "")
			errs := engine.InvalidInputs(v.Err())
			for _, e := range errs {
				if e.Path == tc.path && strings.Contains(e.Message, tc.msg) {
					if strings.Contains(e.Error(), "secret") {
						t.Errorf("the error shows the password: %v", e)
					}
					return
				}
			}
			t.Errorf("Validate(%+v) = %v, want an error on %s with %q", tc.src, v.Err(), tc.path, tc.msg)
		})
	}
	v := engine.NewValidation(nil)
	Validate(v, Source{RepoURL: "https://c.example", Chart: "web", Version: "1.0.0", Values: "a: 1"}, "")
	if err := v.Err(); err != nil {
		t.Errorf("a valid source is refused: %v", err)
	}
}
