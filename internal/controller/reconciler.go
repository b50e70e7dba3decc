package controller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

const (
	// DefaultPollInterval is how often a Ready resource is observed for
	// drift when neither the controller flag nor the resource's
	// poll-interval annotation says otherwise.
	DefaultPollInterval = time.Minute

	// DefaultNotReadyPollInterval is how soon a resource that is not Ready
	// yet (creating, updating, deleting) is observed again when no engine
	// trigger watches it, and after the controller changed it.
	DefaultNotReadyPollInterval = 5 * time.Second

	// DefaultWatchedNotReadyPollInterval is how soon a resource that is not
	// Ready yet is observed again while an engine trigger watches its
	// backend objects: the trigger wakes the reconcile at once when they
	// change, and this poll is only a safety net.
	DefaultWatchedNotReadyPollInterval = 30 * time.Second

	// DefaultPollJitter is the fraction by which every poll interval is
	// varied at random, both ways, so that resources created together do
	// not keep being observed together.
	DefaultPollJitter = 0.15
)

// Reconciler is the generic managed reconciler. It drives the engine client
// of one kind, S and O being the engine's spec and status types, following
// crossplane-runtime's managed reconciler contract:
//
//   - Observe first. Missing: Create (when managementPolicies allow it).
//     Exists but not up to date: Update (when allowed). Exists and up to
//     date: nothing. Observe-only never creates, updates or deletes.
//   - The create-pending annotation is written before Create and removed
//     after; external names are deterministic, so after a crash Observe
//     finds what was created (adopted) or Create runs again (idempotent).
//   - The external-name annotation is set once the external resource is
//     known to exist.
//   - Deletion: deletionPolicy Orphan (or a policy without Delete) only
//     removes the finalizer; Delete calls the engine's Delete and requeues
//     until Observe reports the external resource gone.
//   - Synced reports whether the reconcile succeeded, Ready what Observe
//     says of readiness. Nothing blocks: a resource that is not Ready is
//     requeued after a short interval, a Ready one after its poll interval;
//     both are jittered. An error about a dependency that cannot be read
//     (engine.DependencyError) sets Synced=False with reason
//     DependencyUnavailable, keeps the finalizer, also while deleting, and
//     is retried with backoff.
//   - Every step that fails records a Warning event with a stable reason
//     (see EventReasonCannotObserve and its siblings); Create, Update and
//     Delete record a Normal one.
//   - When the engine client is a Triggerer, the reconciler runs its
//     trigger for each managed resource and reconciles as soon as the
//     backend objects change; the not-Ready poll is then a safety net.
//   - Optional adapter interfaces extend it without changing the above: an
//     ExternalNamer supplies the default external name when it is not
//     metadata.name, a FieldPathTranslator names invalid input with the
//     kind's field paths, and an Actor performs actions the resource
//     requests (such as a run) once it is Ready and up to date, and a
//     ConnectionPublisher writes connection details to the Secret named by
//     spec.writeConnectionSecretToRef.
type Reconciler[S, O any] struct {
	kube                        client.Client
	secrets                     client.Reader
	newManaged                  func() Managed
	adapter                     Adapter[S, O]
	pollInterval                time.Duration
	notReadyPollInterval        time.Duration
	watchedNotReadyPollInterval time.Duration
	pollJitter                  float64
	now                         func() time.Time
	recorder                    events.EventRecorder
	triggers                    *triggers
}

// ReconcilerOption configures a Reconciler.
type ReconcilerOption func(*reconcilerOptions)

type reconcilerOptions struct {
	pollInterval                time.Duration
	notReadyPollInterval        time.Duration
	watchedNotReadyPollInterval time.Duration
	pollJitter                  float64
	now                         func() time.Time
	recorder                    events.EventRecorder
	secrets                     client.Reader
}

// WithPollInterval sets how often a Ready resource is observed for drift,
// unless the resource's poll-interval annotation overrides it.
func WithPollInterval(d time.Duration) ReconcilerOption {
	return func(o *reconcilerOptions) {
		if d > 0 {
			o.pollInterval = d
		}
	}
}

