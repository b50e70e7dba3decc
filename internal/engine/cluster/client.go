package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Client implements engine.Client for workload clusters.
type Client struct {
	sites *registry.Registry

	mu sync.Mutex
	// connections are the last connection connectSite made to each site.
	connections map[string]*siteConnection
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a cluster client that finds sites, and connects to their
// management clusters, through the registry sites.
func New(sites *registry.Registry) *Client {
	return &Client{sites: sites}
}

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// Create makes the cluster's objects on the site's management cluster, the
// Cluster first; the templates are owned by the Cluster so that they go with
// it. Objects that already exist are adopted, unless the Cluster belongs to
// another site.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := Validate(want); err != nil {
		return "", err
	}
	sc, err := c.connectSite(ctx, want.Site)
	if err != nil {
		return "", err
	}
	dc := sc.dynamic
	if err := ensureNamespace(ctx, dc, want.Namespace); err != nil {
		return "", err
	}
	if want.Topology != nil {
		// The class is read once more: a plan made before it existed
		// could not check the variables.
		if err := c.ValidateAgainstClass(ctx, want); err != nil {
			return "", err
		}
	}
	objs := objects(want)
	if len(objs) == 0 {
		return "", fmt.Errorf("cannot build the objects of cluster %s", ID(want))
	}
	// The Cluster names the registry of its site: a site of the same name
	// in another registry on this management cluster is not its site.
	labels := maps.Clone(objs[0].GetLabels())
	if labels == nil {
		labels = map[string]string{}
	}
	labels[registry.LabelRegistry] = c.sites.Namespace()
	objs[0].SetLabels(labels)
	cl, err := createOrAdopt(ctx, dc, want.Namespace, objs[0])
	if err != nil {
		return "", err
	}
	if got := cl.GetLabels()[registry.LabelSite]; got != want.Site {
		return "", engine.InvalidInput("name", "Cluster %s/%s already exists and does not belong to site %q (its %s label is %q)", want.Namespace, want.Name, want.Site, registry.LabelSite, got)
	}
	owner := ownerRef(cl)
	for _, u := range objs[1:] {
		if strings.HasSuffix(kindOf(u), "Template") {
			u.SetOwnerReferences([]metav1.OwnerReference{owner})
		}
		if _, err := createOrAdopt(ctx, dc, want.Namespace, u); err != nil {
			return "", err
		}
	}
	return ID(want), nil
}

// ownerRef is the owner reference to Cluster cl.
func ownerRef(cl metav1.Object) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cl.GetName(), UID: cl.GetUID()}
}

func ensureNamespace(ctx context.Context, dc dynamic.Interface, ns string) error {
	if _, err := dc.Resource(namespaceGVR).Get(ctx, ns, metav1.GetOptions{}); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot read namespace %q: %w", ns, err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	if _, err := dc.Resource(namespaceGVR).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create namespace %q: %w", ns, err)
	}
	return nil
}

