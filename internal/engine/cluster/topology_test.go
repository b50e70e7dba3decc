package cluster

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func topologySpec() Spec {
	return Spec{
		Site: "site-b", Namespace: "clusters", Name: "edge-1", KubernetesVersion: "v1.36.0",
		Infrastructure: InfrastructureInMemory,
		ControlPlane:   ControlPlane{Replicas: 1},
		Topology: &Topology{
			Class:     "in-memory",
			Variables: map[string]string{"imageRepository": `"registry.example/k8s"`, "workers": `{"count": 2}`},
			Workers:   []TopologyWorker{{Name: "md-0", Class: "default-worker", Replicas: 2}},
		},
	}
}

func TestValidateTopology(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*Spec)
		wantPath string
		wantMsg  string
	}{
		{"valid", func(*Spec) {}, "", ""},
		{"byoh without endpoint", func(s *Spec) { s.Infrastructure = InfrastructureBYOH }, "", ""},
		{"with worker pools", func(s *Spec) { s.WorkerPools = []WorkerPool{{Name: "general", Replicas: 1}} }, "worker_pools", "topology.workers"},
		{"with endpoint", func(s *Spec) { s.ControlPlane.EndpointHost, s.ControlPlane.EndpointPort = "10.0.0.1", 6443 }, "control_plane.endpoint_host", "leave it unset"},
		{"with host selector", func(s *Spec) { s.ControlPlane.HostSelector = map[string]string{"a": "b"} }, "control_plane.host_selector", "leave it unset"},
		{"no class", func(s *Spec) { s.Topology.Class = "" }, "topology.class", "not a ClusterClass name"},
		{"bad class namespace", func(s *Spec) { s.Topology.ClassNamespace = "A" }, "topology.class_namespace", "not a namespace name"},
		{"variable not JSON", func(s *Spec) { s.Topology.Variables["imageRepository"] = "registry.example/k8s" }, "topology.variables", `variable "imageRepository" is not JSON`},
		{"bad worker name", func(s *Spec) { s.Topology.Workers[0].Name = "MD" }, "topology.workers[0].name", "not a valid machine deployment name"},
		{"duplicate worker", func(s *Spec) {
			s.Topology.Workers = append(s.Topology.Workers, TopologyWorker{Name: "md-0", Class: "default-worker"})
		}, "topology.workers[1].name", "already defined by topology.workers[0]"},
		{"worker without class", func(s *Spec) { s.Topology.Workers[0].Class = "" }, "topology.workers[0].class", "must name a worker class"},
		{"negative replicas", func(s *Spec) { s.Topology.Workers[0].Replicas = -1 }, "topology.workers[0].replicas", "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := topologySpec()
			tc.mutate(&s)
			err := Validate(s)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			in, ok := engine.AsInvalidInput(err)
			if !ok {
				t.Fatalf("Validate() = %v, want an invalid input error", err)
			}
			if in.Path != tc.wantPath || !strings.Contains(in.Message, tc.wantMsg) {
				t.Fatalf("Validate() = %q at %q, want %q at %q", in.Message, in.Path, tc.wantMsg, tc.wantPath)
			}
		})
	}
}

