package cluster

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func validSpec() Spec {
	return Spec{
		Site: "site-b", Namespace: "clusters", Name: "edge-1",
		KubernetesVersion: "v1.36.0",
		ControlPlane:      ControlPlane{Replicas: 3, EndpointHost: "10.0.0.10", EndpointPort: 6443},
		WorkerPools: []WorkerPool{
			{Name: "general", Replicas: 2, HostSelector: map[string]string{"rack": "a"}},
			{Name: "gpu", Replicas: 1, Labels: map[string]string{"node-role.kubernetes.io/gpu": ""}, Taints: []Taint{{Key: "gpu", Value: "true", Effect: "NoSchedule"}}},
		},
		PodCIDRs:     []string{"192.168.0.0/16"},
		ServiceCIDRs: []string{"10.128.0.0/12"},
		Labels:       map[string]string{"env": "prod"},
	}
}

func inMemorySpec() Spec {
	s := validSpec()
	s.Infrastructure = InfrastructureInMemory
	s.ControlPlane = ControlPlane{Replicas: 1}
	s.WorkerPools[0].HostSelector = nil
	return s
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		base     func() Spec
		mutate   func(*Spec)
		wantPath string
		wantMsg  string
	}{
		{"valid byoh", validSpec, func(*Spec) {}, "", ""},
		{"valid in_memory", inMemorySpec, func(*Spec) {}, "", ""},
		{"default networks", validSpec, func(s *Spec) { s.PodCIDRs, s.ServiceCIDRs = nil, nil }, "", ""},
		{"bad site", validSpec, func(s *Spec) { s.Site = "Site" }, "site", "not a valid site name"},
		{"bad namespace", validSpec, func(s *Spec) { s.Namespace = "" }, "namespace", "not a namespace name"},
		{"bad name", validSpec, func(s *Spec) { s.Name = "edge_1" }, "name", "not a valid cluster name"},
		{"version without v", validSpec, func(s *Spec) { s.KubernetesVersion = "1.36.0" }, "kubernetes_version", "not a Kubernetes version"},
		{"version without patch", validSpec, func(s *Spec) { s.KubernetesVersion = "v1.36" }, "kubernetes_version", "not a Kubernetes version"},
		{"version 2", validSpec, func(s *Spec) { s.KubernetesVersion = "v2.0.0" }, "kubernetes_version", "not a Kubernetes version"},
		{"unknown infrastructure", validSpec, func(s *Spec) { s.Infrastructure = "aws" }, "infrastructure", "not one of"},
		{"even control plane", validSpec, func(s *Spec) { s.ControlPlane.Replicas = 2 }, "control_plane.replicas", "odd"},
		{"no control plane", validSpec, func(s *Spec) { s.ControlPlane.Replicas = 0 }, "control_plane.replicas", "at least 1"},
		{"byoh without endpoint", validSpec, func(s *Spec) { s.ControlPlane.EndpointHost = "" }, "control_plane.endpoint_host", "byoh infrastructure needs"},
		{"byoh without port", validSpec, func(s *Spec) { s.ControlPlane.EndpointPort = 0 }, "control_plane.endpoint_port", "port"},
		{"port out of range", validSpec, func(s *Spec) { s.ControlPlane.EndpointPort = 70000 }, "control_plane.endpoint_port", "not a port"},
		{"bad endpoint host", validSpec, func(s *Spec) { s.ControlPlane.EndpointHost = "a b" }, "control_plane.endpoint_host", "neither an IP"},
		{"in_memory with endpoint", inMemorySpec, func(s *Spec) { s.ControlPlane.EndpointHost = "10.0.0.1" }, "control_plane.endpoint_host", "leave it unset"},
		{"bad pod cidr", validSpec, func(s *Spec) { s.PodCIDRs = []string{"192.168.0.0"} }, "pod_cidrs", "not a CIDR"},
		{"host bits", validSpec, func(s *Spec) { s.PodCIDRs = []string{"192.168.1.0/16"} }, "pod_cidrs", "host bits"},
		{"pods overlap services", validSpec, func(s *Spec) { s.ServiceCIDRs = []string{"192.168.128.0/20"} }, "service_cidrs", "overlaps 192.168.0.0/16 of pod_cidrs"},
		{"two IPv4 pod ranges", validSpec, func(s *Spec) { s.PodCIDRs = []string{"10.0.0.0/8", "10.1.0.0/16"} }, "pod_cidrs[1]", "one range per IP family"},
		{"services overlap default pods", validSpec, func(s *Spec) { s.PodCIDRs, s.ServiceCIDRs = nil, []string{"192.168.0.0/24"} }, "service_cidrs", "default pod_cidrs"},
		{"dual stack", validSpec, func(s *Spec) {
			s.PodCIDRs, s.ServiceCIDRs = append(s.PodCIDRs, "fd00:10::/56"), append(orDefault(s.ServiceCIDRs, DefaultServiceCIDR), "fd00:20::/112")
		}, "", ""},
		{"bad pool name", validSpec, func(s *Spec) { s.WorkerPools[1].Name = "GPU" }, "worker_pools[1].name", "not a valid pool name"},
		{"duplicate pool", validSpec, func(s *Spec) { s.WorkerPools[1].Name = "general" }, "worker_pools[1].name", "already defined by worker_pools[0]"},
		{"reserved pool name", validSpec, func(s *Spec) { s.WorkerPools[0].Name = "control-plane" }, "worker_pools[0].name", "reserved"},
		{"pool name too long", validSpec, func(s *Spec) { s.WorkerPools[0].Name = strings.Repeat("p", 60) }, "worker_pools[0].name", "more than"},
		{"negative replicas", validSpec, func(s *Spec) { s.WorkerPools[0].Replicas = -1 }, "worker_pools[0].replicas", "negative"},
		{"host selector on in_memory", inMemorySpec, func(s *Spec) { s.WorkerPools[1].HostSelector = map[string]string{"a": "b"} }, "worker_pools[1].host_selector", "only applies to byoh"},
		{"control plane host selector on in_memory", inMemorySpec, func(s *Spec) { s.ControlPlane.HostSelector = map[string]string{"a": "b"} }, "control_plane.host_selector", "only applies to byoh"},
		{"bad control plane host selector", validSpec, func(s *Spec) { s.ControlPlane.HostSelector = map[string]string{"a": "b c"} }, "control_plane.host_selector", "label value"},
		{"bad pool label", validSpec, func(s *Spec) { s.WorkerPools[0].Labels = map[string]string{"a b": "c"} }, "worker_pools[0].labels", "label key"},
		{"bad taint effect", validSpec, func(s *Spec) { s.WorkerPools[1].Taints[0].Effect = "Never" }, "worker_pools[1].taints[0].effect", "not one of"},
		{"bad cluster label", validSpec, func(s *Spec) { s.Labels = map[string]string{"env": "a b"} }, "labels", "label value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.base()
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

func TestParseID(t *testing.T) {
	s, ns, n, err := ParseID(ID(validSpec()))
	if err != nil || s != "site-b" || ns != "clusters" || n != "edge-1" {
		t.Fatalf("ParseID(ID()) = %q %q %q %v", s, ns, n, err)
	}
	for _, bad := range []string{"", "a/b", "a//c", "a/b/c/d"} {
		if _, _, _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) = nil error", bad)
		}
	}
}

