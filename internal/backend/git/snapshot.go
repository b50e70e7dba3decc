package git

import (
	"context"
	"errors"
	"fmt"
	"io"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Snapshot is the content of a repository at one commit.
type Snapshot struct {
	// Commit is the commit read.
	Commit string
	// Files maps each file's slash-separated path to its content.
	Files map[string]string
}

// ReadTree returns every file of repo at ref, a branch or a tag, fetching
// only that ref into memory. A missing ref wraps ErrBranchNotFound.
func ReadTree(ctx context.Context, repo Repository, ref string) (Snapshot, error) {
	snap, err := readTree(ctx, repo, ref)
	return snap, redact.Error(err, repo.Password)
}

func readTree(ctx context.Context, repo Repository, ref string) (Snapshot, error) {
	st := memory.NewStorage()
	remote := gogit.NewRemote(st, &config.RemoteConfig{Name: "origin", URLs: []string{repo.URL}})
	refs, err := remote.ListContext(ctx, &gogit.ListOptions{Auth: repo.auth(), CABundle: repo.CABundle, InsecureSkipTLS: repo.InsecureSkipTLS})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return Snapshot{}, fmt.Errorf("%w: %s is empty, it has no %q", ErrBranchNotFound, repo.shown(), ref)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("cannot list the refs of %s: %w", repo.shown(), classify(err, repo))
	}
	var found plumbing.ReferenceName
	for _, r := range refs {
		if r.Name() == plumbing.NewBranchReferenceName(ref) || r.Name() == plumbing.NewTagReferenceName(ref) {
			found = r.Name()
			break
		}
	}
	if found == "" {
		return Snapshot{}, fmt.Errorf("%w: %s has no branch or tag %q", ErrBranchNotFound, repo.shown(), ref)
	}
	local := plumbing.ReferenceName("refs/snapshot/" + ref)
	err = remote.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + found.String() + ":" + local.String())},
		Auth:       repo.auth(), CABundle: repo.CABundle, InsecureSkipTLS: repo.InsecureSkipTLS,
		Tags: gogit.NoTags, Depth: 1,
	})
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return Snapshot{}, fmt.Errorf("cannot fetch %s %q: %w", repo.shown(), ref, classify(err, repo))
	}
	r, err := st.Reference(local)
	if err != nil {
		return Snapshot{}, fmt.Errorf("cannot fetch %s %q: %w", repo.shown(), ref, err)
	}
	hash := r.Hash()
	if tag, err := object.GetTag(st, hash); err == nil { // an annotated tag
		hash = tag.Target
	}
	commit, err := object.GetCommit(st, hash)
	if err != nil {
		return Snapshot{}, fmt.Errorf("cannot read commit %s of %s: %w", hash, repo.shown(), err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return Snapshot{}, fmt.Errorf("cannot read the tree of %s at %s: %w", repo.shown(), hash, err)
	}
	snap := Snapshot{Commit: commit.Hash.String(), Files: map[string]string{}}
	err = tree.Files().ForEach(func(f *object.File) error {
		if !f.Mode.IsFile() {
			return nil // submodules and the like are not copied
		}
		rd, err := f.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		b, err := io.ReadAll(rd)
		if err != nil {
			return err
		}
		snap.Files[f.Name] = string(b)
		return nil
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("cannot read the files of %s at %s: %w", repo.shown(), hash, err)
	}
	return snap, nil
}

// RootCommit is the first commit of a branch and its message.
type RootCommit struct {
	SHA     string
	Message string
}

// FirstCommit returns the root commit of branch of repo (the first parent
// chain followed back), or a zero RootCommit and found=false when the
// repository or the branch is empty.
func FirstCommit(ctx context.Context, repo Repository, branch string) (RootCommit, bool, error) {
	rc, found, err := firstCommit(ctx, repo, branch)
	return rc, found, redact.Error(err, repo.Password)
}

func firstCommit(ctx context.Context, repo Repository, branch string) (RootCommit, bool, error) {
	st := memory.NewStorage()
	remote := gogit.NewRemote(st, &config.RemoteConfig{Name: "origin", URLs: []string{repo.URL}})
	ref := plumbing.NewBranchReferenceName(branch)
	local := plumbing.NewRemoteReferenceName("origin", branch)
	err := remote.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + ref.String() + ":" + local.String())},
		Auth:       repo.auth(), CABundle: repo.CABundle, InsecureSkipTLS: repo.InsecureSkipTLS,
		Tags: gogit.NoTags,
	})
	switch {
	case errors.Is(err, transport.ErrEmptyRemoteRepository), errors.Is(err, gogit.NoMatchingRefSpecError{}):
		return RootCommit{}, false, nil
	case err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate):
		var noMatch gogit.NoMatchingRefSpecError
		if errors.As(err, &noMatch) {
			return RootCommit{}, false, nil
		}
		return RootCommit{}, false, fmt.Errorf("cannot fetch %s branch %q: %w", repo.shown(), branch, classify(err, repo))
	}
	r, err := st.Reference(local)
	if err != nil {
		return RootCommit{}, false, nil
	}
	c, err := object.GetCommit(st, r.Hash())
	if err != nil {
		return RootCommit{}, false, fmt.Errorf("cannot read commit %s of %s: %w", r.Hash(), repo.shown(), err)
	}
	for c.NumParents() > 0 {
		if c, err = c.Parent(0); err != nil {
			return RootCommit{}, false, fmt.Errorf("cannot walk the history of %s branch %q: %w", repo.shown(), branch, err)
		}
	}
	return RootCommit{SHA: c.Hash.String(), Message: c.Message}, true, nil
}
