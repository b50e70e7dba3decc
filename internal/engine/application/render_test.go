package application

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func TestRender(t *testing.T) {
	s := Spec{Project: "WEB", Name: "shop", InitialValues: map[string]string{"port": "8080"}}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    map[string]string
		wantErr bool
	}{
		{name: "templates filled, others copied",
			files: map[string]string{"README.md.tmpl": "# {{ .name }} of {{ .project }} on {{ .port }}", "chart/values.yaml": "x: {{ .Values.x }}"},
			want:  map[string]string{"README.md": "# shop of WEB on 8080", "chart/values.yaml": "x: {{ .Values.x }}"}},
		{name: "a missing value is an error", files: map[string]string{"a.tmpl": "{{ .replicas }}"}, wantErr: true},
		{name: "a file and its template clash", files: map[string]string{"a.tmpl": "x", "a": "y"}, wantErr: true},
		{name: "bad template syntax", files: map[string]string{"a.tmpl": "{{ .port"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(s, tc.files)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Render() error = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
				t.Errorf("Render() (-want +got):\n%s", diff)
			}
		})
	}
	// Initial values override the built-in name.
	got, err := Render(Spec{Project: "WEB", Name: "shop", InitialValues: map[string]string{"name": "Shop"}}, map[string]string{"n.tmpl": "{{ .name }}"})
	if err != nil || got["n"] != "Shop" {
		t.Errorf("Render() = %v, %v; want n = Shop", got, err)
	}
}

func TestValidate(t *testing.T) {
	good := Spec{Project: "WEB", Name: "shop", Template: Template{SourceRepo: "https://bitbucket.org/t/go.git", YAMLRepo: "http://127.0.0.1:1/t/go-yaml.git"}}
	for _, tc := range []struct {
		name     string
		edit     func(*Spec)
		wantPath string
	}{
		{"good", func(*Spec) {}, ""},
		{"upper-case name", func(s *Spec) { s.Name = "Shop" }, "name"},
		{"name with a slash", func(s *Spec) { s.Name = "a/b" }, "name"},
		{"name starting with a dash", func(s *Spec) { s.Name = "-a" }, "name"},
		{"name too long for the yaml repository", func(s *Spec) { s.Name = "a23456789012345678901234567890123456789012345678901234567x" }, "name"},
		{"bad project key", func(s *Spec) { s.Project = "web" }, "project"},
		{"template not a URL", func(s *Spec) { s.Template.SourceRepo = "git@bitbucket.org:t/go.git" }, "template.source_repo"},
		{"bad ref", func(s *Spec) { s.Template.Ref = "a b" }, "template.ref"},
		{"bad value key", func(s *Spec) { s.InitialValues = map[string]string{"my-port": "1"} }, "initial_values"},
		{"bad on_destroy", func(s *Spec) { s.OnDestroy = "keep" }, "on_destroy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.edit(&s)
			err := Validate(s)
			if tc.wantPath == "" {
				if err != nil {
					t.Fatalf("Validate() error = %v", err)
				}
				return
			}
			in, ok := engine.AsInvalidInput(err)
			if !ok || in.Path != tc.wantPath {
				t.Fatalf("Validate() error = %v, want invalid input at %s", err, tc.wantPath)
			}
		})
	}
}

func TestParseID(t *testing.T) {
	if p, n, err := ParseID("WEB/shop"); err != nil || p != "WEB" || n != "shop" {
		t.Errorf("ParseID(WEB/shop) = %q, %q, %v", p, n, err)
	}
	for _, bad := range []string{"WEB", "/shop", "WEB/", "WEB/a/b"} {
		if _, _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
	}
}
