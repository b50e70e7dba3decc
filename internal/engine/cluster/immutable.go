package cluster

import (
	"fmt"
	"slices"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// refuseMove returns an *engine.InvalidInputError naming the field when want
// names another cluster than id: the site, the namespace and the name
// cannot change in place.
func refuseMove(id string, want Spec) error {
	siteName, ns, name, err := ParseID(id)
	if err != nil {
		return err
	}
	for _, f := range []struct{ path, from, to string }{
		{"site", siteName, want.Site}, {"namespace", ns, want.Namespace}, {"name", name, want.Name},
	} {
		if f.from != f.to {
			return engine.InvalidInput(f.path, "cannot move cluster %s from %q to %q in place: replace the cluster", id, f.from, f.to)
		}
	}
	return nil
}

// refuseImmutableChanges returns an *engine.InvalidInputError naming the
// field when want changes, against the observed actual, what Cluster API
// cannot change in place: the infrastructure, the cluster network and the
// control plane endpoint.
func refuseImmutableChanges(actual, want Spec) error {
	refuse := func(path string, from, to any) error {
		return engine.InvalidInput(path, "cannot change from %v to %v in place: replace the cluster", from, to)
	}
	switch {
	case want.Topology == nil && actual.Topology != nil:
		return engine.InvalidInput("topology", "cluster is a topology cluster of ClusterClass %q: describe it with topology { class = %q ... } instead of worker_pools", actual.Topology.Class, actual.Topology.Class)
	case want.Topology != nil && actual.Topology == nil:
		return engine.InvalidInput("topology", "cluster is not a topology cluster: it cannot be turned into one in place, replace the cluster")
	}
	if infra := infrastructureOf(want); infra != actual.Infrastructure {
		return refuse("infrastructure", fmt.Sprintf("%q", actual.Infrastructure), fmt.Sprintf("%q", infra))
	}
	if pods := orDefault(want.PodCIDRs, DefaultPodCIDR); !slices.Equal(pods, actual.PodCIDRs) {
		return refuse("pod_cidrs", actual.PodCIDRs, pods)
	}
	if services := orDefault(want.ServiceCIDRs, DefaultServiceCIDR); !slices.Equal(services, actual.ServiceCIDRs) {
		return refuse("service_cidrs", actual.ServiceCIDRs, services)
	}
	if actual.Infrastructure == InfrastructureBYOH {
		if want.ControlPlane.EndpointHost != actual.ControlPlane.EndpointHost {
			return refuse("control_plane.endpoint_host", fmt.Sprintf("%q", actual.ControlPlane.EndpointHost), fmt.Sprintf("%q", want.ControlPlane.EndpointHost))
		}
		if want.ControlPlane.EndpointPort != actual.ControlPlane.EndpointPort {
			return refuse("control_plane.endpoint_port", actual.ControlPlane.EndpointPort, want.ControlPlane.EndpointPort)
		}
	}
	return nil
}
