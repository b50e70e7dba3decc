package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// notifyingClient is a fakeClient that records the notices Converge asks
// it to send.
type notifyingClient struct {
	*fakeClient
	failed  error // Observe reports it as a terminal failure when set
	sent    []string
	sendErr error
	// observed, when set, runs after each Observe.
	observed func()
}

func (n *notifyingClient) Observe(ctx context.Context, id string, want string) (Observation[string, int], error) {
	obs, err := n.fakeClient.Observe(ctx, id, want)
	if n.failed != nil {
		obs.Failed, obs.Ready = n.failed, false
	}
	if n.observed != nil {
		n.observed()
	}
	return obs, err
}

func (n *notifyingClient) Notice(id string, want string, obs Observation[string, int], waitErr error) (notify.Notice, bool) {
	event := notify.EventSyncSucceeded
	if waitErr != nil {
		event = notify.EventSyncFailed
	}
	return notify.Notice{ID: id + "/" + event, Event: event}, true
}

func (n *notifyingClient) Notify(_ context.Context, want string, notice notify.Notice) error {
	n.sent = append(n.sent, notice.ID)
	return n.sendErr
}

func TestConvergeNotifiesOnceAfterTheWait(t *testing.T) {
	tests := []struct {
		name       string
		client     *notifyingClient
		timeout    time.Duration
		wantErr    bool
		wantSent   []string
		wantNotify []string // errors reported to NotifyFailed
	}{
		{
			name:     "ready: one sync_succeeded",
			client:   &notifyingClient{fakeClient: &fakeClient{readyAfter: 3}},
			wantSent: []string{"id-a/sync_succeeded"},
		},
		{
			name:     "terminal failure: one sync_failed",
			client:   &notifyingClient{fakeClient: &fakeClient{readyAfter: 1}, failed: Terminal("sync failed: boom")},
			wantErr:  true,
			wantSent: []string{"id-a/sync_failed"},
		},
		{
			name:     "timeout: one sync_failed",
			client:   &notifyingClient{fakeClient: &fakeClient{readyAfter: 1 << 30}},
			timeout:  20 * time.Millisecond,
			wantErr:  true,
			wantSent: []string{"id-a/sync_failed"},
		},
		{
			name:       "a delivery failure does not fail Converge",
			client:     &notifyingClient{fakeClient: &fakeClient{readyAfter: 1}, sendErr: errors.New("receiver down")},
			wantSent:   []string{"id-a/sync_succeeded"},
			wantNotify: []string{"receiver down"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reported []string
			opts := fast
			opts.Timeout = tt.timeout
			opts.NotifyFailed = func(err error) { reported = append(reported, err.Error()) }
			_, _, err := Converge(context.Background(), Client[string, int](tt.client), "", "a", opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Converge() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantSent, tt.client.sent); diff != "" {
				t.Errorf("notices (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotify, reported); diff != "" {
				t.Errorf("NotifyFailed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConvergeDoesNotNotifyWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	// The apply is interrupted while it waits.
	c := &notifyingClient{fakeClient: &fakeClient{readyAfter: 1 << 30}, observed: cancel}
	_, _, err := Converge(ctx, Client[string, int](c), "", "a", fast)
	if err == nil {
		t.Fatal("Converge() of a cancelled context succeeded")
	}
	if len(c.sent) != 0 {
		t.Errorf("a cancelled wait sent %v", c.sent)
	}
}
