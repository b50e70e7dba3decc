package cluster

import (
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func TestRefuseImmutableChanges(t *testing.T) {
	byoh := Spec{Site: "s", Namespace: "ns", Name: "c", Infrastructure: InfrastructureBYOH,
		ControlPlane: ControlPlane{Replicas: 1, EndpointHost: "10.0.0.10", EndpointPort: 6443}}
	observed := byoh
	observed.PodCIDRs, observed.ServiceCIDRs = []string{DefaultPodCIDR}, []string{DefaultServiceCIDR}
	tests := []struct {
		name     string
		mutate   func(*Spec)
		wantPath string
	}{
		{"defaults equal what was observed", func(*Spec) {}, ""},
		{"what changes in place", func(s *Spec) { s.ControlPlane.Replicas, s.KubernetesVersion = 3, "v1.36.1" }, ""},
		{"infrastructure", func(s *Spec) { s.Infrastructure = InfrastructureInMemory }, "infrastructure"},
		{"pod cidrs", func(s *Spec) { s.PodCIDRs = []string{"172.16.0.0/16"} }, "pod_cidrs"},
		{"service cidrs", func(s *Spec) { s.ServiceCIDRs = []string{"10.96.0.0/12"} }, "service_cidrs"},
		{"endpoint host", func(s *Spec) { s.ControlPlane.EndpointHost = "10.0.0.11" }, "control_plane.endpoint_host"},
		{"endpoint port", func(s *Spec) { s.ControlPlane.EndpointPort = 8443 }, "control_plane.endpoint_port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := byoh
			tc.mutate(&want)
			err := refuseImmutableChanges(observed, want)
			in, ok := engine.AsInvalidInput(err)
			switch {
			case tc.wantPath == "" && err != nil:
				t.Fatalf("refuseImmutableChanges() = %v, want nil", err)
			case tc.wantPath != "" && (!ok || in.Path != tc.wantPath):
				t.Fatalf("refuseImmutableChanges() = %v, want an invalid input error at %s", err, tc.wantPath)
			}
		})
	}
}

func TestRefuseMove(t *testing.T) {
	for _, tc := range []struct {
		want     Spec
		wantPath string
	}{
		{Spec{Site: "s", Namespace: "ns", Name: "c"}, ""},
		{Spec{Site: "t", Namespace: "ns", Name: "c"}, "site"},
		{Spec{Site: "s", Namespace: "other", Name: "c"}, "namespace"},
		{Spec{Site: "s", Namespace: "ns", Name: "d"}, "name"},
	} {
		err := refuseMove("s/ns/c", tc.want)
		in, ok := engine.AsInvalidInput(err)
		if (tc.wantPath == "") != (err == nil) || (err != nil && (!ok || in.Path != tc.wantPath)) {
			t.Errorf("refuseMove(s/ns/c, %s) = %v, want an error at %q", ID(tc.want), err, tc.wantPath)
		}
	}
}
