package jirasim

import (
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
