package controller

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

const (
	testSite             = "edge-1"
	testPollInterval     = 3 * time.Minute
	testNotReadyInterval = 7 * time.Second
)

var testNow = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// fakeSiteEngine is an engine.Client for sites that records its calls and
// answers what the test says.
type fakeSiteEngine struct {
	kube client.Client

	observation engine.Observation[site.Spec, site.Status]
	observeErr  error
	createErr   error
	updateErr   error
	deleteErr   error

	calls []string
	// annotationsAtCreate are the Site's stored annotations when Create ran.
	annotationsAtCreate map[string]string
}

func (f *fakeSiteEngine) Observe(_ context.Context, id string, _ site.Spec) (engine.Observation[site.Spec, site.Status], error) {
	f.calls = append(f.calls, "Observe "+id)
	return f.observation, f.observeErr
}

func (f *fakeSiteEngine) Create(ctx context.Context, want site.Spec) (string, error) {
	f.calls = append(f.calls, "Create "+want.Name)
	var stored v1alpha1.Site
	if err := f.kube.Get(ctx, types.NamespacedName{Name: want.Name}, &stored); err == nil {
		f.annotationsAtCreate = stored.GetAnnotations()
	}
	if f.createErr != nil {
		return "", f.createErr
	}
	return want.Name, nil
}

func (f *fakeSiteEngine) Update(_ context.Context, id string, _ site.Spec) error {
	f.calls = append(f.calls, "Update "+id)
	return f.updateErr
}

func (f *fakeSiteEngine) Delete(_ context.Context, id string) error {
	f.calls = append(f.calls, "Delete "+id)
	return f.deleteErr
}

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func defaultProviderConfig() *v1alpha1.ProviderConfig {
	return &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.DefaultProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   v1alpha1.DefaultRegistryNamespace,
		},
	}
}

