package controller

import (
	"context"
	"strings"
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
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

const (
	testCluster   = "web"
	testClusterID = "site-b/clusters/web"
)

// fakeClusterEngine is a cluster engine client that records its calls and
// answers what the test says.
type fakeClusterEngine struct {
	observation engine.Observation[cluster.Spec, cluster.Status]
	calls       []string
}

func (f *fakeClusterEngine) Observe(_ context.Context, id string, _ cluster.Spec) (engine.Observation[cluster.Spec, cluster.Status], error) {
	f.calls = append(f.calls, "Observe "+id)
	return f.observation, nil
}

func (f *fakeClusterEngine) Create(_ context.Context, want cluster.Spec) (string, error) {
	f.calls = append(f.calls, "Create "+cluster.ID(want))
	return cluster.ID(want), nil
}

func (f *fakeClusterEngine) Update(_ context.Context, id string, _ cluster.Spec) error {
	f.calls = append(f.calls, "Update "+id)
	return nil
}

func (f *fakeClusterEngine) Delete(_ context.Context, id string) error {
	f.calls = append(f.calls, "Delete "+id)
	return nil
}

// clusterObject is a Cluster as the API server would store it after
// defaulting: a BYOH cluster with one control plane machine and a pool.
func clusterObject(mutate ...func(*v1alpha1.Cluster)) *v1alpha1.Cluster {
	c := &v1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: testCluster, Generation: 4},
		Spec: v1alpha1.ClusterSpec{
			ResourceSpec: v1alpha1.ResourceSpec{
				DeletionPolicy:          v1alpha1.DeletionDelete,
				ManagementPolicies:      v1alpha1.ManagementPolicies{v1alpha1.ManagementActionAll},
				ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: v1alpha1.DefaultProviderConfigName},
			},
			ForProvider: v1alpha1.ClusterParameters{
				Site:              "site-b",
				Namespace:         "clusters",
				KubernetesVersion: "v1.36.0",
				ControlPlane: v1alpha1.ClusterControlPlane{
					Replicas: new(int64(3)),
					Endpoint: &v1alpha1.ClusterEndpoint{Host: "10.0.0.10", Port: 6443},
				},
				WorkerPools:        []v1alpha1.ClusterWorkerPool{{Name: "general", Replicas: 2}},
				ArgoCDRegistration: new(true),
			},
		},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func withClusterAnnotation(key, value string) func(*v1alpha1.Cluster) {
	return func(c *v1alpha1.Cluster) {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[key] = value
	}
}

func withClusterPolicies(actions ...v1alpha1.ManagementAction) func(*v1alpha1.Cluster) {
	return func(c *v1alpha1.Cluster) { c.Spec.ManagementPolicies = actions }
}

// observeOnlyCluster is an Observe-only Cluster that names its cluster only
// through the external-name annotation.
func observeOnlyCluster(c *v1alpha1.Cluster) {
	c.Spec.ManagementPolicies = v1alpha1.ManagementPolicies{v1alpha1.ManagementActionObserve}
	c.Spec.ForProvider = v1alpha1.ClusterParameters{ArgoCDRegistration: new(true)}
	c.Annotations = map[string]string{v1alpha1.AnnotationExternalName: "site-a/imported/legacy"}
}

func newTestClusterAdapter(f *fakeClusterEngine) *ClusterAdapter {
	return NewClusterAdapter(ProviderConfigResolver{}, func(*registry.Registry) engine.Client[cluster.Spec, cluster.Status] { return f })
}

// byohSpec is the engine spec of clusterObject().
func byohSpec() cluster.Spec {
	return cluster.Spec{
		Site: "site-b", Namespace: "clusters", Name: testCluster, KubernetesVersion: "v1.36.0",
		ControlPlane:       cluster.ControlPlane{Replicas: 3, EndpointHost: "10.0.0.10", EndpointPort: 6443},
		WorkerPools:        []cluster.WorkerPool{{Name: "general", Replicas: 2}},
		Infrastructure:     cluster.InfrastructureBYOH,
		ArgoCDRegistration: true,
	}
}

