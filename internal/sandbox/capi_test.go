//go:build platform

package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func capiGVR(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

var (
	clusterV1Beta2           = capiGVR("cluster.x-k8s.io", "v1beta2", "clusters")
	clusterV1Beta1           = capiGVR("cluster.x-k8s.io", "v1beta1", "clusters")
	machineDeploymentV1Beta2 = capiGVR("cluster.x-k8s.io", "v1beta2", "machinedeployments")
	kcpV1Beta2               = capiGVR("controlplane.cluster.x-k8s.io", "v1beta2", "kubeadmcontrolplanes")
	capiResources            = map[string]schema.GroupVersionResource{
		"DevCluster":            capiGVR("infrastructure.cluster.x-k8s.io", "v1beta2", "devclusters"),
		"DevMachineTemplate":    capiGVR("infrastructure.cluster.x-k8s.io", "v1beta2", "devmachinetemplates"),
		"KubeadmConfigTemplate": capiGVR("bootstrap.cluster.x-k8s.io", "v1beta2", "kubeadmconfigtemplates"),
		"KubeadmControlPlane":   kcpV1Beta2,
		"MachineDeployment":     machineDeploymentV1Beta2,
		"Cluster":               clusterV1Beta2,
	}
)

// inMemoryCluster is a workload cluster on CAPD's in-memory backend: one
// kubeadm control plane machine and a MachineDeployment with one worker,
// with short fake provisioning delays.
const inMemoryCluster = `
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevCluster
metadata:
  name: NAME
  # CAPD 1.14.2's in-memory DevCluster reconciler writes an annotation into
  # metadata.annotations without creating the map: it panics on a DevCluster
  # without annotations (a topology-managed one always has some).
  annotations: {mc.dev/note: in-memory}
spec:
  backend:
    inMemory: {}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevMachineTemplate
metadata: {name: NAME-cp}
spec:
  template:
    spec:
      backend:
        inMemory: FAST
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevMachineTemplate
metadata: {name: NAME-worker}
spec:
  template:
    spec:
      backend:
        inMemory: FAST
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata: {name: NAME-cp}
spec:
  replicas: 1
  version: v1.36.0
  machineTemplate:
    spec:
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevMachineTemplate, name: NAME-cp}
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        certSANs: [localhost, 127.0.0.1]
    initConfiguration:
      nodeRegistration: {criSocket: unix:///var/run/containerd/containerd.sock}
    joinConfiguration:
      nodeRegistration: {criSocket: unix:///var/run/containerd/containerd.sock}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata: {name: NAME-worker}
spec:
  template:
    spec:
      joinConfiguration:
        nodeRegistration: {criSocket: unix:///var/run/containerd/containerd.sock}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata: {name: NAME-md}
spec:
  clusterName: NAME
  replicas: 1
  selector:
    matchLabels: {}
  template:
    spec:
      clusterName: NAME
      version: v1.36.0
      bootstrap:
        configRef: {apiGroup: bootstrap.cluster.x-k8s.io, kind: KubeadmConfigTemplate, name: NAME-worker}
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevMachineTemplate, name: NAME-worker}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: NAME}
spec:
  clusterNetwork:
    pods: {cidrBlocks: [192.168.0.0/16]}
    services: {cidrBlocks: [10.128.0.0/12]}
    serviceDomain: cluster.local
  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: KubeadmControlPlane, name: NAME-cp}
  infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevCluster, name: NAME}
`

// fastProvisioning makes the fake machines, nodes, apiservers and etcd
// members of the in-memory backend come up after about a second.
const fastProvisioning = `{vm: {provisioning: {startupDuration: "1s", startupJitter: "0.2"}}, ` +
	`node: {provisioning: {startupDuration: "1s", startupJitter: "0.2"}}, ` +
	`apiServer: {provisioning: {startupDuration: "1s", startupJitter: "0.2"}}, ` +
	`etcd: {provisioning: {startupDuration: "1s", startupJitter: "0.2"}}}`

// splitYAML decodes the documents of a multi-document yaml string.
func splitYAML(t *testing.T, docs string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, d := range strings.Split(docs, "\n---\n") {
		var m map[string]any
		if err := utilyaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("cannot parse manifest: %v\n%s", err, d)
		}
		if m != nil {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	return out
}

// condition returns the status and message of the v1beta2 condition typ.
func condition(u *unstructured.Unstructured, typ string) (string, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			msg, _ := m["message"].(string)
			return s, msg
		}
	}
	return "", "no condition " + typ
}

