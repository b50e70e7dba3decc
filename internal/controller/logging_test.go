package controller

import (
	"context"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

func TestWithLoggingSendsToLogrRedacted(t *testing.T) {
	tests := []struct {
		name      string
		verbosity int
		want      []string
	}{
		{"debug only", 1, []string{
			`"level"=1 "msg"="Retrying" "attempt"=2 "password"="REDACTED"`,
		}},
		{"trace and debug", 2, []string{
			`"level"=2 "msg"="HTTP request" "url"="https://bob:REDACTED@git.example/r.git?token=REDACTED" "status"=200`,
			`"level"=1 "msg"="Retrying" "attempt"=2 "password"="REDACTED"`,
		}},
		{"info only", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			log := funcr.New(func(prefix, args string) { got = append(got, args) }, funcr.Options{Verbosity: tc.verbosity})
			ctx := withLogging(ctrl.LoggerInto(context.Background(), log))

			logctx.From(ctx).Trace("HTTP request", "url", "https://bob:url-secret@git.example/r.git?token=query-secret", "status", 200)
			logctx.From(ctx).Debug("Retrying", "attempt", 2, "password", "plain-secret")

			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("log (-want +got):\n%s", diff)
			}
			if all := strings.Join(got, "\n"); strings.Contains(all, "secret") {
				t.Fatalf("the log shows a secret:\n%s", all)
			}
		})
	}
}