// createOrAdopt creates o in ns, or returns the object of that name that
// already exists.
func createOrAdopt(ctx context.Context, dc dynamic.Interface, ns string, o object) (*unstructured.Unstructured, error) {
	gvr, err := gvrOf(o)
	if err != nil {
		return nil, err
	}
	o.SetNamespace(ns)
	u, err := toUnstructured(o)
	if err != nil {
		return nil, err
	}
	got, err := dc.Resource(gvr).Namespace(ns).Create(ctx, u, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
	if apierrors.IsAlreadyExists(err) {
		got, err = dc.Resource(gvr).Namespace(ns).Get(ctx, u.GetName(), metav1.GetOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create %s %s/%s: %s", u.GetKind(), ns, u.GetName(), describe(err))
	}
	return got, nil
}

func describe(err error) string {
	if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
		return err.Error() + " (are Cluster API and the infrastructure provider, BYOH or CAPD's in-memory backend, installed on the management cluster?)"
	}
	return err.Error()
}

// observed is what Observe reads from the management cluster.
type observed struct {
	cluster *clusterv1.Cluster
	kcp     *controlplanev1.KubeadmControlPlane
	// pools maps a pool name to its MachineDeployment.
	pools map[string]*clusterv1.MachineDeployment
	// taints maps a pool name to the taints of its KubeadmConfigTemplate.
	taints map[string][]Taint
	// hostSelectors maps a pool name to the host selector of its
	// ByoMachineTemplate (byoh only).
	hostSelectors map[string]map[string]string
	// machines are the cluster's Machines.
	machines []clusterv1.Machine
	// machineSets are the MachineSets of the cluster's MachineDeployments.
	machineSets []clusterv1.MachineSet
	// controlPlaneHostSelector is the host selector of the control plane's
	// ByoMachineTemplate (byoh only).
	controlPlaneHostSelector map[string]string
}

// get reads the object ns/name of resource gvr into the typed object into.
// API errors are returned as they are, for apierrors.IsNotFound.
func get(ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, ns, name string, into any) error {
	u, err := dc.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	return fromUnstructured(u.Object, into)
}

// list reads the objects of resource gvr in ns that opts selects into the
// typed list into.
func list(ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, ns string, opts metav1.ListOptions, into any) error {
	l, err := dc.Resource(gvr).Namespace(ns).List(ctx, opts)
	if err != nil {
		return err
	}
	return fromUnstructured(l.UnstructuredContent(), into)
}

// read reads cluster ns/name: nil when its Cluster does not exist.
//
// Observe runs on every change while a create waits, and its latency is how
// late the wait notices readiness; so everything is read side by side in one
// round of calls after the site's record: the Cluster, the
// KubeadmControlPlanes, MachineDeployments, MachineSets and Machines of the
// cluster (by Cluster API's cluster-name label) and the
// KubeadmConfigTemplates carrying that label. The Cluster and the
// MachineDeployments name the objects they use; one that the lists did not
// bring (made outside the engine without the label, or under another name)
// is then read by name, as before. Errors are reported in the order the
// reads depend on each other: a Cluster that does not exist is nil whatever
// the other reads said.
func read(ctx context.Context, dc dynamic.Interface, ns, name string) (*observed, error) {
	selector := metav1.ListOptions{LabelSelector: LabelClusterName + "=" + name}
	var (
		cl                                 = &clusterv1.Cluster{}
		kcps                               controlplanev1.KubeadmControlPlaneList
		machines                           clusterv1.MachineList
		sets                               clusterv1.MachineSetList
		mds                                clusterv1.MachineDeploymentList
		kcts                               bootstrapv1.KubeadmConfigTemplateList
		clErr, kcpsErr, mErr, msErr, mdErr error
		kctsErr                            error
	)
	var wg sync.WaitGroup
	wg.Go(func() { clErr = get(ctx, dc, ClusterGVR, ns, name, cl) })
	wg.Go(func() { kcpsErr = list(ctx, dc, KubeadmControlPlaneGVR, ns, selector, &kcps) })
	wg.Go(func() { mErr = list(ctx, dc, MachineGVR, ns, selector, &machines) })
	wg.Go(func() { msErr = list(ctx, dc, MachineSetGVR, ns, selector, &sets) })
	wg.Go(func() { mdErr = list(ctx, dc, MachineDeploymentGVR, ns, selector, &mds) })
	wg.Go(func() { kctsErr = list(ctx, dc, KubeadmConfigTemplateGVR, ns, selector, &kcts) })
	wg.Wait()
	if apierrors.IsNotFound(clErr) {
		return nil, nil
	}
	if clErr != nil {
		return nil, fmt.Errorf("cannot read Cluster %s/%s: %s", ns, name, describe(clErr))
	}
	o := &observed{cluster: cl, pools: map[string]*clusterv1.MachineDeployment{}, taints: map[string][]Taint{}, hostSelectors: map[string]map[string]string{}}
	// Clusters made outside the engine name their objects as they like:
	// follow the references instead of assuming the engine's names.
	kcpName := ControlPlaneName(name)
	if cl.Spec.ControlPlaneRef.Kind == "KubeadmControlPlane" {
		kcpName = cl.Spec.ControlPlaneRef.Name
	}
	listed := map[string]*bootstrapv1.KubeadmConfigTemplate{}
	if kctsErr == nil {
		for i := range kcts.Items {
			listed[kcts.Items[i].Name] = &kcts.Items[i]
		}
	}
	if mErr != nil {
		return nil, fmt.Errorf("cannot list the Machines of cluster %s/%s: %w", ns, name, mErr)
	}
	o.machines = machines.Items
	if msErr != nil {
		return nil, fmt.Errorf("cannot list the MachineSets of cluster %s/%s: %w", ns, name, msErr)
	}
	o.machineSets = sets.Items
	if mdErr != nil {
		return nil, fmt.Errorf("cannot list the MachineDeployments of cluster %s/%s: %w", ns, name, mdErr)
	}
	// What the lists did not settle is read by name, again side by side.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var kcp *controlplanev1.KubeadmControlPlane
		if kcpsErr == nil {
			for i := range kcps.Items {
				if kcps.Items[i].Name == kcpName {
					kcp = &kcps.Items[i]
				}
			}
		}
		if kcp == nil {
			kcp = &controlplanev1.KubeadmControlPlane{}
			err := get(gctx, dc, KubeadmControlPlaneGVR, ns, kcpName, kcp)
			switch {
			case apierrors.IsNotFound(err):
				return nil
			case err != nil:
				return fmt.Errorf("cannot read KubeadmControlPlane %s/%s: %w", ns, kcpName, err)
			}
		}
		o.kcp = kcp
		infra := kcp.Spec.MachineTemplate.Spec.InfrastructureRef
		if infra.Kind != "ByoMachineTemplate" {
			return nil
		}
		bmt, err := dc.Resource(ByoMachineTemplateGVR).Namespace(ns).Get(gctx, infra.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("cannot read ByoMachineTemplate %s/%s: %w", ns, infra.Name, err)
		}
		o.controlPlaneHostSelector = hostSelectorOf(bmt)
		return nil
	})
	var mu sync.Mutex // guards o's pool maps
	for i := range mds.Items {
		md := &mds.Items[i]
		pool := PoolName(name, md)
		o.pools[pool] = md
		g.Go(func() error { return readPoolTemplates(gctx, dc, ns, pool, md, listed, o, &mu) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return o, nil
}

// readPoolTemplates reads the templates the MachineDeployment md of pool
// refers to into o (under mu): its KubeadmConfigTemplate from listed when
// the list brought it, else by name, and its ByoMachineTemplate (byoh only).
func readPoolTemplates(ctx context.Context, dc dynamic.Interface, ns, pool string, md *clusterv1.MachineDeployment, listed map[string]*bootstrapv1.KubeadmConfigTemplate, o *observed, mu *sync.Mutex) error {
	machine := md.Spec.Template.Spec
	if ref := machine.Bootstrap.ConfigRef.Name; ref != "" {
		kct, ok := listed[ref]
		if !ok {
			kct = &bootstrapv1.KubeadmConfigTemplate{}
			err := get(ctx, dc, KubeadmConfigTemplateGVR, ns, ref, kct)
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("cannot read KubeadmConfigTemplate %s/%s: %w", ns, ref, err)
			}
			ok = err == nil
		}
		if ok {
			mu.Lock()
			o.taints[pool] = taintsOf(kct)
			mu.Unlock()
		}
	}
	if machine.InfrastructureRef.Kind != "ByoMachineTemplate" {
		return nil
	}
	ref := machine.InfrastructureRef.Name
	bmt, err := dc.Resource(ByoMachineTemplateGVR).Namespace(ns).Get(ctx, ref, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot read ByoMachineTemplate %s/%s: %w", ns, ref, err)
	}
	if err == nil {
		mu.Lock()
		o.hostSelectors[pool] = hostSelectorOf(bmt)
		mu.Unlock()
	}
	return nil
}

// PoolName is the worker pool a MachineDeployment of cluster name stands
// for: its worker-pool label, or the name of its topology entry (topology
// clusters), or else its name without the "<cluster>-" prefix (Cluster
// API's own templates name them <cluster>-md-0).
func PoolName(name string, md *clusterv1.MachineDeployment) string {
	if pool := md.Labels[LabelWorkerPool]; pool != "" {
		return pool
	}
	if entry := md.Labels[labelTopologyDeployment]; entry != "" {
		return entry
	}
	return strings.TrimPrefix(md.Name, name+"-")
}

// Observe reads the Cluster, its KubeadmControlPlane, its
// MachineDeployments and its Argo CD registration (see ArgoCDSecretName).
// The cluster exists as long as its Cluster does.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	siteName, ns, name, err := ParseID(id)
	if err != nil {
		return obs, err
	}
	// A site that cannot be read is an error, never a cluster that is gone:
	// the Cluster API objects may well still exist.
	type objects struct {
		o   *observed
		reg registration
		err error
	}
	_, got, err := readSite(ctx, c, siteName, func(sc *siteConnection) objects {
		o, reg, err := observeObjects(ctx, sc, siteName, ns, name, want)
		return objects{o, reg, err}
	})
	if err == nil {
		err = got.err
	}
	o, reg := got.o, got.reg
	if err != nil || o == nil {
		return obs, err
	}
	obs.Exists = true
	obs.Actual = actualSpec(siteName, ns, name, o, want)
	obs.UpToDate = upToDate(want, obs.Actual)
	obs.Status, obs.Ready, obs.Message = status(o)
	obs.Failed = failure(o)
	observeRegistration(&obs, want, reg)
	return obs, nil
}

