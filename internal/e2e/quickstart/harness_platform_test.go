//go:build platform

package quickstart

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// repoRoot is the module root, relative to this package's directory.
const repoRoot = "../../.."

// quickstartDir is the example the tests run.
var quickstartDir = filepath.Join(repoRoot, "examples", "quickstart")

// TofuVersion is the OpenTofu release hack/build-testplane.sh caches.
const TofuVersion = "v1.12.6"

// cli is a Terraform-compatible command line tool.
type cli struct {
	name string // terraform or tofu
	path string
}

// terraformCLI returns the terraform CLI: $TF_ACC_TERRAFORM_PATH or the
// one on PATH.
func terraformCLI(t *testing.T) cli {
	t.Helper()
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("terraform"); err != nil {
			t.Fatalf("the terraform CLI is needed: %v", err)
		}
	}
	return cli{name: "terraform", path: path}
}

// tofuCLI returns the OpenTofu CLI that hack/build-testplane.sh caches with
// the test plane.
func tofuCLI(t *testing.T) cli {
	t.Helper()
	path := filepath.Join(sandbox.DefaultCacheDir(), "bin", "tofu-"+TofuVersion)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("OpenTofu %s is needed (hack/build-testplane.sh tofu builds it): %v", TofuVersion, err)
	}
	return cli{name: "tofu", path: path}
}

var (
	providerOnce sync.Once
	providerDir  string
	providerErr  error
)

// providerBinary builds the provider from the checkout once per test binary
// and returns the directory that holds it, for dev_overrides.
func providerBinary(t *testing.T) string {
	t.Helper()
	providerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mc-e2e-provider-")
		if err != nil {
			providerErr = err
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-mc"), ".")
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			providerErr = fmt.Errorf("cannot build the provider: %v\n%s", err, out)
			return
		}
		providerDir = dir
	})
	if providerErr != nil {
		t.Fatal(providerErr)
	}
	return providerDir
}

// randomName returns n random lower-case letters and digits, starting with
// a letter.
func randomName(n int) string {
	const letters, alnum = "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		if i == 0 {
			b[i] = letters[int(b[i])%len(letters)]
		} else {
			b[i] = alnum[int(b[i])%len(alnum)]
		}
	}
	return string(b)
}

// workspace is one root module run with one CLI against the platform, in a
// registry namespace of its own (so that its sites, the hub among them, are
// apart from other tests') and with a name prefix for what is global.
type workspace struct {
	t         *testing.T
	p         *sandbox.Platform
	cli       cli
	dir       string // the root module
	logDir    string // logs, outputs, state and plan copies of every step
	suffix    string
	prefix    string // name_prefix of the quickstart
	namespace string // MC_NAMESPACE
	env       map[string]string
	trace     bool // TF_LOG=TRACE for every step
	steps     int
	secrets   *secretSet
	webhook   *webhookReceiver
}

// webhookReceiver receives the notices of a notification channel.
type webhookReceiver struct {
	url, token, hmacKey string
	notices             atomic.Int64
}

// newWebhookReceiver starts a receiver that counts the notices POSTed to
// its secret path.
func newWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	r := &webhookReceiver{token: "hook-" + randomName(24), hmacKey: "hmac-" + randomName(24)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/hooks/"+r.token {
			http.NotFound(w, req)
			return
		}
		r.notices.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hooks/" + r.token
	return r
}

