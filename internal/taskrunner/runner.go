// Package taskrunner is mc-taskrunner: the task runner that serves one site.
// It holds the site's Lease (discovery), watches the TaskRuns of its site,
// claims each (status.runner) and executes its steps in order (checkout,
// build, push, scan, replicate), writing the run's status after every step
// and sending the run's notices itself.
//
// A run is executed at most once: the runner reads the run live (not from
// its cache) before it acts, writes status with optimistic concurrency, and
// a run found Running after a restart resumes at its first unfinished step.
// A push, scan or replication recorded in the status is never redone; a
// checkout or build whose product was lost with the runner's work directory
// is done again (it changes nothing outside the runner), and a push found
// already in the registry under its tag is not pushed twice.
package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// AnnotationNotified records the notices a runner delivered for a run, as
// comma-separated event/channel pairs, so that a restarted runner does not
// send them twice.
const AnnotationNotified = tasksv1.Group + "/notified"

// NoticeKind is the kind named in run notices.
const NoticeKind = "mc_ci_run"

// Harbor is what the scan and replicate steps need of the site's Harbor
// (*harbor.Client).
type Harbor interface {
	ScanArtifact(ctx context.Context, project, repository, reference string) error
	GetArtifactScan(ctx context.Context, project, repository, reference string) (*harbor.ScanOverview, error)
	ListArtifactVulnerabilities(ctx context.Context, project, repository, reference string) ([]harbor.Vulnerability, error)
	StartReplication(ctx context.Context, policyID int64) (int64, error)
	GetReplicationExecution(ctx context.Context, id int64) (*harbor.ReplicationExecution, error)
}

// Runner executes the TaskRuns of one site.
type Runner struct {
	// Site is the site whose runs this runner executes.
	Site string
	// Identity names this runner in the Lease and in status.runner.
	Identity string
	// WorkDir holds one directory per run.
	WorkDir string
	// Git are the runner's own git credentials, for runs without a
	// source Secret.
	Git Credentials
	// Executors by name (tasksv1.ExecutorLocal, ExecutorKubernetesJob).
	Executors map[string]Executor
	// Harbor is the site's Harbor (scan and replicate steps).
	Harbor Harbor
	// Client writes TaskRuns; Live reads them and Secrets without a
	// cache, so that the runner never acts on a stale run.
	Client client.Client
	Live   client.Reader
	// Log is the runner's logger.
	Log logr.Logger
	// Secrets are masked in every message and log tail.
	Secrets []string
	// PollInterval is how often the scan and replicate steps look at
	// Harbor (default 1s).
	PollInterval time.Duration
	// Sender delivers notices (the default Sender when nil).
	Sender *notify.Sender
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	leader atomic.Bool
}

// SetLeader tells the runner whether it holds its site's Lease; it
// executes runs only while it does.
func (r *Runner) SetLeader(v bool) { r.leader.Store(v) }

// Leader reports whether the runner holds its site's Lease.
func (r *Runner) Leader() bool { return r.leader.Load() }

func (r *Runner) now() metav1.Time {
	if r.Now != nil {
		return metav1.NewTime(r.Now().UTC().Truncate(time.Second))
	}
	return metav1.NewTime(time.Now().UTC().Truncate(time.Second))
}

func (r *Runner) poll() time.Duration {
	if r.PollInterval > 0 {
		return r.PollInterval
	}
	return time.Second
}

// errLostLease stops a run whose runner lost its Lease between steps.
var errLostLease = errors.New("the runner lost its site's Lease")

