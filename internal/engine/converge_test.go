package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClient is an in-memory engine client: one object whose spec is a
// string, ready after readyAfter observations.
type fakeClient struct {
	calls      []string
	exists     bool
	spec       string
	observed   int
	readyAfter int
	// drift, when set, replaces the spec after the first update, as if
	// somebody else changed it while it was waited for.
	drift      string
	deleteErr  error
	goneAfter  int
	triggerArg string
}

func (f *fakeClient) Observe(_ context.Context, id string, want string) (Observation[string, int], error) {
	f.calls = append(f.calls, "observe")
	f.observed++
	if !f.exists {
		return Observation[string, int]{}, nil
	}
	return Observation[string, int]{Exists: true, Actual: f.spec, UpToDate: f.spec == want, Ready: f.observed >= f.readyAfter, Status: f.observed}, nil
}

func (f *fakeClient) Create(_ context.Context, want string) (string, error) {
	f.calls = append(f.calls, "create")
	f.exists, f.spec = true, want
	return "id-" + want, nil
}

func (f *fakeClient) Update(_ context.Context, id string, want string) error {
	f.calls = append(f.calls, "update")
	f.spec = want
	if f.drift != "" {
		f.spec, f.drift = f.drift, ""
	}
	return nil
}

func (f *fakeClient) Delete(_ context.Context, id string) error {
	f.calls = append(f.calls, "delete")
	if f.deleteErr != nil {
		return f.deleteErr
	}
	f.goneAfter--
	if f.goneAfter <= 0 {
		f.exists = false
	}
	return nil
}

// triggeredClient is a fakeClient that can be watched.
type triggeredClient struct {
	*fakeClient
	trigger chan struct{}
}

func (c triggeredClient) Trigger(_ context.Context, id string) <-chan struct{} {
	c.triggerArg = id
	return c.trigger
}

var fast = ConvergeOptions{MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond}

