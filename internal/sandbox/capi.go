package sandbox

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Process names of the Cluster API managers the sandbox runs.
const (
	CAPIManagerName          = "capi-manager"
	CAPIBootstrapName        = "capi-kubeadm-bootstrap"
	CAPIControlPlaneName     = "capi-kubeadm-control-plane"
	CAPIInfrastructureName   = "capd"
	capiWebhookCertDirName   = "capi-webhook"
	capiInMemoryPortBlock    = 100
	capiInMemoryPortRangeMin = 20000 // below the kernel's ephemeral ports, so freePort never hands these out
	capiInMemoryPortRangeMax = 30000
)

// capiManager is one Cluster API manager run out-of-cluster: it reconciles,
// converts and validates the resources of its API groups.
type capiManager struct {
	name   string   // process name, also the log file name
	bin    string   // binary
	hooks  string   // admission webhook manifest (paths and rules)
	groups []string // API groups whose CRDs it serves conversions for
	// contract marks provider CRDs (bootstrap, control plane, infrastructure)
	// with the Cluster API contract labels.
	contract bool
	args     []string
	env      []string

	webhookPort, healthPort, diagPort int
}

func (m *capiManager) webhookURL() string { return fmt.Sprintf("https://127.0.0.1:%d", m.webhookPort) }
func (m *capiManager) healthURL() string  { return fmt.Sprintf("http://127.0.0.1:%d", m.healthPort) }

// prepareCAPI chooses the ports of the Cluster API managers and writes their
// webhook serving certificate; it must run before the CRDs are installed,
// since their conversion webhooks point at those ports.
func (s *starter) prepareCAPI() error {
	b := s.bins
	s.capi = []*capiManager{
		{
			name: CAPIManagerName, bin: b.capiManager, hooks: "core.yaml",
			groups: []string{"cluster.x-k8s.io", "addons.cluster.x-k8s.io", "ipam.cluster.x-k8s.io", "runtime.cluster.x-k8s.io"},
			args:   []string{"--feature-gates=ClusterTopology=true"},
		},
		// Every manager runs with ClusterTopology: the kubeadm bootstrap and
		// control plane webhooks refuse the fields of topology clusters'
		// templates ("can be set only if the ClusterTopology feature flag is
		// enabled") unless their own manager has it.
		{
			name: CAPIBootstrapName, bin: b.capiBootstrap, hooks: "bootstrap.yaml", groups: []string{"bootstrap.cluster.x-k8s.io"}, contract: true,
			args: []string{"--feature-gates=ClusterTopology=true"},
		},
		{
			name: CAPIControlPlaneName, bin: b.capiControlPlane, hooks: "controlplane.yaml", groups: []string{"controlplane.cluster.x-k8s.io"}, contract: true,
			args: []string{"--feature-gates=ClusterTopology=true"},
		},
		{
			name: CAPIInfrastructureName, bin: b.capd, hooks: "infrastructure.yaml", groups: []string{"infrastructure.cluster.x-k8s.io"}, contract: true,
			args: []string{"--feature-gates=ClusterTopology=true"},
		},
	}
	ports, err := freePorts(3*len(s.capi) + 1)
	if err != nil {
		return err
	}
	for i, m := range s.capi {
		m.webhookPort, m.healthPort, m.diagPort = ports[3*i], ports[3*i+1], ports[3*i+2]
	}
	// CAPD's in-memory backend serves each workload cluster's apiserver and
	// etcd on its own port, handed out in order from a range without checking
	// that the port is free; give each sandbox its own block.
	lo, err := freePortBlock(capiInMemoryPortRangeMin, capiInMemoryPortRangeMax, capiInMemoryPortBlock)
	if err != nil {
		return err
	}
	capd := s.capi[3]
	capd.env = []string{
		"POD_IP=127.0.0.1", // the host the in-memory workload clusters' endpoints use
		"CAPD_INMEMORY_DEBUG_PORT=" + strconv.Itoa(ports[len(ports)-1]),
		"CAPD_INMEMORY_MIN_PORT=" + strconv.Itoa(lo),
		"CAPD_INMEMORY_MAX_PORT=" + strconv.Itoa(lo+capiInMemoryPortBlock-1),
	}
	s.p.ClusterAPIInMemoryPorts = fmt.Sprintf("%d-%d", lo, lo+capiInMemoryPortBlock-1)
	if err := s.pki.leafCert(s.state("pki", capiWebhookCertDirName), "tls", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "cluster-api-webhooks"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}); err != nil {
		return fmt.Errorf("cannot create the Cluster API webhook certificate: %w", err)
	}
	return nil
}