// Reconcile executes the run req names when it is this runner's to
// execute, and returns when the run has ended (or the runner must stop).
func (r *Runner) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &tasksv1.TaskRun{}
	if err := r.Live.Get(ctx, req.NamespacedName, run); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if run.Spec.Site != r.Site || run.Labels[tasksv1.LabelSite] != r.Site {
		return ctrl.Result{}, nil
	}
	if run.Status.Phase == tasksv1.PhaseSucceeded || run.Status.Phase == tasksv1.PhaseFailed {
		return ctrl.Result{}, nil
	}
	if !r.Leader() {
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	log := r.Log.WithValues("taskrun", req.NamespacedName.String())
	err := r.execute(logr.NewContext(ctx, log), run)
	switch {
	case errors.Is(err, errLostLease):
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	case apierrors.IsNotFound(err):
		log.Info("the run was deleted while it ran")
		return ctrl.Result{}, nil
	case err != nil && ctx.Err() != nil:
		return ctrl.Result{}, nil // shutting down: a restart resumes the run
	}
	return ctrl.Result{}, err
}

// stepIndex is the position of a step in a run's status.
func stepIndex(run *tasksv1.TaskRun, name string) int {
	return slices.IndexFunc(run.Status.Steps, func(s tasksv1.TaskRunStep) bool { return s.Name == name })
}

// initialSteps are a new run's steps: every one Pending, scan and replicate
// Skipped when the spec turns them off.
func initialSteps(spec tasksv1.TaskRunSpec) []tasksv1.TaskRunStep {
	steps := []tasksv1.TaskRunStep{
		{Name: tasksv1.StepCheckout, Phase: tasksv1.PhasePending},
		{Name: tasksv1.StepBuild, Phase: tasksv1.PhasePending},
		{Name: tasksv1.StepPush, Phase: tasksv1.PhasePending},
		{Name: tasksv1.StepScan, Phase: tasksv1.PhasePending},
		{Name: tasksv1.StepReplicate, Phase: tasksv1.PhasePending},
	}
	if !spec.Scan.Enabled {
		steps[3].Phase, steps[3].Message = tasksv1.PhaseSkipped, "scan not enabled"
	}
	if len(spec.Replicate) == 0 {
		steps[4].Phase, steps[4].Message = tasksv1.PhaseSkipped, "no replication"
	}
	return steps
}

// execute claims (or resumes) run and takes its steps.
func (r *Runner) execute(ctx context.Context, run *tasksv1.TaskRun) error {
	log := logr.FromContextOrDiscard(ctx)
	exName := run.Spec.Build.Executor
	if exName == "" {
		exName = tasksv1.ExecutorLocal
	}
	fresh := run.Status.Phase == "" || run.Status.Phase == tasksv1.PhasePending
	if fresh {
		now := r.now()
		err := r.updateStatus(ctx, run, func(st *tasksv1.TaskRunStatus) {
			*st = tasksv1.TaskRunStatus{Phase: tasksv1.PhaseRunning, Runner: r.Identity, StartedAt: &now, Steps: initialSteps(run.Spec)}
		})
		if err != nil {
			return err
		}
		log.Info("claimed the run", "executor", exName)
	} else if run.Status.Runner != r.Identity {
		prev := run.Status.Runner
		if err := r.updateStatus(ctx, run, func(st *tasksv1.TaskRunStatus) { st.Runner = r.Identity }); err != nil {
			return err
		}
		log.Info("resuming the run of an earlier runner", "previousRunner", prev)
	} else {
		log.Info("resuming the run")
	}
	r.sendNotices(ctx, run, tasksv1.EventRunStarted, "run started at site "+r.Site)

	ex, ok := r.Executors[exName]
	if !ok {
		return r.fail(ctx, run, tasksv1.StepCheckout, &StepError{Message: fmt.Sprintf(
			"this runner does not offer executor %q (it offers %s)", exName, strings.Join(r.executorNames(), ", "))})
	}
	w := &Workspace{Run: run, Dir: filepath.Join(r.WorkDir, run.Namespace, run.Name), Commit: run.Status.ResolvedCommit}
	git, err := r.gitCredentials(ctx, run)
	if err != nil {
		return r.fail(ctx, run, tasksv1.StepCheckout, &StepError{Message: err.Error()})
	}
	w.Git = git

	// Steps whose product is lost with the work directory are redone.
	start := r.firstUnfinished(run, ex, w)
	for i := start; i < len(run.Status.Steps); i++ {
		// From start on every step is taken: the unfinished ones, and a
		// succeeded checkout or build whose product is lost.
		step := run.Status.Steps[i]
		if step.Phase == tasksv1.PhaseSkipped {
			continue
		}
		if !r.Leader() {
			return errLostLease
		}
		if err := r.runStep(ctx, run, ex, w, step.Name); err != nil {
			return err
		}
		if run.Status.Phase == tasksv1.PhaseFailed {
			return nil
		}
	}
	now := r.now()
	if err := r.updateStatus(ctx, run, func(st *tasksv1.TaskRunStatus) {
		st.Phase, st.FinishedAt, st.Message = tasksv1.PhaseSucceeded, &now, ""
	}); err != nil {
		return err
	}
	log.Info("the run succeeded", "digest", run.Status.ImageDigest)
	r.sendNotices(ctx, run, tasksv1.EventRunSucceeded, "run succeeded: "+run.Status.ImageRef)
	_ = os.RemoveAll(w.Dir)
	return nil
}

