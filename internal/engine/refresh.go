package engine

import "context"

// refreshKey marks a context as a refresh; see WithRefresh.
type refreshKey struct{}

// WithRefresh marks ctx as a refresh: a front-end reading what many
// resources look like at once (a `terraform plan`), where a read may be
// served from a snapshot the process took a few seconds earlier instead of
// one request per resource. Creates, updates, deletes and their waits
// never carry the mark: they always read live.
func WithRefresh(ctx context.Context) context.Context {
	return context.WithValue(ctx, refreshKey{}, true)
}

// IsRefresh reports whether ctx was marked by WithRefresh.
func IsRefresh(ctx context.Context) bool {
	v, _ := ctx.Value(refreshKey{}).(bool)
	return v
}
