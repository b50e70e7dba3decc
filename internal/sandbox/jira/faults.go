package jirasim

import (
	"encoding/json"
	"net/http"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfault"
)

// Faults configure the simulator's fault injector (see simfault.Faults); they
// apply to every API request (not to the /_sandbox/ endpoints).
type Faults = simfault.Faults

// FaultStats count what the injector did.
type FaultStats = simfault.Stats

// newFaultInjector returns the injector, wording its errors in Jira's
// ErrorCollection body.
func newFaultInjector() *simfault.Injector {
	return simfault.New(func(w http.ResponseWriter, status int, message string) {
		writeError(w, status, []string{message}, nil)
	})
}

// SetFaults replaces the fault configuration; the zero Faults turns
// injection off.
func (s *Server) SetFaults(f Faults) { s.faults.Set(f) }

// FaultStats returns what the injector did so far.
func (s *Server) FaultStats() FaultStats { return s.faults.Stats() }

// sandboxFaultStats answers GET /_sandbox/faults: what the injector did so
// far, for tests in other processes.
func (s *Server) sandboxFaultStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.FaultStats())
}

// sandboxSetFaults answers POST /_sandbox/faults: it replaces the fault
// configuration (a Faults in JSON with Go field names; {} turns injection
// off) and answers 204; 400 for a rate outside 0..1.
func (s *Server) sandboxSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeError(w, http.StatusBadRequest, []string{"Invalid fault configuration: " + err.Error()}, nil)
		return
	}
	for _, rate := range []float64{f.ErrorRate, f.LostResponseRate, f.DelayRate} {
		if rate < 0 || rate > 1 {
			writeError(w, http.StatusBadRequest, []string{"Rates must be between 0 and 1."}, nil)
			return
		}
	}
	s.SetFaults(f)
	w.WriteHeader(http.StatusNoContent)
}
