package git

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Repository names a remote repository and the credentials to reach it over
// HTTP(S). Errors and logs show its URL redacted and never the password.
type Repository struct {
	URL      string
	Username string
	Password string
	// CABundle is an extra PEM bundle trusted beside the system's.
	CABundle []byte
	// InsecureSkipTLS skips the server certificate's verification.
	InsecureSkipTLS bool
}

// shown is the URL as errors and logs may name it.
func (r Repository) shown() string { return redact.URL(r.URL) }

// key identifies the repository for the per-repository lock and cache.
func (r Repository) key() string {
	return strings.TrimSuffix(strings.TrimSuffix(r.URL, "/"), ".git")
}

func (r Repository) auth() transport.AuthMethod {
	if r.Username == "" && r.Password == "" {
		return nil
	}
	return &githttp.BasicAuth{Username: r.Username, Password: r.Password}
}

// Change is a set of file changes made as one commit.
type Change struct {
	// Files maps a slash-separated path in the repository to the content the
	// file must have.
	Files map[string]string
	// Delete lists paths that must not exist: a file, or a directory with
	// everything under it. Deleting what does not exist changes nothing.
	Delete []string
	// Message is the commit message.
	Message string
	// AuthorName and AuthorEmail sign the commit; defaults are
	// DefaultAuthorName and DefaultAuthorEmail.
	AuthorName, AuthorEmail string
}

// Default commit author.
const (
	DefaultAuthorName  = "terraform-provider-mc"
	DefaultAuthorEmail = "terraform-provider-mc@localhost"
)

// CommitResult is what Commit did.
type CommitResult struct {
	// SHA is the commit that contains the change: the new commit, or the
	// branch's tip when the branch already had the content.
	SHA string
	// Committed is false when the branch already had the content and no
	// commit was made.
	Committed bool
	// Attempts counts the pushes tried; more than one means the branch moved
	// under us and the change was re-applied on the new tip.
	Attempts int
}

// ErrPushConflict is wrapped by Commit's error when every attempt lost the
// race for the branch to other writers.
var ErrPushConflict = errors.New("the branch kept moving while pushing")

// DefaultMaxAttempts bounds the pushes of one Commit.
const DefaultMaxAttempts = 12

// Committer writes changes to repositories over git's smart HTTP protocol
// with go-git, keeping an in-memory copy of each repository it touched so
// that later commits fetch only what is new. Commits to one repository are
// serialised inside the process; writers elsewhere (another process, a
// person) are handled by compare-and-swap pushes that are rebased and
// retried when the branch moved. A Committer is safe for concurrent use;
// one per process is meant to be shared.
type Committer struct {
	// MaxAttempts bounds the pushes of one Commit (default DefaultMaxAttempts).
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the jittered wait between attempts
	// (defaults 50ms and 2s).
	MinBackoff, MaxBackoff time.Duration

	mu    sync.Mutex
	repos map[string]*repoCopy
}

// repoCopy is the in-memory copy of one repository; mu serialises its use.
type repoCopy struct {
	mu      sync.Mutex
	storage *memory.Storage
}

// NewCommitter returns a Committer with the default bounds.
func NewCommitter() *Committer { return &Committer{} }

// lock returns the locked copy of repo; the caller unlocks it.
func (c *Committer) lock(repo Repository) *repoCopy {
	c.mu.Lock()
	if c.repos == nil {
		c.repos = map[string]*repoCopy{}
	}
	rc, ok := c.repos[repo.key()]
	if !ok {
		rc = &repoCopy{storage: memory.NewStorage()}
		c.repos[repo.key()] = rc
	}
	c.mu.Unlock()
	rc.mu.Lock()
	return rc
}

// Commit makes change on branch of repo as one commit on the branch's tip
// and pushes it. The push only succeeds if the branch still points at the
// tip the commit was made on; when it moved, the new tip is fetched, the
// change is made again on it and the push retried, with a jittered backoff,
// at most MaxAttempts times. When the branch already has the content, no
// commit is made and the tip is returned. A branch that does not exist is
// created with the change as its first commit.
func (c *Committer) Commit(ctx context.Context, repo Repository, branch string, change Change) (CommitResult, error) {
	res, err := c.commit(ctx, repo, branch, change)
	return res, redact.Error(err, repo.Password)
}