// TestTopologyObjects checks that a topology cluster is its Cluster alone,
// whose spec.topology holds the version, the control plane replicas, the
// machine deployments and the variables, and that Observe reads the same
// spec back from it.
func TestTopologyObjects(t *testing.T) {
	s := topologySpec()
	objs := objects(s)
	if len(objs) != 1 {
		t.Fatalf("objects() = %d objects, want the Cluster alone", len(objs))
	}
	cl := objs[0].(*clusterv1.Cluster)
	want := clusterv1.Topology{
		ClassRef:     clusterv1.ClusterClassRef{Name: "in-memory"},
		Version:      "v1.36.0",
		ControlPlane: clusterv1.ControlPlaneTopology{Replicas: ptr.To(int32(1))},
		Workers: clusterv1.WorkersTopology{MachineDeployments: []clusterv1.MachineDeploymentTopology{
			{Name: "md-0", Class: "default-worker", Replicas: ptr.To(int32(2))},
		}},
		Variables: []clusterv1.ClusterVariable{
			{Name: "imageRepository", Value: apiextensionsv1.JSON{Raw: []byte(`"registry.example/k8s"`)}},
			{Name: "workers", Value: apiextensionsv1.JSON{Raw: []byte(`{"count":2}`)}},
		},
	}
	if diff := cmp.Diff(want, cl.Spec.Topology); diff != "" {
		t.Errorf("spec.topology (-want +got):\n%s", diff)
	}
	if cl.Spec.ControlPlaneRef.IsDefined() || cl.Spec.InfrastructureRef.IsDefined() {
		t.Errorf("Cluster refers to its control plane %v or infrastructure %v: the topology controller makes them", cl.Spec.ControlPlaneRef, cl.Spec.InfrastructureRef)
	}
	cl.Spec.InfrastructureRef = clusterv1.ContractVersionedObjectReference{APIGroup: infraGroupVersion.Group, Kind: "DevCluster", Name: "edge-1-x"}
	cl.Spec.Topology.ClassRef.Namespace = "clusters" // Cluster API's webhook fills it in
	o := &observed{cluster: cl, pools: map[string]*clusterv1.MachineDeployment{}}
	got := actualSpec("site-b", "clusters", "edge-1", o, s)
	wantSpec := s
	wantSpec.Labels = nil
	wantSpec.PodCIDRs, wantSpec.ServiceCIDRs = []string{DefaultPodCIDR}, []string{DefaultServiceCIDR}
	wantSpec.Topology.Variables = map[string]string{"imageRepository": `"registry.example/k8s"`, "workers": `{"count":2}`}
	if diff := cmp.Diff(wantSpec, got); diff != "" {
		t.Errorf("actualSpec (-want +got):\n%s", diff)
	}
	if !upToDate(s, got) {
		t.Errorf("upToDate(want, actual) = false for the spec just made")
	}
	scaled := topologySpec()
	scaled.Topology.Workers[0].Replicas = 3
	if upToDate(scaled, got) {
		t.Errorf("upToDate() = true after a scale")
	}
	otherValue := topologySpec()
	otherValue.Topology.Variables["workers"] = `{"count": 3}`
	if upToDate(otherValue, got) {
		t.Errorf("upToDate() = true after a variable changed")
	}
	// A variable the class defaults (the webhook writes it in) is no drift.
	cl.Spec.Topology.Variables = append(cl.Spec.Topology.Variables, clusterv1.ClusterVariable{Name: "defaulted", Value: apiextensionsv1.JSON{Raw: []byte(`true`)}})
	if got := actualSpec("site-b", "clusters", "edge-1", o, s); !upToDate(s, got) {
		t.Errorf("upToDate() = false with a defaulted variable: %v", got.Topology.Variables)
	}
	// An import (no topology wanted yet) reports every variable.
	imported := actualSpec("site-b", "clusters", "edge-1", o, Spec{})
	if len(imported.Topology.Variables) != 3 || imported.Infrastructure != InfrastructureInMemory {
		t.Errorf("imported topology = %+v, infrastructure %q", imported.Topology, imported.Infrastructure)
	}
}

// TestSetTopologyKeepsWhatItDoesNotOwn checks that an update changes only
// what the engine owns of spec.topology: a machine deployment's metadata
// set by someone else stays.
func TestSetTopologyKeepsWhatItDoesNotOwn(t *testing.T) {
	cl, err := topologyClusterObject(topologySpec())
	if err != nil {
		t.Fatal(err)
	}
	cl.Spec.Topology.Workers.MachineDeployments[0].Metadata.Labels = map[string]string{"team": "edge"}
	cl.Spec.Topology.ControlPlane.Metadata.Labels = map[string]string{"tier": "cp"}
	want := topologySpec()
	want.Topology.Workers[0].Replicas = 5
	want.KubernetesVersion = "v1.36.1"
	if err := setTopology(&cl.Spec.Topology, want); err != nil {
		t.Fatal(err)
	}
	md := cl.Spec.Topology.Workers.MachineDeployments[0]
	if ptr.Deref(md.Replicas, 0) != 5 || md.Metadata.Labels["team"] != "edge" || cl.Spec.Topology.Version != "v1.36.1" || cl.Spec.Topology.ControlPlane.Metadata.Labels["tier"] != "cp" {
		t.Errorf("topology after update = %+v", cl.Spec.Topology)
	}
}

