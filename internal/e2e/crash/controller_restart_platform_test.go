//go:build platform

package crash

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/controller"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

var setLoggerOnce sync.Once

// crashProxy stands between the controller and Bitbucket. Armed, it
// forwards the first request that creates a project (so the project is
// made), then answers nothing more, that request included, until
// released: to the controller it is as if it died right after Create
// reached the backend.
type crashProxy struct {
	forward *httputil.ReverseProxy
	armed   atomic.Bool
	down    atomic.Bool
	// crashed is closed when the create has been forwarded.
	crashed chan struct{}
	once    sync.Once
}

func newCrashProxy(t *testing.T, target string) (*crashProxy, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	cp := &crashProxy{forward: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host}), crashed: make(chan struct{})}
	cp.armed.Store(true)
	srv := httptest.NewServer(cp)
	t.Cleanup(srv.Close)
	return cp, srv.URL + u.Path
}

func (cp *crashProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if cp.down.Load() {
		<-r.Context().Done()
		return
	}
	if cp.armed.Load() && r.Method == http.MethodPost && strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/projects") {
		cp.forward.ServeHTTP(httptest.NewRecorder(), r)
		cp.down.Store(true)
		cp.once.Do(func() { close(cp.crashed) })
		<-r.Context().Done()
		return
	}
	cp.forward.ServeHTTP(w, r)
}

// release lets every request through again, unarmed.
func (cp *crashProxy) release() {
	cp.armed.Store(false)
	cp.down.Store(false)
}

// testControllerRestart stops the controller right after it called Create
// for a Project (the Bitbucket project is made, the answer never comes
// back), starts it again, and checks that the Project becomes Ready with
// every backend object made once: the create-pending annotation the
// reconciler wrote before Create is still there after the stop, and the
// next controller adopts what the first one made.
func testControllerRestart(t *testing.T, p *sandbox.Platform, b *backends) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	setLoggerOnce.Do(func() { ctrl.SetLogger(logr.Discard()) })
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	installCRDs(ctx, t, kube, "projects", "providerconfigs")

	proxy, bitbucketURL := newCrashProxy(t, p.Bitbucket.URL)
	const pcName = "crash-controller"
	services := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: pcName + "-services"},
		StringData: map[string]string{
			controller.ServicesKeyBitbucketURL: bitbucketURL, controller.ServicesKeyBitbucketUsername: p.Bitbucket.Username, controller.ServicesKeyBitbucketToken: p.Bitbucket.Password,
			controller.ServicesKeyJiraURL: p.Jira.URL, controller.ServicesKeyJiraEmail: p.Jira.Email, controller.ServicesKeyJiraAPIToken: p.Jira.APIToken,
		},
	}
	pc := &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: pcName},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{
				Source:    v1alpha1.CredentialsSourceInjectedIdentity,
				SecretRef: &v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: services.Name, Key: controller.ServicesKeyJiraAPIToken},
			},
			Namespace: p.Namespace,
		},
	}
	for _, o := range []client.Object{services, pc} {
		if err := kube.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	key := randomKey("CRC")
	name := strings.ToLower(key)
	counters := []counter{
		{name: "Bitbucket projects", count: func(ctx context.Context) (int, error) { return b.bitbucketProjects(ctx, key) }},
		{name: "Jira projects", count: func(ctx context.Context) (int, error) { return b.jiraProjects(ctx, key) }},
	}
	proj := &v1alpha1.Project{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ProjectSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pcName}},
			ForProvider: v1alpha1.ProjectParameters{
				Name:      "Controller crash " + key,
				Bitbucket: &v1alpha1.ProjectBitbucket{Workspace: p.Bitbucket.Workspace},
				Jira:      &v1alpha1.ProjectJira{LeadAccountID: jirasim.AliceAccountID},
			},
		},
	}

	first := startManager(t, cfg, scheme)
	if err := kube.Create(ctx, proj); err != nil {
		first.stop(t)
		t.Fatal(err)
	}
	select {
	case <-proxy.crashed:
	case <-time.After(2 * time.Minute):
		first.stop(t)
		t.Fatal("the controller did not create the Bitbucket project within 2 minutes")
	}
	crashAfter := time.Since(t0)
	first.stop(t)
	var got v1alpha1.Project
	if err := kube.Get(ctx, client.ObjectKey{Name: name}, &got); err != nil {
		t.Fatal(err)
	}
	pending, hasPending := got.GetAnnotations()[v1alpha1.AnnotationCreatePending]
	if !hasPending {
		t.Errorf("after the stop right after Create, the Project has no %s annotation: %v", v1alpha1.AnnotationCreatePending, got.GetAnnotations())
	}
	atStop, err := countAll(ctx, counters)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("controller stopped %s after the Project was created, right after its Create made the Bitbucket project (answer lost); create-pending %q; counts %v",
		crashAfter.Round(time.Millisecond), pending, atStop)

	proxy.release()
	r0 := time.Now()
	second := startManager(t, cfg, scheme)
	defer second.stop(t)
	var last string
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := kube.Get(ctx, client.ObjectKey{Name: name}, &got); err != nil {
			last = err.Error()
			return false, nil
		}
		ready, synced := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
		last = fmt.Sprintf("Ready=%s %q Synced=%s %q", ready.Status, ready.Message, synced.Status, synced.Message)
		return ready.Status == corev1.ConditionTrue && synced.Status == corev1.ConditionTrue, nil
	})
	if err != nil {
		t.Fatalf("the Project did not become Ready after the controller's restart: %s", last)
	}
	if _, ok := got.GetAnnotations()[v1alpha1.AnnotationCreatePending]; ok {
		t.Errorf("the Project still has the %s annotation once Ready", v1alpha1.AnnotationCreatePending)
	}
	if ext := got.GetAnnotations()[v1alpha1.AnnotationExternalName]; ext != key {
		t.Errorf("external name = %q, want %q", ext, key)
	}
	counts, err := countAll(ctx, counters)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(each(counters, 1), counts); diff != "" {
		t.Errorf("backend objects after the restart (-want +got):\n%s", diff)
	}
	t.Logf("restarted controller made the Project Ready in %s; counts %v", time.Since(r0).Round(time.Millisecond), counts)

	if err := kube.Delete(ctx, &got); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		return apierrors.IsNotFound(kube.Get(ctx, client.ObjectKey{Name: name}, &v1alpha1.Project{})), nil
	})
	if err != nil {
		t.Fatalf("the Project was not deleted: %v", err)
	}
	left, err := countAll(ctx, counters)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(each(counters, 0), left); diff != "" {
		t.Errorf("backend objects left after the Project was deleted (-want +got):\n%s", diff)
	}
	t.Logf("controller restart: %s in all", time.Since(t0).Round(time.Second))
}

