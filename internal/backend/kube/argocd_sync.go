package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// RefreshAnnotation asks Argo CD's application controller to compare an
// application with git now instead of at its next poll; the controller
// removes it once done.
const RefreshAnnotation = "argocd.argoproj.io/refresh"

// RefreshType is a value of RefreshAnnotation.
type RefreshType string

// Refresh types: normal resolves the target revision again and compares;
// hard also drops the repo-server's cached manifests.
const (
	RefreshNormal RefreshType = "normal"
	RefreshHard   RefreshType = "hard"
)

// Argo CD's sync operation phases (status.operationState.phase).
const (
	OperationRunning     = "Running"
	OperationTerminating = "Terminating"
	OperationSucceeded   = "Succeeded"
	OperationFailed      = "Failed"
	OperationError       = "Error"
)

// RefreshApplication sets the refresh annotation on the application.
// found is false, with no error, when the application does not exist.
func RefreshApplication(ctx context.Context, dc dynamic.Interface, namespace, name string, refresh RefreshType) (found bool, err error) {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{RefreshAnnotation: string(refresh)}}})
	_, err = dc.Resource(ApplicationGVR).Namespace(namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot ask Argo CD to refresh application %q: %w", name, err)
	}
	return true, nil
}

// ErrOperationInProgress is returned by SyncApplication when the
// application has an operation that Argo CD has not finished.
var ErrOperationInProgress = errors.New("another operation is in progress")

// SyncApplication asks Argo CD to sync the application to revision (a
// commit SHA, or empty for its target revision), as the argocd CLI's sync
// does: it sets the application's operation, with the sync options and the
// retry strategy of its sync policy, prune as its automated policy says.
// It fails with ErrOperationInProgress when an operation is pending.
func SyncApplication(ctx context.Context, dc dynamic.Interface, namespace, name, revision, initiatedBy string) error {
	res := dc.Resource(ApplicationGVR).Namespace(namespace)
	for attempt := 0; ; attempt++ {
		u, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("cannot get application %q: %w", name, err)
		}
		if op, ok, _ := unstructured.NestedMap(u.Object, "operation"); ok && op != nil {
			return fmt.Errorf("cannot sync application %q: %w", name, ErrOperationInProgress)
		}
		policy, _, _ := unstructured.NestedMap(u.Object, "spec", "syncPolicy")
		sync := map[string]any{}
		if revision != "" {
			sync["revision"] = revision
		}
		if prune, _, _ := unstructured.NestedBool(policy, "automated", "prune"); prune {
			sync["prune"] = true
		}
		if opts, ok, _ := unstructured.NestedSlice(policy, "syncOptions"); ok {
			sync["syncOptions"] = opts
		}
		op := map[string]any{"sync": sync, "initiatedBy": map[string]any{"username": initiatedBy}}
		if retry, ok, _ := unstructured.NestedMap(policy, "retry"); ok {
			op["retry"] = retry
		}
		u.Object["operation"] = op
		unstructured.RemoveNestedField(u.Object, "status", "operationState")
		_, err = res.Update(ctx, u, metav1.UpdateOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsConflict(err) || attempt >= 4 {
			return fmt.Errorf("cannot sync application %q: %w", name, err)
		}
	}
}