func (c *Committer) commit(ctx context.Context, repo Repository, branch string, change Change) (CommitResult, error) {
	edits, err := change.edits()
	if err != nil {
		return CommitResult{}, err
	}
	rc := c.lock(repo)
	defer rc.mu.Unlock()
	maxAttempts := c.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	minBackoff, maxBackoff := c.MinBackoff, c.MaxBackoff
	if minBackoff <= 0 {
		minBackoff = 50 * time.Millisecond
	}
	if maxBackoff <= 0 {
		maxBackoff = 2 * time.Second
	}
	log := logctx.From(ctx)
	backoff := minBackoff
	var res CommitResult
	for res.Attempts = 1; ; res.Attempts++ {
		tip, err := rc.sync(ctx, repo, branch)
		if err != nil {
			return res, err
		}
		commit, changed, err := rc.makeCommit(tip, edits, change)
		if err != nil {
			return res, fmt.Errorf("cannot make the commit for %s: %w", repo.shown(), err)
		}
		if !changed {
			res.SHA = tip.String()
			log.Debug("Git branch already has the content: no commit", "repository", repo.shown(), "branch", branch, "tip", res.SHA)
			return res, nil
		}
		pushErr := rc.push(ctx, repo, branch, tip, commit)
		if pushErr == nil {
			res.SHA, res.Committed = commit.String(), true
			log.Debug("Git commit pushed", "repository", repo.shown(), "branch", branch, "commit", res.SHA, "attempts", res.Attempts)
			return res, nil
		}
		if ctx.Err() != nil {
			return res, fmt.Errorf("cannot push to %s: %w", repo.shown(), ctx.Err())
		}
		// Rejected or failed: it is a lost race only if the branch moved.
		now, err := rc.remoteTip(ctx, repo, branch)
		if err != nil {
			return res, fmt.Errorf("cannot push to %s: %w (and cannot read the branch again: %v)", repo.shown(), pushErr, err)
		}
		if now == tip {
			return res, fmt.Errorf("cannot push to %s branch %q: %w", repo.shown(), branch, pushErr)
		}
		if res.Attempts >= maxAttempts {
			return res, fmt.Errorf("%w: %s branch %q, %d attempts (last: %v)", ErrPushConflict, repo.shown(), branch, res.Attempts, pushErr)
		}
		sleep := backoff/2 + rand.N(backoff/2+1)
		log.Debug("Git push lost the race for the branch: rebasing on the new tip", "repository", repo.shown(), "branch", branch,
			"attempt", res.Attempts, "tip", now.String(), "next_in", sleep)
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, fmt.Errorf("cannot push to %s: %w", repo.shown(), ctx.Err())
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// Head returns the commit branch of repo points at, fetched into the
// in-memory copy; ErrBranchNotFound when the branch does not exist.
func (c *Committer) Head(ctx context.Context, repo Repository, branch string) (string, error) {
	rc := c.lock(repo)
	defer rc.mu.Unlock()
	tip, err := rc.sync(ctx, repo, branch)
	if err != nil {
		return "", redact.Error(err, repo.Password)
	}
	if tip.IsZero() {
		return "", fmt.Errorf("%w: %s has no branch %q", ErrBranchNotFound, repo.shown(), branch)
	}
	return tip.String(), nil
}

// ReadFiles returns the content of paths at revision (a commit SHA, or the
// tip of branch when revision is empty), fetching branch when the commit
// is not known yet. A path that does not exist, or is a directory, is
// absent from the map. It also returns the commit read.
func (c *Committer) ReadFiles(ctx context.Context, repo Repository, branch, revision string, paths []string) (map[string]string, string, error) {
	files, rev, err := c.readFiles(ctx, repo, branch, revision, paths)
	return files, rev, redact.Error(err, repo.Password)
}

func (c *Committer) readFiles(ctx context.Context, repo Repository, branch, revision string, paths []string) (map[string]string, string, error) {
	rc := c.lock(repo)
	defer rc.mu.Unlock()
	commit, err := rc.commitAt(ctx, repo, branch, revision)
	if err != nil {
		return nil, "", err
	}
	out := map[string]string{}
	if commit == nil {
		return out, "", nil
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the tree of %s: %w", commit.Hash, err)
	}
	for _, p := range paths {
		clean, err := cleanPath(p)
		if err != nil {
			return nil, "", err
		}
		f, err := tree.File(clean)
		if err != nil {
			continue
		}
		content, err := f.Contents()
		if err != nil {
			return nil, "", fmt.Errorf("cannot read %s at %s: %w", clean, commit.Hash, err)
		}
		out[clean] = content
	}
	return out, commit.Hash.String(), nil
}

// CommitTime returns when revision was committed (its committer date),
// fetching branch when the commit is not known yet.
func (c *Committer) CommitTime(ctx context.Context, repo Repository, branch, revision string) (time.Time, error) {
	rc := c.lock(repo)
	defer rc.mu.Unlock()
	commit, err := rc.commitAt(ctx, repo, branch, revision)
	if err != nil {
		return time.Time{}, redact.Error(err, repo.Password)
	}
	if commit == nil {
		return time.Time{}, fmt.Errorf("%w: %s has no branch %q", ErrBranchNotFound, repo.shown(), branch)
	}
	return commit.Committer.When, nil
}

// IsCommitSHA reports whether s is a full hexadecimal commit SHA-1.
func IsCommitSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// Contains reports whether commit ancestor is descendant or one of its
// ancestors, fetching branch when either is not known yet.
func (c *Committer) Contains(ctx context.Context, repo Repository, branch, ancestor, descendant string) (bool, error) {
	ok, err := c.contains(ctx, repo, branch, ancestor, descendant)
	return ok, redact.Error(err, repo.Password)
}

func (c *Committer) contains(ctx context.Context, repo Repository, branch, ancestor, descendant string) (bool, error) {
	if ancestor == descendant {
		return true, nil
	}
	rc := c.lock(repo)
	defer rc.mu.Unlock()
	d, err := rc.commitAt(ctx, repo, branch, descendant)
	if err != nil {
		return false, err
	}
	a, err := rc.commitAt(ctx, repo, branch, ancestor)
	if err != nil {
		return false, err
	}
	if a == nil || d == nil {
		return false, nil
	}
	ok, err := a.IsAncestor(d)
	if err != nil {
		return false, fmt.Errorf("cannot walk the history of %s: %w", repo.shown(), err)
	}
	return ok, nil
}

// LastChange returns the most recent commit of branch's first-parent
// history, walked back from revision (the tip when empty), that changed
// one of paths (a path is a file or a directory): the commit whose content
// of paths the tip still has. It gives up after limit commits and then
// returns the oldest one it reached.
func (c *Committer) LastChange(ctx context.Context, repo Repository, branch, revision string, paths []string, limit int) (string, error) {
	sha, err := c.lastChange(ctx, repo, branch, revision, paths, limit)
	return sha, redact.Error(err, repo.Password)
}

func (c *Committer) lastChange(ctx context.Context, repo Repository, branch, revision string, paths []string, limit int) (string, error) {
	rc := c.lock(repo)
	defer rc.mu.Unlock()
	commit, err := rc.commitAt(ctx, repo, branch, revision)
	if err != nil || commit == nil {
		return "", err
	}
	hashes := func(cm *object.Commit) ([]plumbing.Hash, error) {
		tree, err := cm.Tree()
		if err != nil {
			return nil, err
		}
		out := make([]plumbing.Hash, len(paths))
		for i, p := range paths {
			if e, err := tree.FindEntry(strings.Trim(p, "/")); err == nil {
				out[i] = e.Hash
			}
		}
		return out, nil
	}
	want, err := hashes(commit)
	if err != nil {
		return "", err
	}
	for i := 0; i < limit && commit.NumParents() > 0; i++ {
		parent, err := commit.Parent(0)
		if err != nil {
			return "", fmt.Errorf("cannot walk the history of %s: %w", repo.shown(), err)
		}
		got, err := hashes(parent)
		if err != nil {
			return "", err
		}
		for j := range want {
			if got[j] != want[j] {
				return commit.Hash.String(), nil
			}
		}
		commit = parent
	}
	return commit.Hash.String(), nil
}

// commitAt returns the commit revision names (the branch's tip when empty),
// fetching the branch when it is not known; nil when the branch has no
// commit. A revision that is still unknown after the fetch is an error.
func (rc *repoCopy) commitAt(ctx context.Context, repo Repository, branch, revision string) (*object.Commit, error) {
	if revision == "" {
		tip, err := rc.sync(ctx, repo, branch)
		if err != nil || tip.IsZero() {
			return nil, err
		}
		revision = tip.String()
	}
	h := plumbing.NewHash(revision)
	if h.IsZero() || h.String() != strings.ToLower(revision) {
		return nil, fmt.Errorf("%q is not a commit SHA", revision)
	}
	commit, err := object.GetCommit(rc.storage, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		if _, err := rc.sync(ctx, repo, branch); err != nil {
			return nil, err
		}
		commit, err = object.GetCommit(rc.storage, h)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot find commit %s in %s branch %q: %w", revision, repo.shown(), branch, err)
	}
	return commit, nil
}

func (rc *repoCopy) remote(repo Repository) *gogit.Remote {
	return gogit.NewRemote(rc.storage, &config.RemoteConfig{Name: "origin", URLs: []string{repo.URL}})
}

// remoteTip asks the server where branch points; zero when it does not exist.
func (rc *repoCopy) remoteTip(ctx context.Context, repo Repository, branch string) (plumbing.Hash, error) {
	memo := tipMemoFrom(ctx)
	if tip, ok := memo.tip(repo, branch); ok {
		return tip, nil
	}
	at := memo.clock()
	refs, err := rc.remote(repo).ListContext(ctx, &gogit.ListOptions{
		Auth: repo.auth(), CABundle: repo.CABundle, InsecureSkipTLS: repo.InsecureSkipTLS,
	})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		memo.saw(repo, branch, nil, at)
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, classify(err, repo)
	}
	branches := map[string]plumbing.Hash{}
	for _, r := range refs {
		if r.Name().IsBranch() && r.Type() == plumbing.HashReference {
			branches[r.Name().Short()] = r.Hash()
		}
	}
	memo.saw(repo, branch, branches, at)
	return branches[branch], nil
}

// sync brings the in-memory copy to the server's tip of branch and
// returns it (zero when the branch does not exist).
func (rc *repoCopy) sync(ctx context.Context, repo Repository, branch string) (plumbing.Hash, error) {
	tip, err := rc.remoteTip(ctx, repo, branch)
	if err != nil || tip.IsZero() {
		return tip, err
	}
	if _, err := rc.storage.EncodedObject(plumbing.CommitObject, tip); err == nil {
		return tip, nil
	}
	ref := plumbing.NewBranchReferenceName(branch)
	err = rc.remote(repo).FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + ref.String() + ":" + plumbing.NewRemoteReferenceName("origin", branch).String())},
		Auth:       repo.auth(), CABundle: repo.CABundle, InsecureSkipTLS: repo.InsecureSkipTLS,
		Tags: gogit.NoTags,
	})
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, fmt.Errorf("cannot fetch %s branch %q: %w", repo.shown(), branch, classify(err, repo))
	}
	// The branch may have moved between the listing and the fetch: the
	// fetched tip is the one to build on.
	fetched, err := rc.storage.Reference(plumbing.NewRemoteReferenceName("origin", branch))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("cannot fetch %s branch %q: %w", repo.shown(), branch, err)
	}
	return fetched.Hash(), nil
}

