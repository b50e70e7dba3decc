//go:build platform

package controller

// Integration tests against the real local platform started by sandboxtest
// (kube-apiserver, Argo CD, git server), built with the build tag platform
// only: without it only the unit tests run.

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2/textlogger"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

const integrationTimeout = 5 * time.Minute

var setLoggerOnce sync.Once

// crdsInstalled says whether installCRDs installed the CRDs in this process.
var crdsInstalled struct {
	sync.Mutex
	done bool
}

// integrationEnv is the platform with our CRDs installed and the Site
// controller running in-process.
type integrationEnv struct {
	platform *sandbox.Platform
	config   *rest.Config
	kube     client.Client
	// shard labels the test's managed resources; its managers watch only
	// them.
	shard string
}

// startController installs the CRDs from config/crd, starts a manager with
// the Site and ImageReplication controllers and stops it when the test ends.
func startController(t *testing.T) integrationEnv {
	t.Helper()
	return startControllerWith(t, Options{PollInterval: 10 * time.Second, NotReadyPollInterval: time.Second})
}

// startControllerWith is startController with the controllers' options.
func startControllerWith(t *testing.T, opts Options) integrationEnv {
	t.Helper()
	return startControllers(t, opts, SetupSite, SetupImageReplication, SetupClusterRegistration, SetupApplicationDeployment, SetupHelmRelease)
}

// startControllers installs the CRDs and runs a manager with the
// controllers setups register, with opts, until the test ends. The manager
// is the test's own shard (see newIntegrationEnv): tests that run side by
// side each reconcile only their own objects.
func startControllers(t *testing.T, opts Options, setups ...func(ctrl.Manager, Options) error) integrationEnv {
	t.Helper()
	env := newIntegrationEnv(t)
	env.startManager(t, opts, setups...)
	return env
}

// newIntegrationEnv connects to the platform and installs the CRDs. Every
// managed resource the test creates through the env's client is labelled
// with a shard of the test's own (v1alpha1.LabelShard), and the managers
// of startManager watch only that shard, as mc-controller --shard does: a
// test's controllers never reconcile the objects of a test running beside
// it, nor those of other packages on the shared platform.
func newIntegrationEnv(t *testing.T) integrationEnv {
	t.Helper()
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatalf("RESTConfig() error = %v", err)
	}
	setLoggerOnce.Do(func() {
		logger := logr.Discard()
		if testing.Verbose() {
			logger = textlogger.NewLogger(textlogger.NewConfig())
		}
		ctrl.SetLogger(logger)
	})

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	plain, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatalf("client.New() error = %v", err)
	}
	installCRDs(t, plain)
	// The shard is the test's name: a test run again on a kept platform
	// finishes what its last run left behind (a deletion waiting for its
	// finalizer), as any manager did before shards.
	name := fnv.New32a()
	_, _ = name.Write([]byte(t.Name()))
	shard := fmt.Sprintf("ctrl-test-%08x", name.Sum32())
	kube := interceptor.NewClient(plain, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if _, managed := obj.(Managed); managed {
				labels := obj.GetLabels()
				if _, set := labels[v1alpha1.LabelShard]; !set {
					if labels == nil {
						labels = map[string]string{}
					}
					labels[v1alpha1.LabelShard] = shard
					obj.SetLabels(labels)
				}
			}
			return c.Create(ctx, obj, opts...)
		},
	})
	return integrationEnv{platform: p, config: cfg, kube: kube, shard: shard}
}

// startManager runs a manager of the env's shard with the controllers
// setups register, with opts, until the test ends.
func (e integrationEnv) startManager(t *testing.T, opts Options, setups ...func(ctrl.Manager, Options) error) {
	t.Helper()
	cacheOptions, err := ShardCacheOptions(e.kube.Scheme(), e.shard)
	if err != nil {
		t.Fatal(err)
	}
	skipNameValidation := true
	mgr, err := ctrl.NewManager(e.config, ctrl.Options{
		Scheme:                 e.kube.Scheme(),
		Cache:                  cacheOptions,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skipNameValidation},
	})
	if err != nil {
		t.Fatalf("NewManager() error = %v", err)
	}
	for _, setup := range setups {
		if err := setup(mgr, opts); err != nil {
			t.Fatalf("setting up a controller: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager stopped with error: %v", err)
		}
	})
}

