// Package enginetest holds the conformance suite that every kind's engine
// client must pass against its real backend:
//
//   - CreateIsIdempotent: two Creates return the same id, and the backend
//     holds one object;
//   - CreateAdoptsAfterLostAnswer: a Create whose answer was lost right after
//     its first backend write, followed by another Create, ends with the same
//     id and one object, as the desired spec says;
//   - ObserveEqualsSpec: Observe after Create reports the spec (with the
//     backend's defaults applied), also when importing;
//   - DeleteIsIdempotent: deleting twice, and deleting what is already gone
//     or was never made, succeeds;
//   - UpdateImmutableRefused: Update of a field that forces a replacement
//     returns an *engine.InvalidInputError naming the field, and changes
//     nothing.
//
// A kind's test describes the kind with a Kind and calls Conformance:
//
//	enginetest.Conformance(t, enginetest.Kind[site.Spec, site.Status]{...})
package enginetest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Kind describes one kind of resource to the conformance suite.
type Kind[S, O any] struct {
	// Client is the kind's engine client, talking to the real backend.
	Client engine.Client[S, O]
	// NewSpec returns a valid spec whose names are unique to this call:
	// every subtest makes its own object. It may register cleanups of what
	// it prepares (a namespace, say) with t.Cleanup; they run after the
	// suite has deleted the object.
	NewSpec func(t *testing.T) S
	// ID returns the deterministic id Create returns for a spec.
	ID func(S) string
	// Count returns how many backend objects stand for spec (for example
	// the site records named after it, or the replication policies of its
	// name): one after a Create, none after a Delete or a refused Update.
	Count func(ctx context.Context, spec S) (int, error)
	// Defaults returns spec with what the backend fills in when the spec
	// leaves it empty (server defaults); Observe's Actual must equal it. Nil
	// means the backend fills in nothing.
	Defaults func(S) S
	// CompareOptions tune the comparison of the observed spec with the
	// defaulted one, for example cmpopts.EquateEmpty().
	CompareOptions []cmp.Option
	// Immutable lists the changes Update must refuse: one per field that
	// forces a replacement, or those that are cheap to make.
	Immutable []ImmutableChange[S]
	// WithTransport returns a client of the kind whose requests to the
	// backend go through the RoundTripper wrap returns, for
	// CreateAdoptsAfterLostAnswer (for a Kubernetes backend, a client made
	// from a rest.Config with Wrap(wrap)). It is called from a subtest that
	// runs alone, so the kind may route shared traffic through wrap for its
	// duration.
	WithTransport func(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[S, O]
	// LostWrite selects the write whose answer CreateAdoptsAfterLostAnswer
	// loses; nil means the first POST, PUT or PATCH of the Create.
	LostWrite func(*http.Request) bool
	// WaitUntilReady makes ObserveEqualsSpec wait until the object is
	// ready before comparing, for kinds whose Observe reports the spec only
	// then; by default it compares as soon as the object exists.
	WaitUntilReady bool
	// Trigger, when set, signals changes of the object id so that waits
	// react at once (the kind client's Trigger).
	Trigger func(ctx context.Context, id string) <-chan struct{}
	// WaitTimeout bounds every wait of the suite; default 3 minutes.
	WaitTimeout time.Duration
	// PollInterval is the shortest interval between two observations while
	// the suite waits; default 200ms.
	PollInterval time.Duration
}

// ImmutableChange is one change of a field that forces a replacement.
type ImmutableChange[S any] struct {
	// Path is the field's path, as the *engine.InvalidInputError of Update
	// must name it (for example "name" or "pod_cidrs").
	Path string
	// Change returns spec with the field set to another valid value.
	Change func(S) S
}

// Conformance runs the conformance suite against k. The subtests run in
// parallel with each other, except CreateAdoptsAfterLostAnswer, which runs
// before them, alone.
func Conformance[S, O any](t *testing.T, k Kind[S, O]) {
	t.Helper()
	s := &suite[S, O]{k: k}
	if s.k.WaitTimeout <= 0 {
		s.k.WaitTimeout = 3 * time.Minute
	}
	if s.k.PollInterval <= 0 {
		s.k.PollInterval = 200 * time.Millisecond
	}
	if s.k.Defaults == nil {
		s.k.Defaults = func(spec S) S { return spec }
	}
	if k.Client == nil || k.NewSpec == nil || k.ID == nil || k.Count == nil {
		t.Fatal("enginetest.Kind needs Client, NewSpec, ID and Count")
	}
	t.Run("CreateAdoptsAfterLostAnswer", s.createAdoptsAfterLostAnswer)
	t.Run("CreateIsIdempotent", parallel(s.createIsIdempotent))
	t.Run("ObserveEqualsSpec", parallel(s.observeEqualsSpec))
	t.Run("DeleteIsIdempotent", parallel(s.deleteIsIdempotent))
	t.Run("UpdateImmutableRefused", parallel(s.updateImmutableRefused))
}

func parallel(f func(*testing.T)) func(*testing.T) {
	return func(t *testing.T) {
		t.Parallel()
		f(t)
	}
}

type suite[S, O any] struct {
	k Kind[S, O]
}

// create makes a new object through the kind's client and registers its
// deletion, waiting until it is gone, as a cleanup.
func (s *suite[S, O]) create(t *testing.T) (S, string) {
	t.Helper()
	spec := s.k.NewSpec(t)
	s.cleanup(t, spec)
	id, err := s.k.Client.Create(t.Context(), spec)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	if want := s.k.ID(spec); id != want {
		t.Fatalf("Create() id = %q, want %q", id, want)
	}
	return spec, id
}

// cleanup deletes spec's object when t ends, if it exists.
func (s *suite[S, O]) cleanup(t *testing.T, spec S) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.k.WaitTimeout)
		defer cancel()
		id := s.k.ID(spec)
		obs, err := s.k.Client.Observe(ctx, id, spec)
		if err == nil && !obs.Exists {
			return
		}
		if _, ok := engine.AsDependency(err); ok {
			// Its site is not registered (an id a refused Update would
			// have moved to): the engine cannot have made anything there.
			return
		}
		if err := s.deleteUntilGone(ctx, id); err != nil {
			t.Errorf("cleanup: cannot delete %s: %v", id, err)
		}
	})
}

