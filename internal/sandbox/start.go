package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// starter carries the state of one Up.
type starter struct {
	o       Options
	bins    *binaries
	started time.Time
	pki     *pki
	p       *Platform
	order   int
	mu      sync.Mutex
	cs      kubernetes.Interface
	dyn     dynamic.Interface
	cfg     *rest.Config
	env     []string // extra environment of the kube components
	capi    []*capiManager
}

func (s *starter) state(parts ...string) string {
	return filepath.Join(append([]string{s.o.StateDir}, parts...)...)
}

// step runs f and records its duration.
func (s *starter) step(name string, f func() error) error {
	t0 := time.Now()
	err := f()
	d := time.Since(t0).Round(time.Millisecond)
	s.mu.Lock()
	s.p.Timings = append(s.p.Timings, Timing{Step: name, Duration: d})
	s.mu.Unlock()
	if err != nil {
		s.o.Logf("%s: failed after %s: %v", name, d, err)
		return err
	}
	s.o.Logf("%s: ready in %s", name, d)
	return nil
}

func (s *starter) start(name, path, url string, args, env []string) (*procRecord, error) {
	s.mu.Lock()
	s.order++
	order := s.order
	s.mu.Unlock()
	rec, err := startProcess(s.o.StateDir, name, path, args, env, order)
	if err != nil {
		return nil, err
	}
	rec.URL = url
	s.mu.Lock()
	s.p.Components = append(s.p.Components, rec)
	s.mu.Unlock()
	return rec, nil
}

// waitProc waits like waitFor, but fails at once, with the end of its log,
// when the process name has exited.
func (s *starter) waitProc(ctx context.Context, name, what string, timeout time.Duration, check func(context.Context) error) error {
	return waitFor(ctx, what, timeout, func(ctx context.Context) error {
		s.mu.Lock()
		var rec *procRecord
		for _, r := range s.p.Components {
			if r.Name == name {
				rec = r
			}
		}
		s.mu.Unlock()
		if rec != nil && !rec.alive() {
			return &permanentError{fmt.Errorf("%s exited; end of %s:\n%s", name, rec.Log, logTail(rec.Log, 15))}
		}
		return check(ctx)
	})
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 400 {
			lines[i] = l[:400] + "..."
		}
	}
	return "    " + strings.Join(lines, "\n    ")
}

