package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Infrastructures a Cluster can run on.
const (
	// ClusterInfrastructureBYOH is Cluster API BYOH (bring your own host):
	// the machines are bare-metal hosts that run the BYOH agent.
	ClusterInfrastructureBYOH = "byoh"
	// ClusterInfrastructureInMemory is CAPD's in-memory backend: fake
	// machines with a fake API server, for tests and demos.
	ClusterInfrastructureInMemory = "in_memory"
)

// ClusterEndpoint is the control plane endpoint of a BYOH cluster: a virtual
// IP (kube-vip) or a load balancer in front of the control plane machines.
type ClusterEndpoint struct {
	// Host is an IP address or a DNS name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`

	// Port of the API server behind Host.
	// +optional
	// +kubebuilder:default=6443
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int64 `json:"port,omitempty"`
}

// ClusterControlPlane is the kubeadm control plane of a Cluster.
type ClusterControlPlane struct {
	// Replicas is the number of control plane machines: odd, so that etcd
	// keeps a majority. Omitted means 1 for a new cluster and, for an
	// adopted cluster, the number it has (late-initialised).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:XValidation:rule="self % 2 == 1",message="controlPlane.replicas must be odd: etcd needs a majority"
	Replicas *int64 `json:"replicas,omitempty"`

	// Endpoint is the control plane endpoint. BYOH needs it; in_memory
	// sets it itself and must leave it unset. It cannot change.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="controlPlane.endpoint is immutable"
	Endpoint *ClusterEndpoint `json:"endpoint,omitempty"`

	// HostSelector selects the BYOH hosts of the control plane by their
	// labels (byoh only), so that it does not claim hosts meant for a
	// worker pool. It cannot change.
	// +optional
	// +mapType=atomic
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="controlPlane.hostSelector is immutable"
	HostSelector map[string]string `json:"hostSelector,omitempty"`
}

// ClusterTaint is a node taint set on the workers of a pool when they join.
type ClusterTaint struct {
	// Key of the taint, a qualified name such as dedicated or
	// example.com/gpu.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=316
	Key string `json:"key"`

	// Value of the taint; may be empty.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Value string `json:"value,omitempty"`

	// Effect is NoSchedule, PreferNoSchedule or NoExecute.
	// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
	Effect string `json:"effect"`
}

// ClusterWorkerPool is one pool of worker machines: a MachineDeployment
// named "<cluster name>-<pool name>".
type ClusterWorkerPool struct {
	// Name of the pool, a DNS-1123 label unique within the cluster.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self != 'control-plane'",message="the pool name control-plane is reserved for the control plane"
	Name string `json:"name"`

	// Replicas is the number of worker machines; 0 scales the pool down
	// without removing it.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	Replicas int64 `json:"replicas"`

	// HostSelector selects the BYOH hosts of the pool by their labels
	// (byoh only).
	// +optional
	HostSelector map[string]string `json:"hostSelector,omitempty"`

	// Labels are put on the pool's machines and, for the prefixes Cluster
	// API synchronises (node-role.kubernetes.io/, node.cluster.x-k8s.io/),
	// on their nodes.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Taints are set on the pool's nodes when they join; changing them
	// affects new machines only.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Taints []ClusterTaint `json:"taints,omitempty"`
}

// ClusterTopologyWorker is one worker machine deployment of a topology
// cluster.
type ClusterTopologyWorker struct {
	// Name of the machine deployment in the topology, a DNS-1123 label
	// unique within the cluster.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Class is the worker class of the ClusterClass
	// (spec.workers.machineDeployments[].class) it is made from.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Class string `json:"class"`

	// Replicas is the number of worker machines.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	Replicas int64 `json:"replicas"`
}

// ClusterTopology makes a Cluster a topology cluster of a Cluster API
// ClusterClass: the Cluster API Cluster's spec.topology holds the Kubernetes
// version, the control plane replicas, the workers and the variables, and
// Cluster API's topology controller makes and changes the control plane and
// the MachineDeployments. Scaling and upgrades change spec.topology only.
type ClusterTopology struct {
	// Class is the name of the ClusterClass.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Class string `json:"class"`

	// ClassNamespace is the namespace of the ClusterClass; omitted means
	// the cluster's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	ClassNamespace string `json:"classNamespace,omitempty"`

	// Variables are the values of the class's variables, any JSON value
	// each; checked against the class's variable schemas.
	// +optional
	Variables map[string]apiextensionsv1.JSON `json:"variables,omitempty"`

	// Workers are the worker machine deployments of the topology.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Workers []ClusterTopologyWorker `json:"workers,omitempty"`
}

