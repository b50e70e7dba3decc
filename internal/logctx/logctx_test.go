package logctx_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
	"github.com/mcplatform/terraform-provider-mc/internal/logctx/logctxtest"
)

func TestFromWithoutLoggerDiscards(t *testing.T) {
	l := logctx.From(context.Background())
	l.Trace("nothing", "k", 1)
	l.Debug("nothing", "k", 1)
}

func TestFromReturnsTheInstalledLogger(t *testing.T) {
	var rec logctxtest.Recorder
	ctx := logctx.WithLogger(context.Background(), &rec)
	logctx.From(ctx).Trace("HTTP request", "status", 200)
	logctx.From(ctx).Debug("Retrying", "attempt", 2)
	want := []logctxtest.Entry{
		{Level: "trace", Msg: "HTTP request", Fields: map[string]any{"status": 200}},
		{Level: "debug", Msg: "Retrying", Fields: map[string]any{"attempt": 2}},
	}
	if diff := cmp.Diff(want, rec.Entries()); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
}

func TestRedacting(t *testing.T) {
	var rec logctxtest.Recorder
	l := logctx.Redacting(&rec, "hunter2")
	u, _ := url.Parse("https://bob:pw@git.example/repo.git?token=abc")
	l.Debug("Cloning https://bob:pw@git.example/repo.git with hunter2",
		"url", u,
		"repo", "https://alice:pw2@git.example/r.git",
		"error", errors.New("the server rejected hunter2"),
		"password", "plain",
		"access_token", 12345,
		"attempt", 3,
		"ready", true,
		"wait", 1500*time.Millisecond,
		"dangling")
	want := []logctxtest.Entry{{
		Level: "debug",
		Msg:   "Cloning https://bob:REDACTED@git.example/repo.git with REDACTED",
		Fields: map[string]any{
			"url":          "https://bob:REDACTED@git.example/repo.git?token=REDACTED",
			"repo":         "https://alice:REDACTED@git.example/r.git",
			"error":        "the server rejected REDACTED",
			"password":     "REDACTED",
			"access_token": "REDACTED",
			"attempt":      3,
			"ready":        true,
			"wait":         "1.5s",
			"dangling":     nil,
		},
	}}
	if diff := cmp.Diff(want, rec.Entries()); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
}

type nop struct{}

func (nop) Trace(string, ...any) {}
func (nop) Debug(string, ...any) {}

// BenchmarkRedactingTrace measures what redaction adds to one logged HTTP
// request.
func BenchmarkRedactingTrace(b *testing.B) {
	l := logctx.Redacting(nop{}, "hunter2")
	for b.Loop() {
		l.Trace("HTTP request", "method", "GET", "url", "https://harbor.example/api/v2.0/projects?page=1&page_size=100", "status", 200, "duration", 12*time.Millisecond)
	}
}
