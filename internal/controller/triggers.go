package controller

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Triggerer is the engine's Triggerer: engine clients of kinds backed by
// Kubernetes objects (the Cluster API objects of a cluster, the Argo CD
// Application of a site). The reconciler starts one trigger per managed
// resource and reconciles it as soon as the trigger signals, so that it
// reacts to a change within a second instead of at its next poll.
type Triggerer = engine.Triggerer

// triggerEventBuffer is how many wake-ups may wait for the controller.
const triggerEventBuffer = 256

// triggers runs the engine triggers of the managed resources of one kind and
// turns their signals into generic events for the controller's
// source.Channel. A trigger runs from the reconcile that starts it until the
// managed resource is gone, its external name changes or the controller
// stops.
type triggers struct {
	base      context.Context
	stopAll   context.CancelFunc
	events    chan event.GenericEvent
	newObject func() Managed

	mu      sync.Mutex
	running map[types.NamespacedName]*runningTrigger
}

type runningTrigger struct {
	id     string
	source Triggerer
	cancel context.CancelFunc
}

func newTriggers(newObject func() Managed) *triggers {
	base, stop := context.WithCancel(context.Background())
	return &triggers{
		base:      base,
		stopAll:   stop,
		events:    make(chan event.GenericEvent, triggerEventBuffer),
		newObject: newObject,
		running:   map[types.NamespacedName]*runningTrigger{},
	}
}

// ensure makes sure that source's trigger for id runs for the managed
// resource key, replacing one started for another id or another engine
// client, and reports whether a trigger runs. Starting a trigger may reach
// the backend, so it runs without the lock; reconciles of one managed
// resource never run at once, but those of others may.
func (t *triggers) ensure(key types.NamespacedName, id string, source Triggerer) bool {
	t.mu.Lock()
	if current, ok := t.running[key]; ok {
		if current.id == id && sameTriggerer(current.source, source) {
			t.mu.Unlock()
			return true
		}
		current.cancel()
		delete(t.running, key)
	}
	t.mu.Unlock()

	ctx, cancel := context.WithCancel(t.base)
	signals := source.Trigger(ctx, id)
	if signals == nil || ctx.Err() != nil {
		cancel()
		return false
	}
	running := &runningTrigger{id: id, source: source, cancel: cancel}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.base.Err() != nil {
		cancel()
		return false
	}
	if previous, ok := t.running[key]; ok {
		previous.cancel()
	}
	t.running[key] = running
	go t.forward(ctx, key, running, signals)
	return true
}

// forward turns each signal into a generic event naming the managed
// resource key.
func (t *triggers) forward(ctx context.Context, key types.NamespacedName, running *runningTrigger, signals <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-signals:
			if !ok {
				// The trigger gave up: forget it, so that the next
				// reconcile starts it again.
				t.mu.Lock()
				if t.running[key] == running {
					running.cancel()
					delete(t.running, key)
				}
				t.mu.Unlock()
				return
			}
			obj := t.newObject()
			obj.SetName(key.Name)
			obj.SetNamespace(key.Namespace)
			select {
			case t.events <- event.GenericEvent{Object: obj}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// stop ends the trigger of the managed resource key, if one runs.
func (t *triggers) stop(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if current, ok := t.running[key]; ok {
		current.cancel()
		delete(t.running, key)
	}
}

// watching reports whether a trigger runs for the managed resource key.
func (t *triggers) watching(key types.NamespacedName) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.running[key]
	return ok
}

// close ends every trigger; none starts afterwards.
func (t *triggers) close() {
	t.stopAll()
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.running)
}

// sameTriggerer reports whether a and b are the same engine client. Engine
// clients are cached per ProviderConfig, so a new client means new
// credentials and the trigger must be started again. Clients that cannot be
// compared are taken for the same.
func sameTriggerer(a, b Triggerer) (same bool) {
	defer func() {
		if recover() != nil {
			same = true
		}
	}()
	return a == b
}
