// Package chart renders the Argo CD Applications that install Helm charts:
// the manifests that mc_helm_release and a site's cluster add-ons commit
// into the site's GitOps repository, and their reading back from git. A
// chart comes from a Helm repository, an OCI registry (Argo CD's native
// OCI source, such as a chart pushed to a site's Harbor) or a path in a git
// repository.
package chart

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Labels every rendered Application carries (the GitOps kinds' contract).
const (
	// LabelKind names the kind that rendered the Application.
	LabelKind = "mc.mcplatform.dev/kind"
	// LabelManagedBy is always ManagedBy.
	LabelManagedBy = "mc.mcplatform.dev/managed-by"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "terraform-provider-mc"
)

// SourceType is where a chart comes from.
type SourceType string

// The chart sources.
const (
	// HelmRepository is a chart in a Helm repository (an index.yaml at
	// RepoURL), by Chart and Version.
	HelmRepository SourceType = "helm"
	// OCI is a chart pushed to an OCI registry: RepoURL is
	// oci://<registry>/<repository>, Version its tag.
	OCI SourceType = "oci"
	// Git is a chart at Path in a git repository, at revision Version
	// (a branch, tag or commit; default HEAD).
	Git SourceType = "git"
)

// Source is a chart and the values it is rendered with.
type Source struct {
	// RepoURL is the Helm repository's URL, oci://<registry>/<repository>
	// for an OCI chart, or the git repository's URL.
	RepoURL string
	// Chart is the chart's name in a Helm repository; empty otherwise.
	Chart string
	// Version is the chart version (Helm repository, OCI tag) or the git
	// revision.
	Version string
	// Path is the chart's directory in a git repository; empty otherwise.
	Path string
	// Values is a YAML mapping of values, in canonical form (see
	// CanonicalValues); empty for none.
	Values string
	// Set and SetString are Helm parameters (--set, --set-string), by
	// dotted name.
	Set, SetString map[string]string
	// ValueFiles are values files of the chart (relative to it) or URLs.
	ValueFiles []string
}

// Type tells where the chart comes from: a git repository when Path is set,
// an OCI registry for an oci:// URL, a Helm repository otherwise.
func (s Source) Type() SourceType {
	switch {
	case s.Path != "":
		return Git
	case strings.HasPrefix(s.RepoURL, "oci://"):
		return OCI
	}
	return HelmRepository
}

// CanonicalValues returns values in one canonical form: a YAML mapping
// with sorted keys and uniform style, so that values written in another
// key order or style compare equal. Empty input (or an empty mapping) is
// "". Anything but a mapping is an error.
func CanonicalValues(values string) (string, error) {
	if strings.TrimSpace(values) == "" {
		return "", nil
	}
	j, err := yaml.YAMLToJSON([]byte(values))
	if err != nil {
		return "", fmt.Errorf("not valid YAML: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(j, &m); err != nil {
		return "", fmt.Errorf("not a YAML mapping of values: %w", err)
	}
	if len(m) == 0 {
		return "", nil
	}
	out, err := yaml.JSONToYAML(j)
	if err != nil {
		return "", fmt.Errorf("cannot write the values: %w", err)
	}
	return string(out), nil
}

// Validate adds the errors of s to v, at paths under prefix ("" or
// "cluster_addons[0]."); arguments v reports unknown are skipped.
func Validate(v *engine.Validation, s Source, prefix string) {
	p := func(name string) string { return prefix + name }
	if v.Known(p("repo_url")) {
		if err := validateRepoURL(s.RepoURL); err != nil {
			v.Add(p("repo_url"), "%v", err)
		}
	}
	if v.Known(p("repo_url"), p("chart"), p("path"), p("version")) {
		validateChart(v, s, p)
	}
	if v.Known(p("values")) {
		if _, err := CanonicalValues(s.Values); err != nil {
			v.Add(p("values"), "%v", err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Set)) {
		if k == "" || strings.ContainsAny(k, " \t\n") {
			v.Add(p("set"), "%q is not a Helm parameter name", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.SetString)) {
		if k == "" || strings.ContainsAny(k, " \t\n") {
			v.Add(p("set_string"), "%q is not a Helm parameter name", k)
		}
		if _, both := s.Set[k]; both {
			v.Add(p("set_string"), "parameter %q is in both set and set_string", k)
		}
	}
	for i, f := range s.ValueFiles {
		at := fmt.Sprintf("%s[%d]", p("value_files"), i)
		switch {
		case strings.TrimSpace(f) == "":
			v.Add(at, "a values file name is empty")
		case strings.Contains(f, "://"):
			if err := engine.CheckURL(f, valueFileURL); err != nil {
				v.Add(at, "%v", err)
			}
		case strings.TrimSpace(f) != f:
			v.Add(at, "%q has white space around it", f)
		}
	}
}

// validateChart checks that s names a chart the way its source needs.
func validateChart(v *engine.Validation, s Source, p func(string) string) {
	switch s.Type() {
	case Git:
		if strings.HasPrefix(s.RepoURL, "oci://") {
			v.Add(p("path"), "an OCI chart is named by repo_url alone; path must be empty")
		}
		if s.Chart != "" {
			v.Add(p("chart"), "a chart from a git repository is found by path; chart must be empty")
		}
		if clean := path.Clean(s.Path); path.IsAbs(s.Path) || clean != s.Path || clean == ".." || strings.HasPrefix(clean, "../") {
			v.Add(p("path"), "%q is not a clean relative path in the repository", s.Path)
		}
		if s.Version != "" && s.Version != "HEAD" {
			if err := engine.CheckBranchName(s.Version); err != nil {
				v.Add(p("version"), "not a git revision (branch, tag or commit): %v", err)
			}
		}
	case OCI:
		if s.Chart != "" {
			v.Add(p("chart"), "an OCI chart is named by repo_url (oci://<registry>/<repository>/<chart>); chart must be empty")
		}
		if s.Version == "" {
			v.Add(p("version"), "an OCI chart needs the version (tag) to install")
		}
	default:
		if s.Chart == "" {
			v.Add(p("chart"), "a chart from a Helm repository needs its name (or set path for a chart in git, or an oci:// repo_url)")
		}
		if s.Version == "" {
			v.Add(p("version"), "a chart from a Helm repository needs the version to install")
		}
	}
}

func validateRepoURL(raw string) error { return engine.CheckURL(raw, engine.ChartRepositoryURL) }

// valueFileURL is a values file given by URL.
var valueFileURL = engine.URLRules{Example: "https://charts.example/values/prod.yaml"}

// Application is an Argo CD Application that installs a chart.
type Application struct {
	// Name and Namespace locate the Application (the site's Argo CD
	// namespace).
	Name, Namespace string
	// Labels are the Application's labels, beside LabelManagedBy.
	Labels map[string]string
	// ReleaseName is the Helm release name.
	ReleaseName string
	// Source is the chart and its values.
	Source Source
	// Cluster is the destination cluster's Argo CD name; Target its
	// namespace.
	Cluster, TargetNamespace string
}

// SourceObject is the Application's spec.source.
func (a Application) SourceObject() map[string]any {
	s := a.Source
	src := map[string]any{"repoURL": s.RepoURL}
	switch s.Type() {
	case Git:
		src["path"] = s.Path
		rev := s.Version
		if rev == "" {
			rev = "HEAD"
		}
		src["targetRevision"] = rev
	case OCI:
		src["path"] = "."
		src["targetRevision"] = s.Version
	default:
		src["chart"] = s.Chart
		src["targetRevision"] = s.Version
	}
	helm := map[string]any{"releaseName": a.ReleaseName}
	if s.Values != "" {
		helm["values"] = s.Values
	}
	if len(s.ValueFiles) > 0 {
		files := make([]any, len(s.ValueFiles))
		for i, f := range s.ValueFiles {
			files[i] = f
		}
		helm["valueFiles"] = files
	}
	var params []any
	for _, k := range slices.Sorted(maps.Keys(s.Set)) {
		params = append(params, map[string]any{"name": k, "value": s.Set[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(s.SetString)) {
		params = append(params, map[string]any{"name": k, "value": s.SetString[k], "forceString": true})
	}
	if len(params) > 0 {
		helm["parameters"] = params
	}
	src["helm"] = helm
	return src
}

// Object is the Application as Argo CD reads it: automated sync with
// prune and self-heal, the target namespace created, a few quick retries
// (so that a chart that cannot be applied fails fast), and the resources
// finalizer, so that removing the Application removes what it installed.
func (a Application) Object() map[string]any {
	labels := map[string]any{LabelManagedBy: ManagedBy}
	for k, v := range a.Labels {
		labels[k] = v
	}
	return map[string]any{
		"apiVersion": kube.ApplicationGVR.GroupVersion().String(),
		"kind":       "Application",
		"metadata": map[string]any{
			"name":       a.Name,
			"namespace":  a.Namespace,
			"labels":     labels,
			"finalizers": []any{kube.ArgoCDResourcesFinalizer},
		},
		"spec": map[string]any{
			"project":     "default",
			"source":      a.SourceObject(),
			"destination": map[string]any{"name": a.Cluster, "namespace": a.TargetNamespace},
			"syncPolicy": map[string]any{
				"automated":   map[string]any{"prune": true, "selfHeal": true},
				"syncOptions": []any{"CreateNamespace=true"},
				"retry": map[string]any{"limit": int64(2), "backoff": map[string]any{
					"duration": "2s", "factor": int64(2), "maxDuration": "10s",
				}},
			},
		},
	}
}

// Render returns the Application's manifest, as committed to git.
func Render(a Application) (string, error) {
	out, err := yaml.Marshal(a.Object())
	if err != nil {
		return "", fmt.Errorf("cannot render application %q: %w", a.Name, err)
	}
	return string(out), nil
}

// manifest is the part of a rendered Application that Parse reads back.
type manifest struct {
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Source struct {
			RepoURL        string `json:"repoURL"`
			Chart          string `json:"chart"`
			Path           string `json:"path"`
			TargetRevision string `json:"targetRevision"`
			Helm           struct {
				ReleaseName string   `json:"releaseName"`
				Values      string   `json:"values"`
				ValueFiles  []string `json:"valueFiles"`
				Parameters  []struct {
					Name        string `json:"name"`
					Value       string `json:"value"`
					ForceString bool   `json:"forceString"`
				} `json:"parameters"`
			} `json:"helm"`
		} `json:"source"`
		Destination struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"destination"`
	} `json:"spec"`
}

// Parse reads an Application manifest back, as it is in git (also after
// someone edited it there); Render(Parse(m)) equals m for what Render made.
func Parse(content string) (Application, error) {
	var m manifest
	if err := yaml.Unmarshal([]byte(content), &m); err != nil {
		return Application{}, fmt.Errorf("cannot read the application manifest: %w", err)
	}
	src := m.Spec.Source
	s := Source{RepoURL: src.RepoURL, Chart: src.Chart, Version: src.TargetRevision, ValueFiles: src.Helm.ValueFiles}
	if !strings.HasPrefix(src.RepoURL, "oci://") {
		s.Path = src.Path
	}
	if s.Path != "" && s.Version == "HEAD" {
		s.Version = ""
	}
	values, err := CanonicalValues(src.Helm.Values)
	if err != nil {
		return Application{}, fmt.Errorf("cannot read the values of application %q: %w", m.Metadata.Name, err)
	}
	s.Values = values
	for _, p := range src.Helm.Parameters {
		if p.ForceString {
			if s.SetString == nil {
				s.SetString = map[string]string{}
			}
			s.SetString[p.Name] = p.Value
		} else {
			if s.Set == nil {
				s.Set = map[string]string{}
			}
			s.Set[p.Name] = p.Value
		}
	}
	labels := maps.Clone(m.Metadata.Labels)
	delete(labels, LabelManagedBy)
	return Application{
		Name: m.Metadata.Name, Namespace: m.Metadata.Namespace, Labels: labels, ReleaseName: src.Helm.ReleaseName,
		Source: s, Cluster: m.Spec.Destination.Name, TargetNamespace: m.Spec.Destination.Namespace,
	}, nil
}

// Equal reports whether a and b install the same chart the same way.
func Equal(a, b Source) bool {
	return a.RepoURL == b.RepoURL && a.Chart == b.Chart && a.Version == b.Version && a.Path == b.Path &&
		a.Values == b.Values && mapsEqual(a.Set, b.Set) && mapsEqual(a.SetString, b.SetString) &&
		slices.Equal(a.ValueFiles, b.ValueFiles)
}

func mapsEqual(a, b map[string]string) bool {
	return len(a) == len(b) && (len(a) == 0 || maps.Equal(a, b))
}