// parallel runs fs concurrently and returns the first error.
func parallel(fs ...func() error) error {
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f() }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *starter) run(ctx context.Context) (*Platform, error) {
	o := s.o
	s.pki = newPKI(s.state("pki"))
	s.p = &Platform{
		StateDir:          o.StateDir,
		KubeconfigPath:    s.state("kubeconfig"),
		EnvPath:           s.state("env"),
		Namespace:         MCNamespace,
		ArgoCDNamespace:   ArgoCDNamespace,
		ArgoCDClusterName: ArgoCDClusterName,
		GitRoot:           s.state("git"),
		GitUsername:       "mc-git",
		GitPassword:       randomHex(16),
	}
	ok := false
	defer func() {
		if !ok {
			_ = Down(o.StateDir)
		}
	}()

	if err := s.step("certificates", s.pki.ensure); err != nil {
		return nil, err
	}
	s.p.CACertPEM, s.p.adminCertPEM, s.p.adminKeyPEM = s.pki.caPEM, s.pki.adminCertPEM, s.pki.adminKeyPEM

	// etcd and the git server need nothing else.
	if err := parallel(
		func() error { return s.step("etcd", func() error { return s.startEtcd(ctx) }) },
		func() error { return s.step("git server", func() error { return s.startGit(ctx) }) },
		func() error { return s.step("redis", func() error { return s.startRedis(ctx) }) },
		func() error { return s.step("harbor sites", func() error { return s.startHarbors(ctx) }) },
		func() error { return s.step("jira", func() error { return s.startJira(ctx) }) },
		func() error { return s.step("bitbucket", func() error { return s.startBitbucket(ctx) }) },
	); err != nil {
		return nil, err
	}
	// The workload cluster needs only etcd: it starts beside the rest and
	// is waited for at the end.
	workloadCtx, stopWorkload := context.WithCancel(ctx)
	workload := make(chan error, 1)
	go func() {
		workload <- s.step("workload cluster", func() error { return s.startWorkload(workloadCtx) })
	}()
	workloadJoined := false
	defer func() {
		if !workloadJoined {
			stopWorkload()
			<-workload
		}
	}()
	if err := s.step("kube-apiserver", func() error { return s.startAPIServer(ctx) }); err != nil {
		return nil, err
	}
	if err := s.prepareCAPI(); err != nil {
		return nil, err
	}
	if err := parallel(
		func() error { return s.step("kube-controller-manager", func() error { return s.startKCM(ctx) }) },
		func() error { return s.step("kube-scheduler", func() error { return s.startScheduler(ctx) }) },
		func() error { return s.step("kwok", func() error { return s.startKwok(ctx) }) },
		func() error {
			return s.step("argocd CRDs", func() error { return s.installCRDs(ctx, filepath.Join(s.bins.argocdFiles, "crds"), nil) })
		},
		func() error {
			return s.step("cluster-api CRDs", func() error { return s.installCAPICRDs(ctx) })
		},
		func() error { return s.step("byoh CRDs", func() error { return installBYOHCRDs(ctx, s.dyn) }) },
		func() error { return s.step("mc-system and mc-admin", func() error { return s.setupMCSystem(ctx) }) },
		func() error {
			return s.step("bitbucket templates", func() error { return SeedTemplates(ctx, s.p.Bitbucket) })
		},
		func() error { return s.step("task runner", func() error { return s.startTaskRunner(ctx) }) },
	); err != nil {
		return nil, err
	}
	if err := parallel(
		func() error { return s.step("argocd", func() error { return s.startArgoCD(ctx) }) },
		func() error { return s.step("nodes ready", func() error { return s.waitNodes(ctx) }) },
		func() error { return s.step("default service account", func() error { return s.waitDefaultSA(ctx) }) },
		func() error { return s.startCAPI(ctx) },
	); err != nil {
		return nil, err
	}
	workloadJoined = true
	err := <-workload
	stopWorkload()
	if err != nil {
		return nil, err
	}
	total := time.Since(s.started).Round(time.Millisecond)
	s.p.Timings = append(s.p.Timings, Timing{Step: "total", Duration: total})
	if err := writeJSON(s.state("platform.json"), s.p); err != nil {
		return nil, err
	}
	if err := s.writeEnv(); err != nil {
		return nil, err
	}
	ok = true
	o.Logf("sandbox ready in %s", total)
	return s.p, nil
}

