package urlcheck

import (
	"strings"
	"testing"
)

// TestSecretURL checks the rules of a URL that is itself a secret: the
// credentials a webhook URL carries are allowed, and no error quotes any
// part of the URL.
func TestSecretURL(t *testing.T) {
	rules := Rules{Example: "https://hooks.example/…", Secret: true}
	for _, tc := range []struct {
		raw  string
		want string // "" means valid
	}{
		{raw: "https://hooks.slack.com/services/T000/B000/s3cr3t-path"},
		{raw: "https://user:s3cr3t-pass@receiver.example/hook"},
		{raw: "https://receiver.example/hook?token=s3cr3t-query"},
		{raw: "https://receiver.example/hook/s3cr3t-path ", want: "the URL has white space"},
		{raw: "https://receiver.example:70000/s3cr3t-path", want: "the URL has port 70000, not in 1-65535"},
		{raw: "ftp://receiver.example/s3cr3t-path", want: "the URL is not an http(s) URL"},
		{raw: "https://receiver.example:/s3cr3t-path", want: "the URL has an empty port"},
	} {
		err := Check(tc.raw, rules)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want it valid", tc.raw, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("Check(%q) = %v, want an error starting %q", tc.raw, err, tc.want)
		case err != nil && (strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "receiver.example")):
			t.Errorf("Check(%q) = %v: the error quotes the URL", tc.raw, err)
		}
	}
}

// TestCredentialsRefused checks that a URL that is not a secret may not
// carry credentials, and that the error quotes it redacted.
func TestCredentialsRefused(t *testing.T) {
	for _, raw := range []string{"https://bob:s3cr3t-pass@git.example/a.git", "https://git.example/a.git?access_token=s3cr3t-query"} {
		err := Check(raw, Rules{Example: "https://git.example/a.git"})
		if err == nil || !strings.Contains(err.Error(), "credential") {
			t.Errorf("Check(%q) = %v, want credentials refused", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Check(%q) = %v: the error carries the secret", raw, err)
		}
	}
}
