// Package sandbox starts the local platform used by the demo and the tests:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake
// nodes on which Deployments become Available and Jobs Complete), Redis and
// Argo CD (application-controller, repo-server, server) run out-of-cluster,
// a git smart-HTTP server, Cluster API (core, kubeadm bootstrap and control
// plane managers, and CAPD whose in-memory backend fakes the machines and the
// workload clusters' apiservers) with its conversion and admission webhooks,
// two Harbor sites (site-a, the hub, and site-b: the Harbor simulator of
// internal/sandbox/harbor in front of a real distribution registry each),
// a Bitbucket Cloud simulator (internal/sandbox/bitbucket), a Jira Cloud
// simulator (internal/sandbox/jira), the mc-system namespace with an admin
// ServiceAccount, and a workload cluster (a second kube-apiserver with its own
// controller manager, scheduler and kwok node, see workload.go) that Argo CD
// deploys into. Everything listens on loopback on free ports
// and keeps running after Up returns, until Down.
//
// The binaries come from hack/build-testplane.sh, cached under
// Options.CacheDir; Up never builds.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Versions of the parts, as cached by hack/build-testplane.sh.
const (
	EtcdVersion   = "v3.6.16"
	KubeVersion   = "v1.36.3"
	KwokVersion   = "v0.8.0"
	ArgoCDVersion = "v3.6.1"
	CAPIVersion   = "v1.14.2"
	// HelmVersion and KustomizeVersion are the CLIs Argo CD's repo-server
	// runs for Helm and kustomize sources.
	HelmVersion      = "v3.22.0"
	KustomizeVersion = "v5.8.3"
)

// Namespaces and names the sandbox creates.
const (
	ArgoCDNamespace   = "argocd"
	MCNamespace       = "mc-system"
	MCAdminSA         = "mc-admin"
	ArgoCDClusterName = "in-cluster"
)

// Options configures Up.
type Options struct {
	// StateDir holds certificates, data, logs, pids, kubeconfig and env file.
	StateDir string
	// CacheDir holds the binaries built by hack/build-testplane.sh
	// (default $MC_CACHE_DIR or ~/.cache/mc-sandbox).
	CacheDir string
	// Nodes is the number of fake kwok nodes (default 1).
	Nodes int
	// Logf receives progress messages (default: discarded).
	Logf func(format string, args ...any)
}

// Platform describes a running sandbox; it is saved as platform.json in the
// state directory.
type Platform struct {
	StateDir       string `json:"stateDir"`       // the state directory
	KubeconfigPath string `json:"kubeconfigPath"` // admin kubeconfig (client certificate, system:masters)
	EnvPath        string `json:"envPath"`        // shell export lines (MC_KUBECONFIG, MC_SANDBOX_*)
	APIServerURL   string `json:"apiServerURL"`   // https://127.0.0.1:<port>
	CACertPEM      []byte `json:"caCertPEM"`      // CA of the apiserver's serving certificate
	// Token is a long-lived (10 years) bearer token of the ServiceAccount
	// mc-system/mc-admin, bound to cluster-admin.
	Token           string `json:"token"`
	Namespace       string `json:"namespace"`       // the provider's registry namespace, mc-system
	ArgoCDNamespace string `json:"argocdNamespace"` // argocd
	ArgoCDServerURL string `json:"argocdServerURL"` // argocd-server, plain HTTP (--insecure)
	// ArgoCDRepoServerAddr is host:port of the Argo CD repo-server (plain gRPC).
	ArgoCDRepoServerAddr string `json:"argocdRepoServerAddr"`
	// ArgoCDClusterName is the destination name under which the platform's
	// own cluster is registered in Argo CD.
	ArgoCDClusterName string `json:"argocdClusterName"`
	RedisAddr         string `json:"redisAddr"`   // host:port of Redis (Argo CD's cache)
	EtcdURL           string `json:"etcdURL"`     // etcd client URL
	GitURL            string `json:"gitURL"`      // base URL of the git server, e.g. http://127.0.0.1:P
	GitUsername       string `json:"gitUsername"` // basic auth user of the git server
	GitPassword       string `json:"gitPassword"` // basic auth password of the git server (generated)
	GitRoot           string `json:"gitRoot"`     // directory of the bare repositories
	// Harbors are the Harbor sites by name (HarborSiteA, the hub, and
	// HarborSiteB), each a Harbor simulator in front of a real registry.
	Harbors map[string]HarborSite `json:"harbors"`
	// Jira is the Jira Cloud simulator, seeded with the sandbox's
	// Atlassian identities.
	Jira JiraSite `json:"jira"`
	// Bitbucket is the Bitbucket Cloud simulator (internal/sandbox/bitbucket).
	Bitbucket BitbucketSim `json:"bitbucket"`
	// ClusterAPIInMemoryPorts is the range ("lo-hi") of loopback ports on which
	// CAPD's in-memory backend serves the workload clusters' apiservers.
	ClusterAPIInMemoryPorts string `json:"clusterAPIInMemoryPorts"`
	// Nodes names the fake kwok nodes.
	Nodes []string `json:"nodes"`
	// WorkloadServerURL is the URL of the workload cluster's kube-apiserver
	// (https://127.0.0.1:<port>): a second cluster, not made by Cluster
	// API, that Argo CD can deploy into. Its CA is CACertPEM.
	WorkloadServerURL string `json:"workloadServerURL"`
	// WorkloadCAFile is the path of the CA certificate of WorkloadServerURL.
	WorkloadCAFile string `json:"workloadCAFile"`
	// WorkloadKubeconfigPath is an admin kubeconfig of the workload cluster.
	WorkloadKubeconfigPath string `json:"workloadKubeconfigPath"`
	// WorkloadToken is a long-lived (10 years) bearer token of the
	// ServiceAccount mc-system/mc-workload-admin of the workload cluster,
	// bound to cluster-admin there.
	WorkloadToken string `json:"workloadToken"`
	// WorkloadNodes names the workload cluster's fake kwok nodes.
	WorkloadNodes []string `json:"workloadNodes"`
	// TaskRunner is the task runner (mc-taskrunner) of TaskRunnerSite.
	TaskRunner TaskRunner `json:"taskRunner"`
	// Timings records how long each step of the Up that started the platform took.
	Timings []Timing `json:"timings"`
	// Components records the started processes; use Status to inspect them.
	Components []*procRecord `json:"components"`

	adminCertPEM, adminKeyPEM []byte
}

