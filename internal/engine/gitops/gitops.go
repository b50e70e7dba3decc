// Package gitops is the commit-and-wait machinery of the kinds that deliver
// through git and Argo CD: commit a set of files to a repository branch,
// ask Argo CD to refresh, and wait until an Application is Synced and
// Healthy at the committed revision (or a later one that contains it), with
// a sync that failed after Argo CD's own retries reported at once as a
// terminal error.
//
// It is split along the engine contract: a kind's Create or Update calls
// Commit, which never waits; its Observe calls Observe, which reports
// readiness and failure without blocking and without writing (plan calls
// it); its Trigger returns Follow, which signals when Argo CD's status
// changes, so that engine.Converge (Terraform) and the controller's requeue
// react within a second, and nudges Argo CD (refresh, manual sync) while
// the application is behind. Wait puts Observe and Follow together for
// callers outside Converge.
package gitops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Target is the branch of a repository that Argo CD applications follow.
type Target struct {
	Repo   git.Repository
	Branch string
}

func (t Target) key() string { return t.Repo.URL + "#" + t.Branch }

// App names an Argo CD Application.
type App struct {
	Namespace, Name string
	// ManualSync makes Observe ask Argo CD to sync the wanted revision when
	// the application has no automated sync policy (as `argocd app sync`
	// does): once per revision, and only when no operation is pending.
	ManualSync bool
}

func (a App) String() string { return a.Namespace + "/" + a.Name }

// DefaultRefreshInterval is the least time between two refreshes Follow
// asks for one application.
const DefaultRefreshInterval = 5 * time.Second

// historyLimit bounds the commits Revision walks back.
const historyLimit = 1000

// Delivery commits to repositories and follows Argo CD applications. One
// is meant to be shared by every kind of a process, so that commits to one
// repository are serialised (through its git.Committer) and what was
// committed is remembered. It is safe for concurrent use.
type Delivery struct {
	// RefreshType is the refresh asked for after a commit (default normal).
	RefreshType kube.RefreshType
	// RefreshInterval is the least time between two refreshes of one
	// application that Follow asks for while the application is behind
	// (default DefaultRefreshInterval).
	RefreshInterval time.Duration

	committer *git.Committer

	mu        sync.Mutex
	committed map[string]string    // target and paths → the last commit made for them
	contains  map[[3]string]bool   // target, ancestor, descendant → ancestry (immutable)
	refreshed map[string]time.Time // application → last refresh asked (Commit, Follow)
	// commitTimes: revision → when it was committed (this process's clock
	// for its own commits, the commit date otherwise).
	commitTimes map[string]time.Time
}

// New returns a Delivery committing through committer.
func New(committer *git.Committer) *Delivery {
	return &Delivery{
		committer: committer,
		committed: map[string]string{},
		contains:  map[[3]string]bool{},
		refreshed: map[string]time.Time{},

		commitTimes: map[string]time.Time{},
	}
}

var shared = New(git.NewCommitter())

// Shared returns the process's Delivery: kinds that commit to the same
// repositories must share one, so that their commits are serialised
// instead of racing each other.
func Shared() *Delivery { return shared }

// Committer returns the committer the Delivery writes with, for reads of
// the repositories (git.Committer.ReadFiles) that drift detection needs.
func (d *Delivery) Committer() *git.Committer { return d.committer }

// pathsKey identifies what a change touches on a target.
func pathsKey(t Target, paths []string) string {
	p := slices.Clone(paths)
	slices.Sort(p)
	return t.key() + "\x00" + strings.Join(p, "\x00")
}

// ChangePaths returns the paths change writes or deletes, sorted.
func ChangePaths(change git.Change) []string {
	var out []string
	for p := range change.Files {
		out = append(out, strings.Trim(p, "/"))
	}
	for _, p := range change.Delete {
		out = append(out, strings.Trim(p, "/"))
	}
	slices.Sort(out)
	return out
}