// installCRDs creates or updates every CRD in config/crd and waits until
// they are established, once per test process: tests running side by side
// share them.
func installCRDs(t *testing.T, kube client.Client) {
	t.Helper()
	crdsInstalled.Lock()
	defer crdsInstalled.Unlock()
	if crdsInstalled.done {
		return
	}
	defer func() { crdsInstalled.done = !t.Failed() }()
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "crd", v1alpha1.Group+"_*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in config/crd (err %v)", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
			t.Fatalf("cannot decode %s: %v", f, err)
		}
		var existing apiextensionsv1.CustomResourceDefinition
		switch err := kube.Get(ctx, client.ObjectKey{Name: crd.Name}, &existing); {
		case apierrors.IsNotFound(err):
			if err := kube.Create(ctx, &crd); err != nil {
				t.Fatalf("cannot create CRD %s: %v", crd.Name, err)
			}
		case err != nil:
			t.Fatal(err)
		default:
			existing.Spec = crd.Spec
			if err := kube.Update(ctx, &existing); err != nil {
				t.Fatalf("cannot update CRD %s: %v", crd.Name, err)
			}
		}
		eventually(t, time.Minute, "CRD "+crd.Name+" established", func() (bool, string) {
			var got apiextensionsv1.CustomResourceDefinition
			if err := kube.Get(ctx, client.ObjectKey{Name: crd.Name}, &got); err != nil {
				return false, err.Error()
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, ""
				}
			}
			return false, "not established"
		})
	}
}

// eventually polls check every second until it reports done, failing the
// test with the last message after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() (done bool, message string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, timeout, true, func(context.Context) (bool, error) {
		done, message := check()
		last = message
		return done, nil
	})
	if err != nil {
		t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
	}
}

// siteRecords lists the site record Secrets of name in the registry namespace.
func (e integrationEnv) siteRecords(t *testing.T, name string) []corev1.Secret {
	t.Helper()
	var records corev1.SecretList
	if err := e.kube.List(context.Background(), &records, client.InNamespace(e.platform.Namespace),
		client.MatchingLabels{registry.LabelSite: name}); err != nil {
		t.Fatalf("cannot list site records: %v", err)
	}
	var out []corev1.Secret
	for _, s := range records.Items {
		if s.Name == registry.RecordName(name) {
			out = append(out, s)
		}
	}
	return out
}

// createSecret creates (or replaces) a Secret in the registry namespace.
func (e integrationEnv) createSecret(t *testing.T, name string, data map[string]string) {
	t.Helper()
	ctx := context.Background()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.platform.Namespace, Name: name}, StringData: data}
	_ = e.kube.Delete(ctx, s)
	if err := e.kube.Create(ctx, s); err != nil {
		t.Fatalf("cannot create secret %s: %v", name, err)
	}
	t.Cleanup(func() { _ = e.kube.Delete(context.Background(), s) })
}

// createObject creates obj and deletes it when the test ends.
func (e integrationEnv) createObject(t *testing.T, obj client.Object) {
	t.Helper()
	if err := e.kube.Create(context.Background(), obj); err != nil {
		t.Fatalf("cannot create %T %s: %v", obj, obj.GetName(), err)
	}
	t.Cleanup(func() { _ = e.kube.Delete(context.Background(), obj) })
}

// waitSiteReady waits for Ready=True and Synced=True and returns the Site.
func (e integrationEnv) waitSiteReady(t *testing.T, name string) *v1alpha1.Site {
	t.Helper()
	var s v1alpha1.Site
	eventually(t, integrationTimeout, "Site "+name+" Ready and Synced", func() (bool, string) {
		if err := e.kube.Get(context.Background(), client.ObjectKey{Name: name}, &s); err != nil {
			return false, err.Error()
		}
		r, sy := s.Status.GetCondition(v1alpha1.TypeReady), s.Status.GetCondition(v1alpha1.TypeSynced)
		return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue,
			fmt.Sprintf("Ready=%s/%s %q, Synced=%s/%s %q", r.Status, r.Reason, r.Message, sy.Status, sy.Reason, sy.Message)
	})
	return &s
}

