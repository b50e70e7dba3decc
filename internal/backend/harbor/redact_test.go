package harbor_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
)

// TestErrorsNeverShowCredentials checks that an error never shows the
// client's password, a registry's access secret, or credentials in a URL,
// even when Harbor's answer quotes them.
func TestErrorsNeverShowCredentials(t *testing.T) {
	const echo = `{"errors":[{"code":"BAD_REQUEST","message":"cannot reach https://robot:url-pass@registry.example/v2/?token=url-token with access-secret-1 as admin/` + adminPass + `"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(echo))
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	opts := httpclient.Options{RetryMax: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond}
	echoing, err := harbor.New(harbor.Config{URL: srv.URL, Username: adminUser, Password: adminPass, HTTPOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	unreachable, err := harbor.New(harbor.Config{URL: closed.URL + "/?token=url-token", Username: adminUser, Password: adminPass, HTTPOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	secret := "access-secret-1"
	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		hidden     []string // besides the password and the URL's credentials
	}{
		{"create registry", func() error {
			_, err := echoing.CreateRegistry(ctx(t), harbor.Registry{Name: "r", URL: "https://registry.example", Type: "harbor",
				Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: "robot", AccessSecret: secret}})
			return err
		}, http.StatusBadRequest, []string{secret}},
		{"update registry", func() error {
			return echoing.UpdateRegistry(ctx(t), 1, harbor.RegistryUpdate{AccessSecret: &secret})
		}, http.StatusBadRequest, []string{secret}},
		{"ping registry", func() error {
			return echoing.PingRegistry(ctx(t), harbor.RegistryPing{AccessSecret: &secret})
		}, http.StatusBadRequest, []string{secret}},
		{"password echoed", func() error { _, err := echoing.SystemInfo(ctx(t)); return err }, http.StatusBadRequest, nil},
		{"unreachable", func() error { _, err := unreachable.SystemInfo(ctx(t)); return err }, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("want an error")
			}
			for _, s := range append([]string{adminPass, "url-pass", "url-token"}, tc.hidden...) {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q shows %q", err, s)
				}
			}
			var he *harbor.Error
			if got := harbor.StatusCode(err); got != tc.wantStatus || (tc.wantStatus != 0 && !errors.As(err, &he)) {
				t.Fatalf("StatusCode(%v) = %d, want %d with the *harbor.Error kept", err, got, tc.wantStatus)
			}
		})
	}
}