// classify wraps the transport's authentication and not-found errors in
// this package's errors.
func classify(err error, repo Repository) error {
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%w: %s: %v", ErrUnauthorized, repo.shown(), err)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%w: %s: %v", ErrRepositoryNotFound, repo.shown(), err)
	}
	return err
}

// push sends commit to branch, provided the server's branch still is at tip.
func (rc *repoCopy) push(ctx context.Context, repo Repository, branch string, tip, commit plumbing.Hash) error {
	ref := plumbing.NewBranchReferenceName(branch)
	opts := &gogit.PushOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(commit.String() + ":" + ref.String())},
		Auth:       repo.auth(), CABundle: repo.CABundle, InsecureSkipTLS: repo.InsecureSkipTLS,
	}
	if !tip.IsZero() {
		// Checked by go-git against the advertisement, and by the server
		// against the ref itself: the update carries tip as the old value.
		opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(tip.String() + ":" + ref.String())}
	}
	err := rc.remote(repo).PushContext(ctx, opts)
	if errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return nil
	}
	if err != nil {
		return classify(err, repo)
	}
	return nil
}

// edit is one path's wanted state: content, or absent when del.
type edit struct {
	content string
	del     bool
}

// edits validates the change's paths and returns them as edits.
func (ch Change) edits() (map[string]edit, error) {
	out := make(map[string]edit, len(ch.Files)+len(ch.Delete))
	for p, content := range ch.Files {
		clean, err := cleanPath(p)
		if err != nil {
			return nil, err
		}
		out[clean] = edit{content: content}
	}
	for _, p := range ch.Delete {
		clean, err := cleanPath(p)
		if err != nil {
			return nil, err
		}
		if _, ok := out[clean]; ok {
			return nil, fmt.Errorf("path %q is both written and deleted", clean)
		}
		out[clean] = edit{del: true}
	}
	for p := range out {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if _, ok := out[dir]; ok {
				return nil, fmt.Errorf("path %q is inside %q, which the same change writes or deletes", p, dir)
			}
		}
	}
	return out, nil
}

