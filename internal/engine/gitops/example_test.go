package gitops_test

import (
	"context"
	"fmt"

	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
)

// greeting is a GitOps kind of one file: a ConfigMap manifest that an Argo
// CD Application deploys. It shows how a kind splits the work along the
// engine contract; real kinds find the repository, the Application and the
// dynamic client through the site registry.
type greeting struct {
	delivery *gitops.Delivery
	dc       dynamic.Interface
	target   gitops.Target
	app      gitops.App
}

type greetingSpec struct{ Name, Text string }

type greetingStatus struct{ Commit, SyncedRevision, SyncStatus, HealthStatus string }

var _ engine.Client[greetingSpec, greetingStatus] = (*greeting)(nil)
var _ engine.Triggerer = (*greeting)(nil)

func (g *greeting) path(name string) string { return "greetings/" + name + ".yaml" }

func (g *greeting) change(want greetingSpec) git.Change {
	return git.Change{
		Message: "greeting " + want.Name,
		Files: map[string]string{g.path(want.Name): fmt.Sprintf(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  text: %q\n", want.Name, want.Text)},
	}
}

// Create commits and returns at once: the wait is Observe's.
func (g *greeting) Create(ctx context.Context, want greetingSpec) (string, error) {
	_, err := g.delivery.Commit(ctx, g.dc, g.target, g.change(want), g.app)
	return want.Name, err
}

// Update is the same commit: idempotent, rebased when the branch moved.
func (g *greeting) Update(ctx context.Context, id string, want greetingSpec) error {
	_, err := g.Create(ctx, want)
	return err
}

// Delete commits the file's removal.
func (g *greeting) Delete(ctx context.Context, id string) error {
	_, err := g.delivery.Commit(ctx, g.dc, g.target, git.Change{Message: "remove greeting " + id, Delete: []string{g.path(id)}}, g.app)
	return err
}

// Observe reads the file from git (drift, import) and Argo CD's progress at
// the revision that made it.
func (g *greeting) Observe(ctx context.Context, id string, want greetingSpec) (engine.Observation[greetingSpec, greetingStatus], error) {
	var obs engine.Observation[greetingSpec, greetingStatus]
	files, _, err := g.delivery.Committer().ReadFiles(ctx, g.target.Repo, g.target.Branch, "", []string{g.path(id)})
	if err != nil {
		return obs, err
	}
	content, ok := files[g.path(id)]
	if !ok {
		return obs, nil // gone
	}
	obs.Exists = true
	obs.UpToDate = content == g.change(want).Files[g.path(id)]
	obs.Actual = greetingSpec{Name: id} // a real kind parses content here
	rev, err := g.delivery.Revision(ctx, g.target, gitops.ChangePaths(g.change(greetingSpec{Name: id})))
	if err != nil {
		return obs, err
	}
	s, err := g.delivery.Observe(ctx, g.dc, g.target, g.app, rev)
	if err != nil {
		return obs, err
	}
	gitops.Into(&obs, s)
	obs.Status = greetingStatus{Commit: rev, SyncedRevision: s.State.SyncRevision, SyncStatus: s.State.SyncStatus, HealthStatus: s.State.HealthStatus}
	return obs, nil
}

// Trigger wakes engine.Converge and the controller when Argo CD's status of
// the Application changes, and nudges Argo CD toward the revision.
func (g *greeting) Trigger(ctx context.Context, id string) <-chan struct{} {
	paths := gitops.ChangePaths(g.change(greetingSpec{Name: id}))
	return g.delivery.Follow(ctx, g.dc, g.target, g.app, func(ctx context.Context) (string, error) {
		return g.delivery.Revision(ctx, g.target, paths)
	})
}

// A kind's Create commits and returns; engine.Converge then waits through
// Observe and Trigger until Argo CD has synced the commit, fails at once
// with Argo CD's message when the sync failed after its retries, and
// returns a *engine.TimeoutError (resumed by the next apply) otherwise.
func Example() {
	g := &greeting{
		delivery: gitops.Shared(),
		target:   gitops.Target{Repo: git.Repository{URL: "https://git.example/platform/gitops.git"}, Branch: "main"},
		app:      gitops.App{Namespace: "argocd", Name: "greetings"},
	}
	_ = func(ctx context.Context) error {
		_, _, err := engine.Converge(ctx, g, "", greetingSpec{Name: "hello", Text: "Hello"}, engine.ConvergeOptions{})
		return err
	}
}
