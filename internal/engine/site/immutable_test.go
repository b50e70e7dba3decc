package site

import (
	"context"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func TestUpdateRefusesRename(t *testing.T) {
	c := New(nil) // refused before any backend call
	err := c.Update(context.Background(), "site-a", validSpec())
	if in, ok := engine.AsInvalidInput(err); !ok || in.Path != "name" {
		t.Fatalf("Update() renaming site-a to site-b = %v, want an invalid input error at name", err)
	}
}