// readSite connects to site siteName and makes reads through the
// connection. Its record is read beside reads, made through the connection
// the record gave last time (a wait observes again and again): they count
// only if the record still gives that connection, and are made again
// through the new one if not. An error reading the record wins over what
// reads found.
func readSite[T any](ctx context.Context, c *Client, siteName string, reads func(*siteConnection) T) (*siteConnection, T, error) {
	var none T
	last := c.lastConnection(siteName)
	if last == nil {
		sc, err := c.connectSite(ctx, siteName)
		if err != nil {
			return nil, none, err
		}
		return sc, reads(sc), nil
	}
	var (
		sc  *siteConnection
		err error
		wg  sync.WaitGroup
	)
	wg.Go(func() { sc, err = c.connectSite(ctx, siteName) })
	got := reads(last)
	wg.Wait()
	if err != nil {
		return nil, none, err
	}
	if !sc.sameAs(last) {
		got = reads(sc)
	}
	return sc, got, nil
}

// observeObjects reads the Cluster API objects of cluster ns/name of site
// siteName through sc and, beside them, its Argo CD registration.
func observeObjects(ctx context.Context, sc *siteConnection, siteName, ns, name string, want Spec) (*observed, registration, error) {
	var reg registration
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		reg, err = readRegistration(gctx, sc, siteName, ns, name, want)
		return err
	})
	o, err := read(ctx, sc.dynamic, ns, name)
	if regErr := g.Wait(); err == nil {
		err = regErr
	}
	return o, reg, err
}