// newWorkspace prepares a root module with the files of src (*.tf) and the
// environment the quickstart needs, as hack/demo.sh does: the provider
// from the checkout through dev_overrides, a registry namespace of its own,
// the platform's credentials.
func newWorkspace(t *testing.T, p *sandbox.Platform, c cli, src string) *workspace {
	t.Helper()
	ctx := context.Background()
	suffix := randomName(5)
	w := &workspace{t: t, p: p, cli: c, dir: filepath.Join(t.TempDir(), "root"), suffix: suffix, prefix: suffix + "-",
		namespace: "mc-e2e-" + suffix, secrets: newSecretSet()}
	w.logDir = filepath.Join(t.TempDir(), "logs")
	for _, d := range []string{w.dir, w.logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tfFiles, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil || len(tfFiles) == 0 {
		t.Fatalf("no *.tf files in %s (err %v)", src, err)
	}
	for _, f := range tfFiles {
		copyFile(t, f, filepath.Join(w.dir, filepath.Base(f)))
	}

	kube := kubeClient(t, p)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.namespace, Labels: map[string]string{"e2e.mcplatform.dev/test": "quickstart"}}}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("cannot create namespace %s: %v", w.namespace, err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("MC_E2E_KEEP") == "1" {
			return
		}
		if err := kube.CoreV1().Namespaces().Delete(context.Background(), w.namespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("cannot delete namespace %s: %v", w.namespace, err)
		}
	})

	cliConfig := filepath.Join(t.TempDir(), c.name+".rc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"mcplatform/mc\" = %q\n  }\n  direct {}\n}\n", providerBinary(t))
	if err := os.WriteFile(cliConfig, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	sandboxEnv, err := sandbox.ReadEnvFile(p.EnvPath)
	if err != nil {
		t.Fatalf("cannot read the platform's env file: %v", err)
	}
	w.env = map[string]string{
		"TF_CLI_CONFIG_FILE": cliConfig,
		"TF_IN_AUTOMATION":   "1",
		"CHECKPOINT_DISABLE": "1",
		"MC_KUBECONFIG":      p.KubeconfigPath,
		"MC_NAMESPACE":       w.namespace,
		// The platform's Bitbucket and Jira, for mc_project and the kinds after it.
		"MC_BITBUCKET_URL":      p.Bitbucket.URL,
		"MC_BITBUCKET_USERNAME": p.Bitbucket.Username,
		"MC_BITBUCKET_TOKEN":    p.Bitbucket.Password,
		"MC_JIRA_URL":           p.Jira.URL,
		"MC_JIRA_EMAIL":         p.Jira.Email,
		"MC_JIRA_API_TOKEN":     p.Jira.APIToken,

		"TF_VAR_name_prefix":                 w.prefix,
		"TF_VAR_cluster_deletion_protection": "false",
		"TF_VAR_harbor_a_url":                p.Harbors[sandbox.HarborSiteA].URL,
		"TF_VAR_harbor_b_url":                p.Harbors[sandbox.HarborSiteB].URL,
		"TF_VAR_harbor_username":             p.Harbors[sandbox.HarborSiteB].Username,
		"TF_VAR_harbor_password":             p.Harbors[sandbox.HarborSiteB].Password,
		"TF_VAR_workload_server":             p.WorkloadServerURL,
		"TF_VAR_workload_ca_file":            p.WorkloadCAFile,
		"TF_VAR_workload_token":              p.WorkloadToken,
		"TF_VAR_bitbucket_workspace":         p.Bitbucket.Workspace,
		"TF_VAR_template_source_repo":        sandboxEnv["MC_SANDBOX_TEMPLATE_SOURCE_REPO"],
		"TF_VAR_template_yaml_repo":          sandboxEnv["MC_SANDBOX_TEMPLATE_YAML_REPO"],
	}
	if _, err := os.Stat(filepath.Join(src, "gitops")); err == nil {
		files := readTree(t, filepath.Join(src, "gitops"))
		repo, err := p.CreateGitRepo(ctx, "e2e-"+suffix+"-gitops", files)
		if err != nil {
			t.Fatalf("cannot seed the GitOps repository: %v", err)
		}
		w.env["TF_VAR_gitops_repo_url"] = repo
		w.env["TF_VAR_gitops_username"] = p.GitUsername
		w.env["TF_VAR_gitops_password"] = p.GitPassword
		// The image site B's replication copies to the hub.
		if _, _, err := p.PushImage(ctx, sandbox.HarborSiteB, "library/demo:v1"); err != nil {
			t.Fatalf("cannot push the demo image to site B: %v", err)
		}
	}

	// A test that stops half-way leaves nothing behind: destroy what the
	// state still holds (unless MC_E2E_KEEP=1 keeps a failed run).
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("MC_E2E_KEEP") == "1" {
			return
		}
		if w.stateIsEmpty() {
			return
		}
		t.Logf("destroying what the state of %s still holds", w.dir)
		w.trace = false
		if r := w.run("cleanup-destroy", nil, "destroy", "-input=false", "-auto-approve"); r.code != 0 {
			t.Errorf("cannot destroy what the test left:\n%s", tail(r.output, 30))
		}
	})

	// A webhook receiver for the quickstart's notification channel (when
	// it has one): its URL, with a token in its path, and the HMAC key are
	// secrets of the run.
	w.webhook = newWebhookReceiver(t)
	w.env["TF_VAR_notify_webhook_url"] = w.webhook.url
	w.env["TF_VAR_notify_hmac_secret"] = w.webhook.hmacKey
	w.secrets.add("webhook URL", w.webhook.url)
	w.secrets.add("webhook path token", w.webhook.token)
	w.secrets.add("webhook HMAC key", w.webhook.hmacKey)

	// Every secret the run is given.
	w.secrets.add("harbor admin password", p.Harbors[sandbox.HarborSiteB].Password)
	w.secrets.add("git server password", p.GitPassword)
	w.secrets.add("workload cluster token", p.WorkloadToken)
	w.secrets.add("Bitbucket app password", p.Bitbucket.Password)
	w.secrets.add("Jira API token", p.Jira.APIToken)
	w.secrets.add("platform token", p.Token)
	w.secrets.addKubeconfigKeys(t, "platform kubeconfig", p.KubeconfigPath)
	w.secrets.addKubeconfigKeys(t, "workload kubeconfig", p.WorkloadKubeconfigPath)
	return w
}

