package controller

import (
	"context"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

// Verbosity of the engine's and backends' messages in the controller's log:
// run the controller with --zap-log-level=2 (or lower) to see backend calls.
const (
	debugVerbosity = 1
	traceVerbosity = 2
)

// withLogging returns ctx with a logger that sends what the engine and the
// backends log (internal/logctx) to the reconcile's logr logger
// (ctrl.LoggerFrom(ctx)), redacted: backend calls at V(2), retries and wait
// steps at V(1).
func withLogging(ctx context.Context) context.Context {
	return logctx.WithLogger(ctx, logctx.Redacting(logrLogger{ctrl.LoggerFrom(ctx)}))
}

// logrLogger is a logctx.Logger over a logr logger.
type logrLogger struct{ log logr.Logger }

func (l logrLogger) Trace(msg string, kv ...any) { l.log.V(traceVerbosity).Info(msg, kv...) }
func (l logrLogger) Debug(msg string, kv ...any) { l.log.V(debugVerbosity).Info(msg, kv...) }
