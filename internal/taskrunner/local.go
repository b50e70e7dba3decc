package taskrunner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// DefaultBuildTimeout bounds a build command whose run sets no timeout.
const DefaultBuildTimeout = 600 * time.Second

// logTailLines and logTailBytes bound a step's log tail.
const (
	logTailLines = 30
	logTailBytes = 4096
)

// DefaultPath is the build command's PATH when the runner has none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// LocalExecutor builds in the runner's process: a go-git clone, the build
// command in the run's directory, an image assembled with
// go-containerregistry, pushed to the site's registry.
type LocalExecutor struct {
	// Registry is host[:port] of the site's registry.
	Registry string
	// Insecure talks plain HTTP to the registry.
	Insecure bool
	// RegistryAuth are the registry's credentials (Harbor's).
	RegistryAuth Credentials
	// CacheDir holds the build caches shared by runs (GOCACHE, GOPATH).
	CacheDir string
	// Path is the build command's PATH (DefaultPath when empty).
	Path string
	// Secrets are masked in every message and log tail beside the run's
	// own credentials.
	Secrets []string
}

var _ Executor = (*LocalExecutor)(nil)

func (e *LocalExecutor) redactor(w *Workspace) *redact.Redactor {
	return redact.New(append([]string{w.Git.Password, e.RegistryAuth.Password}, e.Secrets...)...)
}

