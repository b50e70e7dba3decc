package imagereplication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Client implements engine.Client for image replications.
type Client struct {
	sites *registry.Registry
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a client that finds sites, and connects to their Harbors,
// through the registry sites.
func New(sites *registry.Registry) *Client {
	return &Client{sites: sites}
}

// siteHarbor returns the Harbor client and record of site name. A site
// that is not registered or has no Harbor is a *engine.DependencyError:
// it never means that a replication is gone.
func (c *Client) siteHarbor(ctx context.Context, name string) (*harbor.Client, *registry.Record, error) {
	rec, err := c.sites.Require(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	hc, err := c.sites.Harbor(rec)
	if err != nil {
		return nil, nil, err
	}
	return hc, rec, nil
}

// Observe finds the policy by name in the Harbor of the site that runs it.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	runsOn, name, err := ParseID(id)
	if err != nil {
		return obs, engine.InvalidInput("id", "%v", err)
	}
	hc, _, err := c.siteHarbor(ctx, runsOn)
	if err != nil {
		return obs, err
	}
	pol, err := findPolicy(ctx, hc, name)
	if err != nil || pol == nil {
		return obs, err
	}
	actual, reg, remote, err := c.specFromPolicy(ctx, hc, runsOn, *pol)
	if err != nil {
		return obs, err
	}
	obs.Exists, obs.Ready, obs.Actual = true, true, actual
	obs.Status = Status{RunsOn: runsOn, PolicyID: pol.ID}
	if reg != nil {
		obs.Status.RegistryID, obs.Status.RegistryName = reg.ID, reg.Name
		if reg.Credential != nil && strings.Contains(reg.Credential.AccessKey, "$"+robotPrefix) {
			obs.Status.Robot = reg.Credential.AccessKey
		}
		obs.Status.CredentialsCurrent = c.credentialsCurrent(ctx, *reg, remote)
	}
	obs.UpToDate = Equal(want, actual) && (want.Name == "" || obs.Status.CredentialsCurrent)
	execs, err := hc.ListReplicationExecutions(ctx, pol.ID)
	if err != nil {
		return obs, fmt.Errorf("cannot list executions of replication %q: %w", name, err)
	}
	if len(execs) > 0 {
		newest := slices.MaxFunc(execs, func(a, b harbor.ReplicationExecution) int { return int(a.ID - b.ID) })
		e, err := execution(ctx, hc, newest)
		if err != nil {
			return obs, err
		}
		obs.Status.LastExecution = &e
	}
	return obs, nil
}

func findPolicy(ctx context.Context, hc *harbor.Client, name string) (*harbor.ReplicationPolicy, error) {
	pols, err := hc.ListReplicationPolicies(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("cannot list replication policies: %w", err)
	}
	for i := range pols {
		if pols[i].Name == name {
			// The list may omit details; read the policy itself.
			p, err := hc.GetReplicationPolicy(ctx, pols[i].ID)
			if harbor.IsNotFound(err) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("cannot get replication policy %q: %w", name, err)
			}
			return p, nil
		}
	}
	return nil, nil
}

