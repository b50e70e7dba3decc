package helmrelease

import (
	"context"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// NoticeKind is the Kind of this kind's notices.
const NoticeKind = "mc_helm_release"

var _ engine.Notifier[Spec, Status] = (*Client)(nil)

// Notice words the end of a wait for the release: sync_succeeded at the
// GitOps repository's commit, or sync_failed with the reason.
func (c *Client) Notice(id string, want Spec, obs engine.Observation[Spec, Status], waitErr error) (notify.Notice, bool) {
	site := want.Site
	if site == "" {
		if key, err := ParseID(id); err == nil {
			site = key.Site
		}
	}
	st := obs.Status
	return gitops.SyncNotice(NoticeKind, id, site, st.Commit, waitErr, map[string]string{
		"chart": want.Chart, "version": want.Version, "application": st.Application,
		"sync_status": st.SyncStatus, "health_status": st.HealthStatus, "chart_revision": st.Revision,
	})
}

// Notify sends n to the channels want.Notify names.
func (c *Client) Notify(ctx context.Context, want Spec, n notify.Notice) error {
	if len(want.Notify) == 0 {
		return nil
	}
	return notificationchannel.Send(ctx, c.sites, want.Notify, n)
}