func TestConverge(t *testing.T) {
	cases := []struct {
		name      string
		client    *fakeClient
		id        string
		wantID    string
		wantCalls []string
		wantErr   bool
	}{
		{
			name:      "create then wait until ready",
			client:    &fakeClient{readyAfter: 2},
			wantID:    "id-a",
			wantCalls: []string{"create", "observe", "observe"},
		},
		{
			name:      "update then wait",
			client:    &fakeClient{exists: true, spec: "old", readyAfter: 1},
			id:        "id-a",
			wantID:    "id-a",
			wantCalls: []string{"update", "observe"},
		},
		{
			name:      "drift during the wait is updated again",
			client:    &fakeClient{exists: true, spec: "old", readyAfter: 1, drift: "someone else's"},
			id:        "id-a",
			wantID:    "id-a",
			wantCalls: []string{"update", "observe", "update", "observe"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, obs, err := Converge(context.Background(), Client[string, int](tc.client), tc.id, "a", fast)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Converge() error = %v, want error %v", err, tc.wantErr)
			}
			if id != tc.wantID {
				t.Errorf("Converge() id = %q, want %q", id, tc.wantID)
			}
			if !obs.Ready || !obs.UpToDate || obs.Actual != "a" {
				t.Errorf("Converge() observation = %+v, want ready and up to date with spec a", obs)
			}
			if diff := cmp.Diff(tc.wantCalls, tc.client.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// persistentDrift is a client whose resource never matches the spec.
type persistentDrift struct{ fakeClient }

func (p *persistentDrift) Update(ctx context.Context, id, want string) error {
	_ = p.fakeClient.Update(ctx, id, want)
	p.spec = "changed by someone else"
	return nil
}

func TestConvergeBoundsReupdates(t *testing.T) {
	c := &persistentDrift{fakeClient{exists: true, spec: "old", readyAfter: 1}}
	_, obs, err := Converge(context.Background(), Client[string, int](c), "id-a", "a", fast)
	if err != nil {
		t.Fatalf("Converge() error = %v", err)
	}
	if obs.UpToDate {
		t.Errorf("Converge() reported up to date although the resource kept drifting")
	}
	updates := 0
	for _, call := range c.calls {
		if call == "update" {
			updates++
		}
	}
	if updates != 1+DefaultMaxReupdates {
		t.Errorf("Converge() updated %d times, want %d", updates, 1+DefaultMaxReupdates)
	}
}

func TestConvergeTimeoutKeepsID(t *testing.T) {
	c := &fakeClient{readyAfter: 1 << 30}
	opts := fast
	opts.Timeout = 20 * time.Millisecond
	id, obs, err := Converge(context.Background(), Client[string, int](c), "", "a", opts)
	if !IsTimeout(err) {
		t.Fatalf("Converge() error = %v, want a timeout", err)
	}
	if id != "id-a" || !obs.Exists {
		t.Errorf("Converge() = %q, exists %v; want the id and the resource kept after a timeout", id, obs.Exists)
	}
}

func TestConvergeReactsToTrigger(t *testing.T) {
	c := triggeredClient{&fakeClient{readyAfter: 2}, make(chan struct{}, 1)}
	c.trigger <- struct{}{}
	opts := ConvergeOptions{MinInterval: time.Hour, MaxInterval: time.Hour}
	if _, _, err := Converge(context.Background(), Client[string, int](c), "", "a", opts); err != nil {
		t.Fatalf("Converge() error = %v", err)
	}
	if c.triggerArg != "id-a" {
		t.Errorf("Converge() watched %q, want the created id", c.triggerArg)
	}
	// With hour-long polls, only the trigger can have caused the second observation.
	if diff := cmp.Diff([]string{"create", "observe", "observe"}, c.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestConvergeStopsOnDependencyError(t *testing.T) {
	c := &failingObserve{err: &DependencyError{Kind: "site", Name: "site-b", Reason: "is not registered"}}
	_, _, err := Converge(context.Background(), Client[string, int](c), "id-a", "a", fast)
	if _, ok := AsDependency(err); !ok || c.observed != 1 {
		t.Fatalf("Converge() = %v after %d observations, want the dependency error after 1", err, c.observed)
	}
	if IsNotFound(fmt.Errorf("wrapped: %w", &DependencyError{Kind: "site", Name: "x", Err: ErrNotFound})) {
		t.Errorf("IsNotFound() is true for a missing dependency: the resource would be dropped")
	}
}

type failingObserve struct {
	fakeClient
	err error
}

func (f *failingObserve) Observe(context.Context, string, string) (Observation[string, int], error) {
	f.observed++
	return Observation[string, int]{}, f.err
}

func TestDeleteUntilGone(t *testing.T) {
	c := &fakeClient{exists: true, spec: "a", goneAfter: 2}
	if err := DeleteUntilGone(context.Background(), Client[string, int](c), "id-a", fast); err != nil {
		t.Fatalf("DeleteUntilGone() error = %v", err)
	}
	if diff := cmp.Diff([]string{"delete", "observe", "delete", "observe"}, c.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// Deleting what is gone succeeds.
	c.calls = nil
	if err := DeleteUntilGone(context.Background(), Client[string, int](c), "id-a", fast); err != nil {
		t.Fatalf("DeleteUntilGone() of a deleted resource error = %v", err)
	}
}

func TestDeleteUntilGoneFailsOnInvalidInput(t *testing.T) {
	c := &fakeClient{exists: true, deleteErr: InvalidInput("deletion_protection", "is true")}
	err := DeleteUntilGone(context.Background(), Client[string, int](c), "id-a", fast)
	if _, ok := AsInvalidInput(err); !ok {
		t.Fatalf("DeleteUntilGone() error = %v, want the invalid input", err)
	}
}

// run is a fake Run.
type run struct {
	status string
}

func (r run) Done() bool { return r.status != "running" }
func (r run) Err() error {
	if r.status == "failed" {
		return Terminal("run failed: step build exited 1")
	}
	return nil
}

func TestWaitRun(t *testing.T) {
	for _, tc := range []struct {
		statuses []string
		wantErr  string
	}{
		{[]string{"running", "running", "succeeded"}, ""},
		{[]string{"running", "failed"}, "run failed: step build exited 1"},
	} {
		t.Run(tc.statuses[len(tc.statuses)-1], func(t *testing.T) {
			i := 0
			got, err := WaitRun(context.Background(), func(context.Context) (run, error) {
				r := run{tc.statuses[i]}
				i++
				return r, nil
			}, func(r run) string { return r.status }, WaitOptions{MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("WaitRun() error = %v, want %q", err, tc.wantErr)
			}
			var term *TerminalError
			if tc.wantErr != "" && !errors.As(err, &term) {
				t.Errorf("WaitRun() error %T is not terminal", err)
			}
			if got.status != tc.statuses[len(tc.statuses)-1] || i != len(tc.statuses) {
				t.Errorf("WaitRun() = %q after %d observations, want %q after %d", got.status, i, tc.statuses[len(tc.statuses)-1], len(tc.statuses))
			}
		})
	}
}

// vanishingClient is an engine client whose one object can vanish after it
// was made, as in a backend that lost its state in a restart, or be slow to
// show after a create.
type vanishingClient struct {
	calls []string
	// lost is how many creates are lost right after they were made.
	lost int
	// lag is how many observations after each create report the object
	// missing although it exists.
	lag int
	// updateErr is returned by Update; the object is then left alone.
	updateErr error
	// createErrs are returned by the creates in turn; a nil one succeeds.
	createErrs []error
	// ids are returned by the creates in turn; by default "id-" + want.
	ids []string

	creates     int
	exists      bool
	sinceCreate int
	observedID  string
}

func (v *vanishingClient) Observe(_ context.Context, id string, want string) (Observation[string, int], error) {
	v.calls = append(v.calls, "observe")
	v.observedID = id
	v.sinceCreate++
	if !v.exists || v.sinceCreate <= v.lag {
		return Observation[string, int]{Message: "not there"}, nil
	}
	return Observation[string, int]{Exists: true, Ready: true, UpToDate: true, Actual: want}, nil
}

func (v *vanishingClient) Create(_ context.Context, want string) (string, error) {
	v.calls = append(v.calls, "create")
	v.creates++
	if v.creates <= len(v.createErrs) && v.createErrs[v.creates-1] != nil {
		return "", v.createErrs[v.creates-1]
	}
	v.exists, v.sinceCreate = v.creates > v.lost, 0
	if v.creates <= len(v.ids) {
		return v.ids[v.creates-1], nil
	}
	return "id-" + want, nil
}

func (v *vanishingClient) Update(_ context.Context, id string, want string) error {
	v.calls = append(v.calls, "update")
	v.sinceCreate = 0
	return v.updateErr
}

func (v *vanishingClient) Delete(context.Context, string) error { return nil }

// calls concatenates call sequences, so that a test reads as rounds.
func calls(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func repeat(call string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = call
	}
	return out
}

func TestConvergeRecreatesWhatVanished(t *testing.T) {
	missing := repeat("observe", VanishedObservations)
	// A nanosecond apart is always long enough: the rounds are counted in
	// observations.
	quick := fast
	quick.VanishedAfter = time.Nanosecond
	transient := errors.New("connection refused")
	cases := []struct {
		name   string
		client *vanishingClient
		id     string
		opts   ConvergeOptions
		// wantCalls is the exact sequence; when wantCreates is set
		// instead, only the creates are counted (the wait ends on its
		// timeout after a number of observations that varies).
		wantCalls      []string
		wantCreates    int
		wantID         string
		wantRecreates  []int
		wantErr        func(error) bool
		wantErrContent []string
	}{
		{
			name:          "an object that vanished once is created again",
			client:        &vanishingClient{lost: 1},
			opts:          quick,
			wantCalls:     calls([]string{"create"}, missing, []string{"create", "observe"}),
			wantID:        "id-a",
			wantRecreates: []int{1},
		},
		{
			name:          "an object that vanished twice is created twice again",
			client:        &vanishingClient{lost: 2},
			opts:          quick,
			wantCalls:     calls([]string{"create"}, missing, []string{"create"}, missing, []string{"create", "observe"}),
			wantID:        "id-a",
			wantRecreates: []int{1, 2},
		},
		{
			// The timeout leaves ample room for the re-creates, which
			// take a few milliseconds.
			name:           "an object that never comes back is created again a bounded number of times, then the wait times out saying it vanished",
			client:         &vanishingClient{lost: 1 << 30},
			opts:           ConvergeOptions{MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond, VanishedAfter: time.Nanosecond, Timeout: time.Second},
			wantCreates:    1 + DefaultMaxRecreates,
			wantID:         "id-a",
			wantRecreates:  []int{1, 2, 3},
			wantErr:        IsTimeout,
			wantErrContent: []string{"id-a vanished", "created again 3 times"},
		},
		{
			name:           "MaxRecreates below zero never creates again",
			client:         &vanishingClient{lost: 1 << 30},
			opts:           ConvergeOptions{MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond, VanishedAfter: time.Nanosecond, MaxRecreates: -1, Timeout: 50 * time.Millisecond},
			wantCreates:    1,
			wantID:         "id-a",
			wantErr:        IsTimeout,
			wantErrContent: []string{"id-a is missing"},
		},
		{
			name:      "an object slow to show after its create is waited for, not created again",
			client:    &vanishingClient{lag: VanishedObservations - 1},
			opts:      quick,
			wantCalls: calls([]string{"create"}, repeat("observe", VanishedObservations)),
			wantID:    "id-a",
		},
		{
			name:      "an object missing on many observations but for less than VanishedAfter is not created again",
			client:    &vanishingClient{lag: 3 * VanishedObservations},
			opts:      ConvergeOptions{MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond, VanishedAfter: time.Hour},
			wantCalls: calls([]string{"create"}, repeat("observe", 3*VanishedObservations+1)),
			wantID:    "id-a",
		},
		{
			name:          "an object that vanished after its update is created again",
			client:        &vanishingClient{},
			id:            "id-a",
			opts:          quick,
			wantCalls:     calls([]string{"update"}, missing, []string{"create", "observe"}),
			wantID:        "id-a",
			wantRecreates: []int{1},
		},
		{
			name:          "an update that finds the object gone creates it again once Observe agrees",
			client:        &vanishingClient{updateErr: fmt.Errorf("policy p: %w", ErrNotFound)},
			id:            "id-a",
			opts:          quick,
			wantCalls:     []string{"update", "observe", "create", "observe"},
			wantID:        "id-a",
			wantRecreates: []int{1},
		},
		{
			name:      "an update's not-found error about an object that Observe finds is returned",
			client:    &vanishingClient{exists: true, sinceCreate: 1, updateErr: fmt.Errorf("part x: %w", ErrNotFound)},
			id:        "id-a",
			opts:      quick,
			wantCalls: []string{"update", "observe"},
			wantID:    "id-a",
			wantErr:   IsNotFound,
		},
		{
			name:          "a re-create that returns another id: that id is waited for and returned",
			client:        &vanishingClient{lost: 1, ids: []string{"id-a", "id-b"}},
			opts:          quick,
			wantCalls:     calls([]string{"create"}, missing, []string{"create", "observe"}),
			wantID:        "id-b",
			wantRecreates: []int{1},
		},
		{
			name:      "a re-create rejected as invalid input fails the wait",
			client:    &vanishingClient{lost: 1, createErrs: []error{nil, InvalidInput("name", "is taken")}},
			opts:      quick,
			wantCalls: calls([]string{"create"}, missing, []string{"create"}),
			wantID:    "id-a",
			wantErr: func(err error) bool {
				_, ok := AsInvalidInput(err)
				return ok
			},
			wantRecreates: []int{1},
		},
		{
			name:          "a re-create that failed for a passing reason is tried again at the next round",
			client:        &vanishingClient{lost: 1, createErrs: []error{nil, transient}},
			opts:          quick,
			wantCalls:     calls([]string{"create"}, missing, []string{"create"}, missing, []string{"create", "observe"}),
			wantID:        "id-a",
			wantRecreates: []int{1, 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var recreates []int
			opts := tc.opts
			opts.Recreated = func(r Recreation) {
				if r.Max != DefaultMaxRecreates || !strings.Contains(r.String(), "it vanished") {
					t.Errorf("Recreated(%+v): want at most %d re-creates and a message saying it vanished, got %q", r, DefaultMaxRecreates, r)
				}
				recreates = append(recreates, r.Attempt)
			}
			id, obs, err := Converge(context.Background(), Client[string, int](tc.client), tc.id, "a", opts)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Converge() error = %v", err)
			case tc.wantErr != nil && !tc.wantErr(err):
				t.Fatalf("Converge() error = %v, not the one wanted", err)
			}
			for _, s := range tc.wantErrContent {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Converge() error = %q, want it to say %q", err, s)
				}
			}
			if id != tc.wantID {
				t.Errorf("Converge() id = %q, want %q", id, tc.wantID)
			}
			if tc.wantErr == nil {
				if !obs.Exists || !obs.Ready || tc.client.observedID != tc.wantID {
					t.Errorf("Converge() = %+v after observing %q, want %q ready", obs, tc.client.observedID, tc.wantID)
				}
			}
			if tc.wantCalls != nil {
				if diff := cmp.Diff(tc.wantCalls, tc.client.calls); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
			} else if tc.client.creates != tc.wantCreates {
				t.Errorf("Converge() created %d times, want %d; calls %v", tc.client.creates, tc.wantCreates, tc.client.calls)
			}
			if diff := cmp.Diff(tc.wantRecreates, recreates); diff != "" {
				t.Errorf("re-creates told to Recreated (-want +got):\n%s", diff)
			}
		})
	}
}
