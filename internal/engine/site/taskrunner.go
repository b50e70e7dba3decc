package site

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// taskRunnersTTL is how long the runner Leases of one management cluster
// are trusted: one LIST serves the reads of every site on it for that long,
// so that reading many sites costs no request per site. A runner renews
// its Lease every 5 s and holds it 15 s, so availability is as fresh as the
// Lease itself.
const taskRunnersTTL = 10 * time.Second

// taskRunnerCache keeps the runner Leases of each management cluster for
// taskRunnersTTL. Reads that find no fresh entry at once share one LIST.
type taskRunnerCache struct {
	mu      sync.Mutex
	entries map[string]taskRunnerEntry // by management cluster host
	lists   singleflight.Group         // by management cluster host
}

type taskRunnerEntry struct {
	at      time.Time
	runners map[string]kube.TaskRunnerInfo
}

// get reports site's task runner on the management cluster m. A Lease that
// cannot be read reports no runner: the site's other facts still stand.
func (c *taskRunnerCache) get(ctx context.Context, m *registry.Management, site string) TaskRunner {
	c.mu.Lock()
	e, ok := c.entries[m.Host]
	c.mu.Unlock()
	if !ok || time.Since(e.at) > taskRunnersTTL {
		v, err, _ := c.lists.Do(m.Host, func() (any, error) {
			runners, err := kube.ListTaskRunners(ctx, m.Core, tasksv1alpha1.DefaultNamespace)
			if err != nil {
				return nil, err
			}
			e := taskRunnerEntry{at: time.Now(), runners: runners}
			c.mu.Lock()
			if c.entries == nil {
				c.entries = map[string]taskRunnerEntry{}
			}
			c.entries[m.Host] = e
			c.mu.Unlock()
			return e, nil
		})
		if err != nil {
			return TaskRunner{}
		}
		e = v.(taskRunnerEntry)
	}
	info := e.runners[site]
	// The Lease may have expired since it was listed.
	available := info.Available && time.Since(info.RenewTime) < taskRunnersTTL+15*time.Second
	return TaskRunner{Available: available, Identity: info.Identity, Executors: info.Executors, Version: info.Version}
}
