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
// secrets (as is and URL-escaped) replaced by Mask.
func Text(s string, secrets ...string) string {
	s = maskSecrets(s, secrets)
	s = urlInText.ReplaceAllStringFunc(s, URL)
	return authScheme.ReplaceAllString(s, "${1} "+Mask)
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
	// authScheme finds HTTP authorization credentials in free text.
	authScheme = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`)
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

// maskSecrets replaces each secret, longest first so that a secret
// containing another is masked whole, with Mask.
func maskSecrets(s string, secrets []string) string {
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
		return s
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Mask)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
