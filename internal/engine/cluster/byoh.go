package cluster

import (
	"net/netip"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
)

// kubeVIPImage serves the control plane endpoint's virtual IP on the
// control plane hosts of a byoh cluster.
const kubeVIPImage = "ghcr.io/kube-vip/kube-vip:v0.5.0"

// kubeVIPManifest is kube-vip's static pod, as in BYOH's cluster template.
// BYOH's agent fills in {{ .DefaultNetworkInterfaceName }}.
const kubeVIPManifest = `apiVersion: v1
kind: Pod
metadata:
  name: kube-vip
  namespace: kube-system
spec:
  containers:
  - args: [manager]
    env:
    - {name: cp_enable, value: "true"}
    - {name: vip_arp, value: "true"}
    - {name: vip_leaderelection, value: "true"}
    - {name: vip_address, value: "VIP"}
    - {name: vip_interface, value: "{{ .DefaultNetworkInterfaceName }}"}
    - {name: vip_leaseduration, value: "15"}
    - {name: vip_renewdeadline, value: "10"}
    - {name: vip_retryperiod, value: "2"}
    image: ` + kubeVIPImage + `
    imagePullPolicy: IfNotPresent
    name: kube-vip
    securityContext:
      capabilities:
        add: [NET_ADMIN, NET_RAW]
    volumeMounts:
    - {mountPath: /etc/kubernetes/admin.conf, name: kubeconfig}
  hostNetwork: true
  hostAliases:
  - hostnames: [kubernetes]
    ip: 127.0.0.1
  volumes:
  - name: kubeconfig
    hostPath: {path: /etc/kubernetes/admin.conf, type: FileOrCreate}
`

// byohNodeRegistration is the nodeRegistration of BYOH hosts: containerd,
// and the preflight checks that fail on hosts prepared by the BYOH agent.
func byohNodeRegistration() bootstrapv1.NodeRegistrationOptions {
	return bootstrapv1.NodeRegistrationOptions{
		CRISocket:             "unix:///var/run/containerd/containerd.sock",
		IgnorePreflightErrors: []string{"Swap", "DirAvailable--etc-kubernetes-manifests", "FileAvailable--etc-kubernetes-kubelet.conf"},
	}
}

// kubeVIPSuperAdmin and kubeVIPAdmin switch kube-vip's kubeconfig on the
// first control plane host around kubeadm init. From Kubernetes 1.29 kubeadm
// binds admin.conf to cluster-admin through RBAC only at the end of init,
// so until then kube-vip, which must serve the virtual IP for init to
// finish, needs super-admin.conf (written only on that host). Other
// control plane hosts join, and admin.conf works there.
const (
	kubeVIPSuperAdmin = `if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i 's#path: /etc/kubernetes/admin.conf#path: /etc/kubernetes/super-admin.conf#' /etc/kubernetes/manifests/kube-vip.yaml; fi`
	kubeVIPAdmin      = `if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i 's#path: /etc/kubernetes/super-admin.conf#path: /etc/kubernetes/admin.conf#' /etc/kubernetes/manifests/kube-vip.yaml; fi`
)

// needsSuperAdminConf reports whether kubeadm of version (v1.MINOR.PATCH,
// as Validate accepts) writes super-admin.conf, that is from 1.29 on.
func needsSuperAdminConf(version string) bool {
	parts := strings.Split(strings.TrimPrefix(version, "v"), ".")
	if len(parts) < 2 {
		return false
	}
	minor, err := strconv.Atoi(parts[1])
	return err == nil && parts[0] == "1" && minor >= 29
}

// byohMachineTemplate selects the hosts of a pool (or of the control plane)
// by label. Hosts must have the Kubernetes binaries installed: no
// installerRef is set.
func byohMachineTemplate(s Spec, name, pool string, selector map[string]string) *unstructured.Unstructured {
	spec := map[string]any{}
	if len(selector) > 0 {
		ml := map[string]any{}
		for k, v := range selector {
			ml[k] = v
		}
		spec["selector"] = map[string]any{"matchLabels": ml}
	}
	return newInfraObject(byohGroupVersion, "ByoMachineTemplate", objectMeta(s, name, pool), map[string]any{"template": map[string]any{"spec": spec}})
}

// byohObjects is the object set of a byoh cluster, the Cluster first: the
// ByoCluster holds the control plane endpoint, which kube-vip serves on the
// control plane hosts when it is an IP address.
func byohObjects(s Spec) []object {
	cp := ControlPlaneName(s.Name)
	kcs := bootstrapv1.KubeadmConfigSpec{
		ClusterConfiguration: bootstrapv1.ClusterConfiguration{APIServer: bootstrapv1.APIServer{CertSANs: []string{"localhost", "127.0.0.1", s.ControlPlane.EndpointHost}}},
		InitConfiguration:    bootstrapv1.InitConfiguration{NodeRegistration: byohNodeRegistration()},
		JoinConfiguration:    bootstrapv1.JoinConfiguration{NodeRegistration: byohNodeRegistration()},
	}
	if _, err := netip.ParseAddr(s.ControlPlane.EndpointHost); err == nil {
		kcs.Files = []bootstrapv1.File{{
			Path: "/etc/kubernetes/manifests/kube-vip.yaml", Owner: "root:root",
			Content: strings.Replace(kubeVIPManifest, `"VIP"`, `"`+s.ControlPlane.EndpointHost+`"`, 1),
		}}
		if needsSuperAdminConf(s.KubernetesVersion) {
			kcs.PreKubeadmCommands = []string{kubeVIPSuperAdmin}
			kcs.PostKubeadmCommands = []string{kubeVIPAdmin}
		}
	}
	objs := []object{
		clusterObject(s),
		newInfraObject(byohGroupVersion, "ByoCluster", objectMeta(s, s.Name, ""), map[string]any{
			"controlPlaneEndpoint": map[string]any{"host": s.ControlPlane.EndpointHost, "port": s.ControlPlane.EndpointPort},
		}),
		byohMachineTemplate(s, cp, "", s.ControlPlane.HostSelector),
		kubeadmControlPlane(s, "ByoMachineTemplate", kcs),
	}
	for _, p := range s.WorkerPools {
		objs = append(objs, byohPoolObjects(s, p)...)
	}
	return objs
}

// byohPoolObjects is the object set of one worker pool of a byoh cluster:
// its ByoMachineTemplate (with the pool's host selector), its
// KubeadmConfigTemplate (with its taints) and its MachineDeployment, last.
func byohPoolObjects(s Spec, p WorkerPool) []object {
	n := MachineDeploymentName(s.Name, p.Name)
	return []object{
		byohMachineTemplate(s, n, p.Name, p.HostSelector),
		kubeadmConfigTemplate(s, p, byohNodeRegistration()),
		machineDeployment(s, p, "ByoMachineTemplate"),
	}
}
