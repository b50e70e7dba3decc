//go:build platform

package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// argoEventually retries check every second until it succeeds or timeout
// passes, and returns the last error.
func argoEventually(timeout time.Duration, check func(ctx context.Context) error) error {
	var last error
	_ = wait.PollUntilContextTimeout(context.Background(), time.Second, timeout, true, func(context.Context) (bool, error) {
		// Each check has its own ten seconds, even the one running out the
		// timeout, so that the last error is the check's own.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		last = check(ctx)
		return last == nil, nil
	})
	return last
}

// TestInMemoryClusterArgoCDRegistration registers an in-memory workload
// cluster in the sandbox's Argo CD, reads its kubeconfig, lets Argo CD sync
// an Application into it and deletes it again.
func TestInMemoryClusterArgoCDRegistration(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	sites := site.New(registry.New(cfg, p.Namespace))
	siteName := "ar-" + suffix
	if _, err := sites.Create(ctx, site.Spec{Name: siteName, ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName}}); err != nil {
		t.Fatalf("cannot register site: %v", err)
	}
	t.Cleanup(func() {
		if err := sites.Delete(context.Background(), siteName); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})

	c := cluster.New(registry.New(cfg, p.Namespace))
	want := cluster.Spec{
		Site: siteName, Namespace: "argo-" + suffix, Name: "argo-" + suffix,
		KubernetesVersion:  "v1.36.0",
		ControlPlane:       cluster.ControlPlane{Replicas: 1},
		WorkerPools:        []cluster.WorkerPool{{Name: "workers", Replicas: 1}},
		Infrastructure:     cluster.InfrastructureInMemory,
		Labels:             map[string]string{"env": "argo-test", "tier": "gold"},
		ArgoCDRegistration: true,
	}
	secretName := cluster.ArgoCDSecretName(want.Namespace, want.Name)
	argoSecrets := cs.CoreV1().Secrets(p.ArgoCDNamespace)
	t.Cleanup(func() { // in case the test stops half-way; before the site goes
		ctx := context.Background()
		_ = argoSecrets.Delete(ctx, secretName, metav1.DeleteOptions{})
		_ = argoEventually(3*time.Minute, func(ctx context.Context) error {
			if err := c.Delete(ctx, cluster.ID(want)); err != nil {
				return err
			}
			if obs, err := c.Observe(ctx, cluster.ID(want), want); err != nil || obs.Exists {
				return fmt.Errorf("cluster still exists (%v)", err)
			}
			return nil
		})
		_ = cs.CoreV1().Namespaces().Delete(ctx, want.Namespace, metav1.DeleteOptions{})
	})

	tStart := time.Now()
	id, err := c.Create(ctx, want)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	// Not ready yet: the registration is pending, reported as wanted, and
	// does not make the cluster out of date.
	if obs, err := c.Observe(ctx, id, want); err != nil || !obs.Exists || obs.Ready || !obs.UpToDate || !obs.Actual.ArgoCDRegistration || !obs.Status.ArgoCDRegistrationPending {
		t.Errorf("Observe() right after Create(): Exists=%v Ready=%v UpToDate=%v registered=%v pending=%v err=%v; want true false true true true nil",
			obs.Exists, obs.Ready, obs.UpToDate, obs.Actual.ArgoCDRegistration, obs.Status.ArgoCDRegistrationPending, err)
	}
	if _, err := c.Kubeconfig(ctx, siteName+"/"+want.Namespace+"/no-such-cluster"); !engine.IsNotFound(err) {
		t.Errorf("Kubeconfig() of a missing cluster = %v, want a not-found error", err)
	}
	obs := waitFor(t, c, id, want, "cluster ready", nil)
	t.Logf("create to ready: %s", time.Since(tStart).Round(time.Millisecond))
	if obs.UpToDate || obs.Actual.ArgoCDRegistration || obs.Status.ArgoCDRegistrationPending {
		t.Errorf("ready but unregistered cluster observed UpToDate=%v registered=%v pending=%v, want false false false (message %q)",
			obs.UpToDate, obs.Actual.ArgoCDRegistration, obs.Status.ArgoCDRegistrationPending, obs.Message)
	}
	tRegister := time.Now()
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() registering = %v", err)
	}
	obs, err = c.Observe(ctx, id, want)
	if err != nil || !obs.UpToDate || !obs.Actual.ArgoCDRegistration || obs.Status.ArgoCDRegistrationPending || obs.Status.ArgoCDClusterName != want.Name {
		t.Fatalf("Observe() after registering: UpToDate=%v registered=%v ArgoCDClusterName=%q err=%v (message %q)",
			obs.UpToDate, obs.Actual.ArgoCDRegistration, obs.Status.ArgoCDClusterName, err, obs.Message)
	}
	t.Logf("registration took %s", time.Since(tRegister).Round(time.Millisecond))
	if err := c.Update(ctx, id, want); err != nil {
		t.Errorf("second Update() = %v", err)
	}

	// The kubeconfig, and a client built from it, reach the workload cluster.
	doc, err := c.Kubeconfig(ctx, id)
	if err != nil {
		t.Fatalf("Kubeconfig() = %v", err)
	}
	kc, err := cluster.ParseKubeconfig(doc)
	if err != nil {
		t.Fatalf("ParseKubeconfig() = %v", err)
	}
	if kc.Host == "" || len(kc.CACertificate) == 0 || len(kc.ClientCertificate) == 0 || len(kc.ClientKey) == 0 {
		t.Errorf("kubeconfig: host %q, %d bytes of CA, %d of certificate, %d of key", kc.Host, len(kc.CACertificate), len(kc.ClientCertificate), len(kc.ClientKey))
	}
	wlCfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	wl, err := kubernetes.NewForConfig(wlCfg)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := wl.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("cannot list the workload cluster's nodes: %v", err)
	}
	if len(nodes.Items) != 2 {
		t.Errorf("workload cluster has %d nodes, want 2 (1 control plane, 1 worker)", len(nodes.Items))
	}

	// The Argo CD cluster Secret.
	sec, err := argoSecrets.Get(ctx, secretName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Argo CD cluster Secret: %v", err)
	}
	if got := string(sec.Data["name"]); got != want.Name {
		t.Errorf("Argo CD name = %q, want %q", got, want.Name)
	}
	if got := string(sec.Data["server"]); got != kc.Host {
		t.Errorf("Argo CD server = %q, want the kubeconfig's %q", got, kc.Host)
	}
	wantLabels := map[string]string{
		"argocd.argoproj.io/secret-type":      "cluster",
		"mc.mcplatform.dev/site":              siteName,
		"cluster.x-k8s.io/cluster-name":       want.Name,
		"mc.mcplatform.dev/cluster-namespace": want.Namespace,
		"app.kubernetes.io/managed-by":        "terraform-provider-mc",
		"env":                                 "argo-test",
		"tier":                                "gold",
	}
	if diff := cmp.Diff(wantLabels, sec.Labels); diff != "" {
		t.Errorf("Argo CD cluster Secret labels mismatch (-want +got):\n%s", diff)
	}
	var argoCfg struct {
		TLSClientConfig struct{ CAData, CertData, KeyData []byte }
	}
	if err := json.Unmarshal(sec.Data["config"], &argoCfg); err != nil {
		t.Fatalf("config is not JSON: %v", err)
	}
	if string(argoCfg.TLSClientConfig.CAData) != string(kc.CACertificate) || string(argoCfg.TLSClientConfig.CertData) != string(kc.ClientCertificate) ||
		string(argoCfg.TLSClientConfig.KeyData) != string(kc.ClientKey) {
		t.Error("config's tlsClientConfig does not carry the kubeconfig's CA, certificate and key")
	}

	// Import reports the registration.
	if imp, err := c.Observe(ctx, id, cluster.Spec{}); err != nil || !imp.Actual.ArgoCDRegistration || imp.Status.ArgoCDClusterName != want.Name {
		t.Errorf("Observe() for import: registered=%v ArgoCDClusterName=%q err=%v", imp.Actual.ArgoCDRegistration, imp.Status.ArgoCDClusterName, err)
	}

	argoSyncIntoWorkloadCluster(t, p, dyn, wl, want.Name, kc.Host, suffix)

	// A stale Secret (another server, a lost label) is reported and rewritten.
	stale := sec.DeepCopy()
	stale.Data["server"] = []byte("https://127.0.0.1:1")
	delete(stale.Labels, "tier")
	if _, err := argoSecrets.Update(ctx, stale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if obs, err := c.Observe(ctx, id, want); err != nil || obs.UpToDate || !strings.Contains(obs.Message, "stale (server, labels)") {
		t.Errorf("Observe() with a stale Secret: UpToDate=%v message=%q err=%v; want false and a message naming server and labels", obs.UpToDate, obs.Message, err)
	}
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() rewriting a stale Secret = %v", err)
	}
	if obs, err := c.Observe(ctx, id, want); err != nil || !obs.UpToDate {
		t.Errorf("Observe() after rewriting: UpToDate=%v message=%q err=%v", obs.UpToDate, obs.Message, err)
	}

	// Registration off removes the Secret; another cluster Secret claiming
	// the name then stops registration from being turned on again.
	off := want
	off.ArgoCDRegistration = false
	if obs, err := c.Observe(ctx, id, off); err != nil || obs.UpToDate {
		t.Errorf("Observe() with registration turned off: UpToDate=%v err=%v, want false", obs.UpToDate, err)
	}
	if err := c.Update(ctx, id, off); err != nil {
		t.Fatalf("Update() turning registration off = %v", err)
	}
	if _, err := argoSecrets.Get(ctx, secretName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Argo CD cluster Secret after turning registration off: %v, want not found", err)
	}
	if obs, err := c.Observe(ctx, id, off); err != nil || !obs.UpToDate || obs.Actual.ArgoCDRegistration || obs.Status.ArgoCDClusterName != "" {
		t.Errorf("Observe() unregistered: UpToDate=%v registered=%v name=%q err=%v", obs.UpToDate, obs.Actual.ArgoCDRegistration, obs.Status.ArgoCDClusterName, err)
	}
	squatter := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "squatter-" + suffix, Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster"}},
		StringData: map[string]string{"name": want.Name, "server": "https://127.0.0.1:2", "config": `{"tlsClientConfig":{"insecure":true}}`},
	}
	if _, err := argoSecrets.Create(ctx, squatter, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = c.Update(ctx, id, want)
	if ie, ok := engine.AsInvalidInput(err); !ok || ie.Path != "name" || !strings.Contains(err.Error(), squatter.Name) {
		t.Errorf("Update() with the Argo CD name taken = %v, want an invalid input on name naming Secret %s", err, squatter.Name)
	} else {
		t.Logf("name taken: %v", err)
	}
	if err := argoSecrets.Delete(ctx, squatter.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, id, want); err != nil {
		t.Fatalf("Update() registering again = %v", err)
	}

	// Delete removes the registration at once, then the cluster.
	tDelete := time.Now()
	if err := c.Delete(ctx, id); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	if _, err := argoSecrets.Get(ctx, secretName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Argo CD cluster Secret after Delete(): %v, want not found", err)
	}
	waitFor(t, c, id, want, "cluster gone", func(exists, _ bool) bool { return !exists })
	t.Logf("delete to gone: %s", time.Since(tDelete).Round(time.Millisecond))
	if err := c.Delete(ctx, id); err != nil {
		t.Errorf("second Delete() = %v", err)
	}
	if _, err := c.Kubeconfig(ctx, id); !engine.IsNotFound(err) {
		t.Errorf("Kubeconfig() after Delete() = %v, want a not-found error", err)
	}
}

