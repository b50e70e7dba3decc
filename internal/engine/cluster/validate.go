package cluster

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// VersionPattern matches the Kubernetes versions a cluster accepts, such as
// v1.36.0.
var VersionPattern = regexp.MustCompile(`^v1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// Validate checks a spec without talking to any backend. Every error is an
// *engine.InvalidInputError naming the argument as Terraform does, so
// front-ends can report it at plan time.
func Validate(s Spec) error {
	if err := registry.ValidateName(s.Site); err != nil {
		return engine.InvalidInput("site", "%v", err)
	}
	if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
		return engine.InvalidInput("namespace", "%q is not a namespace name: %s", s.Namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
		return engine.InvalidInput("name", "%q is not a valid cluster name: %s", s.Name, strings.Join(errs, "; "))
	}
	if !VersionPattern.MatchString(s.KubernetesVersion) {
		return engine.InvalidInput("kubernetes_version", "%q is not a Kubernetes version such as v1.36.0", s.KubernetesVersion)
	}
	infra := infrastructureOf(s)
	if infra != InfrastructureBYOH && infra != InfrastructureInMemory {
		return engine.InvalidInput("infrastructure", "%q is not one of %q, %q", s.Infrastructure, InfrastructureBYOH, InfrastructureInMemory)
	}
	if err := validateControlPlane(s.ControlPlane, infra); err != nil {
		return err
	}
	if err := validateLabels("labels", s.Labels); err != nil {
		return err
	}
	if err := validateNetwork(s); err != nil {
		return err
	}
	seen := map[string]int{}
	for i, p := range s.WorkerPools {
		path := fmt.Sprintf("worker_pools[%d]", i)
		if errs := validation.IsDNS1123Label(p.Name); len(errs) > 0 {
			return engine.InvalidInput(path+".name", "%q is not a valid pool name: %s", p.Name, strings.Join(errs, "; "))
		}
		if p.Name == "control-plane" {
			return engine.InvalidInput(path+".name", "%q is reserved for the control plane", p.Name)
		}
		if j, dup := seen[p.Name]; dup {
			return engine.InvalidInput(path+".name", "pool %q is already defined by worker_pools[%d]", p.Name, j)
		}
		seen[p.Name] = i
		if n := len(MachineDeploymentName(s.Name, p.Name)); n > validation.DNS1123LabelMaxLength {
			return engine.InvalidInput(path+".name", "cluster name and pool name together are %d characters long, more than %d", n+1, validation.DNS1123LabelMaxLength+1)
		}
		if p.Replicas < 0 {
			return engine.InvalidInput(path+".replicas", "must not be negative, got %d", p.Replicas)
		}
		if len(p.HostSelector) > 0 && infra != InfrastructureBYOH {
			return engine.InvalidInput(path+".host_selector", "only applies to byoh infrastructure")
		}
		if err := validateLabels(path+".host_selector", p.HostSelector); err != nil {
			return err
		}
		if err := validateLabels(path+".labels", p.Labels); err != nil {
			return err
		}
		for j, t := range p.Taints {
			tp := fmt.Sprintf("%s.taints[%d]", path, j)
			if errs := validation.IsQualifiedName(t.Key); len(errs) > 0 {
				return engine.InvalidInput(tp+".key", "taint key %q is invalid: %s", t.Key, strings.Join(errs, "; "))
			}
			if errs := validation.IsValidLabelValue(t.Value); len(errs) > 0 {
				return engine.InvalidInput(tp+".value", "taint value %q is invalid: %s", t.Value, strings.Join(errs, "; "))
			}
			switch t.Effect {
			case "NoSchedule", "PreferNoSchedule", "NoExecute":
			default:
				return engine.InvalidInput(tp+".effect", "%q is not one of NoSchedule, PreferNoSchedule, NoExecute", t.Effect)
			}
		}
	}
	return nil
}

func validateControlPlane(cp ControlPlane, infra string) error {
	if cp.Replicas < 1 || cp.Replicas%2 == 0 {
		return engine.InvalidInput("control_plane.replicas", "must be odd and at least 1 (etcd needs a majority), got %d", cp.Replicas)
	}
	switch infra {
	case InfrastructureBYOH:
		if cp.EndpointHost == "" {
			return engine.InvalidInput("control_plane.endpoint_host", "the byoh infrastructure needs the control plane endpoint (a virtual IP or load balancer address)")
		}
		if cp.EndpointPort == 0 {
			return engine.InvalidInput("control_plane.endpoint_port", "the byoh infrastructure needs the control plane endpoint's port, usually 6443")
		}
	case InfrastructureInMemory:
		if cp.EndpointHost != "" || cp.EndpointPort != 0 {
			return engine.InvalidInput("control_plane.endpoint_host", "the in_memory infrastructure sets the control plane endpoint itself: leave it unset")
		}
	}
	if cp.EndpointHost != "" {
		if _, err := netip.ParseAddr(cp.EndpointHost); err != nil {
			if errs := validation.IsDNS1123Subdomain(cp.EndpointHost); len(errs) > 0 {
				return engine.InvalidInput("control_plane.endpoint_host", "%q is neither an IP address nor a host name", cp.EndpointHost)
			}
		}
	}
	if len(cp.HostSelector) > 0 && infra != InfrastructureBYOH {
		return engine.InvalidInput("control_plane.host_selector", "only applies to byoh infrastructure")
	}
	if err := validateLabels("control_plane.host_selector", cp.HostSelector); err != nil {
		return err
	}
	if cp.EndpointPort < 0 || cp.EndpointPort > 65535 {
		return engine.InvalidInput("control_plane.endpoint_port", "%d is not a port number", cp.EndpointPort)
	}
	return nil
}

func validateLabels(path string, labels map[string]string) error {
	for k, v := range labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return engine.InvalidInput(path, "label key %q is invalid: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return engine.InvalidInput(path, "label value %q of %q is invalid: %s", v, k, strings.Join(errs, "; "))
		}
	}
	return nil
}

// validateNetwork checks that every CIDR parses and that no two overlap.
func validateNetwork(s Spec) error {
	type block struct {
		path   string
		prefix netip.Prefix
	}
	var blocks []block
	for _, l := range []struct {
		path  string
		cidrs []string
	}{{"pod_cidrs", s.PodCIDRs}, {"service_cidrs", s.ServiceCIDRs}} {
		for i, c := range l.cidrs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return engine.InvalidInput(l.path, "%q (element %d) is not a CIDR block such as 192.168.0.0/16", c, i)
			}
			if p.Masked() != p {
				return engine.InvalidInput(l.path, "%q (element %d) has host bits set: use %s", c, i, p.Masked())
			}
			for _, b := range blocks {
				if b.prefix.Overlaps(p) {
					return engine.InvalidInput(l.path, "%s overlaps %s of %s", c, b.prefix, b.path)
				}
			}
			blocks = append(blocks, block{l.path, p})
		}
	}
	if len(s.PodCIDRs) == 0 || len(s.ServiceCIDRs) == 0 {
		// The defaults fill in what is missing; they must not clash with
		// what is given.
		for _, d := range []struct{ path, cidr string }{{"pod_cidrs", DefaultPodCIDR}, {"service_cidrs", DefaultServiceCIDR}} {
			if (d.path == "pod_cidrs" && len(s.PodCIDRs) > 0) || (d.path == "service_cidrs" && len(s.ServiceCIDRs) > 0) {
				continue
			}
			p := netip.MustParsePrefix(d.cidr)
			for _, b := range blocks {
				if b.prefix.Overlaps(p) {
					return engine.InvalidInput(b.path, "%s overlaps the default %s %s: set %s explicitly", b.prefix, d.path, d.cidr, d.path)
				}
			}
		}
	}
	return nil
}

func infrastructureOf(s Spec) string {
	if s.Infrastructure == "" {
		return InfrastructureBYOH
	}
	return s.Infrastructure
}

// ID returns the id of a cluster: site/namespace/name.
func ID(s Spec) string { return s.Site + "/" + s.Namespace + "/" + s.Name }

// ParseID splits an id into site, namespace and name.
func ParseID(id string) (siteName, namespace, name string, err error) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", engine.InvalidInput("id", "%q is not a cluster id of the form site/namespace/name", id)
	}
	return parts[0], parts[1], parts[2], nil
}