// freePortBlock returns the first port of a block of n ports in [lo, hi)
// whose ports are all free now, picked at random.
func freePortBlock(lo, hi, n int) (int, error) {
	blocks := (hi - lo) / n
	for range 50 {
		start := lo + rand.IntN(blocks)*n
		ok := true
		for p := start; p < start+n && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf(":%d", p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return start, nil
		}
	}
	return 0, fmt.Errorf("cannot find %d free ports in a row between %d and %d", n, lo, hi)
}

// managerFor returns the manager serving the API group, or nil.
func (s *starter) managerFor(group string) *capiManager {
	for _, m := range s.capi {
		for _, g := range m.groups {
			if g == group {
				return m
			}
		}
	}
	return nil
}

// installCAPICRDs installs the Cluster API and CAPD CRDs, with their
// conversion webhooks pointed at the managers and the contract labels on the
// provider CRDs.
func (s *starter) installCAPICRDs(ctx context.Context) error {
	crds, err := readCRDs(s.bins.capiCRDs)
	if err != nil {
		return err
	}
	caBundle := base64.StdEncoding.EncodeToString(s.pki.caPEM)
	for _, u := range crds {
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		m := s.managerFor(group)
		if m == nil {
			return fmt.Errorf("cannot install CRD %s: no Cluster API manager serves the group %s", u.GetName(), group)
		}
		if m.contract {
			l := u.GetLabels()
			if l == nil {
				l = map[string]string{}
			}
			l["cluster.x-k8s.io/v1beta1"] = "v1beta1"
			l["cluster.x-k8s.io/v1beta2"] = "v1beta2"
			u.SetLabels(l)
		}
		versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
		if len(versions) < 2 {
			continue
		}
		if err := unstructured.SetNestedField(u.Object, map[string]any{
			"strategy": "Webhook",
			"webhook": map[string]any{
				"conversionReviewVersions": []any{"v1", "v1beta1"},
				"clientConfig":             map[string]any{"url": m.webhookURL() + "/convert", "caBundle": caBundle},
			},
		}, "spec", "conversion"); err != nil {
			return err
		}
	}
	return applyCRDs(ctx, s.dyn, crds, nil)
}

// startCAPI starts the four managers, waits until their webhook servers and
// controllers are ready, then registers their admission webhooks.
func (s *starter) startCAPI(ctx context.Context) error {
	fs := make([]func() error, 0, len(s.capi))
	for _, m := range s.capi {
		fs = append(fs, func() error { return s.step(m.name, func() error { return s.startCAPIManager(ctx, m) }) })
	}
	if err := parallel(fs...); err != nil {
		return err
	}
	return s.step("cluster-api webhooks", func() error { return s.registerCAPIWebhooks(ctx) })
}

// capiSyncPeriod is how often the Cluster API managers reconcile every object
// they watch even when nothing changed (their default is 10 minutes). On a
// loaded machine a new workload cluster's first minute is full of retries
// (its kubeconfig not written yet, its in-memory apiserver not answering
// yet); a Machine whose retries backed off far enough, or whose wake-up event
// came while it waited, then stayed Provisioning for the rest of the default
// period although everything it waited for was there. A minute bounds that
// wait on the local platform; the managers watch a few hundred objects here.
const capiSyncPeriod = time.Minute

func (s *starter) startCAPIManager(ctx context.Context, m *capiManager) error {
	args := append([]string{
		"--kubeconfig=" + s.p.KubeconfigPath,
		"--leader-elect=false",
		"--webhook-port=" + strconv.Itoa(m.webhookPort),
		"--webhook-cert-dir=" + s.state("pki", capiWebhookCertDirName),
		"--health-addr=127.0.0.1:" + strconv.Itoa(m.healthPort),
		"--diagnostics-address=127.0.0.1:" + strconv.Itoa(m.diagPort),
		"--insecure-diagnostics=true",
		"--sync-period=" + capiSyncPeriod.String(),
		"--v=1",
	}, m.args...)
	if _, err := s.start(m.name, m.bin, m.webhookURL(), args, m.env); err != nil {
		return fmt.Errorf("cannot start %s: %w", m.name, err)
	}
	return s.waitProc(ctx, m.name, m.name+" /readyz", 180*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, m.healthURL()+"/readyz")
	})
}

