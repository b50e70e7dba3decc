package cluster

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Labels the engine puts on the objects it makes.
const (
	// LabelClusterName is Cluster API's own cluster label.
	LabelClusterName = clusterv1.ClusterNameLabel
	// LabelWorkerPool carries the pool name on a pool's MachineDeployment
	// and templates.
	LabelWorkerPool = "mc.mcplatform.dev/worker-pool"
	labelManagedBy  = "app.kubernetes.io/managed-by"
	// labelDeploymentName is Cluster API's label naming the
	// MachineDeployment of a MachineSet or Machine.
	labelDeploymentName = clusterv1.MachineDeploymentNameLabel
	managedBy           = "terraform-provider-mc"
	// annotationNote works around CAPD 1.14.2's in-memory DevCluster
	// reconciler, which panics on a DevCluster without annotations.
	annotationNote = "mc.mcplatform.dev/note"
)

// The infrastructure kinds have no Go module that can be imported cleanly:
// they stay unstructured. CAPD serves v1beta2, BYOH only v1beta1; BYOH's
// CRDs carry the Cluster API contract label that lets v1beta2 references
// (apiGroup and kind) resolve to it.
var (
	infraGroupVersion = clusterv1.GroupVersionInfrastructure
	byohGroupVersion  = schema.GroupVersion{Group: infraGroupVersion.Group, Version: "v1beta1"}
)

// Resources of the Cluster API objects.
var (
	ClusterGVR               = clusterv1.GroupVersion.WithResource("clusters")
	MachineDeploymentGVR     = clusterv1.GroupVersion.WithResource("machinedeployments")
	MachineGVR               = clusterv1.GroupVersion.WithResource("machines")
	MachineSetGVR            = clusterv1.GroupVersion.WithResource("machinesets")
	KubeadmControlPlaneGVR   = controlplanev1.GroupVersion.WithResource("kubeadmcontrolplanes")
	KubeadmConfigTemplateGVR = bootstrapv1.GroupVersion.WithResource("kubeadmconfigtemplates")
	DevClusterGVR            = infraGroupVersion.WithResource("devclusters")
	DevMachineTemplateGVR    = infraGroupVersion.WithResource("devmachinetemplates")
	ByoClusterGVR            = byohGroupVersion.WithResource("byoclusters")
	ByoMachineTemplateGVR    = byohGroupVersion.WithResource("byomachinetemplates")
)

var resources = map[string]schema.GroupVersionResource{
	"Cluster":               ClusterGVR,
	"MachineDeployment":     MachineDeploymentGVR,
	"KubeadmControlPlane":   KubeadmControlPlaneGVR,
	"KubeadmConfigTemplate": KubeadmConfigTemplateGVR,
	"DevCluster":            DevClusterGVR,
	"DevMachineTemplate":    DevMachineTemplateGVR,
	"ByoCluster":            ByoClusterGVR,
	"ByoMachineTemplate":    ByoMachineTemplateGVR,
}

// object is one of the objects the engine makes: a typed Cluster API object
// (Cluster, KubeadmControlPlane, KubeadmConfigTemplate, MachineDeployment)
// or an unstructured infrastructure object.
type object interface {
	metav1.Object
	runtime.Object
}

// kindOf is the kind of o.
func kindOf(o object) string { return o.GetObjectKind().GroupVersionKind().Kind }