// WithNotReadyPollInterval sets how soon a resource that is not Ready is
// observed again.
func WithNotReadyPollInterval(d time.Duration) ReconcilerOption {
	return func(o *reconcilerOptions) {
		if d > 0 {
			o.notReadyPollInterval = d
		}
	}
}

// WithWatchedNotReadyPollInterval sets how soon a resource that is not
// Ready is observed again while an engine trigger watches it.
func WithWatchedNotReadyPollInterval(d time.Duration) ReconcilerOption {
	return func(o *reconcilerOptions) {
		if d > 0 {
			o.watchedNotReadyPollInterval = d
		}
	}
}

// WithPollJitter sets the fraction, between 0 and 0.5, by which poll
// intervals vary at random both ways; 0 turns jitter off.
func WithPollJitter(fraction float64) ReconcilerOption {
	return func(o *reconcilerOptions) {
		o.pollJitter = min(max(fraction, 0), 0.5)
	}
}

// WithSecretReader sets the reader of connection Secrets. It should be an
// uncached reader so that the controller neither watches nor caches every
// Secret of the cluster; the default is the reconciler's client.
func WithSecretReader(secrets client.Reader) ReconcilerOption {
	return func(o *reconcilerOptions) { o.secrets = secrets }
}

// WithClock sets the clock used for the create-pending timestamp.
func WithClock(now func() time.Time) ReconcilerOption {
	return func(o *reconcilerOptions) { o.now = now }
}

// WithEventRecorder records Kubernetes events for Create, Update, Delete
// and reconcile errors.
func WithEventRecorder(recorder events.EventRecorder) ReconcilerOption {
	return func(o *reconcilerOptions) { o.recorder = recorder }
}

// NewReconciler returns a managed reconciler for the kind newManaged makes,
// driving the engine client adapter connects to.
func NewReconciler[S, O any](kube client.Client, newManaged func() Managed, adapter Adapter[S, O], opts ...ReconcilerOption) *Reconciler[S, O] {
	o := reconcilerOptions{
		pollInterval:                DefaultPollInterval,
		notReadyPollInterval:        DefaultNotReadyPollInterval,
		watchedNotReadyPollInterval: DefaultWatchedNotReadyPollInterval,
		pollJitter:                  DefaultPollJitter,
		now:                         time.Now,
		secrets:                     kube,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &Reconciler[S, O]{
		kube:                        kube,
		secrets:                     o.secrets,
		newManaged:                  newManaged,
		adapter:                     adapter,
		pollInterval:                o.pollInterval,
		notReadyPollInterval:        o.notReadyPollInterval,
		watchedNotReadyPollInterval: max(o.watchedNotReadyPollInterval, o.notReadyPollInterval),
		pollJitter:                  o.pollJitter,
		now:                         o.now,
		recorder:                    o.recorder,
		triggers:                    newTriggers(newManaged),
	}
}

// TriggerEvents is the channel on which the reconciler's engine triggers
// name the managed resources to reconcile; feed it to the controller with
// source.Channel.
func (r *Reconciler[S, O]) TriggerEvents() <-chan event.GenericEvent {
	return r.triggers.events
}

// StopTriggers ends every engine trigger the reconciler started; none
// starts afterwards. Call it when the manager stops.
func (r *Reconciler[S, O]) StopTriggers() {
	r.triggers.close()
}

// watch makes sure that the engine trigger of external resource id runs
// for mg when external is a Triggerer, and reports whether one runs.
func (r *Reconciler[S, O]) watch(mg Managed, external engine.Client[S, O], id string) bool {
	key := client.ObjectKeyFromObject(mg)
	source, ok := external.(Triggerer)
	if !ok || id == "" {
		r.triggers.stop(key)
		return false
	}
	return r.triggers.ensure(key, id, source)
}

func (r *Reconciler[S, O]) event(mg Managed, eventType, reason, action, note string) {
	if r.recorder != nil {
		r.recorder.Eventf(mg, nil, eventType, reason, action, "%s", note)
	}
}

// Reconcile brings the external resource of the managed resource named by
// req in line with its spec, or releases it when the managed resource is
// being deleted.
//
// A conflict (the object changed while it was reconciled) is not an error:
// the resource is reconciled again shortly with its new version.
func (r *Reconciler[S, O]) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ctx = withLogging(ctx)
	result, err := r.reconcile(ctx, req)
	if err != nil && apierrors.IsConflict(err) {
		ctrl.LoggerFrom(ctx).V(1).Info("the managed resource changed while it was reconciled; reconciling again", "reason", err.Error())
		return reconcile.Result{RequeueAfter: time.Second}, nil
	}
	return result, err
}

