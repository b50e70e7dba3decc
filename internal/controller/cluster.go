package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ClusterEngineFactory builds the cluster engine client that finds sites,
// and connects to them, through the site registry sites.
type ClusterEngineFactory func(sites *registry.Registry) engine.Client[cluster.Spec, cluster.Status]

// NewClusterEngine is the ClusterEngineFactory of the real cluster engine.
func NewClusterEngine(sites *registry.Registry) engine.Client[cluster.Spec, cluster.Status] {
	return cluster.New(sites)
}

// RBAC of the Cluster controller. The engine reads site records (Secrets,
// granted with the Site controller) and, when a site's management cluster
// is the platform plane itself, manages the Cluster API objects of
// workload clusters and their namespaces there; Argo CD registration uses
// Secrets in Argo CD's namespace.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=clusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=clusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;create
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters;machinedeployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=kubeadmcontrolplanes,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=bootstrap.cluster.x-k8s.io,resources=kubeadmconfigtemplates,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=devclusters;devmachinetemplates;byoclusters;byomachinetemplates,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machines;machinesets,verbs=get;list;watch
//
// A Cluster's connection details go to the Secret its
// writeConnectionSecretToRef names, in any namespace.
//
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;update;delete

// SetupCluster registers the Cluster controller with mgr.
func SetupCluster(mgr ctrl.Manager, o Options) error {
	adapter := NewClusterAdapter(resolverOf(mgr), NewClusterEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.Cluster{} },
		Adapter[cluster.Spec, cluster.Status](adapter), o.reconcilerOptions(mgr, "cluster")...)
	return setupManaged(mgr, "cluster", r, func() client.ObjectList { return &v1alpha1.ClusterList{} }, o)
}

// ClusterAdapter connects Cluster managed resources to the cluster engine.
// It is an ExternalNamer (external names are the engine's ids,
// "<site>/<namespace>/<name>"), a FieldPathTranslator and a
// ConnectionPublisher of the cluster's kubeconfig.
type ClusterAdapter struct {
	engines *engineCache[engine.Client[cluster.Spec, cluster.Status]]
}

var (
	_ Adapter[cluster.Spec, cluster.Status]             = (*ClusterAdapter)(nil)
	_ ExternalNamer                                     = (*ClusterAdapter)(nil)
	_ FieldPathTranslator                               = (*ClusterAdapter)(nil)
	_ ConnectionPublisher[cluster.Spec, cluster.Status] = (*ClusterAdapter)(nil)
	_ Triggerer                                         = protectedCluster{}
	_ kubeconfigSource                                  = protectedCluster{}
)

// NewClusterAdapter returns a ClusterAdapter that resolves ProviderConfigs
// with providerConfigs and builds engine clients with newEngine.
func NewClusterAdapter(providerConfigs ProviderConfigResolver, newEngine ClusterEngineFactory) *ClusterAdapter {
	return &ClusterAdapter{engines: newEngineCache(providerConfigs, newEngine)}
}

func asCluster(mg Managed) (*v1alpha1.Cluster, error) {
	c, ok := mg.(*v1alpha1.Cluster)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a Cluster", mg.GetName(), mg)
	}
	return c, nil
}

// Connect returns the cluster engine client of the ProviderConfig the
// Cluster references. Clients are reused while the ProviderConfig and its
// credentials are unchanged. While spec.forProvider.deletionProtection is
// true the client refuses to delete.
func (a *ClusterAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[cluster.Spec, cluster.Status], error) {
	c, err := asCluster(mg)
	if err != nil {
		return nil, err
	}
	client, err := a.engines.get(ctx, mg)
	if err != nil {
		return nil, err
	}
	if c.Spec.ForProvider.DeletionProtection {
		return protectedCluster{client}, nil
	}
	return client, nil
}

// protectedCluster is a cluster engine client that refuses Delete: the
// reconciler then reports Synced=False with the message and keeps the
// finalizer.
type protectedCluster struct {
	engine.Client[cluster.Spec, cluster.Status]
}

// Delete refuses to delete cluster id.
func (protectedCluster) Delete(_ context.Context, id string) error {
	return engine.InvalidInput("deletion_protection",
		"is true, so cluster %s is not deleted: set it to false to delete the cluster, or set spec.deletionPolicy to Orphan to leave it in place", id)
}

// Trigger is the trigger of the protected client, nil when it has none.
func (p protectedCluster) Trigger(ctx context.Context, id string) <-chan struct{} {
	if t, ok := p.Client.(Triggerer); ok {
		return t.Trigger(ctx, id)
	}
	return nil
}

