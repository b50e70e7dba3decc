package controller

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

const testReplication = "mirror-library"

// fakeReplicationEngine is an ImageReplicationEngine that records its calls
// and answers what the test says.
type fakeReplicationEngine struct {
	observation engine.Observation[imagereplication.Spec, imagereplication.Status]
	runID       int64
	runErr      error
	executions  map[int64]imagereplication.Execution
	calls       []string
}

func (f *fakeReplicationEngine) Observe(_ context.Context, id string, _ imagereplication.Spec) (engine.Observation[imagereplication.Spec, imagereplication.Status], error) {
	f.calls = append(f.calls, "Observe "+id)
	return f.observation, nil
}

func (f *fakeReplicationEngine) Create(_ context.Context, want imagereplication.Spec) (string, error) {
	f.calls = append(f.calls, "Create "+want.ID())
	return want.ID(), nil
}

func (f *fakeReplicationEngine) Update(_ context.Context, id string, _ imagereplication.Spec) error {
	f.calls = append(f.calls, "Update "+id)
	return nil
}

func (f *fakeReplicationEngine) Delete(_ context.Context, id string) error {
	f.calls = append(f.calls, "Delete "+id)
	return nil
}

func (f *fakeReplicationEngine) Run(_ context.Context, id string) (int64, error) {
	f.calls = append(f.calls, "Run "+id)
	return f.runID, f.runErr
}

func (f *fakeReplicationEngine) Execution(_ context.Context, id string, execID int64) (imagereplication.Execution, error) {
	f.calls = append(f.calls, fmt.Sprintf("Execution %s %d", id, execID))
	e, ok := f.executions[execID]
	if !ok {
		return imagereplication.Execution{}, fmt.Errorf("execution %d: %w", execID, engine.ErrNotFound)
	}
	return e, nil
}

// replicationObject is an ImageReplication as the API server would store
// it after defaulting: pull from site-a to site-b.
func replicationObject(mutate ...func(*v1alpha1.ImageReplication)) *v1alpha1.ImageReplication {
	r := &v1alpha1.ImageReplication{
		ObjectMeta: metav1.ObjectMeta{Name: testReplication, Generation: 2},
		Spec: v1alpha1.ImageReplicationSpec{
			ResourceSpec: v1alpha1.ResourceSpec{
				DeletionPolicy:          v1alpha1.DeletionDelete,
				ManagementPolicies:      v1alpha1.ManagementPolicies{v1alpha1.ManagementActionAll},
				ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: v1alpha1.DefaultProviderConfigName},
			},
			ForProvider: v1alpha1.ImageReplicationParameters{
				SourceSite:      "site-a",
				DestinationSite: "site-b",
				Direction:       "pull",
				Trigger:         v1alpha1.ImageReplicationTrigger{Type: "manual"},
				Override:        new(true),
				Enabled:         new(true),
			},
		},
	}
	for _, m := range mutate {
		m(r)
	}
	return r
}

func newTestReplicationAdapter(f *fakeReplicationEngine) *ImageReplicationAdapter {
	return NewImageReplicationAdapter(ProviderConfigResolver{}, func(*registry.Registry) ImageReplicationEngine { return f })
}

