// Package sandboxtest shares one sandbox platform among the tests of a test
// binary.
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

var (
	shared *sandbox.Platform
	reused bool
)

// Main starts one platform for this test binary in a temporary state
// directory (binaries from $MC_CACHE_DIR or ~/.cache/mc-sandbox), runs the
// tests, stops the platform and exits. If the platform cannot start (for
// example the binaries are missing) the test binary fails, unless it runs
// with -short: then the tests run without a platform and Platform skips them.
// Set MC_SANDBOX_KEEP=1 to leave the platform running for inspection.
//
// With MC_SANDBOX_REUSE=1 the tests use the platform of `mc-sandbox up`
// ($MC_SANDBOX_DIR or ~/.cache/mc-sandbox/state; started if it does not run)
// and leave it running: fast for local iteration, and it lets several test
// binaries share one platform.
func Main(m *testing.M) {
	sandbox.RunChildIfRequested()
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	if os.Getenv("MC_SANDBOX_REUSE") == "1" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		p, err := sandbox.Up(ctx, sandbox.Options{StateDir: sandbox.DefaultStateDir(), CacheDir: sandbox.DefaultCacheDir()})
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "sandboxtest: cannot start the shared sandbox platform: %v\n", err)
			os.Exit(1)
		}
		shared, reused = p, true
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "mc-sandbox-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandboxtest: %v\n", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t0 := time.Now()
	p, err := sandbox.Up(ctx, sandbox.Options{
		StateDir: dir,
		CacheDir: sandbox.DefaultCacheDir(),
		Logf: func(format string, a ...any) {
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, "sandboxtest: "+format+"\n", a...)
			}
		},
	})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandboxtest: cannot start the sandbox platform: %v\n(run hack/build-testplane.sh first, or pass -short to skip the tests that need it)\n", err)
		_ = sandbox.Down(dir)
		if logs, _ := os.ReadDir(dir + "/logs"); len(logs) == 0 {
			_ = os.RemoveAll(dir)
		} else {
			fmt.Fprintf(os.Stderr, "sandboxtest: logs kept in %s/logs\n", dir)
		}
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "sandboxtest: platform up in %s (state dir %s)\n", time.Since(t0).Round(time.Millisecond), dir)
	shared = p
	code := m.Run()
	if os.Getenv("MC_SANDBOX_KEEP") == "1" {
		fmt.Fprintf(os.Stderr, "sandboxtest: MC_SANDBOX_KEEP=1: platform left running in %s\n", dir)
		os.Exit(code)
	}
	if err := sandbox.Down(dir); err != nil {
		fmt.Fprintf(os.Stderr, "sandboxtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	if code == 0 {
		_ = os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "sandboxtest: logs kept in %s/logs\n", dir)
	}
	os.Exit(code)
}

// Reused reports whether the tests run against a shared platform
// (MC_SANDBOX_REUSE=1) that they must not stop.
func Reused() bool { return reused }

// Platform returns the platform started by Main. Under -short, where Main
// starts none, it skips the test.
func Platform(tb testing.TB) *sandbox.Platform {
	tb.Helper()
	if shared == nil {
		if testing.Short() {
			tb.Skip("the sandbox platform is not started under -short")
		}
		tb.Fatal("sandboxtest.Platform needs sandboxtest.Main in TestMain")
	}
	return shared
}