// firstUnfinished returns the index of the first step to take: the first
// that is not Succeeded or Skipped, or earlier when a succeeded checkout or
// build lost its product and a later step still needs it.
func (r *Runner) firstUnfinished(run *tasksv1.TaskRun, ex Executor, w *Workspace) int {
	steps := run.Status.Steps
	first := len(steps)
	for i, s := range steps {
		if s.Phase != tasksv1.PhaseSucceeded && s.Phase != tasksv1.PhaseSkipped {
			first = i
			break
		}
	}
	push := stepIndex(run, tasksv1.StepPush)
	if push < 0 || first > push {
		return first // the image is pushed: checkout and build are not needed again
	}
	kept, ok := ex.(interface {
		Kept(w *Workspace, step string) bool
	})
	if !ok {
		return first
	}
	for i := 0; i < first; i++ {
		if !kept.Kept(w, steps[i].Name) {
			return i
		}
	}
	return first
}

// runStep takes one step: Running, then Succeeded (with what it found) or
// Failed (ending the run).
func (r *Runner) runStep(ctx context.Context, run *tasksv1.TaskRun, ex Executor, w *Workspace, name string) error {
	log := logr.FromContextOrDiscard(ctx)
	started := r.now()
	if err := r.setStep(ctx, run, name, func(s *tasksv1.TaskRunStep) {
		s.Phase, s.StartedAt, s.FinishedAt, s.Message = tasksv1.PhaseRunning, &started, nil, ""
	}, nil); err != nil {
		return err
	}
	log.Info("step started", "step", name)
	var (
		msg    string
		err    error
		result func(st *tasksv1.TaskRunStatus)
	)
	switch name {
	case tasksv1.StepCheckout:
		msg, err = ex.Checkout(ctx, w)
		commit := w.Commit
		result = func(st *tasksv1.TaskRunStatus) { st.ResolvedCommit = commit }
	case tasksv1.StepBuild:
		msg, err = ex.Build(ctx, w)
	case tasksv1.StepPush:
		var res PushResult
		res, err = ex.Push(ctx, w)
		if err == nil {
			msg = "pushed " + res.Ref
			if !res.Pushed {
				msg = res.Ref + " was in the registry already"
			}
			result = func(st *tasksv1.TaskRunStatus) { st.ImageDigest, st.ImageRef = res.Digest, res.Ref }
		}
	case tasksv1.StepScan:
		var sum *tasksv1.TaskRunScanSummary
		msg, sum, err = r.scan(ctx, run)
		if sum != nil {
			result = func(st *tasksv1.TaskRunStatus) { st.ScanSummary = sum }
		}
	case tasksv1.StepReplicate:
		msg, err = r.replicate(ctx, run)
	default:
		err = fmt.Errorf("unknown step %q", name)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if apierrors.IsNotFound(err) {
			return err
		}
		if result != nil {
			if uerr := r.updateStatus(ctx, run, result); uerr != nil {
				return uerr
			}
		}
		return r.fail(ctx, run, name, err)
	}
	finished := r.now()
	if err := r.setStep(ctx, run, name, func(s *tasksv1.TaskRunStep) {
		s.Phase, s.FinishedAt, s.Message = tasksv1.PhaseSucceeded, &finished, r.redact(msg)
	}, result); err != nil {
		return err
	}
	log.Info("step succeeded", "step", name, "message", r.redact(msg))
	return nil
}