// Kubeconfig is the kubeconfig of the protected client's cluster id.
func (p protectedCluster) Kubeconfig(ctx context.Context, id string) (string, error) {
	if k, ok := p.Client.(kubeconfigSource); ok {
		return k.Kubeconfig(ctx, id)
	}
	return "", fmt.Errorf("kubeconfig of cluster %s: %w", id, engine.ErrNotFound)
}

// kubeconfigSource is implemented by the cluster engine client: it reads a
// workload cluster's admin kubeconfig from where Cluster API keeps it.
type kubeconfigSource interface {
	// Kubeconfig returns the admin kubeconfig document of cluster id; the
	// error wraps engine.ErrNotFound while there is none.
	Kubeconfig(ctx context.Context, id string) (string, error)
}

// ConnectionDetails returns the connection details of the Ready cluster
// id: its admin kubeconfig under the key kubeconfig and, read from it, the
// API server URL (server) and its CA bundle (ca.crt) when the kubeconfig
// embeds one. None while Cluster API has not written the kubeconfig.
func (a *ClusterAdapter) ConnectionDetails(ctx context.Context, _ Managed, external engine.Client[cluster.Spec, cluster.Status], id string) (map[string][]byte, error) {
	source, ok := external.(kubeconfigSource)
	if !ok {
		return nil, nil
	}
	doc, err := source.Kubeconfig(ctx, id)
	if engine.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	details := map[string][]byte{v1alpha1.ConnectionSecretKeyKubeconfig: []byte(doc)}
	if kc, err := cluster.ParseKubeconfig(doc); err == nil {
		details[v1alpha1.ConnectionSecretKeyServer] = []byte(kc.Host)
		if len(kc.CACertificate) > 0 {
			details[v1alpha1.ConnectionSecretKeyCACertificate] = kc.CACertificate
		}
	}
	return details, nil
}

// observeOnly reports whether c's managementPolicies allow neither Create
// nor Update: spec.forProvider then only needs to locate the cluster.
func observeOnly(c *v1alpha1.Cluster) bool {
	p := c.Spec.ManagementPolicies
	return !p.Allows(v1alpha1.ManagementActionCreate) && !p.Allows(v1alpha1.ManagementActionUpdate)
}

// DesiredSpec builds the cluster engine spec from spec.forProvider (see
// expandCluster) and, when managementPolicies allow Create or Update, checks
// it with the engine's Validate so that invalid input is reported with the
// Cluster's field path before anything is observed.
func (a *ClusterAdapter) DesiredSpec(_ context.Context, mg Managed) (cluster.Spec, error) {
	c, err := asCluster(mg)
	if err != nil {
		return cluster.Spec{}, err
	}
	want, err := expandCluster(c)
	if err != nil {
		return cluster.Spec{}, inFieldPaths(err, a.FieldPath)
	}
	if !observeOnly(c) {
		if err := cluster.Validate(want); err != nil {
			return cluster.Spec{}, inFieldPaths(err, a.FieldPath)
		}
	}
	return want, nil
}