// ClusterParameters is the desired state of a workload cluster: Cluster API
// objects (Cluster, KubeadmControlPlane, a MachineDeployment per worker
// pool, and their infrastructure and bootstrap templates) in a namespace of
// a site's management cluster. The Cluster API Cluster's name is the name
// part of the external name: metadata.name unless the external-name
// annotation names another cluster.
//
// site, namespace and kubernetesVersion are required unless
// managementPolicies only observe (neither "*", Create nor Update): an
// Observe-only Cluster finds its cluster through the external-name
// annotation "<site>/<namespace>/<name>". Fields left unset are filled from
// the existing cluster when managementPolicies allow LateInitialize (as "*"
// does), so adopting a cluster never scales, relabels or removes what the
// spec does not mention.
// +kubebuilder:validation:XValidation:rule="!(has(self.topology) && has(self.workerPools))",message="workerPools must be unset for a topology cluster: its machine deployments are topology.workers",fieldPath=".workerPools"
// +kubebuilder:validation:XValidation:rule="!(has(self.infrastructure) && self.infrastructure == 'in_memory' && has(self.controlPlane) && has(self.controlPlane.endpoint))",message="controlPlane.endpoint must be unset for in_memory infrastructure: the provider sets it",fieldPath=".controlPlane.endpoint"
type ClusterParameters struct {
	// Site is the Site whose Cluster API management cluster runs the
	// cluster. It cannot change.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="site is immutable"
	Site string `json:"site,omitempty"`

	// Namespace of the Cluster API objects on the management cluster;
	// created when missing. It cannot change.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="namespace is immutable"
	Namespace string `json:"namespace,omitempty"`

	// KubernetesVersion of the control plane and the workers, such as
	// v1.36.0. Changing it upgrades the cluster (a rolling replacement of
	// the machines).
	// +optional
	// +kubebuilder:validation:Pattern=`^v1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`

	// ControlPlane is the number of control plane machines and, for byoh,
	// the control plane endpoint.
	// +optional
	ControlPlane ClusterControlPlane `json:"controlPlane,omitempty"`

	// WorkerPools are the pools of worker machines. Adding a pool creates
	// it; removing one deletes its machines. Omitted means no pools for a
	// new cluster and, for an adopted cluster, the pools it has.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	WorkerPools []ClusterWorkerPool `json:"workerPools,omitempty"`

	// Topology makes the cluster a topology cluster of a ClusterClass;
	// workerPools, controlPlane.endpoint and controlPlane.hostSelector must
	// then be unset (the class sets them). Omitted means none for a new
	// cluster and, for an adopted topology cluster, its topology.
	// +optional
	Topology *ClusterTopology `json:"topology,omitempty"`

	// PodCIDRs is the pod network; omitted means 192.168.0.0/16. It cannot
	// change.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=2
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="podCIDRs is immutable"
	PodCIDRs []string `json:"podCIDRs,omitempty"`

	// ServiceCIDRs is the service network; omitted means 10.128.0.0/12. It
	// cannot change.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=2
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="serviceCIDRs is immutable"
	ServiceCIDRs []string `json:"serviceCIDRs,omitempty"`

	// Infrastructure is byoh (bare-metal hosts running the BYOH agent) or
	// in_memory (CAPD's in-memory backend, for tests and demos). Omitted
	// means byoh for a new cluster and, for an adopted cluster, what it
	// runs on. It cannot change.
	// +optional
	// +kubebuilder:validation:Enum=byoh;in_memory
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="infrastructure is immutable: replace the cluster"
	Infrastructure string `json:"infrastructure,omitempty"`

	// Labels are put on the Cluster API Cluster and on its Argo CD cluster
	// Secret, so that ApplicationSets and AppProjects can select it.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// ArgoCDRegistration registers the cluster in its site's Argo CD once
	// it is ready (a cluster Secret named after the cluster), and removes
	// the registration when it is set to false or the cluster is deleted.
	// +optional
	// +kubebuilder:default=true
	ArgoCDRegistration *bool `json:"argocdRegistration,omitempty"`

	// DeletionProtection refuses to delete the cluster: while it is true,
	// deleting this Cluster with deletionPolicy Delete reports Synced=False
	// and keeps the finalizer, and the workload cluster stays, until it is
	// set to false (or deletionPolicy to Orphan, which leaves the cluster
	// in place). Removing worker pools is not affected.
	// +optional
	DeletionProtection bool `json:"deletionProtection,omitempty"`
}

