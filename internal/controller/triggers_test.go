package controller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

const (
	testWatchedNotReadyInterval = 41 * time.Second
	// testPatience bounds how long a test waits for something that must
	// happen at once; it only limits a failing test.
	testPatience = 10 * time.Second
)

// triggeringSiteEngine is a fake site engine whose triggers the test fires.
type triggeringSiteEngine struct {
	*fakeSiteEngine

	mu       sync.Mutex
	started  []startedTrigger
	noSource bool
}

type startedTrigger struct {
	id      string
	ctx     context.Context
	signals chan struct{}
}

func (f *triggeringSiteEngine) Trigger(ctx context.Context, id string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noSource {
		return nil
	}
	t := startedTrigger{id: id, ctx: ctx, signals: make(chan struct{}, 1)}
	f.started = append(f.started, t)
	return t.signals
}

func (f *triggeringSiteEngine) triggers() []startedTrigger {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]startedTrigger(nil), f.started...)
}

func (f *triggeringSiteEngine) ids() []string {
	var ids []string
	for _, t := range f.triggers() {
		ids = append(ids, t.id)
	}
	return ids
}

type triggerFixture struct {
	kube   client.Client
	engine *triggeringSiteEngine
	r      *Reconciler[site.Spec, site.Status]
	req    reconcile.Request
}

func newTriggerFixture(t *testing.T, s *v1alpha1.Site) *triggerFixture {
	t.Helper()
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(defaultProviderConfig(), s).
		WithStatusSubresource(&v1alpha1.Site{}).Build()
	f := &triggeringSiteEngine{fakeSiteEngine: &fakeSiteEngine{kube: kube}}
	adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}}, kube,
		func(*registry.Registry) engine.Client[site.Spec, site.Status] { return f })
	r := NewReconciler(kube, func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter),
		WithPollInterval(testPollInterval), WithNotReadyPollInterval(testNotReadyInterval),
		WithWatchedNotReadyPollInterval(testWatchedNotReadyInterval), WithPollJitter(0))
	t.Cleanup(r.StopTriggers)
	return &triggerFixture{kube: kube, engine: f, r: r, req: reconcile.Request{NamespacedName: types.NamespacedName{Name: s.Name}}}
}

func (fx *triggerFixture) reconcile(t *testing.T) reconcile.Result {
	t.Helper()
	result, err := fx.r.Reconcile(context.Background(), fx.req)
	if err != nil {
		t.Fatalf("Reconcile() error = %v", err)
	}
	return result
}

func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(testPatience):
		t.Fatalf("%s: the trigger was not stopped", what)
	}
}

// TestTriggerWakesTheReconcile checks that a signal of the engine's trigger
// becomes an event naming the managed resource, that the trigger is started
// once, and that while it runs a resource that is not Ready is polled only
// as a safety net.
func TestTriggerWakesTheReconcile(t *testing.T) {
	fx := newTriggerFixture(t, siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)))
	fx.engine.observation = engine.Observation[site.Spec, site.Status]{Exists: true, UpToDate: true, Message: "root application is Progressing"}

	if got := fx.reconcile(t); got.RequeueAfter != testWatchedNotReadyInterval {
		t.Errorf("RequeueAfter = %v while a trigger watches a resource that is not Ready, want %v", got.RequeueAfter, testWatchedNotReadyInterval)
	}
	fx.reconcile(t)
	if diff := cmp.Diff([]string{testSite}, fx.engine.ids()); diff != "" {
		t.Fatalf("triggers started (-want +got):\n%s", diff)
	}

	fx.engine.triggers()[0].signals <- struct{}{}
	select {
	case e := <-fx.r.TriggerEvents():
		if e.Object.GetName() != testSite {
			t.Errorf("the trigger event names %q, want %q", e.Object.GetName(), testSite)
		}
		if _, ok := e.Object.(*v1alpha1.Site); !ok {
			t.Errorf("the trigger event holds a %T, want a *v1alpha1.Site", e.Object)
		}
	case <-time.After(testPatience):
		t.Fatal("the trigger's signal became no event")
	}

	fx.engine.observation = existingReady
	if got := fx.reconcile(t); got.RequeueAfter != testPollInterval {
		t.Errorf("RequeueAfter = %v for a Ready resource, want the poll interval %v", got.RequeueAfter, testPollInterval)
	}
}

