//go:build platform

package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

var (
	byohCRDGVR         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	byohMachineSetGVR  = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machinesets"}
	byohMachineGVR     = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machines"}
	byohByoMachineGVR  = schema.GroupVersionResource{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta1", Resource: "byomachines"}
	byohNamespaceGVR   = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	byohContractLabel  = "cluster.x-k8s.io/v1beta1"
	byohProviderLabel  = "cluster.x-k8s.io/provider"
	byohTestEndpointIP = "10.20.0.10"
)

// byohPlatform returns the platform's admin config and a dynamic client,
// after checking that it runs Cluster API and serves every BYOH CRD the
// sandbox installs, with the Cluster API contract label.
func byohPlatform(t *testing.T) (*sandbox.Platform, *rest.Config, dynamic.Interface) {
	t.Helper()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	names, err := sandbox.BYOHCRDNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		crd, err := dyn.Resource(byohCRDGVR).Get(context.Background(), n, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("BYOH CRD %s: %v", n, err)
		}
		if got := crd.GetLabels()[byohContractLabel]; got != "v1beta1" {
			t.Errorf("CRD %s: label %s = %q, want v1beta1", n, byohContractLabel, got)
		}
		if got := crd.GetLabels()[byohProviderLabel]; got != "infrastructure-byoh" {
			t.Errorf("CRD %s: label %s = %q, want infrastructure-byoh", n, byohProviderLabel, got)
		}
	}
	return p, cfg, dyn
}

// byohRegisterSite registers a site on the platform's own cluster and
// deletes it when the test ends.
func byohRegisterSite(t *testing.T, cfg *rest.Config, namespace, name string) {
	t.Helper()
	sites := site.New(registry.New(cfg, namespace))
	if _, err := sites.Create(context.Background(), site.Spec{Name: name, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}); err != nil {
		t.Fatalf("cannot register site %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), name); err != nil {
			t.Errorf("cannot delete site %s: %v", name, err)
		}
	})
}

// byohEventually polls check every 250ms until it returns nil or timeout
// passes, and returns its last error.
func byohEventually(timeout time.Duration, check func() error) error {
	var last error
	_ = wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		last = check()
		return last == nil, nil
	})
	return last
}

