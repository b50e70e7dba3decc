//go:build platform

// Package sandboxtest gives the tests of a test binary the sandbox platform.
//
// Tests that need the platform are built only with the build tag platform,
// and so is this package: a test file that uses it starts with
// `//go:build platform`, so that `go test ./...` (make unit) runs the unit
// tests alone and never starts the platform, and `go test -tags platform`
// (make test) runs them all.
//
//	//go:build platform
//
//	func TestMain(m *testing.M) { sandboxtest.Main(m) }
//	func TestX(t *testing.T) { p := sandboxtest.Platform(t); ... }
package sandboxtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

// upTimeout bounds how long starting a platform may take.
const upTimeout = 10 * time.Minute

var (
	shared *sandbox.Platform
	reused bool
)

// Main starts one platform for this test binary in a temporary state
// directory (binaries from $MC_CACHE_DIR or ~/.cache/mc-sandbox), runs the
// tests, stops the platform and exits. If the platform cannot start (for
// example the binaries are missing) the test binary fails: a test that needs
// the platform never skips for want of it. Set MC_SANDBOX_KEEP=1 to leave the
// platform running for inspection.
//
// With MC_SANDBOX_REUSE=1 the tests use the platform of `mc-sandbox up`
// ($MC_SANDBOX_DIR or ~/.cache/mc-sandbox/state; started if it does not run)
// and leave it running: fast for local iteration, and it lets several test
// binaries share one platform, as make test does (hack/test-platform.sh).
func Main(m *testing.M) {
	sandbox.RunChildIfRequested()
	flag.Parse()
	if os.Getenv("MC_SANDBOX_REUSE") == "1" {
		ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
		t0 := time.Now()
		p, err := sandbox.Up(ctx, sandbox.Options{
			StateDir: sandbox.DefaultStateDir(),
			CacheDir: sandbox.DefaultCacheDir(),
			// Said always: a shared platform that had to be (re)started
			// here is worth knowing about.
			Logf: func(format string, a ...any) { fmt.Fprintf(os.Stderr, "sandboxtest: "+format+"\n", a...) },
		})
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "sandboxtest: cannot start the shared sandbox platform: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "sandboxtest: shared platform in %s ready in %s\n", p.StateDir, time.Since(t0).Round(time.Millisecond))
		shared, reused = p, true
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "mc-sandbox-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandboxtest: %v\n", err)
		os.Exit(1)
	}
	t0 := time.Now()
	p, err := start(dir, func(format string, a ...any) {
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "sandboxtest: "+format+"\n", a...)
		}
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandboxtest: cannot start the sandbox platform: %v\n(run hack/build-testplane.sh first)\n", err)
		stop(dir, 1)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "sandboxtest: platform up in %s (state dir %s)\n", time.Since(t0).Round(time.Millisecond), dir)
	shared = p
	code := m.Run()
	if os.Getenv("MC_SANDBOX_KEEP") == "1" {
		fmt.Fprintf(os.Stderr, "sandboxtest: MC_SANDBOX_KEEP=1: platform left running in %s\n", dir)
		os.Exit(code)
	}
	os.Exit(stop(dir, code))
}

// start starts a platform in dir.
func start(dir string, logf func(format string, a ...any)) (*sandbox.Platform, error) {
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	return sandbox.Up(ctx, sandbox.Options{StateDir: dir, CacheDir: sandbox.DefaultCacheDir(), Logf: logf})
}

// stop stops the platform in dir and returns the exit code: code, or 1 if
// the platform does not stop. It removes dir when all went well and keeps
// it (saying so) for its logs otherwise.
func stop(dir string, code int) int {
	if err := sandbox.Down(dir); err != nil {
		fmt.Fprintf(os.Stderr, "sandboxtest: %v\n", err)
		code = 1
	}
	if code == 0 {
		_ = os.RemoveAll(dir)
	} else if logs, _ := os.ReadDir(dir + "/logs"); len(logs) == 0 {
		_ = os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "sandboxtest: logs kept in %s/logs\n", dir)
	}
	return code
}

// Reused reports whether the tests run against a shared platform
// (MC_SANDBOX_REUSE=1) that they must not stop.
func Reused() bool { return reused }

// Platform returns the platform started (or reused) by Main.
func Platform(tb testing.TB) *sandbox.Platform {
	tb.Helper()
	if shared == nil {
		tb.Fatal("sandboxtest.Platform needs sandboxtest.Main in TestMain")
	}
	return shared
}

// Own starts a platform for tb alone, in a temporary state directory, and
// stops it when tb ends. It is for tests that stop or restart parts of the
// platform, which they must not do to a shared one; it costs a whole start.
func Own(tb testing.TB) *sandbox.Platform {
	tb.Helper()
	dir, err := os.MkdirTemp("", "mc-sandbox-own-")
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Now()
	p, err := start(dir, tb.Logf)
	if err != nil {
		stop(dir, 1)
		tb.Fatalf("cannot start a platform of the test's own: %v", err)
	}
	tb.Logf("own platform up in %s (state dir %s)", time.Since(t0).Round(time.Millisecond), dir)
	tb.Cleanup(func() {
		code := 0
		if tb.Failed() {
			code = 1
		}
		if stop(dir, code) != code {
			tb.Errorf("cannot stop the platform in %s", dir)
		}
	})
	return p
}

// Parts of the platform that tests need, by their component names.
var (
	// ClusterAPI are the Cluster API managers: core, kubeadm bootstrap and
	// control plane, and CAPD (in-memory infrastructure).
	ClusterAPI = []string{sandbox.CAPIManagerName, sandbox.CAPIBootstrapName, sandbox.CAPIControlPlaneName, sandbox.CAPIInfrastructureName}
	// ArgoCD are Argo CD's repo-server, application controller and server.
	ArgoCD = []string{"argocd-repo-server", "argocd-application-controller", "argocd-server"}
	// Workload is the workload cluster (Platform.WorkloadServerURL): its
	// kube-apiserver, controller manager, scheduler and kwok.
	Workload = sandbox.WorkloadComponents
)

// Require fails tb at once unless every named component of p runs. A test
// that needs Cluster API or Argo CD calls it first, so that a platform
// without them fails the test with the reason instead of letting it skip
// or time out.
func Require(tb testing.TB, p *sandbox.Platform, components ...string) {
	tb.Helper()
	running := map[string]bool{}
	for _, c := range p.Status() {
		running[c.Name] = c.Running
	}
	var missing []string
	for _, name := range components {
		if !running[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		tb.Fatalf("the platform in %s does not run %v, which this test needs (a platform started by an older mc-sandbox? run mc-sandbox down and up)", p.StateDir, missing)
	}
}
