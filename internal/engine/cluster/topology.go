package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// ClusterClassGVR is the resource of Cluster API's ClusterClasses.
var ClusterClassGVR = clusterv1.GroupVersion.WithResource("clusterclasses")

// labelTopologyDeployment is the label by which Cluster API's topology
// controller names the topology entry a MachineDeployment stands for.
const labelTopologyDeployment = clusterv1.ClusterTopologyMachineDeploymentNameLabel

// Topology makes a cluster a topology cluster of a ClusterClass: the
// Cluster's spec.topology holds the version, the control plane replicas, the
// worker machine deployments and the variables, and Cluster API's topology
// controller makes and changes the control plane, the MachineDeployments and
// their templates. The engine then changes spec.topology and nothing else.
type Topology struct {
	// Class is the name of the ClusterClass.
	Class string
	// ClassNamespace is the namespace of the ClusterClass; empty means the
	// cluster's own namespace.
	ClassNamespace string
	// Variables maps a variable of the class to its value, JSON text.
	Variables map[string]string
	// Workers are the machine deployments of the topology.
	Workers []TopologyWorker
}

// TopologyWorker is one machine deployment of a topology cluster.
type TopologyWorker struct {
	// Name is the name of the machine deployment in the topology, a
	// DNS-1123 label unique within the cluster.
	Name string
	// Class is the worker class of the ClusterClass it is made from.
	Class string
	// Replicas is the number of worker machines.
	Replicas int64
}

// classNamespace is the namespace of the ClusterClass of s.
func classNamespace(s Spec) string {
	if s.Topology.ClassNamespace != "" {
		return s.Topology.ClassNamespace
	}
	return s.Namespace
}

// topologyClusterObject is the Cluster of a topology cluster s.
func topologyClusterObject(s Spec) (*clusterv1.Cluster, error) {
	cl := clusterObject(s)
	cl.Spec.ControlPlaneRef = clusterv1.ContractVersionedObjectReference{}
	cl.Spec.InfrastructureRef = clusterv1.ContractVersionedObjectReference{}
	cl.Spec.ControlPlaneEndpoint = clusterv1.APIEndpoint{}
	t := clusterv1.Topology{
		ClassRef:     clusterv1.ClusterClassRef{Name: s.Topology.Class, Namespace: s.Topology.ClassNamespace},
		Version:      s.KubernetesVersion,
		ControlPlane: clusterv1.ControlPlaneTopology{Replicas: ptr.To(int32(s.ControlPlane.Replicas))},
	}
	if err := setTopology(&t, s); err != nil {
		return nil, err
	}
	cl.Spec.Topology = t
	return cl, nil
}

// setTopology writes what the engine owns of s's topology into t: the class,
// the version, the control plane replicas, the machine deployments (keeping
// what t already says of the ones s names, such as their metadata) and the
// variables (keeping none that s does not name).
func setTopology(t *clusterv1.Topology, s Spec) error {
	t.ClassRef = clusterv1.ClusterClassRef{Name: s.Topology.Class, Namespace: s.Topology.ClassNamespace}
	t.Version = s.KubernetesVersion
	t.ControlPlane.Replicas = ptr.To(int32(s.ControlPlane.Replicas))
	have := map[string]clusterv1.MachineDeploymentTopology{}
	for _, md := range t.Workers.MachineDeployments {
		have[md.Name] = md
	}
	mds := make([]clusterv1.MachineDeploymentTopology, 0, len(s.Topology.Workers))
	for _, w := range s.Topology.Workers {
		md := have[w.Name]
		md.Name, md.Class, md.Replicas = w.Name, w.Class, ptr.To(int32(w.Replicas))
		mds = append(mds, md)
	}
	t.Workers.MachineDeployments = mds
	var vars []clusterv1.ClusterVariable
	for _, name := range slices.Sorted(maps.Keys(s.Topology.Variables)) {
		raw, err := compactJSON(s.Topology.Variables[name])
		if err != nil {
			return engine.InvalidInput("topology.variables", "variable %q is not JSON: %v", name, err)
		}
		vars = append(vars, clusterv1.ClusterVariable{Name: name, Value: apiextensionsv1.JSON{Raw: raw}})
	}
	t.Variables = vars
	return nil
}

