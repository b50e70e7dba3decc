package harborsim

import (
	"net/http"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfault"
)

// Faults configure the simulator's fault injector (see simfault.Faults); the
// statuses apply to every request, /health and /systeminfo included.
type Faults = simfault.Faults

// FaultStats count what the injector did.
type FaultStats = simfault.Stats

// newFaultInjector returns the injector, wording its errors in Harbor's body;
// a 429 carries Harbor's TOO_MANY_REQUESTS code.
func newFaultInjector() *simfault.Injector {
	return simfault.New(func(w http.ResponseWriter, status int, message string) {
		code := codeUnknown
		if status == http.StatusTooManyRequests {
			code = "TOO_MANY_REQUESTS"
		}
		writeError(w, status, code, "%s", message)
	})
}

// SetFaults replaces the fault configuration; the zero Faults turns
// injection off.
func (s *Server) SetFaults(f Faults) { s.faults.Set(f) }

// FaultStats returns what the injector did so far.
func (s *Server) FaultStats() FaultStats { return s.faults.Stats() }
