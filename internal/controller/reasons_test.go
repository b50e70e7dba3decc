package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// missingSite is the error an engine returns when the site record a
// resource depends on cannot be read.
func missingSite() error {
	return fmt.Errorf("cannot connect to site %q: %w", testSite, &engine.DependencyError{
		Kind: "site", Name: testSite, Reason: "is not registered in namespace mc-system",
		Hint: "create the site again, or point the provider at the namespace that holds it",
		Err:  engine.ErrNotFound,
	})
}

// reconcileSiteOnce runs one Reconcile of site against the fake engine f
// and returns the events recorded, the stored Site (nil when it is gone)
// and Reconcile's error.
func reconcileSiteOnce(t *testing.T, s *v1alpha1.Site, objects []client.Object, f *fakeSiteEngine) ([]string, *v1alpha1.Site, error) {
	t.Helper()
	ctx := context.Background()
	if objects == nil {
		objects = []client.Object{defaultProviderConfig()}
	}
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(append(objects, s)...).
		WithStatusSubresource(&v1alpha1.Site{}).Build()
	f.kube = kube
	recorder := events.NewFakeRecorder(10)
	adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}}, kube,
		func(*registry.Registry) engine.Client[site.Spec, site.Status] { return f })
	r := NewReconciler(kube, func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter),
		WithEventRecorder(recorder), WithPollJitter(0))
	_, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Name: testSite}})
	close(recorder.Events)
	var recorded []string
	for e := range recorder.Events {
		recorded = append(recorded, e)
	}
	var stored v1alpha1.Site
	if getErr := kube.Get(ctx, types.NamespacedName{Name: testSite}, &stored); getErr != nil {
		return recorded, nil, err
	}
	return recorded, &stored, err
}

// eventReasons returns the type and reason of each recorded event.
func eventReasons(recorded []string) []string {
	var out []string
	for _, e := range recorded {
		fields := strings.SplitN(e, " ", 3)
		out = append(out, fields[0]+" "+fields[1])
	}
	return out
}

