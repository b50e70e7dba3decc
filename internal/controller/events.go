package controller

// Event reasons the reconciler records on managed resources. They are
// stable, machine-readable and named like crossplane-runtime's, so that
// alerts and dashboards written for Crossplane providers work unchanged:
//
//	kubectl get events --field-selector reason=CannotObserveExternalResource
//
// A Warning carries the error; the Synced condition says the same. An
// error about a dependency that cannot be read (such as a missing site
// record) is recorded with the reason of the step that failed, and
// Synced=False then has the reason DependencyUnavailable.
const (
	// EventReasonCannotConnect (Warning): the engine client could not be
	// built, for example because the ProviderConfig or its credentials
	// cannot be read.
	EventReasonCannotConnect = "CannotConnectToProvider"
	// EventReasonCannotBuildSpec (Warning): spec.forProvider could not be
	// turned into the engine's spec, because a referenced Secret cannot be
	// read or the spec is invalid.
	EventReasonCannotBuildSpec = "CannotBuildSpec"
	// EventReasonCannotObserve (Warning): the engine's Observe failed.
	EventReasonCannotObserve = "CannotObserveExternalResource"
	// EventReasonCannotCreate (Warning): the engine's Create failed, or the
	// external resource is missing and managementPolicies do not allow
	// creating it.
	EventReasonCannotCreate = "CannotCreateExternalResource"
	// EventReasonCannotUpdate (Warning): the engine's Update failed.
	EventReasonCannotUpdate = "CannotUpdateExternalResource"
	// EventReasonCannotDelete (Warning): the engine's Delete failed.
	EventReasonCannotDelete = "CannotDeleteExternalResource"
	// EventReasonCannotAct (Warning): an action the resource requests (such
	// as a replication run) could not be performed or followed.
	EventReasonCannotAct = "CannotActOnExternalResource"
	// EventReasonCannotPublishConnectionDetails (Warning): the Secret named
	// by spec.writeConnectionSecretToRef could not be written or deleted.
	EventReasonCannotPublishConnectionDetails = "CannotPublishConnectionDetails"
	// EventReasonCreated (Normal): the engine's Create succeeded.
	EventReasonCreated = "CreatedExternalResource"
	// EventReasonUpdated (Normal): the engine's Update succeeded.
	EventReasonUpdated = "UpdatedExternalResource"
	// EventReasonDeleted (Normal): the engine's Delete succeeded (deletion
	// may take several steps).
	EventReasonDeleted = "DeletedExternalResource"
	// EventReasonReconcileError (Warning): the managed resource itself
	// cannot be reconciled, for example because its managementPolicies do
	// not include Observe.
	EventReasonReconcileError = "ReconcileError"
	// EventReasonSyncSucceeded (Normal): a GitOps kind (ApplicationDeployment,
	// HelmRelease) is Synced and Healthy at its committed revision; recorded
	// once per revision, and sent as sync_succeeded to spec.forProvider.notify.
	EventReasonSyncSucceeded = "SyncSucceeded"
	// EventReasonSyncFailed (Warning): a GitOps kind's sync failed; recorded
	// once per revision and failure, and sent as sync_failed to
	// spec.forProvider.notify.
	EventReasonSyncFailed = "SyncFailed"
	// EventReasonCannotSendNotification (Warning): a notice could not be
	// delivered to every channel of spec.forProvider.notify (a channel that
	// does not exist, a receiver that kept failing); it is not sent again.
	EventReasonCannotSendNotification = "CannotSendNotification"
)
