package harborsim

import (
	"time"
)

// scheduleLocked (re)computes when a policy fires next, as the replication
// controller's CreatePolicy and UpdatePolicy (un)schedule it
// (src/controller/replication/policy.go): only enabled policies with a
// scheduled trigger have a schedule, counted from now. Callers hold s.mu.
func (s *Server) scheduleLocked(p *policy) {
	p.nextRun = time.Time{}
	if !p.enabled || p.trigger == nil || p.trigger.Type != "scheduled" || p.trigger.Settings == nil {
		return
	}
	c, err := parseCron(p.trigger.Settings.Cron)
	if err != nil {
		return
	}
	p.nextRun = c.next(s.now())
}

// RunSchedules starts an execution (trigger "scheduled") of every policy
// whose cron has come due by Options.Now, as Harbor's scheduler does
// through the jobservice, then schedules its next run; a run missed while
// time jumped over several occurrences fires once. The simulator calls it
// every second; a test driving Options.Now calls it after moving its clock.
// It returns the executions started.
func (s *Server) RunSchedules() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return nil
	default:
	}
	now := s.now()
	var started []int64
	for _, p := range s.sortedPolicies() {
		if p.nextRun.IsZero() || now.Before(p.nextRun) {
			continue
		}
		e := s.startLocked(p, "scheduled", nil)
		started = append(started, e.id)
		c, err := parseCron(p.trigger.Settings.Cron)
		if err != nil {
			p.nextRun = time.Time{}
			continue
		}
		p.nextRun = c.next(now)
	}
	return started
}

// runScheduler calls RunSchedules every second until the server closes.
func (s *Server) runScheduler() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-tick.C:
			s.RunSchedules()
		}
	}
}