var systemLabelParts = []string{"cluster.x-k8s.io/", "mc.mcplatform.dev/", labelManagedBy}

// systemLabel reports whether label key is set by the engine or Cluster
// API rather than by the user.
func systemLabel(key string) bool {
	return slices.ContainsFunc(systemLabelParts, func(p string) bool { return strings.Contains(key, p) })
}

// userLabels drops the labels the engine or Cluster API set.
func userLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if !systemLabel(k) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// withUserLabels is current with its user labels replaced by want.
func withUserLabels(current, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range current {
		if systemLabel(k) {
			out[k] = v
		}
	}
	maps.Copy(out, want)
	return out
}

func actualSpec(siteName, ns, name string, o *observed, want Spec) Spec {
	cl := o.cluster
	s := Spec{Site: siteName, Namespace: ns, Name: name, Labels: userLabels(cl.Labels)}
	s.PodCIDRs = cl.Spec.ClusterNetwork.Pods.CIDRBlocks
	s.ServiceCIDRs = cl.Spec.ClusterNetwork.Services.CIDRBlocks
	topology := cl.Spec.Topology.IsDefined()
	switch kind := cl.Spec.InfrastructureRef.Kind; kind {
	case "":
		// A topology cluster's infrastructure cluster is made by the
		// topology controller, a moment after the Cluster.
		s.Infrastructure = infrastructureOf(want)
	case "DevCluster":
		s.Infrastructure = InfrastructureInMemory
	case "ByoCluster":
		s.Infrastructure = InfrastructureBYOH
		if topology {
			break // the class sets the endpoint and selects the hosts
		}
		s.ControlPlane.EndpointHost = cl.Spec.ControlPlaneEndpoint.Host
		s.ControlPlane.EndpointPort = int64(cl.Spec.ControlPlaneEndpoint.Port)
		s.ControlPlane.HostSelector = o.controlPlaneHostSelector
	default:
		s.Infrastructure = kind
	}
	if o.kcp != nil {
		s.KubernetesVersion = o.kcp.Spec.Version
		s.ControlPlane.Replicas = int64(ptr.Deref(o.kcp.Spec.Replicas, 0))
	}
	if topology {
		t := &cl.Spec.Topology
		s.Topology = actualTopology(t, ns)
		if want.Topology != nil {
			// Variables the configuration leaves out are the class's
			// defaults, which Cluster API's webhook writes in.
			for k := range s.Topology.Variables {
				if _, ok := want.Topology.Variables[k]; !ok {
					delete(s.Topology.Variables, k)
				}
			}
			if len(s.Topology.Variables) == 0 {
				s.Topology.Variables = nil
			}
		}
		s.KubernetesVersion = t.Version
		if t.ControlPlane.Replicas != nil {
			s.ControlPlane.Replicas = int64(*t.ControlPlane.Replicas)
		}
		return s
	}
	// Pools keep the order of want; pools want does not name come last, by name.
	names := slices.Sorted(maps.Keys(o.pools))
	order := map[string]int{}
	for i, p := range want.WorkerPools {
		order[p.Name] = i - len(want.WorkerPools)
	}
	sort.SliceStable(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	for _, pool := range names {
		md := o.pools[pool]
		s.WorkerPools = append(s.WorkerPools, WorkerPool{
			Name: pool, Replicas: int64(ptr.Deref(md.Spec.Replicas, 0)), Labels: userLabels(md.Spec.Template.Labels),
			Taints: o.taints[pool], HostSelector: o.hostSelectors[pool],
		})
	}
	return s
}

func hostSelectorOf(bmt *unstructured.Unstructured) map[string]string {
	m, _, _ := unstructured.NestedStringMap(bmt.Object, "spec", "template", "spec", "selector", "matchLabels")
	if len(m) == 0 {
		return nil
	}
	return m
}

func taintsOf(kct *bootstrapv1.KubeadmConfigTemplate) []Taint {
	taints := kct.Spec.Template.Spec.JoinConfiguration.NodeRegistration.Taints
	if taints == nil {
		return nil
	}
	var out []Taint
	for _, t := range *taints {
		out = append(out, Taint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)})
	}
	return out
}

