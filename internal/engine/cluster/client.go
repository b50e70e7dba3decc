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

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// Client implements engine.Client for workload clusters.
type Client struct {
	platform *rest.Config
	sites    *site.Client
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a cluster client that finds sites in the registry namespace of
// the platform plane reached through platform.
func New(platform *rest.Config, namespace string) *Client {
	return &Client{platform: platform, sites: site.New(platform, namespace)}
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
	objs := objects(want)
	cl, err := createOrAdopt(ctx, dc, want.Namespace, objs[0])
	if err != nil {
		return "", err
	}
	if got := cl.GetLabels()[site.LabelSite]; got != want.Site {
		return "", engine.InvalidInput("name", "Cluster %s/%s already exists and does not belong to site %q (its %s label is %q)", want.Namespace, want.Name, want.Site, site.LabelSite, got)
	}
	owner := ownerRef(cl)
	for _, u := range objs[1:] {
		if strings.HasSuffix(u.GetKind(), "Template") {
			u.SetOwnerReferences([]metav1.OwnerReference{owner})
		}
		if _, err := createOrAdopt(ctx, dc, want.Namespace, u); err != nil {
			return "", err
		}
	}
	return ID(want), nil
}

func ownerRef(cl *unstructured.Unstructured) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: cl.GetAPIVersion(), Kind: cl.GetKind(), Name: cl.GetName(), UID: cl.GetUID()}
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

// createOrAdopt creates u in ns, or returns the object of that name that
// already exists.
func createOrAdopt(ctx context.Context, dc dynamic.Interface, ns string, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	gvr, err := gvrOf(u)
	if err != nil {
		return nil, err
	}
	u.SetNamespace(ns)
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
	cluster *unstructured.Unstructured
	kcp     *unstructured.Unstructured
	// pools maps a pool name to its MachineDeployment.
	pools map[string]*unstructured.Unstructured
	// taints maps a pool name to the taints of its KubeadmConfigTemplate.
	taints map[string][]Taint
	// hostSelectors maps a pool name to the host selector of its
	// ByoMachineTemplate (byoh only).
	hostSelectors map[string]map[string]string
	// machines are the cluster's Machines.
	machines []unstructured.Unstructured
	// machineSets are the MachineSets of the cluster's MachineDeployments.
	machineSets []unstructured.Unstructured
	// controlPlaneHostSelector is the host selector of the control plane's
	// ByoMachineTemplate (byoh only).
	controlPlaneHostSelector map[string]string
}

