package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The workload cluster.
//
// Besides the platform's own cluster the sandbox runs a second, independent
// Kubernetes cluster that Argo CD can deploy into, as a brownfield cluster
// that Cluster API did not make: its own kube-apiserver (on the platform's
// etcd under its own key prefix, with its own ServiceAccount issuer and
// keys and its own service range), kube-controller-manager, kube-scheduler
// and kwok with one fake node, so that Deployments become Available. Its
// serving certificate and client CA are the sandbox's, so the admin
// kubeconfig works for both. A ServiceAccount bound to cluster-admin in it,
// mc-system/mc-workload-admin, gives the bearer token with which Argo CD
// (and mc_cluster_registration) reach it.

// Names of the workload cluster's parts.
const (
	// WorkloadAPIServerName is the component name of the workload cluster's kube-apiserver.
	WorkloadAPIServerName = "workload-kube-apiserver"
	// WorkloadControllerManagerName is the component name of its kube-controller-manager.
	WorkloadControllerManagerName = "workload-kube-controller-manager"
	// WorkloadSchedulerName is the component name of its kube-scheduler.
	WorkloadSchedulerName = "workload-kube-scheduler"
	// WorkloadKwokName is the component name of its kwok.
	WorkloadKwokName = "workload-kwok"
	// WorkloadAdminSA is the ServiceAccount, in MCNamespace of the workload
	// cluster, whose token Platform.WorkloadToken is.
	WorkloadAdminSA = "mc-workload-admin"
	// workloadEtcdPrefix keeps the workload cluster's keys apart from the
	// platform's in the shared etcd.
	workloadEtcdPrefix = "/mc-workload"
	// workloadIssuer is the workload cluster's ServiceAccount token issuer:
	// not the platform's, so neither cluster accepts the other's tokens.
	workloadIssuer = "https://kubernetes.default.svc.workload.local"
)

// WorkloadComponents are the component names of the workload cluster.
var WorkloadComponents = []string{WorkloadAPIServerName, WorkloadControllerManagerName, WorkloadSchedulerName, WorkloadKwokName}

// WorkloadRESTConfig returns an admin (system:masters client certificate)
// config for the workload cluster's kube-apiserver.
func (p *Platform) WorkloadRESTConfig() (*rest.Config, error) {
	if p.WorkloadServerURL == "" {
		return nil, errors.New("the platform runs no workload cluster (started by an older mc-sandbox? run mc-sandbox down and up)")
	}
	cfg, err := p.RESTConfig()
	if err != nil {
		return nil, err
	}
	cfg.Host = p.WorkloadServerURL
	return cfg, nil
}