// upToDate compares what Update can change in place: the Kubernetes
// version, the control plane replicas, the cluster labels and the worker
// pools (their set, replicas and labels).
func upToDate(want, got Spec) bool {
	if want.KubernetesVersion != got.KubernetesVersion || want.ControlPlane.Replicas != got.ControlPlane.Replicas ||
		!maps.Equal(want.Labels, got.Labels) || len(want.WorkerPools) != len(got.WorkerPools) ||
		!sameTopology(want.Topology, got.Topology, got.Namespace) {
		return false
	}
	gotPools := map[string]WorkerPool{}
	for _, p := range got.WorkerPools {
		gotPools[p.Name] = p
	}
	for _, w := range want.WorkerPools {
		g, ok := gotPools[w.Name]
		if !ok || g.Replicas != w.Replicas || !maps.Equal(w.Labels, g.Labels) || !sameJoinSettings(w, g) {
			return false
		}
	}
	return true
}

// condition is the status and message of condition typ; Unknown when it is
// not set.
func condition(conds []metav1.Condition, typ string) (status, message string) {
	if c := meta.FindStatusCondition(conds, typ); c != nil {
		return string(c.Status), c.Message
	}
	return string(metav1.ConditionUnknown), ""
}

// replicasSettled reports whether a KubeadmControlPlane or a
// MachineDeployment (of generation, its status at observedGeneration) runs
// exactly want ready, up-to-date machines.
func replicasSettled(generation, observedGeneration int64, want, replicas, ready, upToDate *int32) bool {
	n := ptr.Deref(want, 0)
	return observedGeneration >= generation && ptr.Deref(replicas, 0) == n &&
		ptr.Deref(ready, 0) == n && ptr.Deref(upToDate, 0) == n
}

// rolledOut reports whether a MachineDeployment's rollout is over: a
// MachineSet with its current template exists and every MachineSet with an
// older one is down to no machines. The MachineDeployment's own counters can
// look settled for a moment after its template changed, before its machines
// are marked out of date.
func rolledOut(md *clusterv1.MachineDeployment, sets []clusterv1.MachineSet) bool {
	current := false
	for i := range sets {
		ms := &sets[i]
		if ms.Labels[labelDeploymentName] != md.Name {
			continue
		}
		if sameMachineTemplate(md.Spec.Template.Spec, ms.Spec.Template.Spec) {
			current = true
			continue
		}
		if ptr.Deref(ms.Spec.Replicas, 0) > 0 || ptr.Deref(ms.Status.Replicas, 0) > 0 {
			return false
		}
	}
	return current
}

// sameMachineTemplate compares what rolls machines when it changes: the
// version and the templates referred to.
func sameMachineTemplate(a, b clusterv1.MachineSpec) bool {
	return a.Version == b.Version && a.Bootstrap.ConfigRef.Name == b.Bootstrap.ConfigRef.Name &&
		a.InfrastructureRef.Name == b.InfrastructureRef.Name
}

