// Package refresh marks a context as a refresh: a front-end reading what
// many resources look like at once (a `terraform plan`), where a read may be
// served from what the process read a few seconds earlier instead of one
// request per resource. Creates, updates, deletes and their waits never
// carry the mark: they always read live. It is a package of its own so that
// the engine and the backend clients under it share one mark.
package refresh

import "context"

type key struct{}

// With marks ctx as a refresh.
func With(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, true)
}

// Is reports whether ctx was marked by With.
func Is(ctx context.Context) bool {
	v, _ := ctx.Value(key{}).(bool)
	return v
}
