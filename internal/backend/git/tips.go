package git

import (
	"context"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// TipMemo remembers the branch tips that the reads of one front-end command
// saw on the servers, so that a `terraform plan` of N resources in one
// repository lists its branches once instead of N times. A tip is trusted
// for the memo's lifetime (its ttl), then asked again. A memo belongs to one
// command (the provider makes one each time Terraform configures it, once per
// command) and is handed to the reads of a refresh alone with WithTipMemo:
// creates, updates and their waits always ask the server.
type TipMemo struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	tips map[string]seenTip // by repository key and branch
}

// seenTip is a branch's tip (zero: no such branch) and when it was listed.
type seenTip struct {
	hash plumbing.Hash
	at   time.Time
}

// NewTipMemo returns an empty memo whose tips are trusted for ttl.
func NewTipMemo(ttl time.Duration) *TipMemo {
	return &TipMemo{ttl: ttl, now: time.Now}
}

// tipMemoKey is the context key of WithTipMemo.
type tipMemoKey struct{}

// WithTipMemo lets the reads made with ctx take branch tips from m and
// record the ones they list in it. A nil m changes nothing.
func WithTipMemo(ctx context.Context, m *TipMemo) context.Context {
	if m == nil {
		return ctx
	}
	return context.WithValue(ctx, tipMemoKey{}, m)
}

func tipMemoFrom(ctx context.Context) *TipMemo {
	m, _ := ctx.Value(tipMemoKey{}).(*TipMemo)
	return m
}

// clock is the time a listing starts at, by the memo's clock.
func (m *TipMemo) clock() time.Time {
	if m == nil {
		return time.Now()
	}
	return m.now()
}

func tipKey(repo Repository, branch string) string { return repo.key() + "\x00" + branch }

// tip returns the tip of branch listed within the memo's ttl.
func (m *TipMemo) tip(repo Repository, branch string) (plumbing.Hash, bool) {
	if m == nil {
		return plumbing.ZeroHash, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen, ok := m.tips[tipKey(repo, branch)]
	if !ok || m.now().Sub(seen.at) >= m.ttl {
		return plumbing.ZeroHash, false
	}
	return seen.hash, true
}

// saw records the branches of repo as listed at time at; branch, which the
// read asked for, is recorded even when the listing does not have it.
func (m *TipMemo) saw(repo Repository, branch string, refs map[string]plumbing.Hash, at time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tips == nil {
		m.tips = map[string]seenTip{}
	}
	m.tips[tipKey(repo, branch)] = seenTip{hash: refs[branch], at: at}
	for b, h := range refs {
		m.tips[tipKey(repo, b)] = seenTip{hash: h, at: at}
	}
}
