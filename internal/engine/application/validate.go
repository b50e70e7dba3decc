package application

import (
	"regexp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

var (
	// keyPattern is the project key rule (Jira's): an upper-case letter,
	// then upper-case letters or digits, 2 to 10 characters in all.
	keyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
	// namePattern is Bitbucket Cloud's repository slug rule (lower-case
	// letters, digits, '_', '.', '-', not starting with '.' or '-', at most
	// 62 characters), less the 5 characters of YAMLSuffix so that the yaml
	// repository's slug keeps to it too.
	namePattern = regexp.MustCompile(`^[a-z0-9_][a-z0-9_.-]{0,56}$`)
	// valueKeyPattern is what a template can name as {{ .key }}.
	valueKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate checks a spec without talking to any backend; every error names
// the argument at fault, and all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks that need an unknown argument are
// skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if !keyPattern.MatchString(s.Project) {
		v.Add("project", "%q is not a project key: an upper-case letter, then upper-case letters or digits, 2 to 10 characters in all", s.Project)
	}
	if !namePattern.MatchString(s.Name) {
		v.Add("name", "%q is not a valid application name: use lower-case letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 57 characters (Bitbucket's repository slug rule, leaving room for %q)", s.Name, YAMLSuffix)
	}
	for _, f := range []struct{ path, url string }{{"template.source_repo", s.Template.SourceRepo}, {"template.yaml_repo", s.Template.YAMLRepo}} {
		if err := engine.CheckURL(f.url, engine.GitCloneURL); err != nil {
			v.Add(f.path, "not the clone URL of a git repository: %v", err)
		}
	}
	if s.Template.Ref != "" {
		if err := engine.CheckBranchName(s.Template.Ref); err != nil {
			v.Add("template.ref", "not a branch or tag name: %v", err)
		}
	}
	if v.Known("initial_values") {
		for k := range s.InitialValues {
			if !valueKeyPattern.MatchString(k) {
				v.Add("initial_values", "%q is not a valid key: use letters, digits and '_', not starting with a digit, so that templates can name it as {{ .%s }}", k, k)
			}
		}
	}
	switch s.OnDestroy {
	case "", OnDestroyDelete, OnDestroyOrphan:
	default:
		v.Add("on_destroy", "%q is not delete or orphan", s.OnDestroy)
	}
	return v.Err()
}