func TestRefuseTopologySwitch(t *testing.T) {
	plain := inMemorySpec()
	topo := topologySpec()
	if err := refuseImmutableChanges(topo, plain); err == nil || !strings.Contains(err.Error(), `topology { class = "in-memory"`) {
		t.Errorf("plain configuration of a topology cluster: %v", err)
	}
	if err := refuseImmutableChanges(plain, topo); err == nil || !strings.Contains(err.Error(), "replace the cluster") {
		t.Errorf("topology configuration of a plain cluster: %v", err)
	}
}

func testClass() *clusterv1.ClusterClass {
	schema := func(props clusterv1.JSONSchemaProps) clusterv1.VariableSchema {
		return clusterv1.VariableSchema{OpenAPIV3Schema: props}
	}
	return &clusterv1.ClusterClass{
		ObjectMeta: metav1.ObjectMeta{Namespace: "clusters", Name: "in-memory"},
		Spec: clusterv1.ClusterClassSpec{
			Workers: clusterv1.WorkersClass{MachineDeployments: []clusterv1.MachineDeploymentClass{{Class: "default-worker"}}},
			Variables: []clusterv1.ClusterClassVariable{
				{Name: "imageRepository", Required: ptr.To(true), Schema: schema(clusterv1.JSONSchemaProps{Type: "string", MinLength: ptr.To[int64](1)})},
				{Name: "workers", Schema: schema(clusterv1.JSONSchemaProps{Type: "object", Properties: map[string]clusterv1.JSONSchemaProps{
					"count": {Type: "integer", Minimum: ptr.To[int64](1)},
				}})},
			},
		},
	}
}

func TestValidateAgainstClass(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Spec)
		want   []string // messages, in order
	}{
		{"valid", func(*Spec) {}, nil},
		{"variable not in class", func(s *Spec) { s.Topology.Variables["flavour"] = `"large"` }, []string{
			`variable "flavour" is not a variable of ClusterClass clusters/in-memory (it has "imageRepository", "workers")`,
		}},
		{"wrong type", func(s *Spec) { s.Topology.Variables["imageRepository"] = `3` }, []string{`variable "imageRepository" does not match the schema`}},
		{"nested minimum", func(s *Spec) { s.Topology.Variables["workers"] = `{"count": 0}` }, []string{`variable "workers" does not match the schema of ClusterClass clusters/in-memory: workers.count in body should be greater than or equal to 1`}},
		{"required missing", func(s *Spec) { delete(s.Topology.Variables, "imageRepository") }, []string{`variable "imageRepository" is required`}},
		{"worker class not in class", func(s *Spec) { s.Topology.Workers[0].Class = "gpu-worker" }, []string{`"gpu-worker" is not a worker class of ClusterClass clusters/in-memory (it has "default-worker")`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := topologySpec()
			tc.mutate(&s)
			err := validateAgainstClass(s, testClass())
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("validateAgainstClass() = %v", err)
				}
				return
			}
			if _, ok := engine.AsInvalidInput(err); !ok {
				t.Fatalf("validateAgainstClass() = %v, want an invalid input error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("validateAgainstClass() = %v, want it to say %q", err, w)
				}
			}
		})
	}
}

