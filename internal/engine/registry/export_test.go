package registry

import "time"

// SetSnapshotClock replaces the clock of r's look-up snapshot (see
// BatchLookups), so that tests can age it.
func SetSnapshotClock(r *Registry, now func() time.Time) {
	r.snapshot.now = now
}