// cleanPath checks that p is a relative slash-separated path inside the
// repository and returns it without surrounding slashes.
func cleanPath(p string) (string, error) {
	trimmed := strings.Trim(p, "/")
	if trimmed == "" || path.Clean(trimmed) != trimmed || strings.HasPrefix(trimmed, "../") || trimmed == ".." ||
		strings.Contains("/"+trimmed+"/", "/.git/") {
		return "", fmt.Errorf("invalid path %q in the repository", p)
	}
	return trimmed, nil
}

// makeCommit writes the objects of a commit applying edits on tip (no
// parent when tip is zero). changed is false, and no object is written,
// when tip already has the content.
func (rc *repoCopy) makeCommit(tip plumbing.Hash, edits map[string]edit, ch Change) (plumbing.Hash, bool, error) {
	var base *object.Tree
	if !tip.IsZero() {
		commit, err := object.GetCommit(rc.storage, tip)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if base, err = commit.Tree(); err != nil {
			return plumbing.ZeroHash, false, err
		}
	}
	tree, _, err := editTree(rc.storage, base, edits)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if base != nil && tree == base.Hash {
		return plumbing.ZeroHash, false, nil
	}
	name, email := ch.AuthorName, ch.AuthorEmail
	if name == "" {
		name = DefaultAuthorName
	}
	if email == "" {
		email = DefaultAuthorEmail
	}
	sig := object.Signature{Name: name, Email: email, When: time.Now()}
	msg := ch.Message
	if msg == "" {
		msg = "Update by terraform-provider-mc"
	}
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	commit := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree}
	if !tip.IsZero() {
		commit.ParentHashes = []plumbing.Hash{tip}
	}
	h, err := store(rc.storage, commit)
	return h, err == nil, err
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func store(s storer.EncodedObjectStorer, o encoder) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

