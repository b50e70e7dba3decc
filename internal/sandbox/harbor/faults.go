package harborsim

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Faults configure the in-process fault injector. Shares are between 0 and 1
// and apply to every request, /health and /systeminfo included.
type Faults struct {
	// ErrorRate is the share of requests answered with an error instead of
	// being handled: one of Statuses, chosen at random.
	ErrorRate float64
	// Statuses are the error statuses; default 500, 503 and 429. 429 and 503
	// carry Retry-After: RetryAfter seconds.
	Statuses []int
	// RetryAfter is the Retry-After value in seconds for 429 and 503; default 0.
	RetryAfter int
	// LostResponseRate is the share of writes (POST, PUT, DELETE) that are
	// handled, their change kept, and then answered 500 as if the answer were
	// lost on the way: the caller's retry must be idempotent.
	LostResponseRate float64
	// DelayRate is the share of requests delayed by Delay before handling.
	DelayRate float64
	// Delay is the delay of delayed requests.
	Delay time.Duration
	// Seed makes the random choices repeatable when not zero.
	Seed uint64
}

// FaultStats count what the injector did.
type FaultStats struct {
	Requests, Errors, LostResponses, Delays int64
}

type faultInjector struct {
	mu    sync.Mutex
	f     Faults
	rnd   *rand.Rand
	stats struct{ requests, errors, lost, delays atomic.Int64 }
}

func newFaultInjector() *faultInjector {
	return &faultInjector{rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// SetFaults replaces the fault configuration; the zero Faults turns
// injection off.
func (s *Server) SetFaults(f Faults) {
	fi := s.faults
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if len(f.Statuses) == 0 {
		f.Statuses = []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests}
	}
	fi.f = f
	if f.Seed != 0 {
		fi.rnd = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
}

// FaultStats returns what the injector did so far.
func (s *Server) FaultStats() FaultStats {
	st := &s.faults.stats
	return FaultStats{Requests: st.requests.Load(), Errors: st.errors.Load(), LostResponses: st.lost.Load(), Delays: st.delays.Load()}
}

type decision struct {
	status int
	retry  int
	delay  time.Duration
	lose   bool
}

func (fi *faultInjector) decide(method string) decision {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	var d decision
	if fi.f.DelayRate > 0 && fi.rnd.Float64() < fi.f.DelayRate {
		d.delay = fi.f.Delay
	}
	if fi.f.ErrorRate > 0 && fi.rnd.Float64() < fi.f.ErrorRate {
		d.status = fi.f.Statuses[fi.rnd.IntN(len(fi.f.Statuses))]
		d.retry = fi.f.RetryAfter
		return d
	}
	write := method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete
	if write && fi.f.LostResponseRate > 0 && fi.rnd.Float64() < fi.f.LostResponseRate {
		d.lose = true
	}
	return d
}

// apply injects a fault into the request: answered is true when it answered
// the request itself; lose asks the caller to handle the request, discard
// its answer and answer 500 instead.
func (fi *faultInjector) apply(w http.ResponseWriter, r *http.Request) (answered, lose bool) {
	fi.stats.requests.Add(1)
	d := fi.decide(r.Method)
	if d.delay > 0 {
		fi.stats.delays.Add(1)
		select {
		case <-time.After(d.delay):
		case <-r.Context().Done():
			return true, false
		}
	}
	if d.status != 0 {
		fi.stats.errors.Add(1)
		if d.status == http.StatusTooManyRequests || d.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(d.retry))
		}
		code := codeUnknown
		if d.status == http.StatusTooManyRequests {
			code = "TOO_MANY_REQUESTS"
		}
		writeError(w, d.status, code, "injected fault: %d %s", d.status, http.StatusText(d.status))
		return true, false
	}
	if d.lose {
		fi.stats.lost.Add(1)
	}
	return false, d.lose
}

// discardWriter swallows an answer that the fault injector loses.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
