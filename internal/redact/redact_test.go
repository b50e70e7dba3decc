package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no credentials", "https://git.example/org/repo.git", "https://git.example/org/repo.git"},
		{"user and password", "https://bob:s3cret@git.example/repo.git", "https://bob:REDACTED@git.example/repo.git"},
		{"token as user name", "https://ghp_abc123@github.com/org/repo.git", "https://REDACTED@github.com/org/repo.git"},
		{"escaped password", "https://bob:p%40ss%2Fw@git.example/repo.git", "https://bob:REDACTED@git.example/repo.git"},
		{"token query", "https://harbor.example/api?token=abc&q=1", "https://harbor.example/api?token=REDACTED&q=1"},
		{"access_token query", "https://x.example/?access_token=abc", "https://x.example/?access_token=REDACTED"},
		{"private_token query", "https://gitlab.example/api?private_token=abc", "https://gitlab.example/api?private_token=REDACTED"},
		{"password query", "https://x.example/?password=abc&user=bob", "https://x.example/?password=REDACTED&user=bob"},
		{"presigned S3 URL", "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=abcdef&X-Amz-Security-Token=tok",
			"https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED"},
		{"Azure SAS", "https://a.blob.core.windows.net/c?sv=2020&sig=abc%3D", "https://a.blob.core.windows.net/c?sv=2020&sig=REDACTED"},
		{"API key", "https://maps.example/?key=AIzaXYZ", "https://maps.example/?key=REDACTED"},
		{"fragment token", "https://app.example/cb#access_token=abc&state=1", "https://app.example/cb#access_token=REDACTED&state=1"},
		{"query order and encoding kept", "https://x.example/?b=2&a=%20&token=t", "https://x.example/?b=2&a=%20&token=REDACTED"},
		{"does not parse, user and password", "https://bob:pa%zz@git.example/repo.git", "https://REDACTED@git.example/repo.git"},
		{"does not parse, token query", "https://x.example/%zz?token=abc&q=1", "https://x.example/%zz?token=REDACTED&q=1"},
		{"not a URL", "not a url", "not a url"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := URL(tc.in); got != tc.want {
				t.Fatalf("URL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"URL in an error", `Get "https://bob:s3cret@git.example/repo.git/info/refs?service=git-upload-pack": EOF`, nil,
			`Get "https://bob:REDACTED@git.example/repo.git/info/refs?service=git-upload-pack": EOF`},
		{"net/http's stripped password", `Get "https://bob:***@git.example/x?token=abc": EOF`, nil, `Get "https://bob:REDACTED@git.example/x?token=REDACTED": EOF`},
		{"two URLs", "from https://a:1@x.example to https://y.example/?sig=2", nil, "from https://a:REDACTED@x.example to https://y.example/?sig=REDACTED"},
		{"known secret", "the server said: bad password hunter2", []string{"hunter2"}, "the server said: bad password REDACTED"},
		{"URL-escaped secret", "https://x.example/?q=p%40ss+w", []string{"p@ss w"}, "https://x.example/?q=REDACTED"},
		{"longest secret first", "abcdef and abc", []string{"abc", "abcdef"}, "REDACTED and REDACTED"},
		{"empty secret ignored", "nothing here", []string{""}, "nothing here"},
		{"bearer token", "header Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", nil, "header Authorization: Bearer REDACTED"},
		{"basic credentials", "Authorization: Basic Ym9iOnMzY3JldC1wYXNzd29yZA==", nil, "Authorization: Basic REDACTED"},
		{"words after basic and bearer", "Basic authentication-required; Bearer tokens are rejected", nil, "Basic authentication-required; Bearer tokens are rejected"},
		{"plain text kept", "cannot get cluster \"a\": not found", nil, "cannot get cluster \"a\": not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in, tc.secrets...); got != tc.want {
				t.Fatalf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestErrorKeepsTheChain(t *testing.T) {
	cause := fmt.Errorf("cannot reach https://bob:s3cret@git.example/repo.git: %w", fs.ErrNotExist)
	err := Error(cause, "s3cret")
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Error() = %q, want the password removed", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("errors.Is(%v, fs.ErrNotExist) = false, want the chain kept", err)
	}
	plain := errors.New("nothing secret")
	if got := Error(plain); got != plain {
		t.Fatalf("Error(%v) = %#v, want the error itself when there is nothing to redact", plain, got)
	}
	if Error(nil) != nil {
		t.Fatal("Error(nil) != nil")
	}
}

func TestSensitiveKey(t *testing.T) {
	for key, want := range map[string]bool{
		"token": true, "access_token": true, "X-Amz-Signature": true, "X-Amz-Credential": true, "client_secret": true,
		"password": true, "Authorization": true, "sig": true, "key": true, "api_key": true, "kubeconfig": true,
		"url": false, "method": false, "status": false, "service": false, "monkey": false, "q": false, "page_size": false,
	} {
		if got := SensitiveKey(key); got != want {
			t.Errorf("SensitiveKey(%q) = %t, want %t", key, got, want)
		}
	}
}