// siteObject is a Site as the API server would store it after defaulting.
func siteObject(mutate ...func(*v1alpha1.Site)) *v1alpha1.Site {
	s := &v1alpha1.Site{
		ObjectMeta: metav1.ObjectMeta{Name: testSite, Generation: 3},
		Spec: v1alpha1.SiteSpec{
			ResourceSpec: v1alpha1.ResourceSpec{
				DeletionPolicy:          v1alpha1.DeletionDelete,
				ManagementPolicies:      v1alpha1.ManagementPolicies{v1alpha1.ManagementActionAll},
				ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: v1alpha1.DefaultProviderConfigName},
			},
			ForProvider: v1alpha1.SiteParameters{
				Description: "edge site",
				ArgoCD:      v1alpha1.ArgoCDParameters{Namespace: "argocd", Destination: "in-cluster"},
			},
		},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func withFinalizer(s *v1alpha1.Site) { s.Finalizers = []string{v1alpha1.Finalizer} }

func withAnnotations(kv ...string) func(*v1alpha1.Site) {
	return func(s *v1alpha1.Site) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			s.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func withPolicies(actions ...v1alpha1.ManagementAction) func(*v1alpha1.Site) {
	return func(s *v1alpha1.Site) { s.Spec.ManagementPolicies = actions }
}

func withDeletionPolicy(p v1alpha1.DeletionPolicy) func(*v1alpha1.Site) {
	return func(s *v1alpha1.Site) { s.Spec.DeletionPolicy = p }
}

func beingDeleted(s *v1alpha1.Site) {
	now := metav1.NewTime(testNow)
	s.DeletionTimestamp = &now
	withFinalizer(s)
}

func withConditions(conditions ...v1alpha1.Condition) func(*v1alpha1.Site) {
	return func(s *v1alpha1.Site) {
		for _, c := range conditions {
			c.LastTransitionTime = metav1.NewTime(testNow)
			s.Status.Conditions = append(s.Status.Conditions, c)
		}
	}
}

// synced returns Synced=True for the test generation.
func synced() v1alpha1.Condition {
	c := v1alpha1.ReconcileSuccess()
	c.ObservedGeneration = 3
	return c
}

func syncError(message string) v1alpha1.Condition {
	c := v1alpha1.ReconcileError(errors.New(message))
	c.ObservedGeneration = 3
	return c
}

func ready(c v1alpha1.Condition) v1alpha1.Condition {
	c.ObservedGeneration = 3
	return c
}

var (
	readyStatus     = site.Status{KubernetesVersion: "v1.36.3", ArgoCDVersion: "v1alpha1", RootApplication: "edge-1-root", SyncStatus: "Synced", HealthStatus: "Healthy", Ready: true}
	readyAtProvider = v1alpha1.SiteObservation{KubernetesVersion: "v1.36.3", ArgoCDVersion: "v1alpha1", RootApplication: "edge-1-root", SyncStatus: "Synced", HealthStatus: "Healthy", TaskRunner: &v1alpha1.SiteTaskRunner{}}
	existingReady   = engine.Observation[site.Spec, site.Status]{Exists: true, UpToDate: true, Ready: true, Status: readyStatus}
)

// outcome is what a test checks after one Reconcile.
type outcome struct {
	Calls               []string
	AnnotationsAtCreate map[string]string
	Result              reconcile.Result
	Err                 string
	Gone                bool
	Annotations         map[string]string
	Finalizers          []string
	Conditions          []v1alpha1.Condition
	ObservedGeneration  int64
	AtProvider          v1alpha1.SiteObservation
	Description         string
}

func TestReconcileSite(t *testing.T) {
	cases := []struct {
		name    string
		site    *v1alpha1.Site
		objects []client.Object
		engine  fakeSiteEngine
		want    outcome
	}{
		{
			name: "a new site is created: create-pending written before Create and cleared after, external name set",
			site: siteObject(),
			want: outcome{
				Calls:               []string{"Observe edge-1", "Create edge-1"},
				AnnotationsAtCreate: map[string]string{v1alpha1.AnnotationCreatePending: "2026-05-04T10:00:00Z"},
				Result:              reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:         map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:          []string{v1alpha1.Finalizer},
				Conditions:          []v1alpha1.Condition{ready(v1alpha1.Creating("create requested")), synced()},
				ObservedGeneration:  3,
				Description:         "edge site",
			},
		},
		{
			name:   "a failed Create reports Synced=False with the error and clears create-pending",
			site:   siteObject(withFinalizer),
			engine: fakeSiteEngine{createErr: errors.New("management cluster unreachable")},
			want: outcome{
				Calls:               []string{"Observe edge-1", "Create edge-1"},
				AnnotationsAtCreate: map[string]string{v1alpha1.AnnotationCreatePending: "2026-05-04T10:00:00Z"},
				Err:                 `cannot create external resource "edge-1": management cluster unreachable`,
				Finalizers:          []string{v1alpha1.Finalizer},
				Conditions:          []v1alpha1.Condition{syncError(`cannot create external resource "edge-1": management cluster unreachable`)},
				Description:         "edge site",
			},
		},
		{
			name:   "invalid input rejected by Create is not retried with backoff but after the poll interval",
			site:   siteObject(withFinalizer),
			engine: fakeSiteEngine{createErr: engine.InvalidInput("gitops.repo_url", "the repository does not exist")},
			want: outcome{
				Calls:               []string{"Observe edge-1", "Create edge-1"},
				AnnotationsAtCreate: map[string]string{v1alpha1.AnnotationCreatePending: "2026-05-04T10:00:00Z"},
				Result:              reconcile.Result{RequeueAfter: testPollInterval},
				Finalizers:          []string{v1alpha1.Finalizer},
				Conditions:          []v1alpha1.Condition{syncError(`cannot create external resource "edge-1": spec.forProvider.gitops.repoURL: the repository does not exist`)},
				Description:         "edge site",
			},
		},
		{
			name:   "after a crash during Create, an existing external resource is adopted by calling the idempotent Create again, which finishes what was cut off",
			site:   siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationCreatePending, "2026-05-04T09:59:00Z")),
			engine: fakeSiteEngine{observation: existingReady},
			want: outcome{
				Calls:               []string{"Observe edge-1", "Create edge-1"},
				AnnotationsAtCreate: map[string]string{v1alpha1.AnnotationCreatePending: "2026-05-04T10:00:00Z"},
				Result:              reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:         map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:          []string{v1alpha1.Finalizer},
				Conditions:          []v1alpha1.Condition{ready(v1alpha1.Creating("create requested")), synced()},
				ObservedGeneration:  3,
				Description:         "edge site",
			},
		},
		{
			name:   "a create cut off under an Observe-only policy is adopted as it is",
			site:   siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationCreatePending, "2026-05-04T09:59:00Z"), withPolicies(v1alpha1.ManagementActionObserve)),
			engine: fakeSiteEngine{observation: existingReady},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testPollInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Available()), synced()},
				ObservedGeneration: 3,
				AtProvider:         readyAtProvider,
				Description:        "edge site",
			},
		},
		{
			name: "after a crash during Create, a missing external resource is created again",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationCreatePending, "2026-05-04T09:59:00Z")),
			want: outcome{
				Calls:               []string{"Observe edge-1", "Create edge-1"},
				AnnotationsAtCreate: map[string]string{v1alpha1.AnnotationCreatePending: "2026-05-04T10:00:00Z"},
				Result:              reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:         map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:          []string{v1alpha1.Finalizer},
				Conditions:          []v1alpha1.Condition{ready(v1alpha1.Creating("create requested")), synced()},
				ObservedGeneration:  3,
				Description:         "edge site",
			},
		},
		{
			// A backend that lost its state (a restart), or a delete by
			// somebody else: the next Observe finds it missing, and Create
			// makes it again under the same external name.
			name: "an external resource that vanished after it was created and became Available is created again",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite), withConditions(v1alpha1.Available(), v1alpha1.ReconcileSuccess())),
			want: outcome{
				Calls:               []string{"Observe edge-1", "Create edge-1"},
				AnnotationsAtCreate: map[string]string{v1alpha1.AnnotationExternalName: testSite, v1alpha1.AnnotationCreatePending: "2026-05-04T10:00:00Z"},
				Result:              reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:         map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:          []string{v1alpha1.Finalizer},
				Conditions:          []v1alpha1.Condition{ready(v1alpha1.Creating("create requested")), synced()},
				ObservedGeneration:  3,
				Description:         "edge site",
			},
		},
		{
			name:   "an existing, up-to-date, ready resource is left alone and polled after the poll interval",
			site:   siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observation: existingReady},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testPollInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Available()), synced()},
				ObservedGeneration: 3,
				AtProvider:         readyAtProvider,
				Description:        "edge site",
			},
		},
		{
			name:   "the poll-interval annotation overrides the controller's poll interval",
			site:   siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite, v1alpha1.AnnotationPollInterval, "20s")),
			engine: fakeSiteEngine{observation: existingReady},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: 20 * time.Second},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite, v1alpha1.AnnotationPollInterval: "20s"},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Available()), synced()},
				ObservedGeneration: 3,
				AtProvider:         readyAtProvider,
				Description:        "edge site",
			},
		},
		{
			name: "an external resource that is not ready yet is Creating with the engine's message and requeued soon",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{
				Exists: true, UpToDate: true, Message: "root application is OutOfSync and Progressing",
				Status: site.Status{RootApplication: "edge-1-root", SyncStatus: "OutOfSync", HealthStatus: "Progressing"},
			}},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Creating("root application is OutOfSync and Progressing")), synced()},
				ObservedGeneration: 3,
				AtProvider:         v1alpha1.SiteObservation{RootApplication: "edge-1-root", SyncStatus: "OutOfSync", HealthStatus: "Progressing", TaskRunner: &v1alpha1.SiteTaskRunner{}},
				Description:        "edge site",
			},
		},
		{
			name: "an Available resource that stops being ready becomes Unavailable",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite),
				withConditions(ready(v1alpha1.Available()), synced())),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{
				Exists: true, UpToDate: true, Message: "cannot reach https://10.0.0.1:6443",
			}},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Unavailable("cannot reach https://10.0.0.1:6443")), synced()},
				ObservedGeneration: 3,
				AtProvider:         v1alpha1.SiteObservation{TaskRunner: &v1alpha1.SiteTaskRunner{}},
				Description:        "edge site",
			},
		},
		{
			name: "a terminal failure reported by Observe makes Ready=False Unavailable with the backend's message",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{
				Exists: true, UpToDate: true, Failed: engine.Terminal("root application sync failed: one or more objects failed to apply"),
			}},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Unavailable("root application sync failed: one or more objects failed to apply")), synced()},
				ObservedGeneration: 3,
				AtProvider:         v1alpha1.SiteObservation{TaskRunner: &v1alpha1.SiteTaskRunner{}},
				Description:        "edge site",
			},
		},
		{
			name: "invalid input reported by Observe names the Site field",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{
				Exists: true, UpToDate: true, Failed: engine.InvalidInput("gitops.path", "Argo CD cannot use the path: app path does not exist"),
			}},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Unavailable("spec.forProvider.gitops.path: Argo CD cannot use the path: app path does not exist")), synced()},
				ObservedGeneration: 3,
				AtProvider:         v1alpha1.SiteObservation{TaskRunner: &v1alpha1.SiteTaskRunner{}},
				Description:        "edge site",
			},
		},
		{
			name: "managementPolicies without Observe are refused without calling the engine",
			site: siteObject(withFinalizer, withPolicies(v1alpha1.ManagementActionCreate)),
			want: outcome{
				Result:      reconcile.Result{RequeueAfter: testPollInterval},
				Finalizers:  []string{v1alpha1.Finalizer},
				Conditions:  []v1alpha1.Condition{syncError("managementPolicies must include Observe or *")},
				Description: "edge site",
			},
		},
		{
			name: "drift is corrected with Update",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{
				Exists: true, Ready: true, Status: readyStatus,
				Actual: site.Spec{Name: testSite, Description: "old"},
			}},
			want: outcome{
				Calls:              []string{"Observe edge-1", "Update edge-1"},
				Result:             reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Available()), synced()},
				ObservedGeneration: 3,
				AtProvider:         readyAtProvider,
				Description:        "edge site",
			},
		},
		{
			name: "a failed Update reports Synced=False with the error",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{
				observation: engine.Observation[site.Spec, site.Status]{Exists: true, Ready: true, Status: readyStatus},
				updateErr:   errors.New("conflict"),
			},
			want: outcome{
				Calls:       []string{"Observe edge-1", "Update edge-1"},
				Err:         `cannot update external resource "edge-1": conflict`,
				Annotations: map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:  []string{v1alpha1.Finalizer},
				Conditions:  []v1alpha1.Condition{ready(v1alpha1.Available()), syncError(`cannot update external resource "edge-1": conflict`)},
				AtProvider:  readyAtProvider,
				Description: "edge site",
			},
		},
		{
			name: "unset fields are late-initialised from the external resource before anything is updated",
			site: siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite), func(s *v1alpha1.Site) {
				s.Spec.ForProvider.Description = ""
			}),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{
				Exists: true, Ready: true, Status: readyStatus,
				Actual: site.Spec{Name: testSite, Description: "recorded description"},
			}},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Available()), synced()},
				ObservedGeneration: 3,
				AtProvider:         readyAtProvider,
				Description:        "recorded description",
			},
		},
		{
			name:   "an Observe error reports Synced=False with the error",
			site:   siteObject(withFinalizer, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observeErr: errors.New("connection refused")},
			want: outcome{
				Calls:       []string{"Observe edge-1"},
				Err:         `cannot observe external resource "edge-1": connection refused`,
				Annotations: map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:  []string{v1alpha1.Finalizer},
				Conditions:  []v1alpha1.Condition{syncError(`cannot observe external resource "edge-1": connection refused`)},
				Description: "edge site",
			},
		},
		{
			name:    "a missing ProviderConfig reports Synced=False and calls no engine",
			site:    siteObject(withFinalizer),
			objects: []client.Object{},
			want: outcome{
				Err:         `cannot connect to the platform: cannot get ProviderConfig "default": providerconfigs.mc.mcplatform.dev "default" not found`,
				Finalizers:  []string{v1alpha1.Finalizer},
				Conditions:  []v1alpha1.Condition{syncError(`cannot connect to the platform: cannot get ProviderConfig "default": providerconfigs.mc.mcplatform.dev "default" not found`)},
				Description: "edge site",
			},
		},
		{
			name: "a missing referenced Secret reports Synced=False and calls no engine",
			site: siteObject(withFinalizer, func(s *v1alpha1.Site) {
				s.Spec.ForProvider.GitOps = &v1alpha1.GitOpsParameters{RepoURL: "http://git/x.git", Path: "apps",
					PasswordSecretRef: &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "git", Key: "password"}}
			}),
			want: outcome{
				Err:         `cannot resolve spec.forProvider: gitops.passwordSecretRef: cannot get secret mc-system/git: secrets "git" not found`,
				Finalizers:  []string{v1alpha1.Finalizer},
				Conditions:  []v1alpha1.Condition{syncError(`cannot resolve spec.forProvider: gitops.passwordSecretRef: cannot get secret mc-system/git: secrets "git" not found`)},
				Description: "edge site",
			},
		},
		{
			name: "Observe-only never creates a missing external resource",
			site: siteObject(withFinalizer, withPolicies(v1alpha1.ManagementActionObserve)),
			want: outcome{
				Calls:      []string{"Observe edge-1"},
				Result:     reconcile.Result{RequeueAfter: testPollInterval},
				Finalizers: []string{v1alpha1.Finalizer},
				Conditions: []v1alpha1.Condition{
					ready(v1alpha1.Unavailable(`external resource "edge-1" does not exist and managementPolicies do not allow Create`)),
					syncError(`external resource "edge-1" does not exist and managementPolicies do not allow Create`),
				},
				Description: "edge site",
			},
		},
		{
			name: "Observe-only never updates a drifted external resource and never late-initialises, but fills status",
			site: siteObject(withFinalizer, withPolicies(v1alpha1.ManagementActionObserve), func(s *v1alpha1.Site) {
				s.Spec.ForProvider.Description = ""
			}),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{
				Exists: true, Ready: true, Status: readyStatus, Actual: site.Spec{Name: testSite, Description: "recorded"},
			}},
			want: outcome{
				Calls:              []string{"Observe edge-1"},
				Result:             reconcile.Result{RequeueAfter: testPollInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Available()), synced()},
				ObservedGeneration: 3,
				AtProvider:         readyAtProvider,
			},
		},
		{
			name:   "Observe-only never deletes the external resource",
			site:   siteObject(beingDeleted, withPolicies(v1alpha1.ManagementActionObserve)),
			engine: fakeSiteEngine{observation: existingReady},
			want:   outcome{Gone: true},
		},
		{
			name:   "deletionPolicy Orphan never deletes the external resource",
			site:   siteObject(beingDeleted, withDeletionPolicy(v1alpha1.DeletionOrphan)),
			engine: fakeSiteEngine{observation: existingReady},
			want:   outcome{Gone: true},
		},
		{
			name:   "deletionPolicy Delete deletes the external resource and requeues until it is gone",
			site:   siteObject(beingDeleted, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observation: existingReady},
			want: outcome{
				Calls:              []string{"Observe edge-1", "Delete edge-1"},
				Result:             reconcile.Result{RequeueAfter: testNotReadyInterval},
				Annotations:        map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:         []string{v1alpha1.Finalizer},
				Conditions:         []v1alpha1.Condition{ready(v1alpha1.Deleting("delete requested")), synced()},
				ObservedGeneration: 3,
				Description:        "edge site",
			},
		},
		{
			name: "deletionPolicy Delete removes the finalizer once Observe reports the external resource gone",
			site: siteObject(beingDeleted, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			want: outcome{Calls: []string{"Observe edge-1"}, Gone: true},
		},
		{
			name:   "a failed Delete keeps the finalizer and reports Synced=False with the error",
			site:   siteObject(beingDeleted, withAnnotations(v1alpha1.AnnotationExternalName, testSite)),
			engine: fakeSiteEngine{observation: existingReady, deleteErr: errors.New("root application still has resources")},
			want: outcome{
				Calls:       []string{"Observe edge-1", "Delete edge-1"},
				Err:         `cannot delete external resource "edge-1": root application still has resources`,
				Annotations: map[string]string{v1alpha1.AnnotationExternalName: testSite},
				Finalizers:  []string{v1alpha1.Finalizer},
				Conditions:  []v1alpha1.Condition{ready(v1alpha1.Deleting("")), syncError(`cannot delete external resource "edge-1": root application still has resources`)},
				Description: "edge site",
			},
		},
		{
			name: "a paused resource is not acted upon",
			site: siteObject(withAnnotations(v1alpha1.AnnotationPaused, "true")),
			want: outcome{
				Annotations: map[string]string{v1alpha1.AnnotationPaused: "true"},
				Conditions:  []v1alpha1.Condition{ready(v1alpha1.ReconcilePaused())},
				Description: "edge site",
			},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			objects := tc.objects
			if objects == nil {
				objects = []client.Object{defaultProviderConfig()}
			}
			kube := fake.NewClientBuilder().
				WithScheme(testScheme(t)).
				WithObjects(append(objects, tc.site)...).
				WithStatusSubresource(&v1alpha1.Site{}).
				Build()
			fakeEngine := tc.engine
			fakeEngine.kube = kube
			adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{Host: "https://platform.test"}}, kube,
				func(*registry.Registry) engine.Client[site.Spec, site.Status] { return &fakeEngine })
			r := NewReconciler(kube, func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter),
				WithPollInterval(testPollInterval), WithPollJitter(0), WithNotReadyPollInterval(testNotReadyInterval), WithClock(func() time.Time { return testNow }))

			result, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Name: testSite}})

			got := outcome{Calls: fakeEngine.calls, AnnotationsAtCreate: fakeEngine.annotationsAtCreate, Result: result}
			if err != nil {
				got.Err = err.Error()
			}
			var stored v1alpha1.Site
			switch err := kube.Get(ctx, types.NamespacedName{Name: testSite}, &stored); {
			case apierrors.IsNotFound(err):
				got.Gone = true
			case err != nil:
				t.Fatal(err)
			default:
				got.Annotations = stored.Annotations
				got.Finalizers = stored.Finalizers
				got.Conditions = withoutTransitionTimes(stored.Status.Conditions)
				got.ObservedGeneration = stored.Status.ObservedGeneration
				got.AtProvider = stored.Status.AtProvider
				got.Description = stored.Spec.ForProvider.Description
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Reconcile outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func withoutTransitionTimes(conditions []v1alpha1.Condition) []v1alpha1.Condition {
	var out []v1alpha1.Condition
	for _, c := range conditions {
		if c.LastTransitionTime.IsZero() {
			panic(fmt.Sprintf("condition %s has no lastTransitionTime", c.Type))
		}
		c.LastTransitionTime = metav1.Time{}
		out = append(out, c)
	}
	return out
}

// TestReconcileSiteCreateThenObserve drives a site through two reconciles:
// create, then observe it ready.
func TestReconcileSiteCreateThenObserve(t *testing.T) {
	ctx := context.Background()
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(defaultProviderConfig(), siteObject()).
		WithStatusSubresource(&v1alpha1.Site{}).Build()
	fakeEngine := &fakeSiteEngine{kube: kube}
	adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}}, kube,
		func(*registry.Registry) engine.Client[site.Spec, site.Status] { return fakeEngine })
	r := NewReconciler(kube, func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter),
		WithPollInterval(testPollInterval), WithPollJitter(0), WithNotReadyPollInterval(testNotReadyInterval))
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: testSite}}

	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	var first v1alpha1.Site
	if err := kube.Get(ctx, req.NamespacedName, &first); err != nil {
		t.Fatal(err)
	}

	fakeEngine.observation = existingReady
	result, err := r.Reconcile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var second v1alpha1.Site
	if err := kube.Get(ctx, req.NamespacedName, &second); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Observe edge-1", "Create edge-1", "Observe edge-1"}, fakeEngine.calls); diff != "" {
		t.Errorf("engine calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(reconcile.Result{RequeueAfter: testPollInterval}, result); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if got := second.Status.GetCondition(v1alpha1.TypeReady); got.Reason != v1alpha1.ReasonAvailable || got.Status != corev1.ConditionTrue {
		t.Errorf("Ready = %s/%s, want True/Available", got.Status, got.Reason)
	}
	syncedBefore := first.Status.GetCondition(v1alpha1.TypeSynced).LastTransitionTime
	if got := second.Status.GetCondition(v1alpha1.TypeSynced).LastTransitionTime; !got.Equal(&syncedBefore) {
		t.Errorf("Synced stayed True but its lastTransitionTime moved from %v to %v", syncedBefore, got)
	}
}