// deleteSite deletes the Site and waits until it is gone.
func (e integrationEnv) deleteSite(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if err := e.kube.Delete(ctx, &v1alpha1.Site{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatalf("cannot delete Site %s: %v", name, err)
	}
	eventually(t, integrationTimeout, "Site "+name+" gone", func() (bool, string) {
		var s v1alpha1.Site
		err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &s)
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		r, sy := s.Status.GetCondition(v1alpha1.TypeReady), s.Status.GetCondition(v1alpha1.TypeSynced)
		return false, fmt.Sprintf("finalizers %v, Ready=%s/%s %q, Synced=%s/%s %q", s.Finalizers, r.Status, r.Reason, r.Message, sy.Status, sy.Reason, sy.Message)
	})
}

// platformKubeconfig is a self-contained kubeconfig for the platform plane.
func platformKubeconfig(t *testing.T, p *sandbox.Platform) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["platform"] = &clientcmdapi.Cluster{Server: p.APIServerURL, CertificateAuthorityData: p.CACertPEM}
	cfg.AuthInfos["mc-admin"] = &clientcmdapi.AuthInfo{Token: p.Token}
	cfg.Contexts["platform"] = &clientcmdapi.Context{Cluster: "platform", AuthInfo: "mc-admin"}
	cfg.CurrentContext = "platform"
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestSiteIntegration_gitopsLifecycle creates a Site with a GitOps root
// application through the controller, waits for it to become Ready, changes
// it, and deletes it with deletionPolicy Delete.
func TestSiteIntegration_gitopsLifecycle(t *testing.T) {
	env := startController(t)
	p := env.platform
	ctx := context.Background()
	const name = "ctrl-gitops"
	path := "sites/" + name
	repoURL, err := p.CreateGitRepo(ctx, "controller-"+name, map[string]string{
		path + "/configmap.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-marker\n  namespace: default\ndata:\n  site: %s\n", name, name),
	})
	if err != nil {
		t.Fatalf("CreateGitRepo() error = %v", err)
	}
	env.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.DefaultProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   p.Namespace,
		},
	})
	env.createSecret(t, name+"-git", map[string]string{"password": p.GitPassword})

	env.createObject(t, &v1alpha1.Site{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.SiteSpec{ForProvider: v1alpha1.SiteParameters{
			Description: "first",
			Labels:      map[string]string{"region": "kr-central"},
			ArgoCD:      v1alpha1.ArgoCDParameters{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName},
			GitOps: &v1alpha1.GitOpsParameters{
				RepoURL: repoURL, Path: path, Username: p.GitUsername,
				PasswordSecretRef: &v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: name + "-git", Key: "password"},
			},
		}},
	})

	s := env.waitSiteReady(t, name)
	if got := s.Annotations[v1alpha1.AnnotationExternalName]; got != name {
		t.Errorf("external-name = %q, want %q", got, name)
	}
	if _, pending := s.Annotations[v1alpha1.AnnotationCreatePending]; pending {
		t.Errorf("create-pending annotation left on a created Site")
	}
	if r := s.Status.GetCondition(v1alpha1.TypeReady); r.Reason != v1alpha1.ReasonAvailable {
		t.Errorf("Ready reason = %s, want Available", r.Reason)
	}
	if s.Spec.DeletionPolicy != v1alpha1.DeletionDelete || s.Spec.ProviderConfigReference == nil ||
		s.Spec.ProviderConfigReference.Name != v1alpha1.DefaultProviderConfigName || s.Spec.ForProvider.GitOps.Branch != "main" {
		t.Errorf("CRD defaults not applied: %+v", s.Spec)
	}
	at := s.Status.AtProvider
	if !strings.HasPrefix(at.KubernetesVersion, "v1.") || at.ArgoCDVersion == "" || at.RootApplication != name+"-root" ||
		at.SyncStatus != "Synced" || at.HealthStatus != "Healthy" {
		t.Errorf("status.atProvider = %+v, want a Kubernetes version, an Argo CD version and a Synced, Healthy %s-root", at, name)
	}
	if records := env.siteRecords(t, name); len(records) != 1 {
		t.Fatalf("found %d site records labelled %s=%s in %s, want 1", len(records), registry.LabelSite, name, p.Namespace)
	}
	var marker corev1.ConfigMap
	if err := env.kube.Get(ctx, client.ObjectKey{Namespace: "default", Name: name + "-marker"}, &marker); err != nil {
		t.Errorf("the root application did not deploy the repository's ConfigMap: %v", err)
	}

	// A change of spec.forProvider reaches the record.
	if err := env.kube.Get(ctx, client.ObjectKey{Name: name}, s); err != nil {
		t.Fatal(err)
	}
	s.Spec.ForProvider.Description = "second"
	if err := env.kube.Update(ctx, s); err != nil {
		t.Fatalf("cannot update Site: %v", err)
	}
	eventually(t, integrationTimeout, "the record to have the new description", func() (bool, string) {
		rec, err := site.New(registry.New(env.config, p.Namespace)).Lookup(ctx, name)
		if err != nil {
			return false, err.Error()
		}
		return rec.Spec.Description == "second", "description " + rec.Spec.Description
	})

	env.deleteSite(t, name)
	if records := env.siteRecords(t, name); len(records) != 0 {
		t.Errorf("deletionPolicy Delete left %d site records", len(records))
	}
}