// runningManager is a controller manager with the Project controller.
type runningManager struct {
	cancel context.CancelFunc
	done   chan error
}

// startManager starts a manager with the Project controller, as
// mc-controller runs it.
func startManager(t *testing.T, cfg *rest.Config, scheme *runtime.Scheme) *runningManager {
	t.Helper()
	skipNameValidation := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := controller.SetupProject(mgr, controller.Options{NotReadyPollInterval: time.Second}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &runningManager{cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	return m
}

// stop stops the manager and waits for it (idempotent).
func (m *runningManager) stop(t *testing.T) {
	t.Helper()
	if m.done == nil {
		return
	}
	m.cancel()
	if err := <-m.done; err != nil {
		t.Errorf("the manager stopped with an error: %v", err)
	}
	m.done = nil
}

// installCRDs creates the named CRDs of group mc.mcplatform.dev from
// config/crd unless they exist, and waits until they are established.
func installCRDs(ctx context.Context, t *testing.T, kube client.Client, plurals ...string) {
	t.Helper()
	for _, plural := range plurals {
		f := filepath.Join("..", "..", "..", "config", "crd", v1alpha1.Group+"_"+plural+".yaml")
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
			t.Fatalf("cannot decode %s: %v", f, err)
		}
		if err := kube.Create(ctx, &crd); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("cannot create CRD %s: %v", crd.Name, err)
		}
		err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			var got apiextensionsv1.CustomResourceDefinition
			if err := kube.Get(ctx, client.ObjectKey{Name: crd.Name}, &got); err != nil {
				return false, nil
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("CRD %s not established: %v", crd.Name, err)
		}
	}
}
