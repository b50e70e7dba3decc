package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
)

// TestGitServerUnit exercises the git server without the platform (a unit
// test: it runs without the build tag platform too).
func TestGitServerUnit(t *testing.T) {
	root := t.TempDir()
	srv := httptest.NewServer(GitHandler(GitServerConfig{Root: root, Username: "u", Password: "secret"}))
	defer srv.Close()
	p := &Platform{GitURL: srv.URL, GitUsername: "u", GitPassword: "secret", GitRoot: root}
	ctx := context.Background()
	url, err := p.CreateGitRepo(ctx, "demo", map[string]string{"a/b.txt": "hi\n"})
	if err != nil {
		t.Fatal(err)
	}
	if url != srv.URL+"/demo.git" {
		t.Errorf("url %s", url)
	}
	// Idempotent: a second call leaves the repository alone.
	if _, err := p.CreateGitRepo(ctx, "demo", map[string]string{"other": "x"}); err != nil {
		t.Fatal(err)
	}
	auth := strings.Replace(url, "://", "://u:secret@", 1)
	out, err := exec.Command("git", "ls-remote", auth).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "refs/heads/main") {
		t.Fatalf("ls-remote: %v: %s", err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command("git", "clone", "-q", auth, dir+"/c").CombinedOutput(); err != nil {
		t.Fatalf("clone: %v: %s", err, out)
	}
	if out, err := exec.Command("git", "-C", dir+"/c", "ls-files").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "a/b.txt" {
		t.Fatalf("files: %v: %q", err, out)
	}
	bad := strings.Replace(url, "://", "://u:wrong@", 1)
	cmd := exec.Command("git", "ls-remote", bad)
	cmd.Env = append(cmd.Environ(), "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("ls-remote with a wrong password succeeded: %s", out)
	}
	for _, c := range []struct {
		path, user, pass string
		want             int
	}{
		{"/demo.git/info/refs?service=git-receive-pack", "u", "secret", 200},
		{"/demo.git/info/refs?service=git-upload-pack", "u", "wrong", 401},
		{"/nope.git/info/refs?service=git-upload-pack", "u", "secret", 404},
		{"/../etc/info/refs", "u", "secret", 404},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
		req.SetBasicAuth(c.user, c.pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s as %s: %d, want %d", c.path, c.pass, resp.StatusCode, c.want)
		}
	}
}