func (c *Client) read(ctx context.Context, dc dynamic.Interface, ns, name string) (*observed, error) {
	cl, err := dc.Resource(ClusterGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read Cluster %s/%s: %s", ns, name, describe(err))
	}
	o := &observed{cluster: cl, pools: map[string]*unstructured.Unstructured{}, taints: map[string][]Taint{}, hostSelectors: map[string]map[string]string{}}
	// Clusters made outside the engine name their objects as they like:
	// follow the references instead of assuming the engine's names.
	kcpName := ControlPlaneName(name)
	if kind, _, _ := unstructured.NestedString(cl.Object, "spec", "controlPlaneRef", "kind"); kind == "KubeadmControlPlane" {
		kcpName, _, _ = unstructured.NestedString(cl.Object, "spec", "controlPlaneRef", "name")
	}
	// The control plane, the pools and the machines are read side by side:
	// Observe runs on every change while a create waits, and its latency is
	// how late the wait notices readiness.
	selector := metav1.ListOptions{LabelSelector: LabelClusterName + "=" + name}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		kcp, err := dc.Resource(KubeadmControlPlaneGVR).Namespace(ns).Get(gctx, kcpName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("cannot read KubeadmControlPlane %s/%s: %w", ns, kcpName, err)
		}
		o.kcp = kcp
		infra, _, _ := unstructured.NestedStringMap(kcp.Object, "spec", "machineTemplate", "spec", "infrastructureRef")
		if infra["kind"] != "ByoMachineTemplate" {
			return nil
		}
		bmt, err := dc.Resource(ByoMachineTemplateGVR).Namespace(ns).Get(gctx, infra["name"], metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("cannot read ByoMachineTemplate %s/%s: %w", ns, infra["name"], err)
		}
		o.controlPlaneHostSelector = hostSelectorOf(bmt)
		return nil
	})
	g.Go(func() error {
		machines, err := dc.Resource(MachineGVR).Namespace(ns).List(gctx, selector)
		if err != nil {
			return fmt.Errorf("cannot list the Machines of cluster %s/%s: %w", ns, name, err)
		}
		o.machines = machines.Items
		return nil
	})
	g.Go(func() error {
		sets, err := dc.Resource(MachineSetGVR).Namespace(ns).List(gctx, selector)
		if err != nil {
			return fmt.Errorf("cannot list the MachineSets of cluster %s/%s: %w", ns, name, err)
		}
		o.machineSets = sets.Items
		return nil
	})
	g.Go(func() error { return readPools(gctx, dc, ns, name, selector, o) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return o, nil
}

// readPools reads the MachineDeployments of cluster ns/name and the
// templates they refer to into o.
func readPools(ctx context.Context, dc dynamic.Interface, ns, name string, selector metav1.ListOptions, o *observed) error {
	mds, err := dc.Resource(MachineDeploymentGVR).Namespace(ns).List(ctx, selector)
	if err != nil {
		return fmt.Errorf("cannot list the MachineDeployments of cluster %s/%s: %w", ns, name, err)
	}
	for i := range mds.Items {
		md := &mds.Items[i]
		pool := PoolName(name, md)
		o.pools[pool] = md
		if ref := templateRef(md, "bootstrap", "configRef"); ref != "" {
			kct, err := dc.Resource(KubeadmConfigTemplateGVR).Namespace(ns).Get(ctx, ref, metav1.GetOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("cannot read KubeadmConfigTemplate %s/%s: %w", ns, ref, err)
			}
			if err == nil {
				o.taints[pool] = taintsOf(kct)
			}
		}
		if kind, _, _ := unstructured.NestedString(md.Object, "spec", "template", "spec", "infrastructureRef", "kind"); kind != "ByoMachineTemplate" {
			continue
		}
		ref := templateRef(md, "infrastructureRef")
		bmt, err := dc.Resource(ByoMachineTemplateGVR).Namespace(ns).Get(ctx, ref, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("cannot read ByoMachineTemplate %s/%s: %w", ns, ref, err)
		}
		if err == nil {
			o.hostSelectors[pool] = hostSelectorOf(bmt)
		}
	}
	return nil
}

// PoolName is the worker pool a MachineDeployment of cluster name stands
// for: its worker-pool label, or else its name without the "<cluster>-"
// prefix (Cluster API's own templates name them <cluster>-md-0).
func PoolName(name string, md *unstructured.Unstructured) string {
	if pool := md.GetLabels()[LabelWorkerPool]; pool != "" {
		return pool
	}
	return strings.TrimPrefix(md.GetName(), name+"-")
}

// templateRef is the name a MachineDeployment's machine template refers to
// at path (below spec.template.spec).
func templateRef(md *unstructured.Unstructured, path ...string) string {
	n, _, _ := unstructured.NestedString(md.Object, append([]string{"spec", "template", "spec"}, append(path, "name")...)...)
	return n
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
	sc, err := c.connectSite(ctx, siteName)
	if engine.IsNotFound(err) {
		// A site cannot be deleted while clusters use it: without the site
		// there is no cluster.
		obs.Message = err.Error()
		return obs, nil
	}
	if err != nil {
		return obs, err
	}
	// The registration is read beside the Cluster API objects.
	var reg registration
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		reg, err = readRegistration(gctx, sc, siteName, ns, name, want)
		return err
	})
	o, err := c.read(ctx, sc.dynamic, ns, name)
	if regErr := g.Wait(); err == nil {
		err = regErr
	}
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