// expandCluster builds the engine spec of c. The cluster's site, namespace
// and name come from the external-name annotation when it is set (an
// adopted cluster), else from spec.forProvider and metadata.name; the two
// must agree. Unset fields take the defaults of a new cluster: one control
// plane machine, byoh infrastructure, Argo CD registration on.
func expandCluster(c *v1alpha1.Cluster) (cluster.Spec, error) {
	p := c.Spec.ForProvider
	want := cluster.Spec{
		Site:               p.Site,
		Namespace:          p.Namespace,
		Name:               c.GetName(),
		KubernetesVersion:  p.KubernetesVersion,
		ControlPlane:       cluster.ControlPlane{Replicas: cluster.DefaultControlPlaneReplicas},
		PodCIDRs:           slices.Clone(p.PodCIDRs),
		ServiceCIDRs:       slices.Clone(p.ServiceCIDRs),
		Infrastructure:     orDefault(p.Infrastructure, cluster.DefaultInfrastructure),
		Labels:             maps.Clone(p.Labels),
		ArgoCDRegistration: boolOrDefault(p.ArgoCDRegistration, cluster.DefaultArgoCDRegistration),
	}
	if id := c.GetAnnotations()[v1alpha1.AnnotationExternalName]; id != "" {
		siteName, namespace, name, err := cluster.ParseID(id)
		if err != nil {
			return cluster.Spec{}, err
		}
		if p.Site != "" && p.Site != siteName {
			return cluster.Spec{}, engine.InvalidInput("site", "%q differs from the site of the external name %q", p.Site, id)
		}
		if p.Namespace != "" && p.Namespace != namespace {
			return cluster.Spec{}, engine.InvalidInput("namespace", "%q differs from the namespace of the external name %q", p.Namespace, id)
		}
		want.Site, want.Namespace, want.Name = siteName, namespace, name
	}
	if want.Site == "" {
		return cluster.Spec{}, engine.InvalidInput("site", "is required unless the external-name annotation names the cluster as <site>/<namespace>/<name>")
	}
	if want.Namespace == "" {
		return cluster.Spec{}, engine.InvalidInput("namespace", "is required unless the external-name annotation names the cluster as <site>/<namespace>/<name>")
	}
	if r := p.ControlPlane.Replicas; r != nil {
		want.ControlPlane.Replicas = *r
	}
	want.ControlPlane.HostSelector = maps.Clone(p.ControlPlane.HostSelector)
	if e := p.ControlPlane.Endpoint; e != nil {
		want.ControlPlane.EndpointHost, want.ControlPlane.EndpointPort = e.Host, e.Port
	}
	for _, pool := range p.WorkerPools {
		wp := cluster.WorkerPool{
			Name:         pool.Name,
			Replicas:     pool.Replicas,
			HostSelector: maps.Clone(pool.HostSelector),
			Labels:       maps.Clone(pool.Labels),
		}
		for _, t := range pool.Taints {
			wp.Taints = append(wp.Taints, cluster.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
		}
		want.WorkerPools = append(want.WorkerPools, wp)
	}
	if t := p.Topology; t != nil {
		want.Topology = &cluster.Topology{Class: t.Class, ClassNamespace: t.ClassNamespace}
		for k, v := range t.Variables {
			if want.Topology.Variables == nil {
				want.Topology.Variables = map[string]string{}
			}
			want.Topology.Variables[k] = string(v.Raw)
		}
		for _, w := range t.Workers {
			want.Topology.Workers = append(want.Topology.Workers, cluster.TopologyWorker{Name: w.Name, Class: w.Class, Replicas: w.Replicas})
		}
	}
	return want, nil
}

// DefaultExternalName is the id Create returns for c's spec:
// "<site>/<namespace>/<metadata.name>"; empty while site or namespace is
// unset (DesiredSpec then reports what is missing).
func (a *ClusterAdapter) DefaultExternalName(mg Managed) string {
	c, err := asCluster(mg)
	if err != nil {
		return ""
	}
	p := c.Spec.ForProvider
	if p.Site == "" || p.Namespace == "" {
		return ""
	}
	return cluster.ID(cluster.Spec{Site: p.Site, Namespace: p.Namespace, Name: c.GetName()})
}

// SetObservation writes the engine's cluster status into
// status.atProvider.
func (a *ClusterAdapter) SetObservation(mg Managed, observed cluster.Status) {
	c, err := asCluster(mg)
	if err != nil {
		return
	}
	c.Status.AtProvider = flattenClusterStatus(observed)
}

// flattenClusterStatus converts the engine's status into the Cluster's
// status.atProvider.
func flattenClusterStatus(s cluster.Status) v1alpha1.ClusterObservation {
	o := v1alpha1.ClusterObservation{
		Phase:                     s.Phase,
		Endpoint:                  s.Endpoint,
		ReadyWorkers:              s.ReadyWorkers,
		ControlPlaneReady:         s.ControlPlaneReady,
		ObservedKubernetesVersion: s.ObservedKubernetesVersion,
		ArgoCDClusterName:         s.ArgoCDClusterName,
	}
	for _, c := range s.Conditions {
		o.Conditions = append(o.Conditions, v1alpha1.ClusterAPICondition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message})
	}
	return o
}

// LateInitialize fills the unset fields of spec.forProvider from the
// existing cluster: site, namespace, Kubernetes version, control plane
// replicas and endpoint, worker pools, networks, infrastructure, labels and
// Argo CD registration (which the API server defaults, so this matters only
// for objects stored without defaults). An adopted cluster is thus never
// scaled, relabelled or stripped of pools that the spec does not mention.
// Deletion protection is this front-end's own and is never filled. Values
// the CRD would reject (an even number of control plane machines, an
// infrastructure other than byoh and in_memory) are left unset.
func (a *ClusterAdapter) LateInitialize(mg Managed, actual cluster.Spec) bool {
	c, err := asCluster(mg)
	if err != nil {
		return false
	}
	return lateInitCluster(&c.Spec.ForProvider, actual)
}

