package git

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
)

// serveRepos serves dir with the real git http-backend behind basic auth.
func serveRepos(t *testing.T, dir, user, password string) *httptest.Server {
	t.Helper()
	backend := "/usr/lib/git-core/git-http-backend"
	if _, err := os.Stat(backend); err != nil {
		t.Fatalf("git http-backend not installed: %v", err)
	}
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func run(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestCheckRepositoryAgainstRealGitServer(t *testing.T) {
	root := t.TempDir()
	run(t, root, "init", "--bare", "-b", "main", "gitops.git")
	work := t.TempDir()
	run(t, work, "init", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "README"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, work, "add", ".")
	run(t, work, "commit", "-m", "init")
	run(t, work, "push", filepath.Join(root, "gitops.git"), "main")
	srv := serveRepos(t, root, "bob", "pw")

	tests := []struct {
		name, repo, password, branch string
		want                         error
	}{
		{"existing repo and branch", "/gitops.git", "pw", "main", nil},
		{"no branch check", "/gitops.git", "pw", "", nil},
		{"missing branch", "/gitops.git", "pw", "release", ErrBranchNotFound},
		{"missing repo", "/nope.git", "pw", "main", ErrRepositoryNotFound},
		{"wrong password", "/gitops.git", "wrong", "main", ErrUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckRepository(context.Background(), srv.Client(), srv.URL+tc.repo, "bob", tc.password, tc.branch)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("CheckRepository() = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestErrorsNeverShowCredentials runs the ls-remote check into every error
// it can return with a credential in the URL (user information and a token
// query parameter) and as the password, and checks that none shows it.
func TestErrorsNeverShowCredentials(t *testing.T) {
	root := t.TempDir()
	run(t, root, "init", "--bare", "-b", "main", "gitops.git")
	work := t.TempDir()
	run(t, work, "init", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "README"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, work, "add", ".")
	run(t, work, "commit", "-m", "init")
	run(t, work, "push", filepath.Join(root, "gitops.git"), "main")
	srv := serveRepos(t, root, "user", "secret")
	withSecret := strings.Replace(srv.URL, "http://", "http://user:secret@", 1)
	notGit := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>secret</html>"))
	}))
	t.Cleanup(notGit.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name, repoURL, password, branch string
		want                            error
	}{
		{"missing branch", withSecret + "/gitops.git", "secret", "release", ErrBranchNotFound},
		{"missing repository", withSecret + "/nope.git", "secret", "main", ErrRepositoryNotFound},
		{"rejected credentials", withSecret + "/gitops.git", "wrong-secret", "main", ErrUnauthorized},
		{"token in the query", srv.URL + "/gitops.git?private_token=secret", "wrong", "main", ErrUnauthorized},
		{"not a git server", strings.Replace(notGit.URL, "http://", "http://user:secret@", 1) + "/repo.git", "secret", "main", ErrRepositoryNotFound},
		{"server unreachable", strings.Replace(closed.URL, "http://", "http://user:secret@", 1) + "/repo.git?token=secret", "secret", "main", nil},
		{"URL does not parse", "http://user:secret@git.example/%zz", "secret", "main", nil},
		{"user name is a token", strings.Replace(closed.URL, "http://", "http://secret@", 1) + "/repo.git", "", "main", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckRepository(context.Background(), httpclient.New(httpclient.Options{RetryMax: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond}), tc.repoURL, "user", tc.password, tc.branch)
			if err == nil {
				t.Fatal("CheckRepository() succeeded, want an error")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("CheckRepository() = %q, shows the secret", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("CheckRepository() = %v, want %v", err, tc.want)
			}
		})
	}
}
