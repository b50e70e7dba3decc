//go:build platform

package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// suffix makes names unique, so that the tests also run against a reused platform.
func suffix() string { return strconv.FormatInt(time.Now().UnixNano()%1e9, 36) }

func clients(t *testing.T) (*sandbox.Platform, kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	p := sandboxtest.Platform(t)
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
	return p, cs, dyn
}

// eventually polls f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		if last = f(ctx); last == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not reached within %s: %v", what, timeout, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func TestDeploymentBecomesAvailableOnKwokNode(t *testing.T) {
	p, cs, _ := clients(t)
	ctx := context.Background()
	ns := "deploy-test-" + suffix()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	replicas := int32(2)
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
	// The namespace's default ServiceAccount is created asynchronously.
	eventually(t, 30*time.Second, "default ServiceAccount in "+ns, func(ctx context.Context) error {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "Deployment Available", func(ctx context.Context) error {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && d.Status.AvailableReplicas == replicas {
				return nil
			}
		}
		return fmt.Errorf("status %+v", d.Status)
	})
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pod := range pods.Items {
		if pod.Spec.NodeName != p.Nodes[0] || pod.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s: node %q phase %s, want node %q Running", pod.Name, pod.Spec.NodeName, pod.Status.Phase, p.Nodes[0])
		}
	}
}

func TestAdminTokenIsClusterAdmin(t *testing.T) {
	p := sandboxtest.Platform(t)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: p.APIServerURL, BearerToken: p.Token, TLSClientConfig: rest.TLSClientConfig{CAData: p.CACertPEM}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets(sandbox.ArgoCDNamespace).List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatalf("mc-admin token cannot list secrets: %v", err)
	}
}

func TestClusterAPICRDsEstablished(t *testing.T) {
	_, _, dyn := clients(t)
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	for _, name := range []string{"clusters.cluster.x-k8s.io", "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io", "kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io", "applications.argoproj.io"} {
		if _, err := crds.Get(context.Background(), name, metav1.GetOptions{}); err != nil {
			t.Errorf("CRD %s: %v", name, err)
		}
	}
}