// ApplicationSync is what Argo CD reports about an application's sync: the
// comparison with git, the health, and the last sync operation. Messages
// are redacted.
type ApplicationSync struct {
	Exists   bool
	Deleting bool
	// RefreshRequested is the pending value of RefreshAnnotation, if any.
	RefreshRequested string
	// SyncStatus is Synced, OutOfSync or Unknown; SyncRevision is the
	// commit the comparison was made against (of the first source of a
	// multi-source application; see ForRepository).
	SyncStatus, SyncRevision string
	// SourceRepos are the repository URLs of a multi-source application's
	// sources (spec.sources), SyncRevisions the commits compared, by source
	// (status.sync.revisions); both nil for a single source.
	SourceRepos, SyncRevisions []string
	// HealthStatus is Healthy, Progressing, Degraded, Suspended, Missing or
	// Unknown.
	HealthStatus, HealthMessage string
	// ReconciledAt is when the controller last compared the application.
	ReconciledAt time.Time
	// Automated is true when the application's sync policy is automated:
	// Argo CD syncs a new revision by itself.
	Automated bool
	// OperationRequested is true while an operation is set on the
	// application that Argo CD has not taken up yet.
	OperationRequested bool
	// Operation is the last (or current) sync operation; nil when the
	// application was never synced.
	Operation *SyncOperation
	// ErrorConditions are the conditions whose type ends in Error
	// ("type: message").
	ErrorConditions []string
	// ComparisonError is the message of the ComparisonError condition:
	// Argo CD could not load or render the target state (a manifest that
	// does not parse, a chart that does not render, a repository it cannot
	// read), so it compares nothing and syncs nothing.
	ComparisonError string
}

// SyncOperation is status.operationState.
type SyncOperation struct {
	// Phase is Running, Terminating, Succeeded, Failed or Error. Argo CD
	// keeps a failed operation Running while it schedules a retry, so
	// Failed and Error are final: its own retries are spent.
	Phase   string
	Message string
	// Revision is the commit the operation synced (its result), or the one
	// it was asked to sync while it runs. Revisions are the same by source
	// for a multi-source application.
	Revision  string
	Revisions []string
	// RetryCount is the retries made; RetryLimit the retries allowed (a
	// negative limit retries forever, zero never).
	RetryCount, RetryLimit int64
	// RetryScheduled is true while a failed attempt waits for its retry.
	RetryScheduled bool
	// AutomatedSync is true when auto-sync started the operation.
	AutomatedSync bool
	StartedAt     time.Time
	FinishedAt    time.Time
	// FailedResources are the resources the operation could not apply or
	// whose hook failed ("Kind namespace/name: message").
	FailedResources []string
}

// Final reports whether the operation ended and will not be retried.
func (o *SyncOperation) Final() bool {
	switch o.Phase {
	case OperationSucceeded, OperationFailed, OperationError:
		return true
	}
	return false
}

// GetApplicationSync reads the application's sync state; a missing
// application is reported with Exists false and no error.
func GetApplicationSync(ctx context.Context, dc dynamic.Interface, namespace, name string) (ApplicationSync, error) {
	u, err := dc.Resource(ApplicationGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ApplicationSync{}, nil
	}
	if err != nil {
		return ApplicationSync{}, fmt.Errorf("cannot get application %q: %w", name, err)
	}
	return ApplicationSyncOf(u), nil
}