func status(o *observed) (Status, bool, string) {
	cl := o.cluster
	st := Status{Phase: cl.Status.Phase}
	if ep := cl.Spec.ControlPlaneEndpoint; ep.Host != "" {
		st.Endpoint = fmt.Sprintf("https://%s:%d", ep.Host, ep.Port)
	}
	for _, c := range cl.Status.Conditions {
		st.Conditions = append(st.Conditions, Condition{Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message})
	}
	if cl.DeletionTimestamp != nil {
		return st, false, "the Cluster is being deleted"
	}
	var notes []string
	if kcp := o.kcp; kcp == nil {
		notes = append(notes, "no KubeadmControlPlane "+ControlPlaneName(cl.Name))
	} else {
		st.ObservedKubernetesVersion = kcp.Status.Version
		st.ControlPlaneReady = replicasSettled(kcp.Generation, kcp.Status.ObservedGeneration, kcp.Spec.Replicas, kcp.Status.Replicas, kcp.Status.ReadyReplicas, kcp.Status.UpToDateReplicas) &&
			st.ObservedKubernetesVersion == kcp.Spec.Version
		if !st.ControlPlaneReady {
			notes = append(notes, fmt.Sprintf("control plane %d/%d ready, %s of %s", ptr.Deref(kcp.Status.ReadyReplicas, 0), ptr.Deref(kcp.Spec.Replicas, 0), orUnknown(st.ObservedKubernetesVersion), kcp.Spec.Version))
		}
	}
	poolsReady := true
	var wantWorkers int64
	for _, pool := range slices.Sorted(maps.Keys(o.pools)) {
		md := o.pools[pool]
		ready, want := ptr.Deref(md.Status.ReadyReplicas, 0), ptr.Deref(md.Spec.Replicas, 0)
		st.ReadyWorkers += int64(ready)
		wantWorkers += int64(want)
		if md.DeletionTimestamp != nil {
			poolsReady = false
			notes = append(notes, fmt.Sprintf("pool %s is being deleted", pool))
			continue
		}
		if !replicasSettled(md.Generation, md.Status.ObservedGeneration, md.Spec.Replicas, md.Status.Replicas, md.Status.ReadyReplicas, md.Status.UpToDateReplicas) || !rolledOut(md, o.machineSets) {
			poolsReady = false
			notes = append(notes, fmt.Sprintf("pool %s %d/%d ready", pool, ready, want))
		}
	}
	if infra, msg := condition(cl.Status.Conditions, clusterv1.ClusterInfrastructureReadyCondition); infra == string(metav1.ConditionFalse) {
		n := "infrastructure not ready: " + firstLine(msg)
		if cl.Spec.InfrastructureRef.Kind == "ByoCluster" {
			n += " (is the BYOH provider running, with ByoHosts matching the host selectors?)"
		}
		notes = append(notes, n)
	}
	available, msg := condition(cl.Status.Conditions, clusterv1.ClusterAvailableCondition)
	if available != string(metav1.ConditionTrue) {
		n := "Cluster not Available"
		if msg != "" {
			n += ": " + firstLine(msg)
		}
		notes = append(notes, n)
	}
	topologyDone := true
	if cl.Spec.Topology.IsDefined() {
		if n := topologyPending(o); len(n) > 0 {
			topologyDone = false
			notes = append(notes, n...)
		}
	}
	ready := st.ControlPlaneReady && poolsReady && topologyDone && available == string(metav1.ConditionTrue)
	if ready {
		return st, true, fmt.Sprintf("%s: control plane ready, %d/%d workers ready", orUnknown(st.Phase), st.ReadyWorkers, wantWorkers)
	}
	return st, false, orUnknown(st.Phase) + ": " + strings.Join(notes, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// failure returns the terminal failure Cluster API reports on the Cluster,
// its control plane or its Machines (the v1beta1 failureReason and
// failureMessage, kept under status.deprecated in v1beta2: a problem that
// needs a person, such as an infrastructure machine that vanished after
// provisioning), if any; v1beta2 MachineDeployments carry none. Machines
// being deleted are not counted: their replacement is under way; nor is
// anything of a Cluster being deleted, since the failure goes with it.
func failure(o *observed) error {
	if o.cluster.DeletionTimestamp != nil {
		return nil // whatever failed goes with the cluster
	}
	type failed struct {
		kind, name, reason string
		message            *string
	}
	var found []failed
	if d := o.cluster.Status.Deprecated; d != nil && d.V1Beta1 != nil {
		found = append(found, failed{"Cluster", o.cluster.Name, string(ptr.Deref(d.V1Beta1.FailureReason, "")), d.V1Beta1.FailureMessage})
	}
	if o.kcp != nil && o.kcp.Status.Deprecated != nil && o.kcp.Status.Deprecated.V1Beta1 != nil {
		d := o.kcp.Status.Deprecated.V1Beta1
		found = append(found, failed{"KubeadmControlPlane", o.kcp.Name, string(d.FailureReason), d.FailureMessage})
	}
	for i := range o.machines {
		m := &o.machines[i]
		if d := m.Status.Deprecated; m.DeletionTimestamp == nil && d != nil && d.V1Beta1 != nil {
			found = append(found, failed{"Machine", m.Name, string(ptr.Deref(d.V1Beta1.FailureReason, "")), d.V1Beta1.FailureMessage})
		}
	}
	for _, f := range found {
		if msg := ptr.Deref(f.message, ""); f.reason != "" || msg != "" {
			return engine.Terminal("%s %s failed (%s): %s", f.kind, f.name, orUnknown(f.reason), msg)
		}
	}
	return nil
}

// Update scales the control plane and the pools, upgrades the Kubernetes
// version of the control plane and of every pool, sets the labels, rolls a
// pool whose taints or host selector changed over to new templates, adds the
// pools want names that do not exist and deletes those it does not name.
// Last it registers the cluster in the site's Argo CD (once Cluster API has
// written its kubeconfig), rewrites a stale registration, or removes it
// when want.ArgoCDRegistration is false.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	if err := Validate(want); err != nil {
		return err
	}
	siteName, ns, name, err := ParseID(id)
	if err != nil {
		return err
	}
	if err := refuseMove(id, want); err != nil {
		return err
	}
	// What the Argo CD registration needs is read beside the cluster: it
	// does not depend on what the update changes.
	type objects struct {
		o     *observed
		ahead *registrationReads
		err   error
	}
	sc, got, err := readSite(ctx, c, siteName, func(sc *siteConnection) (r objects) {
		var wg sync.WaitGroup
		wg.Go(func() { r.ahead = readAhead(ctx, sc, siteName, ns, name, want) })
		r.o, r.err = read(ctx, sc.dynamic, ns, name)
		wg.Wait()
		return r
	})
	if err == nil {
		err = got.err
	}
	if err != nil {
		return err
	}
	dc := sc.dynamic
	o, ahead := got.o, got.ahead
	if o == nil {
		return fmt.Errorf("cluster %s: %w", id, engine.ErrNotFound)
	}
	actual := actualSpec(siteName, ns, name, o, want)
	if err := refuseImmutableChanges(actual, want); err != nil {
		return err
	}
	if want.Topology != nil {
		if err := c.ValidateAgainstClass(ctx, want); err != nil {
			return err
		}
		if err := updateTopology(ctx, dc, o, want); err != nil {
			return err
		}
		return applyRegistration(ctx, sc, siteName, ns, name, want, ahead)
	}
	if !maps.Equal(want.Labels, actual.Labels) {
		cl := o.cluster.DeepCopy()
		cl.Labels = withUserLabels(cl.Labels, want.Labels)
		if err := patch(ctx, dc, ClusterGVR, o.cluster, cl); err != nil {
			return err
		}
	}
	if actual.ControlPlane.Replicas != want.ControlPlane.Replicas || actual.KubernetesVersion != want.KubernetesVersion {
		if o.kcp == nil {
			return fmt.Errorf("cluster %s has no KubeadmControlPlane to scale or upgrade", id)
		}
		kcp := o.kcp.DeepCopy()
		kcp.Spec.Replicas, kcp.Spec.Version = ptr.To(int32(want.ControlPlane.Replicas)), want.KubernetesVersion
		if err := patch(ctx, dc, KubeadmControlPlaneGVR, o.kcp, kcp); err != nil {
			return err
		}
	}
	have := map[string]WorkerPool{}
	for _, p := range actual.WorkerPools {
		have[p.Name] = p
	}
	owner := ownerRef(o.cluster)
	for _, p := range want.WorkerPools {
		cur, ok := have[p.Name]
		delete(have, p.Name)
		if !ok {
			for _, u := range poolObjects(want, p) {
				if strings.HasSuffix(kindOf(u), "Template") {
					u.SetOwnerReferences([]metav1.OwnerReference{owner})
				}
				if _, err := createOrAdopt(ctx, dc, ns, u); err != nil {
					return err
				}
			}
			continue
		}
		current := o.pools[p.Name]
		if cur.Replicas == p.Replicas && current.Spec.Template.Spec.Version == want.KubernetesVersion && maps.Equal(cur.Labels, p.Labels) && sameJoinSettings(p, cur) {
			continue
		}
		md := current.DeepCopy()
		md.Spec.Replicas = ptr.To(int32(p.Replicas))
		md.Spec.Template.Spec.Version = want.KubernetesVersion
		md.Spec.Template.Labels = withUserLabels(md.Spec.Template.Labels, p.Labels)
		if !sameJoinSettings(p, cur) {
			// Templates are immutable: new ones, and the MachineDeployment
			// rolls its machines over to them.
			bootstrap, infra, err := newPoolTemplates(ctx, dc, ns, want, p, owner)
			if err != nil {
				return err
			}
			md.Spec.Template.Spec.Bootstrap.ConfigRef.Name = bootstrap
			md.Spec.Template.Spec.InfrastructureRef.Name = infra
		}
		if err := patch(ctx, dc, MachineDeploymentGVR, current, md); err != nil {
			return err
		}
	}
	for _, pool := range slices.Sorted(maps.Keys(have)) {
		if err := deletePool(ctx, dc, ns, pool, o.pools[pool]); err != nil {
			return err
		}
	}
	return applyRegistration(ctx, sc, siteName, ns, name, want, ahead)
}

