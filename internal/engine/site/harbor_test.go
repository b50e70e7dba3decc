package site

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

func TestCheckHarborAgainstSimulator(t *testing.T) {
	srv := httptest.NewServer(harborsim.New(harborsim.Options{AdminPassword: "right", Version: "v2.13.0-sim"}))
	defer srv.Close()
	closed := httptest.NewServer(nil)
	closed.Close()

	tests := []struct {
		name     string
		h        Harbor
		wantPath string
		wantMsg  string
	}{
		{"right credentials", Harbor{URL: srv.URL, Username: "admin", Password: "right"}, "", ""},
		{"wrong password", Harbor{URL: srv.URL, Username: "admin", Password: "wrong"}, "harbor.password", "rejected the credentials"},
		{"unreachable", Harbor{URL: closed.URL, Username: "admin", Password: "right"}, "harbor.url", "cannot reach Harbor"},
	}
	reg := registry.New(nil, "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkHarbor(context.Background(), reg, tc.h)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("checkHarbor() = %v, want nil", err)
				}
				v, err := reg.HarborVersion(context.Background(), tc.h)
				if err != nil || v != "v2.13.0-sim" {
					t.Fatalf("harborVersion() = %q, %v, want v2.13.0-sim", v, err)
				}
				return
			}
			in, ok := engine.AsInvalidInput(err)
			if !ok || in.Path != tc.wantPath || !strings.Contains(in.Message, tc.wantMsg) {
				t.Fatalf("checkHarbor() = %v, want %q at %q", err, tc.wantMsg, tc.wantPath)
			}
			if strings.Contains(err.Error(), tc.h.Password) {
				t.Fatalf("checkHarbor() error reveals the password: %v", err)
			}
		})
	}
}
