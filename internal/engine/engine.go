// Package engine holds the front-end-neutral contract that every kind of
// resource implements once and that both the Terraform provider and the
// Kubernetes controller drive: Observe, Create, Update and Delete against the
// real backends, plus what both front-ends need around it: Converge and
// DeleteUntilGone (Terraform's create, update and delete), Wait and WaitRun
// for long-running operations, Validation of specs whose arguments may be
// unknown, and the typed errors that tell invalid input, a dependency that
// cannot be read, a terminal backend failure and a timeout apart.
//
// The engine imports neither terraform-plugin-framework nor controller-runtime's
// reconcile package.
package engine

import (
	"context"
	"errors"
	"fmt"
)

// Observation is what Observe found at the backend.
type Observation[S, O any] struct {
	// Exists reports whether the external resource exists.
	Exists bool
	// UpToDate reports whether the external resource matches the desired spec.
	UpToDate bool
	// Ready reports whether the external resource is usable: every
	// long-running part has finished.
	Ready bool
	// Actual is the spec as the backend reports it, used for import,
	// late initialisation and drift.
	Actual S
	// Status holds the computed attributes (status.atProvider).
	Status O
	// Failed is a terminal failure reported by the backend: waiting stops.
	Failed error
	// Message is a short human-readable account of the current progress,
	// for example the phase of a cluster or the sync state of an application.
	Message string
}

// Client is implemented once per kind. Create is idempotent and never blocks
// on readiness: waiting is the caller's business (Converge for Terraform, a
// requeue woken by the client's Triggerer for the controller).
type Client[S, O any] interface {
	// Observe reports the external resource identified by id. want is the
	// desired spec, used to decide UpToDate; it may be the zero value when
	// importing.
	Observe(ctx context.Context, id string, want S) (Observation[S, O], error)
	// Create makes the external resource and returns its deterministic id.
	// Creating what already exists adopts it.
	Create(ctx context.Context, want S) (id string, err error)
	// Update changes the external resource in place.
	Update(ctx context.Context, id string, want S) error
	// Delete removes the external resource. Deleting what does not exist
	// succeeds.
	Delete(ctx context.Context, id string) error
}

// ErrNotFound is wrapped by backend errors that mean the object does not exist.
var ErrNotFound = errors.New("not found")

// IsNotFound reports whether err means the object does not exist. An error
// about a dependency (a *DependencyError) never does, even when the
// dependency itself was not found.
func IsNotFound(err error) bool {
	if _, ok := AsDependency(err); ok {
		return false
	}
	return errors.Is(err, ErrNotFound)
}

// InvalidInputError reports input the backend or the engine rejects; Path
// names the offending argument in the front-end-neutral dotted form used by
// the specs (for example "management_cluster.kubeconfig").
type InvalidInputError struct {
	Path    string
	Message string
}

func (e *InvalidInputError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Message)
}

// InvalidInput returns an *InvalidInputError for path.
func InvalidInput(path, format string, args ...any) error {
	return &InvalidInputError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// AsInvalidInput returns the *InvalidInputError in err's chain, if any.
func AsInvalidInput(err error) (*InvalidInputError, bool) {
	var e *InvalidInputError
	ok := errors.As(err, &e)
	return e, ok
}

// TerminalError is a failure reported by a backend after which waiting is
// pointless (a Cluster API failure condition, a failed sync, a failed Job).
type TerminalError struct {
	Message string
}

func (e *TerminalError) Error() string { return e.Message }

// Terminal returns a *TerminalError.
func Terminal(format string, args ...any) error {
	return &TerminalError{Message: fmt.Sprintf(format, args...)}
}

// DependencyError reports that something the resource depends on (a site
// record, the site's Harbor block, the platform plane's registry namespace)
// cannot be read. It never means the resource itself is gone: front-ends keep
// the resource in state (Terraform) or keep its finalizer (the controller),
// because the real external resource may still exist.
type DependencyError struct {
	// Kind names the dependency, for example "site".
	Kind string
	// Name identifies it, for example the site's name.
	Name string
	// Reason says what is wrong with it, for example "is not registered in
	// namespace mc-system".
	Reason string
	// Hint says how to fix it, in front-end-neutral words.
	Hint string
	// Err is the underlying error, if any.
	Err error
}

func (e *DependencyError) Error() string {
	msg := fmt.Sprintf("%s %q %s", e.Kind, e.Name, e.Reason)
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *DependencyError) Unwrap() error { return e.Err }

// AsDependency returns the *DependencyError in err's chain, if any.
func AsDependency(err error) (*DependencyError, bool) {
	var e *DependencyError
	ok := errors.As(err, &e)
	return e, ok
}
