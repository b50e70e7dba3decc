package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// notifyingRelease is a Helm release engine whose release exists and is
// observed as obs; it records the notices it is asked to send.
type notifyingRelease struct {
	obs  engine.Observation[helmrelease.Spec, helmrelease.Status]
	sent []string
}

func (f *notifyingRelease) Observe(context.Context, string, helmrelease.Spec) (engine.Observation[helmrelease.Spec, helmrelease.Status], error) {
	return f.obs, nil
}
func (f *notifyingRelease) Create(_ context.Context, s helmrelease.Spec) (string, error) {
	return s.ID(), nil
}
func (f *notifyingRelease) Update(context.Context, string, helmrelease.Spec) error { return nil }
func (f *notifyingRelease) Delete(context.Context, string) error                   { return nil }
func (f *notifyingRelease) Notice(id string, want helmrelease.Spec, obs engine.Observation[helmrelease.Spec, helmrelease.Status], waitErr error) (notify.Notice, bool) {
	return gitops.SyncNotice(helmrelease.NoticeKind, id, want.Site, obs.Status.Commit, waitErr, nil)
}
func (f *notifyingRelease) Notify(_ context.Context, want helmrelease.Spec, n notify.Notice) error {
	for _, ch := range want.Notify {
		f.sent = append(f.sent, ch+":"+n.Event)
	}
	return nil
}

// TestReconcileNotifiesSyncOncePerRevision checks that the controller
// records SyncSucceeded and SyncFailed events and sends each outcome at each
// revision once, however often it observes it.
func TestReconcileNotifiesSyncOncePerRevision(t *testing.T) {
	ctx := context.Background()
	hr := &v1alpha1.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "hello"},
		Spec: v1alpha1.HelmReleaseSpec{ForProvider: v1alpha1.HelmReleaseParameters{
			Site: "site-b", Cluster: "wl", Namespace: "hello", RepoURL: "https://charts.example.com", Chart: "hello", Version: "1.0.0",
			Notify: []string{"team"},
		}},
	}
	hr.SetAnnotations(map[string]string{v1alpha1.AnnotationExternalName: "site-b/wl/hello/hello"})
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(defaultProviderConfig(), hr).
		WithStatusSubresource(&v1alpha1.HelmRelease{}).Build()
	f := &notifyingRelease{}
	recorder := events.NewFakeRecorder(20)
	adapter := NewHelmReleaseAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}},
		func(*registry.Registry) engine.Client[helmrelease.Spec, helmrelease.Status] { return f })
	r := NewReconciler(kube, func() Managed { return &v1alpha1.HelmRelease{} }, Adapter[helmrelease.Spec, helmrelease.Status](adapter),
		WithEventRecorder(recorder), WithPollJitter(0))
	observe := func(obs engine.Observation[helmrelease.Spec, helmrelease.Status]) {
		t.Helper()
		f.obs = obs
		if _, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Name: "hello"}}); err != nil {
			t.Fatalf("Reconcile() error = %v", err)
		}
	}
	synced := func(commit string) engine.Observation[helmrelease.Spec, helmrelease.Status] {
		return engine.Observation[helmrelease.Spec, helmrelease.Status]{Exists: true, Ready: true, UpToDate: true, Status: helmrelease.Status{Commit: commit}}
	}
	progressing := engine.Observation[helmrelease.Spec, helmrelease.Status]{Exists: true, UpToDate: true, Status: helmrelease.Status{Commit: "c2"}}
	failed := progressing
	failed.Failed = engine.Terminal("sync failed: template: noSuchFunction")

	observe(progressing) // not done yet: nothing
	observe(synced("c1"))
	observe(synced("c1")) // the same revision again: nothing new
	observe(progressing)
	observe(failed)
	observe(failed)
	observe(synced("c2"))

	if diff := cmp.Diff([]string{"team:sync_succeeded", "team:sync_failed", "team:sync_succeeded"}, f.sent); diff != "" {
		t.Errorf("notices sent (-want +got):\n%s", diff)
	}
	close(recorder.Events)
	var got []string
	for e := range recorder.Events {
		got = append(got, e)
	}
	var reasons []string
	for _, e := range eventReasons(got) {
		if e != "Normal "+EventReasonCreated && e != "Normal "+EventReasonUpdated {
			reasons = append(reasons, e)
		}
	}
	want := []string{"Normal " + EventReasonSyncSucceeded, "Warning " + EventReasonSyncFailed, "Normal " + EventReasonSyncSucceeded}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("events (-want +got):\n%s\nall: %v", diff, got)
	}
}
