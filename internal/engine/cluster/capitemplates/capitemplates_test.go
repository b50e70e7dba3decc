package capitemplates

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSubstitute(t *testing.T) {
	got, err := Substitute([]byte(`name: "${CLUSTER_NAME}"
cidrBlocks: ${POD_CIDR:=["192.168.0.0/16"]}
replicas: ${WORKER_MACHINE_COUNT}`), map[string]string{"CLUSTER_NAME": "wl", "WORKER_MACHINE_COUNT": "2"})
	if err != nil {
		t.Fatal(err)
	}
	want := `name: "wl"
cidrBlocks: ["192.168.0.0/16"]
replicas: 2`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Substitute() (-want +got):\n%s", diff)
	}
	if _, err := Substitute([]byte(`${A} ${B:=x} ${C}`), map[string]string{"A": "a"}); err == nil || err.Error() != "template variables without a value: [C]" {
		t.Errorf("Substitute() with a variable missing = %v", err)
	}
}

// TestReadInMemory reads the in-memory ClusterClass and cluster template as
// they ship: the class and its templates, and one Cluster of that class.
func TestReadInMemory(t *testing.T) {
	class, err := Read(InMemoryClusterClass, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, u := range class {
		kinds = append(kinds, u.GetKind()+"/"+u.GetName())
	}
	want := []string{
		"DevClusterTemplate/in-memory-cluster", "KubeadmControlPlaneTemplate/in-memory-control-plane", "DevMachineTemplate/in-memory-control-plane",
		"DevMachineTemplate/in-memory-default-worker-machinetemplate", "KubeadmConfigTemplate/in-memory-default-worker-bootstraptemplate", "ClusterClass/in-memory",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("class objects (-want +got):\n%s", diff)
	}
	cl, err := Read(InMemoryClusterTemplate, map[string]string{
		"CLUSTER_NAME": "wl", "NAMESPACE": "ns", "KUBERNETES_VERSION": "v1.36.0", "CONTROL_PLANE_MACHINE_COUNT": "1", "WORKER_MACHINE_COUNT": "2",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl) != 1 || cl[0].GetKind() != "Cluster" || cl[0].GetName() != "wl" {
		t.Fatalf("cluster template = %v", cl)
	}
}
