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
	"testing"
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