// ApplicationSyncOf reads the sync state of an Application object.
func ApplicationSyncOf(u *unstructured.Unstructured) ApplicationSync {
	str := func(m map[string]any, fields ...string) string {
		s, _, _ := unstructured.NestedString(m, fields...)
		return s
	}
	when := func(m map[string]any, fields ...string) time.Time {
		t, _ := time.Parse(time.RFC3339, str(m, fields...))
		return t
	}
	obj := u.Object
	st := ApplicationSync{
		Exists:           true,
		Deleting:         u.GetDeletionTimestamp() != nil,
		RefreshRequested: u.GetAnnotations()[RefreshAnnotation],
		SyncStatus:       str(obj, "status", "sync", "status"),
		SyncRevision:     str(obj, "status", "sync", "revision"),
		HealthStatus:     str(obj, "status", "health", "status"),
		HealthMessage:    redact.Text(str(obj, "status", "health", "message")),
		ReconciledAt:     when(obj, "status", "reconciledAt"),
	}
	_, st.Automated, _ = unstructured.NestedMap(obj, "spec", "syncPolicy", "automated")
	if sources, ok, _ := unstructured.NestedSlice(obj, "spec", "sources"); ok && len(sources) > 0 {
		for _, src := range sources {
			m, _ := src.(map[string]any)
			st.SourceRepos = append(st.SourceRepos, str(m, "repoURL"))
		}
		st.SyncRevisions, _, _ = unstructured.NestedStringSlice(obj, "status", "sync", "revisions")
	}
	if op, ok, _ := unstructured.NestedMap(obj, "operation"); ok && op != nil {
		st.OperationRequested = true
	}
	if op, ok, _ := unstructured.NestedMap(obj, "status", "operationState"); ok {
		o := &SyncOperation{
			Phase:      str(op, "phase"),
			Message:    redact.Text(str(op, "message")),
			Revision:   str(op, "syncResult", "revision"),
			StartedAt:  when(op, "startedAt"),
			FinishedAt: when(op, "finishedAt"),
		}
		if o.Revision == "" {
			o.Revision = str(op, "operation", "sync", "revision")
		}
		o.Revisions, _, _ = unstructured.NestedStringSlice(op, "syncResult", "revisions")
		if len(o.Revisions) == 0 {
			o.Revisions, _, _ = unstructured.NestedStringSlice(op, "operation", "sync", "revisions")
		}
		o.RetryCount, _, _ = unstructured.NestedInt64(op, "retryCount")
		o.RetryLimit, _, _ = unstructured.NestedInt64(op, "operation", "retry", "limit")
		o.RetryScheduled = o.Phase == OperationRunning && !o.FinishedAt.IsZero()
		o.AutomatedSync, _, _ = unstructured.NestedBool(op, "operation", "initiatedBy", "automated")
		results, _, _ := unstructured.NestedSlice(op, "syncResult", "resources")
		for _, r := range results {
			m, ok := r.(map[string]any)
			if !ok {
				continue
			}
			if str(m, "status") != "SyncFailed" && str(m, "hookPhase") != "Failed" && str(m, "hookPhase") != "Error" {
				continue
			}
			name := str(m, "name")
			if ns := str(m, "namespace"); ns != "" {
				name = ns + "/" + name
			}
			o.FailedResources = append(o.FailedResources, fmt.Sprintf("%s %s: %s", str(m, "kind"), name, redact.Text(str(m, "message"))))
		}
		st.Operation = o
	}
	conds, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if t := str(m, "type"); strings.HasSuffix(t, "Error") {
			msg := redact.Text(str(m, "message"))
			st.ErrorConditions = append(st.ErrorConditions, t+": "+msg)
			if t == "ComparisonError" {
				st.ComparisonError = msg
			}
		}
	}
	return st
}

// ForRepository returns s with SyncRevision and the operation's Revision
// taken from the source of a multi-source application whose repository is
// repoURL (compared as Argo CD does: without a trailing ".git" or "/",
// case-insensitively). s is returned as it is for a single-source
// application; when no source is repoURL, both revisions are empty, which
// Progress reports as waiting.
func (s ApplicationSync) ForRepository(repoURL string) ApplicationSync {
	if len(s.SourceRepos) == 0 {
		return s
	}
	at := func(revisions []string) string {
		for i, r := range s.SourceRepos {
			if i < len(revisions) && sameRepository(r, repoURL) {
				return revisions[i]
			}
		}
		return ""
	}
	out := s
	out.SyncRevision = at(s.SyncRevisions)
	if s.Operation != nil {
		op := *s.Operation
		op.Revision = at(op.Revisions)
		out.Operation = &op
	}
	return out
}

func sameRepository(a, b string) bool {
	norm := func(u string) string {
		return strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git"))
	}
	return norm(a) == norm(b)
}

// SyncVerdict is how an application stands against a wanted revision.
type SyncVerdict int

// Verdicts of ApplicationSync.Progress.
const (
	// SyncWaiting: not there yet.
	SyncWaiting SyncVerdict = iota
	// SyncDone: Synced and Healthy at the revision (or one containing it)
	// with no operation running and none failed at it.
	SyncDone
	// SyncFailed: the sync operation at the revision (or one containing
	// it) ended Failed or Error, after Argo CD's own retries.
	SyncFailed
)