func TestGitServerAuth(t *testing.T) {
	p := sandboxtest.Platform(t)
	ctx := context.Background()
	repo := "auth-test-" + suffix() + ".git"
	if _, err := p.CreateGitRepo(ctx, repo, map[string]string{"README.md": "hello\n"}); err != nil {
		t.Fatal(err)
	}
	get := func(repo, user, pass string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.GitURL+"/"+repo+"/info/refs?service=git-upload-pack", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		name, repo, user, pass string
		want                   int
	}{
		{"right credentials", repo, p.GitUsername, p.GitPassword, 200},
		{"wrong password", repo, p.GitUsername, "wrong", 401},
		{"no credentials", repo, "", "", 401},
		{"unknown repository", "missing.git", p.GitUsername, p.GitPassword, 404},
	} {
		if got := get(c.repo, c.user, c.pass); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
}

var appGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

func TestArgoCDApplicationSyncsFromGit(t *testing.T) {
	p, cs, dyn := clients(t)
	ctx := context.Background()
	name := "argo-test-" + suffix()
	repo, err := p.CreateGitRepo(ctx, name, map[string]string{
		"manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-git\ndata:\n  greeting: hello\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   map[string]any{"name": name, "namespace": p.ArgoCDNamespace},
		"spec": map[string]any{
			"project":     "default",
			"source":      map[string]any{"repoURL": repo, "targetRevision": "main", "path": "manifests"},
			"destination": map[string]any{"name": p.ArgoCDClusterName, "namespace": name},
			"syncPolicy": map[string]any{
				"automated":   map[string]any{"prune": true},
				"syncOptions": []any{"CreateNamespace=true"},
			},
		},
	}}
	// The default AppProject is created by argocd-server at start.
	eventually(t, 60*time.Second, "create Application", func(ctx context.Context) error {
		_, err := dyn.Resource(appGVR).Namespace(p.ArgoCDNamespace).Create(ctx, app, metav1.CreateOptions{})
		return err
	})
	eventually(t, 120*time.Second, "Application Synced and Healthy", func(ctx context.Context) error {
		got, err := dyn.Resource(appGVR).Namespace(p.ArgoCDNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		sync, _, _ := unstructured.NestedString(got.Object, "status", "sync", "status")
		health, _, _ := unstructured.NestedString(got.Object, "status", "health", "status")
		if sync == "Synced" && health == "Healthy" {
			return nil
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		return fmt.Errorf("sync %q health %q conditions %v", sync, health, conds)
	})
	cm, err := cs.CoreV1().ConfigMaps(name).Get(ctx, "from-git", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["greeting"] != "hello" {
		t.Errorf("ConfigMap data %v", cm.Data)
	}
}

func TestHarborSites(t *testing.T) {
	p := sandboxtest.Platform(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env, err := os.ReadFile(p.EnvPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"MC_SANDBOX_HARBOR_A_URL", "MC_SANDBOX_HARBOR_B_URL", "MC_SANDBOX_HARBOR_A_REGISTRY",
		"MC_SANDBOX_HARBOR_B_REGISTRY", "MC_SANDBOX_HARBOR_USERNAME", "MC_SANDBOX_HARBOR_PASSWORD"} {
		if !strings.Contains(string(env), "export "+v+"=") {
			t.Errorf("env file lacks %s", v)
		}
	}
	for _, site := range sandbox.HarborSites {
		h, ok := p.Harbors[site]
		if !ok {
			t.Fatalf("platform has no Harbor %s: %v", site, p.Harbors)
		}
		resp, err := http.Get(h.URL + "/api/v2.0/health")
		if err != nil {
			t.Fatalf("%s health: %v", site, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s health: %s", site, resp.Status)
		}
		resp, err = http.Get(h.RegistryURL + "/v2/")
		if err != nil {
			t.Fatalf("%s registry: %v", site, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s registry /v2/: %s", site, resp.Status)
		}
		c, err := p.HarborClient(site)
		if err != nil {
			t.Fatal(err)
		}
		u, err := c.CurrentUser(ctx)
		if err != nil {
			t.Fatalf("%s: admin credentials: %v", site, err)
		}
		if u.Username != h.Username || !u.SysadminFlag {
			t.Errorf("%s: current user %+v, want sysadmin %s", site, u, h.Username)
		}
		bad, err := harbor.New(harbor.Config{URL: h.URL, Username: h.Username, Password: h.Password + "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bad.CurrentUser(ctx); harbor.StatusCode(err) != http.StatusUnauthorized {
			t.Errorf("%s: wrong password: err %v, want 401", site, err)
		}
	}
	if p.Harbors[sandbox.HarborSiteA].URL == p.Harbors[sandbox.HarborSiteB].URL {
		t.Errorf("both sites on %s", p.Harbors[sandbox.HarborSiteA].URL)
	}

	repo := "demo-" + suffix()
	ref, digest, err := p.PushImage(ctx, sandbox.HarborSiteB, "library/"+repo+":v1")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pushed %s@%s", ref, digest)
	ref2, digest2, err := p.PushImage(ctx, sandbox.HarborSiteB, "library/"+repo+":v1")
	if err != nil {
		t.Fatalf("second push: %v", err)
	}
	if ref2 != ref || digest2 != digest {
		t.Errorf("second push: %s@%s, want %s@%s", ref2, digest2, ref, digest)
	}
	img, err := sandbox.DemoImage()
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := img.Digest(); d.String() != digest {
		t.Errorf("DemoImage digest %s, pushed %s", d, digest)
	}
	b, err := p.HarborClient(sandbox.HarborSiteB)
	if err != nil {
		t.Fatal(err)
	}
	for _, reference := range []string{"v1", digest} {
		a, err := b.GetArtifact(ctx, "library", repo, reference)
		if err != nil {
			t.Fatalf("GetArtifact(%s): %v", reference, err)
		}
		if a.Digest != digest {
			t.Errorf("GetArtifact(%s) digest %s, want %s", reference, a.Digest, digest)
		}
	}
	// A new project is created on the way; site-a does not have the image.
	if _, d, err := p.PushImage(ctx, sandbox.HarborSiteB, "team-"+suffix()+"/app:1"); err != nil || d != digest {
		t.Errorf("push into a new project: digest %s, err %v", d, err)
	}
	a, err := p.HarborClient(sandbox.HarborSiteA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetArtifact(ctx, "library", repo, "v1"); !harbor.IsNotFound(err) {
		t.Errorf("site-a GetArtifact: err %v, want 404", err)
	}
	if _, _, err := p.PushImage(ctx, "site-c", "library/x:1"); err == nil {
		t.Errorf("push to an unknown site succeeded")
	}
}

func TestUpIsIdempotent(t *testing.T) {
	p := sandboxtest.Platform(t)
	before := map[string]int{}
	for _, c := range p.Status() {
		before[c.Name] = c.PID
	}
	t0 := time.Now()
	again, err := sandbox.Up(context.Background(), sandbox.Options{StateDir: p.StateDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warm Up took %s", time.Since(t0))
	if again.APIServerURL != p.APIServerURL || again.GitURL != p.GitURL {
		t.Errorf("Up returned another platform: %s %s, want %s %s", again.APIServerURL, again.GitURL, p.APIServerURL, p.GitURL)
	}
	after := again.Status()
	if len(after) != len(before) {
		t.Fatalf("components: %d before, %d after", len(before), len(after))
	}
	for _, c := range after {
		if !c.Running || before[c.Name] != c.PID {
			t.Errorf("%s: pid %d running %v, want pid %d running", c.Name, c.PID, c.Running, before[c.Name])
		}
	}
}

// TestDownStopsEverything must stay the last test: it stops the platform of
// this test binary. A shared platform (MC_SANDBOX_REUSE=1) must outlive the
// test, so then the test starts and stops one of its own.
func TestDownStopsEverything(t *testing.T) {
	p := sandboxtest.Platform(t)
	if sandboxtest.Reused() {
		p = sandboxtest.Own(t)
	}
	st := p.Status()
	registries := registryPIDs(t, p.StateDir)
	if len(registries) != len(sandbox.HarborSites) {
		t.Errorf("want %d registry processes, found pids %v", len(sandbox.HarborSites), registries)
	}
	if len(st) < 9 {
		t.Fatalf("want at least 9 components, got %v", st)
	}
	if err := sandbox.Down(p.StateDir); err != nil {
		t.Fatal(err)
	}
	for _, c := range st {
		if processAlive(c.PID) {
			t.Errorf("%s (pid %d) still runs after Down", c.Name, c.PID)
		}
	}
	if err := sandbox.Down(p.StateDir); err != nil {
		t.Errorf("second Down: %v", err)
	}
	if left := registryPIDs(t, p.StateDir); len(left) > 0 {
		t.Errorf("registry processes %v still run after Down", left)
	}
	if _, err := http.Get(p.GitURL); err == nil {
		t.Errorf("git server still answers after Down")
	}
}

// registryPIDs lists the running registry processes of the sandbox in
// stateDir (their config lies in its harbor directory).
func registryPIDs(t *testing.T, stateDir string) []int {
	t.Helper()
	dir := filepath.Join(stateDir, "harbor") + "/"
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmd), "\x00")
		if len(args) >= 3 && strings.HasPrefix(filepath.Base(args[0]), "registry") && args[1] == "serve" &&
			strings.HasPrefix(args[2], dir) && processAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