func (r *Reconciler[S, O]) reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	mg := r.newManaged()
	if err := r.kube.Get(ctx, req.NamespacedName, mg); err != nil {
		if apierrors.IsNotFound(err) {
			r.triggers.stop(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("cannot get managed resource %q: %w", req.Name, err)
	}

	if isPaused(mg) {
		r.triggers.stop(req.NamespacedName)
		setConditions(mg, v1alpha1.ReconcilePaused())
		return reconcile.Result{}, r.updateStatus(ctx, mg)
	}

	if !mg.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, mg)
	}

	policies := mg.GetResourceSpec().ManagementPolicies
	if !policies.Allows(v1alpha1.ManagementActionObserve) {
		err := errors.New("managementPolicies must include Observe or *")
		return r.terminal(ctx, mg, EventReasonReconcileError, "Reconcile", err)
	}

	if controllerutil.AddFinalizer(mg, v1alpha1.Finalizer) {
		if err := r.kube.Update(ctx, mg); err != nil {
			return reconcile.Result{}, fmt.Errorf("cannot add finalizer to %q: %w", mg.GetName(), err)
		}
	}

	external, err := r.adapter.Connect(ctx, mg)
	if err != nil {
		return r.fail(ctx, mg, EventReasonCannotConnect, "Connect", fmt.Errorf("cannot connect to the platform: %w", err))
	}
	want, err := r.adapter.DesiredSpec(ctx, mg)
	if err != nil {
		return r.fail(ctx, mg, EventReasonCannotBuildSpec, "BuildSpec", fmt.Errorf("cannot resolve spec.forProvider: %w", err))
	}

	id := r.externalName(mg)
	watched := r.watch(mg, external, id)
	observation, err := external.Observe(ctx, id, want)
	if err != nil {
		return r.fail(ctx, mg, EventReasonCannotObserve, "Observe", fmt.Errorf("cannot observe external resource %q: %w", id, r.explain(err)))
	}

	if !observation.Exists {
		if !policies.Allows(v1alpha1.ManagementActionCreate) {
			err := fmt.Errorf("external resource %q does not exist and managementPolicies do not allow Create", id)
			setConditions(mg, v1alpha1.Unavailable(err.Error()))
			return r.terminal(ctx, mg, EventReasonCannotCreate, "Create", err)
		}
		return r.create(ctx, mg, external, want)
	}

	// The external resource exists: record its name, and forget a create
	// that was cut off (it is adopted).
	metadataChanged := setAnnotation(mg, v1alpha1.AnnotationExternalName, id)
	metadataChanged = removeAnnotation(mg, v1alpha1.AnnotationCreatePending) || metadataChanged
	lateInitialized := policies.Allows(v1alpha1.ManagementActionLateInitialize) &&
		r.adapter.LateInitialize(mg, observation.Actual)
	if metadataChanged || lateInitialized {
		if err := r.kube.Update(ctx, mg); err != nil {
			return reconcile.Result{}, fmt.Errorf("cannot record external name and late-initialised fields of %q: %w", mg.GetName(), err)
		}
	}
	if lateInitialized {
		// The engine judged UpToDate against the spec before late
		// initialisation; observe again against the new one.
		r.setObserved(mg, observation)
		setSynced(mg)
		return reconcile.Result{RequeueAfter: r.soon()}, r.updateStatus(ctx, mg)
	}

	if !observation.UpToDate && policies.Allows(v1alpha1.ManagementActionUpdate) {
		if err := external.Update(ctx, id, want); err != nil {
			r.setObserved(mg, observation)
			return r.fail(ctx, mg, EventReasonCannotUpdate, "Update", fmt.Errorf("cannot update external resource %q: %w", id, r.explain(err)))
		}
		r.event(mg, corev1.EventTypeNormal, EventReasonUpdated, "Update", fmt.Sprintf("updated external resource %q", id))
		r.setObserved(mg, observation)
		setSynced(mg)
		return reconcile.Result{RequeueAfter: r.soon()}, r.updateStatus(ctx, mg)
	}

	if r.notifySync(ctx, mg, external, id, want, observation) {
		if err := r.kube.Update(ctx, mg); err != nil {
			return reconcile.Result{}, fmt.Errorf("cannot record the last notice of %q: %w", mg.GetName(), err)
		}
	}
	r.setObserved(mg, observation)
	if observation.Ready {
		if err := r.publishConnectionDetails(ctx, mg, external, id); err != nil {
			return r.fail(ctx, mg, EventReasonCannotPublishConnectionDetails, "PublishConnectionDetails", err)
		}
	}
	if actor, ok := r.adapter.(Actor[S, O]); ok && observation.Ready && observation.UpToDate &&
		policies.Allows(v1alpha1.ManagementActionUpdate) {
		inProgress, err := actor.Act(ctx, mg, external, id)
		if err != nil {
			return r.fail(ctx, mg, EventReasonCannotAct, "Act", fmt.Errorf("cannot act on external resource %q: %w", id, r.explain(err)))
		}
		if inProgress {
			setSynced(mg)
			return reconcile.Result{RequeueAfter: r.soon()}, r.updateStatus(ctx, mg)
		}
	}
	setSynced(mg)
	return reconcile.Result{RequeueAfter: r.requeueAfter(ctx, mg, observation.Ready, watched)}, r.updateStatus(ctx, mg)
}