// Commit makes change on the target as one commit (none when the branch
// already has the content) and asks Argo CD to refresh each of refresh
// that exists, so that nobody waits for its poll. It does not wait for
// Argo CD: it returns the revision to wait for, the commit that contains
// the change. An application of refresh that does not exist yet (the
// root application creates it) is skipped.
func (d *Delivery) Commit(ctx context.Context, dc dynamic.Interface, t Target, change git.Change, refresh ...App) (git.CommitResult, error) {
	res, err := d.committer.Commit(ctx, t.Repo, t.Branch, change)
	if err != nil {
		return res, err
	}
	// The content may have been there before this commit: then the commit
	// that made it is the one Argo CD must have synced, not the tip.
	rev := res.SHA
	if !res.Committed {
		if last, err := d.committer.LastChange(ctx, t.Repo, t.Branch, res.SHA, ChangePaths(change), historyLimit); err == nil && last != "" {
			rev = last
		}
	}
	d.mu.Lock()
	d.committed[pathsKey(t, ChangePaths(change))] = rev
	if res.Committed {
		d.commitTimes[rev] = time.Now()
	}
	d.mu.Unlock()
	refreshType := d.RefreshType
	if refreshType == "" {
		refreshType = kube.RefreshNormal
	}
	for _, app := range refresh {
		if _, err := kube.RefreshApplication(ctx, dc, app.Namespace, app.Name, refreshType); err != nil {
			return res, err
		}
		d.mu.Lock()
		d.refreshed[app.String()] = time.Now()
		d.mu.Unlock()
	}
	logctx.From(ctx).Debug("GitOps change committed", "repository", redact.URL(t.Repo.URL), "branch", t.Branch,
		"commit", res.SHA, "committed", res.Committed, "wait_for", rev, "refreshed", len(refresh))
	res.SHA = rev
	return res, nil
}

// Revision returns the revision to wait for after a commit of paths to the
// target: the last commit this process made for them, or else (after a
// restart, or when another process committed) the last commit of the
// branch that changed one of them.
func (d *Delivery) Revision(ctx context.Context, t Target, paths []string) (string, error) {
	d.mu.Lock()
	rev, ok := d.committed[pathsKey(t, paths)]
	d.mu.Unlock()
	if ok {
		return rev, nil
	}
	return d.committer.LastChange(ctx, t.Repo, t.Branch, "", paths, historyLimit)
}

// Sync is how an application stands against a revision.
type Sync struct {
	// Revision is the revision waited for.
	Revision string
	// Ready: Synced and Healthy at Revision or a later one containing it,
	// with no sync running and none failed there.
	Ready bool
	// Failed is a *engine.TerminalError with Argo CD's message when the
	// sync at Revision (or a later one) ended Failed or Error after Argo
	// CD's own retries, or when Argo CD could not load the target state
	// (ComparisonError) after the commit; nil otherwise.
	Failed error
	// Message says where the application stands, in Argo CD's words.
	Message string
	// State is Argo CD's report, for computed attributes.
	State kube.ApplicationSync
}

// Observe reports how app stands against revision, a commit of the target
// that app follows (or a later one that contains it: the branch may move
// on after the commit, and Argo CD then syncs the new tip). It never waits
// and never writes (Terraform's plan calls it): the refreshes and manual
// syncs a wait needs come from Follow.
func (d *Delivery) Observe(ctx context.Context, dc dynamic.Interface, t Target, app App, revision string) (Sync, error) {
	st, err := kube.GetApplicationSync(ctx, dc, app.Namespace, app.Name)
	if err != nil {
		return Sync{}, err
	}
	return d.ObserveRead(ctx, t, app, revision, st)
}

// ObserveRead is Observe of app as st, read from Argo CD by the caller
// (kube.GetApplicationSync), says it stands: a kind's Observe reads the
// application beside its own objects instead of after them.
func (d *Delivery) ObserveRead(ctx context.Context, t Target, app App, revision string, st kube.ApplicationSync) (Sync, error) {
	st = st.ForRepository(t.Repo.URL)
	out := Sync{Revision: revision, State: st}
	verdict, msg, err := st.Progress(func(rev string) (bool, error) { return d.containsRevision(ctx, t, revision, rev) })
	if err != nil {
		return out, err
	}
	out.Message = fmt.Sprintf("application %s: %s", app, msg)
	switch verdict {
	case kube.SyncDone:
		out.Ready = true
	case kube.SyncFailed:
		out.Failed = &engine.TerminalError{Message: out.Message}
	case kube.SyncWaiting:
		if failed, err := d.comparisonFailed(ctx, t, app, revision, st); err != nil {
			return out, err
		} else if failed {
			out.Message = fmt.Sprintf("application %s: Argo CD cannot load the target state at %.12s or later: %s", app, revision, st.ComparisonError)
			out.Failed = &engine.TerminalError{Message: out.Message}
			return out, nil
		}
	}
	return out, nil
}

// nudge moves Argo CD toward revision when app is not there yet: a
// refresh while it is behind, the sync of revision for ManualSync. It
// writes to the Application, so only the waiting paths call it (Follow),
// never Observe.
func (d *Delivery) nudge(ctx context.Context, dc dynamic.Interface, t Target, app App, revision string) error {
	s, err := d.Observe(ctx, dc, t, app, revision)
	if err != nil || s.Ready || s.Failed != nil {
		return err
	}
	if err := d.refreshIfBehind(ctx, dc, t, app, revision, s.State); err != nil {
		return err
	}
	return d.syncIfManual(ctx, dc, t, app, revision, s.State)
}

