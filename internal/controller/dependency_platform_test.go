//go:build platform

package controller

// Integration test of what the controller does when a Cluster's site cannot
// be read: the Cluster keeps its finalizer, even while it is being deleted,
// Synced turns False with a message that names the site, and the Cluster
// API objects stay. Restoring the site's record lets the deletion finish.

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

func TestClusterIntegration_siteNotRegistered(t *testing.T) {
	e := startClusterController(t)
	ctx := context.Background()
	name := "ctrl-dep-" + e.suffix
	id := e.site + "/" + e.namespace + "/" + name
	if err := e.kube.Create(ctx, &v1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ClusterSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: e.providerConfig}},
			ForProvider: v1alpha1.ClusterParameters{
				Site: e.site, Namespace: e.namespace, KubernetesVersion: "v1.36.0",
				Infrastructure: v1alpha1.ClusterInfrastructureInMemory,
				WorkerPools:    []v1alpha1.ClusterWorkerPool{{Name: "workers", Replicas: 1}},
			},
		},
	}); err != nil {
		t.Fatalf("cannot create Cluster: %v", err)
	}
	t.Cleanup(func() { // in case the test stops before the Cluster is gone
		_ = e.kube.Delete(context.Background(), &v1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}})
	})
	// Created: the external name is recorded and the Cluster API objects exist.
	e.waitCluster(t, name, "created", func(c *v1alpha1.Cluster) bool {
		return c.Annotations[v1alpha1.AnnotationExternalName] == id && e.capiCluster(t, name) != nil
	})

	// The site's record goes behind the controller's back; it comes back
	// when the test ends, whatever happens, so that the site can go.
	records := e.kube
	var record corev1.Secret
	key := client.ObjectKey{Namespace: e.platform.Namespace, Name: registry.RecordName(e.site)}
	if err := records.Get(ctx, key, &record); err != nil {
		t.Fatalf("cannot read the record of site %s: %v", e.site, err)
	}
	restore := func() {
		again := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: record.Name, Namespace: record.Namespace, Labels: record.Labels}, Type: record.Type, Data: record.Data}
		if err := records.Create(context.Background(), again); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Errorf("cannot restore the record of site %s: %v", e.site, err)
		}
	}
	t.Cleanup(restore)
	if err := records.Delete(ctx, &record); err != nil {
		t.Fatalf("cannot delete the record of site %s: %v", e.site, err)
	}
	siteMessage := `site "` + e.site + `" is not registered in namespace "` + e.platform.Namespace + `"`
	notSynced := func(c *v1alpha1.Cluster) bool {
		sy := c.Status.GetCondition(v1alpha1.TypeSynced)
		return sy.Status == corev1.ConditionFalse && strings.Contains(sy.Message, siteMessage)
	}
	e.waitCluster(t, name, "not Synced, naming the site", notSynced)

	// Deleting the Cluster now must not let it go: its cluster may still
	// run. Ready says Deleting once a reconcile of the deletion has run.
	if err := e.kube.Delete(ctx, &v1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	c := e.waitCluster(t, name, "refusing to forget its cluster", func(c *v1alpha1.Cluster) bool {
		return c.DeletionTimestamp != nil && c.Status.GetCondition(v1alpha1.TypeReady).Reason == v1alpha1.ReasonDeleting && notSynced(c)
	})
	if !controllerutil.ContainsFinalizer(c, v1alpha1.Finalizer) {
		t.Errorf("the Cluster lost its finalizer while its site was not registered: %v", c.Finalizers)
	}
	t.Logf("while the site is not registered: %s", c.Status.GetCondition(v1alpha1.TypeSynced).Message)
	if u := e.capiCluster(t, name); u == nil || u.GetDeletionTimestamp() != nil {
		t.Fatalf("the Cluster API Cluster was deleted while its site was not registered: %v", u)
	}

	// With the record back, the deletion goes through.
	restore()
	e.waitClusterGone(t, name)
	if u := e.capiCluster(t, name); u != nil {
		t.Errorf("the Cluster is gone but its Cluster API Cluster is not (deletion timestamp %v)", u.GetDeletionTimestamp())
	}
}
