package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
)

// TestClusterTopologyRoundTrip checks that a topology flattened from what
// the engine read expands back to the same spec, and that JSON text and a
// class namespace written differently from how Cluster API stores them stay
// as the configuration wrote them, so that they plan no change.
func TestClusterTopologyRoundTrip(t *testing.T) {
	ctx := context.Background()
	read := &cluster.Topology{
		Class:     "byoh",
		Variables: map[string]string{"controlPlaneEndpoint": `{"host":"10.0.0.1","port":6443}`},
		Workers:   []cluster.TopologyWorker{{Name: "general", Class: "default-worker", Replicas: 3}},
	}
	prior := types.ObjectValueMust(topologyTypes, map[string]attr.Value{
		"class": types.StringValue("byoh"), "class_namespace": types.StringValue("clusters"),
		"variables": types.MapValueMust(types.StringType, map[string]attr.Value{
			"controlPlaneEndpoint": types.StringValue(`{ "port": 6443, "host": "10.0.0.1" }`),
		}),
		"workers": types.ListNull(types.ObjectType{AttrTypes: topologyWorkerTypes}),
	})
	got, diags := flattenTopology(ctx, read, "clusters", prior)
	if diags.HasError() {
		t.Fatal(diags)
	}
	attrs := got.Attributes()
	if attrs["class_namespace"].(types.String).ValueString() != "clusters" {
		t.Errorf("class_namespace = %v, want the configuration's clusters", attrs["class_namespace"])
	}
	if v := attrs["variables"].(types.Map).Elements()["controlPlaneEndpoint"].(types.String).ValueString(); v != `{ "port": 6443, "host": "10.0.0.1" }` {
		t.Errorf("variable = %s, want the configuration's text", v)
	}
	m := nullClusterModel()
	m.Topology = got
	s, diags := expandCluster(ctx, m)
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := &cluster.Topology{Class: "byoh", ClassNamespace: "clusters",
		Variables: map[string]string{"controlPlaneEndpoint": `{ "port": 6443, "host": "10.0.0.1" }`},
		Workers:   []cluster.TopologyWorker{{Name: "general", Class: "default-worker", Replicas: 3}}}
	if diff := cmp.Diff(want, s.Topology); diff != "" {
		t.Errorf("expanded topology (-want +got):\n%s", diff)
	}
	// What to write, for an imported topology cluster configured without it.
	state := nullClusterModel()
	state.Topology, state.ID = got, types.StringValue("s/clusters/edge")
	hint := topologyHint(ctx, state)
	for _, w := range []string{`class = "byoh"`, `controlPlaneEndpoint = jsonencode({ "port": 6443, "host": "10.0.0.1" })`, `{ name = "general", class = "default-worker", replicas = 3 }`} {
		if !strings.Contains(hint, w) {
			t.Errorf("hint %q does not contain %q", hint, w)
		}
	}
}

// nullClusterModel is a model whose collections and objects are null.
func nullClusterModel() clusterModel {
	return clusterModel{
		ControlPlane: types.ObjectNull(controlPlaneTypes), WorkerPools: types.ListNull(types.ObjectType{AttrTypes: workerPoolTypes}),
		Topology: types.ObjectNull(topologyTypes), PodCIDRs: types.ListNull(types.StringType), ServiceCIDRs: types.ListNull(types.StringType),
		Labels: types.MapNull(types.StringType),
	}
}
