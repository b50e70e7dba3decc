package taskrunner

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
)

// testRepo is a git repository on disk that tests commit to.
type testRepo struct {
	t    *testing.T
	dir  string
	repo *gogit.Repository
	n    int
}

// newTestRepo makes a repository with one commit of files on main.
func newTestRepo(t *testing.T, files map[string]string) (*testRepo, string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := gogit.PlainInitWithOptions(dir, &gogit.PlainInitOptions{
		InitOptions: gogit.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &testRepo{t: t, dir: dir, repo: repo}
	return r, r.commit(files)
}

// commit writes files and commits them at a fixed time per commit; it
// returns the commit's hash.
func (r *testRepo) commit(files map[string]string) string {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	for p, content := range files {
		full := filepath.Join(r.dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if _, err := wt.Add(p); err != nil {
			r.t.Fatal(err)
		}
	}
	r.n++
	when := time.Date(2026, 11, 1, 12, r.n, 0, 0, time.UTC)
	sig := &object.Signature{Name: "dev", Email: "dev@example.com", When: when}
	h, err := wt.Commit("commit "+strconv.Itoa(r.n), &gogit.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

func (r *testRepo) tag(name, commit string) {
	r.t.Helper()
	if _, err := r.repo.CreateTag(name, plumbing.NewHash(commit), nil); err != nil {
		r.t.Fatal(err)
	}
}

// testRegistry is an in-process OCI registry that counts manifest pushes.
type testRegistry struct {
	host string
	mu   sync.Mutex
	puts map[string]int // repository → manifest PUTs
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	reg := &testRegistry{puts: map[string]int{}}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/manifests/") {
			repo := strings.TrimPrefix(req.URL.Path[:strings.Index(req.URL.Path, "/manifests/")], "/v2/")
			reg.mu.Lock()
			reg.puts[repo]++
			reg.mu.Unlock()
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	reg.host = strings.TrimPrefix(srv.URL, "http://")
	return reg
}

func (r *testRegistry) manifestPuts(repo string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.puts[repo]
}

func testRun(name, repoURL, revision string, build tasksv1.TaskRunBuild) *tasksv1.TaskRun {
	return &tasksv1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: tasksv1.DefaultNamespace, Name: name,
			Labels: map[string]string{tasksv1.LabelSite: "site-b"}},
		Spec: tasksv1.TaskRunSpec{
			Site:   "site-b",
			Source: tasksv1.TaskRunSource{RepoURL: repoURL, Revision: revision},
			Build:  build,
			Image:  tasksv1.TaskRunImage{Project: "team", Repository: "svc"},
		},
	}
}

func newExecutor(t *testing.T, reg *testRegistry) *LocalExecutor {
	t.Helper()
	host := ""
	if reg != nil {
		host = reg.host
	}
	return &LocalExecutor{Registry: host, Insecure: true, CacheDir: t.TempDir(), Path: os.Getenv("PATH")}
}

func TestCheckoutResolvesBranchTagAndCommit(t *testing.T) {
	repo, first := newTestRepo(t, map[string]string{"a.txt": "one"})
	second := repo.commit(map[string]string{"a.txt": "two"})
	repo.tag("v1", first)
	ex := newExecutor(t, nil)
	for _, tc := range []struct{ revision, want, content string }{
		{"main", second, "two"},
		{"v1", first, "one"},
		{first, first, "one"},
	} {
		t.Run(tc.revision, func(t *testing.T) {
			w := &Workspace{Run: testRun("r", repo.dir, tc.revision, tasksv1.TaskRunBuild{}), Dir: t.TempDir()}
			if _, err := ex.Checkout(context.Background(), w); err != nil {
				t.Fatal(err)
			}
			if w.Commit != tc.want {
				t.Errorf("commit %s, want %s", w.Commit, tc.want)
			}
			if got, _ := os.ReadFile(filepath.Join(w.SourceDir(), "a.txt")); string(got) != tc.content {
				t.Errorf("a.txt is %q, want %q", got, tc.content)
			}
		})
	}
	t.Run("unknown revision", func(t *testing.T) {
		w := &Workspace{Run: testRun("r", repo.dir, "no-such-branch", tasksv1.TaskRunBuild{}), Dir: t.TempDir()}
		_, err := ex.Checkout(context.Background(), w)
		var se *StepError
		if !errors.As(err, &se) || !strings.Contains(se.Message, `cannot resolve revision "no-such-branch"`) {
			t.Fatalf("err = %v, want a StepError about the revision", err)
		}
	})
	t.Run("recorded commit wins over the revision", func(t *testing.T) {
		w := &Workspace{Run: testRun("r", repo.dir, "main", tasksv1.TaskRunBuild{}), Dir: t.TempDir(), Commit: first}
		if _, err := ex.Checkout(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		if w.Commit != first {
			t.Errorf("commit %s, want the recorded %s", w.Commit, first)
		}
	})
}

func TestCheckoutErrorHidesCredentials(t *testing.T) {
	ex := newExecutor(t, nil)
	w := &Workspace{Run: testRun("r", "http://alice:s3cr3t-pw@127.0.0.1:1/repo.git", "main", tasksv1.TaskRunBuild{}),
		Dir: t.TempDir(), Git: Credentials{Username: "bob", Password: "other-s3cr3t"}}
	_, err := ex.Checkout(context.Background(), w)
	if err == nil {
		t.Fatal("checkout from a closed port succeeded")
	}
	for _, secret := range []string{"s3cr3t-pw", "other-s3cr3t"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows a credential: %v", err)
		}
	}
}

func checkedOut(t *testing.T, ex *LocalExecutor, run *tasksv1.TaskRun) *Workspace {
	t.Helper()
	w := &Workspace{Run: run, Dir: t.TempDir()}
	if _, err := ex.Checkout(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestBuildEnvironmentIsBounded(t *testing.T) {
	repo, _ := newTestRepo(t, map[string]string{"sub/x.txt": "x"})
	t.Setenv(EnvHarborPassword, "runner-secret")
	ex := newExecutor(t, nil)
	run := testRun("r", repo.dir, "main", tasksv1.TaskRunBuild{
		ContextDir: "sub",
		Command:    `env | cut -d= -f1 | grep -v -e '^PWD$' -e '^SHLVL$' -e '^_$' | sort > "$OUT/env"; pwd > "$OUT/pwd"`,
		Env:        map[string]string{"FOO": "bar"},
	})
	w := checkedOut(t, ex, run)
	if _, err := ex.Build(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(w.OutDir(), "env"))
	want := "FOO\nGOCACHE\nGOPATH\nHOME\nOUT\nPATH\nTMPDIR\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("build environment (-want +got):\n%s", diff)
	}
	pwd, _ := os.ReadFile(filepath.Join(w.OutDir(), "pwd"))
	if strings.TrimSpace(string(pwd)) != filepath.Join(w.SourceDir(), "sub") {
		t.Errorf("build ran in %s, want the context directory", pwd)
	}
	if !w.BuildDone() || !ex.Kept(w, tasksv1.StepBuild) {
		t.Error("a finished build is not marked done")
	}
}

func TestBuildFailureHasTheLogTail(t *testing.T) {
	repo, _ := newTestRepo(t, map[string]string{"main.go": "package main\n"})
	ex := newExecutor(t, nil)
	ex.Secrets = []string{"hunter2-secret"}
	run := testRun("r", repo.dir, "main", tasksv1.TaskRunBuild{
		Command: `for i in $(seq 1 100); do echo "line $i"; done; echo "./main.go:3:2: undefined: foo (token hunter2-secret)" >&2; exit 1`,
	})
	w := checkedOut(t, ex, run)
	_, err := ex.Build(context.Background(), w)
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StepError", err)
	}
	if !strings.Contains(se.LogTail, "./main.go:3:2: undefined: foo") {
		t.Errorf("log tail lacks the compiler's message:\n%s", se.LogTail)
	}
	if strings.Contains(se.LogTail, "hunter2-secret") {
		t.Errorf("log tail shows a secret:\n%s", se.LogTail)
	}
	if strings.Contains(se.LogTail, "line 1\n") || strings.Count(se.LogTail, "\n")+1 > logTailLines {
		t.Errorf("log tail is not bounded to the last %d lines:\n%s", logTailLines, se.LogTail)
	}
	if w.BuildDone() {
		t.Error("a failed build is marked done")
	}
}

func TestBuildTimeoutKillsTheProcessGroup(t *testing.T) {
	repo, _ := newTestRepo(t, map[string]string{"a": "a"})
	ex := newExecutor(t, nil)
	run := testRun("r", repo.dir, "main", tasksv1.TaskRunBuild{
		Command:        `sleep 60 & echo $! > "$OUT/pid"; echo started; wait`,
		TimeoutSeconds: 1,
	})
	w := checkedOut(t, ex, run)
	_, err := ex.Build(context.Background(), w)
	var se *StepError
	if !errors.As(err, &se) || !se.TimedOut {
		t.Fatalf("err = %v, want a timed-out StepError", err)
	}
	if !strings.Contains(se.LogTail, "started") {
		t.Errorf("log tail %q lacks the command's output", se.LogTail)
	}
	b, err := os.ReadFile(filepath.Join(w.OutDir(), "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// SIGKILL went to the group; the grandchild is gone (or a zombie
	// waiting for init) once the kernel has delivered it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the build's child %d outlived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// build checks out run, builds it and assembles its image, returning the
// digest.
func buildDigest(t *testing.T, ex *LocalExecutor, run *tasksv1.TaskRun) (*Workspace, string) {
	t.Helper()
	w := checkedOut(t, ex, run)
	if _, err := ex.Build(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	img, err := AssembleImage(ImageInput{LayerDir: w.OutDir(), Commit: w.Commit, CommitTime: w.CommitTime,
		Source: run.Spec.Source.RepoURL, Entrypoint: run.Spec.Build.Entrypoint})
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return w, d.String()
}

func TestImageDigestIsDeterministic(t *testing.T) {
	repo, first := newTestRepo(t, map[string]string{"app.sh": "echo hi\n"})
	build := tasksv1.TaskRunBuild{
		Command:    `mkdir -p "$OUT/bin" && cp app.sh "$OUT/bin/app" && chmod 755 "$OUT/bin/app" && date +%s%N > /dev/null`,
		Entrypoint: []string{"/bin/app"},
	}
	ex := newExecutor(t, nil)
	_, d1 := buildDigest(t, ex, testRun("a", repo.dir, first, build))
	_, d2 := buildDigest(t, ex, testRun("b", repo.dir, first, build))
	if d1 != d2 {
		t.Errorf("two builds of the same inputs gave %s and %s", d1, d2)
	}
	second := repo.commit(map[string]string{"README": "docs only"})
	_, d3 := buildDigest(t, ex, testRun("c", repo.dir, second, build))
	if d3 == d1 {
		t.Errorf("a different commit gave the same digest %s", d1)
	}
	other := build
	other.Entrypoint = []string{"/bin/app", "--verbose"}
	_, d4 := buildDigest(t, ex, testRun("d", repo.dir, first, other))
	if d4 == d1 {
		t.Errorf("a different entrypoint gave the same digest %s", d1)
	}
}

func TestPushToRegistry(t *testing.T) {
	reg := newTestRegistry(t)
	repo, commit := newTestRepo(t, map[string]string{"hello.txt": "hello\n"})
	ex := newExecutor(t, reg)
	run := testRun("r", repo.dir, "main", tasksv1.TaskRunBuild{Entrypoint: []string{"/hello.txt"}})
	w, want := buildDigest(t, ex, run)
	res, err := ex.Push(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != want || !res.Pushed {
		t.Errorf("push = %+v, want digest %s pushed", res, want)
	}
	if wantRef := reg.host + "/team/svc@" + want; res.Ref != wantRef {
		t.Errorf("ref %s, want %s", res.Ref, wantRef)
	}
	// The tag is the short commit; the config carries the labels and the
	// commit time, the layer the commit time.
	ref, _ := name.NewTag(reg.host+"/team/svc:"+commit[:12], name.Insecure)
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := img.Digest(); d.String() != want {
		t.Errorf("the tag points at %s, want %s", d, want)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	commitTime := w.CommitTime.UTC()
	if !cf.Created.Time.Equal(commitTime) {
		t.Errorf("created %s, want the commit time %s", cf.Created.Time, commitTime)
	}
	wantLabels := map[string]string{LabelRevision: commit, LabelSource: repo.dir}
	if diff := cmp.Diff(wantLabels, cf.Config.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/hello.txt"}, cf.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint (-want +got):\n%s", diff)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if !hdr.ModTime.Equal(commitTime) || hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: mtime %s uid %d gid %d, want the commit time and root", hdr.Name, hdr.ModTime, hdr.Uid, hdr.Gid)
		}
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"hello.txt"}, names); diff != "" {
		t.Errorf("layer files (-want +got):\n%s", diff)
	}
	// A second push of the same image is not pushed again.
	res2, err := ex.Push(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Pushed || res2.Digest != want {
		t.Errorf("second push = %+v, want digest %s not pushed", res2, want)
	}
	if n := reg.manifestPuts("team/svc"); n != 1 {
		t.Errorf("%d manifest pushes, want 1", n)
	}
}
