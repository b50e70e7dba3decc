package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx/logctxtest"
)

type obs = Observation[string, int]

func TestWaitReturnsWhenReady(t *testing.T) {
	calls := 0
	got, err := Wait(context.Background(), func(context.Context) (obs, error) {
		calls++
		return obs{Exists: true, Ready: calls == 3, Status: calls}, nil
	}, WaitOptions{MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
	if err != nil {
		t.Fatalf("Wait() error = %v", err)
	}
	if got.Status != 3 || calls != 3 {
		t.Fatalf("Wait() stopped after %d calls with status %d, want 3 and 3", calls, got.Status)
	}
}

func TestWaitFailsFastOnTerminalFailure(t *testing.T) {
	_, err := Wait(context.Background(), func(context.Context) (obs, error) {
		return obs{Exists: true, Failed: errors.New("machine bootstrap failed")}, nil
	}, WaitOptions{MinInterval: time.Millisecond})
	var term *TerminalError
	if !errors.As(err, &term) || term.Message != "machine bootstrap failed" {
		t.Fatalf("Wait() error = %v, want terminal error with the backend's message", err)
	}
}

func TestWaitTimeoutIsNotFailure(t *testing.T) {
	_, err := Wait(context.Background(), func(context.Context) (obs, error) {
		return obs{Exists: true, Message: "Provisioning"}, nil
	}, WaitOptions{Timeout: 20 * time.Millisecond, MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
	var to *TimeoutError
	if !errors.As(err, &to) {
		t.Fatalf("Wait() error = %v, want *TimeoutError", err)
	}
	if to.Message != "Provisioning" {
		t.Fatalf("TimeoutError.Message = %q, want the last progress message", to.Message)
	}
}

func TestWaitRetriesTransientErrors(t *testing.T) {
	calls := 0
	_, err := Wait(context.Background(), func(context.Context) (obs, error) {
		calls++
		if calls < 3 {
			return obs{}, errors.New("connection reset")
		}
		return obs{Exists: true, Ready: true}, nil
	}, WaitOptions{MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
	if err != nil || calls != 3 {
		t.Fatalf("Wait() = %v after %d calls, want success after 3", err, calls)
	}
}

func TestWaitStopsOnInvalidInput(t *testing.T) {
	calls := 0
	_, err := Wait(context.Background(), func(context.Context) (obs, error) {
		calls++
		return obs{}, InvalidInput("gitops.repo_url", "repository does not exist")
	}, WaitOptions{MinInterval: time.Millisecond})
	if _, ok := AsInvalidInput(err); !ok || calls != 1 {
		t.Fatalf("Wait() = %v after %d calls, want the invalid input error after 1", err, calls)
	}
}

func TestWaitObservesAgainOnTrigger(t *testing.T) {
	trigger := make(chan struct{}, 1)
	calls := 0
	done := make(chan error, 1)
	go func() {
		_, err := Wait(context.Background(), func(context.Context) (obs, error) {
			calls++
			return obs{Exists: true, Ready: calls == 2}, nil
		}, WaitOptions{Trigger: trigger, MinInterval: time.Hour, MaxInterval: time.Hour})
		done <- err
	}()
	trigger <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("Wait() error = %v", err)
	}
	if calls != 2 {
		t.Fatalf("observe called %d times, want 2 (initial + trigger)", calls)
	}
}

func TestWaitLogsEachStepAtDebug(t *testing.T) {
	var rec logctxtest.Recorder
	trigger := make(chan struct{}, 1)
	calls := 0
	_, err := Wait(rec.Context(context.Background()), func(context.Context) (obs, error) {
		calls++
		switch calls {
		case 1:
			trigger <- struct{}{}
			return obs{}, errors.New("connection reset")
		case 2:
			trigger <- struct{}{}
			return obs{Exists: true, Message: "Provisioning"}, nil
		}
		return obs{Exists: true, Ready: true}, nil
	}, WaitOptions{Trigger: trigger, MinInterval: time.Hour, MaxInterval: time.Hour})
	if err != nil {
		t.Fatalf("Wait() error = %v", err)
	}
	type entry struct {
		Msg    string
		Fields map[string]any
	}
	const set = "<set>" // durations vary from run to run
	var got []entry
	for _, e := range rec.Entries() {
		if e.Level != "debug" {
			t.Errorf("entry %q at %s, want debug", e.Msg, e.Level)
		}
		for k, v := range e.Fields {
			if _, ok := v.(time.Duration); ok {
				e.Fields[k] = set
			}
		}
		got = append(got, entry{e.Msg, e.Fields})
	}
	want := []entry{
		{"Wait step", map[string]any{"step": 1, "error": errors.New("connection reset"), "next_in": set, "elapsed": set}},
		{"Wait woken by a change of a watched object", map[string]any{"step": 1}},
		{"Wait step", map[string]any{"step": 2, "exists": true, "ready": false, "message": "Provisioning", "next_in": set, "elapsed": set}},
		{"Wait woken by a change of a watched object", map[string]any{"step": 2}},
		{"Wait ended: the resource is settled", map[string]any{"step": 3, "exists": true, "ready": true, "elapsed": set}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a.Error() == b.Error() })); diff != "" {
		t.Fatalf("log (-want +got):\n%s", diff)
	}
}