func TestClusterDesiredSpec(t *testing.T) {
	cases := map[string]struct {
		obj     *v1alpha1.Cluster
		want    cluster.Spec
		wantErr string
	}{
		"byoh with the defaults of a new cluster": {
			obj:  clusterObject(),
			want: byohSpec(),
		},
		"every field": {
			obj: clusterObject(func(c *v1alpha1.Cluster) {
				p := &c.Spec.ForProvider
				p.Infrastructure = v1alpha1.ClusterInfrastructureBYOH
				p.PodCIDRs, p.ServiceCIDRs = []string{"10.244.0.0/16"}, []string{"10.96.0.0/12"}
				p.Labels = map[string]string{"env": "prod"}
				p.ArgoCDRegistration = new(false)
				p.DeletionProtection = true
				p.WorkerPools = []v1alpha1.ClusterWorkerPool{
					{Name: "general", Replicas: 2, HostSelector: map[string]string{"rack": "r1"}, Labels: map[string]string{"tier": "web"}},
					{Name: "gpu", Replicas: 0, Taints: []v1alpha1.ClusterTaint{{Key: "nvidia.com/gpu", Value: "true", Effect: "NoSchedule"}, {Key: "dedicated", Effect: "NoExecute"}}},
				}
			}),
			want: cluster.Spec{
				Site: "site-b", Namespace: "clusters", Name: testCluster, KubernetesVersion: "v1.36.0",
				ControlPlane: cluster.ControlPlane{Replicas: 3, EndpointHost: "10.0.0.10", EndpointPort: 6443},
				WorkerPools: []cluster.WorkerPool{
					{Name: "general", Replicas: 2, HostSelector: map[string]string{"rack": "r1"}, Labels: map[string]string{"tier": "web"}},
					{Name: "gpu", Replicas: 0, Taints: []cluster.Taint{{Key: "nvidia.com/gpu", Value: "true", Effect: "NoSchedule"}, {Key: "dedicated", Effect: "NoExecute"}}},
				},
				PodCIDRs: []string{"10.244.0.0/16"}, ServiceCIDRs: []string{"10.96.0.0/12"},
				Infrastructure: cluster.InfrastructureBYOH,
				Labels:         map[string]string{"env": "prod"},
			},
		},
		"in_memory with unset control plane replicas: one machine": {
			obj: clusterObject(func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider.Infrastructure = v1alpha1.ClusterInfrastructureInMemory
				c.Spec.ForProvider.ControlPlane = v1alpha1.ClusterControlPlane{}
				c.Spec.ForProvider.ArgoCDRegistration = nil
			}),
			want: cluster.Spec{
				Site: "site-b", Namespace: "clusters", Name: testCluster, KubernetesVersion: "v1.36.0",
				ControlPlane:       cluster.ControlPlane{Replicas: 1},
				WorkerPools:        []cluster.WorkerPool{{Name: "general", Replicas: 2}},
				Infrastructure:     cluster.InfrastructureInMemory,
				ArgoCDRegistration: true,
			},
		},
		"the external name names the Cluster API Cluster": {
			obj: clusterObject(withClusterAnnotation(v1alpha1.AnnotationExternalName, "site-b/clusters/legacy-web")),
			want: func() cluster.Spec {
				s := byohSpec()
				s.Name = "legacy-web"
				return s
			}(),
		},
		"Observe only: the external name locates the cluster, nothing else is needed": {
			obj: clusterObject(observeOnlyCluster),
			want: cluster.Spec{
				Site: "site-a", Namespace: "imported", Name: "legacy",
				ControlPlane:       cluster.ControlPlane{Replicas: 1},
				Infrastructure:     cluster.InfrastructureBYOH,
				ArgoCDRegistration: true,
			},
		},
		"Observe only without external name: site and namespace locate it": {
			obj: clusterObject(withClusterPolicies(v1alpha1.ManagementActionObserve), func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider = v1alpha1.ClusterParameters{Site: "site-b", Namespace: "clusters"}
			}),
			want: cluster.Spec{
				Site: "site-b", Namespace: "clusters", Name: testCluster,
				ControlPlane: cluster.ControlPlane{Replicas: 1}, Infrastructure: cluster.InfrastructureBYOH, ArgoCDRegistration: true,
			},
		},
		"Observe only without site or external name": {
			obj: clusterObject(withClusterPolicies(v1alpha1.ManagementActionObserve), func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider = v1alpha1.ClusterParameters{}
			}),
			wantErr: "spec.forProvider.site: is required unless the external-name annotation names the cluster as <site>/<namespace>/<name>",
		},
		"an external name that is not an id": {
			obj:     clusterObject(withClusterAnnotation(v1alpha1.AnnotationExternalName, "web")),
			wantErr: `metadata.annotations[mc.mcplatform.dev/external-name]: "web" is not a cluster id of the form site/namespace/name`,
		},
		"an external name on another site": {
			obj:     clusterObject(withClusterAnnotation(v1alpha1.AnnotationExternalName, "site-c/clusters/web")),
			wantErr: `spec.forProvider.site: "site-b" differs from the site of the external name "site-c/clusters/web"`,
		},
		"an external name in another namespace": {
			obj:     clusterObject(withClusterAnnotation(v1alpha1.AnnotationExternalName, "site-b/other/web")),
			wantErr: `spec.forProvider.namespace: "clusters" differs from the namespace of the external name "site-b/other/web"`,
		},
		// The engine's Validate words its messages; the adapter names the field.
		"the engine's Validate names the field: byoh without endpoint": {
			obj:     clusterObject(func(c *v1alpha1.Cluster) { c.Spec.ForProvider.ControlPlane.Endpoint = nil }),
			wantErr: "spec.forProvider.controlPlane.endpoint.host: ",
		},
		"the engine's Validate names the field: a taint key": {
			obj: clusterObject(func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider.WorkerPools[0].Taints = []v1alpha1.ClusterTaint{{Key: "bad key", Effect: "NoSchedule"}}
			}),
			wantErr: "spec.forProvider.workerPools[0].taints[0].key: ",
		},
		"the engine's Validate names the field: overlapping networks": {
			obj: clusterObject(func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider.PodCIDRs, c.Spec.ForProvider.ServiceCIDRs = []string{"10.0.0.0/8"}, []string{"10.96.0.0/12"}
			}),
			wantErr: "spec.forProvider.serviceCIDRs: ",
		},
		"the engine's Validate names the field: the host selector of an in_memory pool": {
			obj: clusterObject(func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider.Infrastructure = v1alpha1.ClusterInfrastructureInMemory
				c.Spec.ForProvider.ControlPlane.Endpoint = nil
				c.Spec.ForProvider.WorkerPools[0].HostSelector = map[string]string{"rack": "r1"}
			}),
			wantErr: "spec.forProvider.workerPools[0].hostSelector: ",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := newTestClusterAdapter(&fakeClusterEngine{}).DesiredSpec(context.Background(), tc.obj)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("DesiredSpec error = %v, want one starting with %s", err, tc.wantErr)
				}
				if _, ok := engine.AsInvalidInput(err); !ok {
					t.Errorf("DesiredSpec error %v is not invalid input: the reconciler would retry it with backoff", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DesiredSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClusterDefaultExternalName(t *testing.T) {
	a := newTestClusterAdapter(&fakeClusterEngine{})
	cases := map[string]struct {
		obj  *v1alpha1.Cluster
		want string
	}{
		"site/namespace/metadata.name": {obj: clusterObject(), want: testClusterID},
		"none without a site":          {obj: clusterObject(func(c *v1alpha1.Cluster) { c.Spec.ForProvider.Site = "" })},
		"none without a namespace":     {obj: clusterObject(func(c *v1alpha1.Cluster) { c.Spec.ForProvider.Namespace = "" })},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := a.DefaultExternalName(tc.obj); got != tc.want {
				t.Errorf("DefaultExternalName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClusterSetObservation(t *testing.T) {
	obj := clusterObject(func(c *v1alpha1.Cluster) {
		c.Status.AtProvider = v1alpha1.ClusterObservation{Phase: "Provisioning", Conditions: []v1alpha1.ClusterAPICondition{{Type: "stale"}}}
	})
	newTestClusterAdapter(&fakeClusterEngine{}).SetObservation(obj, cluster.Status{
		Phase: "Provisioned", Endpoint: "https://10.0.0.10:6443", ReadyWorkers: 2, ControlPlaneReady: true,
		ObservedKubernetesVersion: "v1.36.0", ArgoCDClusterName: "web",
		Conditions: []cluster.Condition{
			{Type: "Available", Status: "True", Reason: "Available"},
			{Type: "WorkersAvailable", Status: "False", Reason: "NotAvailable", Message: "0 of 2 available"},
		},
	})
	want := v1alpha1.ClusterObservation{
		Phase: "Provisioned", Endpoint: "https://10.0.0.10:6443", ReadyWorkers: 2, ControlPlaneReady: true,
		ObservedKubernetesVersion: "v1.36.0", ArgoCDClusterName: "web",
		Conditions: []v1alpha1.ClusterAPICondition{
			{Type: "Available", Status: "True", Reason: "Available"},
			{Type: "WorkersAvailable", Status: "False", Reason: "NotAvailable", Message: "0 of 2 available"},
		},
	}
	if diff := cmp.Diff(want, obj.Status.AtProvider); diff != "" {
		t.Errorf("atProvider (-want +got):\n%s", diff)
	}
}

func TestClusterLateInitialize(t *testing.T) {
	actual := cluster.Spec{
		Site: "site-a", Namespace: "imported", Name: "legacy", KubernetesVersion: "v1.35.2",
		ControlPlane: cluster.ControlPlane{Replicas: 3, EndpointHost: "10.1.0.10", EndpointPort: 6443},
		WorkerPools: []cluster.WorkerPool{
			{Name: "general", Replicas: 4, HostSelector: map[string]string{"rack": "r2"}, Labels: map[string]string{"tier": "web"},
				Taints: []cluster.Taint{{Key: "dedicated", Value: "web", Effect: "NoSchedule"}}},
		},
		PodCIDRs: []string{"192.168.0.0/16"}, ServiceCIDRs: []string{"10.128.0.0/12"},
		Infrastructure: cluster.InfrastructureBYOH,
		Labels:         map[string]string{"owner": "ops"},
	}
	cases := map[string]struct {
		obj         *v1alpha1.Cluster
		actual      cluster.Spec
		wantChanged bool
		want        v1alpha1.ClusterParameters
	}{
		"an adopted cluster fills every unset field": {
			obj:         clusterObject(observeOnlyCluster),
			actual:      actual,
			wantChanged: true,
			want: v1alpha1.ClusterParameters{
				Site: "site-a", Namespace: "imported", KubernetesVersion: "v1.35.2",
				ControlPlane: v1alpha1.ClusterControlPlane{Replicas: new(int64(3)), Endpoint: &v1alpha1.ClusterEndpoint{Host: "10.1.0.10", Port: 6443}},
				WorkerPools: []v1alpha1.ClusterWorkerPool{
					{Name: "general", Replicas: 4, HostSelector: map[string]string{"rack": "r2"}, Labels: map[string]string{"tier": "web"},
						Taints: []v1alpha1.ClusterTaint{{Key: "dedicated", Value: "web", Effect: "NoSchedule"}}},
				},
				PodCIDRs: []string{"192.168.0.0/16"}, ServiceCIDRs: []string{"10.128.0.0/12"},
				Infrastructure:     v1alpha1.ClusterInfrastructureBYOH,
				Labels:             map[string]string{"owner": "ops"},
				ArgoCDRegistration: new(true),
			},
		},
		"set fields are kept, even when they differ": {
			obj:         clusterObject(),
			actual:      actual,
			wantChanged: true, // networks, infrastructure and labels were unset
			want: func() v1alpha1.ClusterParameters {
				p := clusterObject().Spec.ForProvider
				p.PodCIDRs, p.ServiceCIDRs = []string{"192.168.0.0/16"}, []string{"10.128.0.0/12"}
				p.Infrastructure = v1alpha1.ClusterInfrastructureBYOH
				p.Labels = map[string]string{"owner": "ops"}
				return p
			}(),
		},
		"a fully set spec does not change": {
			obj: clusterObject(func(c *v1alpha1.Cluster) {
				p := &c.Spec.ForProvider
				p.PodCIDRs, p.ServiceCIDRs = []string{"10.244.0.0/16"}, []string{"10.96.0.0/12"}
				p.Infrastructure = v1alpha1.ClusterInfrastructureBYOH
				p.Labels = map[string]string{}
			}),
			actual: actual,
			want: func() v1alpha1.ClusterParameters {
				p := clusterObject().Spec.ForProvider
				p.PodCIDRs, p.ServiceCIDRs = []string{"10.244.0.0/16"}, []string{"10.96.0.0/12"}
				p.Infrastructure = v1alpha1.ClusterInfrastructureBYOH
				p.Labels = map[string]string{}
				return p
			}(),
		},
		"argocdRegistration stored without its default takes the cluster's": {
			obj:         clusterObject(func(c *v1alpha1.Cluster) { c.Spec.ForProvider.ArgoCDRegistration = nil }),
			actual:      cluster.Spec{ArgoCDRegistration: false},
			wantChanged: true,
			want: func() v1alpha1.ClusterParameters {
				p := clusterObject().Spec.ForProvider
				p.ArgoCDRegistration = new(false)
				return p
			}(),
		},
		"values the CRD would reject are not filled": {
			obj: clusterObject(observeOnlyCluster),
			actual: cluster.Spec{
				Site: "site-a", Namespace: "imported", Name: "legacy",
				ControlPlane:   cluster.ControlPlane{Replicas: 2},
				Infrastructure: "DockerCluster",
			},
			wantChanged: true,
			want:        v1alpha1.ClusterParameters{Site: "site-a", Namespace: "imported", ArgoCDRegistration: new(true)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := newTestClusterAdapter(&fakeClusterEngine{})
			if changed := a.LateInitialize(tc.obj, tc.actual); changed != tc.wantChanged {
				t.Errorf("LateInitialize changed = %v, want %v", changed, tc.wantChanged)
			}
			if diff := cmp.Diff(tc.want, tc.obj.Spec.ForProvider); diff != "" {
				t.Errorf("forProvider (-want +got):\n%s", diff)
			}
			if a.LateInitialize(tc.obj, tc.actual) {
				t.Error("a second LateInitialize reported a change")
			}
		})
	}
}

// TestClusterExpandLateInitializeRoundTrip: a Cluster late-initialised
// from what the engine reports expands back to that spec, so an adopted
// cluster is up to date without a single change.
func TestClusterExpandLateInitializeRoundTrip(t *testing.T) {
	actual := cluster.Spec{
		Site: "site-a", Namespace: "imported", Name: "legacy", KubernetesVersion: "v1.35.2",
		ControlPlane: cluster.ControlPlane{Replicas: 3, EndpointHost: "10.1.0.10", EndpointPort: 6443},
		WorkerPools: []cluster.WorkerPool{
			{Name: "general", Replicas: 4, HostSelector: map[string]string{"rack": "r2"}, Labels: map[string]string{"tier": "web"}},
			{Name: "gpu", Replicas: 1, Taints: []cluster.Taint{{Key: "nvidia.com/gpu", Effect: "NoSchedule"}}},
		},
		PodCIDRs: []string{"192.168.0.0/16"}, ServiceCIDRs: []string{"10.128.0.0/12"},
		Infrastructure:     cluster.InfrastructureBYOH,
		Labels:             map[string]string{"owner": "ops"},
		ArgoCDRegistration: true,
	}
	obj := clusterObject(observeOnlyCluster, withClusterPolicies(v1alpha1.ManagementActionAll))
	a := newTestClusterAdapter(&fakeClusterEngine{})
	a.LateInitialize(obj, actual)
	got, err := a.DesiredSpec(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(actual, got); diff != "" {
		t.Errorf("DesiredSpec after LateInitialize (-actual +got):\n%s", diff)
	}
}

func TestClusterFieldPath(t *testing.T) {
	a := newTestClusterAdapter(&fakeClusterEngine{})
	cases := map[string]string{
		"name":                               "metadata.name",
		"id":                                 "metadata.annotations[mc.mcplatform.dev/external-name]",
		"site":                               "spec.forProvider.site",
		"namespace":                          "spec.forProvider.namespace",
		"kubernetes_version":                 "spec.forProvider.kubernetesVersion",
		"infrastructure":                     "spec.forProvider.infrastructure",
		"labels":                             "spec.forProvider.labels",
		"control_plane.replicas":             "spec.forProvider.controlPlane.replicas",
		"control_plane.endpoint_host":        "spec.forProvider.controlPlane.endpoint.host",
		"control_plane.endpoint_port":        "spec.forProvider.controlPlane.endpoint.port",
		"pod_cidrs":                          "spec.forProvider.podCIDRs",
		"service_cidrs":                      "spec.forProvider.serviceCIDRs",
		"argocd_registration":                "spec.forProvider.argocdRegistration",
		"deletion_protection":                "spec.forProvider.deletionProtection",
		"worker_pools[1].name":               "spec.forProvider.workerPools[1].name",
		"worker_pools[0].host_selector":      "spec.forProvider.workerPools[0].hostSelector",
		"worker_pools[0].taints[2].effect":   "spec.forProvider.workerPools[0].taints[2].effect",
		"worker_pools[0].replicas":           "spec.forProvider.workerPools[0].replicas",
		"worker_pools[3].labels":             "spec.forProvider.workerPools[3].labels",
		"worker_pools[0].taints[0].key":      "spec.forProvider.workerPools[0].taints[0].key",
		"worker_pools[0].taints[0].value":    "spec.forProvider.workerPools[0].taints[0].value",
		"worker_pools[10].taints[10].effect": "spec.forProvider.workerPools[10].taints[10].effect",
	}
	got := map[string]string{}
	for enginePath := range cases {
		got[enginePath] = a.FieldPath(enginePath)
	}
	if diff := cmp.Diff(cases, got); diff != "" {
		t.Errorf("FieldPath (-want +got):\n%s", diff)
	}
}

// TestReconcileCluster drives Clusters through the generic reconciler: the
// external name is site/namespace/name, Observe-only never writes, invalid
// input is reported with the field path before anything is observed, and
// deletion protection keeps the finalizer.
func TestReconcileCluster(t *testing.T) {
	ready := engine.Observation[cluster.Spec, cluster.Status]{
		Exists: true, Ready: true, UpToDate: true,
		Actual: byohSpec(),
		Status: cluster.Status{Phase: "Provisioned", ReadyWorkers: 2, ControlPlaneReady: true, ObservedKubernetesVersion: "v1.36.0"},
	}
	readyAt := v1alpha1.ClusterObservation{Phase: "Provisioned", ReadyWorkers: 2, ControlPlaneReady: true, ObservedKubernetesVersion: "v1.36.0"}
	existing := func(c *v1alpha1.Cluster) {
		c.Finalizers = []string{v1alpha1.Finalizer}
		c.Annotations = map[string]string{v1alpha1.AnnotationExternalName: testClusterID}
		p := &c.Spec.ForProvider
		p.Infrastructure = v1alpha1.ClusterInfrastructureBYOH
	}
	beingDeletedCluster := func(c *v1alpha1.Cluster) {
		now := metav1.NewTime(testNow)
		c.DeletionTimestamp = &now
	}
	type outcome struct {
		Result     reconcile.Result
		Calls      []string
		AtProvider v1alpha1.ClusterObservation
		Synced     corev1.ConditionStatus
		Message    string
		Finalizers []string
		Gone       bool
	}
	cases := map[string]struct {
		obj         *v1alpha1.Cluster
		observation engine.Observation[cluster.Spec, cluster.Status]
		want        outcome
	}{
		"a new cluster is created under site/namespace/name": {
			obj: clusterObject(),
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testNotReadyInterval},
				Calls:  []string{"Observe " + testClusterID, "Create " + testClusterID},
				Synced: corev1.ConditionTrue, Finalizers: []string{v1alpha1.Finalizer},
			},
		},
		"a Ready, up-to-date cluster is polled": {
			obj:         clusterObject(existing),
			observation: ready,
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testPollInterval},
				Calls:  []string{"Observe " + testClusterID}, AtProvider: readyAt,
				Synced: corev1.ConditionTrue, Finalizers: []string{v1alpha1.Finalizer},
			},
		},
		"a cluster that is not up to date is updated": {
			obj: clusterObject(existing),
			observation: engine.Observation[cluster.Spec, cluster.Status]{
				Exists: true, Ready: true, Actual: byohSpec(), Status: ready.Status,
			},
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testNotReadyInterval},
				Calls:  []string{"Observe " + testClusterID, "Update " + testClusterID}, AtProvider: readyAt,
				Synced: corev1.ConditionTrue, Finalizers: []string{v1alpha1.Finalizer},
			},
		},
		"an Observe-only cluster that is not up to date is only observed": {
			obj: clusterObject(existing, observeOnlyCluster),
			observation: engine.Observation[cluster.Spec, cluster.Status]{
				Exists: true, Ready: true, Actual: byohSpec(), Status: ready.Status,
			},
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testPollInterval},
				Calls:  []string{"Observe site-a/imported/legacy"}, AtProvider: readyAt,
				Synced: corev1.ConditionTrue, Finalizers: []string{v1alpha1.Finalizer},
			},
		},
		"invalid input is reported with its field path and nothing is observed": {
			obj: clusterObject(func(c *v1alpha1.Cluster) { c.Spec.ForProvider.ControlPlane.Endpoint = nil }),
			want: outcome{
				Result:     reconcile.Result{RequeueAfter: testPollInterval},
				Synced:     corev1.ConditionFalse,
				Message:    "cannot resolve spec.forProvider: spec.forProvider.controlPlane.endpoint.host: ",
				Finalizers: []string{v1alpha1.Finalizer},
			},
		},
		"deletion with deletionPolicy Delete deletes the cluster": {
			obj:         clusterObject(existing, beingDeletedCluster),
			observation: ready,
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testNotReadyInterval},
				Calls:  []string{"Observe " + testClusterID, "Delete " + testClusterID}, AtProvider: v1alpha1.ClusterObservation{},
				Synced: corev1.ConditionTrue, Finalizers: []string{v1alpha1.Finalizer},
			},
		},
		"deletion protection refuses Delete and keeps the finalizer": {
			obj: clusterObject(existing, beingDeletedCluster, func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider.DeletionProtection = true
			}),
			observation: ready,
			want: outcome{
				Result: reconcile.Result{RequeueAfter: testPollInterval},
				Calls:  []string{"Observe " + testClusterID},
				Synced: corev1.ConditionFalse,
				Message: `cannot delete external resource "` + testClusterID + `": spec.forProvider.deletionProtection: is true, so cluster ` + testClusterID +
					` is not deleted: set it to false to delete the cluster, or set spec.deletionPolicy to Orphan to leave it in place`,
				Finalizers: []string{v1alpha1.Finalizer},
			},
		},
		"deletion protection does not stop deletionPolicy Orphan": {
			obj: clusterObject(existing, beingDeletedCluster, func(c *v1alpha1.Cluster) {
				c.Spec.ForProvider.DeletionProtection = true
				c.Spec.DeletionPolicy = v1alpha1.DeletionOrphan
			}),
			observation: ready,
			want:        outcome{Gone: true},
		},
		"deleting an Observe-only cluster only releases it": {
			obj:         clusterObject(existing, observeOnlyCluster, beingDeletedCluster),
			observation: ready,
			want:        outcome{Gone: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
				WithObjects(defaultProviderConfig(), tc.obj).
				WithStatusSubresource(&v1alpha1.Cluster{}).Build()
			f := &fakeClusterEngine{observation: tc.observation}
			adapter := NewClusterAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}},
				func(*registry.Registry) engine.Client[cluster.Spec, cluster.Status] { return f })
			r := NewReconciler(kube, func() Managed { return &v1alpha1.Cluster{} },
				Adapter[cluster.Spec, cluster.Status](adapter),
				WithPollInterval(testPollInterval), WithPollJitter(0), WithNotReadyPollInterval(testNotReadyInterval))
			req := reconcile.Request{NamespacedName: types.NamespacedName{Name: testCluster}}
			result, err := r.Reconcile(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			var stored v1alpha1.Cluster
			got := outcome{Result: result, Calls: f.calls}
			if err := kube.Get(ctx, req.NamespacedName, &stored); err != nil {
				got.Gone = true
			} else {
				sy := stored.Status.GetCondition(v1alpha1.TypeSynced)
				got.AtProvider, got.Synced, got.Message, got.Finalizers = stored.Status.AtProvider, sy.Status, sy.Message, stored.Finalizers
			}
			// The engine's wording is its own: compare the start of messages
			// that end with it.
			if strings.HasSuffix(tc.want.Message, ": ") && strings.HasPrefix(got.Message, tc.want.Message) {
				got.Message = tc.want.Message
			}
			if tc.want.Gone {
				got.Result, got.Calls = reconcile.Result{}, nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Reconcile (-want +got):\n%s", diff)
			}
		})
	}
}
