package provider

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

func TestWithLoggingSendsToTflogRedacted(t *testing.T) {
	var out bytes.Buffer
	ctx := withLogging(tflogtest.RootLogger(context.Background(), &out), "hunter2")

	logctx.From(ctx).Trace("HTTP request", "method", "GET", "url", "https://bob:url-secret@git.example/r.git?token=query-secret", "status", 200)
	logctx.From(ctx).Debug("Retrying with hunter2", "attempt", 2, "password", "plain-secret", "reason", "the server rejected hunter2")
	tflog.Debug(ctx, "Own provider log", map[string]any{"token": "field-secret", "note": "uses hunter2"})

	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil {
		t.Fatalf("cannot decode the log: %v", err)
	}
	for _, secret := range []string{"hunter2", "url-secret", "query-secret", "plain-secret", "field-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("the log shows %q:\n%s", secret, out.String())
		}
	}
	want := []map[string]any{
		{"@level": "trace", "@message": "HTTP request", "@module": "provider",
			"method": "GET", "url": "https://bob:REDACTED@git.example/r.git?token=REDACTED", "status": float64(200)},
		{"@level": "debug", "@message": "Retrying with REDACTED", "@module": "provider",
			"attempt": float64(2), "password": "***", "reason": "the server rejected REDACTED"},
		{"@level": "debug", "@message": "Own provider log", "@module": "provider", "token": "***", "note": "uses ***"},
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Fatalf("log (-want +got):\n%s", diff)
	}
}

func TestWithoutLoggingNothingIsLogged(t *testing.T) {
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	logctx.From(ctx).Debug("not installed")
	if out.Len() != 0 {
		t.Fatalf("logged without withLogging: %s", out.String())
	}
}

// TestQuietLogsUnlessAsked checks that logs are turned off only when no TF_LOG
// variable asks for them.
func TestQuietLogsUnlessAsked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		quiet bool
	}{
		{"nothing asked", nil, true},
		{"only a log path", map[string]string{"TF_LOG_PATH": "/tmp/tf.log"}, true},
		{"TF_LOG", map[string]string{"TF_LOG": "TRACE"}, false},
		{"provider logs", map[string]string{"TF_LOG_PROVIDER": "DEBUG"}, false},
		{"framework logs", map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"TF_LOG", "TF_LOG_PATH", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO"} {
				t.Setenv(name, tc.env[name])
			}
			QuietLogsUnlessAsked()
			if got := os.Getenv("TF_LOG_SDK") == "OFF" && os.Getenv("TF_LOG_PROVIDER") == "OFF"; got != tc.quiet {
				t.Errorf("QuietLogsUnlessAsked() turned logs off = %v, want %v", got, tc.quiet)
			}
		})
	}
}
