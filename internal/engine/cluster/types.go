// Package cluster implements the engine client for workload clusters: a
// Cluster API cluster (Cluster, KubeadmControlPlane, one MachineDeployment
// per worker pool and their infrastructure and bootstrap templates) on a
// site's management cluster. Cluster API's own objects are the typed v1beta2
// objects of its API module (sigs.k8s.io/cluster-api/api), sent and read
// through the dynamic client; the infrastructure objects (BYOH, CAPD), whose
// Go modules cannot be imported cleanly, stay unstructured.
package cluster

// Infrastructure providers a cluster can run on.
const (
	// InfrastructureBYOH is Bring Your Own Host: machines are hosts that run
	// the BYOH agent. It is the default.
	InfrastructureBYOH = "byoh"
	// InfrastructureInMemory is CAPD's in-memory backend: fake machines
	// with a fake API server, for tests and demos.
	InfrastructureInMemory = "in_memory"
)

// Spec is the desired state of a workload cluster, shared by both front-ends.
type Spec struct {
	// Site is the name of the site whose management cluster runs the cluster.
	Site string
	// Namespace is the namespace of the Cluster API objects on the
	// management cluster.
	Namespace string
	// Name is the Cluster's name, a DNS-1123 label.
	Name string
	// KubernetesVersion is a Kubernetes version such as v1.36.0.
	KubernetesVersion string
	ControlPlane      ControlPlane
	WorkerPools       []WorkerPool
	// PodCIDRs and ServiceCIDRs are the cluster network; empty means the
	// defaults (DefaultPodCIDR, DefaultServiceCIDR).
	PodCIDRs     []string
	ServiceCIDRs []string
	// Infrastructure is InfrastructureBYOH (the default when empty) or
	// InfrastructureInMemory.
	Infrastructure string
	// Labels are put on the Cluster object (and on its Argo CD cluster
	// Secret, so that ApplicationSets and AppProjects can select it).
	Labels map[string]string
	// ArgoCDRegistration registers the cluster in the site's Argo CD once
	// Cluster API has written its kubeconfig: a declarative cluster Secret
	// (ArgoCDSecretName) by which Argo CD knows the cluster under its Name.
	// Update writes it, and rewrites it when the kubeconfig or the labels
	// change; Update removes it when this is false, Delete before the
	// Cluster. Observe reports it in Actual, also when importing.
	ArgoCDRegistration bool
	// Topology, when set, makes the cluster a topology cluster of a
	// ClusterClass (see Topology): WorkerPools must then be empty, and the
	// control plane endpoint and host selector unset.
	Topology *Topology
}

// ControlPlane is the kubeadm control plane.
type ControlPlane struct {
	// Replicas is the number of control plane machines, odd and at least 1.
	Replicas int64
	// EndpointHost and EndpointPort are the control plane endpoint (a
	// virtual IP or load balancer); required for byoh, set by the provider
	// for in_memory.
	EndpointHost string
	EndpointPort int64
	// HostSelector selects the BYOH hosts of the control plane by label
	// (byoh only), so that it does not claim hosts meant for a worker pool.
	HostSelector map[string]string
}

// WorkerPool is one MachineDeployment of worker machines.
type WorkerPool struct {
	// Name is a DNS-1123 label, unique within the cluster.
	Name     string
	Replicas int64
	// HostSelector selects BYOH hosts by label (byoh only).
	HostSelector map[string]string
	// Labels are put on the pool's machines (and, for the prefixes Cluster
	// API synchronises, on their nodes).
	Labels map[string]string
	Taints []Taint
}

// Taint is a node taint set when a worker joins.
type Taint struct {
	Key    string
	Value  string
	Effect string
}

// Status is what the engine computes for a cluster.
type Status struct {
	// Phase is the Cluster's phase (Pending, Provisioning, Provisioned,
	// Deleting, Failed).
	Phase string
	// Endpoint is the control plane endpoint, https://host:port, once known.
	Endpoint string
	// ReadyWorkers is the number of ready worker machines over all pools.
	ReadyWorkers      int64
	ControlPlaneReady bool
	// ObservedKubernetesVersion is the lowest version the control plane
	// machines run.
	ObservedKubernetesVersion string
	Conditions                []Condition
	// ArgoCDClusterName is the name the site's Argo CD knows the cluster
	// by (the cluster's Name, for destination.name of Applications); empty
	// while the engine's cluster Secret does not exist.
	ArgoCDClusterName string
	// ArgoCDRegistrationPending reports a wanted Argo CD registration that
	// waits for the cluster: it is not ready yet, or Cluster API has not
	// written its kubeconfig. Observe then reports the registration as
	// wanted (Spec.ArgoCDRegistration true) and the cluster up to date as far
	// as the registration goes; Update registers it once it can.
	ArgoCDRegistrationPending bool
}

// Condition is one Cluster API condition of the Cluster.
type Condition struct {
	Type    string
	Status  string
	Reason  string
	Message string
}

// Defaults of a cluster's arguments, for both front-ends: Terraform's schema
// defaults and the values a Cluster kind's unset fields take are these.
const (
	// DefaultNamespace is the management cluster namespace of a cluster
	// whose namespace is not set (Terraform; the Cluster kind requires it).
	DefaultNamespace = "default"
	// DefaultInfrastructure is the infrastructure of a cluster that names
	// none.
	DefaultInfrastructure = InfrastructureBYOH
	// DefaultControlPlaneReplicas is the number of control plane machines.
	DefaultControlPlaneReplicas = 1
	// DefaultWorkerReplicas is the number of machines of a worker pool.
	DefaultWorkerReplicas = 1
	// DefaultArgoCDRegistration says whether a ready cluster is registered
	// in its site's Argo CD.
	DefaultArgoCDRegistration = true
)

// Defaults of the cluster network.
const (
	DefaultPodCIDR     = "192.168.0.0/16"
	DefaultServiceCIDR = "10.128.0.0/12"
)

// ReplaceFields are the arguments of a cluster that Cluster API cannot
// change in place: a change needs a new cluster.
var ReplaceFields = []string{
	"site", "namespace", "name", "infrastructure",
	"control_plane.endpoint", "control_plane.host_selector",
	"pod_cidrs", "service_cidrs",
}