var systemLabelParts = []string{"cluster.x-k8s.io/", "mc.mcplatform.dev/", labelManagedBy}

// userLabels drops the labels the engine or Cluster API set.
func userLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if !slices.ContainsFunc(systemLabelParts, func(p string) bool { return strings.Contains(k, p) }) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func actualSpec(siteName, ns, name string, o *observed, want Spec) Spec {
	cl := o.cluster.Object
	s := Spec{Site: siteName, Namespace: ns, Name: name, Labels: userLabels(o.cluster.GetLabels())}
	s.PodCIDRs, _, _ = unstructured.NestedStringSlice(cl, "spec", "clusterNetwork", "pods", "cidrBlocks")
	s.ServiceCIDRs, _, _ = unstructured.NestedStringSlice(cl, "spec", "clusterNetwork", "services", "cidrBlocks")
	switch kind, _, _ := unstructured.NestedString(cl, "spec", "infrastructureRef", "kind"); kind {
	case "DevCluster":
		s.Infrastructure = InfrastructureInMemory
	case "ByoCluster":
		s.Infrastructure = InfrastructureBYOH
		s.ControlPlane.EndpointHost, _, _ = unstructured.NestedString(cl, "spec", "controlPlaneEndpoint", "host")
		s.ControlPlane.EndpointPort, _, _ = unstructured.NestedInt64(cl, "spec", "controlPlaneEndpoint", "port")
		s.ControlPlane.HostSelector = o.controlPlaneHostSelector
	default:
		s.Infrastructure = kind
	}
	if o.kcp != nil {
		s.KubernetesVersion, _, _ = unstructured.NestedString(o.kcp.Object, "spec", "version")
		s.ControlPlane.Replicas, _, _ = unstructured.NestedInt64(o.kcp.Object, "spec", "replicas")
	}
	// Pools keep the order of want; pools want does not name come last, by name.
	names := slices.Sorted(maps.Keys(o.pools))
	order := map[string]int{}
	for i, p := range want.WorkerPools {
		order[p.Name] = i - len(want.WorkerPools)
	}
	sort.SliceStable(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	for _, pool := range names {
		md := o.pools[pool].Object
		p := WorkerPool{Name: pool, Taints: o.taints[pool], HostSelector: o.hostSelectors[pool]}
		p.Replicas, _, _ = unstructured.NestedInt64(md, "spec", "replicas")
		l, _, _ := unstructured.NestedStringMap(md, "spec", "template", "metadata", "labels")
		p.Labels = userLabels(l)
		s.WorkerPools = append(s.WorkerPools, p)
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

func taintsOf(kct *unstructured.Unstructured) []Taint {
	raw, _, _ := unstructured.NestedSlice(kct.Object, "spec", "template", "spec", "joinConfiguration", "nodeRegistration", "taints")
	var out []Taint
	for _, r := range raw {
		m, _ := r.(map[string]any)
		t := Taint{}
		t.Key, _ = m["key"].(string)
		t.Value, _ = m["value"].(string)
		t.Effect, _ = m["effect"].(string)
		out = append(out, t)
	}
	return out
}

// upToDate compares what Update can change in place: the Kubernetes
// version, the control plane replicas, the cluster labels and the worker
// pools (their set, replicas and labels).
func upToDate(want, got Spec) bool {
	if want.KubernetesVersion != got.KubernetesVersion || want.ControlPlane.Replicas != got.ControlPlane.Replicas ||
		!maps.Equal(want.Labels, got.Labels) || len(want.WorkerPools) != len(got.WorkerPools) {
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

func condition(u *unstructured.Unstructured, typ string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			status, _ = m["status"].(string)
			reason, _ = m["reason"].(string)
			message, _ = m["message"].(string)
			return status, reason, message
		}
	}
	return "Unknown", "", ""
}

func int64At(u *unstructured.Unstructured, fields ...string) int64 {
	v, _, _ := unstructured.NestedInt64(u.Object, fields...)
	return v
}

func observedCurrent(u *unstructured.Unstructured) bool {
	return int64At(u, "status", "observedGeneration") >= u.GetGeneration()
}

// replicasSettled reports whether u (a KubeadmControlPlane or a
// MachineDeployment) runs exactly spec.replicas ready, up-to-date machines.
func replicasSettled(u *unstructured.Unstructured) bool {
	want := int64At(u, "spec", "replicas")
	return observedCurrent(u) && int64At(u, "status", "replicas") == want &&
		int64At(u, "status", "readyReplicas") == want && int64At(u, "status", "upToDateReplicas") == want
}

// rolledOut reports whether a MachineDeployment's rollout is over: a
// MachineSet with its current template exists and every MachineSet with an
// older one is down to no machines. The MachineDeployment's own counters can
// look settled for a moment after its template changed, before its machines
// are marked out of date.
func rolledOut(md *unstructured.Unstructured, sets []unstructured.Unstructured) bool {
	current := false
	for i := range sets {
		ms := &sets[i]
		if ms.GetLabels()[labelDeploymentName] != md.GetName() {
			continue
		}
		if sameMachineTemplate(md, ms) {
			current = true
			continue
		}
		if int64At(ms, "spec", "replicas") > 0 || int64At(ms, "status", "replicas") > 0 {
			return false
		}
	}
	return current
}

// sameMachineTemplate compares what rolls machines when it changes: the
// version and the templates referred to (spec.template.spec of a
// MachineDeployment and of a MachineSet).
func sameMachineTemplate(a, b *unstructured.Unstructured) bool {
	va, _, _ := unstructured.NestedString(a.Object, "spec", "template", "spec", "version")
	vb, _, _ := unstructured.NestedString(b.Object, "spec", "template", "spec", "version")
	return va == vb && templateRef(a, "bootstrap", "configRef") == templateRef(b, "bootstrap", "configRef") &&
		templateRef(a, "infrastructureRef") == templateRef(b, "infrastructureRef")
}

func status(o *observed) (Status, bool, string) {
	cl := o.cluster
	var st Status
	st.Phase, _, _ = unstructured.NestedString(cl.Object, "status", "phase")
	if host, _, _ := unstructured.NestedString(cl.Object, "spec", "controlPlaneEndpoint", "host"); host != "" {
		st.Endpoint = fmt.Sprintf("https://%s:%d", host, int64At(cl, "spec", "controlPlaneEndpoint", "port"))
	}
	conds, _, _ := unstructured.NestedSlice(cl.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		cond := Condition{}
		cond.Type, _ = m["type"].(string)
		cond.Status, _ = m["status"].(string)
		cond.Reason, _ = m["reason"].(string)
		cond.Message, _ = m["message"].(string)
		st.Conditions = append(st.Conditions, cond)
	}
	if cl.GetDeletionTimestamp() != nil {
		return st, false, "the Cluster is being deleted"
	}
	var notes []string
	if o.kcp == nil {
		notes = append(notes, "no KubeadmControlPlane "+ControlPlaneName(cl.GetName()))
	} else {
		st.ObservedKubernetesVersion, _, _ = unstructured.NestedString(o.kcp.Object, "status", "version")
		specVersion, _, _ := unstructured.NestedString(o.kcp.Object, "spec", "version")
		st.ControlPlaneReady = replicasSettled(o.kcp) && st.ObservedKubernetesVersion == specVersion
		if !st.ControlPlaneReady {
			notes = append(notes, fmt.Sprintf("control plane %d/%d ready, %s of %s", int64At(o.kcp, "status", "readyReplicas"), int64At(o.kcp, "spec", "replicas"), orUnknown(st.ObservedKubernetesVersion), specVersion))
		}
	}
	poolsReady := true
	var wantWorkers int64
	for _, pool := range slices.Sorted(maps.Keys(o.pools)) {
		md := o.pools[pool]
		st.ReadyWorkers += int64At(md, "status", "readyReplicas")
		wantWorkers += int64At(md, "spec", "replicas")
		if md.GetDeletionTimestamp() != nil {
			poolsReady = false
			notes = append(notes, fmt.Sprintf("pool %s is being deleted", pool))
			continue
		}
		if !replicasSettled(md) || !rolledOut(md, o.machineSets) {
			poolsReady = false
			notes = append(notes, fmt.Sprintf("pool %s %d/%d ready", pool, int64At(md, "status", "readyReplicas"), int64At(md, "spec", "replicas")))
		}
	}
	if infra, _, msg := condition(cl, "InfrastructureReady"); infra == "False" {
		n := "infrastructure not ready: " + firstLine(msg)
		if kind, _, _ := unstructured.NestedString(cl.Object, "spec", "infrastructureRef", "kind"); kind == "ByoCluster" {
			n += " (is the BYOH provider running, with ByoHosts matching the host selectors?)"
		}
		notes = append(notes, n)
	}
	available, _, msg := condition(cl, "Available")
	if available != "True" {
		n := "Cluster not Available"
		if msg != "" {
			n += ": " + firstLine(msg)
		}
		notes = append(notes, n)
	}
	ready := st.ControlPlaneReady && poolsReady && available == "True"
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
// its control plane, its MachineDeployments or its Machines (the v1beta1
// failureReason and failureMessage, kept under status.deprecated in
// v1beta2: a problem that needs a person, such as an infrastructure machine
// that vanished after provisioning), if any. Machines being deleted are
// not counted: their replacement is under way; nor is anything of a Cluster
// being deleted, since the failure goes with it.
func failure(o *observed) error {
	if o.cluster.GetDeletionTimestamp() != nil {
		return nil // whatever failed goes with the cluster
	}
	objs := []*unstructured.Unstructured{o.cluster}
	if o.kcp != nil {
		objs = append(objs, o.kcp)
	}
	for _, pool := range slices.Sorted(maps.Keys(o.pools)) {
		objs = append(objs, o.pools[pool])
	}
	for i := range o.machines {
		if o.machines[i].GetDeletionTimestamp() == nil {
			objs = append(objs, &o.machines[i])
		}
	}
	for _, u := range objs {
		reason, _, _ := unstructured.NestedString(u.Object, "status", "deprecated", "v1beta1", "failureReason")
		msg, _, _ := unstructured.NestedString(u.Object, "status", "deprecated", "v1beta1", "failureMessage")
		if reason != "" || msg != "" {
			return engine.Terminal("%s %s failed (%s): %s", u.GetKind(), u.GetName(), orUnknown(reason), msg)
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
	sc, err := c.connectSite(ctx, siteName)
	if err != nil {
		return err
	}
	dc := sc.dynamic
	o, err := c.read(ctx, dc, ns, name)
	if err != nil {
		return err
	}
	if o == nil {
		return fmt.Errorf("cluster %s: %w", id, engine.ErrNotFound)
	}
	actual := actualSpec(siteName, ns, name, o, want)
	if err := refuseImmutableChanges(actual, want); err != nil {
		return err
	}
	if !maps.Equal(want.Labels, actual.Labels) {
		if err := mergePatch(ctx, dc, ClusterGVR, ns, name, map[string]any{"metadata": map[string]any{"labels": labelPatch(actual.Labels, want.Labels)}}); err != nil {
			return err
		}
	}
	if actual.ControlPlane.Replicas != want.ControlPlane.Replicas || actual.KubernetesVersion != want.KubernetesVersion {
		if o.kcp == nil {
			return fmt.Errorf("cluster %s has no KubeadmControlPlane to scale or upgrade", id)
		}
		if err := mergePatch(ctx, dc, KubeadmControlPlaneGVR, ns, o.kcp.GetName(), map[string]any{"spec": map[string]any{
			"replicas": want.ControlPlane.Replicas, "version": want.KubernetesVersion,
		}}); err != nil {
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
				if strings.HasSuffix(u.GetKind(), "Template") {
					u.SetOwnerReferences([]metav1.OwnerReference{owner})
				}
				if _, err := createOrAdopt(ctx, dc, ns, u); err != nil {
					return err
				}
			}
			continue
		}
		version, _, _ := unstructured.NestedString(o.pools[p.Name].Object, "spec", "template", "spec", "version")
		if cur.Replicas == p.Replicas && version == want.KubernetesVersion && maps.Equal(cur.Labels, p.Labels) && sameJoinSettings(p, cur) {
			continue
		}
		templateSpec := map[string]any{"version": want.KubernetesVersion}
		spec := map[string]any{"replicas": p.Replicas, "template": map[string]any{"spec": templateSpec}}
		if !maps.Equal(cur.Labels, p.Labels) {
			spec["template"].(map[string]any)["metadata"] = map[string]any{"labels": labelPatch(cur.Labels, p.Labels)}
		}
		if !sameJoinSettings(p, cur) {
			// Templates are immutable: new ones, and the MachineDeployment
			// rolls its machines over to them.
			bootstrap, infra, err := newPoolTemplates(ctx, dc, ns, want, p, owner)
			if err != nil {
				return err
			}
			templateSpec["bootstrap"] = map[string]any{"configRef": map[string]any{"name": bootstrap}}
			templateSpec["infrastructureRef"] = map[string]any{"name": infra}
		}
		if err := mergePatch(ctx, dc, MachineDeploymentGVR, ns, o.pools[p.Name].GetName(), map[string]any{"spec": spec}); err != nil {
			return err
		}
	}
	for _, pool := range slices.Sorted(maps.Keys(have)) {
		if err := deletePool(ctx, dc, ns, pool, o.pools[pool]); err != nil {
			return err
		}
	}
	return applyRegistration(ctx, sc, siteName, ns, name, want)
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
		if !strings.HasSuffix(u.GetKind(), "Template") {
			continue
		}
		u.SetName(u.GetName() + "-" + suffix)
		u.SetOwnerReferences([]metav1.OwnerReference{owner})
		if _, err := createOrAdopt(ctx, dc, ns, u); err != nil {
			return "", "", err
		}
		if u.GetKind() == "KubeadmConfigTemplate" {
			bootstrap = u.GetName()
		} else {
			infra = u.GetName()
		}
	}
	return bootstrap, infra, nil
}

// labelPatch is the merge patch that turns labels from into to.
func labelPatch(from, to map[string]string) map[string]any {
	p := map[string]any{}
	for k := range from {
		p[k] = nil
	}
	for k, v := range to {
		p[k] = v
	}
	return p
}

func mergePatch(ctx context.Context, dc dynamic.Interface, gvr schema.GroupVersionResource, ns, name string, patch map[string]any) error {
	raw, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	if _, err := dc.Resource(gvr).Namespace(ns).Patch(ctx, name, types.MergePatchType, raw, metav1.PatchOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
		return fmt.Errorf("cannot update %s %s/%s: %w", gvr.Resource, ns, name, err)
	}
	return nil
}

// deletePool deletes a pool's MachineDeployment and the templates it refers
// to; the machines already hold their own copies of the templates.
func deletePool(ctx context.Context, dc dynamic.Interface, ns, pool string, md *unstructured.Unstructured) error {
	type object struct {
		gvr  schema.GroupVersionResource
		name string
	}
	objs := []object{{MachineDeploymentGVR, md.GetName()}}
	if n := templateRef(md, "bootstrap", "configRef"); n != "" {
		objs = append(objs, object{KubeadmConfigTemplateGVR, n})
	}
	kind, _, _ := unstructured.NestedString(md.Object, "spec", "template", "spec", "infrastructureRef", "kind")
	if gvr, ok := resources[kind]; ok && strings.HasSuffix(kind, "MachineTemplate") {
		objs = append(objs, object{gvr, templateRef(md, "infrastructureRef")})
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
	if engine.IsNotFound(err) {
		return nil
	}
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
