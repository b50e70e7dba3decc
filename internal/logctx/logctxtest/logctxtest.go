// Package logctxtest records what code logs through logctx, for tests.
package logctxtest

import (
	"context"
	"fmt"
	"sync"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
)

// Entry is one recorded message.
type Entry struct {
	// Level is "trace" or "debug".
	Level string
	// Msg is the message.
	Msg string
	// Fields holds the key-value pairs; a key without a value maps to nil.
	Fields map[string]any
}

// Recorder is a logctx.Logger that keeps every message. It is safe for
// concurrent use.
type Recorder struct {
	mu      sync.Mutex
	entries []Entry
}

// Context returns ctx carrying r as it is, without logctx.Redacting, so a
// test sees whether the code under test redacts by itself.
func (r *Recorder) Context(ctx context.Context) context.Context {
	return logctx.WithLogger(ctx, r)
}

// Trace implements logctx.Logger.
func (r *Recorder) Trace(msg string, kv ...any) { r.add("trace", msg, kv) }

// Debug implements logctx.Logger.
func (r *Recorder) Debug(msg string, kv ...any) { r.add("debug", msg, kv) }

func (r *Recorder) add(level, msg string, kv []any) {
	e := Entry{Level: level, Msg: msg, Fields: map[string]any{}}
	for i := 0; i < len(kv); i += 2 {
		var v any
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		e.Fields[fmt.Sprint(kv[i])] = v
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

// Entries returns a copy of the messages recorded so far.
func (r *Recorder) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Entry(nil), r.entries...)
}

// Level returns the messages recorded at level.
func (r *Recorder) Level(level string) []Entry {
	var out []Entry
	for _, e := range r.Entries() {
		if e.Level == level {
			out = append(out, e)
		}
	}
	return out
}

// String renders every entry, one a line, for failure messages and for
// checking that a secret appears nowhere.
func (r *Recorder) String() string {
	var s string
	for _, e := range r.Entries() {
		s += fmt.Sprintf("%s %s %v\n", e.Level, e.Msg, e.Fields)
	}
	return s
}