// compactJSON is the JSON text s without insignificant space.
func compactJSON(s string) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SameJSON reports whether two JSON texts hold the same value; texts that
// are not JSON are compared as they are.
func SameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// actualTopology is the topology of the Cluster's spec, of a Cluster in
// namespace ns: a class in ns is reported without its namespace.
func actualTopology(t *clusterv1.Topology, ns string) *Topology {
	out := &Topology{Class: t.ClassRef.Name, ClassNamespace: t.ClassRef.Namespace}
	if out.ClassNamespace == ns {
		out.ClassNamespace = ""
	}
	for _, md := range t.Workers.MachineDeployments {
		out.Workers = append(out.Workers, TopologyWorker{Name: md.Name, Class: md.Class, Replicas: int64(ptr.Deref(md.Replicas, 0))})
	}
	for _, v := range t.Variables {
		if out.Variables == nil {
			out.Variables = map[string]string{}
		}
		out.Variables[v.Name] = string(v.Value.Raw)
	}
	return out
}

// sameTopology compares what Update can change of a topology.
func sameTopology(want, got *Topology, ns string) bool {
	if want == nil || got == nil {
		return want == got
	}
	wantNS, gotNS := want.ClassNamespace, got.ClassNamespace
	if wantNS == "" {
		wantNS = ns
	}
	if gotNS == "" {
		gotNS = ns
	}
	if want.Class != got.Class || wantNS != gotNS || !slices.Equal(want.Workers, got.Workers) || len(want.Variables) != len(got.Variables) {
		return false
	}
	for k, v := range want.Variables {
		g, ok := got.Variables[k]
		if !ok || !SameJSON(v, g) {
			return false
		}
	}
	return true
}

// validateTopology checks the topology of s without talking to any backend.
func validateTopology(v *engine.Validation, s Spec) {
	t := s.Topology
	if len(s.WorkerPools) > 0 {
		v.Add("worker_pools", "a topology cluster's worker machine deployments are topology.workers (name, class, replicas): move the pools there and remove worker_pools")
	}
	if s.ControlPlane.EndpointHost != "" || s.ControlPlane.EndpointPort != 0 {
		v.Add("control_plane.endpoint_host", "the ClusterClass of a topology cluster sets the control plane endpoint (usually through a variable): leave it unset")
	}
	if len(s.ControlPlane.HostSelector) > 0 {
		v.Add("control_plane.host_selector", "the ClusterClass of a topology cluster selects the control plane hosts (usually through a variable): leave it unset")
	}
	if errs := validation.IsDNS1123Subdomain(t.Class); len(errs) > 0 {
		v.Add("topology.class", "%q is not a ClusterClass name: %s", t.Class, strings.Join(errs, "; "))
	}
	if t.ClassNamespace != "" {
		if errs := validation.IsDNS1123Label(t.ClassNamespace); len(errs) > 0 {
			v.Add("topology.class_namespace", "%q is not a namespace name: %s", t.ClassNamespace, strings.Join(errs, "; "))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.Variables)) {
		if name == "" {
			v.Add("topology.variables", "a variable has an empty name")
			continue
		}
		if !json.Valid([]byte(t.Variables[name])) {
			v.Add("topology.variables", "variable %q is not JSON text (write it with jsonencode)", name)
		}
	}
	seen := map[string]int{}
	for i, w := range t.Workers {
		path := fmt.Sprintf("topology.workers[%d]", i)
		if errs := validation.IsDNS1123Label(w.Name); len(errs) > 0 {
			v.Add(path+".name", "%q is not a valid machine deployment name: %s", w.Name, strings.Join(errs, "; "))
		} else if v.Known(path + ".name") {
			if j, dup := seen[w.Name]; dup {
				v.Add(path+".name", "machine deployment %q is already defined by topology.workers[%d]", w.Name, j)
			}
			seen[w.Name] = i
		}
		if w.Class == "" {
			v.Add(path+".class", "must name a worker class of the ClusterClass")
		}
		if w.Replicas < 0 {
			v.Add(path+".replicas", "must not be negative, got %d", w.Replicas)
		}
	}
}