// Checkout clones the run's repository into the workspace and checks out
// its revision (or w.Commit when set), recording the commit and its time.
func (e *LocalExecutor) Checkout(ctx context.Context, w *Workspace) (string, error) {
	src := w.Run.Spec.Source
	r := e.redactor(w)
	dir := w.SourceDir()
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(w.Dir, 0o755); err != nil {
		return "", err
	}
	var auth *githttp.BasicAuth
	if w.Git.Username != "" || w.Git.Password != "" {
		auth = &githttp.BasicAuth{Username: w.Git.Username, Password: w.Git.Password}
	}
	opts := &gogit.CloneOptions{URL: src.RepoURL, NoCheckout: true, Tags: gogit.AllTags}
	if auth != nil {
		opts.Auth = auth
	}
	repo, err := gogit.PlainCloneContext(ctx, dir, false, opts)
	if err != nil {
		return "", &StepError{Message: r.Text(fmt.Sprintf("cannot clone %s: %v", redact.URL(src.RepoURL), err))}
	}
	want := w.Commit
	if want == "" {
		h, err := resolveRevision(repo, src.Revision)
		if err != nil {
			return "", &StepError{Message: r.Text(fmt.Sprintf("cannot resolve revision %q of %s: %v", src.Revision, redact.URL(src.RepoURL), err))}
		}
		want = h.String()
	}
	commit, err := repo.CommitObject(plumbing.NewHash(want))
	if err != nil {
		return "", &StepError{Message: fmt.Sprintf("cannot find commit %s in %s: %v", want, redact.URL(src.RepoURL), err)}
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.Checkout(&gogit.CheckoutOptions{Hash: commit.Hash, Force: true}); err != nil {
		return "", &StepError{Message: fmt.Sprintf("cannot check out %s: %v", commit.Hash, err)}
	}
	w.Commit, w.CommitTime = commit.Hash.String(), commit.Committer.When
	return fmt.Sprintf("checked out %s (%s)", w.Commit, src.Revision), nil
}

// resolveRevision resolves a branch, tag or commit of a fresh clone.
func resolveRevision(repo *gogit.Repository, rev string) (plumbing.Hash, error) {
	var firstErr error
	for _, cand := range []string{"refs/remotes/origin/" + rev, "refs/tags/" + rev, rev} {
		h, err := repo.ResolveRevision(plumbing.Revision(cand))
		if err == nil {
			// An annotated tag resolves to its commit.
			if c, err := repo.CommitObject(*h); err == nil {
				return c.Hash, nil
			}
			if t, err := repo.TagObject(*h); err == nil {
				if c, err := t.Commit(); err == nil {
					return c.Hash, nil
				}
			}
			return *h, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return plumbing.ZeroHash, firstErr
}

// openCommit reads w.Commit's time from the workspace's checkout, for a run
// resumed after its checkout.
func openCommit(w *Workspace) error {
	repo, err := gogit.PlainOpen(w.SourceDir())
	if err != nil {
		return err
	}
	c, err := repo.CommitObject(plumbing.NewHash(w.Commit))
	if err != nil {
		return err
	}
	w.CommitTime = c.Committer.When
	return nil
}

// Build runs the build command (sh -c) in the context directory with a
// bounded environment and time, killing its whole process group when the
// time is up. Without a command the context directory itself is the
// output.
func (e *LocalExecutor) Build(ctx context.Context, w *Workspace) (string, error) {
	b := w.Run.Spec.Build
	r := e.redactor(w)
	_ = os.Remove(w.buildDoneFile())
	ctxDir, err := contextDir(w)
	if err != nil {
		return "", &StepError{Message: err.Error()}
	}
	out := w.OutDir()
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	if b.Command == "" {
		if err := copyTree(ctxDir, out); err != nil {
			return "", &StepError{Message: fmt.Sprintf("cannot copy the context directory: %v", err)}
		}
		return "no build command: the context directory is the image's layer", e.markBuilt(w)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	home := filepath.Join(w.Dir, "home")
	tmp := filepath.Join(w.Dir, "tmp")
	for _, d := range []string{home, tmp, filepath.Join(e.CacheDir, "go-build"), filepath.Join(e.CacheDir, "go")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	timeout := DefaultBuildTimeout
	if b.TimeoutSeconds > 0 {
		timeout = time.Duration(b.TimeoutSeconds) * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, "sh", "-c", b.Command)
	cmd.Dir = ctxDir
	cmd.Env = buildEnv(e.path(), home, tmp, out, e.CacheDir, b.Env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole group: sh's children (go build, the compiler) too.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	var log tailBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	t0 := time.Now()
	err = cmd.Run()
	tail := r.Text(log.Tail())
	if err != nil {
		if errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return "", &StepError{Message: fmt.Sprintf("the build command did not finish within %s", timeout), LogTail: tail, TimedOut: true}
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", &StepError{Message: r.Text(fmt.Sprintf("the build command failed: %v", err)), LogTail: tail}
	}
	return fmt.Sprintf("built in %s", time.Since(t0).Round(time.Millisecond)), e.markBuilt(w)
}

func (e *LocalExecutor) path() string {
	if e.Path != "" {
		return e.Path
	}
	return DefaultPath
}

func (e *LocalExecutor) markBuilt(w *Workspace) error {
	return os.WriteFile(w.buildDoneFile(), []byte(w.Commit+"\n"), 0o644)
}

// buildEnv is the build command's environment: the runner's few variables,
// then the run's (which may override them).
func buildEnv(path, home, tmp, out, cacheDir string, env map[string]string) []string {
	vars := map[string]string{
		"PATH":    path,
		"HOME":    home,
		"TMPDIR":  tmp,
		"OUT":     out,
		"GOCACHE": filepath.Join(cacheDir, "go-build"),
		"GOPATH":  filepath.Join(cacheDir, "go"),
	}
	for k, v := range env {
		vars[k] = v
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out2 := make([]string, 0, len(keys))
	for _, k := range keys {
		out2 = append(out2, k+"="+vars[k])
	}
	return out2
}

// contextDir is the build's directory inside the checkout; it may not
// leave it.
func contextDir(w *Workspace) (string, error) {
	src := w.SourceDir()
	rel := filepath.Clean("/" + w.Run.Spec.Build.ContextDir)
	dir := filepath.Join(src, rel)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("the context directory %q is not a directory of the checkout", w.Run.Spec.Build.ContextDir)
	}
	return dir, nil
}

// copyTree copies the files of src into dst, leaving out .git.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if info.IsDir() && info.Name() == ".git" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&os.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, info.Mode().Perm())
		}
		return nil
	})
}

// Push assembles the image from the build output and pushes it, tagged,
// unless the registry already has that digest under the tag.
func (e *LocalExecutor) Push(ctx context.Context, w *Workspace) (PushResult, error) {
	spec := w.Run.Spec
	r := e.redactor(w)
	if w.CommitTime.IsZero() {
		if err := openCommit(w); err != nil {
			return PushResult{}, &StepError{Message: fmt.Sprintf("cannot read commit %s of the checkout: %v", w.Commit, err)}
		}
	}
	var base v1.Image
	if spec.Build.BaseImage != "" {
		img, err := e.pullBase(ctx, spec.Build.BaseImage)
		if err != nil {
			return PushResult{}, &StepError{Message: r.Text(err.Error())}
		}
		base = img
	}
	img, err := AssembleImage(ImageInput{
		Base: base, LayerDir: w.OutDir(), Commit: w.Commit, CommitTime: w.CommitTime,
		Source: redact.URL(spec.Source.RepoURL), Entrypoint: spec.Build.Entrypoint,
	})
	if err != nil {
		return PushResult{}, &StepError{Message: err.Error()}
	}
	digest, err := img.Digest()
	if err != nil {
		return PushResult{}, &StepError{Message: fmt.Sprintf("cannot compute the image digest: %v", err)}
	}
	tag, err := tagOf(w)
	if err != nil {
		return PushResult{}, &StepError{Message: err.Error()}
	}
	repo := e.Registry + "/" + spec.Image.Project + "/" + spec.Image.Repository
	ref, err := name.NewTag(repo+":"+tag, e.nameOpts()...)
	if err != nil {
		return PushResult{}, &StepError{Message: fmt.Sprintf("invalid image reference %s:%s: %v", repo, tag, err)}
	}
	res := PushResult{Digest: digest.String(), Ref: repo + "@" + digest.String()}
	opts := e.remoteOpts(ctx)
	if d, err := remote.Head(ref, opts...); err == nil && d.Digest == digest {
		return res, nil
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		return PushResult{}, &StepError{Message: r.Text(fmt.Sprintf("cannot push %s: %v", ref, err))}
	}
	res.Pushed = true
	return res, nil
}

func (e *LocalExecutor) nameOpts() []name.Option {
	if e.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (e *LocalExecutor) remoteOpts(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx)}
	if e.RegistryAuth.Username != "" || e.RegistryAuth.Password != "" {
		opts = append(opts, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: e.RegistryAuth.Username, Password: e.RegistryAuth.Password})))
	}
	return opts
}