// wait observes id with want until until holds.
func (s *suite[S, O]) wait(ctx context.Context, id string, want S, until func(exists, ready bool) bool, step func(context.Context, engine.Observation[S, O]) error) (engine.Observation[S, O], error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := engine.WaitOptions{Timeout: s.k.WaitTimeout, MinInterval: s.k.PollInterval, MaxInterval: 5 * s.k.PollInterval, Until: until}
	if s.k.Trigger != nil {
		opts.Trigger = s.k.Trigger(ctx, id)
	}
	return engine.Wait(ctx, func(ctx context.Context) (engine.Observation[S, O], error) {
		obs, err := s.k.Client.Observe(ctx, id, want)
		if err == nil && step != nil {
			err = step(ctx, obs)
		}
		return obs, err
	}, opts)
}

// deleteUntilGone deletes id until Observe reports it gone, within the
// suite's bounds.
func (s *suite[S, O]) deleteUntilGone(ctx context.Context, id string) error {
	return engine.DeleteUntilGone(ctx, s.k.Client, id, engine.ConvergeOptions{
		Timeout: s.k.WaitTimeout, MinInterval: s.k.PollInterval, MaxInterval: 5 * s.k.PollInterval,
	})
}

func (s *suite[S, O]) count(t *testing.T, spec S, want int, when string) {
	t.Helper()
	n, err := s.k.Count(t.Context(), spec)
	if err != nil {
		t.Fatalf("cannot count the backend objects of %s %s: %v", s.k.ID(spec), when, err)
	}
	if n != want {
		t.Errorf("the backend holds %d objects for %s %s, want %d", n, s.k.ID(spec), when, want)
	}
}

func (s *suite[S, O]) createIsIdempotent(t *testing.T) {
	spec, id := s.create(t)
	id2, err := s.k.Client.Create(t.Context(), spec)
	if err != nil {
		t.Fatalf("second Create() = %v, want it to adopt", err)
	}
	if id2 != id {
		t.Errorf("second Create() id = %q, want %q", id2, id)
	}
	s.count(t, spec, 1, "after two Creates")
}

func (s *suite[S, O]) createAdoptsAfterLostAnswer(t *testing.T) {
	if s.k.WithTransport == nil {
		t.Fatal("the kind supplies no WithTransport: it cannot prove that a Create adopts what a lost answer left behind")
	}
	spec := s.k.NewSpec(t)
	s.cleanup(t, spec)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	lose := &LoseAnswer{Match: s.k.LostWrite, Cancel: cancel}
	lossy := s.k.WithTransport(t, lose.Wrap)
	_, err := lossy.Create(ctx, spec)
	if !lose.Lost() {
		t.Fatalf("Create() = %v without a write whose answer could be lost: check the kind's WithTransport and LostWrite", err)
	}
	if err == nil {
		t.Errorf("Create() = nil although the answer of %s was lost", lose.LostRequest())
	}
	t.Logf("lost the answer of %s; Create() = %v", lose.LostRequest(), err)

	id, err := s.k.Client.Create(t.Context(), spec)
	if err != nil {
		t.Fatalf("Create() after the lost answer = %v, want it to adopt", err)
	}
	if want := s.k.ID(spec); id != want {
		t.Errorf("Create() after the lost answer: id = %q, want %q", id, want)
	}
	s.count(t, spec, 1, "after a lost answer and a second Create")
	obs, err := s.k.Client.Observe(t.Context(), id, spec)
	if err != nil {
		t.Fatalf("Observe() = %v", err)
	}
	if !obs.Exists || !obs.UpToDate {
		t.Errorf("Observe() after adopting: Exists=%v UpToDate=%v (%s), want both", obs.Exists, obs.UpToDate, obs.Message)
	}
}

