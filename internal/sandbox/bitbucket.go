package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
)

// The sandbox's Bitbucket Cloud: the simulator of internal/sandbox/bitbucket,
// run by a detached child process of the sandbox's executable.
const (
	// BitbucketUsername is the Bitbucket username of the workspace owner,
	// whose app password the env file holds.
	BitbucketUsername = "mc-admin"
	// BitbucketWorkspace is the sandbox's workspace.
	BitbucketWorkspace = bitbucketsim.DefaultWorkspace
)

// BitbucketSim is the running Bitbucket Cloud simulator of a sandbox.
type BitbucketSim struct {
	// URL is the REST API base URL, http://127.0.0.1:<port>/2.0;
	// repositories are cloned from the server (URL without /2.0) at
	// /<workspace>/<slug>.git with the same credentials.
	URL       string `json:"url"`
	Username  string `json:"username"`  // BitbucketUsername
	Password  string `json:"password"`  // the app password (generated)
	Workspace string `json:"workspace"` // BitbucketWorkspace
	GitRoot   string `json:"gitRoot"`   // directory of the repositories' bare git repositories
}

// ServerURL returns the simulator's server URL: URL without /2.0.
func (b BitbucketSim) ServerURL() string { return strings.TrimSuffix(b.URL, bitbucket.APIPrefix) }

// Environment of a serve-bitbucket child (see RunChildIfRequested).
const (
	childServeBitbucket  = "serve-bitbucket"
	envBitbucketAddr     = "MC_SANDBOX_BITBUCKET_ADDR"
	envBitbucketUser     = "MC_SANDBOX_BITBUCKET_USER"
	envBitbucketPassFile = "MC_SANDBOX_BITBUCKET_PASSWORD_FILE"
	envBitbucketGitRoot  = "MC_SANDBOX_BITBUCKET_GIT_ROOT"
)

// runBitbucketChild is the body of a serve-bitbucket child: it serves the
// simulator until SIGTERM or SIGINT.
func runBitbucketChild() {
	pw, err := os.ReadFile(os.Getenv(envBitbucketPassFile))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-bitbucket: cannot read the password file: %v\n", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	inst, err := bitbucketsim.Start(os.Getenv(envBitbucketAddr), bitbucketsim.Options{
		Username: os.Getenv(envBitbucketUser), Password: strings.TrimSpace(string(pw)),
		Workspace: BitbucketWorkspace, GitRoot: os.Getenv(envBitbucketGitRoot),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-bitbucket: %v\n", err)
		os.Exit(1)
	}
	<-ctx.Done()
	_ = inst.Close()
	os.Exit(0)
}

// startBitbucket starts the Bitbucket simulator as a detached child of this
// executable and waits until it answers GET /2.0/user.
func (s *starter) startBitbucket(ctx context.Context) error {
	pw := "ATBB" + randomHex(16)
	pwFile := s.state("pki", "bitbucket-app-password")
	gitRoot := s.state("bitbucket", "git")
	for _, d := range []string{filepath.Dir(pwFile), gitRoot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(pwFile, []byte(pw), 0o600); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	b := BitbucketSim{URL: "http://" + addr + bitbucket.APIPrefix, Username: BitbucketUsername, Password: pw,
		Workspace: BitbucketWorkspace, GitRoot: gitRoot}
	s.mu.Lock()
	s.p.Bitbucket = b
	s.mu.Unlock()
	env := []string{envChild + "=" + childServeBitbucket, envBitbucketAddr + "=" + addr, envBitbucketUser + "=" + BitbucketUsername,
		envBitbucketPassFile + "=" + pwFile, envBitbucketGitRoot + "=" + gitRoot}
	// The args only label the process in ps; RunChildIfRequested reads the env.
	if _, err := s.start("bitbucket", self, b.URL, []string{"serve-bitbucket", "--addr", addr}, env); err != nil {
		return fmt.Errorf("cannot start the Bitbucket simulator: %w", err)
	}
	return s.waitProc(ctx, "bitbucket", "Bitbucket /2.0/user", 30*time.Second, b.check)
}

// check asks GET /2.0/user with the credentials.
func (b BitbucketSim) check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL+"/user", nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(b.Username, b.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /2.0/user: %s", resp.Status)
	}
	return nil
}

// bitbucketHealthy reports whether the Bitbucket simulator of p answers. A
// platform started before the simulator existed has none and counts as
// unhealthy, so that it is started again.
func (p *Platform) bitbucketHealthy(ctx context.Context) bool {
	return p.Bitbucket.URL != "" && p.Bitbucket.check(ctx) == nil
}

// BitbucketClient returns a client of the sandbox's Bitbucket with the
// workspace owner's credentials.
func (p *Platform) BitbucketClient(opts ...bitbucket.Option) bitbucket.Client {
	return bitbucket.NewCloud(p.Bitbucket.URL, bitbucket.Auth{Username: p.Bitbucket.Username, Token: p.Bitbucket.Password}, opts...)
}

// SetBitbucketFaults sets the fault injection of the sandbox's Bitbucket
// simulator (POST /_sandbox/faults); the zero Faults turns it off. The
// simulator is shared by every test of the platform: a test that injects
// faults and runs beside others should start its own simulator
// (bitbucketsim.Start) instead.
func (p *Platform) SetBitbucketFaults(ctx context.Context, f bitbucketsim.Faults) error {
	return postSandbox(ctx, AtlassianSim{Name: "Bitbucket", URL: p.Bitbucket.ServerURL(), Username: p.Bitbucket.Username, Password: p.Bitbucket.Password}, "/_sandbox/faults", f, nil)
}

// BitbucketFaultStats returns what the fault injector of the sandbox's
// Bitbucket did since it started (GET /_sandbox/faults).
func (p *Platform) BitbucketFaultStats(ctx context.Context) (bitbucketsim.FaultStats, error) {
	var st bitbucketsim.FaultStats
	sim := AtlassianSim{Name: "Bitbucket", URL: p.Bitbucket.ServerURL(), Username: p.Bitbucket.Username, Password: p.Bitbucket.Password}
	err := postSandbox(ctx, sim, "/_sandbox/faults", nil, &st)
	return st, err
}

// postSandbox POSTs body (or GETs, when body is nil) to a sandbox endpoint
// of a simulator and decodes the answer into out when given.
func postSandbox(ctx context.Context, sim AtlassianSim, path string, body, out any) error {
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		method, rd = http.MethodPost, bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(sim.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if sim.Username != "" || sim.Password != "" {
		req.SetBasicAuth(sim.Username, sim.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s simulator: %s %s: %w", sim.Name, method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s simulator: %s %s: %s: %s", sim.Name, method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s simulator: %s %s: cannot decode the answer: %w", sim.Name, method, path, err)
		}
	}
	return nil
}
