// Package simfault is the fault injector the sandbox's simulators (Harbor,
// Bitbucket, Jira) share: it answers a share of requests with an error
// status (with Retry-After for 429 and 503) or a connection reset, loses
// the answers of some writes after they were applied, or delays requests,
// optionally only those of some users. Each simulator words
// the injected errors in its own vendor's error body.
package simfault

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults configure the injector. Shares are between 0 and 1 and apply to
// every request.
type Faults struct {
	// ErrorRate is the share of requests answered with an error instead of
	// being handled: one of Statuses, chosen at random.
	ErrorRate float64
	// Statuses are the error statuses; default 500, 503 and 429. 429 and 503
	// carry Retry-After: RetryAfter seconds. StatusConnectionReset among
	// them resets the connection instead of answering.
	Statuses []int
	// RetryAfter is the Retry-After value in seconds for 429 and 503; default 0.
	RetryAfter int
	// LostResponseRate is the share of writes (POST, PUT, PATCH, DELETE) that
	// are handled, their change kept, and then answered 500 as if the answer
	// were lost on the way: the caller's retry must be idempotent.
	LostResponseRate float64
	// DelayRate is the share of requests delayed by Delay before handling.
	DelayRate float64
	// Delay is the delay of delayed requests.
	Delay time.Duration
	// Seed makes the random choices repeatable when not zero.
	Seed uint64
	// Users, when not empty, limit injection to the requests whose basic
	// credentials name one of these users (compared without regard to
	// case): a test can aim faults at its own client on a simulator that
	// other tests share. Other requests are neither faulted nor counted.
	Users []string
}

// StatusConnectionReset, among Faults.Statuses, stands for a connection
// reset: the request is not handled and the connection is closed with a TCP
// RST (or, where the connection cannot be taken over, such as HTTP/2, the
// answer is aborted).
const StatusConnectionReset = -1

// Stats count what the injector did: the requests it saw (those of
// Faults.Users when set) and the faults it injected into them.
type Stats struct {
	Requests, Errors, LostResponses, Delays int64
	// Resets counts the connection resets (also counted in Errors).
	Resets int64
}

// ErrorWriter writes an error answer in the simulated vendor's error body.
type ErrorWriter func(w http.ResponseWriter, status int, message string)

// Injector injects the configured faults into requests. Its zero value is
// not usable: make one with New.
type Injector struct {
	mu       sync.Mutex
	f        Faults
	rnd      *rand.Rand
	writeErr ErrorWriter
	stats    struct{ requests, errors, lost, delays, resets atomic.Int64 }
}

// New returns an injector with injection off that words its errors with
// writeErr.
func New(writeErr ErrorWriter) *Injector {
	return &Injector{rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), writeErr: writeErr}
}

// Set replaces the fault configuration; the zero Faults turns injection off.
func (fi *Injector) Set(f Faults) {
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

// Stats returns what the injector did so far.
func (fi *Injector) Stats() Stats {
	st := &fi.stats
	return Stats{Requests: st.requests.Load(), Errors: st.errors.Load(), LostResponses: st.lost.Load(), Delays: st.delays.Load(),
		Resets: st.resets.Load()}
}

type decision struct {
	status int
	retry  int
	delay  time.Duration
	lose   bool
}

func (fi *Injector) decide(method string) decision {
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
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if fi.f.LostResponseRate > 0 && fi.rnd.Float64() < fi.f.LostResponseRate {
			d.lose = true
		}
	}
	return d
}

// inScope reports whether r is one of the requests faults are aimed at.
func (fi *Injector) inScope(r *http.Request) bool {
	fi.mu.Lock()
	users := fi.f.Users
	fi.mu.Unlock()
	if len(users) == 0 {
		return true
	}
	user, _, ok := r.BasicAuth()
	if !ok {
		return false
	}
	for _, u := range users {
		if strings.EqualFold(u, user) {
			return true
		}
	}
	return false
}

// Wrap returns a handler that injects the faults in front of next.
func (fi *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fi.inScope(r) {
			next.ServeHTTP(w, r)
			return
		}
		fi.stats.requests.Add(1)
		d := fi.decide(r.Method)
		if d.delay > 0 {
			fi.stats.delays.Add(1)
			select {
			case <-time.After(d.delay):
			case <-r.Context().Done():
				return
			}
		}
		if d.status == StatusConnectionReset {
			fi.stats.errors.Add(1)
			fi.stats.resets.Add(1)
			resetConnection(w)
			return
		}
		if d.status != 0 {
			fi.stats.errors.Add(1)
			if d.status == http.StatusTooManyRequests || d.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", strconv.Itoa(d.retry))
			}
			fi.writeErr(w, d.status, fmt.Sprintf("injected fault: %d %s", d.status, http.StatusText(d.status)))
			return
		}
		if d.lose {
			fi.stats.lost.Add(1)
			next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
			fi.writeErr(w, http.StatusInternalServerError, "injected fault: the answer was lost")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// resetConnection closes the request's connection with a TCP RST, or
// aborts the answer when the connection cannot be taken over.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// discardWriter swallows an answer that the injector loses.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