func TestImageReplicationDesiredSpec(t *testing.T) {
	cases := map[string]struct {
		obj  *v1alpha1.ImageReplication
		want imagereplication.Spec
	}{
		"defaults of fields the API server has not defaulted": {
			obj: &v1alpha1.ImageReplication{
				ObjectMeta: metav1.ObjectMeta{Name: testReplication},
				Spec: v1alpha1.ImageReplicationSpec{ForProvider: v1alpha1.ImageReplicationParameters{
					SourceSite: "site-a", DestinationSite: "site-b",
				}},
			},
			want: imagereplication.Spec{
				Name: testReplication, SourceSite: "site-a", DestinationSite: "site-b", Direction: "pull",
				Trigger: imagereplication.Trigger{Type: "manual"}, Override: true, Enabled: true,
			},
		},
		"filters, push, destination namespace, override and enabled off": {
			obj: replicationObject(func(r *v1alpha1.ImageReplication) {
				p := &r.Spec.ForProvider
				p.Direction = "push"
				p.Filters = v1alpha1.ImageReplicationFilters{Name: "library/**", Tag: "v*", Labels: []string{"prod", "signed"}, ResourceType: "image"}
				p.DestinationNamespace = "mirror"
				p.Override, p.Enabled = new(false), new(false)
				p.RunRequest = "build-42"
			}),
			want: imagereplication.Spec{
				Name: testReplication, SourceSite: "site-a", DestinationSite: "site-b", Direction: "push",
				Filters:              imagereplication.Filters{Name: "library/**", Tag: "v*", Labels: []string{"prod", "signed"}, ResourceType: "image"},
				Trigger:              imagereplication.Trigger{Type: "manual"},
				DestinationNamespace: "mirror",
			},
		},
		"scheduled trigger": {
			obj: replicationObject(func(r *v1alpha1.ImageReplication) {
				r.Spec.ForProvider.Trigger = v1alpha1.ImageReplicationTrigger{Type: "scheduled", Cron: "0 0 2 * * *"}
			}),
			want: imagereplication.Spec{
				Name: testReplication, SourceSite: "site-a", DestinationSite: "site-b", Direction: "pull",
				Trigger: imagereplication.Trigger{Type: "scheduled", Cron: "0 0 2 * * *"}, Override: true, Enabled: true,
			},
		},
		"the endpoint's insecure flag and the settings set; the others keep Harbor's values (nil)": {
			obj: replicationObject(func(r *v1alpha1.ImageReplication) {
				p := &r.Spec.ForProvider
				p.EndpointInsecure = true
				p.Speed, p.ReplicateDeletion, p.DestinationNamespaceReplaceCount = new(int32(2048)), new(true), new(int32(0))
			}),
			want: imagereplication.Spec{
				Name: testReplication, SourceSite: "site-a", DestinationSite: "site-b", Direction: "pull",
				Trigger: imagereplication.Trigger{Type: "manual"}, Override: true, Enabled: true, EndpointInsecure: true,
				Settings: imagereplication.Settings{Speed: new(int32(2048)), Deletion: new(true), DestinationNamespaceReplaceCount: new(int8(0))},
			},
		},
		"an adopted policy keeps the name of its external name": {
			obj: replicationObject(func(r *v1alpha1.ImageReplication) {
				r.Annotations = map[string]string{v1alpha1.AnnotationExternalName: "site-b/legacy_mirror"}
			}),
			want: imagereplication.Spec{
				Name: "legacy_mirror", SourceSite: "site-a", DestinationSite: "site-b", Direction: "pull",
				Trigger: imagereplication.Trigger{Type: "manual"}, Override: true, Enabled: true,
			},
		},
	}
	a := newTestReplicationAdapter(&fakeReplicationEngine{})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := a.DesiredSpec(context.Background(), tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DesiredSpec (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := a.DesiredSpec(context.Background(), siteObject()); err == nil {
		t.Error("DesiredSpec of a Site succeeded, want an error")
	}
}

func TestImageReplicationDefaultExternalName(t *testing.T) {
	a := newTestReplicationAdapter(&fakeReplicationEngine{})
	cases := map[string]struct {
		obj  *v1alpha1.ImageReplication
		want string
	}{
		"pull runs on the destination": {replicationObject(), "site-b/" + testReplication},
		"push runs on the source": {replicationObject(func(r *v1alpha1.ImageReplication) { r.Spec.ForProvider.Direction = "push" }),
			"site-a/" + testReplication},
		"no direction is pull": {replicationObject(func(r *v1alpha1.ImageReplication) { r.Spec.ForProvider.Direction = "" }),
			"site-b/" + testReplication},
	}
	for name, tc := range cases {
		if got := a.DefaultExternalName(tc.obj); got != tc.want {
			t.Errorf("%s: DefaultExternalName = %q, want %q", name, got, tc.want)
		}
	}
}

func TestImageReplicationSetObservation(t *testing.T) {
	obj := replicationObject(func(r *v1alpha1.ImageReplication) {
		r.Status.AtProvider = v1alpha1.ImageReplicationObservation{
			RunsOn: "stale", LastRunRequest: "build-41",
			PendingRun:    &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 9},
			LastExecution: &v1alpha1.ImageReplicationExecution{ID: 3},
		}
	})
	a := newTestReplicationAdapter(&fakeReplicationEngine{})
	a.SetObservation(obj, imagereplication.Status{
		RunsOn: "site-b", PolicyID: 7, RegistryID: 4,
		LastExecution: &imagereplication.Execution{ID: 9, Status: "InProgress", Succeeded: 1, InProgress: 2, Total: 3, Message: "running"},
	})
	want := v1alpha1.ImageReplicationObservation{
		RunsOn: "site-b", PolicyID: 7, RegistryID: 4,
		LastExecution:  &v1alpha1.ImageReplicationExecution{ID: 9, Status: "InProgress", Succeeded: 1, InProgress: 2, Total: 3, Message: "running"},
		LastRunRequest: "build-41",
		PendingRun:     &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 9},
	}
	if diff := cmp.Diff(want, obj.Status.AtProvider); diff != "" {
		t.Errorf("atProvider (-want +got):\n%s", diff)
	}

	a.SetObservation(obj, imagereplication.Status{RunsOn: "site-b", PolicyID: 7, RegistryID: 4})
	if obj.Status.AtProvider.LastExecution != nil {
		t.Errorf("lastExecution = %+v after an observation without executions, want none", obj.Status.AtProvider.LastExecution)
	}
}

