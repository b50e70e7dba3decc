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

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// snapshotAfter is how many refresh reads of one kind and namespace a
// process makes within one snapshot lifetime before it lists them all
// instead: a plan of one resource reads its objects alone, a plan of many
// lists each kind and namespace once.
const snapshotAfter = 3

// BatchLookups makes the registry serve the reads of a refresh (a context
// marked by engine.WithRefresh) from one LIST per kind and namespace, taken
// once the process makes several reads of that kind and namespace and
// trusted for ttl: a `terraform plan` over N resources then costs one
// request for their records, and one for their Argo CD Applications,
// instead of N each. It covers the records of the registry namespace
// (sites, projects, applications, notification channels) and every plain
// GET and list by label through the Dynamic client of a management
// cluster. Reads outside a refresh
// (creates, updates, deletes and their waits) always go to the API server.
// It suits a short-lived process such as the Terraform provider; a
// long-running one (the controller) watches instead and should not call it.
//
// An object this process writes is read directly from then on, so that a
// process always sees its own writes; an object changed by another process
// is seen by a refresh once the snapshot is older than ttl, and at once by
// the next process. Call it before the first read.
func (r *Registry) BatchLookups(ttl time.Duration) {
	r.snapshot = newSnapshot[*corev1.Secret](ttl, time.Now)
}

// snapshot is one LIST of a kind in a namespace, by object name, served
// until it is older than ttl. It is safe for concurrent use.
type snapshot[T any] struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	// takenAt is when items was listed; zero when there is none.
	takenAt time.Time
	items   map[string]T
	// unusable is set once a LIST was forbidden: every read then goes to
	// the API server, as without BatchLookups.
	unusable bool
	// asked counts the reads made since askedSince while there was no
	// fresh snapshot.
	asked      int
	askedSince time.Time
	// written are the objects this process wrote: they are read directly,
	// never from a snapshot.
	written map[string]bool
	// listing is closed when the LIST in flight ends; nil when none is.
	listing chan struct{}
}

func newSnapshot[T any](ttl time.Duration, now func() time.Time) *snapshot[T] {
	return &snapshot[T]{ttl: ttl, now: now}
}

// get returns object name from a fresh snapshot, listing the objects with
// list first when the process has made several reads and no fresh snapshot
// exists. found tells whether the snapshot holds name; ok is false when the
// caller must read the object itself.
func (s *snapshot[T]) get(ctx context.Context, name string, list func(context.Context) (map[string]T, error)) (item T, found, ok bool, err error) {
	items, ok, err := s.load(ctx, func() bool { return s.written[name] }, list)
	if !ok || err != nil {
		return item, false, false, err
	}
	item, found = items[name]
	return item, found, true, nil
}

// all returns every object of a fresh snapshot, as get does; ok is false
// when the caller must list the objects itself, always once this process
// wrote one of them.
func (s *snapshot[T]) all(ctx context.Context, list func(context.Context) (map[string]T, error)) (items map[string]T, ok bool, err error) {
	return s.load(ctx, func() bool { return len(s.written) > 0 }, list)
}

// load returns the objects of a fresh snapshot, listing them with list
// first when the process has made several reads and no fresh snapshot
// exists; ok is false when the caller must read itself: the snapshot is
// unusable, or live (called under s.mu) says this read must be live. The
// map returned is the snapshot's own: never change it.
func (s *snapshot[T]) load(ctx context.Context, live func() bool, list func(context.Context) (map[string]T, error)) (items map[string]T, ok bool, err error) {
	s.mu.Lock()
	for {
		if s.unusable || live() {
			s.mu.Unlock()
			return nil, false, nil
		}
		if s.freshLocked() {
			items := s.items
			s.mu.Unlock()
			return items, true, nil
		}
		if s.listing == nil {
			break
		}
		// Another read is listing: wait for its snapshot.
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
	if now.Sub(s.askedSince) >= s.ttl {
		s.asked, s.askedSince = 0, now
	}
	s.asked++
	if s.asked < snapshotAfter {
		s.mu.Unlock()
		return nil, false, nil
	}
	done := make(chan struct{})
	s.listing = done
	s.mu.Unlock()

	items, err = list(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.listing = nil
	close(done)
	switch {
	case apierrors.IsForbidden(err):
		// Allowed to get these objects but not to list them.
		s.unusable = true
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	s.items, s.takenAt, s.asked = items, s.now(), 0
	if live() {
		return nil, false, nil
	}
	return items, true, nil
}

// fresh returns the objects of a snapshot younger than ttl when this
// process wrote none of them; ok is false otherwise.
func (s *snapshot[T]) fresh() (items []T, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.freshLocked() || len(s.written) > 0 {
		return nil, false
	}
	for _, item := range s.items {
		items = append(items, item)
	}
	return items, true
}

func (s *snapshot[T]) freshLocked() bool {
	return !s.takenAt.IsZero() && s.now().Sub(s.takenAt) < s.ttl
}

// wrote marks object name as written by this process.
func (s *snapshot[T]) wrote(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written == nil {
		s.written = map[string]bool{}
	}
	s.written[name] = true
}

// getRecord reads the record Secret name of the registry namespace: in a
// refresh from the snapshot of every record (sites, projects, applications,
// notification channels: one LIST), else from the API server. A missing
// record is a Kubernetes not-found error either way.
func (r *Registry) getRecord(ctx context.Context, cs kubernetes.Interface, name string) (*corev1.Secret, error) {
	if r.snapshot != nil && engine.IsRefresh(ctx) {
		sec, found, ok, err := r.snapshot.get(ctx, name, func(ctx context.Context) (map[string]*corev1.Secret, error) {
			l, err := cs.CoreV1().Secrets(r.namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelRecord})
			if err != nil {
				return nil, fmt.Errorf("cannot list the records of namespace %q: %w", r.namespace, err)
			}
			records := make(map[string]*corev1.Secret, len(l.Items))
			for i := range l.Items {
				records[l.Items[i].Name] = &l.Items[i]
			}
			return records, nil
		})
		switch {
		case err != nil:
			return nil, err
		case ok && !found:
			return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
		case ok:
			return sec.DeepCopy(), nil
		}
	}
	return cs.CoreV1().Secrets(r.namespace).Get(ctx, name, metav1.GetOptions{})
}

// wroteRecord marks the record Secret name as written by this process.
func (r *Registry) wroteRecord(name string) {
	if r.snapshot != nil {
		r.snapshot.wrote(name)
	}
}
