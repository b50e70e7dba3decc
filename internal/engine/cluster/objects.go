package cluster

import (
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Labels the engine puts on the objects it makes.
const (
	// LabelClusterName is Cluster API's own cluster label.
	LabelClusterName = "cluster.x-k8s.io/cluster-name"
	// LabelWorkerPool carries the pool name on a pool's MachineDeployment
	// and templates.
	LabelWorkerPool = "mc.mcplatform.dev/worker-pool"
	labelManagedBy  = "app.kubernetes.io/managed-by"
	// labelDeploymentName is Cluster API's label naming the
	// MachineDeployment of a MachineSet or Machine.
	labelDeploymentName = "cluster.x-k8s.io/deployment-name"
	managedBy           = "terraform-provider-mc"
	// annotationNote works around CAPD 1.14.2's in-memory DevCluster
	// reconciler, which panics on a DevCluster without annotations.
	annotationNote = "mc.mcplatform.dev/note"
)

const (
	groupCluster      = "cluster.x-k8s.io"
	groupControlPlane = "controlplane.cluster.x-k8s.io"
	groupBootstrap    = "bootstrap.cluster.x-k8s.io"
	groupInfra        = "infrastructure.cluster.x-k8s.io"
	capiVersion       = "v1beta2"
)

// Resources of the Cluster API objects, all served as v1beta2.
var (
	ClusterGVR               = schema.GroupVersionResource{Group: groupCluster, Version: capiVersion, Resource: "clusters"}
	MachineDeploymentGVR     = schema.GroupVersionResource{Group: groupCluster, Version: capiVersion, Resource: "machinedeployments"}
	MachineGVR               = schema.GroupVersionResource{Group: groupCluster, Version: capiVersion, Resource: "machines"}
	MachineSetGVR            = schema.GroupVersionResource{Group: groupCluster, Version: capiVersion, Resource: "machinesets"}
	KubeadmControlPlaneGVR   = schema.GroupVersionResource{Group: groupControlPlane, Version: capiVersion, Resource: "kubeadmcontrolplanes"}
	KubeadmConfigTemplateGVR = schema.GroupVersionResource{Group: groupBootstrap, Version: capiVersion, Resource: "kubeadmconfigtemplates"}
	DevClusterGVR            = schema.GroupVersionResource{Group: groupInfra, Version: capiVersion, Resource: "devclusters"}
	DevMachineTemplateGVR    = schema.GroupVersionResource{Group: groupInfra, Version: capiVersion, Resource: "devmachinetemplates"}
	// BYOH serves only v1beta1; its CRDs carry the Cluster API contract label
	// that lets v1beta2 references (apiGroup and kind) resolve to it.
	ByoClusterGVR         = schema.GroupVersionResource{Group: groupInfra, Version: byohVersion, Resource: "byoclusters"}
	ByoMachineTemplateGVR = schema.GroupVersionResource{Group: groupInfra, Version: byohVersion, Resource: "byomachinetemplates"}
)

const byohVersion = "v1beta1"

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

func criSocket() map[string]any {
	return map[string]any{"nodeRegistration": map[string]any{"criSocket": "unix:///var/run/containerd/containerd.sock"}}
}

func objectLabels(s Spec, pool string) map[string]any {
	l := map[string]any{registry.LabelSite: s.Site, LabelClusterName: s.Name, labelManagedBy: managedBy}
	if pool != "" {
		l[LabelWorkerPool] = pool
	}
	return l
}

func newObject(kind, group, name string, labels map[string]any, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/" + capiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "labels": labels},
		"spec":       spec,
	}}
}