func TestInMemoryObjects(t *testing.T) {
	s := inMemorySpec()
	s.PodCIDRs, s.ServiceCIDRs = nil, nil
	var got []string
	for _, u := range inMemoryObjects(s) {
		if u.GetLabels()["mc.mcplatform.dev/site"] != "site-b" || u.GetLabels()[LabelClusterName] != "edge-1" {
			t.Errorf("%s %s labels = %v", kindOf(u), u.GetName(), u.GetLabels())
		}
		got = append(got, kindOf(u)+"/"+u.GetName())
	}
	want := []string{
		"Cluster/edge-1", "DevCluster/edge-1", "DevMachineTemplate/edge-1-control-plane", "KubeadmControlPlane/edge-1-control-plane",
		"DevMachineTemplate/edge-1-general", "KubeadmConfigTemplate/edge-1-general", "MachineDeployment/edge-1-general",
		"DevMachineTemplate/edge-1-gpu", "KubeadmConfigTemplate/edge-1-gpu", "MachineDeployment/edge-1-gpu",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("objects (-want +got):\n%s", diff)
	}
	objs := inMemoryObjects(s)
	if objs[1].GetAnnotations()[annotationNote] == "" {
		t.Error("DevCluster has no annotation: CAPD 1.14.2's in-memory reconciler panics without one")
	}
	// Observing the objects as created gives back the spec.
	o := observedOf(t, "edge-1", objs)
	wantSpec := s
	wantSpec.PodCIDRs, wantSpec.ServiceCIDRs = []string{DefaultPodCIDR}, []string{DefaultServiceCIDR}
	gotSpec := actualSpec("site-b", "clusters", "edge-1", o, s)
	if diff := cmp.Diff(wantSpec, gotSpec); diff != "" {
		t.Fatalf("actualSpec (-want +got):\n%s", diff)
	}
	if !upToDate(s, gotSpec) {
		t.Fatal("upToDate() = false for the spec the objects were built from")
	}
	s.WorkerPools[0].Replicas = 3
	if upToDate(s, gotSpec) {
		t.Fatal("upToDate() = true although a pool was scaled")
	}
}

