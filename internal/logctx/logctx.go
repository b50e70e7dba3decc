// Package logctx carries a logger in a context, so that the engine and the
// backends log without knowing who listens: the Terraform provider installs
// one that writes to tflog, the controller one that writes to its logr
// logger. Without one, nothing is logged.
//
// Levels: Trace for each backend call (one HTTP request), Debug for each
// retry and each wait step. Values are key-value pairs, as in logr.
package logctx

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Logger receives the engine's and the backends' log messages. kv holds
// alternating keys (strings) and values.
type Logger interface {
	// Trace logs one backend call.
	Trace(msg string, kv ...any)
	// Debug logs a retry, a wait step, or another decision worth knowing
	// when something takes longer than expected.
	Debug(msg string, kv ...any)
}

type loggerKey struct{}

// WithLogger returns ctx carrying l.
func WithLogger(ctx context.Context, l Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// From returns the logger ctx carries, or one that discards everything.
func From(ctx context.Context) Logger {
	if l, ok := ctx.Value(loggerKey{}).(Logger); ok && l != nil {
		return l
	}
	return discard{}
}

type discard struct{}

func (discard) Trace(string, ...any) {}
func (discard) Debug(string, ...any) {}

// Redacting returns a Logger that passes every message to l redacted: URLs
// and known secrets in the message and in string, error and Stringer values
// are redacted (redact.Text), and the value of every key that names a
// credential (redact.SensitiveKey) is masked whole. Numbers and booleans
// pass as they are; durations become text ("1.5s").
func Redacting(l Logger, secrets ...string) Logger {
	return redacting{next: l, redactor: redact.New(secrets...)}
}

type redacting struct {
	next     Logger
	redactor *redact.Redactor
}

func (r redacting) Trace(msg string, kv ...any) {
	r.next.Trace(r.redactor.Text(msg), r.values(kv)...)
}

func (r redacting) Debug(msg string, kv ...any) {
	r.next.Debug(r.redactor.Text(msg), r.values(kv)...)
}

func (r redacting) values(kv []any) []any {
	out := make([]any, len(kv))
	for i := 0; i < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		out[i] = key
		if i+1 == len(kv) {
			break
		}
		if redact.SensitiveKey(key) {
			out[i+1] = redact.Mask
			continue
		}
		out[i+1] = r.value(kv[i+1])
	}
	return out
}

func (r redacting) value(v any) any {
	switch v := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return v
	case time.Duration:
		return v.String()
	case string:
		return r.redactor.Text(v)
	case *url.URL:
		if v == nil {
			return ""
		}
		return r.redactor.Text(redact.URL(v.String()))
	case error:
		return r.redactor.Text(v.Error())
	case fmt.Stringer:
		return r.redactor.Text(v.String())
	}
	return r.redactor.Text(fmt.Sprint(v))
}
