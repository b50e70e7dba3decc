// Package urlcheck checks URL arguments before any backend sees them: the
// rules every kind's URLs share (no white space, a known scheme, a host, a
// port in range, no credentials that would reach the Terraform state, no
// path of a vendor's web pages) in one place, for the engine's kinds and
// the notification channels alike.
package urlcheck

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Rules say what a URL may hold, for Check.
type Rules struct {
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
	// Secret says the URL is itself a secret, such as a webhook URL whose
	// path or user information is the credential: credentials in it are
	// allowed, and errors never quote it.
	Secret bool
}

// Check checks a URL argument before any backend sees it: no white space
// or control characters anywhere (a stray blank copied along), a scheme r
// allows, a host and a port in 1-65535, no credentials (user information
// or credential query parameters, which would be stored in the Terraform
// state and shown in plans: they belong in the write-only arguments), and
// no path of the vendor's web pages. The error quotes the URL redacted; a
// Secret URL may hold credentials and is never quoted.
func Check(raw string, r Rules) error {
	shown := strconv.Quote(redact.URL(raw))
	if r.Secret {
		shown = "the URL"
	}
	if i := strings.IndexFunc(raw, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }); i >= 0 {
		return fmt.Errorf("%s has white space or a control character at byte %d: remove it", shown, i)
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
		return fmt.Errorf("%s is not an %s URL such as %s", shown, strings.Join(words, " or "), r.Example)
	}
	if u.User != nil && !r.Secret {
		return fmt.Errorf("%s has credentials in it, which would be stored in the state and shown in plans: give them in the write-only arguments instead", shown)
	}
	for k := range u.Query() {
		if redact.SensitiveKey(k) && !r.Secret {
			return fmt.Errorf("%s has a credential in its query (%s), which would be stored in the state and shown in plans: give it in the write-only arguments instead", shown, k)
		}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s has port %s, not in 1-65535", shown, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("%s has an empty port", shown)
	}
	if r.NoQuery && (u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#")) {
		return fmt.Errorf("%s has a query or a fragment: give the URL alone, such as %s", shown, r.Example)
	}
	segments := strings.Split(strings.Trim(u.Path, "/"), "/")
	for _, s := range segments {
		if slices.Contains(r.WebUI, s) {
			return fmt.Errorf("%s is the address of a web page (its path has %q), not the URL the client needs, such as %s", shown, "/"+s, r.Example)
		}
	}
	if last := segments[len(segments)-1]; slices.Contains(r.Last, last) {
		return fmt.Errorf("%s names the file %s, which the client reads itself: give the URL of its directory", shown, last)
	}
	return nil
}