func TestReconcileSiteEvents(t *testing.T) {
	cases := []struct {
		name   string
		site   *v1alpha1.Site
		engine fakeSiteEngine
		want   []string
	}{
		{
			name: "Create",
			site: siteObject(),
			want: []string{`Normal CreatedExternalResource created external resource "edge-1"`},
		},
		{
			name:   "Update",
			site:   siteObject(withFinalizer),
			engine: fakeSiteEngine{observation: engine.Observation[site.Spec, site.Status]{Exists: true}},
			want:   []string{`Normal UpdatedExternalResource updated external resource "edge-1"`},
		},
		{
			name:   "Delete",
			site:   siteObject(beingDeleted),
			engine: fakeSiteEngine{observation: existingReady},
			want:   []string{`Normal DeletedExternalResource requested deletion of external resource "edge-1"`},
		},
		{
			name:   "error",
			site:   siteObject(withFinalizer),
			engine: fakeSiteEngine{observeErr: errors.New("connection refused")},
			want:   []string{`Warning CannotObserveExternalResource cannot observe external resource "edge-1": connection refused`},
		},
		{
			name:   "nothing to do",
			site:   siteObject(withFinalizer),
			engine: fakeSiteEngine{observation: existingReady},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
				WithObjects(defaultProviderConfig(), tc.site).
				WithStatusSubresource(&v1alpha1.Site{}).Build()
			fakeEngine := tc.engine
			fakeEngine.kube = kube
			recorder := events.NewFakeRecorder(10)
			adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}}, kube,
				func(*registry.Registry) engine.Client[site.Spec, site.Status] { return &fakeEngine })
			r := NewReconciler(kube, func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter), WithEventRecorder(recorder))
			_, _ = r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: testSite}})
			close(recorder.Events)
			var got []string
			for e := range recorder.Events {
				got = append(got, e)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReconcileSiteConflictIsRetriedQuietly(t *testing.T) {
	scheme := testScheme(t)
	kube := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(defaultProviderConfig(), siteObject(withFinalizer)).
		WithStatusSubresource(&v1alpha1.Site{}).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourceUpdate: func(context.Context, client.Client, string, client.Object, ...client.SubResourceUpdateOption) error {
				return apierrors.NewConflict(v1alpha1.GroupVersion.WithResource("sites").GroupResource(), testSite, errors.New("the object has been modified"))
			},
		}).Build()
	fakeEngine := &fakeSiteEngine{kube: kube, observation: existingReady}
	adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}}, kube,
		func(*registry.Registry) engine.Client[site.Spec, site.Status] { return fakeEngine })
	r := NewReconciler(kube, func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter))

	result, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: testSite}})
	if err != nil {
		t.Fatalf("Reconcile() error = %v, want none for a conflict", err)
	}
	if diff := cmp.Diff(reconcile.Result{RequeueAfter: time.Second}, result); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// TestReconcileSiteSteadyStateWritesNothing: reconciling a Ready,