// plainManifests is a cluster made without the engine, named as Cluster
// API's own templates name things: no worker-pool labels, a pool named
// <cluster>-md-0.
const plainManifests = `apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: legacy
  labels: {team: payments}
spec:
  clusterNetwork:
    pods: {cidrBlocks: ["10.244.0.0/16"]}
    services: {cidrBlocks: ["10.96.0.0/12"]}
    serviceDomain: cluster.local
  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: KubeadmControlPlane, name: legacy-cp}
  infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevCluster, name: legacy}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata:
  name: legacy-cp
spec:
  replicas: 1
  version: v1.36.0
  machineTemplate:
    spec:
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevMachineTemplate, name: legacy-cp}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata:
  name: legacy-md-0
spec:
  template:
    spec:
      joinConfiguration:
        nodeRegistration:
          taints: [{key: dedicated, value: payments, effect: NoSchedule}]
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata:
  name: legacy-md-0
  labels: {cluster.x-k8s.io/cluster-name: legacy}
spec:
  clusterName: legacy
  replicas: 2
  selector: {matchLabels: {}}
  template:
    metadata:
      labels: {workload: payments}
    spec:
      clusterName: legacy
      version: v1.36.0
      bootstrap:
        configRef: {apiGroup: bootstrap.cluster.x-k8s.io, kind: KubeadmConfigTemplate, name: legacy-md-0}
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevMachineTemplate, name: legacy-md-0}
`

// TestObservePlainManifests reads a cluster made from plain manifests (as
// for an import) back as a spec.
func TestObservePlainManifests(t *testing.T) {
	var objs []object
	for _, doc := range strings.Split(plainManifests, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, u)
	}
	o := observedOf(t, "legacy", objs)
	want := Spec{
		Site: "site-b", Namespace: "team", Name: "legacy", Labels: map[string]string{"team": "payments"},
		KubernetesVersion: "v1.36.0", ControlPlane: ControlPlane{Replicas: 1}, Infrastructure: InfrastructureInMemory,
		PodCIDRs: []string{"10.244.0.0/16"}, ServiceCIDRs: []string{"10.96.0.0/12"},
		WorkerPools: []WorkerPool{{Name: "md-0", Replicas: 2, Labels: map[string]string{"workload": "payments"},
			Taints: []Taint{{Key: "dedicated", Value: "payments", Effect: "NoSchedule"}}}},
	}
	if diff := cmp.Diff(want, actualSpec("site-b", "team", "legacy", o, Spec{})); diff != "" {
		t.Errorf("actualSpec (-want +got):\n%s", diff)
	}
}

func TestBYOHObjects(t *testing.T) {
	s := validSpec()
	objs := objects(s)
	var got []string
	for _, u := range objs {
		got = append(got, u.GetObjectKind().GroupVersionKind().GroupVersion().String()+" "+kindOf(u)+"/"+u.GetName())
	}
	want := []string{
		"cluster.x-k8s.io/v1beta2 Cluster/edge-1",
		"infrastructure.cluster.x-k8s.io/v1beta1 ByoCluster/edge-1",
		"infrastructure.cluster.x-k8s.io/v1beta1 ByoMachineTemplate/edge-1-control-plane",
		"controlplane.cluster.x-k8s.io/v1beta2 KubeadmControlPlane/edge-1-control-plane",
		"infrastructure.cluster.x-k8s.io/v1beta1 ByoMachineTemplate/edge-1-general",
		"bootstrap.cluster.x-k8s.io/v1beta2 KubeadmConfigTemplate/edge-1-general",
		"cluster.x-k8s.io/v1beta2 MachineDeployment/edge-1-general",
		"infrastructure.cluster.x-k8s.io/v1beta1 ByoMachineTemplate/edge-1-gpu",
		"bootstrap.cluster.x-k8s.io/v1beta2 KubeadmConfigTemplate/edge-1-gpu",
		"cluster.x-k8s.io/v1beta2 MachineDeployment/edge-1-gpu",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("objects (-want +got):\n%s", diff)
	}
	for _, u := range objs {
		if _, err := gvrOf(u); err != nil {
			t.Error(err)
		}
	}
	if ep, _, _ := unstructured.NestedMap(objs[1].(*unstructured.Unstructured).Object, "spec", "controlPlaneEndpoint"); ep["host"] != "10.0.0.10" || ep["port"] != int64(6443) {
		t.Errorf("ByoCluster endpoint = %v", ep)
	}
	if k := objs[0].(*clusterv1.Cluster).Spec.InfrastructureRef.Kind; k != "ByoCluster" {
		t.Errorf("Cluster infrastructureRef.kind = %q", k)
	}
	files := objs[3].(*controlplanev1.KubeadmControlPlane).Spec.KubeadmConfigSpec.Files
	if len(files) != 1 || !strings.Contains(files[0].Content, `value: "10.0.0.10"`) {
		t.Errorf("KubeadmControlPlane files = %v, want kube-vip serving 10.0.0.10", files)
	}
	if sel := hostSelectorOf(objs[4].(*unstructured.Unstructured)); !cmp.Equal(sel, map[string]string{"rack": "a"}) {
		t.Errorf("pool general host selector = %v", sel)
	}
	if k := objs[6].(*clusterv1.MachineDeployment).Spec.Template.Spec.InfrastructureRef.Kind; k != "ByoMachineTemplate" {
		t.Errorf("MachineDeployment infrastructureRef.kind = %q", k)
	}
	o := observedOf(t, "edge-1", objs)
	wantSpec := s
	wantSpec.Infrastructure = InfrastructureBYOH
	if diff := cmp.Diff(wantSpec, actualSpec("site-b", "clusters", "edge-1", o, s)); diff != "" {
		t.Fatalf("actualSpec (-want +got):\n%s", diff)
	}
}

