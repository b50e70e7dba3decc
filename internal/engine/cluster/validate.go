package cluster

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
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
// front-ends can report it at plan time; all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks that need an unknown argument are
// skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if err := registry.ValidateName(s.Site); err != nil {
		v.Add("site", "%v", err)
	}
	if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
		v.Add("namespace", "%q is not a namespace name: %s", s.Namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
		v.Add("name", "%q is not a valid cluster name: %s", s.Name, strings.Join(errs, "; "))
	}
	if !VersionPattern.MatchString(s.KubernetesVersion) {
		v.Add("kubernetes_version", "%q is not a Kubernetes version such as v1.36.0", s.KubernetesVersion)
	}
	infra := infrastructureOf(s)
	if infra != InfrastructureBYOH && infra != InfrastructureInMemory {
		v.Add("infrastructure", "%q is not one of %q, %q", s.Infrastructure, InfrastructureBYOH, InfrastructureInMemory)
	}
	if !v.Known("infrastructure") {
		infra = "" // checks that depend on the infrastructure wait for it
	}
	if s.Topology != nil {
		validateTopology(v, s)
		infra = "" // the class decides the endpoint and the hosts
	}
	validateControlPlane(v, s.ControlPlane, infra)
	validateLabels(v, "labels", s.Labels)
	validateNetwork(v, s)
	validateEndpointOutsideNetworks(v, s)
	seen := map[string]int{}
	for i, p := range s.WorkerPools {
		path := fmt.Sprintf("worker_pools[%d]", i)
		namePath := path + ".name"
		if errs := validation.IsDNS1123Label(p.Name); len(errs) > 0 {
			v.Add(namePath, "%q is not a valid pool name: %s", p.Name, strings.Join(errs, "; "))
		} else if p.Name == "control-plane" {
			v.Add(namePath, "%q is reserved for the control plane", p.Name)
		}
		if v.Known(namePath) {
			if j, dup := seen[p.Name]; dup {
				v.Add(namePath, "pool %q is already defined by worker_pools[%d]", p.Name, j)
			}
			seen[p.Name] = i
			if n := len(MachineDeploymentName(s.Name, p.Name)); v.Known("name") && n > validation.DNS1123LabelMaxLength {
				v.Add(namePath, "cluster name and pool name together are %d characters long, more than %d", n+1, validation.DNS1123LabelMaxLength+1)
			}
		}
		if p.Replicas < 0 {
			v.Add(path+".replicas", "must not be negative, got %d", p.Replicas)
		}
		if len(p.HostSelector) > 0 && infra == InfrastructureInMemory {
			v.Add(path+".host_selector", "only applies to byoh infrastructure")
		}
		validateLabels(v, path+".host_selector", p.HostSelector)
		validateLabels(v, path+".labels", p.Labels)
		taints := map[[2]string]int{}
		for j, t := range p.Taints {
			tp := fmt.Sprintf("%s.taints[%d]", path, j)
			if k, dup := taints[[2]string{t.Key, t.Effect}]; dup && v.Known(tp) {
				v.Add(tp, "taint key %q with effect %s is already set by %s.taints[%d]: Kubernetes takes one taint per key and effect", t.Key, t.Effect, path, k)
			}
			taints[[2]string{t.Key, t.Effect}] = j
			if errs := validation.IsQualifiedName(t.Key); len(errs) > 0 {
				v.Add(tp+".key", "taint key %q is invalid: %s", t.Key, strings.Join(errs, "; "))
			}
			if errs := validation.IsValidLabelValue(t.Value); len(errs) > 0 {
				v.Add(tp+".value", "taint value %q is invalid: %s", t.Value, strings.Join(errs, "; "))
			}
			switch t.Effect {
			case "NoSchedule", "PreferNoSchedule", "NoExecute":
			default:
				v.Add(tp+".effect", "%q is not one of NoSchedule, PreferNoSchedule, NoExecute", t.Effect)
			}
		}
	}
	return v.Err()
}

