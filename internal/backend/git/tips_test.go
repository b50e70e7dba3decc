package git

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTipMemoListsARepositoryOncePerTTL reads a branch many times with a tip
// memo: the server lists its branches once; another process's commit is not
// seen through the memo until the tip is older than the memo's ttl, and is
// seen at once by a read without it and by a new memo (the next command).
func TestTipMemoListsARepositoryOncePerTTL(t *testing.T) {
	root, _ := newBareRepo(t)
	srv := serveWritableRepos(t, root, "bob", "s3cret-pw")
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	listings := 0
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("service") == "git-upload-pack" && strings.HasSuffix(r.URL.Path, "/info/refs") {
			mu.Lock()
			listings++
			mu.Unlock()
		}
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	count := func() int { mu.Lock(); defer mu.Unlock(); n := listings; listings = 0; return n }

	repo := Repository{URL: counting.URL + "/gitops.git", Username: "bob", Password: "s3cret-pw"}
	ctx := context.Background()
	c := NewCommitter()
	if _, err := c.Commit(ctx, repo, "main", Change{Message: "first", Files: map[string]string{"a.yaml": "a: 1\n"}}); err != nil {
		t.Fatal(err)
	}
	read := func(ctx context.Context) string {
		t.Helper()
		files, _, err := c.ReadFiles(ctx, repo, "main", "", []string{"a.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		return files["a.yaml"]
	}
	now := time.Now()
	memo := NewTipMemo(30 * time.Second)
	memo.now = func() time.Time { return now }
	memoized := WithTipMemo(ctx, memo)
	count()
	for range 10 {
		if got := read(memoized); got != "a: 1\n" {
			t.Errorf("read with the memo = %q, want the first commit's", got)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("10 reads with the memo listed the branches %d times, want once", n)
	}

	// Another process commits.
	if _, err := NewCommitter().Commit(ctx, repo, "main", Change{Files: map[string]string{"a.yaml": "a: 2\n"}}); err != nil {
		t.Fatal(err)
	}
	count()
	if got := read(memoized); got != "a: 1\n" {
		t.Errorf("read with the memo within its ttl = %q, want the tip it saw", got)
	}
	if n := count(); n != 0 {
		t.Errorf("a read with the memo within its ttl listed the branches %d times, want 0", n)
	}
	if got := read(ctx); got != "a: 2\n" {
		t.Errorf("read without the memo = %q, want the server's tip", got)
	}
	if got := read(WithTipMemo(ctx, NewTipMemo(30*time.Second))); got != "a: 2\n" {
		t.Errorf("read with a new memo = %q, want the server's tip", got)
	}
	if got := read(WithTipMemo(ctx, nil)); got != "a: 2\n" {
		t.Errorf("read with a nil memo = %q, want the server's tip", got)
	}
	now = now.Add(30 * time.Second)
	count()
	if got := read(memoized); got != "a: 2\n" {
		t.Errorf("read with the memo after its ttl = %q, want the server's tip", got)
	}
	if n := count(); n != 1 {
		t.Errorf("a read with the memo after its ttl listed the branches %d times, want once", n)
	}
}

// TestTipMemoRemembersAMissingBranch reads a branch that does not exist
// twice with a memo: absent both times, and the memo holds it as missing and
// the branch listed beside it (main) with its tip.
func TestTipMemoRemembersAMissingBranch(t *testing.T) {
	repo, _ := newServedRepo(t)
	ctx := context.Background()
	c := NewCommitter()
	if _, err := c.Commit(ctx, repo, "main", Change{Message: "first", Files: map[string]string{"a.yaml": "a: 1\n"}}); err != nil {
		t.Fatal(err)
	}
	memo := NewTipMemo(time.Minute)
	memoized := WithTipMemo(ctx, memo)
	for i := range 2 {
		files, _, err := c.ReadFiles(memoized, repo, "other", "", []string{"a.yaml"})
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if len(files) != 0 {
			t.Errorf("read %d of a missing branch = %v, want nothing", i, files)
		}
	}
	if tip, ok := memo.tip(repo, "other"); !ok || !tip.IsZero() {
		t.Errorf("memo of the missing branch = %v, %v; want a zero tip, remembered", tip, ok)
	}
	if tip, ok := memo.tip(repo, "main"); !ok || tip.IsZero() {
		t.Errorf("memo of main, listed beside it = %v, %v; want its tip", tip, ok)
	}
}