// fail ends run at step with err's message and log tail.
func (r *Runner) fail(ctx context.Context, run *tasksv1.TaskRun, step string, err error) error {
	msg, tail := stepFailure(err)
	msg, tail = r.redact(msg), r.redact(tail)
	now := r.now()
	runMsg := fmt.Sprintf("step %s failed: %s", step, msg)
	uerr := r.setStep(ctx, run, step, func(s *tasksv1.TaskRunStep) {
		if s.StartedAt == nil {
			s.StartedAt = &now
		}
		s.Phase, s.FinishedAt, s.Message = tasksv1.PhaseFailed, &now, msg
	}, func(st *tasksv1.TaskRunStatus) {
		st.Phase, st.FinishedAt, st.Message, st.LogTail = tasksv1.PhaseFailed, &now, runMsg, tail
	})
	if uerr != nil {
		return uerr
	}
	logr.FromContextOrDiscard(ctx).Info("the run failed", "step", step, "message", msg)
	event := tasksv1.EventRunFailed
	var se *StepError
	if errors.As(err, &se) && se.TimedOut {
		event = tasksv1.EventRunTimedOut
	}
	r.sendNotices(ctx, run, event, runMsg)
	return nil
}

func (r *Runner) redact(s string) string { return redact.Text(s, r.Secrets...) }

