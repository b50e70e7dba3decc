package cluster

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"
)

// readSummary is what a test compares of an observed: the names of the
// objects read and what was taken from the templates.
type readSummary struct {
	Cluster, ControlPlane    string
	Pools                    map[string]string // pool → MachineDeployment
	Taints                   map[string][]Taint
	HostSelectors            map[string]map[string]string
	ControlPlaneHostSelector map[string]string
}

func summarise(o *observed) *readSummary {
	if o == nil {
		return nil
	}
	s := &readSummary{Cluster: o.cluster.Name, Pools: map[string]string{}, Taints: o.taints, HostSelectors: o.hostSelectors, ControlPlaneHostSelector: o.controlPlaneHostSelector}
	if o.kcp != nil {
		s.ControlPlane = o.kcp.Name
	}
	for pool, md := range o.pools {
		s.Pools[pool] = md.Name
	}
	return s
}

// TestRead checks that read finds a cluster's objects whether the lists by
// Cluster API's cluster-name label bring them (then nothing is read by
// name but the Cluster and the BYOH machine templates) or not (objects made
// outside the engine, without the label or under other names: then they
// are read by name, as the Cluster and the MachineDeployments refer to
// them), and that a missing Cluster is no cluster.
func TestRead(t *testing.T) {
	const ns = "clusters"
	unlabelled := func(kinds ...string) func([]*unstructured.Unstructured) []*unstructured.Unstructured {
		return func(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			for _, u := range objs {
				if slices.Contains(kinds, u.GetKind()) {
					l := u.GetLabels()
					delete(l, LabelClusterName)
					u.SetLabels(l)
				}
			}
			return objs
		}
	}
	tests := []struct {
		name string
		// cluster is the cluster read, objs its objects, change what the
		// case changes of them.
		cluster string
		objs    []object
		change  func([]*unstructured.Unstructured) []*unstructured.Unstructured
		// want is nil for no cluster; wantGets are the resources read by
		// name.
		want     *readSummary
		wantGets []string
	}{
		{
			name: "engine's BYOH objects, found by the lists", cluster: "edge-1", objs: objects(byohSpecWithControlPlaneHosts()),
			want: &readSummary{
				Cluster: "edge-1", ControlPlane: "edge-1-control-plane",
				Pools:                    map[string]string{"general": "edge-1-general", "gpu": "edge-1-gpu"},
				Taints:                   map[string][]Taint{"general": nil, "gpu": {{Key: "gpu", Value: "true", Effect: "NoSchedule"}}},
				HostSelectors:            map[string]map[string]string{"general": {"rack": "a"}, "gpu": nil},
				ControlPlaneHostSelector: map[string]string{"role": "control-plane"},
			},
			wantGets: []string{"byomachinetemplates/edge-1-control-plane", "byomachinetemplates/edge-1-general", "byomachinetemplates/edge-1-gpu", "clusters/edge-1"},
		},
		{
			name: "control plane and templates without the cluster label, read by name", cluster: "edge-1", objs: objects(byohSpecWithControlPlaneHosts()),
			change: unlabelled("KubeadmControlPlane", "KubeadmConfigTemplate"),
			want: &readSummary{
				Cluster: "edge-1", ControlPlane: "edge-1-control-plane",
				Pools:                    map[string]string{"general": "edge-1-general", "gpu": "edge-1-gpu"},
				Taints:                   map[string][]Taint{"general": nil, "gpu": {{Key: "gpu", Value: "true", Effect: "NoSchedule"}}},
				HostSelectors:            map[string]map[string]string{"general": {"rack": "a"}, "gpu": nil},
				ControlPlaneHostSelector: map[string]string{"role": "control-plane"},
			},
			wantGets: []string{
				"byomachinetemplates/edge-1-control-plane", "byomachinetemplates/edge-1-general", "byomachinetemplates/edge-1-gpu", "clusters/edge-1",
				"kubeadmconfigtemplates/edge-1-general", "kubeadmconfigtemplates/edge-1-gpu", "kubeadmcontrolplanes/edge-1-control-plane",
			},
		},
		{
			name: "control plane the Cluster names, beside one of the engine's name", cluster: "edge-1", objs: objects(inMemorySpec()),
			change: func(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
				for _, u := range objs {
					switch u.GetKind() {
					case "Cluster":
						_ = unstructured.SetNestedField(u.Object, "edge-1-cp", "spec", "controlPlaneRef", "name")
					case "KubeadmControlPlane":
						decoy := u.DeepCopy()
						u.SetName("edge-1-cp")
						objs = append(objs, decoy) // not read: the Cluster does not name it
					}
				}
				return objs
			},
			want: &readSummary{
				Cluster: "edge-1", ControlPlane: "edge-1-cp",
				Pools:         map[string]string{"general": "edge-1-general", "gpu": "edge-1-gpu"},
				Taints:        map[string][]Taint{"general": nil, "gpu": {{Key: "gpu", Value: "true", Effect: "NoSchedule"}}},
				HostSelectors: map[string]map[string]string{},
			},
			wantGets: []string{"clusters/edge-1"},
		},
		{
			name: "Cluster API's own plain manifests", cluster: "legacy", objs: plainObjects(t),
			want: &readSummary{
				Cluster: "legacy", ControlPlane: "legacy-cp",
				Pools:         map[string]string{"md-0": "legacy-md-0"},
				Taints:        map[string][]Taint{"md-0": {{Key: "dedicated", Value: "payments", Effect: "NoSchedule"}}},
				HostSelectors: map[string]map[string]string{},
			},
		},
		{
			name: "no Cluster: no cluster, whatever else is left", cluster: "edge-1", objs: objects(inMemorySpec())[1:],
			wantGets: []string{"clusters/edge-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []*unstructured.Unstructured
			for _, o := range tt.objs {
				u, err := toUnstructured(o)
				if err != nil {
					t.Fatal(err)
				}
				u.SetNamespace(ns)
				objs = append(objs, u)
			}
			if tt.change != nil {
				objs = tt.change(objs)
			}
			var runtimeObjs []runtime.Object
			for _, u := range objs {
				runtimeObjs = append(runtimeObjs, u)
			}
			listKinds := map[schema.GroupVersionResource]string{}
			for kind, gvr := range resources {
				listKinds[gvr] = kind + "List"
			}
			listKinds[MachineGVR], listKinds[MachineSetGVR] = "MachineList", "MachineSetList"
			dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, runtimeObjs...)
			o, err := read(context.Background(), dc, ns, tt.cluster)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarise(o)); diff != "" {
				t.Errorf("read (-want +got):\n%s", diff)
			}
			if tt.wantGets == nil {
				return
			}
			var gets []string
			for _, a := range dc.Actions() {
				if g, ok := a.(clienttesting.GetAction); ok {
					gets = append(gets, g.GetResource().Resource+"/"+g.GetName())
				}
			}
			slices.Sort(gets)
			if diff := cmp.Diff(tt.wantGets, gets); diff != "" {
				t.Errorf("reads by name (-want +got):\n%s", diff)
			}
		})
	}
}

// plainObjects are the objects of plainManifests.
func plainObjects(t *testing.T) []object {
	t.Helper()
	var objs []object
	for _, doc := range strings.Split(plainManifests, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, u)
	}
	return objs
}

// byohSpecWithControlPlaneHosts is validSpec with a host selector for the
// control plane too.
func byohSpecWithControlPlaneHosts() Spec {
	s := validSpec()
	s.ControlPlane.HostSelector = map[string]string{"role": "control-plane"}
	return s
}