// sameJoinSettings reports whether two pools' machines join alike: the
// same taints and the same host selector.
func sameJoinSettings(a, b WorkerPool) bool {
	return slices.Equal(a.Taints, b.Taints) && maps.Equal(a.HostSelector, b.HostSelector)
}

// newPoolTemplates creates the machine and bootstrap templates of pool p as
// want describes it, under names derived from their content (so a retried
// update adopts them), and returns the names of the bootstrap and the
// infrastructure template. The old templates stay until the Cluster goes:
// the old MachineSet still refers to them.
func newPoolTemplates(ctx context.Context, dc dynamic.Interface, ns string, want Spec, p WorkerPool, owner metav1.OwnerReference) (bootstrap, infra string, err error) {
	sum := sha256.New()
	for _, t := range p.Taints {
		fmt.Fprintf(sum, "taint %s=%s:%s\n", t.Key, t.Value, t.Effect)
	}
	for _, k := range slices.Sorted(maps.Keys(p.HostSelector)) {
		fmt.Fprintf(sum, "host %s=%s\n", k, p.HostSelector[k])
	}
	suffix := hex.EncodeToString(sum.Sum(nil))[:8]
	for _, u := range poolObjects(want, p) {
		if !strings.HasSuffix(kindOf(u), "Template") {
			continue
		}
		u.SetName(u.GetName() + "-" + suffix)
		u.SetOwnerReferences([]metav1.OwnerReference{owner})
		if _, err := createOrAdopt(ctx, dc, ns, u); err != nil {
			return "", "", err
		}
		if kindOf(u) == "KubeadmConfigTemplate" {
			bootstrap = u.GetName()
		} else {
			infra = u.GetName()
		}
	}
	return bootstrap, infra, nil
}

