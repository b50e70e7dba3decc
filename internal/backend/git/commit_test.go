package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// serveWritableRepos serves the bare repositories under dir with the real
// git http-backend, push enabled, behind basic auth.
func serveWritableRepos(t *testing.T, dir, user, password string) *httptest.Server {
	t.Helper()
	// Its stderr says "cannot lock ref" for every push that lost a race:
	// expected here, and noise in the test output.
	h := &cgi.Handler{Path: "/usr/lib/git-core/git-http-backend", Env: []string{
		"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=" + user,
	}, Stderr: io.Discard}
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

// gitOut runs git in dir and returns its trimmed output.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// treeFiles lists the files of branch in the bare repository with their
// content.
func treeFiles(t *testing.T, bare, branch string) map[string]string {
	t.Helper()
	out := map[string]string{}
	list := gitOut(t, bare, "ls-tree", "-r", "--name-only", branch)
	if list == "" {
		return out
	}
	for _, f := range strings.Split(list, "\n") {
		out[f] = gitOut(t, bare, "show", branch+":"+f)
	}
	return out
}

func newBareRepo(t *testing.T) (root, bare string) {
	t.Helper()
	root = t.TempDir()
	bare = filepath.Join(root, "gitops.git")
	gitOut(t, root, "init", "--bare", "-b", "main", bare)
	return root, bare
}

// newServedRepo makes an empty bare repository and serves it writable to
// bob; it returns the Repository to reach it by and its directory.
func newServedRepo(t *testing.T) (Repository, string) {
	t.Helper()
	root, bare := newBareRepo(t)
	srv := serveWritableRepos(t, root, "bob", "s3cret-pw")
	return Repository{URL: srv.URL + "/gitops.git", Username: "bob", Password: "s3cret-pw"}, bare
}

func TestCommitWritesDeletesAndIsIdempotent(t *testing.T) {
	repo, bare := newServedRepo(t)
	ctx := context.Background()
	c := NewCommitter()

	first, err := c.Commit(ctx, repo, "main", Change{Message: "first", Files: map[string]string{
		"apps/a/app.yaml": "a: 1\n", "apps/b/app.yaml": "b: 1\n", "README.md": "hello\n",
	}})
	if err != nil {
		t.Fatalf("Commit() on an empty repository = %v", err)
	}
	if !first.Committed || first.SHA != gitOut(t, bare, "rev-parse", "main") {
		t.Fatalf("Commit() = %+v, want a commit at the tip %s", first, gitOut(t, bare, "rev-parse", "main"))
	}
	again, err := c.Commit(ctx, repo, "main", Change{Files: map[string]string{"apps/a/app.yaml": "a: 1\n"}})
	if err != nil || again.Committed || again.SHA != first.SHA {
		t.Fatalf("Commit() of content the branch has = %+v, %v; want no commit and SHA %s", again, err, first.SHA)
	}
	// A fresh committer (another process) agrees.
	if again, err := NewCommitter().Commit(ctx, repo, "main", Change{Files: map[string]string{"README.md": "hello\n"}, Delete: []string{"apps/c"}}); err != nil || again.Committed {
		t.Fatalf("Commit() by a second committer of content the branch has = %+v, %v; want no commit", again, err)
	}
	second, err := c.Commit(ctx, repo, "main", Change{Message: "second", Files: map[string]string{"apps/a/app.yaml": "a: 2\n"}, Delete: []string{"apps/b"}})
	if err != nil || !second.Committed {
		t.Fatalf("Commit() = %+v, %v", second, err)
	}
	want := map[string]string{"apps/a/app.yaml": "a: 2", "README.md": "hello"}
	if diff := cmp.Diff(want, treeFiles(t, bare, "main")); diff != "" {
		t.Errorf("files on main (-want +got):\n%s", diff)
	}
	if got := gitOut(t, bare, "rev-parse", "main~1"); got != first.SHA {
		t.Errorf("parent of the second commit = %s, want %s", got, first.SHA)
	}
	if got := gitOut(t, bare, "log", "-1", "--format=%s", "main"); got != "second" {
		t.Errorf("commit message = %q, want %q", got, "second")
	}
	// The repository passes git's own checks.
	gitOut(t, bare, "fsck", "--strict")

	files, rev, err := c.ReadFiles(ctx, repo, "main", first.SHA, []string{"apps/a/app.yaml", "apps/missing.yaml", "apps"})
	if err != nil || rev != first.SHA {
		t.Fatalf("ReadFiles() = %v, %v", rev, err)
	}
	if diff := cmp.Diff(map[string]string{"apps/a/app.yaml": "a: 1\n"}, files); diff != "" {
		t.Errorf("ReadFiles() at the first commit (-want +got):\n%s", diff)
	}
	if ok, err := c.Contains(ctx, repo, "main", first.SHA, second.SHA); err != nil || !ok {
		t.Errorf("Contains(first, second) = %v, %v; want true", ok, err)
	}
	if ok, err := c.Contains(ctx, repo, "main", second.SHA, first.SHA); err != nil || ok {
		t.Errorf("Contains(second, first) = %v, %v; want false", ok, err)
	}
	third, err := c.Commit(ctx, repo, "main", Change{Files: map[string]string{"README.md": "bye\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.LastChange(ctx, repo, "main", "", []string{"apps/a"}, 100); err != nil || got != second.SHA {
		t.Errorf("LastChange(apps/a) = %s, %v; want the second commit %s (the third touched only README.md)", got, err, second.SHA)
	}
	if got, err := c.LastChange(ctx, repo, "main", "", []string{"README.md"}, 100); err != nil || got != third.SHA {
		t.Errorf("LastChange(README.md) = %s, %v; want the third commit %s", got, err, third.SHA)
	}
}

func TestCommitRejectsBadPaths(t *testing.T) {
	c := NewCommitter()
	for _, ch := range []Change{
		{Files: map[string]string{"../x": "1"}},
		{Files: map[string]string{"a/./b": "1"}},
		{Files: map[string]string{".git/config": "1"}},
		{Files: map[string]string{"a/b": "1"}, Delete: []string{"a"}},
		{Files: map[string]string{"a": "1"}, Delete: []string{"a"}},
	} {
		if _, err := c.Commit(context.Background(), Repository{URL: "http://127.0.0.1:1/none.git"}, "main", ch); err == nil || !strings.Contains(err.Error(), "path") {
			t.Errorf("Commit(%+v) = %v, want an error about the path", ch, err)
		}
	}
}

func TestCommitErrorsHideThePassword(t *testing.T) {
	root, _ := newBareRepo(t)
	srv := serveWritableRepos(t, root, "bob", "right-pw")
	repo := Repository{URL: srv.URL + "/gitops.git", Username: "bob", Password: "wrong-pw-123"}
	_, err := NewCommitter().Commit(context.Background(), repo, "main", Change{Files: map[string]string{"a": "1"}})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Commit() with a wrong password = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-pw-123") {
		t.Errorf("error shows the password: %v", err)
	}
	repo.URL = strings.Replace(srv.URL, "://", "://bob:wrong-pw-123@", 1) + "/gitops.git"
	repo.Username, repo.Password = "", "wrong-pw-123"
	if _, err := NewCommitter().Commit(context.Background(), repo, "main", Change{Files: map[string]string{"a": "1"}}); err == nil || strings.Contains(err.Error(), "wrong-pw-123") {
		t.Errorf("Commit() with credentials in the URL = %v, want an error without the password", err)
	}
}

// TestConcurrentCommittersLoseNothing runs two committers (two processes'
// worth: separate locks and copies) with ten writers each into one branch.
func TestConcurrentCommittersLoseNothing(t *testing.T) {
	root, bare := newBareRepo(t)
	srv := serveWritableRepos(t, root, "bob", "pw")
	repo := Repository{URL: srv.URL + "/gitops.git", Username: "bob", Password: "pw"}
	if _, err := NewCommitter().Commit(context.Background(), repo, "main", Change{Files: map[string]string{"README.md": "x"}}); err != nil {
		t.Fatal(err)
	}
	committers := []*Committer{NewCommitter(), NewCommitter()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	attempts := 0
	want := map[string]string{"README.md": "x"}
	for i := range 20 {
		name, content := fmt.Sprintf("apps/app-%02d/app.yaml", i), fmt.Sprintf("n: %d", i)
		want[name] = content
		wg.Go(func() {
			res, err := committers[i%2].Commit(context.Background(), repo, "main", Change{Files: map[string]string{name: content + "\n"}})
			if err != nil {
				t.Errorf("Commit(%s) = %v", name, err)
				return
			}
			mu.Lock()
			attempts += res.Attempts
			mu.Unlock()
		})
	}
	wg.Wait()
	if diff := cmp.Diff(want, treeFiles(t, bare, "main")); diff != "" {
		t.Errorf("files on main (-want +got):\n%s", diff)
	}
	if got := gitOut(t, bare, "rev-list", "--count", "main"); got != "21" {
		t.Errorf("main has %s commits, want 21", got)
	}
	t.Logf("20 commits took %d push attempts", attempts)
}

// TestOneCommitterSerialisesItsWriters: twenty writers of one committer
// never race each other, so every commit is pushed at its first attempt.
func TestOneCommitterSerialisesItsWriters(t *testing.T) {
	root, bare := newBareRepo(t)
	srv := serveWritableRepos(t, root, "bob", "pw")
	repo := Repository{URL: srv.URL + "/gitops.git", Username: "bob", Password: "pw"}
	c := NewCommitter()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			res, err := c.Commit(context.Background(), repo, "main", Change{Files: map[string]string{fmt.Sprintf("f-%02d", i): "x"}})
			if err != nil || res.Attempts != 1 {
				t.Errorf("Commit(f-%02d) = %+v, %v; want one attempt", i, res, err)
			}
		})
	}
	wg.Wait()
	if got := gitOut(t, bare, "rev-list", "--count", "main"); got != "20" {
		t.Errorf("main has %s commits, want 20", got)
	}
}
