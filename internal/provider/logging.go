package provider

import "context"

// withLogging returns ctx for the engine calls of one Terraform operation.
func withLogging(ctx context.Context) context.Context { return ctx }
