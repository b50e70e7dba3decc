package registry

import (
	"context"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// snapshotDynamic is a dynamic client whose plain GETs and lists by label
// in a refresh are served from one LIST per resource and namespace (see
// BatchLookups). Every other call goes to the API server; a write marks its
// object as written, so that this process reads it directly from then on.
type snapshotDynamic struct {
	dynamic.Interface
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	snapshots map[snapshotKey]*snapshot[*unstructured.Unstructured]
}

// snapshotKey is a resource in a namespace ("" for cluster-scoped ones).
type snapshotKey struct {
	gvr       schema.GroupVersionResource
	namespace string
}

func newSnapshotDynamic(dc dynamic.Interface, ttl time.Duration, now func() time.Time) *snapshotDynamic {
	return &snapshotDynamic{Interface: dc, ttl: ttl, now: now, snapshots: map[snapshotKey]*snapshot[*unstructured.Unstructured]{}}
}

func (d *snapshotDynamic) snapshotOf(key snapshotKey) *snapshot[*unstructured.Unstructured] {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.snapshots[key]
	if !ok {
		s = newSnapshot[*unstructured.Unstructured](d.ttl, d.now)
		d.snapshots[key] = s
	}
	return s
}

// Resource returns the client of gvr, cluster-wide or, with Namespace, in
// one namespace.
func (d *snapshotDynamic) Resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	res := d.Interface.Resource(gvr)
	return &snapshotNamespaceable{snapshotResource: snapshotResource{ResourceInterface: res, d: d, key: snapshotKey{gvr: gvr}}, res: res}
}

type snapshotNamespaceable struct {
	snapshotResource
	res dynamic.NamespaceableResourceInterface
}

func (n *snapshotNamespaceable) Namespace(ns string) dynamic.ResourceInterface {
	return &snapshotResource{ResourceInterface: n.res.Namespace(ns), d: n.d, key: snapshotKey{gvr: n.key.gvr, namespace: ns}}
}

// snapshotResource is the client of one resource in one namespace.
type snapshotResource struct {
	dynamic.ResourceInterface
	d   *snapshotDynamic
	key snapshotKey
}

// Get serves a plain GET of a refresh from the snapshot; the object
// returned is a copy the caller may change.
func (r *snapshotResource) Get(ctx context.Context, name string, opts metav1.GetOptions, subresources ...string) (*unstructured.Unstructured, error) {
	if !engine.IsRefresh(ctx) || len(subresources) > 0 || opts.ResourceVersion != "" {
		return r.ResourceInterface.Get(ctx, name, opts, subresources...)
	}
	u, found, ok, err := r.d.snapshotOf(r.key).get(ctx, name, r.listAll)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return r.ResourceInterface.Get(ctx, name, opts, subresources...)
	case !found:
		return nil, apierrors.NewNotFound(r.key.gvr.GroupResource(), name)
	}
	return u.DeepCopy(), nil
}

// List serves a refresh's list by label selector from the snapshot; any
// other list (by field, by resource version, paged) goes to the API server.
func (r *snapshotResource) List(ctx context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	plain := opts.FieldSelector == "" && opts.ResourceVersion == "" && opts.Limit == 0 && opts.Continue == "" && !opts.Watch
	if !engine.IsRefresh(ctx) || !plain {
		return r.ResourceInterface.List(ctx, opts)
	}
	selector, err := labels.Parse(opts.LabelSelector)
	if err != nil {
		return r.ResourceInterface.List(ctx, opts)
	}
	items, ok, err := r.d.snapshotOf(r.key).all(ctx, r.listAll)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return r.ResourceInterface.List(ctx, opts)
	}
	names := make([]string, 0, len(items))
	for name, u := range items {
		if selector.Matches(labels.Set(u.GetLabels())) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": r.key.gvr.GroupVersion().String(), "kind": "List"}}
	for _, name := range names {
		out.Items = append(out.Items, *items[name].DeepCopy())
	}
	return out, nil
}

// listAll lists every object of the resource in the namespace, by name.
func (r *snapshotResource) listAll(ctx context.Context) (map[string]*unstructured.Unstructured, error) {
	l, err := r.ResourceInterface.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	items := make(map[string]*unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		items[l.Items[i].GetName()] = &l.Items[i]
	}
	return items, nil
}

func (r *snapshotResource) wrote(name string) { r.d.snapshotOf(r.key).wrote(name) }

func (r *snapshotResource) Create(ctx context.Context, obj *unstructured.Unstructured, opts metav1.CreateOptions, subresources ...string) (*unstructured.Unstructured, error) {
	r.wrote(obj.GetName())
	return r.ResourceInterface.Create(ctx, obj, opts, subresources...)
}

func (r *snapshotResource) Update(ctx context.Context, obj *unstructured.Unstructured, opts metav1.UpdateOptions, subresources ...string) (*unstructured.Unstructured, error) {
	r.wrote(obj.GetName())
	return r.ResourceInterface.Update(ctx, obj, opts, subresources...)
}

func (r *snapshotResource) UpdateStatus(ctx context.Context, obj *unstructured.Unstructured, opts metav1.UpdateOptions) (*unstructured.Unstructured, error) {
	r.wrote(obj.GetName())
	return r.ResourceInterface.UpdateStatus(ctx, obj, opts)
}

func (r *snapshotResource) Delete(ctx context.Context, name string, opts metav1.DeleteOptions, subresources ...string) error {
	r.wrote(name)
	return r.ResourceInterface.Delete(ctx, name, opts, subresources...)
}

func (r *snapshotResource) DeleteCollection(ctx context.Context, opts metav1.DeleteOptions, listOpts metav1.ListOptions) error {
	// Which objects go is not known here: the whole resource is read
	// directly from then on.
	r.d.mu.Lock()
	s := newSnapshot[*unstructured.Unstructured](r.d.ttl, r.d.now)
	s.unusable = true
	r.d.snapshots[r.key] = s
	r.d.mu.Unlock()
	return r.ResourceInterface.DeleteCollection(ctx, opts, listOpts)
}

func (r *snapshotResource) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (*unstructured.Unstructured, error) {
	r.wrote(name)
	return r.ResourceInterface.Patch(ctx, name, pt, data, opts, subresources...)
}

func (r *snapshotResource) Apply(ctx context.Context, name string, obj *unstructured.Unstructured, opts metav1.ApplyOptions, subresources ...string) (*unstructured.Unstructured, error) {
	r.wrote(name)
	return r.ResourceInterface.Apply(ctx, name, obj, opts, subresources...)
}

func (r *snapshotResource) ApplyStatus(ctx context.Context, name string, obj *unstructured.Unstructured, opts metav1.ApplyOptions) (*unstructured.Unstructured, error) {
	r.wrote(name)
	return r.ResourceInterface.ApplyStatus(ctx, name, obj, opts)
}