func ref(group, kind, name string) map[string]any {
	return map[string]any{"apiGroup": group, "kind": kind, "name": name}
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func orDefault(cidrs []string, def string) []string {
	if len(cidrs) == 0 {
		return []string{def}
	}
	return cidrs
}

// clusterObject is the Cluster of s.
func clusterObject(s Spec) *unstructured.Unstructured {
	labels := map[string]any{}
	for k, v := range s.Labels {
		labels[k] = v
	}
	maps.Copy(labels, objectLabels(s, ""))
	spec := map[string]any{
		"clusterNetwork": map[string]any{
			"pods":          map[string]any{"cidrBlocks": stringsToAny(orDefault(s.PodCIDRs, DefaultPodCIDR))},
			"services":      map[string]any{"cidrBlocks": stringsToAny(orDefault(s.ServiceCIDRs, DefaultServiceCIDR))},
			"serviceDomain": "cluster.local",
		},
		"controlPlaneRef":   ref(groupControlPlane, "KubeadmControlPlane", ControlPlaneName(s.Name)),
		"infrastructureRef": ref(groupInfra, infraClusterKind(s), s.Name),
	}
	if s.ControlPlane.EndpointHost != "" {
		spec["controlPlaneEndpoint"] = map[string]any{"host": s.ControlPlane.EndpointHost, "port": s.ControlPlane.EndpointPort}
	}
	return newObject("Cluster", groupCluster, s.Name, labels, spec)
}

func infraClusterKind(s Spec) string {
	k, _ := infraKinds(infrastructureOf(s))
	return k
}

// objects is the object set of s, the Cluster first.
func objects(s Spec) []*unstructured.Unstructured {
	if infrastructureOf(s) == InfrastructureInMemory {
		return inMemoryObjects(s)
	}
	return byohObjects(s)
}

// poolObjects is the object set of one worker pool of s, its
// MachineDeployment last.
func poolObjects(s Spec, p WorkerPool) []*unstructured.Unstructured {
	if infrastructureOf(s) == InfrastructureInMemory {
		return inMemoryPoolObjects(s, p)
	}
	return byohPoolObjects(s, p)
}

// inMemoryObjects is the object set of an in_memory cluster, the Cluster
// first.
func inMemoryObjects(s Spec) []*unstructured.Unstructured {
	cp := ControlPlaneName(s.Name)
	devCluster := newObject("DevCluster", groupInfra, s.Name, objectLabels(s, ""),
		map[string]any{"backend": map[string]any{"inMemory": map[string]any{}}})
	devCluster.SetAnnotations(map[string]string{annotationNote: "in-memory"})
	objs := []*unstructured.Unstructured{
		clusterObject(s),
		devCluster,
		newObject("DevMachineTemplate", groupInfra, cp, objectLabels(s, ""), map[string]any{
			"template": map[string]any{"spec": map[string]any{"backend": map[string]any{"inMemory": inMemoryProvisioning()}}},
		}),
		newObject("KubeadmControlPlane", groupControlPlane, cp, objectLabels(s, ""), map[string]any{
			"replicas": s.ControlPlane.Replicas,
			"version":  s.KubernetesVersion,
			"machineTemplate": map[string]any{"spec": map[string]any{
				"infrastructureRef": ref(groupInfra, "DevMachineTemplate", cp),
			}},
			"kubeadmConfigSpec": map[string]any{
				"clusterConfiguration": map[string]any{"apiServer": map[string]any{"certSANs": []any{"localhost", "127.0.0.1"}}},
				"initConfiguration":    criSocket(),
				"joinConfiguration":    criSocket(),
			},
		}),
	}
	for _, p := range s.WorkerPools {
		objs = append(objs, inMemoryPoolObjects(s, p)...)
	}
	return objs
}

// inMemoryPoolObjects is the object set of one worker pool: its templates
// and its MachineDeployment, last.
func inMemoryPoolObjects(s Spec, p WorkerPool) []*unstructured.Unstructured {
	n := MachineDeploymentName(s.Name, p.Name)
	join := criSocket()
	setTaints(join, p.Taints)
	return []*unstructured.Unstructured{
		newObject("DevMachineTemplate", groupInfra, n, objectLabels(s, p.Name), map[string]any{
			"template": map[string]any{"spec": map[string]any{"backend": map[string]any{"inMemory": inMemoryProvisioning()}}},
		}),
		newObject("KubeadmConfigTemplate", groupBootstrap, n, objectLabels(s, p.Name), map[string]any{
			"template": map[string]any{"spec": map[string]any{"joinConfiguration": join}},
		}),
		machineDeployment(s, p, "DevMachineTemplate"),
	}
}

// setTaints puts taints into a joinConfiguration.
func setTaints(join map[string]any, taints []Taint) {
	if len(taints) == 0 {
		return
	}
	var out []any
	for _, t := range taints {
		m := map[string]any{"key": t.Key, "effect": t.Effect}
		if t.Value != "" {
			m["value"] = t.Value
		}
		out = append(out, m)
	}
	join["nodeRegistration"].(map[string]any)["taints"] = out
}

func machineDeployment(s Spec, p WorkerPool, infraKind string) *unstructured.Unstructured {
	n := MachineDeploymentName(s.Name, p.Name)
	machineLabels := map[string]any{LabelWorkerPool: p.Name}
	for k, v := range p.Labels {
		machineLabels[k] = v
	}
	return newObject("MachineDeployment", groupCluster, n, objectLabels(s, p.Name), map[string]any{
		"clusterName": s.Name,
		"replicas":    p.Replicas,
		"selector":    map[string]any{"matchLabels": map[string]any{}},
		"template": map[string]any{
			"metadata": map[string]any{"labels": machineLabels},
			"spec": map[string]any{
				"clusterName":       s.Name,
				"version":           s.KubernetesVersion,
				"bootstrap":         map[string]any{"configRef": ref(groupBootstrap, "KubeadmConfigTemplate", n)},
				"infrastructureRef": ref(groupInfra, infraKind, n),
			},
		},
	})
}

// gvrOf returns the resource of one of the engine's objects.
func gvrOf(u *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	gvr, ok := resources[u.GetKind()]
	if !ok {
		return gvr, fmt.Errorf("no resource known for kind %s", u.GetKind())
	}
	return gvr, nil
}
