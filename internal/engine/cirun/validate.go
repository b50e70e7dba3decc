package cirun

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// maxRepositoryPart bounds the image repository's share of a run's name.
const maxRepositoryPart = 40

var (
	// harborName is a Harbor project or repository path component: lower
	// case, digits and separators, as Harbor's distribution accepts them.
	harborName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	// tagPattern is a Docker tag.
	tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// envName is a POSIX environment variable name.
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// nonName are the characters a Kubernetes name cannot hold.
	nonName = regexp.MustCompile(`[^a-z0-9-]+`)
)

// Validate checks a spec without talking to any backend; every error names
// the argument at fault, and all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time).
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if err := registry.ValidateName(s.Site); err != nil {
		v.Add("site", "%v", err)
	}
	src := s.Source
	if v.Known("source.repository", "source.application") {
		switch {
		case src.Repository == "" && src.Application == "":
			v.Add("source", "name the source: repository (a clone URL) or application (an mc_application id)")
		case src.Repository != "" && src.Application != "":
			v.Add("source", "name either repository or application, not both")
		}
	}
	if src.Repository != "" {
		if err := engine.CheckURL(src.Repository, engine.GitCloneURL); err != nil {
			v.Add("source.repository", "not a clone URL (the platform's Bitbucket credentials are used for it): %v", err)
		}
	}
	if src.Application != "" {
		if _, _, err := application.ParseID(src.Application); err != nil {
			v.Add("source.application", "%v", err)
		}
	}
	if strings.TrimSpace(src.Revision) == "" {
		v.Add("source.revision", "name a branch, tag or commit")
	} else if err := engine.CheckBranchName(src.Revision); err != nil && src.Revision != "HEAD" {
		v.Add("source.revision", "not a branch, tag or commit: %v", err)
	}
	if !harborName.MatchString(s.Image.Project) {
		v.Add("image.project", "%q is not a Harbor project name: lower-case letters, digits, '.', '_' and '-'", s.Image.Project)
	}
	if s.Image.Repository == "" {
		v.Add("image.repository", "name the image repository")
	}
	for _, part := range strings.Split(s.Image.Repository, "/") {
		if s.Image.Repository != "" && !harborName.MatchString(part) {
			v.Add("image.repository", "%q is not a repository name: lower-case path components of letters, digits, '.', '_' and '-'", s.Image.Repository)
			break
		}
	}
	if s.Image.Tag != "" && !tagPattern.MatchString(s.Image.Tag) {
		v.Add("image.tag", "%q is not an image tag", s.Image.Tag)
	}
	switch s.Build.Executor {
	case "", tasksv1alpha1.ExecutorLocal, tasksv1alpha1.ExecutorKubernetesJob:
	default:
		v.Add("build.executor", "%q is not local or kubernetes_job", s.Build.Executor)
	}
	if d := s.Build.ContextDir; d != "" && (strings.HasPrefix(d, "/") || slices.Contains(strings.Split(d, "/"), "..")) {
		v.Add("build.context_dir", "%q must be a path inside the checkout", d)
	}
	for _, k := range sortedKeys(s.Build.Env) {
		if !envName.MatchString(k) {
			v.Add("build.env", "%q is not an environment variable name", k)
		}
	}
	switch s.Scan.FailOn {
	case "", SeverityNone, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
	default:
		v.Add("scan.fail_on", "%q is not None, Low, Medium, High or Critical", s.Scan.FailOn)
	}
	if v.Known("replicate_to") {
		seen := map[string]bool{}
		for i, site := range s.ReplicateTo {
			p := fmt.Sprintf("replicate_to[%d]", i)
			switch err := registry.ValidateName(site); {
			case err != nil:
				v.Add(p, "%v", err)
			case site == s.Site:
				v.Add(p, "the image is built at site %q already: name other sites", site)
			case seen[site]:
				v.Add(p, "site %q is named twice", site)
			}
			seen[site] = true
		}
	}
	for i, ch := range s.Notify {
		if ch == "" {
			v.Add(fmt.Sprintf("notify[%d]", i), "a channel name cannot be empty")
		}
	}
	switch s.OnDestroy {
	case "", OnDestroyForget, OnDestroyDelete:
	default:
		v.Add("on_destroy", "%q is not forget or delete", s.OnDestroy)
	}
	return v.Err()
}

// normalized fills the defaults, so that a spec with and without them
// names the same run.
func normalized(s Spec) Spec {
	if s.Build.Executor == "" {
		s.Build.Executor = tasksv1alpha1.ExecutorLocal
	}
	if s.Scan.FailOn == "" {
		s.Scan.FailOn = SeverityCritical
	}
	if s.OnDestroy == "" {
		s.OnDestroy = OnDestroyForget
	}
	if len(s.Build.Env) == 0 {
		s.Build.Env = nil
	}
	if len(s.Triggers) == 0 {
		s.Triggers = nil
	}
	if len(s.Build.Entrypoint) == 0 {
		s.Build.Entrypoint = nil
	}
	return s
}

// inputs is the canonical JSON of what makes a run: every input but notify
// and on_destroy (encoding/json sorts map keys).
func inputs(s Spec) []byte {
	raw, err := json.Marshal(normalized(s))
	if err != nil {
		panic(fmt.Sprintf("cirun: cannot encode a spec: %v", err)) // plain data: cannot happen
	}
	return raw
}

// RunName is the name of the TaskRun of s: the image repository made a
// Kubernetes name (at most 40 characters), a dash, and the first 10 hex
// digits of the SHA-256 of the run's canonical inputs. Equal inputs give
// the same name, so a create cut off by a crash adopts its run.
func RunName(s Spec) string {
	sum := sha256.Sum256(inputs(s))
	prefix := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s.Image.Repository), "-"), "-")
	if len(prefix) > maxRepositoryPart {
		prefix = strings.TrimRight(prefix[:maxRepositoryPart], "-")
	}
	if prefix == "" {
		prefix = "run"
	}
	return prefix + "-" + hex.EncodeToString(sum[:])[:10]
}

// ID is the run's id: <site>/<run name>.
func ID(s Spec) string { return s.Site + "/" + RunName(s) }

// ParseID reads an id of ID.
func ParseID(id string) (site, name string, err error) {
	site, name, ok := strings.Cut(id, "/")
	if !ok || registry.ValidateName(site) != nil || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not <site>/<run-name>", id)
	}
	return site, name, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