// TestReconcileFailureReasons checks that each failing step records a
// Warning event with its stable reason and sets Synced=False with the
// reason of the condition.
func TestReconcileFailureReasons(t *testing.T) {
	gitSecretRef := func(s *v1alpha1.Site) {
		s.Spec.ForProvider.GitOps = &v1alpha1.GitOpsParameters{RepoURL: "http://git/x.git", Path: "apps",
			PasswordSecretRef: &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "git", Key: "password"}}
	}
	exists := engine.Observation[site.Spec, site.Status]{Exists: true, Ready: true}
	cases := []struct {
		name    string
		site    *v1alpha1.Site
		objects []client.Object
		engine  fakeSiteEngine
		// wantRetried tells whether the error is returned for a
		// rate-limited retry with backoff.
		wantRetried bool
		wantEvents  []string
		wantSynced  v1alpha1.ConditionReason
	}{
		{
			name:        "the ProviderConfig cannot be read",
			site:        siteObject(withFinalizer),
			objects:     []client.Object{},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotConnect},
			wantSynced:  v1alpha1.ReasonReconcileError,
		},
		{
			name:        "a Secret spec.forProvider references cannot be read",
			site:        siteObject(withFinalizer, gitSecretRef),
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotBuildSpec},
			wantSynced:  v1alpha1.ReasonReconcileError,
		},
		{
			name:        "Observe fails",
			site:        siteObject(withFinalizer),
			engine:      fakeSiteEngine{observeErr: errors.New("connection refused")},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotObserve},
			wantSynced:  v1alpha1.ReasonReconcileError,
		},
		{
			name:        "Observe cannot read a dependency",
			site:        siteObject(withFinalizer),
			engine:      fakeSiteEngine{observeErr: missingSite()},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotObserve},
			wantSynced:  v1alpha1.ReasonDependencyUnavailable,
		},
		{
			name:        "Create fails",
			site:        siteObject(withFinalizer),
			engine:      fakeSiteEngine{createErr: errors.New("management cluster unreachable")},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotCreate},
			wantSynced:  v1alpha1.ReasonReconcileError,
		},
		{
			name:       "Create rejects the input",
			site:       siteObject(withFinalizer),
			engine:     fakeSiteEngine{createErr: engine.InvalidInput("gitops.repo_url", "the repository does not exist")},
			wantEvents: []string{"Warning " + EventReasonCannotCreate},
			wantSynced: v1alpha1.ReasonReconcileError,
		},
		{
			name:        "Create cannot read a dependency",
			site:        siteObject(withFinalizer),
			engine:      fakeSiteEngine{createErr: missingSite()},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotCreate},
			wantSynced:  v1alpha1.ReasonDependencyUnavailable,
		},
		{
			name:       "the external resource is missing and managementPolicies do not allow Create",
			site:       siteObject(withFinalizer, withPolicies(v1alpha1.ManagementActionObserve)),
			wantEvents: []string{"Warning " + EventReasonCannotCreate},
			wantSynced: v1alpha1.ReasonReconcileError,
		},
		{
			name:       "managementPolicies do not include Observe",
			site:       siteObject(withFinalizer, withPolicies(v1alpha1.ManagementActionCreate)),
			wantEvents: []string{"Warning " + EventReasonReconcileError},
			wantSynced: v1alpha1.ReasonReconcileError,
		},
		{
			name:        "Update fails",
			site:        siteObject(withFinalizer),
			engine:      fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{Exists: true}, updateErr: errors.New("conflict")},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotUpdate},
			wantSynced:  v1alpha1.ReasonReconcileError,
		},
		{
			name:        "Delete fails",
			site:        siteObject(beingDeleted),
			engine:      fakeSiteEngine{observation: exists, deleteErr: errors.New("root application still has resources")},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotDelete},
			wantSynced:  v1alpha1.ReasonReconcileError,
		},
		{
			name:        "the ProviderConfig cannot be read while deleting",
			site:        siteObject(beingDeleted),
			objects:     []client.Object{},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotConnect},
			wantSynced:  v1alpha1.ReasonReconcileError,
		},
		{
			name:        "Observe cannot read a dependency while deleting",
			site:        siteObject(beingDeleted),
			engine:      fakeSiteEngine{observeErr: missingSite()},
			wantRetried: true,
			wantEvents:  []string{"Warning " + EventReasonCannotObserve},
			wantSynced:  v1alpha1.ReasonDependencyUnavailable,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.engine
			recorded, stored, err := reconcileSiteOnce(t, tc.site, tc.objects, &f)
			if stored == nil {
				t.Fatal("the Site is gone, want it kept with its finalizer")
			}
			if retried := err != nil; retried != tc.wantRetried {
				t.Errorf("Reconcile() error = %v, want retried with backoff: %t", err, tc.wantRetried)
			}
			if diff := cmp.Diff(tc.wantEvents, eventReasons(recorded)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			synced := stored.Status.GetCondition(v1alpha1.TypeSynced)
			if synced.Status != corev1.ConditionFalse || synced.Reason != tc.wantSynced {
				t.Errorf("Synced = %s/%s, want False/%s", synced.Status, synced.Reason, tc.wantSynced)
			}
			if diff := cmp.Diff([]string{v1alpha1.Finalizer}, stored.Finalizers); diff != "" {
				t.Errorf("finalizers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReconcileSuccessReasons checks the Normal events of the steps that
// change the external resource.
func TestReconcileSuccessReasons(t *testing.T) {
	cases := []struct {
		name   string
		site   *v1alpha1.Site
		engine fakeSiteEngine
		want   []string
	}{
		{name: "Create", site: siteObject(), want: []string{"Normal " + EventReasonCreated}},
		{name: "Update", site: siteObject(withFinalizer), engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{Exists: true}},
			want: []string{"Normal " + EventReasonUpdated}},
		{name: "Delete", site: siteObject(beingDeleted), engine: fakeSiteEngine{observation: existingReady},
			want: []string{"Normal " + EventReasonDeleted}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.engine
			recorded, _, _ := reconcileSiteOnce(t, tc.site, nil, &f)
			if diff := cmp.Diff(tc.want, eventReasons(recorded)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReconcileDependencyUnavailable checks that a dependency that cannot
// be read never releases the external resource: nothing is created or
// deleted, the finalizer stays and Synced says why, with the dependency's
// own message.
func TestReconcileDependencyUnavailable(t *testing.T) {
	want := `cannot observe external resource "edge-1": cannot connect to site "edge-1": site "edge-1" is not registered in namespace mc-system: ` +
		`create the site again, or point the provider at the namespace that holds it`
	cases := []struct {
		name      string
		site      *v1alpha1.Site
		wantReady v1alpha1.ConditionReason
	}{
		{name: "while the Site exists", site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite),
			withConditions(ready(v1alpha1.Available()), synced()))},
		{name: "while the Site is being deleted", site: siteObject(beingDeleted, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			wantReady: v1alpha1.ReasonDeleting},
		{name: "while the Site is being deleted before its external name was recorded",
			site: siteObject(beingDeleted), wantReady: v1alpha1.ReasonDeleting},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSiteEngine{observeErr: missingSite()}
			_, stored, err := reconcileSiteOnce(t, tc.site, nil, f)
			if err == nil {
				t.Fatal("Reconcile() returned no error, want the dependency error for a retry with backoff")
			}
			if _, ok := engine.AsDependency(err); !ok {
				t.Errorf("Reconcile() error = %v, want it to wrap the *engine.DependencyError", err)
			}
			if diff := cmp.Diff([]string{"Observe edge-1"}, f.calls); diff != "" {
				t.Errorf("engine calls (-want +got):\n%s", diff)
			}
			if stored == nil {
				t.Fatal("the Site is gone: its finalizer was removed although the external resource may exist")
			}
			if diff := cmp.Diff([]string{v1alpha1.Finalizer}, stored.Finalizers); diff != "" {
				t.Errorf("finalizers (-want +got):\n%s", diff)
			}
			synced := stored.Status.GetCondition(v1alpha1.TypeSynced)
			synced.LastTransitionTime = metav1.Time{}
			wantSynced := v1alpha1.DependencyUnavailable(errors.New(want))
			wantSynced.ObservedGeneration = 3
			if diff := cmp.Diff(wantSynced, synced); diff != "" {
				t.Errorf("Synced (-want +got):\n%s", diff)
			}
			readyReason := v1alpha1.ReasonAvailable
			if tc.wantReady != "" {
				readyReason = tc.wantReady
			}
			if got := stored.Status.GetCondition(v1alpha1.TypeReady).Reason; got != readyReason {
				t.Errorf("Ready reason = %s, want %s", got, readyReason)
			}
		})
	}
}
