package registry

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// snapshotAfter is how many distinct sites a process looks up within one
// snapshot lifetime before it lists them all instead: a wait on one site
// keeps reading that site's record alone, a plan over many sites lists the
// registry once.
const snapshotAfter = 3

// BatchLookups makes the registry serve look-ups of site records from one
// LIST of the registry namespace, taken when the process reads several
// sites at once and trusted for ttl: a `terraform plan` over N sites then
// costs one request instead of N. It suits a short-lived process such as
// the Terraform provider; a long-running one (the controller) watches
// instead and should not call it.
//
// A record this registry writes (Register, Unregister) is read directly
// from then on, so that a process always sees its own writes; a record
// changed by another process is seen once the snapshot is older than ttl.
// Call it before the first look-up.
func (r *Registry) BatchLookups(ttl time.Duration) {
	r.snapshot = &recordSnapshot{ttl: ttl, now: time.Now}
}

// recordSnapshot is a LIST of the site records, served until it is older
// than ttl. It is safe for concurrent use.
type recordSnapshot struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	// takenAt is when records was listed; zero when there is none.
	takenAt time.Time
	records map[string]*corev1.Secret // by Secret name
	// unusable is set once a LIST was forbidden: every look-up then reads
	// its record alone, as without BatchLookups.
	unusable bool
	// asked are the sites looked up since the window began at askedSince,
	// while there was no fresh snapshot.
	asked      map[string]bool
	askedSince time.Time
	// written are the sites whose records this process wrote: they are
	// read directly, never from a snapshot.
	written map[string]bool
	// listing is closed when the LIST in flight ends; nil when none is.
	listing chan struct{}
}

// lookup returns site name's record from a fresh snapshot, listing the
// records first when the process has asked for several sites and no
// fresh snapshot exists. ok is false when the caller must read the record
// itself.
func (s *recordSnapshot) lookup(ctx context.Context, cs kubernetes.Interface, namespace, name string) (sec *corev1.Secret, ok bool, err error) {
	s.mu.Lock()
	for {
		if s.written[name] || s.unusable {
			s.mu.Unlock()
			return nil, false, nil
		}
		if s.freshLocked() {
			sec := s.records[RecordName(name)]
			s.mu.Unlock()
			return sec, true, nil
		}
		if s.listing == nil {
			break
		}
		// Another look-up is listing: wait for its snapshot.
		done := s.listing
		s.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		s.mu.Lock()
	}
	now := s.now()
	if s.asked == nil || now.Sub(s.askedSince) >= s.ttl {
		s.asked, s.askedSince = map[string]bool{}, now
	}
	s.asked[name] = true
	if len(s.asked) < snapshotAfter {
		s.mu.Unlock()
		return nil, false, nil
	}
	done := make(chan struct{})
	s.listing = done
	s.mu.Unlock()

	records, err := listRecords(ctx, cs, namespace)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.listing = nil
	close(done)
	switch {
	case apierrors.IsForbidden(err):
		// Allowed to get records but not to list them.
		s.unusable = true
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	s.records, s.takenAt, s.asked = records, s.now(), nil
	if s.written[name] {
		return nil, false, nil
	}
	return records[RecordName(name)], true, nil
}

// fresh returns the records of a snapshot younger than ttl when this
// process wrote none of them; ok is false otherwise.
func (s *recordSnapshot) fresh() (records []*corev1.Secret, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.freshLocked() || len(s.written) > 0 {
		return nil, false
	}
	for _, sec := range s.records {
		records = append(records, sec)
	}
	return records, true
}

func (s *recordSnapshot) freshLocked() bool {
	return !s.takenAt.IsZero() && s.now().Sub(s.takenAt) < s.ttl
}

// wrote marks site name's record as written by this process.
func (s *recordSnapshot) wrote(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written == nil {
		s.written = map[string]bool{}
	}
	s.written[name] = true
}

// listRecords lists every site record of namespace, by Secret name.
func listRecords(ctx context.Context, cs kubernetes.Interface, namespace string) (map[string]*corev1.Secret, error) {
	l, err := cs.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelRecord + "=site"})
	if err != nil {
		return nil, fmt.Errorf("cannot list sites: %w", err)
	}
	records := make(map[string]*corev1.Secret, len(l.Items))
	for i := range l.Items {
		records[l.Items[i].Name] = &l.Items[i]
	}
	return records, nil
}