func storeBlob(s storer.EncodedObjectStorer, content string) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write([]byte(content)); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// editTree writes the tree that is base (nil for none) with edits (paths
// relative to it) applied, and returns its hash and whether it is empty.
func editTree(s storer.EncodedObjectStorer, base *object.Tree, edits map[string]edit) (plumbing.Hash, bool, error) {
	entries := map[string]object.TreeEntry{}
	if base != nil {
		for _, e := range base.Entries {
			entries[e.Name] = e
		}
	}
	sub := map[string]map[string]edit{}
	for p, e := range edits {
		head, rest, nested := strings.Cut(p, "/")
		if !nested {
			if e.del {
				delete(entries, head)
				continue
			}
			h, err := storeBlob(s, e.content)
			if err != nil {
				return plumbing.ZeroHash, false, err
			}
			mode := filemode.Regular
			if cur, ok := entries[head]; ok && cur.Mode == filemode.Executable {
				mode = filemode.Executable
			}
			entries[head] = object.TreeEntry{Name: head, Mode: mode, Hash: h}
			continue
		}
		if sub[head] == nil {
			sub[head] = map[string]edit{}
		}
		sub[head][rest] = e
	}
	for dir, subEdits := range sub {
		var subBase *object.Tree
		if cur, ok := entries[dir]; ok && cur.Mode == filemode.Dir {
			t, err := object.GetTree(s, cur.Hash)
			if err != nil {
				return plumbing.ZeroHash, false, err
			}
			subBase = t
		}
		h, empty, err := editTree(s, subBase, subEdits)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if empty {
			delete(entries, dir)
			continue
		}
		entries[dir] = object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h}
	}
	list := make([]object.TreeEntry, 0, len(entries))
	for _, e := range entries {
		list = append(list, e)
	}
	// Git orders entries by name, a directory's name as if it ended in "/".
	sortKey := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(list, func(i, j int) bool { return sortKey(list[i]) < sortKey(list[j]) })
	if base != nil && sameEntries(base.Entries, list) {
		return base.Hash, len(list) == 0, nil
	}
	h, err := store(s, &object.Tree{Entries: list})
	return h, len(list) == 0, err
}

func sameEntries(a, b []object.TreeEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Mode != b[i].Mode || a[i].Hash != b[i].Hash {
			return false
		}
	}
	return true
}