func (s *starter) writeEnv() error {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"MC_KUBECONFIG", s.p.KubeconfigPath},
		{"MC_NAMESPACE", MCNamespace},
		{"MC_SANDBOX_DIR", s.o.StateDir},
		{"MC_SANDBOX_GIT_URL", s.p.GitURL},
		{"MC_SANDBOX_GIT_USERNAME", s.p.GitUsername},
		{"MC_SANDBOX_GIT_PASSWORD", s.p.GitPassword},
		{"MC_SANDBOX_ARGOCD_URL", s.p.ArgoCDServerURL},
		{"MC_SANDBOX_HARBOR_A_URL", s.p.Harbors[HarborSiteA].URL},
		{"MC_SANDBOX_HARBOR_B_URL", s.p.Harbors[HarborSiteB].URL},
		{"MC_SANDBOX_HARBOR_A_REGISTRY", s.p.Harbors[HarborSiteA].RegistryURL},
		{"MC_SANDBOX_HARBOR_B_REGISTRY", s.p.Harbors[HarborSiteB].RegistryURL},
		{"MC_SANDBOX_HARBOR_USERNAME", HarborAdmin},
		{"MC_SANDBOX_HARBOR_PASSWORD", s.p.Harbors[HarborSiteA].Password},
		{"MC_SANDBOX_JIRA_URL", s.p.Jira.URL},
		{"MC_SANDBOX_JIRA_EMAIL", s.p.Jira.Email},
		{"MC_SANDBOX_JIRA_API_TOKEN", s.p.Jira.APIToken},
		{"MC_SANDBOX_BITBUCKET_URL", s.p.Bitbucket.URL},
		{"MC_SANDBOX_BITBUCKET_USERNAME", s.p.Bitbucket.Username},
		{"MC_SANDBOX_BITBUCKET_PASSWORD", s.p.Bitbucket.Password},
		{"MC_SANDBOX_BITBUCKET_WORKSPACE", s.p.Bitbucket.Workspace},
		{"MC_SANDBOX_TEMPLATE_SOURCE_REPO", s.p.Bitbucket.TemplateURL(TemplateGoService)},
		{"MC_SANDBOX_TEMPLATE_YAML_REPO", s.p.Bitbucket.TemplateURL(TemplateGoServiceYAML)},
		{"MC_SANDBOX_WORKLOAD_SERVER", s.p.WorkloadServerURL},
		{"MC_SANDBOX_WORKLOAD_CA_FILE", s.p.WorkloadCAFile},
		{"MC_SANDBOX_WORKLOAD_TOKEN", s.p.WorkloadToken},
		{"MC_SANDBOX_WORKLOAD_KUBECONFIG", s.p.WorkloadKubeconfigPath},
		{"MC_SANDBOX_TASKRUNNER_SITE", s.p.TaskRunner.Site},
		{"MC_SANDBOX_TASKRUNNER_NAMESPACE", s.p.TaskRunner.Namespace},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return os.WriteFile(s.p.EnvPath, []byte(b.String()), 0o600)
}

func shellQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }

func (s *starter) startEtcd(ctx context.Context) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	args := []string{
		"--name=sandbox",
		"--data-dir=" + s.state("etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=sandbox=" + peer,
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=4294967296",
		"--log-level=warn",
	}
	if _, err := s.start("etcd", s.bins.etcd, client, args, nil); err != nil {
		return fmt.Errorf("cannot start etcd: %w", err)
	}
	s.p.EtcdURL = client
	return s.waitProc(ctx, "etcd", "etcd", 60*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, client+"/health")
	})
}

func (s *starter) startGit(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.p.GitRoot, 0o755); err != nil {
		return err
	}
	pwFile := s.state("pki", "git-password")
	if err := os.WriteFile(pwFile, []byte(s.p.GitPassword), 0o600); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.p.GitURL = "http://" + addr
	env := []string{envChild + "=" + childServeGit, envGitRoot + "=" + s.p.GitRoot, envGitAddr + "=" + addr,
		envGitUser + "=" + s.p.GitUsername, envGitPassFile + "=" + pwFile}
	// The args only label the process in ps; RunChildIfRequested reads the env.
	if _, err := s.start("git", self, s.p.GitURL, []string{"serve-git", "--root", s.p.GitRoot, "--addr", addr}, env); err != nil {
		return fmt.Errorf("cannot start the git server: %w", err)
	}
	return s.waitProc(ctx, "git", "git server", 30*time.Second, func(ctx context.Context) error { return tcpOpen(ctx, addr) })
}

func (s *starter) startRedis(ctx context.Context) error {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New("cannot start redis: redis-server is not installed; install it with `apt-get install redis-server`")
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	dir := s.state("redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--daemonize", "no", "--dir", dir, "--logfile", ""}
	if _, err := s.start("redis", path, "redis://"+addr, args, nil); err != nil {
		return fmt.Errorf("cannot start redis: %w", err)
	}
	s.p.RedisAddr = addr
	return s.waitProc(ctx, "redis", "redis", 30*time.Second, func(ctx context.Context) error { return tcpOpen(ctx, addr) })
}

