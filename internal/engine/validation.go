package engine

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
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
type URLRules struct {
	// Schemes are the schemes the URL may have; default http and https.
	Schemes []string
	// Example is a valid URL of the kind, shown in errors.
	Example string
	// WebUI are path segments of the vendor's web pages (such as "src" of
	// a Bitbucket page, or "harbor" of Harbor's portal): a URL with one of
	// them was copied from a browser, where an API base or a clone URL is
	// meant.
	WebUI []string
	// Last are last path segments that show the URL names a file the
	// client itself adds, such as index.yaml of a Helm repository.
	Last []string
	// NoQuery refuses a query and a fragment, which an API base or a
	// clone URL never has.
	NoQuery bool
}

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

// CheckURL checks a URL argument before any backend sees it: no white space
// or control characters anywhere (a stray blank copied along), a scheme r
// allows, a host and a port in 1-65535, no credentials (user information
// or credential query parameters, which would be stored in the Terraform
// state and shown in plans: they belong in the write-only arguments), and
// no path of the vendor's web pages. The error quotes the URL redacted.
func CheckURL(raw string, r URLRules) error {
	shown := redact.URL(raw)
	if i := strings.IndexFunc(raw, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }); i >= 0 {
		return fmt.Errorf("%q has white space or a control character at byte %d: remove it", shown, i)
	}
	u, err := url.Parse(raw)
	schemes := r.Schemes
	if len(schemes) == 0 {
		schemes = []string{"http", "https"}
	}
	if err != nil || u.Opaque != "" || !slices.Contains(schemes, u.Scheme) || u.Host == "" {
		words := slices.DeleteFunc(slices.Clone(schemes), func(s string) bool { return s == "http" || s == "https" })
		if slices.Contains(schemes, "https") {
			words = append([]string{"http(s)"}, words...)
		}
		return fmt.Errorf("%q is not an %s URL such as %s", shown, strings.Join(words, " or "), r.Example)
	}
	if u.User != nil {
		return fmt.Errorf("%q has credentials in it, which would be stored in the state and shown in plans: give them in the write-only arguments instead", shown)
	}
	for k := range u.Query() {
		if redact.SensitiveKey(k) {
			return fmt.Errorf("%q has a credential in its query (%s), which would be stored in the state and shown in plans: give it in the write-only arguments instead", shown, k)
		}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q has port %s, not in 1-65535", shown, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("%q has an empty port", shown)
	}
	if r.NoQuery && (u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#")) {
		return fmt.Errorf("%q has a query or a fragment: give the URL alone, such as %s", shown, r.Example)
	}
	segments := strings.Split(strings.Trim(u.Path, "/"), "/")
	for _, s := range segments {
		if slices.Contains(r.WebUI, s) {
			return fmt.Errorf("%q is the address of a web page (its path has %q), not the URL the client needs, such as %s", shown, "/"+s, r.Example)
		}
	}
	if last := segments[len(segments)-1]; slices.Contains(r.Last, last) {
		return fmt.Errorf("%q names the file %s, which the client reads itself: give the URL of its directory", shown, last)
	}
	return nil
}

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