// TestTriggerFollowsTheManagedResource checks that the trigger is started
// again when the external name changes and stopped when the managed
// resource goes.
func TestTriggerFollowsTheManagedResource(t *testing.T) {
	ctx := context.Background()
	fx := newTriggerFixture(t, siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)))
	fx.engine.observation = existingReady
	fx.reconcile(t)

	var s v1alpha1.Site
	if err := fx.kube.Get(ctx, fx.req.NamespacedName, &s); err != nil {
		t.Fatal(err)
	}
	s.Annotations[v1alpha1.AnnotationExternalName] = "edge-2"
	if err := fx.kube.Update(ctx, &s); err != nil {
		t.Fatal(err)
	}
	fx.reconcile(t)
	started := fx.engine.triggers()
	if diff := cmp.Diff([]string{testSite, "edge-2"}, fx.engine.ids()); diff != "" {
		t.Fatalf("triggers started (-want +got):\n%s", diff)
	}
	waitDone(t, started[0].ctx, "after the external name changed")
	if err := started[1].ctx.Err(); err != nil {
		t.Fatalf("the trigger of the new external name stopped: %v", err)
	}

	// Deleting: the external resource is deleted, then found gone; the
	// finalizer goes and so does the trigger.
	if err := fx.kube.Delete(ctx, &s); err != nil {
		t.Fatal(err)
	}
	fx.reconcile(t)
	if err := started[1].ctx.Err(); err != nil {
		t.Fatalf("the trigger stopped while the external resource is being deleted: %v", err)
	}
	fx.engine.observation = engine.Observation[site.Spec, site.Status]{}
	fx.reconcile(t)
	waitDone(t, started[1].ctx, "after the managed resource was released")
	if len(fx.engine.triggers()) != 2 {
		t.Errorf("triggers started: %v, want no new one", fx.engine.ids())
	}
}

// TestTriggerStopsWhenTheResourceIsGone checks that the trigger of a
// managed resource deleted without a finalizer stops at the next reconcile,
// and that StopTriggers stops every trigger.
func TestTriggerStopsWhenTheResourceIsGone(t *testing.T) {
	ctx := context.Background()
	fx := newTriggerFixture(t, siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)))
	fx.engine.observation = existingReady
	fx.reconcile(t)
	started := fx.engine.triggers()

	var s v1alpha1.Site
	if err := fx.kube.Get(ctx, fx.req.NamespacedName, &s); err != nil {
		t.Fatal(err)
	}
	s.Finalizers = nil
	if err := fx.kube.Update(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if err := fx.kube.Delete(ctx, &s); err != nil {
		t.Fatal(err)
	}
	fx.reconcile(t)
	waitDone(t, started[0].ctx, "after the managed resource was gone")

	other := newTriggerFixture(t, siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)))
	other.engine.observation = existingReady
	other.reconcile(t)
	other.r.StopTriggers()
	waitDone(t, other.engine.triggers()[0].ctx, "after StopTriggers")
}

// TestWithoutTriggerTheResourceIsPolledSoon checks that an engine client
// without a trigger, or whose trigger has nothing to watch yet, leaves the
// not-Ready poll short, and that the trigger is tried again.
func TestWithoutTriggerTheResourceIsPolledSoon(t *testing.T) {
	fx := newTriggerFixture(t, siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)))
	fx.engine.noSource = true
	fx.engine.observation = engine.Observation[site.Spec, site.Status]{Exists: true, UpToDate: true}
	if got := fx.reconcile(t); got.RequeueAfter != testNotReadyInterval {
		t.Errorf("RequeueAfter = %v, want the not-Ready poll interval %v", got.RequeueAfter, testNotReadyInterval)
	}
	fx.engine.mu.Lock()
	fx.engine.noSource = false
	fx.engine.mu.Unlock()
	fx.reconcile(t)
	if diff := cmp.Diff([]string{testSite}, fx.engine.ids()); diff != "" {
		t.Errorf("triggers started (-want +got):\n%s", diff)
	}
}

// TestPollJitter checks that poll intervals vary within the jitter
// fraction, both ways.
func TestPollJitter(t *testing.T) {
	r := NewReconciler[site.Spec, site.Status](nil, func() Managed { return &v1alpha1.Site{} }, nil, WithPollJitter(0.2))
	const d = time.Minute
	low, high := d, d
	for range 500 {
		got := r.jitter(d)
		if got < 48*time.Second || got > 72*time.Second {
			t.Fatalf("jitter(%v) = %v, want within ±20%%", d, got)
		}
		low, high = min(low, got), max(high, got)
	}
	if low >= d || high <= d {
		t.Errorf("500 jittered intervals ranged over [%v, %v], want some below and some above %v", low, high, d)
	}
	if got := NewReconciler[site.Spec, site.Status](nil, nil, nil, WithPollJitter(0)).jitter(d); got != d {
		t.Errorf("jitter(%v) without jitter = %v", d, got)
	}
}
