package sandbox

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/githttp"
)

// GitHTTPBackend is the CGI program that serves the git smart HTTP protocol.
const GitHTTPBackend = githttp.Backend

// GitServerConfig configures the git smart HTTP server.
type GitServerConfig struct {
	Root     string // directory holding the bare repositories (GIT_PROJECT_ROOT)
	Addr     string // listen address, e.g. 127.0.0.1:0
	Username string // HTTP basic auth user name
	Password string // HTTP basic auth password
}

// GitHandler returns an http.Handler serving the bare repositories under
// cfg.Root through git http-backend, with clone, fetch and push enabled for
// the configured basic auth user. Wrong credentials get 401, a path that is
// no repository 404.
func GitHandler(cfg GitServerConfig) http.Handler {
	return githttp.Handler(githttp.Config{
		Root:       cfg.Root,
		Realm:      "mc-sandbox git",
		RemoteUser: cfg.Username,
		Authenticate: func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && subtle.ConstantTimeCompare([]byte(u), []byte(cfg.Username)) == 1 &&
				subtle.ConstantTimeCompare([]byte(p), []byte(cfg.Password)) == 1
		},
	})
}

// ServeGit runs the git server until ctx ends.
func ServeGit(ctx context.Context, cfg GitServerConfig) error {
	if _, err := os.Stat(GitHTTPBackend); err != nil {
		return fmt.Errorf("cannot find git http-backend (install git): %w", err)
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: GitHandler(cfg), ReadHeaderTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Environment variables by which Up asks its own executable to become the
// git server (see RunChildIfRequested).
const (
	envChild       = "MC_SANDBOX_CHILD"
	envGitRoot     = "MC_SANDBOX_GIT_ROOT"
	envGitAddr     = "MC_SANDBOX_GIT_ADDR"
	envGitUser     = "MC_SANDBOX_GIT_USER"
	envGitPassFile = "MC_SANDBOX_GIT_PASSWORD_FILE"
	childServeGit  = "serve-git"
)

// RunChildIfRequested turns the current process into a sandbox helper
// process (the git server or a Harbor site) when Up started it for that purpose, and exits
// when it is done; otherwise it returns at once. Up re-executes its own
// executable for the git server and the Harbor sites, so every program that calls Up (mc-sandbox,
// test binaries through sandboxtest.Main) must call this first thing in main
// or TestMain.
func RunChildIfRequested() {
	switch os.Getenv(envChild) {
	case childServeGit:
	case childServeHarbor:
		runHarborChild()
	case childServeJira:
		runJiraChild()
	case childServeBitbucket:
		runBitbucketChild()
	case childServeTaskRunner:
		runTaskRunnerChild()
	default:
		return
	}
	pw, err := os.ReadFile(os.Getenv(envGitPassFile))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-git: cannot read the password file: %v\n", err)
		os.Exit(1)
	}
	cfg := GitServerConfig{
		Root:     os.Getenv(envGitRoot),
		Addr:     os.Getenv(envGitAddr),
		Username: os.Getenv(envGitUser),
		Password: strings.TrimSpace(string(pw)),
	}
	if err := ServeGit(context.Background(), cfg); err != nil {
		fmt.Fprintf(os.Stderr, "serve-git: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// CreateGitRepo creates the bare repository name (".git" is appended unless
// present) and, when it has no branch main yet, commits files (path →
// content) to main and pushes them through the git server. It returns the
// repository's URL (without credentials). Calling it again for an existing
// repository returns its URL and leaves it unchanged.
func (p *Platform) CreateGitRepo(ctx context.Context, name string, files map[string]string) (string, error) {
	if !strings.HasSuffix(name, ".git") {
		name += ".git"
	}
	if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("invalid repository name %q", name)
	}
	repoURL := p.GitURL + "/" + name
	bare := filepath.Join(p.GitRoot, name)
	if _, err := os.Stat(filepath.Join(bare, "HEAD")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(bare, 0o755); err != nil {
			return "", err
		}
		if out, err := exec.CommandContext(ctx, "git", "init", "--bare", "--initial-branch=main", bare).CombinedOutput(); err != nil {
			return "", fmt.Errorf("cannot create repository %s: %w: %s", name, err, out)
		}
	}
	if out, err := exec.CommandContext(ctx, "git", "--git-dir", bare, "rev-parse", "--verify", "-q", "refs/heads/main").CombinedOutput(); err == nil && len(out) > 0 {
		return repoURL, nil
	}
	work, err := os.MkdirTemp("", "mc-sandbox-git-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	for rel, content := range files {
		f := filepath.Join(work, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	authURL := strings.Replace(repoURL, "://", "://"+p.GitUsername+":"+p.GitPassword+"@", 1)
	steps := [][]string{
		{"init", "--initial-branch=main"},
		{"add", "-A"},
		{"-c", "user.name=mc-sandbox", "-c", "user.email=mc-sandbox@localhost", "commit", "--allow-empty", "-m", "initial commit"},
		{"push", authURL, "main:main"},
	}
	for _, s := range steps {
		cmd := exec.CommandContext(ctx, "git", s...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("cannot push the initial commit to %s: git %s: %w: %s", name, s[0], err, strings.ReplaceAll(string(out), p.GitPassword, "***"))
		}
	}
	return repoURL, nil
}
