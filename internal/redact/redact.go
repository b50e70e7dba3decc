// Package redact removes credentials from text before it reaches an error,
// a condition, an event or a log: the user information and credential-bearing
// query parameters of URLs, bearer tokens, and secret values the caller knows.
//
// It is neutral: the backends, the engine and both front-ends use it.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mask replaces every credential this package removes.
const Mask = "REDACTED"

// URL returns raw without credentials: the password of its user information
// (the whole user information when it has no password, since a token passed
// as the user name is common for git servers), and the values of query and
// fragment parameters that carry credentials (see SensitiveKey). Everything
// else is kept, so the URL still tells the user which server and path was
// meant. A URL that does not parse is redacted by pattern.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return redactUnparsedURL(raw)
	}
	changed := false
	if u.User != nil {
		changed = true
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(u.User.Username(), Mask)
		} else if u.User.Username() != "" {
			u.User = url.User(Mask)
		}
	}
	if q := redactParams(u.RawQuery); q != u.RawQuery {
		u.RawQuery, changed = q, true
	}
	// OAuth's implicit flow puts access_token into the fragment.
	if f := u.EscapedFragment(); strings.Contains(f, "=") {
		if rf := redactParams(f); rf != f {
			u.RawFragment, changed = rf, true
			u.Fragment, _ = url.PathUnescape(rf)
		}
	}
	if !changed {
		return raw // as written: String would re-encode it
	}
	return u.String()
}

// Text returns s with every URL in it passed through URL, bearer and basic
// credentials ("Bearer <token>") masked, and every non-empty value of
// secrets (as is and URL-escaped) replaced by Mask. Code that redacts many
// texts with the same secrets makes a Redactor once instead.
func Text(s string, secrets ...string) string {
	return New(secrets...).Text(s)
}

// Redactor redacts texts with a fixed set of known secrets.
type Redactor struct {
	secrets *strings.Replacer // nil without secrets
}

// New returns a Redactor that masks secrets (empty ones are ignored).
func New(secrets ...string) *Redactor {
	return &Redactor{secrets: secretReplacer(secrets)}
}

// Text is the package's Text with r's secrets.
func (r *Redactor) Text(s string) string {
	if r.secrets != nil {
		s = r.secrets.Replace(s)
	}
	if strings.Contains(s, "://") {
		s = urlInText.ReplaceAllStringFunc(s, URL)
	}
	if !containsAuthScheme(s) {
		return s
	}
	return authScheme.ReplaceAllStringFunc(s, func(m string) string {
		sub := authScheme.FindStringSubmatch(m)
		if credential := sub[2]; len(credential) < 16 || !strings.ContainsAny(credential, "0123456789._~+/=") {
			return m // a word, as in "Basic authentication is required"
		}
		return sub[1] + " " + Mask
	})
}

// containsAuthScheme reports whether s may hold "bearer" or "basic" in any
// case, cheaply, so that most texts skip the regular expression.
func containsAuthScheme(s string) bool {
	for i := 0; i+5 <= len(s); i++ {
		switch s[i] | 0x20 { // ASCII lower case
		case 'b':
			w := s[i+1:]
			if len(w) >= 4 && strings.EqualFold(w[:4], "asic") || len(w) >= 5 && strings.EqualFold(w[:5], "earer") {
				return true
			}
		}
	}
	return false
}

// Error returns err with its message passed through Text. errors.Is and
// errors.As still see err (the result unwraps to it), so only callers that
// print an unwrapped cause themselves bypass the redaction. It returns err
// itself when there is nothing to redact, and nil for nil.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	redacted := Text(msg, secrets...)
	if redacted == msg {
		return err
	}
	return &redactedError{msg: redacted, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// SensitiveKey reports whether a query parameter, header or log field named
// key usually carries a credential: token, access_token, password, secret,
// X-Amz-Signature, X-Amz-Credential, sig, key, api_key, authorization, ...
func SensitiveKey(key string) bool {
	k := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(key))
	if slices.Contains(sensitiveKeys, k) {
		return true
	}
	for _, part := range sensitiveKeyParts {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

var (
	// sensitiveKeys are keys (lower case, without - _ .) that carry a
	// credential but are too short to look for inside longer names.
	sensitiveKeys = []string{"key", "sig", "code", "pass", "pwd", "auth", "session", "jwt"}
	// sensitiveKeyParts carry a credential wherever they appear in a key:
	// private_token, x-amz-security-token, client_secret, x-goog-signature,
	// x-amz-credential, api_key, authorization, kubeconfig.
	sensitiveKeyParts = []string{"token", "secret", "password", "passwd", "signature", "credential", "apikey", "accesskey", "privatekey", "authorization", "kubeconfig"}
)

// redactParams masks the values of sensitive parameters in an encoded
// query (a=1&b=2), keeping the order and encoding of the others.
func redactParams(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		k, _, hasValue := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && SensitiveKey(name) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

var (
	// userinfoPattern is the user information of a URL that does not parse.
	userinfoPattern = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@`)
	// paramPattern is one query or fragment parameter with its value.
	paramPattern = regexp.MustCompile(`([?&#;])([^=&#?;]+)=([^&#;]*)`)
	// urlInText finds URLs in free text; quotes, spaces and angle brackets end them.
	urlInText = regexp.MustCompile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'<>`]+")
	// authScheme finds what may be HTTP authorization credentials in free
	// text; Text checks that the credential does not look like a word.
	authScheme = regexp.MustCompile(`(?i)\b(bearer|basic)\s+([A-Za-z0-9._~+/=-]+)`)
)

// redactUnparsedURL masks by pattern what URL masks by parsing.
func redactUnparsedURL(raw string) string {
	s := userinfoPattern.ReplaceAllString(raw, "${1}"+Mask+"@")
	return paramPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := paramPattern.FindStringSubmatch(m)
		if SensitiveKey(sub[2]) {
			return sub[1] + sub[2] + "=" + Mask
		}
		return m
	})
}

// secretReplacer returns a replacer of each secret, as is and URL-escaped,
// longest first so that a secret containing another is masked whole; nil
// when there is none.
func secretReplacer(secrets []string) *strings.Replacer {
	var forms []string
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		forms = append(forms, secret)
		if q := url.QueryEscape(secret); q != secret {
			forms = append(forms, q)
		}
		if p := url.PathEscape(secret); p != secret {
			forms = append(forms, p)
		}
	}
	if len(forms) == 0 {
		return nil
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Mask)
	}
	return strings.NewReplacer(pairs...)
}
