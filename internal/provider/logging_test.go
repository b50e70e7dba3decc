package provider

import (
	"bytes"
	"context"
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