// Follow is the Trigger of a wait for app: it signals whenever app
// changes, like Trigger, and besides keeps Argo CD moving toward the
// revision that revision returns (asked again on every change, so that a
// later commit is followed): while the application is behind it asks for
// a refresh at most every RefreshInterval, and for ManualSync applications
// it asks for the sync of the revision. Observe never writes, because
// Terraform's plan calls it; a kind's Trigger returns Follow, so that
// engine.Converge and the controller's watch get both. Failures to nudge
// are logged and retried at the next change or after RefreshInterval.
func (d *Delivery) Follow(ctx context.Context, dc dynamic.Interface, t Target, app App, revision func(context.Context) (string, error)) <-chan struct{} {
	changes := Trigger(ctx, dc, app)
	out := make(chan struct{}, 1)
	interval := d.RefreshInterval
	if interval <= 0 {
		interval = DefaultRefreshInterval
	}
	nudge := func() {
		rev, err := revision(ctx)
		if err == nil && rev != "" {
			err = d.nudge(ctx, dc, t, app, rev)
		}
		if err != nil && ctx.Err() == nil {
			logctx.From(ctx).Debug("Cannot nudge Argo CD toward the wanted revision", "application", app.String(), "error", err)
		}
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		nudge()
		for {
			select {
			case <-ctx.Done():
				return
			case <-changes:
				select {
				case out <- struct{}{}:
				default:
				}
				nudge()
			case <-tick.C:
				nudge()
			}
		}
	}()
	return out
}

// InitiatedBy is the user name Argo CD records for the syncs asked for by
// ManualSync.
const InitiatedBy = "terraform-provider-mc"

// syncIfManual asks Argo CD to sync revision when app wants manual syncs,
// has no automated policy and no pending operation, and its last operation
// did not run at revision or later.
func (d *Delivery) syncIfManual(ctx context.Context, dc dynamic.Interface, t Target, app App, revision string, st kube.ApplicationSync) error {
	if !app.ManualSync || !st.Exists || st.Deleting || st.Automated || st.OperationRequested {
		return nil
	}
	if op := st.Operation; op != nil {
		if !op.Final() {
			return nil
		}
		if op.Revision != "" {
			if done, err := d.containsRevision(ctx, t, revision, op.Revision); err != nil || done {
				return err
			}
		}
	}
	logctx.From(ctx).Debug("Argo CD application syncs manually: sync asked", "application", app.String(), "revision", revision)
	err := kube.SyncApplication(ctx, dc, app.Namespace, app.Name, revision, InitiatedBy)
	if errors.Is(err, kube.ErrOperationInProgress) {
		return nil
	}
	return err
}

// comparisonFailed reports whether Argo CD failed to load the target
// state (ComparisonError) in a comparison made after revision was
// committed, with no refresh pending: the branch then already held
// revision, so the failure is the revision's (or a later one's). When a
// refresh was asked after the commit, its comparison (the one that removed
// the annotation) counts; otherwise only one that finished two seconds
// after the commit does, since one that started before it may finish
// later, and Argo CD reports whole seconds. Argo CD itself holds back
// repository errors for a grace period before it reports them, so a
// passing outage is not taken for a failure.
func (d *Delivery) comparisonFailed(ctx context.Context, t Target, app App, revision string, st kube.ApplicationSync) (bool, error) {
	if !st.Exists || st.Deleting || st.ComparisonError == "" || st.RefreshRequested != "" || st.ReconciledAt.IsZero() {
		return false, nil
	}
	if git.IsCommitSHA(st.SyncRevision) {
		// A comparison at a resolved revision that does not contain the
		// wanted one says nothing about it.
		if ok, err := d.containsRevision(ctx, t, revision, st.SyncRevision); err != nil || !ok {
			return false, err
		}
	}
	at, err := d.committedAt(ctx, t, revision)
	if err != nil {
		return false, err
	}
	d.mu.Lock()
	refreshed := d.refreshed[app.String()]
	d.mu.Unlock()
	if !refreshed.Before(at) {
		return st.ReconciledAt.Unix() >= refreshed.Unix(), nil
	}
	return st.ReconciledAt.Unix() > at.Unix()+1, nil
}

