//go:build platform

package crash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

// providerBuild is the provider binary built from this checkout, shared by
// the tests of the package that run at the same time and removed when the
// last of them ends.
var providerBuild struct {
	mu    sync.Mutex
	users int
	dir   string
}

// providerDir builds the provider from this checkout into a temporary
// directory (once while tests use it) and returns the directory, which the
// CLI configuration's dev_overrides names.
func providerDir(t *testing.T) string {
	t.Helper()
	providerBuild.mu.Lock()
	defer providerBuild.mu.Unlock()
	if providerBuild.users == 0 {
		dir, err := os.MkdirTemp("", "mc-crash-provider-")
		if err != nil {
			t.Fatal(err)
		}
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(gomod)) == "" {
			_ = os.RemoveAll(dir)
			t.Fatalf("cannot find the module root: %v", err)
		}
		build := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-mc"), ".")
		build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		t0 := time.Now()
		if out, err := build.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			t.Fatalf("cannot build the provider: %v\n%s", err, out)
		}
		t.Logf("provider built from the checkout in %s", time.Since(t0).Round(time.Millisecond))
		providerBuild.dir = dir
	}
	providerBuild.users++
	dir := providerBuild.dir
	t.Cleanup(func() {
		providerBuild.mu.Lock()
		defer providerBuild.mu.Unlock()
		providerBuild.users--
		if providerBuild.users == 0 {
			_ = os.RemoveAll(providerBuild.dir)
			providerBuild.dir = ""
		}
	})
	return dir
}

// terraformPath is the terraform CLI: TF_ACC_TERRAFORM_PATH or terraform on
// PATH.
func terraformPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatalf("these tests run the terraform CLI: %v (put terraform on PATH or set TF_ACC_TERRAFORM_PATH)", err)
	}
	return p
}

// workdir is a Terraform root module run with the real terraform CLI and
// the provider built from this checkout, as a user runs it.
type workdir struct {
	t   *testing.T
	dir string
	tf  string
	env []string
}

// newWorkdir writes config (with the required_providers block) into a new
// directory.
func newWorkdir(t *testing.T, config string) *workdir {
	t.Helper()
	base := t.TempDir()
	plugins := providerDir(t)
	rc := filepath.Join(base, "terraform.rc")
	writeFile(t, rc, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"mcplatform/mc\" = %q\n  }\n  direct {}\n}\n", plugins))
	w := &workdir{t: t, dir: filepath.Join(base, "root"), tf: terraformPath(t)}
	writeFile(t, filepath.Join(w.dir, "versions.tf"), "terraform {\n  required_providers {\n    mc = {\n      source = \"mcplatform/mc\"\n    }\n  }\n}\n")
	writeFile(t, filepath.Join(w.dir, "main.tf"), config)
	// The provider's connection is in the configuration: nothing of the
	// caller's TF_ or MC_ environment leaks into the runs.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "MC_") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	return w
}

// command is a terraform command in its own process group, so that a kill
// of the group takes the provider plugin with it.
func (w *workdir) command(ctx context.Context, out *bytes.Buffer, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.tf, append(args, "-no-color", "-input=false")...)
	cmd.Dir = w.dir
	cmd.Env = w.env
	if out != nil {
		cmd.Stdout, cmd.Stderr = out, out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A cancelled context kills the whole group, not terraform alone.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// run runs terraform to its end and returns its output.
func (w *workdir) run(ctx context.Context, args ...string) (string, error) {
	var out bytes.Buffer
	err := w.command(ctx, &out, args...).Run()
	return out.String(), err
}

// apply runs terraform apply and fails the test when it fails.
func (w *workdir) apply(ctx context.Context) time.Duration {
	w.t.Helper()
	t0 := time.Now()
	if out, err := w.run(ctx, "apply", "-auto-approve"); err != nil {
		w.t.Fatalf("terraform apply: %v\n%s", err, tail(out))
	}
	return time.Since(t0)
}

// planEmpty runs terraform plan -detailed-exitcode and fails the test
// unless it plans nothing.
func (w *workdir) planEmpty(ctx context.Context) {
	w.t.Helper()
	out, err := w.run(ctx, "plan", "-detailed-exitcode")
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 2:
		w.t.Errorf("the plan after the second apply is not empty:\n%s", tail(out))
	default:
		w.t.Errorf("terraform plan: %v\n%s", err, tail(out))
	}
}

// destroy runs terraform destroy and fails the test when it fails.
func (w *workdir) destroy(ctx context.Context) {
	w.t.Helper()
	if out, err := w.run(ctx, "destroy", "-auto-approve"); err != nil {
		w.t.Errorf("terraform destroy: %v\n%s", err, tail(out))
	}
}

// runningApply is a terraform apply started in the background.
type runningApply struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	started time.Time
	exited  chan error
	// err is the apply's result once exited has been received from.
	err error
}

// startApply starts terraform apply in its own process group.
func (w *workdir) startApply(ctx context.Context) *runningApply {
	w.t.Helper()
	a := &runningApply{out: &syncBuffer{}, exited: make(chan error, 1)}
	a.cmd = w.command(ctx, nil, "apply", "-auto-approve")
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.started = time.Now()
	if err := a.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { a.exited <- a.cmd.Wait() }()
	return a
}

// kill kills the apply's process group (terraform and the provider plugin)
// with SIGKILL and waits for terraform to end.
func (a *runningApply) kill() {
	_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	a.err = <-a.exited
}

// wait waits for the apply to end and returns its result.
func (a *runningApply) wait() error {
	a.err = <-a.exited
	return a.err
}

// waitFor asks probe every 50 ms (so that what follows lands within that
// of the backend write the probe sees) until it reports true, and returns
// how long the apply had run by then. It kills the apply and fails the
// test when the apply ends, or probe has not fired within limit, before
// that: the point was never reached.
func (w *workdir) waitFor(ctx context.Context, a *runningApply, limit time.Duration, probe func(context.Context) (bool, error)) time.Duration {
	w.t.Helper()
	deadline := time.After(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		select {
		case err := <-a.exited:
			a.err = err
			w.t.Fatalf("terraform apply ended (%v) before the probe fired (last probe error: %v):\n%s", err, lastErr, tail(a.out.String()))
		case <-deadline:
			a.kill()
			w.t.Fatalf("the probe did not fire within %s (last probe error: %v):\n%s", limit, lastErr, tail(a.out.String()))
		case <-tick.C:
			fired, err := probe(ctx)
			lastErr = err
			if fired {
				return time.Since(a.started)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail is the end of a command's output, enough to see why it failed.
func tail(out string) string {
	const max = 6000
	if len(out) > max {
		return "..." + out[len(out)-max:]
	}
	return out
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// providerBlock configures the provider for the platform: its cluster and
// registry namespace, and its Bitbucket and Jira.
func providerBlock(p *sandbox.Platform) string {
	return fmt.Sprintf(`
provider "mc" {
  kubeconfig_path = %q
  namespace       = %q
  bitbucket = {
    url      = %q
    username = %q
    token    = %q
  }
  jira = {
    url       = %q
    email     = %q
    api_token = %q
  }
}
`, p.KubeconfigPath, p.Namespace, p.Bitbucket.URL, p.Bitbucket.Username, p.Bitbucket.Password, p.Jira.URL, p.Jira.Email, p.Jira.APIToken)
}