// pullBase reads the base image: from the site's registry with its
// credentials, from elsewhere anonymously, for linux on the runner's
// architecture when it is an index.
func (e *LocalExecutor) pullBase(ctx context.Context, ref string) (v1.Image, error) {
	var nopts []name.Option
	sameRegistry := strings.HasPrefix(ref, e.Registry+"/")
	if sameRegistry {
		nopts = e.nameOpts()
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("invalid base image %q: %w", ref, err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: goarch()})}
	if sameRegistry {
		opts = e.remoteOpts(ctx)
		opts = append(opts, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: goarch()}))
	}
	img, err := remote.Image(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot pull base image %s: %w", ref, err)
	}
	return img, nil
}

// tailBuffer keeps the last bytes written to it, for a log tail.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

// tailBufferKeep bounds what a tailBuffer keeps before cutting to lines.
const tailBufferKeep = 64 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailBufferKeep {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailBufferKeep:]...)
	}
	return len(p), nil
}

// Tail returns the last lines written (at most logTailLines lines and
// logTailBytes bytes).
func (t *tailBuffer) Tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return lastLines(t.buf, logTailLines, logTailBytes)
}

// lastLines returns the last n lines of b, cut to at most max bytes.
func lastLines(b []byte, n, max int) string {
	b = bytes.TrimRight(b, "\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	s := string(bytes.Join(lines, []byte("\n")))
	if len(s) > max {
		s = s[len(s)-max:]
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
	}
	return s
}

// Kept reports whether the product of step, succeeded earlier, is still in
// the workspace: the checkout for checkout, the output for build.
func (e *LocalExecutor) Kept(w *Workspace, step string) bool {
	switch step {
	case tasksv1.StepCheckout:
		if w.Commit == "" {
			return false
		}
		_, err := os.Stat(filepath.Join(w.SourceDir(), ".git"))
		return err == nil
	case tasksv1.StepBuild:
		return w.BuildDone()
	}
	return true
}