func (s *starter) startAPIServer(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.p.APIServerURL = fmt.Sprintf("https://127.0.0.1:%d", port)
	pk := s.pki
	args := []string{
		"--etcd-servers=" + s.p.EtcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + s.state("pki", "apiserver"),
		"--tls-cert-file=" + pk.serverCert,
		"--tls-private-key-file=" + pk.serverKey,
		"--client-ca-file=" + pk.caCert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pk.saPub,
		"--service-account-signing-key-file=" + pk.saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--v=1",
	}
	if _, err := s.start("kube-apiserver", s.bins.apiserver, s.p.APIServerURL, args, nil); err != nil {
		return fmt.Errorf("cannot start kube-apiserver: %w", err)
	}
	if err := writeKubeconfig(s.p.KubeconfigPath, s.p.APIServerURL, pk.caPEM, pk.adminCertPEM, pk.adminKeyPEM); err != nil {
		return err
	}
	cfg, err := s.p.RESTConfig()
	if err != nil {
		return err
	}
	s.cfg = cfg
	if s.cs, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	if s.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	if err := s.waitProc(ctx, "kube-apiserver", "kube-apiserver /readyz", 120*time.Second, func(ctx context.Context) error { return apiReady(ctx, cfg) }); err != nil {
		return err
	}
	// RBAC bootstrap (cluster-admin and friends) lands shortly after readyz.
	return waitFor(ctx, "cluster-admin ClusterRole", 60*time.Second, func(ctx context.Context) error {
		_, err := s.cs.RbacV1().ClusterRoles().Get(ctx, "cluster-admin", metav1.GetOptions{})
		return err
	})
}

func (s *starter) componentArgs(port int, name string) []string {
	return []string{
		"--kubeconfig=" + s.p.KubeconfigPath,
		"--authentication-kubeconfig=" + s.p.KubeconfigPath,
		"--authorization-kubeconfig=" + s.p.KubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + s.state("pki", name),
		"--leader-elect=false",
		"--v=1",
	}
}

func (s *starter) startKCM(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	args := append(s.componentArgs(port, "kube-controller-manager"),
		"--service-account-private-key-file="+s.pki.saKey,
		"--root-ca-file="+s.pki.caCert,
		"--use-service-account-credentials=true",
		"--cluster-signing-cert-file="+s.pki.caCert,
		"--cluster-signing-key-file="+s.pki.caKey,
		"--concurrent-deployment-syncs=10",
		"--concurrent-replicaset-syncs=10",
	)
	if _, err := s.start("kube-controller-manager", s.bins.kcm, url, args, nil); err != nil {
		return fmt.Errorf("cannot start kube-controller-manager: %w", err)
	}
	return s.waitProc(ctx, "kube-controller-manager", "kube-controller-manager /healthz", 60*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, insecureClient, url+"/healthz")
	})
}

func (s *starter) startScheduler(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	if _, err := s.start("kube-scheduler", s.bins.scheduler, url, s.componentArgs(port, "kube-scheduler"), nil); err != nil {
		return fmt.Errorf("cannot start kube-scheduler: %w", err)
	}
	return s.waitProc(ctx, "kube-scheduler", "kube-scheduler /healthz", 60*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, insecureClient, url+"/healthz")
	})
}

// kwokNodeAnnotation marks the nodes kwok manages.
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

func (s *starter) startKwok(ctx context.Context) error {
	names := make([]string, s.o.Nodes)
	for i := range names {
		names[i] = fmt.Sprintf("kwok-node-%d", i)
	}
	if err := s.runKwok(ctx, "kwok", s.p.KubeconfigPath, s.cs, names); err != nil {
		return err
	}
	s.p.Nodes = append(s.p.Nodes, names...)
	return nil
}