// ValidateAgainstClass checks the topology of s against its ClusterClass, as
// read from the site's management cluster: every worker class is one of the
// class's machine deployment classes, every variable is one of the class's
// variables and its value passes the variable's schema, and every required
// variable is set. Errors are *engine.InvalidInputError naming the argument
// and the variable, joined. A spec without topology passes. When the class
// cannot be read, the error says so and is not an *engine.InvalidInputError:
// plan-time callers skip it, Create reports it.
func (c *Client) ValidateAgainstClass(ctx context.Context, s Spec) error {
	if s.Topology == nil {
		return nil
	}
	sc, err := c.connectSite(ctx, s.Site)
	if err != nil {
		return err
	}
	cc, err := readClusterClass(ctx, sc.dynamic, classNamespace(s), s.Topology.Class)
	if err != nil {
		return err
	}
	return validateAgainstClass(s, cc)
}

// ErrClassNotFound is returned, wrapped, by ValidateAgainstClass when the
// ClusterClass does not exist.
var ErrClassNotFound = fmt.Errorf("ClusterClass not found: %w", engine.ErrNotFound)

func readClusterClass(ctx context.Context, dc dynamic.Interface, ns, name string) (*clusterv1.ClusterClass, error) {
	cc := &clusterv1.ClusterClass{}
	err := get(ctx, dc, ClusterClassGVR, ns, name, cc)
	switch {
	case apierrors.IsNotFound(err) && !meta.IsNoMatchError(err):
		return nil, fmt.Errorf("ClusterClass %s/%s: %w", ns, name, ErrClassNotFound)
	case err != nil:
		return nil, fmt.Errorf("cannot read ClusterClass %s/%s: %s", ns, name, describe(err))
	}
	return cc, nil
}

// classVariable is a variable a ClusterClass defines: inline in its spec or
// by an external patch (reported in its status).
type classVariable struct {
	required bool
	schema   *clusterv1.JSONSchemaProps
}

func classVariables(cc *clusterv1.ClusterClass) map[string]classVariable {
	out := map[string]classVariable{}
	for _, v := range cc.Status.Variables {
		cv := classVariable{}
		if len(v.Definitions) > 0 {
			d := v.Definitions[0]
			cv.required = ptr.Deref(d.Required, false)
			cv.schema = &d.Schema.OpenAPIV3Schema
		}
		out[v.Name] = cv
	}
	for i := range cc.Spec.Variables {
		v := &cc.Spec.Variables[i]
		out[v.Name] = classVariable{required: ptr.Deref(v.Required, false), schema: &v.Schema.OpenAPIV3Schema}
	}
	return out
}