func TestImageReplicationLateInitialize(t *testing.T) {
	obj := replicationObject(func(r *v1alpha1.ImageReplication) {
		p := &r.Spec.ForProvider
		p.Direction, p.Trigger, p.Override, p.Enabled = "", v1alpha1.ImageReplicationTrigger{}, nil, nil
	})
	actual := imagereplication.Spec{
		Name: testReplication, SourceSite: "site-a", DestinationSite: "site-b", Direction: "push",
		Filters: imagereplication.Filters{Name: "library/**"}, DestinationNamespace: "mirror",
		Trigger: imagereplication.Trigger{Type: "scheduled", Cron: "0 0 2 * * *"}, Override: false, Enabled: true,
	}
	a := newTestReplicationAdapter(&fakeReplicationEngine{})
	if !a.LateInitialize(obj, actual) {
		t.Fatal("LateInitialize reported no change")
	}
	want := v1alpha1.ImageReplicationParameters{
		SourceSite: "site-a", DestinationSite: "site-b", Direction: "push",
		Trigger:  v1alpha1.ImageReplicationTrigger{Type: "scheduled", Cron: "0 0 2 * * *"},
		Override: new(false), Enabled: new(true),
	}
	if diff := cmp.Diff(want, obj.Spec.ForProvider); diff != "" {
		t.Errorf("forProvider (-want +got):\n%s", diff)
	}
	if a.LateInitialize(obj, actual) {
		t.Error("a second LateInitialize reported a change")
	}
}

func TestImageReplicationFieldPath(t *testing.T) {
	a := newTestReplicationAdapter(&fakeReplicationEngine{})
	cases := map[string]string{
		"name":                  "metadata.name",
		"id":                    "metadata.annotations[mc.mcplatform.dev/external-name]",
		"source_site":           "spec.forProvider.sourceSite",
		"destination_site":      "spec.forProvider.destinationSite",
		"direction":             "spec.forProvider.direction",
		"trigger.cron":          "spec.forProvider.trigger.cron",
		"trigger.type":          "spec.forProvider.trigger.type",
		"filters.name":          "spec.forProvider.filters.name",
		"filters.resource_type": "spec.forProvider.filters.resourceType",
		"filters.labels":        "spec.forProvider.filters.labels",
		"destination_namespace": "spec.forProvider.destinationNamespace",
	}
	got := map[string]string{}
	for enginePath := range cases {
		got[enginePath] = a.FieldPath(enginePath)
	}
	if diff := cmp.Diff(cases, got); diff != "" {
		t.Errorf("FieldPath (-want +got):\n%s", diff)
	}
}