// TestSiteIntegration_orphanThenObserve registers a site through a
// ProviderConfig with Secret credentials, deletes the Site with
// deletionPolicy Orphan (the record stays), adopts the record again with an
// Observe-only Site, and deletes that (the record still stays).
func TestSiteIntegration_orphanThenObserve(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	env := startController(t)
	p := env.platform
	ctx := context.Background()
	const name = "ctrl-orphan"
	const providerConfig = "from-secret"
	t.Cleanup(func() {
		// The test orphans the record on purpose; remove it through the engine.
		if err := site.New(registry.New(env.config, p.Namespace)).Delete(context.Background(), name); err != nil {
			t.Errorf("cannot clean up the site record: %v", err)
		}
	})
	env.createSecret(t, "platform-kubeconfig", map[string]string{"kubeconfig": platformKubeconfig(t, p)})
	env.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: providerConfig},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{
				Source:    v1alpha1.CredentialsSourceSecret,
				SecretRef: &v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: "platform-kubeconfig", Key: "kubeconfig"},
			},
			Namespace: p.Namespace,
		},
	})

	if err := env.kube.Create(ctx, &v1alpha1.Site{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.SiteSpec{
			ResourceSpec: v1alpha1.ResourceSpec{
				DeletionPolicy:          v1alpha1.DeletionOrphan,
				ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: providerConfig},
			},
			ForProvider: v1alpha1.SiteParameters{Description: "orphaned"},
		},
	}); err != nil {
		t.Fatalf("cannot create Site: %v", err)
	}
	s := env.waitSiteReady(t, name)
	if !strings.HasPrefix(s.Status.AtProvider.KubernetesVersion, "v1.") {
		t.Errorf("status.atProvider.kubernetesVersion = %q", s.Status.AtProvider.KubernetesVersion)
	}
	env.deleteSite(t, name)
	if records := env.siteRecords(t, name); len(records) != 1 {
		t.Fatalf("deletionPolicy Orphan: found %d site records, want 1", len(records))
	}

	// Declarative import: an Observe-only Site adopts the orphaned record,
	// reports it, late-initialises nothing and never deletes it.
	if err := env.kube.Create(ctx, &v1alpha1.Site{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.SiteSpec{
			ResourceSpec: v1alpha1.ResourceSpec{
				ManagementPolicies:      v1alpha1.ManagementPolicies{v1alpha1.ManagementActionObserve},
				ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: providerConfig},
			},
		},
	}); err != nil {
		t.Fatalf("cannot create the Observe-only Site: %v", err)
	}
	s = env.waitSiteReady(t, name)
	if got := s.Annotations[v1alpha1.AnnotationExternalName]; got != name {
		t.Errorf("external-name = %q, want %q", got, name)
	}
	if rec, err := site.New(registry.New(env.config, p.Namespace)).Lookup(ctx, name); err != nil || rec.Spec.Description != "orphaned" {
		t.Errorf("Observe-only changed the record: %+v, %v", rec, err)
	}
	env.deleteSite(t, name)
	if records := env.siteRecords(t, name); len(records) != 1 {
		t.Fatalf("Observe-only deletion: found %d site records, want 1", len(records))
	}
}