// specFromPolicy turns a Harbor policy into a spec; the remote site is the
// one whose Harbor URL the policy's registry endpoint points at. It also
// returns the endpoint (nil when the policy names none that exists) and
// the remote site's name ("" when no site has that Harbor).
func (c *Client) specFromPolicy(ctx context.Context, hc *harbor.Client, runsOn string, p harbor.ReplicationPolicy) (Spec, *harbor.Registry, string, error) {
	s := Spec{Name: p.Name, DestinationNamespace: p.DestNamespace, Override: p.Override, Enabled: p.Enabled, Trigger: Trigger{Type: TriggerManual}}
	s.Settings = Settings{
		Speed: new(int32(0)), CopyByChunk: new(false), SingleActiveReplication: new(false), Deletion: new(p.Deletion),
		DestinationNamespaceReplaceCount: new(int8(-1)),
	}
	if p.Speed != nil {
		*s.Settings.Speed = max(*p.Speed, 0)
	}
	if p.CopyByChunk != nil {
		*s.Settings.CopyByChunk = *p.CopyByChunk
	}
	if p.SingleActiveReplication != nil {
		*s.Settings.SingleActiveReplication = *p.SingleActiveReplication
	}
	if p.DestNamespaceReplaceCount != nil {
		*s.Settings.DestinationNamespaceReplaceCount = *p.DestNamespaceReplaceCount
	}
	reg := p.SrcRegistry
	s.Direction = DirectionPull
	if reg == nil || reg.ID == 0 {
		reg, s.Direction = p.DestRegistry, DirectionPush
	}
	var full *harbor.Registry
	remote, matched := "", ""
	if reg != nil && reg.ID != 0 {
		var err error
		full, err = hc.GetRegistry(ctx, reg.ID)
		if err != nil && !harbor.IsNotFound(err) {
			return s, nil, "", fmt.Errorf("cannot get registry endpoint %d: %w", reg.ID, err)
		}
		if full != nil {
			s.EndpointInsecure = full.Insecure
			matched, err = c.siteByHarborURL(ctx, full.URL, strings.TrimPrefix(full.Name, registryPrefix))
			if err != nil {
				return s, nil, "", err
			}
			remote = matched
			if remote == "" {
				remote = strings.TrimPrefix(full.Name, registryPrefix)
			}
		}
	}
	if s.Direction == DirectionPull {
		s.SourceSite, s.DestinationSite = remote, runsOn
	} else {
		s.SourceSite, s.DestinationSite = runsOn, remote
	}
	if t := p.Trigger; t != nil {
		s.Trigger.Type = t.Type
		if t.Settings != nil {
			s.Trigger.Cron = t.Settings.Cron
		}
	}
	for _, f := range p.Filters {
		switch f.Type {
		case harbor.FilterName:
			s.Filters.Name, _ = f.Value.(string)
		case harbor.FilterTag:
			s.Filters.Tag, _ = f.Value.(string)
		case harbor.FilterResource:
			s.Filters.ResourceType, _ = f.Value.(string)
		case harbor.FilterLabel:
			switch v := f.Value.(type) {
			case []string:
				s.Filters.Labels = v
			case []any:
				for _, l := range v {
					if str, ok := l.(string); ok {
						s.Filters.Labels = append(s.Filters.Labels, str)
					}
				}
			}
		}
	}
	return s, full, matched, nil
}

// credentialsCurrent reports whether endpoint reg was last given a robot
// secret under the credentials the record of site remote holds now.
func (c *Client) credentialsCurrent(ctx context.Context, reg harbor.Registry, remote string) bool {
	if remote == "" {
		return true // no site to compare with: nothing to rotate from
	}
	rec, err := c.sites.Lookup(ctx, remote)
	if err != nil || rec.Spec.Harbor == nil {
		return true
	}
	return endpointFingerprint(reg.Description) == credentialsFingerprint(*rec.Spec.Harbor)
}

// siteByHarborURL returns the site whose Harbor is at u, trying the site
// the endpoint is named after first so that a read costs one lookup, not
// one per site; "" when no site has that Harbor.
func (c *Client) siteByHarborURL(ctx context.Context, u, hint string) (string, error) {
	sameURL := func(name string) bool {
		rec, err := c.sites.Lookup(ctx, name)
		return err == nil && rec.Spec.Harbor != nil && strings.TrimSuffix(rec.Spec.Harbor.URL, "/") == strings.TrimSuffix(u, "/")
	}
	if hint != "" && sameURL(hint) {
		return hint, nil
	}
	names, err := c.sites.List(ctx)
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if n != hint && sameURL(n) {
			return n, nil
		}
	}
	return "", nil
}

// Create makes (or adopts) the registry endpoint and the policy.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := c.apply(ctx, want); err != nil {
		return "", err
	}
	return want.ID(), nil
}

