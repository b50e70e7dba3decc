//go:build platform

package helmrelease_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// receiver is a webhook receiver that keeps every notice whose signature
// verifies, and counts those that do not.
type receiver struct {
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	notices  []notify.Notice
	unsigned int
}

// newChannel starts a receiver and makes a notification channel name
// pointing at it, deleted when the test ends.
func newChannel(t *testing.T, f *fixture, name string) *receiver {
	t.Helper()
	r := &receiver{secret: "hmac-" + name}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		var n notify.Notice
		if !notify.Verify(r.secret, body, req.Header.Get(notify.HeaderSignature)) || json.Unmarshal(body, &n) != nil ||
			req.Header.Get(notify.HeaderDelivery) != n.ID || req.Header.Get(notify.HeaderEvent) != n.Event {
			r.unsigned++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.notices = append(r.notices, n)
	}))
	t.Cleanup(r.srv.Close)
	cfg, err := f.p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	channels := notificationchannel.New(registry.New(cfg, f.p.Namespace))
	ctx := context.Background()
	if _, err := channels.Create(ctx, notificationchannel.Spec{
		Name: name, Type: notify.TypeWebhook, URL: r.srv.URL + "/hook", URLVersion: 1, HMACSecret: r.secret, HMACSecretVersion: 1,
		Events: []string{notify.EventSyncSucceeded, notify.EventSyncFailed},
	}); err != nil {
		t.Fatalf("cannot create notification channel %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := channels.Delete(context.Background(), name); err != nil {
			t.Errorf("cannot delete notification channel %s: %v", name, err)
		}
	})
	return r
}

// take returns the events of the notices received since the last take,
// and fails the test on any that was not signed.
func (r *receiver) take(t *testing.T) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsigned > 0 {
		t.Errorf("the receiver got %d notices without a valid signature", r.unsigned)
	}
	var events []string
	for _, n := range r.notices {
		events = append(events, n.Event)
	}
	r.notices = nil
	return events
}