// committedAt returns when revision was committed: as this process saw it
// when it made the commit, else the commit's own date.
func (d *Delivery) committedAt(ctx context.Context, t Target, revision string) (time.Time, error) {
	d.mu.Lock()
	at, ok := d.commitTimes[revision]
	d.mu.Unlock()
	if ok {
		return at, nil
	}
	at, err := d.committer.CommitTime(ctx, t.Repo, t.Branch, revision)
	if err != nil {
		return time.Time{}, err
	}
	d.mu.Lock()
	d.commitTimes[revision] = at
	d.mu.Unlock()
	return at, nil
}

// refreshIfBehind asks Argo CD to refresh app when it compared against a
// revision that does not contain the wanted one, no refresh is pending and
// none was asked for lately.
func (d *Delivery) refreshIfBehind(ctx context.Context, dc dynamic.Interface, t Target, app App, revision string, st kube.ApplicationSync) error {
	if !st.Exists || st.Deleting || st.RefreshRequested != "" {
		return nil
	}
	if st.SyncRevision != "" {
		if ok, err := d.containsRevision(ctx, t, revision, st.SyncRevision); err != nil || ok {
			return err
		}
	}
	interval := d.RefreshInterval
	if interval <= 0 {
		interval = DefaultRefreshInterval
	}
	d.mu.Lock()
	last := d.refreshed[app.String()]
	due := time.Since(last) >= interval
	if due {
		d.refreshed[app.String()] = time.Now()
	}
	d.mu.Unlock()
	if !due {
		return nil
	}
	logctx.From(ctx).Debug("Argo CD application is behind the wanted revision: refresh asked", "application", app.String(),
		"synced_revision", st.SyncRevision, "wanted", revision)
	_, err := kube.RefreshApplication(ctx, dc, app.Namespace, app.Name, kube.RefreshNormal)
	return err
}

// containsRevision reports whether rev is wanted or descends from it in
// the target's history. Answers are remembered: ancestry never changes.
func (d *Delivery) containsRevision(ctx context.Context, t Target, wanted, rev string) (bool, error) {
	if rev == wanted {
		return true, nil
	}
	if !git.IsCommitSHA(rev) {
		// A branch name: Argo CD reports the target revision unresolved
		// when it could not load the target state.
		return false, nil
	}
	k := [3]string{t.key(), wanted, rev}
	d.mu.Lock()
	ok, known := d.contains[k]
	d.mu.Unlock()
	if known {
		return ok, nil
	}
	ok, err := d.committer.Contains(ctx, t.Repo, t.Branch, wanted, rev)
	if err != nil {
		return false, err
	}
	d.mu.Lock()
	d.contains[k] = ok
	d.mu.Unlock()
	return ok, nil
}

// Into copies what s says into a kind's observation: Ready, Failed (a
// *engine.TerminalError) and Message. Exists and UpToDate stay the kind's
// business: whether its files are in git with the wanted content.
func Into[S, O any](obs *engine.Observation[S, O], s Sync) {
	obs.Ready = s.Ready
	obs.Failed = s.Failed
	obs.Message = s.Message
}

// Trigger signals whenever one of apps changes, until ctx ends (a watch:
// Argo CD's status updates wake the waiter at once).
func Trigger(ctx context.Context, dc dynamic.Interface, apps ...App) <-chan struct{} {
	watched := make([]kube.Watched, len(apps))
	for i, a := range apps {
		watched[i] = kube.Watched{GVR: kube.ApplicationGVR, Namespace: a.Namespace, Name: a.Name}
	}
	return kube.Trigger(ctx, dc, watched...)
}

// Wait observes app until it is Ready at revision, woken and nudged by
// Follow (unless opts.Trigger is set):
// a sync that failed after Argo CD's retries returns a *engine.TerminalError
// with Argo CD's message, a wait longer than opts.Timeout a
// *engine.TimeoutError (not a failure: waiting again later resumes). The
// last Sync is returned in every case.
func (d *Delivery) Wait(ctx context.Context, dc dynamic.Interface, t Target, app App, revision string, opts engine.WaitOptions) (Sync, error) {
	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.Trigger == nil {
		opts.Trigger = d.Follow(watchCtx, dc, t, app, func(context.Context) (string, error) { return revision, nil })
	}
	obs, err := engine.Wait(ctx, func(ctx context.Context) (engine.Observation[Sync, struct{}], error) {
		s, err := d.Observe(ctx, dc, t, app, revision)
		if err != nil {
			return engine.Observation[Sync, struct{}]{}, err
		}
		return engine.Observation[Sync, struct{}]{Exists: true, Ready: s.Ready, Failed: s.Failed, Message: s.Message, Actual: s}, nil
	}, opts)
	return obs.Actual, err
}