// Update brings the policy to want; its name, its sites and its direction
// cannot change (see refuseImmutableChanges).
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	if err := Validate(want); err != nil {
		return err
	}
	if err := c.refuseImmutableChanges(ctx, id, want); err != nil {
		return err
	}
	return c.apply(ctx, want)
}

func (c *Client) apply(ctx context.Context, want Spec) error {
	if err := Validate(want); err != nil {
		return err
	}
	hc, _, err := c.siteHarbor(ctx, want.RunsOn())
	if err != nil {
		return err
	}
	_, remote, err := c.siteHarbor(ctx, want.RemoteSite())
	if err != nil {
		return err
	}
	cur, err := findPolicy(ctx, hc, want.Name)
	if err != nil {
		return c.explainAuth(ctx, hc, want.RunsOn(), err)
	}
	pol := policy(want, cur)
	ep, err := c.ensureEndpoint(ctx, hc, want.RunsOn(), remote, pol, want.EndpointInsecure)
	if err != nil {
		return err
	}
	if want.Direction == DirectionPush {
		pol.DestRegistry = harbor.RegistryRef(ep.ID)
	} else {
		pol.SrcRegistry = harbor.RegistryRef(ep.ID)
	}
	if cur == nil {
		_, err = hc.CreateReplicationPolicy(ctx, pol)
		if harbor.IsConflict(err) {
			// A retried create whose first answer was lost: adopt it.
			if cur, err = findPolicy(ctx, hc, want.Name); err == nil && cur == nil {
				err = fmt.Errorf("replication policy %q conflicts but cannot be found", want.Name)
			}
			if err != nil {
				return err
			}
		} else if err != nil {
			if ep.Created {
				// Leave nothing behind: the endpoint (and its robot) were
				// made for this policy only.
				if derr := hc.DeleteRegistry(ctx, ep.ID); derr == nil {
					_ = c.deleteRobot(ctx, want.RemoteSite(), want.RunsOn())
				}
			}
			return harborInputError(err, "cannot create replication policy %q", want.Name)
		}
	}
	if cur != nil {
		if err := hc.UpdateReplicationPolicy(ctx, cur.ID, pol); err != nil {
			return harborInputError(err, "cannot update replication policy %q", want.Name)
		}
	}
	return nil
}