// patch sends the merge patch that turns original, an object read from
// resource gvr, into modified; nothing when they are alike.
func patch(ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, original, modified object) error {
	from, err := json.Marshal(original)
	if err != nil {
		return err
	}
	to, err := json.Marshal(modified)
	if err != nil {
		return err
	}
	raw, err := jsonpatch.CreateMergePatch(from, to)
	if err != nil {
		return fmt.Errorf("cannot compute the patch of %s %s/%s: %w", gvr.Resource, original.GetNamespace(), original.GetName(), err)
	}
	if string(raw) == "{}" {
		return nil
	}
	if _, err := dc.Resource(gvr).Namespace(original.GetNamespace()).Patch(ctx, original.GetName(), types.MergePatchType, raw, metav1.PatchOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
		return fmt.Errorf("cannot update %s %s/%s: %w", gvr.Resource, original.GetNamespace(), original.GetName(), err)
	}
	return nil
}

// deletePool deletes a pool's MachineDeployment and the templates it refers
// to; the machines already hold their own copies of the templates.
func deletePool(ctx context.Context, dc dynamic.Interface, ns, pool string, md *clusterv1.MachineDeployment) error {
	type object struct {
		gvr  schema.GroupVersionResource
		name string
	}
	objs := []object{{MachineDeploymentGVR, md.Name}}
	machine := md.Spec.Template.Spec
	if n := machine.Bootstrap.ConfigRef.Name; n != "" {
		objs = append(objs, object{KubeadmConfigTemplateGVR, n})
	}
	kind := machine.InfrastructureRef.Kind
	if gvr, ok := resources[kind]; ok && strings.HasSuffix(kind, "MachineTemplate") {
		objs = append(objs, object{gvr, machine.InfrastructureRef.Name})
	}
	for _, o := range objs {
		if err := dc.Resource(o.gvr).Namespace(ns).Delete(ctx, o.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("cannot delete %s %s/%s of pool %s: %w", o.gvr.Resource, ns, o.name, pool, err)
		}
	}
	return nil
}

// Delete removes the cluster's Argo CD registration first, then deletes the
// Cluster; Cluster API deletes the control plane, the pools and the
// infrastructure, and the garbage collector the templates. Observe reports
// the cluster gone once the Cluster is.
func (c *Client) Delete(ctx context.Context, id string) error {
	siteName, ns, name, err := ParseID(id)
	if err != nil {
		return err
	}
	sc, err := c.connectSite(ctx, siteName)
	if err != nil {
		return err
	}
	if err := deleteRegistration(ctx, sc, siteName, ns, name); err != nil {
		return err
	}
	err = sc.dynamic.Resource(ClusterGVR).Namespace(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
		return fmt.Errorf("cannot delete Cluster %s/%s: %w", ns, name, err)
	}
	return nil
}

// Trigger signals whenever the Cluster, its KubeadmControlPlane, one of its
// MachineDeployments, MachineSets or Machines changes, so that waits react at
// once. It returns nil when the site cannot be reached.
func (c *Client) Trigger(ctx context.Context, id string) <-chan struct{} {
	siteName, ns, name, err := ParseID(id)
	if err != nil {
		return nil
	}
	sc, err := c.connectSite(ctx, siteName)
	if err != nil {
		return nil
	}
	dc := sc.dynamic
	byCluster := LabelClusterName + "=" + name
	return kube.Trigger(ctx, dc,
		kube.Watched{GVR: ClusterGVR, Namespace: ns, Name: name},
		kube.Watched{GVR: KubeadmControlPlaneGVR, Namespace: ns, LabelSelector: byCluster},
		kube.Watched{GVR: MachineDeploymentGVR, Namespace: ns, LabelSelector: byCluster},
		kube.Watched{GVR: MachineGVR, Namespace: ns, LabelSelector: byCluster},
		kube.Watched{GVR: MachineSetGVR, Namespace: ns, LabelSelector: byCluster},
	)
}