func TestClusterAPIInMemoryWorkloadCluster(t *testing.T) {
	p, cs, dyn := clients(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	ctx := context.Background()
	ns := "capi-test-" + suffix()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	name := "wl-" + suffix()
	t0 := time.Now()
	for _, u := range splitYAML(t, strings.NewReplacer("NAME", name, "FAST", fastProvisioning).Replace(inMemoryCluster)) {
		gvr, ok := capiResources[u.GetKind()]
		if !ok {
			t.Fatalf("no resource for kind %s", u.GetKind())
		}
		if _, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("cannot create %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	get := func(ctx context.Context, gvr schema.GroupVersionResource, n string) (*unstructured.Unstructured, error) {
		return dyn.Resource(gvr).Namespace(ns).Get(ctx, n, metav1.GetOptions{})
	}
	eventually(t, 3*time.Minute, "control plane initialized", func(ctx context.Context) error {
		kcp, err := get(ctx, kcpV1Beta2, name+"-cp")
		if err != nil {
			return err
		}
		if ready, _, _ := unstructured.NestedInt64(kcp.Object, "status", "readyReplicas"); ready < 1 {
			s, msg := condition(kcp, "Available")
			return fmt.Errorf("KubeadmControlPlane has %d ready replicas; Available=%s %s", ready, s, msg)
		}
		return nil
	})
	tCP := time.Since(t0)
	t.Logf("control plane ready after %s", tCP.Round(time.Millisecond))
	eventually(t, 3*time.Minute, "MachineDeployment ready", func(ctx context.Context) error {
		md, err := get(ctx, machineDeploymentV1Beta2, name+"-md")
		if err != nil {
			return err
		}
		if ready, _, _ := unstructured.NestedInt64(md.Object, "status", "readyReplicas"); ready < 1 {
			s, msg := condition(md, "Available")
			return fmt.Errorf("MachineDeployment has %d ready replicas; Available=%s %s", ready, s, msg)
		}
		return nil
	})
	t.Logf("MachineDeployment ready after %s", time.Since(t0).Round(time.Millisecond))
	eventually(t, 3*time.Minute, "Cluster Available", func(ctx context.Context) error {
		c, err := get(ctx, clusterV1Beta2, name)
		if err != nil {
			return err
		}
		if s, msg := condition(c, "Available"); s != "True" {
			return fmt.Errorf("Cluster Available=%q: %s", s, msg)
		}
		return nil
	})
	t.Logf("Cluster Available after %s", time.Since(t0).Round(time.Millisecond))

	// The same Cluster, read as v1beta1 through the conversion webhook.
	old, err := dyn.Resource(clusterV1Beta1).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("cannot read the Cluster as v1beta1: %v", err)
	}
	if ref, _, _ := unstructured.NestedString(old.Object, "spec", "infrastructureRef", "kind"); ref != "DevCluster" {
		t.Errorf("v1beta1 Cluster: infrastructureRef.kind = %q, want DevCluster", ref)
	}
	if phase, _, _ := unstructured.NestedString(old.Object, "status", "phase"); phase != "Provisioned" {
		t.Errorf("v1beta1 Cluster: status.phase = %q, want Provisioned", phase)
	}
	if ready, _, _ := unstructured.NestedBool(old.Object, "status", "controlPlaneReady"); !ready {
		t.Errorf("v1beta1 Cluster: status.controlPlaneReady = false, want true")
	}
	deleteAndWait(t, dyn, clusterV1Beta2, ns, name)
}

func TestClusterAPIConversionWebhookRoundTrip(t *testing.T) {
	p, cs, dyn := clients(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	ctx := context.Background()
	ns := "capi-conv-" + suffix()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A v1beta1 Cluster with v1beta1-only shapes (a versioned ref, no apiGroup).
	c := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.x-k8s.io/v1beta1",
		"kind":       "Cluster",
		"metadata":   map[string]any{"name": "old", "namespace": ns},
		"spec": map[string]any{
			"clusterNetwork": map[string]any{
				"serviceDomain": "example.local",
				"pods":          map[string]any{"cidrBlocks": []any{"192.168.0.0/16"}},
			},
			"infrastructureRef": map[string]any{
				"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DevCluster", "name": "old", "namespace": ns,
			},
		},
	}}
	if _, err := dyn.Resource(clusterV1Beta1).Namespace(ns).Create(ctx, c, metav1.CreateOptions{}); err != nil {
		t.Fatalf("cannot create a v1beta1 Cluster: %v", err)
	}
	v2, err := dyn.Resource(clusterV1Beta2).Namespace(ns).Get(ctx, "old", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("cannot read the v1beta1 Cluster as v1beta2: %v", err)
	}
	if g, _, _ := unstructured.NestedString(v2.Object, "spec", "infrastructureRef", "apiGroup"); g != "infrastructure.cluster.x-k8s.io" {
		t.Errorf("v1beta2 infrastructureRef.apiGroup = %q, want infrastructure.cluster.x-k8s.io (object: %v)", g, v2.Object["spec"])
	}
	if d, _, _ := unstructured.NestedString(v2.Object, "spec", "clusterNetwork", "serviceDomain"); d != "example.local" {
		t.Errorf("v1beta2 clusterNetwork.serviceDomain = %q, want example.local (object: %v)", d, v2.Object["spec"])
	}
	v1, err := dyn.Resource(clusterV1Beta1).Namespace(ns).Get(ctx, "old", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("cannot read the Cluster back as v1beta1: %v", err)
	}
	if v, _, _ := unstructured.NestedString(v1.Object, "spec", "infrastructureRef", "apiVersion"); v != "infrastructure.cluster.x-k8s.io/v1beta2" {
		t.Errorf("v1beta1 round trip: infrastructureRef.apiVersion = %q (object: %v)", v, v1.Object["spec"])
	}
	if cidrs, _, _ := unstructured.NestedStringSlice(v1.Object, "spec", "clusterNetwork", "pods", "cidrBlocks"); len(cidrs) != 1 || cidrs[0] != "192.168.0.0/16" {
		t.Errorf("v1beta1 round trip: pods.cidrBlocks = %v", cidrs)
	}
	deleteAndWait(t, dyn, clusterV1Beta1, ns, "old")
}

// deleteAndWait deletes the object and waits until it is gone (its
// finalizers, if any, have run).
func deleteAndWait(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) {
	t.Helper()
	ctx := context.Background()
	if err := dyn.Resource(gvr).Namespace(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("cannot delete %s %s: %v", gvr.Resource, name, err)
	}
	t0 := time.Now()
	eventually(t, 3*time.Minute, "deletion of "+name, func(ctx context.Context) error {
		_, err := dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return errors.New("still there")
		}
		return nil
	})
	t.Logf("%s %s deleted in %s", gvr.Resource, name, time.Since(t0).Round(time.Millisecond))
}