// externalName is the external-name annotation of mg or, when it is absent,
// the adapter's default external name (metadata.name unless the adapter is
// an ExternalNamer).
func (r *Reconciler[S, O]) externalName(mg Managed) string {
	if name := mg.GetAnnotations()[v1alpha1.AnnotationExternalName]; name != "" {
		return name
	}
	if namer, ok := r.adapter.(ExternalNamer); ok {
		if name := namer.DefaultExternalName(mg); name != "" {
			return name
		}
	}
	return ExternalName(mg)
}

// create records the intent to create, calls the engine's Create, then
// records the external name.
func (r *Reconciler[S, O]) create(ctx context.Context, mg Managed, external engine.Client[S, O], want S) (reconcile.Result, error) {
	setAnnotation(mg, v1alpha1.AnnotationCreatePending, r.now().UTC().Format(time.RFC3339))
	if err := r.kube.Update(ctx, mg); err != nil {
		return reconcile.Result{}, fmt.Errorf("cannot record pending creation of %q: %w", mg.GetName(), err)
	}

	id, createErr := external.Create(ctx, want)
	if createErr == nil {
		setAnnotation(mg, v1alpha1.AnnotationExternalName, id)
	}
	// Create is idempotent: whatever happened, the next reconcile observes
	// and, if needed, creates again, so the pending mark can go.
	removeAnnotation(mg, v1alpha1.AnnotationCreatePending)
	if err := r.kube.Update(ctx, mg); err != nil {
		return reconcile.Result{}, fmt.Errorf("cannot record external name of %q: %w", mg.GetName(), err)
	}
	if createErr != nil {
		return r.fail(ctx, mg, EventReasonCannotCreate, "Create", fmt.Errorf("cannot create external resource %q: %w", r.externalName(mg), r.explain(createErr)))
	}

	r.event(mg, corev1.EventTypeNormal, EventReasonCreated, "Create", fmt.Sprintf("created external resource %q", r.externalName(mg)))
	setConditions(mg, v1alpha1.Creating("create requested"))
	setSynced(mg)
	return reconcile.Result{RequeueAfter: r.soon()}, r.updateStatus(ctx, mg)
}

