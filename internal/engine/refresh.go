package engine

import (
	"context"

	"github.com/mcplatform/terraform-provider-mc/internal/refresh"
)

// WithRefresh marks ctx as a refresh (see package refresh): a front-end
// reading what many resources look like at once (a `terraform plan`),
// where a read may be served from a snapshot the process took a few
// seconds earlier instead of one request per resource. Creates, updates,
// deletes and their waits never carry the mark: they always read live.
func WithRefresh(ctx context.Context) context.Context { return refresh.With(ctx) }

// IsRefresh reports whether ctx was marked by WithRefresh.
func IsRefresh(ctx context.Context) bool { return refresh.Is(ctx) }