// harborInputError turns Harbor's 400 answers into invalid input: Harbor
// says what it rejects (a filter pattern, a cron) in its message.
func harborInputError(err error, format string, args ...any) error {
	if harbor.IsBadRequest(err) {
		var he *harbor.Error
		msg := err.Error()
		if errors.As(err, &he) {
			msg = he.Message()
		}
		return engine.InvalidInput("", "Harbor rejected the replication: %s", msg)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// policy is the policy body for s. Harbor's PUT replaces the whole policy
// (a field left out is reset: the replace count to -1, the speed to
// unlimited, ...), so the settings s leaves unset (nil) carry cur's values;
// on create they are left to Harbor's defaults. The registry endpoint is
// marked on the side it belongs to, with id 0 until it is known.
func policy(s Spec, cur *harbor.ReplicationPolicy) harbor.ReplicationPolicy {
	p := harbor.ReplicationPolicy{
		Name:          s.Name,
		Description:   fmt.Sprintf("Managed by terraform-provider-mc: %s → %s", s.SourceSite, s.DestinationSite),
		DestNamespace: s.DestinationNamespace,
		Override:      s.Override,
		Enabled:       s.Enabled,
		Trigger:       &harbor.ReplicationTrigger{Type: s.Trigger.Type},
	}
	if cur != nil {
		p.Speed, p.CopyByChunk, p.SingleActiveReplication = cur.Speed, cur.CopyByChunk, cur.SingleActiveReplication
		p.DestNamespaceReplaceCount, p.Deletion = cur.DestNamespaceReplaceCount, cur.Deletion
	}
	st := s.Settings
	if st.Speed != nil {
		p.Speed = new(*st.Speed)
	}
	if st.CopyByChunk != nil {
		p.CopyByChunk = new(*st.CopyByChunk)
	}
	if st.SingleActiveReplication != nil {
		p.SingleActiveReplication = new(*st.SingleActiveReplication)
	}
	if st.DestinationNamespaceReplaceCount != nil {
		p.DestNamespaceReplaceCount = new(*st.DestinationNamespaceReplaceCount)
	}
	if st.Deletion != nil {
		p.Deletion = *st.Deletion
	}
	if s.Trigger.Type == TriggerScheduled {
		p.Trigger.Settings = &harbor.TriggerSettings{Cron: s.Trigger.Cron}
	}
	if s.Direction == DirectionPush {
		p.DestRegistry = harbor.RegistryRef(0)
	} else {
		p.SrcRegistry = harbor.RegistryRef(0)
	}
	if s.Filters.Name != "" {
		p.Filters = append(p.Filters, harbor.ReplicationFilter{Type: harbor.FilterName, Value: s.Filters.Name})
	}
	if s.Filters.Tag != "" {
		p.Filters = append(p.Filters, harbor.ReplicationFilter{Type: harbor.FilterTag, Value: s.Filters.Tag})
	}
	if len(s.Filters.Labels) > 0 {
		p.Filters = append(p.Filters, harbor.ReplicationFilter{Type: harbor.FilterLabel, Value: s.Filters.Labels})
	}
	if s.Filters.ResourceType != "" {
		p.Filters = append(p.Filters, harbor.ReplicationFilter{Type: harbor.FilterResource, Value: s.Filters.ResourceType})
	}
	return p
}

// stopWait bounds how long Delete waits for the executions it stopped to
// stop, before it tries the delete anyway (and is called again).
const stopWait = time.Minute

// Delete removes the policy and, when no other policy uses it, the
// registry endpoint this client made for it and its robot account in the
// remote Harbor. Harbor refuses (412) to delete a policy while one of its
// executions runs, and an execution can stay InProgress for good (a known
// Harbor failure), so the running executions are stopped first and waited
// for.
func (c *Client) Delete(ctx context.Context, id string) error {
	runsOn, name, err := ParseID(id)
	if err != nil {
		return err
	}
	hc, _, err := c.siteHarbor(ctx, runsOn)
	if err != nil {
		return err
	}
	pol, err := findPolicy(ctx, hc, name)
	if err != nil || pol == nil {
		return err
	}
	if err := stopExecutions(ctx, hc, pol.ID, name); err != nil {
		return err
	}
	if err := hc.DeleteReplicationPolicy(ctx, pol.ID); err != nil && !harbor.IsNotFound(err) {
		if harbor.IsPreconditionFailed(err) {
			return fmt.Errorf("cannot delete replication policy %q while an execution runs (stopped, not yet stopping): %w", name, err)
		}
		return fmt.Errorf("cannot delete replication policy %q: %w", name, err)
	}
	reg := pol.SrcRegistry
	if reg == nil || reg.ID == 0 {
		reg = pol.DestRegistry
	}
	if reg == nil || reg.ID == 0 {
		return nil
	}
	full, err := hc.GetRegistry(ctx, reg.ID)
	if harbor.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot get registry endpoint %d: %w", reg.ID, err)
	}
	if !strings.HasPrefix(full.Name, registryPrefix) {
		return nil // not ours
	}
	others, err := policiesUsing(ctx, hc, reg.ID, name)
	if err != nil {
		return err
	}
	remote, err := c.siteByHarborURL(ctx, full.URL, strings.TrimPrefix(full.Name, registryPrefix))
	if err != nil {
		return err
	}
	ours := full.Credential != nil && strings.Contains(full.Credential.AccessKey, "$"+robotName(runsOn))
	if len(others) > 0 {
		if ours && remote != "" {
			// The robot keeps only what the remaining policies need.
			if rec, err := c.sites.Lookup(ctx, remote); err == nil && rec.Spec.Harbor != nil {
				if _, err := c.ensureRobot(ctx, rec, robotName(runsOn), others, full); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := hc.DeleteRegistry(ctx, reg.ID); err != nil && !harbor.IsNotFound(err) && !harbor.IsPreconditionFailed(err) {
		return fmt.Errorf("cannot delete registry endpoint %q: %w", full.Name, err)
	}
	if ours && remote != "" {
		return c.deleteRobot(ctx, remote, runsOn)
	}
	return nil
}

// stopExecutions stops the executions of policy policyID that have not
// finished (PUT /replication/executions/{id}) and waits, at most stopWait,
// until they have.
func stopExecutions(ctx context.Context, hc *harbor.Client, policyID int64, name string) error {
	running := func(ctx context.Context) ([]harbor.ReplicationExecution, error) {
		execs, err := hc.ListReplicationExecutions(ctx, policyID)
		if err != nil {
			return nil, fmt.Errorf("cannot list executions of replication %q: %w", name, err)
		}
		return slices.DeleteFunc(execs, harbor.ReplicationExecution.Done), nil
	}
	execs, err := running(ctx)
	if err != nil || len(execs) == 0 {
		return err
	}
	for _, e := range execs {
		if err := hc.StopReplication(ctx, e.ID); err != nil && !harbor.IsNotFound(err) {
			return fmt.Errorf("cannot stop execution %d of replication %q: %w", e.ID, name, err)
		}
	}
	_, err = engine.Wait(ctx, func(ctx context.Context) (engine.Observation[struct{}, struct{}], error) {
		left, err := running(ctx)
		return engine.Observation[struct{}, struct{}]{Exists: true, Ready: len(left) == 0, Message: fmt.Sprintf("%d executions still running", len(left))}, err
	}, engine.WaitOptions{Timeout: stopWait, MinInterval: 200 * time.Millisecond, MaxInterval: 2 * time.Second})
	if engine.IsTimeout(err) {
		return nil // the delete answers 412, and Delete is called again
	}
	return err
}

// Run starts an execution of the policy, or returns the one already in
// progress so that a retried run never starts a second copy.
func (c *Client) Run(ctx context.Context, id string) (int64, error) {
	runsOn, name, err := ParseID(id)
	if err != nil {
		return 0, err
	}
	hc, _, err := c.siteHarbor(ctx, runsOn)
	if err != nil {
		return 0, err
	}
	pol, err := findPolicy(ctx, hc, name)
	if err != nil {
		return 0, err
	}
	if pol == nil {
		return 0, fmt.Errorf("replication %q: %w", id, engine.ErrNotFound)
	}
	execs, err := hc.ListReplicationExecutions(ctx, pol.ID)
	if err != nil {
		return 0, fmt.Errorf("cannot list executions of replication %q: %w", name, err)
	}
	var last int64 // the newest execution before this run's start
	for _, e := range execs {
		if !e.Done() {
			return e.ID, nil
		}
		last = max(last, e.ID)
	}
	// Starting an execution is not idempotent: the client must not retry
	// it on its own, for an answer lost after Harbor started the execution
	// would start a second one. Each failed start is followed by a look at
	// the executions, adopting one that started meanwhile.
	for attempt := 0; ; attempt++ {
		execID, err := hc.StartReplication(httpclient.WithoutRetry(ctx), pol.ID)
		if err == nil {
			return execID, nil
		}
		if attempt == startAttempts-1 {
			return 0, fmt.Errorf("cannot start replication %q: %w", name, err)
		}
		execs, lerr := hc.ListReplicationExecutions(ctx, pol.ID)
		if lerr != nil {
			return 0, fmt.Errorf("cannot start replication %q: %w", name, err)
		}
		for _, e := range execs {
			if e.ID > last {
				return e.ID, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("cannot start replication %q: %w", name, err)
		case <-time.After(httpclient.Backoff(200*time.Millisecond, 5*time.Second, attempt, nil)):
		}
	}
}

// ExecutionPollInterval is the longest interval at which WaitExecution
// asks Harbor about an execution: Harbor has no watch, and a GET of one
// execution is cheap, so a done execution is seen within about a second.
const ExecutionPollInterval = time.Second

// WaitExecution waits until execution execID of replication id is done and
// returns it; a failed execution is a terminal error with the failing
// task's log. It polls every 250ms at first, backing off to
// ExecutionPollInterval.
func (c *Client) WaitExecution(ctx context.Context, id string, execID int64, timeout time.Duration) (Execution, error) {
	return engine.WaitRun(ctx, func(ctx context.Context) (Execution, error) {
		return c.Execution(ctx, id, execID)
	}, Execution.Progress, engine.WaitOptions{Timeout: timeout, MinInterval: 250 * time.Millisecond, MaxInterval: ExecutionPollInterval})
}

// startAttempts bounds the attempts to start an execution.
const startAttempts = 6

// Execution reports execution execID of replication id.
func (c *Client) Execution(ctx context.Context, id string, execID int64) (Execution, error) {
	runsOn, _, err := ParseID(id)
	if err != nil {
		return Execution{}, err
	}
	hc, _, err := c.siteHarbor(ctx, runsOn)
	if err != nil {
		return Execution{}, err
	}
	e, err := hc.GetReplicationExecution(ctx, execID)
	if err != nil {
		return Execution{}, fmt.Errorf("cannot get replication execution %d: %w", execID, err)
	}
	return execution(ctx, hc, *e)
}

// execution converts e, with the first failing task's log for a failure.
func execution(ctx context.Context, hc *harbor.Client, e harbor.ReplicationExecution) (Execution, error) {
	out := Execution{ID: e.ID, Status: e.Status, Succeeded: e.Succeed, Failed: e.Failed, InProgress: e.InProgress, Total: e.Total, Message: e.StatusText}
	if e.Status != harbor.StatusFailed {
		return out, nil
	}
	tasks, err := hc.ListReplicationTasks(ctx, e.ID)
	if err != nil {
		return out, nil //nolint:nilerr // the failure itself is what matters
	}
	for _, t := range tasks {
		if t.Status != harbor.StatusFailed {
			continue
		}
		log, err := hc.GetReplicationTaskLog(ctx, e.ID, t.ID)
		if err == nil && strings.TrimSpace(log) != "" {
			out.Message = fmt.Sprintf("%s: %s", t.SrcResource, lastLine(log))
		}
		break
	}
	return out, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Equal compares two specs; a zero want (import) equals anything.
func Equal(want, actual Spec) bool {
	if want.Name == "" {
		return true
	}
	return want.Name == actual.Name && want.SourceSite == actual.SourceSite && want.DestinationSite == actual.DestinationSite &&
		want.Direction == actual.Direction && want.Filters.Name == actual.Filters.Name && want.Filters.Tag == actual.Filters.Tag &&
		slices.Equal(want.Filters.Labels, actual.Filters.Labels) && want.Filters.ResourceType == actual.Filters.ResourceType &&
		want.Trigger == actual.Trigger && want.DestinationNamespace == actual.DestinationNamespace &&
		want.Override == actual.Override && want.Enabled == actual.Enabled && want.EndpointInsecure == actual.EndpointInsecure &&
		settingsEqual(want.Settings, actual.Settings)
}

// settingsEqual compares the settings want manages (the non-nil ones).
func settingsEqual(want, actual Settings) bool {
	return sameIfSet(want.Speed, actual.Speed) && sameIfSet(want.CopyByChunk, actual.CopyByChunk) &&
		sameIfSet(want.SingleActiveReplication, actual.SingleActiveReplication) && sameIfSet(want.Deletion, actual.Deletion) &&
		sameIfSet(want.DestinationNamespaceReplaceCount, actual.DestinationNamespaceReplaceCount)
}

func sameIfSet[T comparable](want, actual *T) bool {
	return want == nil || (actual != nil && *want == *actual)
}