// up-to-date Site whose status already says so sends no write to the API
// server, so that a steady estate costs no writes at every poll.
func TestReconcileSiteSteadyStateWritesNothing(t *testing.T) {
	ctx := context.Background()
	var writes []string
	count := func(verb string) func(client.Object) {
		return func(o client.Object) { writes = append(writes, verb+" "+o.GetName()) }
	}
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(defaultProviderConfig(), siteObject()).
		WithStatusSubresource(&v1alpha1.Site{}).
		WithInterceptorFuncs(interceptor.Funcs{
			Update: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.UpdateOption) error {
				count("update")(o)
				return c.Update(ctx, o, opts...)
			},
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, o client.Object, opts ...client.SubResourceUpdateOption) error {
				count("update " + sub)(o)
				return c.SubResource(sub).Update(ctx, o, opts...)
			},
		}).Build()
	fakeEngine := &fakeSiteEngine{kube: kube}
	adapter := NewSiteAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}}, kube,
		func(*registry.Registry) engine.Client[site.Spec, site.Status] { return fakeEngine })
	r := NewReconciler(kube, func() Managed { return &v1alpha1.Site{} }, Adapter[site.Spec, site.Status](adapter),
		WithPollInterval(testPollInterval), WithPollJitter(0), WithNotReadyPollInterval(testNotReadyInterval))
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: testSite}}

	// Create, then observe Ready: both write.
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	fakeEngine.observation = existingReady
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if len(writes) == 0 {
		t.Fatalf("no writes while creating and becoming Ready")
	}
	writes = nil
	// Nothing changed since.
	for range 3 {
		if _, err := r.Reconcile(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if len(writes) != 0 {
		t.Errorf("writes in the steady state = %v, want none", writes)
	}
	// A change in what Observe reports is written.
	fakeEngine.observation.Status.KubernetesVersion = "v1.36.4"
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"update status " + testSite}, writes); diff != "" {
		t.Errorf("writes after a change of the observed status (-want +got):\n%s", diff)
	}
}