// toUnstructured is o as the dynamic client sends it; fields the typed
// object leaves at their zero value (omitempty, omitzero) are not sent.
func toUnstructured(o object) (*unstructured.Unstructured, error) {
	if u, ok := o.(*unstructured.Unstructured); ok {
		return u, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("cannot convert %s %s: %w", kindOf(o), o.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u, nil
}

// fromUnstructured fills the typed object into from what the dynamic client
// read; fields the Cluster API module does not know are dropped.
func fromUnstructured(u map[string]any, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u, into)
}

// infraKinds names the infrastructure cluster and machine template kinds of
// an infrastructure.
func infraKinds(infra string) (clusterKind, machineTemplateKind string) {
	if infra == InfrastructureInMemory {
		return "DevCluster", "DevMachineTemplate"
	}
	return "ByoCluster", "ByoMachineTemplate"
}

// ControlPlaneName is the name of the KubeadmControlPlane of cluster name and
// of its machine template.
func ControlPlaneName(name string) string { return name + "-control-plane" }

// MachineDeploymentName is the name of pool's MachineDeployment and of its
// templates.
func MachineDeploymentName(name, pool string) string { return name + "-" + pool }

// inMemoryProvisioning makes the in-memory backend's fake machines, nodes,
// API servers and etcd members come up after about a second.
func inMemoryProvisioning() map[string]any {
	fast := func() map[string]any {
		return map[string]any{"provisioning": map[string]any{"startupDuration": "1s", "startupJitter": "0.2"}}
	}
	return map[string]any{"vm": fast(), "node": fast(), "apiServer": fast(), "etcd": fast()}
}

func objectMeta(s Spec, name, pool string) metav1.ObjectMeta {
	l := map[string]string{registry.LabelSite: s.Site, LabelClusterName: s.Name, labelManagedBy: managedBy}
	if pool != "" {
		l[LabelWorkerPool] = pool
	}
	return metav1.ObjectMeta{Name: name, Labels: l}
}

// newInfraObject is an unstructured infrastructure object of group version
// gv.
func newInfraObject(gv schema.GroupVersion, kind string, meta metav1.ObjectMeta, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(gv.WithKind(kind))
	u.SetName(meta.Name)
	u.SetLabels(meta.Labels)
	return u
}

func ref(gv schema.GroupVersion, kind, name string) clusterv1.ContractVersionedObjectReference {
	return clusterv1.ContractVersionedObjectReference{APIGroup: gv.Group, Kind: kind, Name: name}
}

func orDefault(cidrs []string, def string) []string {
	if len(cidrs) == 0 {
		return []string{def}
	}
	return cidrs
}

// clusterObject is the Cluster of s.
func clusterObject(s Spec) *clusterv1.Cluster {
	meta := objectMeta(s, s.Name, "")
	labels := map[string]string{}
	maps.Copy(labels, s.Labels)
	maps.Copy(labels, meta.Labels)
	meta.Labels = labels
	cl := &clusterv1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster"},
		ObjectMeta: meta,
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{
				Pods:          clusterv1.NetworkRanges{CIDRBlocks: orDefault(s.PodCIDRs, DefaultPodCIDR)},
				Services:      clusterv1.NetworkRanges{CIDRBlocks: orDefault(s.ServiceCIDRs, DefaultServiceCIDR)},
				ServiceDomain: "cluster.local",
			},
			ControlPlaneRef:   ref(controlplanev1.GroupVersion, "KubeadmControlPlane", ControlPlaneName(s.Name)),
			InfrastructureRef: ref(infraGroupVersion, infraClusterKind(s), s.Name),
		},
	}
	if s.ControlPlane.EndpointHost != "" {
		cl.Spec.ControlPlaneEndpoint = clusterv1.APIEndpoint{Host: s.ControlPlane.EndpointHost, Port: int32(s.ControlPlane.EndpointPort)}
	}
	return cl
}

func infraClusterKind(s Spec) string {
	k, _ := infraKinds(infrastructureOf(s))
	return k
}

// objects is the object set of s, the Cluster first; a topology cluster's
// is its Cluster alone.
func objects(s Spec) []object {
	if s.Topology != nil {
		cl, err := topologyClusterObject(s)
		if err != nil {
			return nil
		}
		return []object{cl}
	}
	if infrastructureOf(s) == InfrastructureInMemory {
		return inMemoryObjects(s)
	}
	return byohObjects(s)
}

// poolObjects is the object set of one worker pool of s, its
// MachineDeployment last.
func poolObjects(s Spec, p WorkerPool) []object {
	if infrastructureOf(s) == InfrastructureInMemory {
		return inMemoryPoolObjects(s, p)
	}
	return byohPoolObjects(s, p)
}

// kubeadmControlPlane is the KubeadmControlPlane of s, whose machines are
// made from the infrastructure machine template infraKind of the control
// plane's name.
func kubeadmControlPlane(s Spec, infraKind string, config bootstrapv1.KubeadmConfigSpec) *controlplanev1.KubeadmControlPlane {
	cp := ControlPlaneName(s.Name)
	return &controlplanev1.KubeadmControlPlane{
		TypeMeta:   metav1.TypeMeta{APIVersion: controlplanev1.GroupVersion.String(), Kind: "KubeadmControlPlane"},
		ObjectMeta: objectMeta(s, cp, ""),
		Spec: controlplanev1.KubeadmControlPlaneSpec{
			Replicas: ptr.To(int32(s.ControlPlane.Replicas)),
			Version:  s.KubernetesVersion,
			MachineTemplate: controlplanev1.KubeadmControlPlaneMachineTemplate{
				Spec: controlplanev1.KubeadmControlPlaneMachineTemplateSpec{InfrastructureRef: ref(infraGroupVersion, infraKind, cp)},
			},
			KubeadmConfigSpec: config,
		},
	}
}

