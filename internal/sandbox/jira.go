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

	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

// JiraAdminEmail is the basic-auth user (the site admin's email) of the
// sandbox's Jira.
const JiraAdminEmail = jirasim.DefaultAdminEmail

// JiraSite is the sandbox's Jira Cloud: the Jira simulator
// (internal/sandbox/jira) run by a detached child process of the sandbox's
// executable, seeded with the Atlassian identities alice, bob and carol and
// the group platform-devs (jirasim.SandboxUsers, SandboxGroups).
type JiraSite struct {
	URL      string `json:"url"`      // the site; the API is below /rest/api/3
	Email    string `json:"email"`    // the admin's email, the basic-auth user
	APIToken string `json:"apiToken"` // the admin's API token (generated)
}

// Environment of a serve-jira child (see RunChildIfRequested).
const (
	childServeJira    = "serve-jira"
	envJiraAddr       = "MC_SANDBOX_JIRA_ADDR"
	envJiraEmail      = "MC_SANDBOX_JIRA_ADMIN_EMAIL"
	envJiraTokenFile  = "MC_SANDBOX_JIRA_TOKEN_FILE"
	jiraComponentName = "jira"
)

// runJiraChild is the body of a serve-jira child: it serves the simulator
// until SIGTERM or SIGINT.
func runJiraChild() {
	tok, err := os.ReadFile(os.Getenv(envJiraTokenFile))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-jira: cannot read the token file: %v\n", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	inst, err := jirasim.Start(os.Getenv(envJiraAddr), jirasim.SandboxOptions(os.Getenv(envJiraEmail), strings.TrimSpace(string(tok))))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-jira: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "serve-jira: Jira Cloud simulator on %s\n", inst.URL)
	<-ctx.Done()
	if err := inst.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "serve-jira: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startJira starts the Jira simulator as a detached child of this
// executable and waits until it answers /rest/api/3/serverInfo.
func (s *starter) startJira(ctx context.Context) error {
	tok := "ATATT3x" + randomHex(20)
	tokFile := s.state("pki", "jira-api-token")
	if err := os.MkdirAll(filepath.Dir(tokFile), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(tokFile, []byte(tok), 0o600); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	site := JiraSite{URL: "http://" + addr, Email: JiraAdminEmail, APIToken: tok}
	s.mu.Lock()
	s.p.Jira = site
	s.mu.Unlock()
	env := []string{envChild + "=" + childServeJira, envJiraAddr + "=" + addr, envJiraEmail + "=" + site.Email, envJiraTokenFile + "=" + tokFile}
	// The args only label the process in ps; RunChildIfRequested reads the env.
	if _, err := s.start(jiraComponentName, self, site.URL, []string{"serve-jira", "--addr", addr}, env); err != nil {
		return fmt.Errorf("cannot start the Jira simulator: %w", err)
	}
	return s.waitProc(ctx, jiraComponentName, "Jira /rest/api/3/serverInfo", 30*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, site.URL+"/rest/api/3/serverInfo")
	})
}

// jiraHealthy checks that the platform's Jira answers.
func (p *Platform) jiraHealthy(ctx context.Context) bool {
	return p.Jira.URL != "" && httpOK(ctx, http.DefaultClient, p.Jira.URL+"/rest/api/3/serverInfo") == nil
}

// JiraClient returns a client of the sandbox's Jira with the admin's
// credentials.
func (p *Platform) JiraClient(opts ...jira.Option) (jira.Client, error) {
	if p.Jira.URL == "" {
		return nil, fmt.Errorf("the sandbox in %s has no Jira (started by an older mc-sandbox? run mc-sandbox down and up)", p.StateDir)
	}
	return jira.NewCloud(p.Jira.URL, jira.Auth{Email: p.Jira.Email, APIToken: p.Jira.APIToken}, opts...)
}

// StartJira starts a Jira simulator in this process on a free loopback
// port, seeded as the platform's (the sandbox identities), with a new
// token, for tests that inject faults or count objects
// (Instance.Server.SetFaults, ProjectCount) without disturbing the shared
// platform. Close the instance when done.
func StartJira() (*jirasim.Instance, JiraSite, error) {
	tok := "ATATT3x" + randomHex(20)
	inst, err := jirasim.Start("127.0.0.1:0", jirasim.SandboxOptions(JiraAdminEmail, tok))
	if err != nil {
		return nil, JiraSite{}, err
	}
	return inst, JiraSite{URL: inst.URL, Email: JiraAdminEmail, APIToken: tok}, nil
}

// SetJiraFaults sets the fault injection of the sandbox's Jira simulator
// (POST /_sandbox/faults); the zero Faults turns it off. The simulator is
// shared by every test of the platform: a test that injects faults and runs
// beside others should use StartJira instead.
func (p *Platform) SetJiraFaults(ctx context.Context, f jirasim.Faults) error {
	return p.jiraSandboxCall(ctx, http.MethodPost, "/_sandbox/faults", f, nil)
}

// JiraFaultStats returns what the fault injector of the sandbox's Jira did
// since it started (GET /_sandbox/faults).
func (p *Platform) JiraFaultStats(ctx context.Context) (jirasim.FaultStats, error) {
	var st jirasim.FaultStats
	err := p.jiraSandboxCall(ctx, http.MethodGet, "/_sandbox/faults", nil, &st)
	return st, err
}

// jiraSandboxCall sends a request to a sandbox endpoint of the platform's
// Jira and decodes the answer into out when given.
func (p *Platform) jiraSandboxCall(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(p.Jira.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("Jira simulator: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("Jira simulator: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("Jira simulator: %s %s: cannot decode the answer: %w", method, path, err)
		}
	}
	return nil
}