// reconcileDelete handles a managed resource being deleted.
func (r *Reconciler[S, O]) reconcileDelete(ctx context.Context, mg Managed) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(mg, v1alpha1.Finalizer) {
		r.triggers.stop(client.ObjectKeyFromObject(mg))
		return reconcile.Result{}, nil
	}
	spec := mg.GetResourceSpec()
	if spec.DeletionPolicy == v1alpha1.DeletionOrphan || !spec.ManagementPolicies.Allows(v1alpha1.ManagementActionDelete) {
		return r.release(ctx, mg)
	}

	external, err := r.adapter.Connect(ctx, mg)
	if err != nil {
		setConditions(mg, v1alpha1.Deleting(""))
		return r.fail(ctx, mg, EventReasonCannotConnect, "Connect", fmt.Errorf("cannot connect to the platform: %w", err))
	}
	// Secrets referenced by the spec are often deleted alongside; Observe
	// accepts the zero spec, which is all deletion needs.
	want, err := r.adapter.DesiredSpec(ctx, mg)
	if err != nil {
		var zero S
		want = zero
	}
	id := r.externalName(mg)
	watched := r.watch(mg, external, id)
	observation, err := external.Observe(ctx, id, want)
	if err != nil {
		// The external resource may still exist (for example when its site
		// record cannot be read): it is not released.
		setConditions(mg, v1alpha1.Deleting(""))
		return r.fail(ctx, mg, EventReasonCannotObserve, "Observe", fmt.Errorf("cannot observe external resource %q: %w", id, r.explain(err)))
	}
	if !observation.Exists {
		return r.release(ctx, mg)
	}
	if err := external.Delete(ctx, id); err != nil {
		setConditions(mg, v1alpha1.Deleting(""))
		return r.fail(ctx, mg, EventReasonCannotDelete, "Delete", fmt.Errorf("cannot delete external resource %q: %w", id, r.explain(err)))
	}
	r.event(mg, corev1.EventTypeNormal, EventReasonDeleted, "Delete", fmt.Sprintf("requested deletion of external resource %q", id))
	setConditions(mg, v1alpha1.Deleting("delete requested"))
	setSynced(mg)
	if watched {
		return reconcile.Result{RequeueAfter: r.jitter(r.watchedNotReadyPollInterval)}, r.updateStatus(ctx, mg)
	}
	return reconcile.Result{RequeueAfter: r.soon()}, r.updateStatus(ctx, mg)
}

// release lets a managed resource being deleted go: its connection Secret
// is deleted, its trigger stopped and its finalizer removed.
func (r *Reconciler[S, O]) release(ctx context.Context, mg Managed) (reconcile.Result, error) {
	if err := r.unpublishConnectionDetails(ctx, mg); err != nil {
		return r.fail(ctx, mg, EventReasonCannotPublishConnectionDetails, "UnpublishConnectionDetails", err)
	}
	r.triggers.stop(client.ObjectKeyFromObject(mg))
	return reconcile.Result{}, r.removeFinalizer(ctx, mg)
}

func (r *Reconciler[S, O]) removeFinalizer(ctx context.Context, mg Managed) error {
	if !controllerutil.RemoveFinalizer(mg, v1alpha1.Finalizer) {
		return nil
	}
	if err := r.kube.Update(ctx, mg); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot remove finalizer from %q: %w", mg.GetName(), err)
	}
	return nil
}

// setObserved writes what Observe found into status: atProvider and Ready.
func (r *Reconciler[S, O]) setObserved(mg Managed, observation engine.Observation[S, O]) {
	r.adapter.SetObservation(mg, observation.Status)
	previous := mg.GetResourceStatus().GetCondition(v1alpha1.TypeReady)
	failed := observation.Failed
	if failed != nil {
		failed = r.explain(failed)
	}
	setConditions(mg, readyCondition(previous, observation.Ready, failed, observation.Message))
}

// explain rewrites an engine's invalid-input errors with the managed kind's
// field paths when the adapter can translate them (see inFieldPaths).
func (r *Reconciler[S, O]) explain(err error) error {
	translator, ok := r.adapter.(FieldPathTranslator)
	if !ok {
		return err
	}
	return inFieldPaths(err, translator.FieldPath)
}

