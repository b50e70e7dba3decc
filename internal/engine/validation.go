package engine

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/mcplatform/terraform-provider-mc/internal/urlcheck"
)

// Unknown reports whether the value of an argument, named by its dotted
// path (such as "control_plane.endpoint_host" or "worker_pools[1].name"), is
// not known yet: at plan time a value may depend on a resource not created
// yet. A nil Unknown knows every value.
type Unknown func(path string) bool

// Validation collects every piece of invalid input of a spec, each an
// *InvalidInputError naming its argument, and skips arguments whose values
// are unknown, so that a plan is checked as far as it is known without
// inventing placeholder values.
type Validation struct {
	unknown Unknown
	errs    []error
}

// NewValidation returns a Validation that skips what unknown reports.
func NewValidation(unknown Unknown) *Validation {
	return &Validation{unknown: unknown}
}

// Known reports whether the values of all paths are known.
func (v *Validation) Known(paths ...string) bool {
	if v.unknown == nil {
		return true
	}
	for _, p := range paths {
		if v.unknown(p) {
			return false
		}
	}
	return true
}

// Add records invalid input at path, unless path's value is unknown.
func (v *Validation) Add(path, format string, args ...any) {
	if !v.Known(path) {
		return
	}
	v.errs = append(v.errs, &InvalidInputError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// AddError records err, an *InvalidInputError, unless its path's value is
// unknown. Other errors are recorded as they are.
func (v *Validation) AddError(err error) {
	if err == nil {
		return
	}
	if in, ok := AsInvalidInput(err); ok && !v.Known(in.Path) {
		return
	}
	v.errs = append(v.errs, err)
}

// Err returns every recorded error joined (errors.As finds the first), or
// nil.
func (v *Validation) Err() error { return errors.Join(v.errs...) }

// InvalidInputs returns every *InvalidInputError in err, which may be a
// joined error of Validation.Err.
func InvalidInputs(err error) []*InvalidInputError {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*InvalidInputError
		for _, e := range joined.Unwrap() {
			out = append(out, InvalidInputs(e)...)
		}
		return out
	}
	if in, ok := AsInvalidInput(err); ok {
		return []*InvalidInputError{in}
	}
	return nil
}

// URLRules says what a URL argument may hold, for CheckURL.
type URLRules = urlcheck.Rules

// Rules for the URLs the kinds take.
var (
	// GitCloneURL is the http(s) URL git clones a repository from.
	GitCloneURL = URLRules{
		Example: "https://bitbucket.org/acme/shop.git",
		WebUI:   []string{"src", "browse", "tree", "blob", "-", "pull-requests", "commits", "branches"},
		NoQuery: true,
	}
	// KubernetesAPI is a Kubernetes API server URL.
	KubernetesAPI = URLRules{Example: "https://10.0.0.1:6443", WebUI: []string{"dashboard", "console"}, NoQuery: true}
	// HarborURL is a Harbor's base URL, to which the client adds its API
	// prefix /api/v2.0 itself.
	HarborURL = URLRules{Example: "https://harbor.site-b.example", WebUI: []string{"harbor", "api", "account"}, NoQuery: true}
	// ChartRepositoryURL is a Helm repository, an OCI repository or a git
	// repository holding a chart.
	ChartRepositoryURL = URLRules{
		Schemes: []string{"http", "https", "oci"},
		Example: "https://charts.example/stable or oci://harbor.example/charts",
		WebUI:   []string{"src", "browse", "tree", "blob", "-", "packages"},
		Last:    []string{"index.yaml"},
		NoQuery: true,
	}
)

// CheckURL checks a URL argument before any backend sees it, by r (see
// urlcheck.Check). The error quotes the URL redacted.
func CheckURL(raw string, r URLRules) error { return urlcheck.Check(raw, r) }

// CheckBranchName checks a branch name as git does (git check-ref-format
// --branch): no component starting with '.' or ending with ".lock", no
// "..", "@{", "//", control characters, space, '~', '^', ':', '?', '*',
// '[' or '\', not starting with '-' or '/', not ending with '/' or '.',
// and not "@" or "HEAD".
func CheckBranchName(name string) error {
	switch {
	case name == "":
		return errors.New("the branch name is empty")
	case name == "@" || name == "HEAD":
		return fmt.Errorf("%q is not a branch name git allows", name)
	case strings.HasPrefix(name, "-"):
		return fmt.Errorf("%q starts with '-', which git refuses in a branch name", name)
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return fmt.Errorf("%q has an empty component (a leading, trailing or doubled '/'), which git refuses", name)
	case strings.HasSuffix(name, "."):
		return fmt.Errorf("%q ends with '.', which git refuses in a ref name", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%q has \"..\", which git refuses in a ref name", name)
	case strings.Contains(name, "@{"):
		return fmt.Errorf("%q has \"@{\", which git refuses in a ref name", name)
	}
	if i := strings.IndexFunc(name, func(c rune) bool {
		return c < 0x20 || c == 0x7f || unicode.IsSpace(c) || strings.ContainsRune("~^:?*[\\", c)
	}); i >= 0 {
		return fmt.Errorf("%q has %q, which git refuses in a ref name (no white space, control characters or any of ~^:?*[\\)", name, []rune(name[i:])[0])
	}
	for _, c := range strings.Split(name, "/") {
		if strings.HasPrefix(c, ".") || strings.HasSuffix(c, ".lock") {
			return fmt.Errorf("%q has the component %q, which git refuses (no component starts with '.' or ends with \".lock\")", name, c)
		}
	}
	return nil
}
