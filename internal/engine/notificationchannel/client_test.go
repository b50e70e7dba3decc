package notificationchannel

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

func TestLifecycleAndLookup(t *testing.T) {
	ctx := context.Background()
	reg := registry.New(registrytest.New(t).Config(), "mc-system")
	c := New(reg)

	if _, err := Lookup(ctx, reg, "ops"); !errors.Is(err, ErrNoChannel) || err.Error() != `notification channel "ops" does not exist: create it (mc_notification_channel or a NotificationChannel) in the registry namespace "mc-system", or remove it from notify` {
		t.Fatalf("Lookup() of a missing channel error = %v", err)
	} else if _, ok := engine.AsDependency(err); !ok {
		t.Fatalf("Lookup() of a missing channel error is not a *engine.DependencyError: %T", err)
	}

	want := Spec{Name: "ops", Type: notify.TypeWebhook, URL: "https://hooks.example.com/a", URLVersion: 1, HMACSecret: "k1", HMACSecretVersion: 1,
		Events: []string{notify.EventSyncFailed, notify.EventRunFailed}}
	if _, err := c.Create(ctx, Spec{Name: "ops", Type: notify.TypeWebhook}); err == nil || !strings.Contains(err.Error(), "a URL is needed") {
		t.Fatalf("Create() without a URL error = %v", err)
	}
	id, err := c.Create(ctx, want)
	if err != nil || id != "ops" {
		t.Fatalf("Create() = %q, %v", id, err)
	}
	obs, err := c.Observe(ctx, id, want)
	if err != nil {
		t.Fatal(err)
	}
	wantActual := Spec{Name: "ops", Type: "webhook", URLVersion: 1, HMACSecretVersion: 1, Events: []string{"run_failed", "sync_failed"}}
	if diff := cmp.Diff(wantActual, obs.Actual); diff != "" || !obs.Exists || !obs.Ready || !obs.UpToDate || !obs.Status.Signed {
		t.Errorf("Observe() actual (-want +got):\n%s\nobservation %+v", diff, obs)
	}
	ch, err := Lookup(ctx, reg, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(notify.Channel{Name: "ops", Type: "webhook", URL: "https://hooks.example.com/a", HMACSecret: "k1", Events: []string{"run_failed", "sync_failed"}}, ch); diff != "" {
		t.Errorf("Lookup() (-want +got):\n%s", diff)
	}

	// Terraform reads without the write-only values: up to date.
	readSpec := want
	readSpec.URL, readSpec.HMACSecret = "", ""
	if obs, _ := c.Observe(ctx, id, readSpec); !obs.UpToDate {
		t.Error("Observe() without write-only values is not up to date")
	}
	// A new URL (the controller passes it always) is drift.
	moved := want
	moved.URL = "https://hooks.example.com/b"
	if obs, _ := c.Observe(ctx, id, moved); obs.UpToDate {
		t.Error("Observe() with another URL is up to date")
	}

	// An update without the write-only values keeps them; events to all.
	upd := readSpec
	upd.Events = nil
	if err := c.Update(ctx, id, upd); err != nil {
		t.Fatal(err)
	}
	if ch, _ := Lookup(ctx, reg, "ops"); ch.URL != want.URL || ch.HMACSecret != "k1" || len(ch.Events) != len(notify.Events) {
		t.Errorf("after an update without write-only values: %+v", ch)
	}
	// A new URL version with its URL; HMAC secret removed at version 0.
	moved.URLVersion, moved.HMACSecret, moved.HMACSecretVersion = 2, "", 0
	if err := c.Update(ctx, id, moved); err != nil {
		t.Fatal(err)
	}
	if ch, _ := Lookup(ctx, reg, "ops"); ch.URL != moved.URL || ch.HMACSecret != "" {
		t.Errorf("after changing the URL: %+v", ch)
	}
	if obs, _ := c.Observe(ctx, id, moved); !obs.UpToDate || obs.Actual.URLVersion != 2 || obs.Status.Signed {
		t.Errorf("after changing the URL: %+v", obs)
	}

	if err := c.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if obs, err := c.Observe(ctx, id, want); err != nil || obs.Exists {
		t.Errorf("Observe() after Delete = %+v, %v", obs, err)
	}
	if err := c.Delete(ctx, id); err != nil {
		t.Errorf("Delete() of a deleted channel error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		spec      Spec
		wantPaths []string
	}{
		{"valid", Spec{Name: "ops", Type: "slack", URL: "https://h/x"}, nil},
		{"everything wrong", Spec{Name: "Ops_1", Type: "email", URL: "ftp://x", URLVersion: -1, Events: []string{"deployed"}}, []string{"name", "type", "url", "url_version", "events"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range engine.InvalidInputs(Validate(tt.spec)) {
				got = append(got, e.Path)
			}
			if diff := cmp.Diff(tt.wantPaths, got); diff != "" {
				t.Errorf("invalid paths (-want +got):\n%s", diff)
			}
		})
	}
}
