package provider

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

// sensitiveFieldKeys are log fields tflog masks whoever logs them.
var sensitiveFieldKeys = []string{
	"password", "password_wo", "token", "token_wo", "kubeconfig", "kubeconfig_wo",
	"secret", "access_secret", "access_token", "authorization",
}

// withLogging returns ctx with a logger that sends what the engine and the
// backends log (internal/logctx) to tflog: backend calls at TRACE, retries
// and wait steps at DEBUG, redacted (URLs' credentials, credential-named
// fields, and secrets, the values a CRUD method knows to be secret, such as
// write-only passwords). Each CRUD method calls it first:
//
//	ctx = withLogging(ctx, plan.PasswordWO.ValueString())
//
// tflog masks secrets and sensitiveFieldKeys in everything else logged with
// the returned ctx too.
func withLogging(ctx context.Context, secrets ...string) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, sensitiveFieldKeys...)
	var known []string
	for _, s := range secrets {
		if s != "" {
			known = append(known, s)
		}
	}
	if len(known) > 0 {
		ctx = tflog.MaskLogStrings(ctx, known...)
	}
	return logctx.WithLogger(ctx, logctx.Redacting(tflogLogger{ctx: ctx}, known...))
}

// tflogLogger is a logctx.Logger that writes to tflog's provider logger in
// ctx, the context of the Terraform call it was made for.
type tflogLogger struct{ ctx context.Context }

func (l tflogLogger) Trace(msg string, kv ...any) { tflog.Trace(l.ctx, msg, fields(kv)) }
func (l tflogLogger) Debug(msg string, kv ...any) { tflog.Debug(l.ctx, msg, fields(kv)) }

// fields turns key-value pairs into tflog's fields; a key without a value
// gets nil.
func fields(kv []any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		var v any
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		m[fmt.Sprint(kv[i])] = v
	}
	return m
}

// QuietLogsUnlessAsked turns the SDK's and the provider's log output off
// when nobody asked Terraform for logs; a provider binary calls it first.
// terraform-plugin-log sends every line, at TRACE, to Terraform, which drops
// them all unless a TF_LOG variable is set (Terraform passes its environment
// to the provider). Encoding lines that are dropped cost a quarter of a
// 200-resource plan.
func QuietLogsUnlessAsked() {
	for _, kv := range os.Environ() {
		if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_LOG") && name != "TF_LOG_PATH" && value != "" {
			return
		}
	}
	_ = os.Setenv("TF_LOG_SDK", "OFF")
	_ = os.Setenv("TF_LOG_PROVIDER", "OFF")
}