// Timing is the duration of one step of Up.
type Timing struct {
	Step     string        `json:"step"`
	Duration time.Duration `json:"duration"`
}

// ComponentStatus describes one process of the platform.
type ComponentStatus struct {
	Name    string
	PID     int
	Running bool
	URL     string
	Log     string
}

// DefaultCacheDir returns $MC_CACHE_DIR or ~/.cache/mc-sandbox.
func DefaultCacheDir() string {
	if d := os.Getenv("MC_CACHE_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "mc-sandbox")
}

// DefaultStateDir returns $MC_SANDBOX_DIR or ~/.cache/mc-sandbox/state.
func DefaultStateDir() string {
	if d := os.Getenv("MC_SANDBOX_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "mc-sandbox", "state")
}

const markerFile = ".mc-sandbox"

// Load reads the platform description from stateDir/platform.json.
func Load(stateDir string) (*Platform, error) {
	var p Platform
	if err := readJSON(filepath.Join(stateDir, "platform.json"), &p); err != nil {
		return nil, fmt.Errorf("cannot load the sandbox in %s: %w", stateDir, err)
	}
	var err error
	pk := newPKI(filepath.Join(stateDir, "pki"))
	if p.adminCertPEM, err = os.ReadFile(pk.adminCert); err != nil {
		return nil, fmt.Errorf("cannot load the sandbox in %s: %w", stateDir, err)
	}
	if p.adminKeyPEM, err = os.ReadFile(pk.adminKey); err != nil {
		return nil, fmt.Errorf("cannot load the sandbox in %s: %w", stateDir, err)
	}
	return &p, nil
}

// RESTConfig returns an admin (system:masters client certificate) config for
// the platform's kube-apiserver.
func (p *Platform) RESTConfig() (*rest.Config, error) {
	if len(p.adminCertPEM) == 0 {
		return nil, errors.New("platform has no admin credentials; use Load or Up")
	}
	return &rest.Config{
		Host: p.APIServerURL,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   p.CACertPEM,
			CertData: p.adminCertPEM,
			KeyData:  p.adminKeyPEM,
		},
		QPS:   200,
		Burst: 400,
	}, nil
}

// Status reports every process of the platform.
func (p *Platform) Status() []ComponentStatus {
	recs, _ := readRecords(p.StateDir)
	urls := map[string]string{}
	for _, c := range p.Components {
		urls[c.Name] = c.URL
	}
	var out []ComponentStatus
	for _, r := range recs {
		out = append(out, ComponentStatus{Name: r.Name, PID: r.PID, Running: r.alive(), URL: urls[r.Name], Log: r.Log})
	}
	return out
}

// Healthy reports whether every recorded process runs and the apiserver is ready.
func (p *Platform) Healthy(ctx context.Context) bool {
	st := p.Status()
	if len(st) < len(p.Components) || len(st) == 0 {
		return false
	}
	for _, s := range st {
		if !s.Running {
			return false
		}
	}
	if !p.harborsHealthy(ctx) || !p.workloadHealthy(ctx) {
		return false
	}
	if !p.jiraHealthy(ctx) || !p.bitbucketHealthy(ctx) || !p.taskRunnerHealthy() {
		return false
	}
	cfg, err := p.RESTConfig()
	if err != nil {
		return false
	}
	return apiReady(ctx, cfg) == nil
}

// Down stops every process recorded in stateDir (and nothing else), newest
// first. It is idempotent; the state directory is left in place.
func Down(stateDir string) error {
	recs, err := readRecords(stateDir)
	if err != nil {
		return fmt.Errorf("cannot read the sandbox pids: %w", err)
	}
	stopRecords(stateDir, recs)
	for _, r := range recs {
		if r.alive() {
			return fmt.Errorf("cannot stop %s (pid %d)", r.Name, r.PID)
		}
	}
	return nil
}

// binaries locates the cached parts.
type binaries struct {
	etcd, apiserver, kcm, scheduler, kwok, argocd string
	registry                                      string
	helm, kustomize                               string
	kwokStages, argocdFiles, capiCRDs             string

	capiManager, capiBootstrap, capiControlPlane, capd, capiWebhooks string
}

func findBinaries(cache string) (*binaries, error) {
	bin := filepath.Join(cache, "bin")
	b := &binaries{
		etcd:        filepath.Join(bin, "etcd-"+EtcdVersion),
		apiserver:   filepath.Join(bin, "kube-apiserver-"+KubeVersion),
		kcm:         filepath.Join(bin, "kube-controller-manager-"+KubeVersion),
		scheduler:   filepath.Join(bin, "kube-scheduler-"+KubeVersion),
		kwok:        filepath.Join(bin, "kwok-"+KwokVersion),
		argocd:      filepath.Join(bin, "argocd-"+ArgoCDVersion),
		registry:    filepath.Join(bin, "registry-"+RegistryVersion),
		helm:        filepath.Join(bin, "helm-"+HelmVersion),
		kustomize:   filepath.Join(bin, "kustomize-"+KustomizeVersion),
		kwokStages:  filepath.Join(cache, "kwok-stages-"+KwokVersion),
		argocdFiles: filepath.Join(cache, "argocd-"+ArgoCDVersion+"-files"),
		capiCRDs:    filepath.Join(cache, "capi-"+CAPIVersion+"-crds"),
	}
	var missing []string
	files := []string{b.etcd, b.apiserver, b.kcm, b.scheduler, b.kwok, b.argocd, b.registry, b.helm, b.kustomize, b.kwokStages, filepath.Join(b.argocdFiles, "crds"), b.capiCRDs}
	for _, f := range append(files, capiBinaries(cache, b)...) {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the test plane binaries are missing (%s); run hack/build-testplane.sh (MC_CACHE_DIR=%s) first", strings.Join(missing, ", "), cache)
	}
	return b, nil
}

// Up starts the platform in o.StateDir and waits until it is ready. If the
// state directory already holds a running healthy platform, Up returns it
// without starting anything. A state directory with a dead or partial
// platform is stopped and started afresh.
func Up(ctx context.Context, o Options) (*Platform, error) {
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.Nodes <= 0 {
		o.Nodes = 1
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	abs, err := filepath.Abs(o.StateDir)
	if err != nil {
		return nil, err
	}
	o.StateDir = abs
	if p, err := Load(o.StateDir); err == nil {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		healthy := p.Healthy(hctx)
		cancel()
		if healthy {
			o.Logf("sandbox already running in %s", o.StateDir)
			// A platform started by an older Up may lack CRDs added since.
			if err := p.ensureBYOHCRDs(ctx); err != nil {
				return nil, err
			}
			return p, nil
		}
		o.Logf("sandbox in %s is not healthy; restarting it", o.StateDir)
	}
	bins, err := findBinaries(o.CacheDir)
	if err != nil {
		return nil, err
	}
	if err := prepareStateDir(o.StateDir); err != nil {
		return nil, err
	}
	s := &starter{o: o, bins: bins, started: time.Now()}
	p, err := s.run(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (logs in %s)", err, filepath.Join(o.StateDir, "logs"))
	}
	return p, nil
}

// prepareStateDir stops leftovers of an earlier sandbox in dir and empties it.
// It refuses a non-empty directory that is not a sandbox state directory.
func prepareStateDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, markerFile)); err != nil {
			return fmt.Errorf("refusing to use %s as the sandbox state directory: it is not empty and not a sandbox state directory", dir)
		}
		if err := Down(dir); err != nil {
			return err
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, markerFile), []byte("mc-sandbox state directory\n"), 0o644)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeKubeconfig writes an admin kubeconfig with embedded credentials.
func writeKubeconfig(path, server string, ca, cert, key []byte) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["mc-sandbox"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos["mc-sandbox-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts["mc-sandbox"] = &clientcmdapi.Context{Cluster: "mc-sandbox", AuthInfo: "mc-sandbox-admin", Namespace: "default"}
	cfg.CurrentContext = "mc-sandbox"
	return clientcmd.WriteToFile(*cfg, path)
}

// waitFor polls check every interval until it returns nil or ctx ends.
func waitFor(ctx context.Context, what string, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = check(ctx); last == nil {
			return nil
		}
		var perm *permanentError
		if errors.As(last, &perm) {
			return perm.err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s: %w", what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// httpOK checks that url answers 2xx.
func httpOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

func tcpOpen(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// permanentError stops waitFor at once.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