// inFieldPaths rewrites err, when it is invalid input and nothing more (one
// error, or several joined by an engine.Validation), with the field paths
// fieldPath gives the engine's argument paths. Other errors, and invalid
// input wrapped with more context, are returned unchanged.
func inFieldPaths(err error, fieldPath func(enginePath string) string) error {
	invalid := engine.InvalidInputs(err)
	joined := make([]error, 0, len(invalid))
	for _, in := range invalid {
		joined = append(joined, in)
	}
	if len(invalid) == 0 || errors.Join(joined...).Error() != err.Error() {
		return err
	}
	translated := make([]error, 0, len(invalid))
	for _, in := range invalid {
		path := in.Path
		if path != "" {
			path = fieldPath(path)
		}
		translated = append(translated, &engine.InvalidInputError{Path: path, Message: in.Message})
	}
	if len(translated) == 1 {
		return translated[0]
	}
	return errors.Join(translated...)
}

// fail records err, from the step action, as a Warning event with reason
// and as Synced=False. An error about a dependency that cannot be read sets
// Synced=False with reason DependencyUnavailable and is retried with
// backoff. Input the engine rejects and terminal backend failures are not
// retried until the poll interval (or a change of the resource); other
// errors are returned for a rate-limited retry.
func (r *Reconciler[S, O]) fail(ctx context.Context, mg Managed, reason, action string, err error) (reconcile.Result, error) {
	var terminal *engine.TerminalError
	_, dependency := engine.AsDependency(err)
	if _, invalid := engine.AsInvalidInput(err); !dependency && (invalid || errors.As(err, &terminal)) {
		return r.terminal(ctx, mg, reason, action, err)
	}
	r.event(mg, corev1.EventTypeWarning, reason, action, err.Error())
	if dependency {
		setConditions(mg, v1alpha1.DependencyUnavailable(err))
	} else {
		setSyncError(mg, err)
	}
	if statusErr := r.updateStatus(ctx, mg); statusErr != nil {
		return reconcile.Result{}, errors.Join(err, statusErr)
	}
	return reconcile.Result{}, err
}

// terminal records err, from the step action, as a Warning event with
// reason and as Synced=False, and looks again after the poll interval,
// without error backoff.
func (r *Reconciler[S, O]) terminal(ctx context.Context, mg Managed, reason, action string, err error) (reconcile.Result, error) {
	r.event(mg, corev1.EventTypeWarning, reason, action, err.Error())
	setSyncError(mg, err)
	return reconcile.Result{RequeueAfter: r.requeueAfter(ctx, mg, true, false)}, r.updateStatus(ctx, mg)
}

// requeueAfter is the poll interval of a Ready resource; for one that is not
// Ready, the short interval or, while a trigger watches it, the safety-net
// interval. Each is jittered.
func (r *Reconciler[S, O]) requeueAfter(ctx context.Context, mg Managed, ready, watched bool) time.Duration {
	switch {
	case !ready && watched:
		return r.jitter(r.watchedNotReadyPollInterval)
	case !ready:
		return r.soon()
	}
	d, err := pollIntervalFor(mg, r.pollInterval)
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("ignoring the poll interval annotation", "reason", err.Error())
	}
	return r.jitter(d)
}

// soon is the jittered short interval after which a resource the
// reconciler just changed, or one that is not Ready, is observed again.
func (r *Reconciler[S, O]) soon() time.Duration {
	return r.jitter(r.notReadyPollInterval)
}

// jitter varies d at random by up to the reconciler's jitter fraction,
// both ways.
func (r *Reconciler[S, O]) jitter(d time.Duration) time.Duration {
	if r.pollJitter == 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + r.pollJitter*(2*rand.Float64()-1)))
}

func (r *Reconciler[S, O]) updateStatus(ctx context.Context, mg Managed) error {
	if err := r.kube.Status().Update(ctx, mg); err != nil {
		return fmt.Errorf("cannot update status of %q: %w", mg.GetName(), err)
	}
	return nil
}