// startWorkload starts the workload cluster and waits until its node is
// Ready and its default ServiceAccount exists; it needs only etcd.
func (s *starter) startWorkload(ctx context.Context) error {
	saKey, saPub := s.state("pki", "workload-sa.key"), s.state("pki", "workload-sa.pub")
	if err := ensureRSAKeyPair(saKey, saPub); err != nil {
		return fmt.Errorf("cannot make the workload cluster's ServiceAccount keys: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	pk := s.pki
	args := []string{
		"--etcd-servers=" + s.p.EtcdURL,
		"--etcd-prefix=" + workloadEtcdPrefix,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + s.state("pki", "workload-apiserver"),
		"--tls-cert-file=" + pk.serverCert,
		"--tls-private-key-file=" + pk.serverKey,
		"--client-ca-file=" + pk.caCert,
		"--service-account-issuer=" + workloadIssuer,
		"--service-account-key-file=" + saPub,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.97.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--v=1",
	}
	if _, err := s.start(WorkloadAPIServerName, s.bins.apiserver, url, args, nil); err != nil {
		return fmt.Errorf("cannot start the workload kube-apiserver: %w", err)
	}
	kubeconfig := s.state("workload-kubeconfig")
	if err := writeKubeconfig(kubeconfig, url, pk.caPEM, pk.adminCertPEM, pk.adminKeyPEM); err != nil {
		return err
	}
	cfg := &rest.Config{
		Host:            url,
		TLSClientConfig: rest.TLSClientConfig{CAData: pk.caPEM, CertData: pk.adminCertPEM, KeyData: pk.adminKeyPEM},
		QPS:             100, Burst: 200,
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := s.waitProc(ctx, WorkloadAPIServerName, "workload kube-apiserver /readyz", 120*time.Second, func(ctx context.Context) error { return apiReady(ctx, cfg) }); err != nil {
		return err
	}
	if err := waitFor(ctx, "the workload cluster's cluster-admin ClusterRole", 60*time.Second, func(ctx context.Context) error {
		_, err := cs.RbacV1().ClusterRoles().Get(ctx, "cluster-admin", metav1.GetOptions{})
		return err
	}); err != nil {
		return err
	}
	node := "workload-node-0"
	var token string
	if err := parallel(
		func() error { return s.startWorkloadKCM(ctx, kubeconfig, saKey) },
		func() error { return s.startWorkloadScheduler(ctx, kubeconfig) },
		func() error { return s.runKwok(ctx, WorkloadKwokName, kubeconfig, cs, []string{node}) },
		func() error {
			var err error
			token, err = adminTokenIn(ctx, cs, MCNamespace, WorkloadAdminSA)
			return err
		},
	); err != nil {
		return err
	}
	if err := parallel(
		func() error { return waitNodesReady(ctx, cs, []string{node}) },
		func() error { return waitDefaultSAIn(ctx, cs) },
	); err != nil {
		return fmt.Errorf("workload cluster: %w", err)
	}
	s.mu.Lock()
	s.p.WorkloadServerURL, s.p.WorkloadKubeconfigPath, s.p.WorkloadToken = url, kubeconfig, token
	s.p.WorkloadCAFile, s.p.WorkloadNodes = pk.caCert, []string{node}
	s.mu.Unlock()
	return nil
}

// workloadComponentArgs are the common flags of the workload cluster's
// controller manager and scheduler.
func (s *starter) workloadComponentArgs(kubeconfig string, port int, name string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + s.state("pki", name),
		"--leader-elect=false",
		"--v=1",
	}
}

func (s *starter) startWorkloadKCM(ctx context.Context, kubeconfig, saKey string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	args := append(s.workloadComponentArgs(kubeconfig, port, WorkloadControllerManagerName),
		"--service-account-private-key-file="+saKey,
		"--root-ca-file="+s.pki.caCert,
		"--use-service-account-credentials=true",
		"--cluster-signing-cert-file="+s.pki.caCert,
		"--cluster-signing-key-file="+s.pki.caKey,
	)
	if _, err := s.start(WorkloadControllerManagerName, s.bins.kcm, url, args, nil); err != nil {
		return fmt.Errorf("cannot start the workload kube-controller-manager: %w", err)
	}
	return s.waitProc(ctx, WorkloadControllerManagerName, "workload kube-controller-manager /healthz", 60*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, insecureClient, url+"/healthz")
	})
}

func (s *starter) startWorkloadScheduler(ctx context.Context, kubeconfig string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	if _, err := s.start(WorkloadSchedulerName, s.bins.scheduler, url, s.workloadComponentArgs(kubeconfig, port, WorkloadSchedulerName), nil); err != nil {
		return fmt.Errorf("cannot start the workload kube-scheduler: %w", err)
	}
	return s.waitProc(ctx, WorkloadSchedulerName, "workload kube-scheduler /healthz", 60*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, insecureClient, url+"/healthz")
	})
}

// ensureRSAKeyPair writes an RSA private key to keyPath and its public key
// to pubPath, unless pubPath exists (it is written last).
func ensureRSAKeyPair(keyPath, pubPath string) error {
	if _, err := os.Stat(pubPath); err == nil {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	return os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600)
}

// workloadHealthy reports whether the workload cluster answers, when the
// platform has one.
func (p *Platform) workloadHealthy(ctx context.Context) bool {
	if p.WorkloadServerURL == "" {
		return true
	}
	cfg, err := p.WorkloadRESTConfig()
	if err != nil {
		return false
	}
	return apiReady(ctx, cfg) == nil
}