var (
	mutatingWebhookGVR   = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
	validatingWebhookGVR = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}
)

// registerCAPIWebhooks creates the managers' Mutating- and
// ValidatingWebhookConfigurations from upstream's manifests, with the
// in-cluster Service references replaced by loopback URLs.
func (s *starter) registerCAPIWebhooks(ctx context.Context) error {
	caBundle := base64.StdEncoding.EncodeToString(s.pki.caPEM)
	for _, m := range s.capi {
		docs, err := readYAMLDocs(filepath.Join(s.bins.capiWebhooks, m.hooks))
		if err != nil {
			return err
		}
		for _, u := range docs {
			var gvr schema.GroupVersionResource
			switch u.GetKind() {
			case "MutatingWebhookConfiguration":
				gvr = mutatingWebhookGVR
			case "ValidatingWebhookConfiguration":
				gvr = validatingWebhookGVR
			default:
				continue
			}
			hooks, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
			for i, h := range hooks {
				hm, _ := h.(map[string]any)
				path, _, _ := unstructured.NestedString(hm, "clientConfig", "service", "path")
				if path == "" {
					return fmt.Errorf("cannot register the %s webhooks: webhook %v has no service path", m.name, hm["name"])
				}
				hm["clientConfig"] = map[string]any{"url": m.webhookURL() + path, "caBundle": caBundle}
				hooks[i] = hm
			}
			if err := unstructured.SetNestedSlice(u.Object, hooks, "webhooks"); err != nil {
				return err
			}
			kind := "validating"
			if gvr == mutatingWebhookGVR {
				kind = "mutating"
			}
			u.SetName(m.name + "-" + kind)
			u.SetNamespace("")
			if err := upsertUnstructured(ctx, s, gvr, u); err != nil {
				return fmt.Errorf("cannot register the %s webhooks: %w", m.name, err)
			}
		}
	}
	return nil
}

// upsertUnstructured creates or replaces a cluster-scoped object.
func upsertUnstructured(ctx context.Context, s *starter, gvr schema.GroupVersionResource, u *unstructured.Unstructured) error {
	r := s.dyn.Resource(gvr)
	_, err := r.Create(ctx, u, metav1.CreateOptions{FieldManager: "mc-sandbox"})
	if apierrors.IsAlreadyExists(err) {
		var cur *unstructured.Unstructured
		if cur, err = r.Get(ctx, u.GetName(), metav1.GetOptions{}); err == nil {
			u.SetResourceVersion(cur.GetResourceVersion())
			_, err = r.Update(ctx, u, metav1.UpdateOptions{FieldManager: "mc-sandbox"})
		}
	}
	return err
}

// readYAMLDocs reads every object of a multi-document yaml file.
func readYAMLDocs(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("cannot parse %s: %w", path, err)
		}
		if m != nil {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no objects in %s", path)
	}
	return out, nil
}

// capiBinaries returns the paths of the Cluster API parts in the cache.
func capiBinaries(cache string, b *binaries) []string {
	bin := filepath.Join(cache, "bin")
	b.capiManager = filepath.Join(bin, "capi-manager-"+CAPIVersion)
	b.capiBootstrap = filepath.Join(bin, "capi-kubeadm-bootstrap-"+CAPIVersion)
	b.capiControlPlane = filepath.Join(bin, "capi-kubeadm-control-plane-"+CAPIVersion)
	b.capd = filepath.Join(bin, "capd-"+CAPIVersion)
	b.capiWebhooks = filepath.Join(cache, "capi-"+CAPIVersion+"-webhooks")
	return []string{b.capiManager, b.capiBootstrap, b.capiControlPlane, b.capd,
		filepath.Join(b.capiCRDs, ".capd"), filepath.Join(b.capiWebhooks, ".complete")}
}