// TestTopologyReadiness checks that a topology cluster is ready only once
// the topology controller has carried out spec.topology: a control plane
// already upgraded beside a machine deployment still on the old version
// (the moment between the two steps of an upgrade) is not ready, even with
// every object settled and TopologyReconciled True.
func TestTopologyReadiness(t *testing.T) {
	settled := func(gen int64, replicas int32) (int64, *int32, *int32, *int32) {
		return gen, ptr.To(replicas), ptr.To(replicas), ptr.To(replicas)
	}
	build := func(mdVersion string, mdReplicas int32, reconciledAt int64) *observed {
		cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "edge-1", Generation: 4}}
		cl.Spec.Topology = clusterv1.Topology{ClassRef: clusterv1.ClusterClassRef{Name: "in-memory"}, Version: "v1.36.1",
			ControlPlane: clusterv1.ControlPlaneTopology{Replicas: ptr.To(int32(1))},
			Workers:      clusterv1.WorkersTopology{MachineDeployments: []clusterv1.MachineDeploymentTopology{{Name: "md-0", Class: "default-worker", Replicas: ptr.To(int32(2))}}}}
		cl.Status.Conditions = []metav1.Condition{
			{Type: clusterv1.ClusterAvailableCondition, Status: metav1.ConditionTrue},
			{Type: clusterv1.ClusterTopologyReconciledCondition, Status: metav1.ConditionTrue, ObservedGeneration: reconciledAt},
		}
		kcp := &controlplanev1.KubeadmControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "edge-1-abcde", Generation: 2}}
		kcp.Spec.Version, kcp.Spec.Replicas, kcp.Status.Version = "v1.36.1", ptr.To(int32(1)), "v1.36.1"
		kcp.Status.ObservedGeneration, kcp.Status.Replicas, kcp.Status.ReadyReplicas, kcp.Status.UpToDateReplicas = settled(2, 1)
		md := &clusterv1.MachineDeployment{ObjectMeta: metav1.ObjectMeta{Name: "edge-1-md-0-xyz", Generation: 3, Labels: map[string]string{labelTopologyDeployment: "md-0"}}}
		md.Spec.Replicas, md.Spec.Template.Spec.Version = ptr.To(mdReplicas), mdVersion
		md.Status.ObservedGeneration, md.Status.Replicas, md.Status.ReadyReplicas, md.Status.UpToDateReplicas = settled(3, mdReplicas)
		ms := clusterv1.MachineSet{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{labelDeploymentName: md.Name}}}
		ms.Spec.Template.Spec = md.Spec.Template.Spec
		return &observed{cluster: cl, kcp: kcp, pools: map[string]*clusterv1.MachineDeployment{"md-0": md}, machineSets: []clusterv1.MachineSet{ms}}
	}
	tests := []struct {
		name      string
		o         *observed
		wantReady bool
		wantNote  string
	}{
		{"carried out", build("v1.36.1", 2, 4), true, ""},
		{"pool pending upgrade", build("v1.36.0", 2, 4), false, "pool md-0 pending upgrade from v1.36.0 to v1.36.1"},
		{"pool pending scale", build("v1.36.1", 1, 4), false, "pool md-0 pending scale to 2"},
		{"generation not reconciled", build("v1.36.1", 2, 3), false, "topology controller has not seen the latest change"},
		{"Cluster still rolling out", func() *observed {
			o := build("v1.36.1", 2, 4)
			o.cluster.Status.Conditions = append(o.cluster.Status.Conditions, metav1.Condition{Type: clusterv1.ClusterRollingOutCondition, Status: metav1.ConditionTrue,
				Message: "* MachineDeployment edge-1-md-0-xyz:\n  * Rolling out 1 not up-to-date replicas"})
			return o
		}(), false, "Cluster RollingOut: MachineDeployment edge-1-md-0-xyz:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ready, msg := status(tc.o)
			if ready != tc.wantReady || !strings.Contains(msg, tc.wantNote) {
				t.Errorf("status() = ready %v, %q; want ready %v, saying %q", ready, msg, tc.wantReady, tc.wantNote)
			}
		})
	}
}