// byohGet reads one object or fails the test.
func byohGet(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := dyn.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("cannot read %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return u
}

// byohField returns the field at path of u as JSON, for comparisons that
// do not care about Go types.
func byohField(u *unstructured.Unstructured, path ...string) string {
	v, ok, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	if err != nil || !ok {
		return "<none>"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// byohCondition returns the status and message of a condition of u.
func byohCondition(u *unstructured.Unstructured, typ string) (status, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			status, _ = m["status"].(string)
			message, _ = m["message"].(string)
			return status, message
		}
	}
	return "", ""
}

// byohRemoveFinalizers deletes every Cluster API and BYOH object of ns,
// first removing finalizers that nothing would remove: with no BYOH
// controller and no hosts a stuck deletion is not the engine's fault.
func byohRemoveFinalizers(t *testing.T, dyn dynamic.Interface, ns string) {
	ctx := context.Background()
	for _, gvr := range []schema.GroupVersionResource{
		cluster.ClusterGVR, cluster.KubeadmControlPlaneGVR, cluster.MachineDeploymentGVR, byohMachineSetGVR, byohMachineGVR,
		cluster.ByoClusterGVR, byohByoMachineGVR, cluster.ByoMachineTemplateGVR, cluster.KubeadmConfigTemplateGVR,
	} {
		list, err := dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for _, u := range list.Items {
			if len(u.GetFinalizers()) > 0 {
				t.Logf("cleanup: removing finalizers %v of %s %s", u.GetFinalizers(), gvr.Resource, u.GetName())
				_, _ = dyn.Resource(gvr).Namespace(ns).Patch(ctx, u.GetName(), types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
			}
			_ = dyn.Resource(gvr).Namespace(ns).Delete(ctx, u.GetName(), metav1.DeleteOptions{})
		}
	}
}

// byohSpec is a BYOH cluster with a virtual IP endpoint, two pools on
// different hosts and a non-default network.
func byohSpec(siteName, ns string) cluster.Spec {
	return cluster.Spec{
		Site: siteName, Namespace: ns, Name: "bare",
		KubernetesVersion: "v1.36.0",
		ControlPlane:      cluster.ControlPlane{Replicas: 1, EndpointHost: byohTestEndpointIP, EndpointPort: 6443},
		WorkerPools: []cluster.WorkerPool{
			{
				Name: "general", Replicas: 2,
				HostSelector: map[string]string{"hosts.example.com/pool": "general", "topology.example.com/rack": "r1"},
				Labels:       map[string]string{"tier": "general"},
			},
			{
				Name: "gpu", Replicas: 1,
				HostSelector: map[string]string{"hosts.example.com/pool": "gpu"},
				Labels:       map[string]string{"tier": "gpu", "accelerator": "a100"},
				Taints: []cluster.Taint{
					{Key: "nvidia.com/gpu", Value: "present", Effect: "NoSchedule"},
					{Key: "dedicated", Effect: "NoExecute"},
				},
			},
		},
		PodCIDRs:       []string{"10.244.0.0/16"},
		ServiceCIDRs:   []string{"10.96.0.0/12"},
		Infrastructure: cluster.InfrastructureBYOH,
		Labels:         map[string]string{"env": "byoh-test"},
	}
}

// TestBYOHClusterObjects creates a BYOH cluster through the engine on the
// sandbox (BYOH CRDs, no BYOH controller, no hosts): the API server must
// accept every object with strict field validation, Cluster API must
// resolve the v1beta2 references to BYOH's v1beta1 kinds, Observe must
// report exactly the spec and a cluster that is not ready, and deletion must
// take the objects away.
func TestBYOHClusterObjects(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p, cfg, dyn := byohPlatform(t)
	ctx := context.Background()
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	siteName := "byoh-" + suffix
	byohRegisterSite(t, cfg, p.Namespace, siteName)
	want := byohSpec(siteName, "byoh-"+suffix)
	ns := want.Namespace
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := dyn.Resource(cluster.ClusterGVR).Namespace(ns).Get(ctx, want.Name, metav1.GetOptions{}); err == nil {
			byohRemoveFinalizers(t, dyn, ns)
		}
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})

	c := cluster.New(registry.New(cfg, p.Namespace))
	t0 := time.Now()
	id, err := c.Create(ctx, want)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	t.Logf("Create() returned after %s", time.Since(t0).Round(time.Millisecond))
	if id2, err := c.Create(ctx, want); err != nil || id2 != id {
		t.Fatalf("second Create() = %q, %v; want %q, nil", id2, err, id)
	}

	// The objects as the API server stored them.
	cl := byohGet(t, dyn, cluster.ClusterGVR, ns, "bare")
	cp := cluster.ControlPlaneName("bare")
	for _, f := range []struct {
		u    *unstructured.Unstructured
		path []string
		want string
	}{
		{cl, []string{"spec", "infrastructureRef"}, `{"apiGroup":"infrastructure.cluster.x-k8s.io","kind":"ByoCluster","name":"bare"}`},
		{cl, []string{"spec", "controlPlaneRef"}, `{"apiGroup":"controlplane.cluster.x-k8s.io","kind":"KubeadmControlPlane","name":"` + cp + `"}`},
		{cl, []string{"spec", "controlPlaneEndpoint"}, `{"host":"` + byohTestEndpointIP + `","port":6443}`},
		{cl, []string{"spec", "clusterNetwork", "pods", "cidrBlocks"}, `["10.244.0.0/16"]`},
		{cl, []string{"spec", "clusterNetwork", "services", "cidrBlocks"}, `["10.96.0.0/12"]`},
		{byohGet(t, dyn, cluster.ByoClusterGVR, ns, "bare"), []string{"spec"}, `{"controlPlaneEndpoint":{"host":"` + byohTestEndpointIP + `","port":6443}}`},
		{byohGet(t, dyn, cluster.ByoMachineTemplateGVR, ns, cp), []string{"spec"}, `{"template":{"spec":{}}}`},
	} {
		if got := byohField(f.u, f.path...); got != f.want {
			t.Errorf("%s %s .%s = %s, want %s", f.u.GetKind(), f.u.GetName(), strings.Join(f.path, "."), got, f.want)
		}
	}
	kcp := byohGet(t, dyn, cluster.KubeadmControlPlaneGVR, ns, cp)
	if got, want := byohField(kcp, "spec", "machineTemplate", "spec", "infrastructureRef"), `{"apiGroup":"infrastructure.cluster.x-k8s.io","kind":"ByoMachineTemplate","name":"`+cp+`"}`; got != want {
		t.Errorf("KubeadmControlPlane infrastructureRef = %s, want %s", got, want)
	}
	files, _, _ := unstructured.NestedSlice(kcp.Object, "spec", "kubeadmConfigSpec", "files")
	if len(files) != 1 || !strings.Contains(fmt.Sprint(files[0]), `value: "`+byohTestEndpointIP+`"`) || !strings.Contains(fmt.Sprint(files[0]), "/etc/kubernetes/manifests/kube-vip.yaml") {
		t.Errorf("KubeadmControlPlane files = %v, want the kube-vip static pod serving %s", files, byohTestEndpointIP)
	}
	// Kubernetes 1.36: kube-vip uses super-admin.conf during kubeadm init
	// and admin.conf after it.
	if pre, post := byohField(kcp, "spec", "kubeadmConfigSpec", "preKubeadmCommands"), byohField(kcp, "spec", "kubeadmConfigSpec", "postKubeadmCommands"); !strings.Contains(pre, "path: /etc/kubernetes/super-admin.conf#") || !strings.Contains(post, "path: /etc/kubernetes/admin.conf#") {
		t.Errorf("KubeadmControlPlane preKubeadmCommands = %s, postKubeadmCommands = %s; want kube-vip switched to super-admin.conf for init and back", pre, post)
	}
	if got := byohField(kcp, "spec", "kubeadmConfigSpec", "clusterConfiguration", "apiServer", "certSANs"); !strings.Contains(got, byohTestEndpointIP) {
		t.Errorf("KubeadmControlPlane certSANs = %s, want the endpoint among them", got)
	}
	for _, pool := range want.WorkerPools {
		n := cluster.MachineDeploymentName("bare", pool.Name)
		md := byohGet(t, dyn, cluster.MachineDeploymentGVR, ns, n)
		if got, want := byohField(md, "spec", "template", "spec", "infrastructureRef"), `{"apiGroup":"infrastructure.cluster.x-k8s.io","kind":"ByoMachineTemplate","name":"`+n+`"}`; got != want {
			t.Errorf("MachineDeployment %s infrastructureRef = %s, want %s", n, got, want)
		}
		bmt := byohGet(t, dyn, cluster.ByoMachineTemplateGVR, ns, n)
		sel, _, _ := unstructured.NestedStringMap(bmt.Object, "spec", "template", "spec", "selector", "matchLabels")
		if diff := cmp.Diff(pool.HostSelector, sel); diff != "" {
			t.Errorf("ByoMachineTemplate %s selector (-want +got):\n%s", n, diff)
		}
		if refs := bmt.GetOwnerReferences(); len(refs) == 0 || refs[0].Kind != "Cluster" || refs[0].UID != cl.GetUID() {
			t.Errorf("ByoMachineTemplate %s owners = %+v, want the Cluster", n, refs)
		}
		kct := byohGet(t, dyn, cluster.KubeadmConfigTemplateGVR, ns, n)
		taints, _, _ := unstructured.NestedSlice(kct.Object, "spec", "template", "spec", "joinConfiguration", "nodeRegistration", "taints")
		if len(taints) != len(pool.Taints) {
			t.Errorf("KubeadmConfigTemplate %s taints = %v, want %d", n, taints, len(pool.Taints))
		}
	}

	// Cluster API adopts the ByoCluster: it found the BYOH CRD's version
	// through the contract label.
	err = byohEventually(time.Minute, func() error {
		bc := byohGet(t, dyn, cluster.ByoClusterGVR, ns, "bare")
		for _, r := range bc.GetOwnerReferences() {
			if r.Kind == "Cluster" && r.UID == cl.GetUID() {
				return nil
			}
		}
		return fmt.Errorf("ByoCluster owners %+v", bc.GetOwnerReferences())
	})
	if err != nil {
		t.Errorf("Cluster API did not adopt the ByoCluster: %v", err)
	}
	t.Logf("ByoCluster adopted by the Cluster after %s", time.Since(t0).Round(time.Millisecond))

	// Observe: the spec comes back as it was given; the cluster does not get
	// ready, since no BYOH controller marks the ByoCluster provisioned.
	var last string
	err = byohEventually(time.Minute, func() error {
		obs, err := c.Observe(ctx, id, want)
		if err != nil {
			return err
		}
		if !obs.Exists {
			return fmt.Errorf("Observe() reports no cluster")
		}
		if obs.Ready {
			return fmt.Errorf("Observe() reports ready: %s", obs.Message)
		}
		last = obs.Message
		if diff := cmp.Diff(want, obs.Actual); diff != "" {
			return fmt.Errorf("Observe() Actual (-want +got):\n%s", diff)
		}
		if !obs.UpToDate || obs.Failed != nil {
			return fmt.Errorf("Observe() UpToDate=%v Failed=%v", obs.UpToDate, obs.Failed)
		}
		if obs.Status.Endpoint != "https://"+byohTestEndpointIP+":6443" {
			return fmt.Errorf("Observe() Status.Endpoint = %q", obs.Status.Endpoint)
		}
		for _, missing := range []string{"control plane 0/1 ready", "pool general 0/2 ready", "pool gpu 0/1 ready", "Cluster not Available"} {
			if !strings.Contains(obs.Message, missing) {
				return fmt.Errorf("Observe() message does not say %q: %s", missing, obs.Message)
			}
		}
		return nil
	})
	if err != nil {
		conds, _, _ := unstructured.NestedSlice(byohGet(t, dyn, cluster.ClusterGVR, ns, "bare").Object, "status", "conditions")
		t.Fatalf("%v (last message: %s)\nCluster conditions: %v", err, last, conds)
	}
	t.Logf("not ready, as expected without a BYOH controller: %s", last)
	if _, msg := byohCondition(byohGet(t, dyn, cluster.ClusterGVR, ns, "bare"), "InfrastructureReady"); !strings.Contains(msg, "ByoCluster") {
		t.Errorf("Cluster condition InfrastructureReady message = %q, want it to name the ByoCluster", msg)
	}

	// Play the BYOH controller's part: mark the ByoCluster ready the way
	// BYOH does (status.ready, Cluster API's v1beta1 contract). Cluster API
	// reads that field only because the CRD's contract label says v1beta1;
	// it then has the control plane make its first machine, a ByoMachine
	// cloned from the control plane's ByoMachineTemplate, which the
	// ByoMachine CRD must accept.
	if _, err := dyn.Resource(cluster.ByoClusterGVR).Namespace(ns).Patch(ctx, "bare", types.MergePatchType, []byte(`{"status":{"ready":true}}`), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("cannot mark the ByoCluster ready: %v", err)
	}
	tReady := time.Now()
	err = byohEventually(time.Minute, func() error {
		cl := byohGet(t, dyn, cluster.ClusterGVR, ns, "bare")
		if ok, _, _ := unstructured.NestedBool(cl.Object, "status", "initialization", "infrastructureProvisioned"); !ok {
			_, msg := byohCondition(cl, "InfrastructureReady")
			return fmt.Errorf("Cluster infrastructure not provisioned: %s", msg)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Cluster API did not take the ByoCluster's status.ready: %v", err)
	}
	t.Logf("Cluster infrastructure provisioned %s after the ByoCluster became ready", time.Since(tReady).Round(time.Millisecond))
	err = byohEventually(time.Minute, func() error {
		list, err := dyn.Resource(byohByoMachineGVR).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: "cluster.x-k8s.io/control-plane"})
		if err != nil {
			return err
		}
		if len(list.Items) != 1 {
			return fmt.Errorf("%d control plane ByoMachines", len(list.Items))
		}
		bm := list.Items[0]
		if refs := bm.GetOwnerReferences(); len(refs) == 0 || refs[0].Kind != "Machine" {
			return fmt.Errorf("ByoMachine %s owners %+v, want a Machine", bm.GetName(), refs)
		}
		if got := byohField(&bm, "spec"); got != `{}` {
			return fmt.Errorf("ByoMachine %s spec = %s, want the template's (empty)", bm.GetName(), got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the control plane made no ByoMachine: %v", err)
	}
	t.Logf("control plane ByoMachine made %s after the ByoCluster became ready", time.Since(tReady).Round(time.Millisecond))
	if obs, err := c.Observe(ctx, id, want); err != nil || obs.Ready || !strings.Contains(obs.Message, "control plane 0/1 ready") {
		t.Errorf("Observe() with a control plane machine that no host backs: Ready=%v message=%q err=%v; want not ready", obs.Ready, obs.Message, err)
	}

	tDelete := time.Now()
	if err := c.Delete(ctx, id); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	err = byohEventually(2*time.Minute, func() error {
		obs, err := c.Observe(ctx, id, want)
		if err != nil {
			return err
		}
		if obs.Exists {
			return fmt.Errorf("still exists: %s", obs.Message)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("cluster not gone after Delete(): %v", err)
	}
	t.Logf("delete to gone: %s", time.Since(tDelete).Round(time.Millisecond))
	// Cluster API deletes the ByoCluster and the garbage collector the
	// templates the Cluster owns.
	err = byohEventually(time.Minute, func() error {
		var left []string
		for _, gvr := range []schema.GroupVersionResource{cluster.ByoClusterGVR, cluster.ByoMachineTemplateGVR, cluster.KubeadmControlPlaneGVR, cluster.MachineDeploymentGVR, cluster.KubeadmConfigTemplateGVR} {
			list, err := dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			for _, u := range list.Items {
				left = append(left, gvr.Resource+"/"+u.GetName())
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left behind: %v", left)
		}
		return nil
	})
	if err != nil {
		t.Errorf("after the Cluster went: %v", err)
	}
	t.Logf("delete to all objects gone: %s", time.Since(tDelete).Round(time.Millisecond))
}

// TestBYOHCRDValidation shows that the sandbox's BYOH CRDs reject what
// BYOH's API rejects: unknown fields (under strict field validation, as the
// engine creates), wrong types and missing required fields.
func TestBYOHCRDValidation(t *testing.T) {
	_, _, dyn := byohPlatform(t)
	ctx := context.Background()
	ns := fmt.Sprintf("byoh-crd-%06x", rand.IntN(1<<24))
	if _, err := dyn.Resource(byohNamespaceGVR).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dyn.Resource(byohNamespaceGVR).Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	obj := func(kind, name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": kind,
			"metadata": map[string]any{"name": name}, "spec": spec,
		}}
	}
	gvrs := map[string]schema.GroupVersionResource{
		"ByoMachineTemplate":         cluster.ByoMachineTemplateGVR,
		"ByoCluster":                 cluster.ByoClusterGVR,
		"K8sInstallerConfigTemplate": {Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta1", Resource: "k8sinstallerconfigtemplates"},
	}
	strict := metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}
	for _, tc := range []struct {
		name    string
		obj     *unstructured.Unstructured
		wantErr string // "" means accepted
	}{
		{"valid template with selector and installer", obj("ByoMachineTemplate", "ok", map[string]any{"template": map[string]any{"spec": map[string]any{
			"selector":     map[string]any{"matchLabels": map[string]any{"pool": "a"}, "matchExpressions": []any{map[string]any{"key": "rack", "operator": "In", "values": []any{"r1"}}}},
			"installerRef": map[string]any{"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "K8sInstallerConfigTemplate", "name": "k8s"},
		}}}), ""},
		{"unknown field", obj("ByoMachineTemplate", "unknown", map[string]any{"template": map[string]any{"spec": map[string]any{
			"hostSelector": map[string]any{"pool": "a"},
		}}}), `unknown field "spec.template.spec.hostSelector"`},
		{"matchLabels value of the wrong type", obj("ByoMachineTemplate", "wrongtype", map[string]any{"template": map[string]any{"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"pool": int64(1)}},
		}}}), "spec.template.spec.selector.matchLabels.pool: Invalid value"},
		{"selector of the wrong type", obj("ByoMachineTemplate", "wrongtype2", map[string]any{"template": map[string]any{"spec": map[string]any{
			"selector": "pool=a",
		}}}), "spec.template.spec.selector: Invalid value"},
		{"template missing", obj("ByoMachineTemplate", "notemplate", map[string]any{}), "spec.template: Required value"},
		{"match expression without operator", obj("ByoMachineTemplate", "nooperator", map[string]any{"template": map[string]any{"spec": map[string]any{
			"selector": map[string]any{"matchExpressions": []any{map[string]any{"key": "rack"}}},
		}}}), "operator: Required value"},
		{"endpoint without port", obj("ByoCluster", "noport", map[string]any{"controlPlaneEndpoint": map[string]any{"host": "10.0.0.1"}}), "spec.controlPlaneEndpoint.port: Required value"},
		{"endpoint port as a string", obj("ByoCluster", "strport", map[string]any{"controlPlaneEndpoint": map[string]any{"host": "10.0.0.1", "port": "6443"}}), "spec.controlPlaneEndpoint.port: Invalid value"},
		{"installer without bundle type", obj("K8sInstallerConfigTemplate", "nobundletype", map[string]any{"template": map[string]any{"spec": map[string]any{"bundleRepo": "r"}}}), "bundleType: Required value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dyn.Resource(gvrs[tc.obj.GetKind()]).Namespace(ns).Create(ctx, tc.obj, strict)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Create() = %v, want accepted", err)
			case tc.wantErr == "":
			case err == nil:
				t.Fatalf("Create() accepted it, want an error containing %q", tc.wantErr)
			case !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err):
				t.Fatalf("Create() = %v (%s), want Invalid or BadRequest", err, apierrors.ReasonForError(err))
			case !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("Create() = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	// Without strict validation the API server prunes unknown fields: the
	// CRD schemas are structural, not preserving unknown fields.
	u := obj("ByoMachineTemplate", "pruned", map[string]any{"template": map[string]any{"spec": map[string]any{"hostSelector": map[string]any{"pool": "a"}}}})
	got, err := dyn.Resource(cluster.ByoMachineTemplateGVR).Namespace(ns).Create(ctx, u, metav1.CreateOptions{FieldValidation: metav1.FieldValidationIgnore})
	if err != nil {
		t.Fatalf("Create() without strict validation = %v", err)
	}
	if s := byohField(got, "spec"); s != `{"template":{"spec":{}}}` {
		t.Errorf("unknown field not pruned: spec = %s", s)
	}
}