// validateControlPlane checks the control plane; infra is empty while the
// infrastructure is unknown.
func validateControlPlane(v *engine.Validation, cp ControlPlane, infra string) {
	if cp.Replicas < 1 || cp.Replicas%2 == 0 {
		v.Add("control_plane.replicas", "must be odd and at least 1 (etcd needs a majority), got %d", cp.Replicas)
	}
	switch infra {
	case InfrastructureBYOH:
		if cp.EndpointHost == "" {
			v.Add("control_plane.endpoint_host", "the byoh infrastructure needs the control plane endpoint (a virtual IP or load balancer address)")
		} else if cp.EndpointPort == 0 {
			v.Add("control_plane.endpoint_port", "the byoh infrastructure needs the control plane endpoint's port, usually 6443")
		}
	case InfrastructureInMemory:
		if cp.EndpointHost != "" || cp.EndpointPort != 0 {
			v.Add("control_plane.endpoint_host", "the in_memory infrastructure sets the control plane endpoint itself: leave it unset")
		}
	}
	if cp.EndpointHost != "" {
		if addr, err := netip.ParseAddr(cp.EndpointHost); err == nil {
			if why := unusableEndpoint(addr); why != "" {
				v.Add("control_plane.endpoint_host", "%s is %s: the control plane endpoint must be an address every machine of the cluster reaches, such as a virtual IP", addr, why)
			}
		} else if errs := validation.IsDNS1123Subdomain(cp.EndpointHost); len(errs) > 0 {
			v.Add("control_plane.endpoint_host", "%q is neither an IP address nor a host name", cp.EndpointHost)
		} else if strings.EqualFold(cp.EndpointHost, "localhost") || strings.HasSuffix(strings.ToLower(cp.EndpointHost), ".localhost") {
			v.Add("control_plane.endpoint_host", "%q names the loopback interface: the control plane endpoint must be an address every machine of the cluster reaches, such as a virtual IP", cp.EndpointHost)
		}
	}
	if len(cp.HostSelector) > 0 && infra == InfrastructureInMemory {
		v.Add("control_plane.host_selector", "only applies to byoh infrastructure")
	}
	validateLabels(v, "control_plane.host_selector", cp.HostSelector)
	if cp.EndpointPort < 0 || cp.EndpointPort > 65535 {
		v.Add("control_plane.endpoint_port", "%d is not a port number", cp.EndpointPort)
	}
}

func validateLabels(v *engine.Validation, path string, labels map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.Add(path, "label key %q is invalid: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(labels[k]); len(errs) > 0 {
			v.Add(path, "label value %q of %q is invalid: %s", labels[k], k, strings.Join(errs, "; "))
		}
	}
}

// validateEndpointOutsideNetworks checks that the control plane endpoint
// is not an address of the pod or service range: inside the cluster, that
// address would lead to a pod or a service instead of the API server.
func validateEndpointOutsideNetworks(v *engine.Validation, s Spec) {
	addr, err := netip.ParseAddr(s.ControlPlane.EndpointHost)
	if err != nil || !v.Known("pod_cidrs", "service_cidrs") {
		return
	}
	for _, l := range []struct {
		path  string
		cidrs []string
		def   string
	}{{"pod_cidrs", s.PodCIDRs, DefaultPodCIDR}, {"service_cidrs", s.ServiceCIDRs, DefaultServiceCIDR}} {
		cidrs := l.cidrs
		if len(cidrs) == 0 {
			cidrs = []string{l.def}
		}
		for _, c := range cidrs {
			if p, err := netip.ParsePrefix(c); err == nil && p.Contains(addr) {
				v.Add("control_plane.endpoint_host", "%s is inside %s %s: inside the cluster that address is not the API server's; pick an endpoint outside the pod and service ranges", addr, l.path, c)
			}
		}
	}
}

// families names the IP families of cidrs ("IPv4", "IPv6" or "IPv4 and
// IPv6"); "" when one does not parse.
func families(cidrs []string) string {
	var v4, v6 bool
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return ""
		}
		v4, v6 = v4 || p.Addr().Is4(), v6 || !p.Addr().Is4()
	}
	switch {
	case v4 && v6:
		return "IPv4 and IPv6"
	case v6:
		return "IPv6"
	}
	return "IPv4"
}