// ClusterAPICondition is one condition of the Cluster API Cluster, as
// Cluster API reports it.
type ClusterAPICondition struct {
	// Type of the condition, such as Available or ControlPlaneAvailable.
	Type string `json:"type"`
	// Status of the condition: True, False or Unknown.
	Status string `json:"status"`
	// Reason is Cluster API's machine-readable reason.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message is Cluster API's human-readable account of Reason.
	// +optional
	Message string `json:"message,omitempty"`
}

// ClusterObservation is what the controller observed of the workload
// cluster.
type ClusterObservation struct {
	// Phase of the Cluster API Cluster: Pending, Provisioning,
	// Provisioned, Deleting or Failed.
	// +optional
	Phase string `json:"phase,omitempty"`
	// Endpoint is the control plane endpoint, https://host:port, once known.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// ReadyWorkers is the number of ready worker machines over all pools.
	// +optional
	ReadyWorkers int64 `json:"readyWorkers,omitempty"`
	// ControlPlaneReady tells whether every control plane machine is ready
	// and runs the desired Kubernetes version.
	// +optional
	ControlPlaneReady bool `json:"controlPlaneReady,omitempty"`
	// ObservedKubernetesVersion is the lowest Kubernetes version the control
	// plane machines run.
	// +optional
	ObservedKubernetesVersion string `json:"observedKubernetesVersion,omitempty"`
	// ArgoCDClusterName is the name the site's Argo CD knows the cluster
	// by; empty while it is not registered.
	// +optional
	ArgoCDClusterName string `json:"argocdClusterName,omitempty"`
	// Conditions of the Cluster API Cluster.
	// +optional
	// +listType=atomic
	Conditions []ClusterAPICondition `json:"conditions,omitempty"`
}

// ClusterSpec is the desired state of a Cluster.
// +kubebuilder:validation:XValidation:rule="(has(self.managementPolicies) && !self.managementPolicies.exists(a, a == '*' || a == 'Create' || a == 'Update')) || has(self.forProvider.site)",message="spec.forProvider.site is required unless managementPolicies only observe",fieldPath=".forProvider.site"
// +kubebuilder:validation:XValidation:rule="(has(self.managementPolicies) && !self.managementPolicies.exists(a, a == '*' || a == 'Create' || a == 'Update')) || has(self.forProvider.namespace)",message="spec.forProvider.namespace is required unless managementPolicies only observe",fieldPath=".forProvider.namespace"
// +kubebuilder:validation:XValidation:rule="(has(self.managementPolicies) && !self.managementPolicies.exists(a, a == '*' || a == 'Create' || a == 'Update')) || has(self.forProvider.kubernetesVersion)",message="spec.forProvider.kubernetesVersion is required unless managementPolicies only observe",fieldPath=".forProvider.kubernetesVersion"
type ClusterSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired state of the workload cluster.
	// +kubebuilder:default={}
	ForProvider ClusterParameters `json:"forProvider"`
}

// ClusterStatus is the observed state of a Cluster.
type ClusterStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the workload cluster.
	// +optional
	AtProvider ClusterObservation `json:"atProvider,omitempty"`
}

// Cluster is a workload cluster on a site's Cluster API management cluster,
// the same resource as Terraform's mc_cluster. Its external name is the
// cluster's id, "<site>/<namespace>/<name>"; the Cluster API Cluster is
// named metadata.name unless the external-name annotation names another.
// Set the annotation with managementPolicies ["Observe"] to import an
// existing cluster declaratively.
//
// The short name mccluster tells it apart from Cluster API's own Cluster
// kind in kubectl.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed},shortName=mccluster
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="PHASE",type="string",JSONPath=".status.atProvider.phase"
// +kubebuilder:printcolumn:name="VERSION",type="string",JSONPath=".status.atProvider.observedKubernetesVersion"
// +kubebuilder:printcolumn:name="WORKERS",type="integer",JSONPath=".status.atProvider.readyWorkers",priority=1
// +kubebuilder:printcolumn:name="ENDPOINT",type="string",JSONPath=".status.atProvider.endpoint",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",fieldPath=".metadata"
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Cluster.
	Spec ClusterSpec `json:"spec"`
	// Status is the observed state of the Cluster.
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Clusters.
	Items []Cluster `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Cluster{}, &ClusterList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (c *Cluster) GetResourceSpec() *ResourceSpec { return &c.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (c *Cluster) GetResourceStatus() *ResourceStatus { return &c.Status.ResourceStatus }