func lateInitCluster(p *v1alpha1.ClusterParameters, actual cluster.Spec) bool {
	changed := false
	fill := func(field *string, value string) {
		if *field == "" && value != "" {
			*field, changed = value, true
		}
	}
	fill(&p.Site, actual.Site)
	fill(&p.Namespace, actual.Namespace)
	fill(&p.KubernetesVersion, actual.KubernetesVersion)
	if actual.Infrastructure == cluster.InfrastructureBYOH || actual.Infrastructure == cluster.InfrastructureInMemory {
		fill(&p.Infrastructure, actual.Infrastructure)
	}
	if r := actual.ControlPlane.Replicas; p.ControlPlane.Replicas == nil && r >= 1 && r%2 == 1 {
		p.ControlPlane.Replicas, changed = new(r), true
	}
	if p.ControlPlane.HostSelector == nil && len(actual.ControlPlane.HostSelector) > 0 {
		p.ControlPlane.HostSelector, changed = maps.Clone(actual.ControlPlane.HostSelector), true
	}
	if p.ControlPlane.Endpoint == nil && actual.ControlPlane.EndpointHost != "" {
		p.ControlPlane.Endpoint = &v1alpha1.ClusterEndpoint{Host: actual.ControlPlane.EndpointHost, Port: actual.ControlPlane.EndpointPort}
		changed = true
	}
	if p.WorkerPools == nil && len(actual.WorkerPools) > 0 {
		p.WorkerPools, changed = flattenWorkerPools(actual.WorkerPools), true
	}
	if p.Topology == nil && actual.Topology != nil && p.WorkerPools == nil {
		p.Topology, changed = flattenTopology(actual.Topology), true
	}
	if p.PodCIDRs == nil && len(actual.PodCIDRs) > 0 {
		p.PodCIDRs, changed = slices.Clone(actual.PodCIDRs), true
	}
	if p.ServiceCIDRs == nil && len(actual.ServiceCIDRs) > 0 {
		p.ServiceCIDRs, changed = slices.Clone(actual.ServiceCIDRs), true
	}
	if p.Labels == nil && len(actual.Labels) > 0 {
		p.Labels, changed = maps.Clone(actual.Labels), true
	}
	if p.ArgoCDRegistration == nil {
		p.ArgoCDRegistration, changed = new(actual.ArgoCDRegistration), true
	}
	return changed
}

// flattenTopology converts the engine's topology into the Cluster's.
func flattenTopology(t *cluster.Topology) *v1alpha1.ClusterTopology {
	out := &v1alpha1.ClusterTopology{Class: t.Class, ClassNamespace: t.ClassNamespace}
	for k, v := range t.Variables {
		if out.Variables == nil {
			out.Variables = map[string]apiextensionsv1.JSON{}
		}
		out.Variables[k] = apiextensionsv1.JSON{Raw: []byte(v)}
	}
	for _, w := range t.Workers {
		out.Workers = append(out.Workers, v1alpha1.ClusterTopologyWorker{Name: w.Name, Class: w.Class, Replicas: w.Replicas})
	}
	return out
}

// flattenWorkerPools converts the engine's worker pools into the Cluster's.
func flattenWorkerPools(pools []cluster.WorkerPool) []v1alpha1.ClusterWorkerPool {
	var out []v1alpha1.ClusterWorkerPool
	for _, p := range pools {
		wp := v1alpha1.ClusterWorkerPool{
			Name:         p.Name,
			Replicas:     p.Replicas,
			HostSelector: maps.Clone(p.HostSelector),
			Labels:       maps.Clone(p.Labels),
		}
		for _, t := range p.Taints {
			wp.Taints = append(wp.Taints, v1alpha1.ClusterTaint{Key: t.Key, Value: t.Value, Effect: t.Effect})
		}
		out = append(out, wp)
	}
	return out
}

// clusterFieldPaths maps the cluster engine's argument paths to Cluster
// field paths where the names differ beyond snake_case to lowerCamelCase
// under spec.forProvider.
var clusterFieldPaths = map[string]string{
	"name":                        "metadata.name",
	"id":                          "metadata.annotations[" + v1alpha1.AnnotationExternalName + "]",
	"control_plane.endpoint_host": "spec.forProvider.controlPlane.endpoint.host",
	"control_plane.endpoint_port": "spec.forProvider.controlPlane.endpoint.port",
	"pod_cidrs":                   "spec.forProvider.podCIDRs",
	"service_cidrs":               "spec.forProvider.serviceCIDRs",
	"argocd_registration":         "spec.forProvider.argocdRegistration",
}

// FieldPath returns the Cluster field path of a cluster engine argument
// path, for example spec.forProvider.workerPools[0].taints[1].effect for
// worker_pools[0].taints[1].effect.
func (a *ClusterAdapter) FieldPath(enginePath string) string {
	if path, ok := clusterFieldPaths[enginePath]; ok {
		return path
	}
	if base, index, ok := strings.Cut(enginePath, "["); ok && !strings.Contains(base, ".") {
		if path, ok := clusterFieldPaths[base]; ok {
			return path + "[" + index // such as pod_cidrs[1]
		}
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
