//go:build platform

package quickstart

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2/textlogger"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/controller"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// runLabel marks the objects of one run of the controller test; the test's
// manager sees only those, so that it never reconciles other tests'
// resources on a shared platform.
const runLabel = "e2e.mcplatform.dev/run"

// lockedBuffer is a buffer safe for concurrent writes: the controller's log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLinesNaming returns the last max lines of the controller's log that
// name name, and says whether its workers started, for a failed wait.
func logLinesNaming(log, name string, max int) string {
	var lines []string
	started := false
	for line := range strings.Lines(log) {
		if strings.Contains(line, "Starting workers") {
			started = true
		}
		if strings.Contains(line, name) {
			lines = append(lines, line)
		}
	}
	head := fmt.Sprintf("the controller's workers started: %t; %d log lines name %s", started, len(lines), name)
	if len(lines) > max {
		head += fmt.Sprintf(", the last %d:", max)
		lines = lines[len(lines)-max:]
	}
	return head + "\n" + strings.Join(lines, "")
}

// TestControllerKeepsSecretsHidden applies resources with secrets through
// the controller (its log at the highest verbosity): a site whose Harbor
// password and a cluster registration whose token come from a Secret, and
// a twin of each with a wrong password or token, whose failures end up in
// conditions and Events. No secret appears in the controller's log, the
// Events or the resources' status.
func TestControllerKeepsSecretsHidden(t *testing.T) {
	t.Parallel() // beside TestQuickstart: its names are its own
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.Workload...)
	ctx := context.Background()
	suffix := randomName(5)
	ns := "mc-e2e-" + suffix
	secrets := newSecretSet()

	// The controller's log, everything it says; set before any client logs.
	var logs lockedBuffer
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(10), textlogger.Output(&logs)))
	ctrl.SetLogger(logger)

	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
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
	ensureCRDs(t, kube)
	mine := map[string]string{runLabel: suffix}
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: mine}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	})

	// The controller, seeing only this run's objects, logging everything.
	skipNameValidation := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 logger,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skipNameValidation},
		Cache:                  cache.Options{DefaultLabelSelector: labels.SelectorFromSet(mine)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Four workers per kind, as config/manager runs the controller: one
	// object whose reconcile waits on a slow backend (its twin with wrong
	// credentials) must not hold back the others.
	opts := controller.Options{PollInterval: 10 * time.Second, NotReadyPollInterval: time.Second, MaxConcurrentReconciles: 4}
	if err := controller.SetupSite(mgr, opts); err != nil {
		t.Fatal(err)
	}
	if err := controller.SetupClusterRegistration(mgr, opts); err != nil {
		t.Fatal(err)
	}
	mgrCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("manager stopped with error: %v", err)
		}
	})

	harborB := p.Harbors[sandbox.HarborSiteB]
	creds := map[string]string{
		"harbor-password": harborB.Password,
		"wrong-password":  "Wrong-" + randomName(12) + "-A1",
		"token":           p.WorkloadToken,
		"wrong-token":     "wrong-token-" + randomName(24),
	}
	for k, v := range creds {
		secrets.add("Secret key "+k, v)
	}
	secrets.addBasic("Harbor admin password", harborB.Username, harborB.Password)
	secrets.addBasic("wrong Harbor password", harborB.Username, creds["wrong-password"])
	credSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "credentials", Namespace: ns, Labels: mine}, StringData: creds}
	pcName := "e2e-" + suffix
	pc := &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: pcName, Labels: mine},
		Spec: v1alpha1.ProviderConfigSpec{Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity}, Namespace: ns}}
	ref := func(key string) *v1alpha1.SecretKeySelector {
		return &v1alpha1.SecretKeySelector{Namespace: ns, Name: credSecret.Name, Key: key}
	}
	resourceSpec := v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pcName}}
	site := func(name, key string) *v1alpha1.Site {
		return &v1alpha1.Site{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: mine}, Spec: v1alpha1.SiteSpec{ResourceSpec: resourceSpec,
			ForProvider: v1alpha1.SiteParameters{Description: "secrets scan", Harbor: &v1alpha1.HarborParameters{
				URL: harborB.URL, Username: harborB.Username, PasswordSecretRef: ref(key)}}}}
	}
	workloadCA, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	registration := func(name, siteName, key string) *v1alpha1.ClusterRegistration {
		return &v1alpha1.ClusterRegistration{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: mine}, Spec: v1alpha1.ClusterRegistrationSpec{
			ResourceSpec: resourceSpec, ForProvider: v1alpha1.ClusterRegistrationParameters{Site: siteName, Server: p.WorkloadServerURL,
				CACertificate: string(workloadCA), TokenSecretRef: *ref(key)}}}
	}
	goodSite, badSite := site(suffix+"-site", "harbor-password"), site(suffix+"-wrong-site", "wrong-password")
	goodReg, badReg := registration(suffix+"-reg", goodSite.Name, "token"), registration(suffix+"-wrong-reg", goodSite.Name, "wrong-token")
	managed := []client.Object{goodSite, badSite, goodReg, badReg}
	for _, obj := range append([]client.Object{credSecret, pc}, managed...) {
		if err := kube.Create(ctx, obj); err != nil {
			t.Fatalf("cannot create %T %s: %v", obj, obj.GetName(), err)
		}
	}
	t.Cleanup(func() {
		// The registrations first: deleting one needs its site's record.
		ctx := context.Background()
		for _, group := range [][]client.Object{{goodReg, badReg}, {goodSite, badSite}} {
			for _, obj := range group {
				_ = kube.Delete(ctx, obj)
			}
			for _, obj := range group {
				key := client.ObjectKeyFromObject(obj)
				err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
					return apierrors.IsNotFound(kube.Get(ctx, key, obj)), nil
				})
				if err != nil {
					t.Errorf("%s is not gone after its deletion", key.Name)
				}
			}
		}
		_ = kube.Delete(ctx, pc)
	})

	condition := func(obj client.Object, typ v1alpha1.ConditionType) *v1alpha1.Condition {
		if err := kube.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return nil
		}
		for _, c := range obj.(controller.Managed).GetResourceStatus().Conditions {
			if c.Type == typ {
				return &c
			}
		}
		return nil
	}
	waitFor := func(obj client.Object, what string, ok func() bool) {
		t.Helper()
		err := wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(context.Context) (bool, error) { return ok(), nil })
		if err != nil {
			status, _ := yaml.Marshal(obj)
			t.Fatalf("%s is not %s:\n%s\n%s", obj.GetName(), what, status, secrets.redact(logLinesNaming(logs.String(), obj.GetName(), 40)))
		}
	}
	for _, obj := range []client.Object{goodSite, goodReg} {
		waitFor(obj, "Ready", func() bool {
			c := condition(obj, v1alpha1.TypeReady)
			return c != nil && c.Status == corev1.ConditionTrue
		})
	}
	for _, obj := range []client.Object{badSite, badReg} {
		waitFor(obj, "failing", func() bool {
			s, r := condition(obj, v1alpha1.TypeSynced), condition(obj, v1alpha1.TypeReady)
			return (s != nil && s.Status == corev1.ConditionFalse && s.Message != "") || (r != nil && r.Status == corev1.ConditionFalse && r.Message != "")
		})
	}

	var statuses strings.Builder
	for _, obj := range managed {
		_ = kube.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&statuses, "---\n%s", b)
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"controller.log": logs.String(), "resources.yaml": statuses.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var eventText strings.Builder
	var events corev1.EventList
	if err := kube.List(ctx, &events); err != nil {
		t.Fatal(err)
	}
	nEvents := 0
	for _, e := range events.Items {
		if strings.HasPrefix(e.InvolvedObject.Name, suffix) {
			nEvents++
		}
		fmt.Fprintf(&eventText, "%s %s %s: %s\n", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
	leaks := secrets.scanText("controller log", logs.String())
	leaks = append(leaks, secrets.scanText("resources and their conditions", statuses.String())...)
	leaks = append(leaks, secrets.scanText("Kubernetes Events", eventText.String())...)
	for _, l := range leaks {
		t.Errorf("secret leaked: %s in %s", l.what, l.where)
	}
	if !strings.Contains(statuses.String(), "message:") || nEvents == 0 {
		t.Errorf("the failing resources report nothing to scan (%d Events of this run):\n%s", nEvents, statuses.String())
	}
	t.Logf("controller secrets scan: %d secrets in %d KB of controller log (verbosity 10), %d resources' status and %d Events (%d of this run): %d leaks",
		secrets.count(), len(logs.String())>>10, len(managed), len(events.Items), nEvents, len(leaks))
}

// ensureCRDs creates the CRDs of config/crd that the platform lacks and
// waits until they are established; existing ones are left as they are
// (other test packages install the same files).
func ensureCRDs(t *testing.T, kube client.Client) {
	t.Helper()
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(repoRoot, "config", "crd", v1alpha1.Group+"_*.yaml"))
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
		if err := kube.Create(ctx, &crd); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("cannot create CRD %s: %v", crd.Name, err)
		}
		err = wait.PollUntilContextTimeout(ctx, time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
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
			t.Fatalf("CRD %s is not established", crd.Name)
		}
	}
}
