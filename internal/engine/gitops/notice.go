package gitops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/notify"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// SyncNotice words the end of a GitOps kind's wait as a notice: the event
// is sync_succeeded when waitErr is nil and sync_failed otherwise (a failed
// sync, a timeout, a status that cannot be read). kind is the kind's name
// (such as mc_helm_release), id the resource's id and revision the commit
// it waited for; the notice's ID is the same for the same outcome at the
// same revision. ok is false when the wait was cancelled: nobody is told
// about an apply that was interrupted.
func SyncNotice(kind, id, site, revision string, waitErr error, fields map[string]string) (n notify.Notice, ok bool) {
	if errors.Is(waitErr, context.Canceled) {
		return notify.Notice{}, false
	}
	event, message := notify.EventSyncSucceeded, "Synced and Healthy"
	if revision != "" {
		message += " at " + shortRevision(revision)
	}
	if waitErr != nil {
		event, message = notify.EventSyncFailed, redact.Text(waitErr.Error())
	}
	all := map[string]string{}
	for k, v := range fields {
		if v != "" {
			all[k] = v
		}
	}
	if revision != "" {
		all["revision"] = revision
	}
	return notify.Notice{
		ID:    notify.DeliveryID(kind, id, event, revision, errorKey(waitErr)),
		Event: event, Kind: kind, Name: id, Site: site, Message: message, Fields: all,
		Time: time.Now().UTC(),
	}, true
}

// errorKey tells apart failures of one revision that differ in kind, so
// that a timeout followed by a failed sync are two notices.
func errorKey(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf("%T", errors.Unwrap(err)) + fmt.Sprintf("%T", err)
}

func shortRevision(r string) string {
	if len(r) == 40 {
		return r[:12]
	}
	return r
}