// kubeadmConfigTemplate is the KubeadmConfigTemplate of pool p: its
// machines join with node registration reg and the pool's taints.
func kubeadmConfigTemplate(s Spec, p WorkerPool, reg bootstrapv1.NodeRegistrationOptions) *bootstrapv1.KubeadmConfigTemplate {
	if len(p.Taints) > 0 {
		taints := make([]corev1.Taint, 0, len(p.Taints))
		for _, t := range p.Taints {
			taints = append(taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
		}
		reg.Taints = &taints
	}
	return &bootstrapv1.KubeadmConfigTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: bootstrapv1.GroupVersion.String(), Kind: "KubeadmConfigTemplate"},
		ObjectMeta: objectMeta(s, MachineDeploymentName(s.Name, p.Name), p.Name),
		Spec: bootstrapv1.KubeadmConfigTemplateSpec{Template: bootstrapv1.KubeadmConfigTemplateResource{
			Spec: bootstrapv1.KubeadmConfigSpec{JoinConfiguration: bootstrapv1.JoinConfiguration{NodeRegistration: reg}},
		}},
	}
}

// containerd is the node registration of in-memory machines.
func containerd() bootstrapv1.NodeRegistrationOptions {
	return bootstrapv1.NodeRegistrationOptions{CRISocket: "unix:///var/run/containerd/containerd.sock"}
}

// inMemoryObjects is the object set of an in_memory cluster, the Cluster
// first.
func inMemoryObjects(s Spec) []object {
	cp := ControlPlaneName(s.Name)
	devCluster := newInfraObject(infraGroupVersion, "DevCluster", objectMeta(s, s.Name, ""),
		map[string]any{"backend": map[string]any{"inMemory": map[string]any{}}})
	devCluster.SetAnnotations(map[string]string{annotationNote: "in-memory"})
	objs := []object{
		clusterObject(s),
		devCluster,
		newInfraObject(infraGroupVersion, "DevMachineTemplate", objectMeta(s, cp, ""), map[string]any{
			"template": map[string]any{"spec": map[string]any{"backend": map[string]any{"inMemory": inMemoryProvisioning()}}},
		}),
		kubeadmControlPlane(s, "DevMachineTemplate", bootstrapv1.KubeadmConfigSpec{
			ClusterConfiguration: bootstrapv1.ClusterConfiguration{APIServer: bootstrapv1.APIServer{CertSANs: []string{"localhost", "127.0.0.1"}}},
			InitConfiguration:    bootstrapv1.InitConfiguration{NodeRegistration: containerd()},
			JoinConfiguration:    bootstrapv1.JoinConfiguration{NodeRegistration: containerd()},
		}),
	}
	for _, p := range s.WorkerPools {
		objs = append(objs, inMemoryPoolObjects(s, p)...)
	}
	return objs
}

// inMemoryPoolObjects is the object set of one worker pool: its templates
// and its MachineDeployment, last.
func inMemoryPoolObjects(s Spec, p WorkerPool) []object {
	n := MachineDeploymentName(s.Name, p.Name)
	return []object{
		newInfraObject(infraGroupVersion, "DevMachineTemplate", objectMeta(s, n, p.Name), map[string]any{
			"template": map[string]any{"spec": map[string]any{"backend": map[string]any{"inMemory": inMemoryProvisioning()}}},
		}),
		kubeadmConfigTemplate(s, p, containerd()),
		machineDeployment(s, p, "DevMachineTemplate"),
	}
}

func machineDeployment(s Spec, p WorkerPool, infraKind string) *clusterv1.MachineDeployment {
	n := MachineDeploymentName(s.Name, p.Name)
	machineLabels := map[string]string{LabelWorkerPool: p.Name}
	maps.Copy(machineLabels, p.Labels)
	return &clusterv1.MachineDeployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "MachineDeployment"},
		ObjectMeta: objectMeta(s, n, p.Name),
		Spec: clusterv1.MachineDeploymentSpec{
			ClusterName: s.Name,
			Replicas:    ptr.To(int32(p.Replicas)),
			// Cluster API fills in the selector of the machine template's
			// labels; the field is required.
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{}},
			Template: clusterv1.MachineTemplateSpec{
				ObjectMeta: clusterv1.ObjectMeta{Labels: machineLabels},
				Spec: clusterv1.MachineSpec{
					ClusterName:       s.Name,
					Version:           s.KubernetesVersion,
					Bootstrap:         clusterv1.Bootstrap{ConfigRef: ref(bootstrapv1.GroupVersion, "KubeadmConfigTemplate", n)},
					InfrastructureRef: ref(infraGroupVersion, infraKind, n),
				},
			},
		},
	}
}

// gvrOf returns the resource of one of the engine's objects.
func gvrOf(o object) (schema.GroupVersionResource, error) {
	gvr, ok := resources[kindOf(o)]
	if !ok {
		return gvr, fmt.Errorf("no resource known for kind %s", kindOf(o))
	}
	return gvr, nil
}