func (r *Runner) executorNames() []string {
	var names []string
	for n := range r.Executors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// gitCredentials are the run's Secret's (keys username and password), or
// the runner's own.
func (r *Runner) gitCredentials(ctx context.Context, run *tasksv1.TaskRun) (Credentials, error) {
	name := run.Spec.Source.SecretName
	if name == "" {
		return r.Git, nil
	}
	sec := &corev1.Secret{}
	if err := r.Live.Get(ctx, types.NamespacedName{Namespace: run.Namespace, Name: name}, sec); err != nil {
		if apierrors.IsNotFound(err) {
			return Credentials{}, fmt.Errorf("the source Secret %q does not exist in namespace %s", name, run.Namespace)
		}
		return Credentials{}, fmt.Errorf("cannot read the source Secret %q: %w", name, err)
	}
	return Credentials{Username: string(sec.Data["username"]), Password: string(sec.Data["password"])}, nil
}

// setStep changes step name of run (and the run's status with also, when
// given) and writes the status.
func (r *Runner) setStep(ctx context.Context, run *tasksv1.TaskRun, name string, change func(*tasksv1.TaskRunStep), also func(*tasksv1.TaskRunStatus)) error {
	return r.updateStatus(ctx, run, func(st *tasksv1.TaskRunStatus) {
		for i := range st.Steps {
			if st.Steps[i].Name == name {
				change(&st.Steps[i])
			}
		}
		if also != nil {
			also(st)
		}
	})
}

// updateStatus applies change to run's status and writes it; on a conflict
// it reads the run again and applies change to the fresh copy. run is
// updated in place.
func (r *Runner) updateStatus(ctx context.Context, run *tasksv1.TaskRun, change func(*tasksv1.TaskRunStatus)) error {
	for attempt := 0; ; attempt++ {
		change(&run.Status)
		err := r.Client.Status().Update(ctx, run)
		if err == nil || !apierrors.IsConflict(err) || attempt >= 5 {
			if err != nil {
				return fmt.Errorf("cannot write the status of TaskRun %s/%s: %w", run.Namespace, run.Name, err)
			}
			return nil
		}
		fresh := &tasksv1.TaskRun{}
		if err := r.Live.Get(ctx, client.ObjectKeyFromObject(run), fresh); err != nil {
			return err
		}
		*run = *fresh
	}
}

// sendNotices sends event to each channel of the run that wants it and has
// not had it yet, recording each delivery in AnnotationNotified. A failed
// delivery is logged; it never fails the run.
func (r *Runner) sendNotices(ctx context.Context, run *tasksv1.TaskRun, event, message string) {
	log := logr.FromContextOrDiscard(ctx)
	for _, n := range run.Spec.Notify {
		if len(n.Events) > 0 && !slices.Contains(n.Events, event) {
			continue
		}
		key := event + "/" + n.Channel
		if slices.Contains(notifiedOf(run), key) {
			continue
		}
		sec := &corev1.Secret{}
		if err := r.Live.Get(ctx, types.NamespacedName{Namespace: run.Namespace, Name: n.SecretName}, sec); err != nil {
			log.Error(err, "cannot read the notification channel's Secret", "channel", n.Channel, "secret", n.SecretName)
			continue
		}
		ch, err := notify.ChannelFromSecret(n.Channel, sec.Data)
		if err != nil {
			log.Error(err, "cannot use the notification channel", "channel", n.Channel)
			continue
		}
		if !ch.Wants(event) {
			continue
		}
		notice := notify.Notice{
			ID:      notify.DeliveryID(run.Namespace, run.Name, string(run.UID), event, n.Channel),
			Event:   event,
			Kind:    NoticeKind,
			Name:    run.Spec.Site + "/" + run.Name,
			Site:    run.Spec.Site,
			Message: r.redact(message),
			Fields:  noticeFields(run),
			Time:    r.now().Time,
		}
		sender := r.Sender
		if sender == nil {
			sender = &notify.Sender{}
		}
		if err := sender.Send(ctx, ch, notice); err != nil {
			log.Error(err, "cannot deliver the notice", "channel", n.Channel, "event", event)
			continue
		}
		if err := r.recordNotified(ctx, run, key); err != nil {
			log.Error(err, "cannot record the delivered notice", "channel", n.Channel, "event", event)
		}
	}
}

// noticeFields are the details a run notice carries.
func noticeFields(run *tasksv1.TaskRun) map[string]string {
	f := map[string]string{"phase": run.Status.Phase, "repository": redact.URL(run.Spec.Source.RepoURL), "revision": run.Spec.Source.Revision}
	for k, v := range map[string]string{"commit": run.Status.ResolvedCommit, "imageDigest": run.Status.ImageDigest, "imageRef": run.Status.ImageRef} {
		if v != "" {
			f[k] = v
		}
	}
	return f
}

func notifiedOf(run *tasksv1.TaskRun) []string {
	v := run.Annotations[AnnotationNotified]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// recordNotified adds key to the run's AnnotationNotified.
func (r *Runner) recordNotified(ctx context.Context, run *tasksv1.TaskRun, key string) error {
	for attempt := 0; ; attempt++ {
		keys := notifiedOf(run)
		if slices.Contains(keys, key) {
			return nil
		}
		if run.Annotations == nil {
			run.Annotations = map[string]string{}
		}
		run.Annotations[AnnotationNotified] = strings.Join(append(keys, key), ",")
		err := r.Client.Update(ctx, run)
		if err == nil || !apierrors.IsConflict(err) || attempt >= 5 {
			return err
		}
		fresh := &tasksv1.TaskRun{}
		if err := r.Live.Get(ctx, client.ObjectKeyFromObject(run), fresh); err != nil {
			return err
		}
		*run = *fresh
	}
}