// kubeClient returns an admin clientset of the platform.
func kubeClient(t *testing.T, p *sandbox.Platform) kubernetes.Interface {
	t.Helper()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readTree reads the files below dir, by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// result is what one CLI run did.
type result struct {
	code   int
	output string
	took   time.Duration
}

// run runs the CLI with args in the root module, with extra environment
// (overriding the workspace's), and returns its exit code and combined
// output, kept in the log directory with the TRACE log when trace is on.
func (w *workspace) run(step string, extra map[string]string, args ...string) result {
	w.t.Helper()
	w.steps++
	name := fmt.Sprintf("%02d-%s-%s", w.steps, w.cli.name, step)
	env := map[string]string{}
	for k, v := range w.env {
		env[k] = v
	}
	if w.trace {
		env["TF_LOG"] = "TRACE"
		env["TF_LOG_PATH"] = filepath.Join(w.logDir, name+".trace.log")
	}
	for k, v := range extra {
		env[k] = v
	}
	cmd := exec.Command(w.cli.path, args...)
	cmd.Dir = w.dir
	cmd.Env = environ(env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	r := result{output: out.String(), took: time.Since(t0)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		w.t.Fatalf("cannot run %s %s: %v", w.cli.name, step, err)
	}
	if err := os.WriteFile(filepath.Join(w.logDir, name+".out"), out.Bytes(), 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.t.Logf("%s %s: exit %d in %s", w.cli.name, strings.Join(args, " "), r.code, r.took.Round(time.Second))
	return r
}

// must runs the CLI and fails the test unless it exits 0.
func (w *workspace) must(step string, extra map[string]string, args ...string) result {
	w.t.Helper()
	r := w.run(step, extra, args...)
	if r.code != 0 {
		w.t.Fatalf("%s %s failed (exit %d):\n%s", w.cli.name, strings.Join(args, " "), r.code, tail(r.output, 60))
	}
	return r
}

// environ is the process environment without TF_ and MC_ variables, plus env.
func environ(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "MC_") && !strings.HasPrefix(kv, "TOFU_") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// saveCopy copies a file of the root module into the log directory, for the
// secrets scan (the state after the apply is gone after the destroy).
func (w *workspace) saveCopy(file, as string) {
	w.t.Helper()
	if _, err := os.Stat(filepath.Join(w.dir, file)); err != nil {
		w.t.Fatalf("no %s in the root module: %v", file, err)
	}
	copyFile(w.t, filepath.Join(w.dir, file), filepath.Join(w.logDir, as))
}

// stateIsEmpty reports whether the root module's state holds no resource.
func (w *workspace) stateIsEmpty() bool {
	b, err := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	if err != nil {
		return true
	}
	var state struct {
		Resources []json.RawMessage `json:"resources"`
	}
	return json.Unmarshal(b, &state) == nil && len(state.Resources) == 0
}
