package kube

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Watched names one kind of object to watch, optionally one object by name
// or a set by label selector.
type Watched struct {
	GVR           schema.GroupVersionResource
	Namespace     string
	Name          string
	LabelSelector string
}

// Trigger watches the given objects until ctx ends and signals on the
// returned channel whenever one of them changes. The channel holds at most
// one pending signal, so a burst of events costs one observation. Broken
// watches are re-established; engine.Wait keeps polling as a safety net.
func Trigger(ctx context.Context, dc dynamic.Interface, watched ...Watched) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	for _, w := range watched {
		go func(w Watched) {
			opts := metav1.ListOptions{LabelSelector: w.LabelSelector}
			if w.Name != "" {
				opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", w.Name).String()
			}
			for ctx.Err() == nil {
				wi, err := dc.Resource(w.GVR).Namespace(w.Namespace).Watch(ctx, opts)
				if err != nil {
					select {
					case <-ctx.Done():
						return
					case <-time.After(time.Second):
					}
					continue
				}
				for range wi.ResultChan() {
					signal()
				}
				wi.Stop()
			}
		}(w)
	}
	return out
}