// argoSyncIntoWorkloadCluster makes an Argo CD Application whose
// destination is the workload cluster by its Argo CD name, with one
// ConfigMap from the sandbox's git server, and waits until Argo CD has
// synced it and the ConfigMap is in the workload cluster.
//
// CAPD's in-memory API server (sigs.k8s.io/cluster-api/test
// infrastructure/inmemory/pkg/server/api, NewAPIServerHandler) serves
// discovery and CRUD of a few core, apps, rbac, storage, apiextensions and
// policy resources but no /version and no /openapi/v2, and Argo CD's
// cluster cache (gitops-engine pkg/cache clusterCache.sync) stops at the
// first of these. Against it the test therefore proves the furthest step:
// Argo CD resolves the destination name to the registered server and
// reaches it over TLS with the registered CA, and the error it reports is
// the missing server version.
func argoSyncIntoWorkloadCluster(t *testing.T, p *sandbox.Platform, dyn dynamic.Interface, wl kubernetes.Interface, argoName, server, suffix string) {
	t.Helper()
	ctx := context.Background()
	_, versionErr := wl.Discovery().ServerVersion()
	_, openAPIErr := wl.Discovery().RESTClient().Get().AbsPath("/openapi/v2").DoRaw(ctx)
	t.Logf("workload API server: GET /version: %v; GET /openapi/v2: %v", errOrOK(versionErr), errOrOK(openAPIErr))

	appName := "argo-wl-" + suffix
	cmName := "from-argocd-" + suffix
	repo, err := p.CreateGitRepo(ctx, appName, map[string]string{
		"manifests/configmap.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  greeting: hello\n", cmName),
	})
	if err != nil {
		t.Fatal(err)
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   map[string]any{"name": appName, "namespace": p.ArgoCDNamespace},
		"spec": map[string]any{
			"project":     "default",
			"source":      map[string]any{"repoURL": repo, "targetRevision": "main", "path": "manifests"},
			"destination": map[string]any{"name": argoName, "namespace": "default"},
			"syncPolicy":  map[string]any{"automated": map[string]any{"prune": true}},
		},
	}}
	apps := dyn.Resource(kube.ApplicationGVR).Namespace(p.ArgoCDNamespace)
	if _, err := apps.Create(ctx, app, metav1.CreateOptions{}); err != nil {
		t.Fatalf("cannot create Application: %v", err)
	}
	t.Cleanup(func() { _ = apps.Delete(context.Background(), appName, metav1.DeleteOptions{}) })
	t0 := time.Now()
	var last kube.ApplicationState
	const noServerVersion = "failed to get server version"
	err = argoEventually(3*time.Minute, func(ctx context.Context) error {
		st, err := kube.GetApplication(ctx, dyn, p.ArgoCDNamespace, appName)
		if err != nil {
			return err
		}
		last = st
		if st.SyncStatus == "Synced" || (versionErr != nil && strings.Contains(strings.Join(st.Conditions, "\n"), noServerVersion)) {
			return nil
		}
		return fmt.Errorf("sync %q health %q operation %q %q conditions %v", st.SyncStatus, st.HealthStatus, st.OperationPhase, st.OperationMessage, st.Conditions)
	})
	if err != nil {
		t.Fatalf("Application %s neither Synced nor failing on the server version after %s: %v", appName, time.Since(t0).Round(time.Second), err)
	}
	if last.SyncStatus != "Synced" {
		conds := strings.Join(last.Conditions, "\n")
		t.Logf("Argo CD cannot sync into the in-memory API server, which serves no /version; after %s the Application reports sync %q with:\n%s",
			time.Since(t0).Round(time.Millisecond), last.SyncStatus, conds)
		if !strings.Contains(conds, fmt.Sprintf("failed to get cluster info for %q", server)) {
			t.Errorf("Argo CD did not resolve destination %q to the registered server %s", argoName, server)
		}
		for _, bad := range []string{"x509", "certificate", "Unauthorized", "forbidden", "connection refused", "no clusters with this name"} {
			if strings.Contains(conds, bad) {
				t.Errorf("Argo CD's error mentions %q: the registration's server or credentials do not work", bad)
			}
		}
		// What Argo CD would have applied, the in-memory API server takes.
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: cmName, Namespace: "default"}, Data: map[string]string{"greeting": "hello"}}
		if _, err := wl.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Errorf("the in-memory API server does not take a ConfigMap either: %v", err)
		}
		return
	}
	t.Logf("Application Synced after %s: health %q, operation %q %q", time.Since(t0).Round(time.Millisecond), last.HealthStatus, last.OperationPhase, last.OperationMessage)
	cm, err := wl.CoreV1().ConfigMaps("default").Get(ctx, cmName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the synced ConfigMap is not in the workload cluster: %v", err)
	}
	if cm.Data["greeting"] != "hello" {
		t.Errorf("ConfigMap data = %v", cm.Data)
	}
}

func errOrOK(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