func (s *suite[S, O]) observeEqualsSpec(t *testing.T) {
	spec, id := s.create(t)
	until := func(exists, _ bool) bool { return exists }
	if s.k.WaitUntilReady {
		until = nil
	}
	if obs, err := s.wait(t.Context(), id, spec, until, nil); err != nil {
		t.Fatalf("waiting for %s: %v (last message: %s)", id, err, obs.Message)
	}
	want := s.k.Defaults(spec)
	obs, err := s.k.Client.Observe(t.Context(), id, spec)
	if err != nil {
		t.Fatalf("Observe() = %v", err)
	}
	if !obs.Exists || !obs.UpToDate {
		t.Errorf("Observe(): Exists=%v UpToDate=%v (%s), want both", obs.Exists, obs.UpToDate, obs.Message)
	}
	if diff := cmp.Diff(want, obs.Actual, s.k.CompareOptions...); diff != "" {
		t.Errorf("Observe() Actual differs from the spec with defaults (-want +got):\n%s", diff)
	}
	var zero S
	imp, err := s.k.Client.Observe(t.Context(), id, zero)
	if err != nil {
		t.Fatalf("Observe() without a desired spec (import) = %v", err)
	}
	if !imp.Exists {
		t.Error("Observe() without a desired spec (import): Exists=false")
	}
	if diff := cmp.Diff(want, imp.Actual, s.k.CompareOptions...); diff != "" {
		t.Errorf("Observe() without a desired spec (import): Actual differs from the spec with defaults (-want +got):\n%s", diff)
	}
}

func (s *suite[S, O]) deleteIsIdempotent(t *testing.T) {
	t.Run("NeverCreated", func(t *testing.T) {
		spec := s.k.NewSpec(t)
		id := s.k.ID(spec)
		obs, err := s.k.Client.Observe(t.Context(), id, spec)
		if err != nil || obs.Exists {
			t.Errorf("Observe() of what was never made = Exists %v, %v; want false, nil", obs.Exists, err)
		}
		if err := s.k.Client.Delete(t.Context(), id); err != nil {
			t.Errorf("Delete() of what was never made = %v", err)
		}
	})
	t.Run("Twice", func(t *testing.T) {
		spec, id := s.create(t)
		if err := s.k.Client.Delete(t.Context(), id); err != nil {
			t.Fatalf("Delete() = %v", err)
		}
		if err := s.k.Client.Delete(t.Context(), id); err != nil {
			t.Fatalf("second Delete() at once = %v", err)
		}
		if err := s.deleteUntilGone(t.Context(), id); err != nil {
			t.Fatalf("waiting until %s is gone: %v", id, err)
		}
		if err := s.k.Client.Delete(t.Context(), id); err != nil {
			t.Errorf("Delete() of what is gone = %v", err)
		}
		s.count(t, spec, 0, "after Delete")
	})
}

func (s *suite[S, O]) updateImmutableRefused(t *testing.T) {
	if len(s.k.Immutable) == 0 {
		t.Skip("the kind has no field that forces a replacement")
	}
	spec, id := s.create(t)
	for _, c := range s.k.Immutable {
		t.Run(c.Path, func(t *testing.T) {
			changed := c.Change(spec)
			if cmp.Equal(changed, spec, s.k.CompareOptions...) {
				t.Fatalf("the change of %s leaves the spec as it is", c.Path)
			}
			if s.k.ID(changed) != id {
				s.cleanup(t, changed) // in case Update makes what it must refuse
			}
			err := s.k.Client.Update(t.Context(), id, changed)
			in, ok := engine.AsInvalidInput(err)
			switch {
			case err == nil:
				t.Errorf("Update() changing %s = nil, want it refused", c.Path)
			case !ok:
				t.Errorf("Update() changing %s = %v, want an *engine.InvalidInputError", c.Path, err)
			case in.Path != c.Path:
				t.Errorf("Update() changing %s refused at path %q (%v), want %q", c.Path, in.Path, err, c.Path)
			}
			if s.k.ID(changed) != id {
				s.count(t, changed, 0, "after an Update that must be refused")
			}
			obs, err := s.k.Client.Observe(t.Context(), id, spec)
			if err != nil {
				t.Fatalf("Observe() after the refused Update = %v", err)
			}
			if !obs.Exists || !obs.UpToDate {
				t.Errorf("Observe() after the refused Update: Exists=%v UpToDate=%v (%s), want both: a refused Update changes nothing", obs.Exists, obs.UpToDate, obs.Message)
			}
		})
	}
	s.count(t, spec, 1, "after the refused Updates")
}
