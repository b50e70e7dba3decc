package applicationdeployment

import (
	"context"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// NoticeKind is the Kind of this kind's notices.
const NoticeKind = "mc_application_deployment"

var _ engine.Notifier[Spec, Status] = (*Client)(nil)

// Notice words the end of a wait for the deployment: sync_succeeded at the
// yaml repository's commit, or sync_failed with the reason.
func (c *Client) Notice(id string, want Spec, obs engine.Observation[Spec, Status], waitErr error) (notify.Notice, bool) {
	site := want.Site
	if site == "" {
		site, _, _, _ = ParseID(id)
	}
	st := obs.Status
	return gitops.SyncNotice(NoticeKind, id, site, st.YAMLCommit, waitErr, map[string]string{
		"image": want.Image.Reference(), "application": st.ArgoCDNamespace + "/" + st.ApplicationName,
		"sync_status": st.SyncStatus, "health_status": st.HealthStatus, "gitops_commit": st.GitOpsCommit,
	})
}

// Notify sends n to the channels want.Notify names.
func (c *Client) Notify(ctx context.Context, want Spec, n notify.Notice) error {
	if len(want.Notify) == 0 {
		return nil
	}
	return notificationchannel.Send(ctx, c.reg, want.Notify, n)
}