func TestImageReplicationAct(t *testing.T) {
	const id = "site-b/" + testReplication
	running := imagereplication.Execution{ID: 12, Status: "InProgress", InProgress: 1, Total: 2, Succeeded: 1}
	succeeded := imagereplication.Execution{ID: 12, Status: "Succeed", Succeeded: 2, Total: 2}
	failed := imagereplication.Execution{ID: 12, Status: "Failed", Failed: 1, Succeeded: 1, Total: 2, Message: "library/nginx:1.27: unauthorized"}

	type outcome struct {
		InProgress bool
		Err        string
		AtProvider v1alpha1.ImageReplicationObservation
		Calls      []string
	}
	cases := map[string]struct {
		request    string
		enabled    *bool
		atProvider v1alpha1.ImageReplicationObservation
		engine     fakeReplicationEngine
		want       outcome
	}{
		"no run request": {
			want: outcome{},
		},
		"a run request already handled": {
			request:    "build-41",
			atProvider: v1alpha1.ImageReplicationObservation{LastRunRequest: "build-41"},
			want:       outcome{AtProvider: v1alpha1.ImageReplicationObservation{LastRunRequest: "build-41"}},
		},
		"a new run request starts a run": {
			request:    "build-42",
			atProvider: v1alpha1.ImageReplicationObservation{LastRunRequest: "build-41", LastExecution: &v1alpha1.ImageReplicationExecution{ID: 11, Status: "Succeed"}},
			engine:     fakeReplicationEngine{runID: 12},
			want: outcome{
				InProgress: true,
				AtProvider: v1alpha1.ImageReplicationObservation{
					LastRunRequest: "build-41",
					LastExecution:  &v1alpha1.ImageReplicationExecution{ID: 12},
					PendingRun:     &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12},
				},
				Calls: []string{"Run " + id},
			},
		},
		"a run that is in progress is followed": {
			request:    "build-42",
			atProvider: v1alpha1.ImageReplicationObservation{PendingRun: &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12}},
			engine:     fakeReplicationEngine{executions: map[int64]imagereplication.Execution{12: running}},
			want: outcome{
				InProgress: true,
				AtProvider: v1alpha1.ImageReplicationObservation{
					LastExecution: &v1alpha1.ImageReplicationExecution{ID: 12, Status: "InProgress", InProgress: 1, Total: 2, Succeeded: 1},
					PendingRun:    &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12},
				},
				Calls: []string{"Execution " + id + " 12"},
			},
		},
		"a finished run records its request": {
			request:    "build-42",
			atProvider: v1alpha1.ImageReplicationObservation{LastRunRequest: "build-41", PendingRun: &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12}},
			engine:     fakeReplicationEngine{executions: map[int64]imagereplication.Execution{12: succeeded}},
			want: outcome{
				AtProvider: v1alpha1.ImageReplicationObservation{
					LastRunRequest: "build-42",
					LastExecution:  &v1alpha1.ImageReplicationExecution{ID: 12, Status: "Succeed", Succeeded: 2, Total: 2},
				},
				Calls: []string{"Execution " + id + " 12"},
			},
		},
		"a failed run is handled too, its failure in lastExecution": {
			request:    "build-42",
			atProvider: v1alpha1.ImageReplicationObservation{PendingRun: &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12}},
			engine:     fakeReplicationEngine{executions: map[int64]imagereplication.Execution{12: failed}},
			want: outcome{
				AtProvider: v1alpha1.ImageReplicationObservation{
					LastRunRequest: "build-42",
					LastExecution:  &v1alpha1.ImageReplicationExecution{ID: 12, Status: "Failed", Failed: 1, Succeeded: 1, Total: 2, Message: "library/nginx:1.27: unauthorized"},
				},
				Calls: []string{"Execution " + id + " 12"},
			},
		},
		"a request made while a run was in progress starts the next run when it ends": {
			request:    "build-43",
			atProvider: v1alpha1.ImageReplicationObservation{PendingRun: &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12}},
			engine:     fakeReplicationEngine{runID: 13, executions: map[int64]imagereplication.Execution{12: succeeded}},
			want: outcome{
				InProgress: true,
				AtProvider: v1alpha1.ImageReplicationObservation{
					LastRunRequest: "build-42",
					LastExecution:  &v1alpha1.ImageReplicationExecution{ID: 13},
					PendingRun:     &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-43", ExecutionID: 13},
				},
				Calls: []string{"Execution " + id + " 12", "Run " + id},
			},
		},
		"Run answers the execution already in progress": {
			request:    "build-42",
			atProvider: v1alpha1.ImageReplicationObservation{LastExecution: &v1alpha1.ImageReplicationExecution{ID: 12, Status: "InProgress"}},
			engine:     fakeReplicationEngine{runID: 12},
			want: outcome{
				InProgress: true,
				AtProvider: v1alpha1.ImageReplicationObservation{
					LastExecution: &v1alpha1.ImageReplicationExecution{ID: 12, Status: "InProgress"},
					PendingRun:    &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12},
				},
				Calls: []string{"Run " + id},
			},
		},
		"a disabled replication does not run": {
			request: "build-42",
			enabled: new(false),
			want:    outcome{Err: `run request "build-42" waits: the replication is disabled; set spec.forProvider.enabled to true to run it`},
		},
		"Run fails": {
			request: "build-42",
			engine:  fakeReplicationEngine{runErr: errors.New("harbor is down")},
			want:    outcome{Err: `cannot run replication for run request "build-42": harbor is down`, Calls: []string{"Run " + id}},
		},
		"the execution cannot be read": {
			request:    "build-42",
			atProvider: v1alpha1.ImageReplicationObservation{PendingRun: &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12}},
			want: outcome{
				Err:        `cannot follow execution 12 of run request "build-42": execution 12: not found`,
				AtProvider: v1alpha1.ImageReplicationObservation{PendingRun: &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12}},
				Calls:      []string{"Execution " + id + " 12"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := replicationObject(func(r *v1alpha1.ImageReplication) {
				r.Spec.ForProvider.RunRequest = tc.request
				if tc.enabled != nil {
					r.Spec.ForProvider.Enabled = tc.enabled
				}
				r.Status.AtProvider = tc.atProvider
			})
			f := tc.engine
			a := newTestReplicationAdapter(&f)
			inProgress, err := a.Act(context.Background(), obj, &f, id)
			got := outcome{InProgress: inProgress, AtProvider: obj.Status.AtProvider, Calls: f.calls}
			if err != nil {
				got.Err = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Act (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageReplicationActDisabledIsTerminal(t *testing.T) {
	obj := replicationObject(func(r *v1alpha1.ImageReplication) {
		r.Spec.ForProvider.RunRequest, r.Spec.ForProvider.Enabled = "build-42", new(false)
	})
	f := &fakeReplicationEngine{}
	_, err := newTestReplicationAdapter(f).Act(context.Background(), obj, f, "site-b/"+testReplication)
	var terminal *engine.TerminalError
	if !errors.As(err, &terminal) {
		t.Errorf("Act = %v, want a terminal error", err)
	}
}

// TestReconcileImageReplication drives ImageReplications through the
// generic reconciler: the ExternalNamer names the external resource, and
// the Actor runs only for a Ready, up-to-date resource whose policies allow
// Update.
func TestReconcileImageReplication(t *testing.T) {
	const id = "site-b/" + testReplication
	ready := engine.Observation[imagereplication.Spec, imagereplication.Status]{
		Exists: true, Ready: true, UpToDate: true,
		Status: imagereplication.Status{RunsOn: "site-b", PolicyID: 7, RegistryID: 4},
	}
	withRequest := func(r *v1alpha1.ImageReplication) {
		r.Finalizers = []string{v1alpha1.Finalizer}
		r.Annotations = map[string]string{v1alpha1.AnnotationExternalName: id}
		r.Spec.ForProvider.RunRequest = "build-42"
	}
	type outcome struct {
		Result     reconcile.Result
		Calls      []string
		AtProvider v1alpha1.ImageReplicationObservation
		Synced     corev1.ConditionStatus
	}
	cases := map[string]struct {
		obj         *v1alpha1.ImageReplication
		observation engine.Observation[imagereplication.Spec, imagereplication.Status]
		want        outcome
	}{
		"a new resource is created under <runs on>/<name>": {
			obj: replicationObject(),
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testNotReadyInterval},
				Calls:  []string{"Observe " + id, "Create " + id},
				Synced: corev1.ConditionTrue,
			},
		},
		"a Ready, up-to-date resource with a new run request runs": {
			obj:         replicationObject(withRequest),
			observation: ready,
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testNotReadyInterval},
				Calls:  []string{"Observe " + id, "Run " + id},
				AtProvider: v1alpha1.ImageReplicationObservation{
					RunsOn: "site-b", PolicyID: 7, RegistryID: 4,
					LastExecution: &v1alpha1.ImageReplicationExecution{ID: 12},
					PendingRun:    &v1alpha1.ImageReplicationPendingRun{RunRequest: "build-42", ExecutionID: 12},
				},
				Synced: corev1.ConditionTrue,
			},
		},
		"a resource that is not up to date is updated first": {
			obj: replicationObject(withRequest),
			observation: engine.Observation[imagereplication.Spec, imagereplication.Status]{
				Exists: true, Ready: true, Status: ready.Status,
			},
			want: outcome{
				Result:     reconcile.Result{RequeueAfter: testNotReadyInterval},
				Calls:      []string{"Observe " + id, "Update " + id},
				AtProvider: v1alpha1.ImageReplicationObservation{RunsOn: "site-b", PolicyID: 7, RegistryID: 4},
				Synced:     corev1.ConditionTrue,
			},
		},
		"an Observe-only resource never runs": {
			obj: replicationObject(withRequest, func(r *v1alpha1.ImageReplication) {
				r.Spec.ManagementPolicies = v1alpha1.ManagementPolicies{v1alpha1.ManagementActionObserve}
			}),
			observation: ready,
			want: outcome{
				Result:     reconcile.Result{RequeueAfter: testPollInterval},
				Calls:      []string{"Observe " + id},
				AtProvider: v1alpha1.ImageReplicationObservation{RunsOn: "site-b", PolicyID: 7, RegistryID: 4},
				Synced:     corev1.ConditionTrue,
			},
		},
		"a run request of a disabled replication is a terminal error": {
			obj: replicationObject(withRequest, func(r *v1alpha1.ImageReplication) {
				r.Spec.ForProvider.Enabled = new(false)
			}),
			observation: ready,
			want: outcome{
				Result:     reconcile.Result{RequeueAfter: testPollInterval},
				Calls:      []string{"Observe " + id},
				AtProvider: v1alpha1.ImageReplicationObservation{RunsOn: "site-b", PolicyID: 7, RegistryID: 4},
				Synced:     corev1.ConditionFalse,
			},
		},
		"a handled run request polls at the poll interval": {
			obj: replicationObject(withRequest, func(r *v1alpha1.ImageReplication) {
				r.Status.AtProvider.LastRunRequest = "build-42"
			}),
			observation: ready,
			want: outcome{
				Result:     reconcile.Result{RequeueAfter: testPollInterval},
				Calls:      []string{"Observe " + id},
				AtProvider: v1alpha1.ImageReplicationObservation{RunsOn: "site-b", PolicyID: 7, RegistryID: 4, LastRunRequest: "build-42"},
				Synced:     corev1.ConditionTrue,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
				WithObjects(defaultProviderConfig(), tc.obj).
				WithStatusSubresource(&v1alpha1.ImageReplication{}).Build()
			f := &fakeReplicationEngine{observation: tc.observation, runID: 12}
			adapter := NewImageReplicationAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}},
				func(*registry.Registry) ImageReplicationEngine { return f })
			r := NewReconciler(kube, func() Managed { return &v1alpha1.ImageReplication{} },
				Adapter[imagereplication.Spec, imagereplication.Status](adapter),
				WithPollInterval(testPollInterval), WithPollJitter(0), WithNotReadyPollInterval(testNotReadyInterval))
			req := reconcile.Request{NamespacedName: types.NamespacedName{Name: testReplication}}
			result, err := r.Reconcile(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			var stored v1alpha1.ImageReplication
			if err := kube.Get(ctx, req.NamespacedName, &stored); err != nil {
				t.Fatal(err)
			}
			got := outcome{Result: result, Calls: f.calls, AtProvider: stored.Status.AtProvider,
				Synced: stored.Status.GetCondition(v1alpha1.TypeSynced).Status}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Reconcile (-want +got):\n%s", diff)
			}
			if name := stored.Annotations[v1alpha1.AnnotationExternalName]; name != id {
				t.Errorf("external name = %q, want %q", name, id)
			}
		})
	}
}
