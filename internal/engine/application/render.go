package application

import (
	"bytes"
	"fmt"
	"maps"
	"sort"
	"strings"
	"text/template"
)

// Render fills the files of a template repository for application s, by
// one rule: a file whose name ends in ".tmpl" is a Go text/template; it is
// executed with the initial values as its data (`{{ .port }}`), plus
// `project` (the project key) and `name` (the application's name) unless
// the initial values set them, and written without the ".tmpl" suffix. A
// value the template names but that is not given is an error. Every other
// file is copied as it is, so that manifests holding "{{" of their own (Helm
// charts) are left alone.
func Render(s Spec, files map[string]string) (map[string]string, error) {
	data := map[string]string{"project": s.Project, "name": s.Name}
	maps.Copy(data, s.InitialValues)
	out := make(map[string]string, len(files))
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		target, isTemplate := strings.CutSuffix(p, TemplateSuffix)
		if !isTemplate {
			if _, taken := out[p]; taken {
				return nil, fmt.Errorf("both %s and %s%s are in the template", p, p, TemplateSuffix)
			}
			out[p] = files[p]
			continue
		}
		if _, clash := files[target]; clash || target == "" || strings.HasSuffix(target, "/") {
			return nil, fmt.Errorf("template file %s: %s is in the template too, or the name is empty", p, target)
		}
		t, err := template.New(p).Option("missingkey=error").Parse(files[p])
		if err != nil {
			return nil, fmt.Errorf("cannot parse template file %s: %w", p, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("cannot fill template file %s: %w", p, err)
		}
		out[target] = buf.String()
	}
	return out, nil
}

func sortedKeys(keys []string) []string {
	sort.Strings(keys)
	return keys
}