// observedOf is what Observe reads back of objs, the objects of cluster
// name: each goes through the unstructured form the dynamic client sends and
// reads, and the templates are found by reference, as read finds them.
func observedOf(t *testing.T, name string, objs []object) *observed {
	t.Helper()
	o := &observed{pools: map[string]*clusterv1.MachineDeployment{}, taints: map[string][]Taint{}, hostSelectors: map[string]map[string]string{}}
	kcts := map[string]*bootstrapv1.KubeadmConfigTemplate{}
	bmts := map[string]*unstructured.Unstructured{}
	for _, obj := range objs {
		u, err := toUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		typed := func(into any) {
			if err := fromUnstructured(u.Object, into); err != nil {
				t.Fatalf("%s %s: %v", kindOf(obj), obj.GetName(), err)
			}
		}
		switch kindOf(obj) {
		case "Cluster":
			o.cluster = &clusterv1.Cluster{}
			typed(o.cluster)
		case "KubeadmControlPlane":
			o.kcp = &controlplanev1.KubeadmControlPlane{}
			typed(o.kcp)
		case "MachineDeployment":
			md := &clusterv1.MachineDeployment{}
			typed(md)
			o.pools[PoolName(name, md)] = md
		case "KubeadmConfigTemplate":
			kct := &bootstrapv1.KubeadmConfigTemplate{}
			typed(kct)
			kcts[kct.Name] = kct
		case "ByoMachineTemplate":
			bmts[u.GetName()] = u
		}
	}
	if o.kcp.Name != o.cluster.Spec.ControlPlaneRef.Name {
		t.Fatalf("Cluster refers to KubeadmControlPlane %q, not %q", o.cluster.Spec.ControlPlaneRef.Name, o.kcp.Name)
	}
	if bmt, ok := bmts[o.kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name]; ok {
		o.controlPlaneHostSelector = hostSelectorOf(bmt)
	}
	for pool, md := range o.pools {
		if kct, ok := kcts[md.Spec.Template.Spec.Bootstrap.ConfigRef.Name]; ok {
			o.taints[pool] = taintsOf(kct)
		}
		if bmt, ok := bmts[md.Spec.Template.Spec.InfrastructureRef.Name]; ok {
			o.hostSelectors[pool] = hostSelectorOf(bmt)
		}
	}
	return o
}

// TestPatch checks the merge patch Update sends for a pool: only what
// changed, and null for a removed label.
func TestPatch(t *testing.T) {
	s := inMemorySpec()
	md := observedOf(t, "edge-1", inMemoryObjects(s)).pools["gpu"]
	md.Namespace = "clusters"
	u, err := toUnstructured(md)
	if err != nil {
		t.Fatal(err)
	}
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{MachineDeploymentGVR: "MachineDeploymentList"}, u)
	changed := md.DeepCopy()
	changed.Spec.Replicas = ptr.To(int32(3))
	changed.Spec.Template.Spec.Version = "v1.37.0"
	changed.Spec.Template.Labels = withUserLabels(changed.Spec.Template.Labels, map[string]string{"tier": "gold"})
	if err := patch(context.Background(), dc, MachineDeploymentGVR, md, changed); err != nil {
		t.Fatal(err)
	}
	if err := patch(context.Background(), dc, MachineDeploymentGVR, changed, changed.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	var patches []string
	for _, a := range dc.Actions() {
		if p, ok := a.(clienttesting.PatchAction); ok {
			patches = append(patches, string(p.GetPatch()))
		}
	}
	want := []string{`{"spec":{"replicas":3,"template":{"metadata":{"labels":{"node-role.kubernetes.io/gpu":null,"tier":"gold"}},"spec":{"version":"v1.37.0"}}}}`}
	if diff := cmp.Diff(want, patches); diff != "" {
		t.Errorf("patches (-want +got):\n%s", diff)
	}
}
