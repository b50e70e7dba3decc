package harborsim

import (
	"encoding/json"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock a test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestCronNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct{ cron, from, want string }{
		{"0 0 2 * * *", "2026-01-01T01:59:00Z", "2026-01-01T02:00:00Z"},
		{"0 0 2 * * *", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"},
		{"0 */15 * * * *", "2026-01-01T10:07:30Z", "2026-01-01T10:15:00Z"},
		{"0 30 8-18 * * mon-fri", "2026-01-02T19:00:00Z", "2026-01-05T08:30:00Z"}, // Friday evening -> Monday
		{"0 0 0 1 * mon", "2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z"},         // day 1 or a Monday
		{"0 0 0 29 feb ?", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"0 5/20 * * * *", "2026-01-01T00:06:00Z", "2026-01-01T00:25:00Z"},
	} {
		c, err := parseCron(tt.cron)
		if err != nil {
			t.Fatalf("parseCron(%q) = %v", tt.cron, err)
		}
		if got := c.next(at(tt.from)); !got.Equal(at(tt.want)) {
			t.Errorf("next(%q, %s) = %s, want %s", tt.cron, tt.from, got.Format(time.RFC3339), tt.want)
		}
	}
}

func TestScheduledPolicyFires(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 1, 59, 0, 0, time.UTC)}
	s := New(Options{Pinger: healthy, Replicator: &fakeReplicator{}, Now: clock.Now})
	defer s.Close()
	call(t, s, "POST", "/api/v2.0/registries", `{"name":"hub","url":"https://hub.example","type":"harbor"}`, false)
	for _, body := range []string{
		`{"name":"nightly","dest_registry":{"id":1},"enabled":true,"trigger":{"type":"scheduled","trigger_settings":{"cron":"0 0 2 * * *"}}}`,
		`{"name":"off","dest_registry":{"id":1},"enabled":false,"trigger":{"type":"scheduled","trigger_settings":{"cron":"0 0 2 * * *"}}}`,
	} {
		if status, _, b := call(t, s, "POST", "/api/v2.0/replication/policies", body, false); status != 201 {
			t.Fatalf("create = %d %s", status, b)
		}
	}
	executions := func() []executionJSON {
		t.Helper()
		_, _, body := call(t, s, "GET", "/api/v2.0/replication/executions", "", false)
		var es []executionJSON
		if err := json.Unmarshal([]byte(body), &es); err != nil {
			t.Fatal(err)
		}
		return es
	}
	s.RunSchedules()
	if es := executions(); len(es) != 0 {
		t.Fatalf("before 02:00: %d executions, want none", len(es))
	}
	clock.Set(time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC))
	s.RunSchedules()
	s.RunSchedules()
	es := executions()
	if len(es) != 1 || es[0].PolicyID != 1 || es[0].Trigger != "scheduled" {
		t.Fatalf("at 02:00: executions %+v, want one scheduled execution of policy 1", es)
	}
	// Three days later the missed runs fire once.
	clock.Set(time.Date(2026, 1, 4, 3, 0, 0, 0, time.UTC))
	s.RunSchedules()
	if es := executions(); len(es) != 2 {
		t.Fatalf("after three days: %d executions, want 2", len(es))
	}
	// A manual trigger unschedules the policy.
	call(t, s, "PUT", "/api/v2.0/replication/policies/1", `{"name":"nightly","dest_registry":{"id":1},"enabled":true,"trigger":{"type":"manual"}}`, false)
	clock.Set(time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC))
	s.RunSchedules()
	if es := executions(); len(es) != 2 {
		t.Fatalf("after the trigger became manual: %d executions, want 2", len(es))
	}
}