// runKwok starts kwok as component name against the cluster of kubeconfig
// (cs) and creates the fake nodes nodeNames there.
func (s *starter) runKwok(ctx context.Context, name, kubeconfig string, cs kubernetes.Interface, nodeNames []string) error {
	stages, err := filepath.Glob(filepath.Join(s.bins.kwokStages, "*.yaml"))
	if err != nil || len(stages) == 0 {
		return fmt.Errorf("cannot start %s: no stage files in %s", name, s.bins.kwokStages)
	}
	var cfg strings.Builder
	for _, f := range stages {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		cfg.WriteString("---\n")
		cfg.Write(b)
		cfg.WriteString("\n")
	}
	cfgPath := s.state(name + ".yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + cfgPath,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
		"--node-lease-duration-seconds=40",
		"--cidr=10.0.0.1/16",
		"--node-ip=10.0.0.1",
		"--server-address=127.0.0.1:" + strconv.Itoa(port),
	}
	if _, err := s.start(name, s.bins.kwok, url, args, nil); err != nil {
		return fmt.Errorf("cannot start %s: %w", name, err)
	}
	for _, n := range nodeNames {
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        n,
				Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{
					"type": "kwok", "kubernetes.io/hostname": n, "kubernetes.io/os": "linux",
					"kubernetes.io/arch": "amd64", "kubernetes.io/role": "agent", "node-role.kubernetes.io/agent": "",
				},
			},
			Status: corev1.NodeStatus{
				Capacity:    nodeResources(),
				Allocatable: nodeResources(),
			},
		}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); ignoreExists(err) != nil {
			return fmt.Errorf("cannot create node %s: %w", n, err)
		}
	}
	return nil
}

// nodeResources is what each fake node offers. Its pods are many more than
// a kubelet's default of 110: the workload cluster is one node, and with 110
// the 111th Deployment that Argo CD synced there stayed Pending until its
// progress deadline marked it Degraded (the apply benchmark's 200
// deployments stopped at 110 Healthy).
func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("2000"),
	}
}

func (s *starter) waitNodes(ctx context.Context) error { return waitNodesReady(ctx, s.cs, s.p.Nodes) }

