package capitemplates

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// TopologyMachineDeployment reads the MachineDeployment the topology
// controller made for entry name of topology cluster ns/cluster.
func TopologyMachineDeployment(ctx context.Context, dc dynamic.Interface, ns, cluster, name string) (*unstructured.Unstructured, error) {
	l, err := dc.Resource(clusterv1.GroupVersion.WithResource("machinedeployments")).Namespace(ns).List(ctx, metav1.ListOptions{
		LabelSelector: clusterv1.ClusterNameLabel + "=" + cluster + "," + clusterv1.ClusterTopologyMachineDeploymentNameLabel + "=" + name,
	})
	if err != nil {
		return nil, err
	}
	if len(l.Items) != 1 {
		return nil, fmt.Errorf("%d MachineDeployments of topology entry %s of cluster %s/%s, want 1", len(l.Items), name, ns, cluster)
	}
	return &l.Items[0], nil
}

// ReplicasHold watches the MachineDeployment md (as just read) until the
// deadline and returns an error as soon as its spec.replicas is not want:
// the deadline passing with the value unchanged is success. It is a bounded
// observation, not a sleep: every change to the object is checked as it
// happens.
func ReplicasHold(ctx context.Context, dc dynamic.Interface, md *unstructured.Unstructured, want int64, deadline time.Time) error {
	check := func(u *unstructured.Unstructured) error {
		got, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
		if got != want {
			return fmt.Errorf("MachineDeployment %s/%s has spec.replicas %d, want %d (generation %d)", u.GetNamespace(), u.GetName(), got, want, u.GetGeneration())
		}
		return nil
	}
	if err := check(md); err != nil {
		return err
	}
	mds := dc.Resource(clusterv1.GroupVersion.WithResource("machinedeployments")).Namespace(md.GetNamespace())
	// finalCheck reads the object once more when the deadline has passed
	// before the watch could start (a slow machine reaches the deadline while
	// the caller was still waiting for other things).
	finalCheck := func(ctx context.Context) error {
		u, err := mds.Get(ctx, md.GetName(), metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("cannot get MachineDeployment %s/%s: %w", md.GetNamespace(), md.GetName(), err)
		}
		return check(u)
	}
	if !time.Now().Before(deadline) {
		return finalCheck(ctx)
	}
	parent := ctx
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	w, err := mds.Watch(ctx, metav1.ListOptions{
		FieldSelector: "metadata.name=" + md.GetName(), ResourceVersion: md.GetResourceVersion(),
	})
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
			return finalCheck(parent)
		}
		return fmt.Errorf("cannot watch MachineDeployment %s/%s: %w", md.GetNamespace(), md.GetName(), err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil
			}
			return ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				if time.Now().Before(deadline) {
					// The API server ends watches on its own; start over from
					// the current object.
					u, err := dc.Resource(clusterv1.GroupVersion.WithResource("machinedeployments")).Namespace(md.GetNamespace()).Get(ctx, md.GetName(), metav1.GetOptions{})
					if err != nil {
						if errors.Is(ctx.Err(), context.DeadlineExceeded) {
							return nil
						}
						return err
					}
					return ReplicasHold(ctx, dc, u, want, deadline)
				}
				return nil
			}
			switch ev.Type {
			case watch.Deleted:
				return fmt.Errorf("MachineDeployment %s/%s was deleted", md.GetNamespace(), md.GetName())
			case watch.Added, watch.Modified:
				if err := check(ev.Object.(*unstructured.Unstructured)); err != nil {
					return err
				}
			}
		}
	}
}

// WaitTopologyReconciled waits, with a watch, until the Cluster ns/name's
// TopologyReconciled condition is True at generation or later: the
// topology controller has reconciled that generation of the Cluster.
func WaitTopologyReconciled(ctx context.Context, dc dynamic.Interface, ns, name string, generation int64) error {
	clusters := dc.Resource(clusterv1.GroupVersion.WithResource("clusters")).Namespace(ns)
	done := func(u *unstructured.Unstructured) bool {
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			g, _ := m["observedGeneration"].(int64)
			if m["type"] == clusterv1.ClusterTopologyReconciledCondition && m["status"] == "True" && g >= generation {
				return true
			}
		}
		return false
	}
	for {
		u, err := clusters.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if done(u) {
			return nil
		}
		w, err := clusters.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name, ResourceVersion: u.GetResourceVersion()})
		if err != nil {
			return err
		}
		for ev := range w.ResultChan() {
			if u, ok := ev.Object.(*unstructured.Unstructured); ok && done(u) {
				w.Stop()
				return nil
			}
		}
		w.Stop()
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("Cluster %s/%s: TopologyReconciled not True at generation %d: %w", ns, name, generation, err)
		}
	}
}

// PokeTopology gives md-entry name of topology cluster ns/cluster a new
// annotation (in spec.topology, so the Cluster gets a new generation),
// which makes the topology controller reconcile the Cluster again, and
// waits until it has. A scale made on the MachineDeployment alone would be
// undone by that reconcile; one made in spec.topology stays.
func PokeTopology(ctx context.Context, dc dynamic.Interface, ns, cluster, name, value string) error {
	clusters := dc.Resource(clusterv1.GroupVersion.WithResource("clusters")).Namespace(ns)
	var updated *unstructured.Unstructured
	// Cluster API writes the Cluster too: an update that lost the race is
	// made again on the latest version.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := clusters.Get(ctx, cluster, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mds, _, _ := unstructured.NestedSlice(u.Object, "spec", "topology", "workers", "machineDeployments")
		found := false
		for _, md := range mds {
			m, _ := md.(map[string]any)
			if m["name"] == name {
				found = true
				_ = unstructured.SetNestedField(m, value, "metadata", "annotations", "mc.mcplatform.dev/test-poke")
			}
		}
		if !found {
			return fmt.Errorf("Cluster %s/%s has no topology entry %s", ns, cluster, name)
		}
		if err := unstructured.SetNestedSlice(u.Object, mds, "spec", "topology", "workers", "machineDeployments"); err != nil {
			return err
		}
		updated, err = clusters.Update(ctx, u, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("cannot annotate topology entry %s of Cluster %s/%s: %w", name, ns, cluster, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return WaitTopologyReconciled(ctx, dc, ns, cluster, updated.GetGeneration())
}

// WaitMachineDeploymentObserved waits until the MachineDeployment of
// topology entry name of cluster ns/cluster has been reconciled at its
// current generation (status.observedGeneration), so that a change such as
// PokeTopology's has settled.
func WaitMachineDeploymentObserved(ctx context.Context, dc dynamic.Interface, ns, cluster, name string) error {
	return wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		md, err := TopologyMachineDeployment(ctx, dc, ns, cluster, name)
		if err != nil {
			return false, err
		}
		observed, _, _ := unstructured.NestedInt64(md.Object, "status", "observedGeneration")
		return observed >= md.GetGeneration(), nil
	})
}