// Progress tells how the application stands against the wanted revision.
// atRevision reports whether a commit Argo CD names is the wanted one or
// contains it (descends from it); its errors are returned. The message
// says why in Argo CD's words: its operation message and the failed
// resources for SyncFailed, the current state for SyncWaiting.
//
// Done needs: the comparison Synced at a revision containing the wanted
// one, health Healthy, and no operation running. When the last operation
// ran at a revision containing the wanted one it must have Succeeded;
// an older last operation (the change did not alter what this application
// renders, so Argo CD had nothing to apply) does not count.
func (s ApplicationSync) Progress(atRevision func(revision string) (bool, error)) (SyncVerdict, string, error) {
	if !s.Exists {
		return SyncWaiting, "the application does not exist yet", nil
	}
	if s.Deleting {
		return SyncWaiting, "the application is being deleted", nil
	}
	opAtRevision := false
	if op := s.Operation; op != nil && op.Revision != "" {
		ok, err := atRevision(op.Revision)
		if err != nil {
			return SyncWaiting, "", err
		}
		opAtRevision = ok
	}
	if op := s.Operation; op != nil && opAtRevision {
		switch {
		case op.Phase == OperationFailed || op.Phase == OperationError:
			return SyncFailed, op.describeFailure(), nil
		case op.RetryScheduled:
			return SyncWaiting, fmt.Sprintf("sync of %s failed, Argo CD retries (attempt %d of %s): %s", short(op.Revision), op.RetryCount, retryLimit(op.RetryLimit), op.Message), nil
		case !op.Final():
			return SyncWaiting, fmt.Sprintf("sync of %s is %s: %s", short(op.Revision), op.Phase, op.Message), nil
		}
	} else if op != nil && !op.Final() {
		return SyncWaiting, fmt.Sprintf("a sync of %s is %s", short(op.Revision), op.Phase), nil
	}
	if s.OperationRequested && (s.Operation == nil || s.Operation.Final()) {
		return SyncWaiting, "a sync was requested and Argo CD has not started it yet", nil
	}
	state := fmt.Sprintf("Argo CD reports %s at %s, health %s", orUnknown(s.SyncStatus), short(s.SyncRevision), orUnknown(s.HealthStatus))
	if s.HealthMessage != "" {
		state += " (" + s.HealthMessage + ")"
	}
	if len(s.ErrorConditions) > 0 {
		state += "; " + strings.Join(s.ErrorConditions, "; ")
	}
	if s.SyncRevision == "" {
		return SyncWaiting, state, nil
	}
	synced, err := atRevision(s.SyncRevision)
	if err != nil {
		return SyncWaiting, "", err
	}
	if !synced {
		return SyncWaiting, state + ", an older revision", nil
	}
	if s.SyncStatus == "Synced" && s.HealthStatus == "Healthy" {
		return SyncDone, state, nil
	}
	return SyncWaiting, state, nil
}

func (o *SyncOperation) describeFailure() string {
	msg := fmt.Sprintf("Argo CD sync of %s ended %s", short(o.Revision), o.Phase)
	if o.RetryCount > 0 {
		msg += fmt.Sprintf(" after %d retries", o.RetryCount)
	}
	if o.Message != "" {
		msg += ": " + o.Message
	}
	// Resources whose message Argo CD's own already quotes add nothing.
	var extra []string
	for _, r := range o.FailedResources {
		if _, detail, _ := strings.Cut(r, ": "); detail == "" || !strings.Contains(o.Message, detail) {
			extra = append(extra, r)
		}
	}
	if len(extra) > 0 {
		msg += " [" + strings.Join(extra, "; ") + "]"
	}
	return msg
}

func retryLimit(n int64) string {
	if n < 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// short abbreviates a commit SHA for messages.
func short(rev string) string {
	if rev == "" {
		return "no revision"
	}
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