// unusableEndpoint tells why addr cannot be a control plane endpoint that
// other machines reach, or "".
func unusableEndpoint(addr netip.Addr) string {
	switch {
	case addr.IsUnspecified():
		return "the unspecified address"
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsMulticast():
		return "a multicast address"
	case addr.IsLinkLocalUnicast():
		return "a link-local address"
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	return ""
}

// Kubernetes' limits on the network ranges: kube-apiserver refuses a
// service range of more than 20 bits (--service-cluster-ip-range), and
// kube-controller-manager cuts each node a /24 (IPv4) or /64 (IPv6) of the
// pod range and refuses a range more than 16 bits larger than that, or
// smaller than it.
const (
	maxServiceBits    = 20
	nodeMaskIPv4      = 24
	nodeMaskIPv6      = 64
	maxNodeSubnetBits = 16
)

// validateFamilies checks a pod or service range list against kubeadm's
// rules: at most one range per IP family (two for dual stack), each of a
// size Kubernetes accepts.
func validateFamilies(v *engine.Validation, path string, cidrs []string) {
	seen := map[bool]int{}
	for i, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil || p.Masked() != p {
			continue // reported by validateNetwork
		}
		el := fmt.Sprintf("%s[%d]", path, i)
		family := "IPv6"
		if p.Addr().Is4() {
			family = "IPv4"
		}
		if j, dup := seen[p.Addr().Is4()]; dup {
			v.Add(el, "%s is a second %s range beside %s[%d]: Kubernetes takes one range per IP family (two for dual stack)", c, family, path, j)
			continue
		}
		seen[p.Addr().Is4()] = i
		bits := p.Addr().BitLen() - p.Bits()
		switch path {
		case "service_cidrs":
			if bits > maxServiceBits {
				v.Add(el, "%s is too large for a service range: kube-apiserver takes at most %d bits of addresses (a /%d for %s)", c, maxServiceBits, p.Addr().BitLen()-maxServiceBits, family)
			}
		case "pod_cidrs":
			node := nodeMaskIPv4
			if !p.Addr().Is4() {
				node = nodeMaskIPv6
			}
			if p.Bits() > node {
				v.Add(el, "%s is smaller than the /%d each node gets from the pod range: use a /%d or larger", c, node, node)
			} else if node-p.Bits() > maxNodeSubnetBits {
				v.Add(el, "%s is too large: kube-controller-manager cuts it into /%d node ranges and takes at most %d bits of them (a /%d or smaller)", c, node, maxNodeSubnetBits, node-maxNodeSubnetBits)
			}
		}
	}
}

// validateNetwork checks that every CIDR parses and that no two overlap.
func validateNetwork(v *engine.Validation, s Spec) {
	if v.Known("pod_cidrs") {
		validateFamilies(v, "pod_cidrs", s.PodCIDRs)
	}
	if v.Known("service_cidrs") {
		validateFamilies(v, "service_cidrs", s.ServiceCIDRs)
	}
	if v.Known("pod_cidrs", "service_cidrs") {
		pods, services := families(orDefault(s.PodCIDRs, DefaultPodCIDR)), families(orDefault(s.ServiceCIDRs, DefaultServiceCIDR))
		if pods != "" && services != "" && pods != services {
			v.Add("pod_cidrs", "the pod ranges are %s but the service ranges are %s: Kubernetes needs both of the same IP families (set service_cidrs to match)", pods, services)
		}
	}
	// Overlaps are checked only when both lists are known.
	overlaps := v.Known("pod_cidrs", "service_cidrs")
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
				v.Add(l.path, "%q (element %d) is not a CIDR block such as 192.168.0.0/16", c, i)
				continue
			}
			if p.Masked() != p {
				v.Add(l.path, "%q (element %d) has host bits set: use %s", c, i, p.Masked())
				continue
			}
			for _, b := range blocks {
				if overlaps && b.prefix.Overlaps(p) {
					v.Add(l.path, "%s overlaps %s of %s", c, b.prefix, b.path)
					break
				}
			}
			blocks = append(blocks, block{l.path, p})
		}
	}
	if overlaps && (len(s.PodCIDRs) == 0 || len(s.ServiceCIDRs) == 0) {
		// The defaults fill in what is missing; they must not clash with
		// what is given.
		for _, d := range []struct{ path, cidr string }{{"pod_cidrs", DefaultPodCIDR}, {"service_cidrs", DefaultServiceCIDR}} {
			if (d.path == "pod_cidrs" && len(s.PodCIDRs) > 0) || (d.path == "service_cidrs" && len(s.ServiceCIDRs) > 0) {
				continue
			}
			p := netip.MustParsePrefix(d.cidr)
			for _, b := range blocks {
				if b.prefix.Overlaps(p) {
					v.Add(b.path, "%s overlaps the default %s %s: set %s explicitly", b.prefix, d.path, d.cidr, d.path)
				}
			}
		}
	}
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
