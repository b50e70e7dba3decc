package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
)

// Credentials are a user name and password (or token).
type Credentials struct {
	Username, Password string
}

// Workspace is one run as an executor sees it: its spec, its directory on
// the runner and what earlier steps found.
type Workspace struct {
	// Run is the TaskRun (read only).
	Run *tasksv1.TaskRun
	// Dir is the run's own directory under the runner's work directory;
	// it survives a restart of the runner.
	Dir string
	// Git are the credentials to clone with (may be empty).
	Git Credentials
	// Commit is the resolved commit: set by the checkout step, or by the
	// runner from the run's status when it resumes.
	Commit string
	// CommitTime is the commit's committer time (local executor).
	CommitTime time.Time
}

// SourceDir is where the local executor checks the source out.
func (w *Workspace) SourceDir() string { return filepath.Join(w.Dir, "src") }

// OutDir is the build's $OUT, the image layer's tree.
func (w *Workspace) OutDir() string { return filepath.Join(w.Dir, "out") }

// buildDoneFile marks a finished build whose output is complete in OutDir.
func (w *Workspace) buildDoneFile() string { return filepath.Join(w.Dir, "build.done") }

// BuildDone reports whether a build of this workspace finished and its
// output is still there (the runner resumes a run at the push then).
func (w *Workspace) BuildDone() bool {
	_, err := os.Stat(w.buildDoneFile())
	return err == nil
}

// PushResult is what a push did.
type PushResult struct {
	// Digest is the manifest's digest (sha256:...).
	Digest string
	// Ref is <registry>/<project>/<repository>@<digest>.
	Ref string
	// Pushed is false when the registry already had the image, tagged.
	Pushed bool
}

// Executor does a run's checkout, build and push. The runner calls the
// steps in order, each at most once per execution, and records each in the
// run's status; an executor keeps what a later step needs in the
// Workspace's directory.
type Executor interface {
	// Checkout resolves the run's revision to a commit (and, for the
	// local executor, checks it out into the workspace). When w.Commit is
	// already set (a resumed run) it checks that commit out instead of
	// resolving the revision again.
	Checkout(ctx context.Context, w *Workspace) (message string, err error)
	// Build builds the checked-out source.
	Build(ctx context.Context, w *Workspace) (message string, err error)
	// Push puts the image into the site's registry.
	Push(ctx context.Context, w *Workspace) (PushResult, error)
}

// StepError is a step's failure with the end of its log.
type StepError struct {
	// Message says what failed.
	Message string
	// LogTail is the end of the step's log (redacted).
	LogTail string
	// TimedOut is set when the step ran out of time.
	TimedOut bool
}

func (e *StepError) Error() string { return e.Message }

// stepFailure returns err's message and log tail.
func stepFailure(err error) (message, logTail string) {
	var se *StepError
	if errors.As(err, &se) {
		return se.Message, se.LogTail
	}
	return err.Error(), ""
}

// tagOf is the image tag of w: the spec's, or the first 12 characters of the
// commit.
func tagOf(w *Workspace) (string, error) {
	if t := w.Run.Spec.Image.Tag; t != "" {
		return t, nil
	}
	if len(w.Commit) < 12 {
		return "", fmt.Errorf("cannot tag the image: no resolved commit")
	}
	return w.Commit[:12], nil
}