// waitNodesReady waits until every node of names in the cluster of cs is Ready.
func waitNodesReady(ctx context.Context, cs kubernetes.Interface, names []string) error {
	for _, n := range names {
		err := waitFor(ctx, "node "+n+" to be Ready", 90*time.Second, func(ctx context.Context) error {
			node, err := cs.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return nil
				}
			}
			return errors.New("not ready yet")
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *starter) waitDefaultSA(ctx context.Context) error { return waitDefaultSAIn(ctx, s.cs) }

// waitDefaultSAIn waits until the cluster of cs has the default ServiceAccount.
func waitDefaultSAIn(ctx context.Context, cs kubernetes.Interface) error {
	return waitFor(ctx, "the default ServiceAccount", 90*time.Second, func(ctx context.Context) error {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

func (s *starter) installCRDs(ctx context.Context, dir string, labels map[string]string) error {
	crds, err := readCRDs(dir)
	if err != nil {
		return err
	}
	return applyCRDs(ctx, s.dyn, crds, labels)
}

// adminToken creates namespace/name bound to cluster-admin in the platform's
// cluster and returns a long-lived token for it.
func (s *starter) adminToken(ctx context.Context, namespace, name string) (string, error) {
	return adminTokenIn(ctx, s.cs, namespace, name)
}

// adminTokenIn creates namespace/name bound to cluster-admin in the cluster
// cs talks to and returns a long-lived (10 years) token for it.
func adminTokenIn(ctx context.Context, cs kubernetes.Interface, namespace, name string) (string, error) {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return "", err
	}
	if _, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return "", err
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: namespace + ":" + name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: namespace, Name: name}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return "", err
	}
	exp := int64(10 * 365 * 24 * 3600)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("cannot create a token for %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}

func (s *starter) setupMCSystem(ctx context.Context) error {
	tok, err := s.adminToken(ctx, MCNamespace, MCAdminSA)
	if err != nil {
		return err
	}
	s.p.Token = tok
	return nil
}

// upsertSecret creates or replaces a Secret.
func upsertSecret(ctx context.Context, cs kubernetes.Interface, sec *corev1.Secret) error {
	_, err := cs.CoreV1().Secrets(sec.Namespace).Create(ctx, sec, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = cs.CoreV1().Secrets(sec.Namespace).Update(ctx, sec, metav1.UpdateOptions{})
	}
	return err
}

func upsertConfigMap(ctx context.Context, cs kubernetes.Interface, cm *corev1.ConfigMap) error {
	_, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = cs.CoreV1().ConfigMaps(cm.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
	}
	return err
}

func (s *starter) startArgoCD(ctx context.Context) error {
	ns := ArgoCDNamespace
	cs := s.cs
	partOf := map[string]string{"app.kubernetes.io/part-of": "argocd"}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return err
	}
	if err := upsertConfigMap(ctx, cs, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: ns, Labels: partOf},
		Data: map[string]string{
			"cluster.inClusterEnabled": "false",
			"timeout.reconciliation":   "10s",
			"admin.enabled":            "true",
		},
	}); err != nil {
		return err
	}
	if err := upsertConfigMap(ctx, cs, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-rbac-cm", Namespace: ns, Labels: partOf},
		Data:       map[string]string{"policy.default": "role:readonly"},
	}); err != nil {
		return err
	}
	if err := upsertSecret(ctx, cs, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-secret", Namespace: ns, Labels: partOf},
		StringData: map[string]string{"server.secretkey": randomHex(32)},
	}); err != nil {
		return err
	}
	// The platform's own cluster, by its real URL: kubernetes.default.svc only
	// resolves inside a cluster, and Argo CD runs out-of-cluster here.
	tok, err := s.adminToken(ctx, "kube-system", "argocd-manager")
	if err != nil {
		return err
	}
	clusterCfg, _ := json.Marshal(map[string]any{
		"bearerToken":     tok,
		"tlsClientConfig": map[string]any{"caData": base64.StdEncoding.EncodeToString(s.pki.caPEM)},
	})
	if err := upsertSecret(ctx, cs, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: ArgoCDClusterName, Namespace: ns,
			Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster", "app.kubernetes.io/part-of": "argocd"}},
		StringData: map[string]string{"name": ArgoCDClusterName, "server": s.p.APIServerURL, "config": string(clusterCfg)},
	}); err != nil {
		return err
	}
	// Credentials for every repository of the git server.
	if err := upsertSecret(ctx, cs, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sandbox-git-creds", Namespace: ns,
			Labels: map[string]string{"argocd.argoproj.io/secret-type": "repo-creds", "app.kubernetes.io/part-of": "argocd"}},
		StringData: map[string]string{"type": "git", "url": s.p.GitURL + "/", "username": s.p.GitUsername, "password": s.p.GitPassword},
	}); err != nil {
		return err
	}

	// One binary, dispatched by argv[0].
	binDir := s.state("argocd", "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	for _, n := range []string{"argocd", "argocd-application-controller", "argocd-repo-server", "argocd-server", "argocd-git-ask-pass", "argocd-k8s-auth"} {
		_ = os.Remove(filepath.Join(binDir, n))
		if err := os.Symlink(s.bins.argocd, filepath.Join(binDir, n)); err != nil {
			return err
		}
	}
	// The repo-server runs helm and kustomize from its PATH for Helm and
	// kustomize sources.
	for n, bin := range map[string]string{"helm": s.bins.helm, "kustomize": s.bins.kustomize} {
		_ = os.Remove(filepath.Join(binDir, n))
		if err := os.Symlink(bin, filepath.Join(binDir, n)); err != nil {
			return err
		}
	}
	wrapper, err := os.ReadFile(filepath.Join(s.bins.argocdFiles, "git-verify-wrapper.sh"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(binDir, "git-verify-wrapper.sh"), wrapper, 0o755); err != nil {
		return err
	}
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	repoPort, repoMetrics, ctrlMetrics, serverPort, serverMetrics := ports[0], ports[1], ports[2], ports[3], ports[4]
	repoAddr := fmt.Sprintf("127.0.0.1:%d", repoPort)
	s.p.ArgoCDRepoServerAddr = repoAddr
	s.p.ArgoCDServerURL = fmt.Sprintf("http://127.0.0.1:%d", serverPort)
	tmp := s.state("argocd", "tmp")
	for _, d := range []string{tmp, s.state("argocd", "plugins"), s.state("argocd", "ssh"), s.state("argocd", "tls"), s.state("argocd", "gpg", "source"), s.state("argocd", "gnupg")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	env := []string{
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TMPDIR=" + tmp,
		"HOME=" + s.state("argocd"),
		"ARGOCD_GPG_ENABLED=false",
		"ARGOCD_SSH_DATA_PATH=" + s.state("argocd", "ssh"),
		"ARGOCD_TLS_DATA_PATH=" + s.state("argocd", "tls"),
		"ARGOCD_GPG_DATA_PATH=" + s.state("argocd", "gpg", "source"),
		"ARGOCD_GNUPGHOME=" + s.state("argocd", "gnupg"),
		"ARGOCD_RECONCILIATION_TIMEOUT=10s",
		// Per-sandbox paths instead of upstream's fixed ones under /tmp and /home/argocd.
		"ARGOCD_ASK_PASS_SOCK=" + askPassSocket(s.state("argocd", "askpass.sock")),
		"ARGOCD_PLUGINSOCKFILEPATH=" + s.state("argocd", "plugins"),
		// One controller replica, shard 0 (else the shard is guessed from the hostname).
		"ARGOCD_CONTROLLER_REPLICAS=1",
		"ARGOCD_CONTROLLER_SHARD=0",
	}
	kube := []string{"--kubeconfig=" + s.p.KubeconfigPath, "--namespace=" + ns, "--loglevel=info"}
	if _, err := s.start("argocd-repo-server", filepath.Join(binDir, "argocd-repo-server"), "grpc://"+repoAddr,
		[]string{"--port=" + strconv.Itoa(repoPort), "--metrics-port=" + strconv.Itoa(repoMetrics),
			"--address=127.0.0.1", "--metrics-address=127.0.0.1", "--disable-tls", "--client-ca-path=", "--redis=" + s.p.RedisAddr, "--loglevel=info"}, env); err != nil {
		return fmt.Errorf("cannot start argocd-repo-server: %w", err)
	}
	if _, err := s.start("argocd-application-controller", filepath.Join(binDir, "argocd-application-controller"), fmt.Sprintf("http://127.0.0.1:%d", ctrlMetrics),
		append(kube, "--metrics-port="+strconv.Itoa(ctrlMetrics), "--redis="+s.p.RedisAddr, "--repo-server="+repoAddr,
			"--repo-server-plaintext", "--app-resync=10", "--status-processors=4", "--operation-processors=4"), env); err != nil {
		return fmt.Errorf("cannot start argocd-application-controller: %w", err)
	}
	if _, err := s.start("argocd-server", filepath.Join(binDir, "argocd-server"), s.p.ArgoCDServerURL,
		append(kube, "--insecure", "--address=127.0.0.1", "--port="+strconv.Itoa(serverPort), "--metrics-port="+strconv.Itoa(serverMetrics),
			"--redis="+s.p.RedisAddr, "--repo-server="+repoAddr, "--repo-server-plaintext", "--staticassets="+tmp), env); err != nil {
		return fmt.Errorf("cannot start argocd-server: %w", err)
	}
	return parallel(
		func() error {
			return s.waitProc(ctx, "argocd-repo-server", "argocd-repo-server", 120*time.Second, func(ctx context.Context) error {
				if err := httpOK(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/metrics", repoMetrics)); err != nil {
					return err
				}
				return tcpOpen(ctx, repoAddr)
			})
		},
		func() error {
			return s.waitProc(ctx, "argocd-application-controller", "argocd-application-controller", 120*time.Second, func(ctx context.Context) error {
				return httpOK(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/healthz", ctrlMetrics))
			})
		},
		func() error {
			return s.waitProc(ctx, "argocd-server", "argocd-server", 120*time.Second, func(ctx context.Context) error {
				return httpOK(ctx, http.DefaultClient, s.p.ArgoCDServerURL+"/healthz")
			})
		},
	)
}

// askPassSocket returns path, or a short path under the temp dir when path is
// too long for a unix socket.
func askPassSocket(path string) string {
	if len(path) < 100 {
		return path
	}
	return filepath.Join(os.TempDir(), "mc-sandbox-askpass-"+randomHex(6)+".sock")
}