func validateAgainstClass(s Spec, cc *clusterv1.ClusterClass) error {
	v := engine.NewValidation(nil)
	t := s.Topology
	classRef := cc.Namespace + "/" + cc.Name
	var workerClasses []string
	for _, md := range cc.Spec.Workers.MachineDeployments {
		workerClasses = append(workerClasses, md.Class)
	}
	for i, w := range t.Workers {
		if w.Class != "" && !slices.Contains(workerClasses, w.Class) {
			v.Add(fmt.Sprintf("topology.workers[%d].class", i), "%q is not a worker class of ClusterClass %s (it has %s)", w.Class, classRef, quoteList(workerClasses))
		}
	}
	vars := classVariables(cc)
	for _, name := range slices.Sorted(maps.Keys(t.Variables)) {
		def, ok := vars[name]
		if !ok {
			v.Add("topology.variables", "variable %q is not a variable of ClusterClass %s (it has %s)", name, classRef, quoteList(slices.Sorted(maps.Keys(vars))))
			continue
		}
		if def.schema == nil {
			continue
		}
		if msg := schemaErrors(name, def.schema, t.Variables[name]); msg != "" {
			v.Add("topology.variables", "variable %q does not match the schema of ClusterClass %s: %s", name, classRef, msg)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if _, set := t.Variables[name]; vars[name].required && !set {
			v.Add("topology.variables", "variable %q is required by ClusterClass %s", name, classRef)
		}
	}
	return v.Err()
}

// schemaErrors validates the JSON text value of variable name against the
// variable's OpenAPI schema (Cluster API's JSONSchemaProps are OpenAPI v3
// JSON schema, read as such) and returns what is wrong, or "".
func schemaErrors(name string, props *clusterv1.JSONSchemaProps, value string) string {
	var val any
	if err := json.Unmarshal([]byte(value), &val); err != nil {
		return "not JSON: " + err.Error()
	}
	raw, err := json.Marshal(props)
	if err != nil {
		return ""
	}
	var sch spec.Schema
	if err := json.Unmarshal(raw, &sch); err != nil {
		return ""
	}
	res := validate.NewSchemaValidator(&sch, nil, name, strfmt.Default).Validate(val)
	if res == nil || res.IsValid() {
		return ""
	}
	msgs := make([]string, 0, len(res.Errors))
	for _, e := range res.Errors {
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "; ")
}

func quoteList(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// updateTopology changes a topology cluster's spec.topology (and its
// labels) to want, and nothing else: the topology controller changes the
// control plane and the MachineDeployments.
func updateTopology(ctx context.Context, dc dynamic.Interface, o *observed, want Spec) error {
	cl := o.cluster.DeepCopy()
	cl.Labels = withUserLabels(cl.Labels, want.Labels)
	if err := setTopology(&cl.Spec.Topology, want); err != nil {
		return err
	}
	return patch(ctx, dc, ClusterGVR, o.cluster, cl)
}

// topologyPending says what of a topology cluster's spec.topology the
// topology controller has not carried out yet; nothing when it has all:
// it has reconciled the Cluster's current generation (TopologyReconciled
// True at that generation; it is False while an upgrade goes through the
// control plane and then the machine deployments), and the control plane and
// every machine deployment of the topology exist with the topology's version
// and replicas. The status of the objects themselves (machines ready, up to
// date, rolled out) is checked as for any cluster, and the Cluster must not
// report itself RollingOut, ScalingUp or ScalingDown.
func topologyPending(o *observed) []string {
	cl := o.cluster
	t := &cl.Spec.Topology
	var notes []string
	if ok, n := topologyReconciled(cl); !ok {
		notes = append(notes, n)
	}
	// The Cluster's own summary of its machines agrees: the topology
	// controller's objects change in steps, and the Cluster reports a step
	// still going that the objects read a moment apart may not show.
	for _, typ := range []string{clusterv1.ClusterRollingOutCondition, clusterv1.ClusterScalingUpCondition, clusterv1.ClusterScalingDownCondition} {
		if c := meta.FindStatusCondition(cl.Status.Conditions, typ); c != nil && c.Status == metav1.ConditionTrue {
			notes = append(notes, fmt.Sprintf("Cluster %s: %s", typ, firstLine(strings.TrimPrefix(c.Message, "* "))))
		}
	}
	if o.kcp != nil {
		if o.kcp.Spec.Version != t.Version {
			notes = append(notes, fmt.Sprintf("control plane pending upgrade from %s to %s", o.kcp.Spec.Version, t.Version))
		}
		if want := t.ControlPlane.Replicas; want != nil && ptr.Deref(o.kcp.Spec.Replicas, 0) != *want {
			notes = append(notes, fmt.Sprintf("control plane pending scale to %d", *want))
		}
	}
	for _, w := range t.Workers.MachineDeployments {
		md, ok := o.pools[w.Name]
		switch {
		case !ok:
			notes = append(notes, fmt.Sprintf("machine deployment %s not made yet", w.Name))
		case md.Spec.Template.Spec.Version != t.Version:
			notes = append(notes, fmt.Sprintf("pool %s pending upgrade from %s to %s", w.Name, md.Spec.Template.Spec.Version, t.Version))
		case w.Replicas != nil && ptr.Deref(md.Spec.Replicas, 0) != *w.Replicas:
			notes = append(notes, fmt.Sprintf("pool %s pending scale to %d", w.Name, *w.Replicas))
		}
	}
	return notes
}

// topologyReconciled reports whether the topology controller has
// reconciled the Cluster's current generation: its TopologyReconciled
// condition is True at that generation.
func topologyReconciled(cl *clusterv1.Cluster) (bool, string) {
	c := meta.FindStatusCondition(cl.Status.Conditions, clusterv1.ClusterTopologyReconciledCondition)
	switch {
	case c == nil:
		return false, "topology not reconciled yet"
	case c.ObservedGeneration < cl.Generation:
		return false, "topology controller has not seen the latest change"
	case c.Status != metav1.ConditionTrue:
		return false, "topology not reconciled: " + firstLine(c.Message)
	}
	return true, ""
}
