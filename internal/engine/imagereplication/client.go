package imagereplication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// registryPrefix starts the name of every registry endpoint this client
// makes; the rest is the remote site's name.
const registryPrefix = "site-"

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
	actual, regID, err := c.specFromPolicy(ctx, hc, runsOn, *pol)
	if err != nil {
		return obs, err
	}
	obs.Exists, obs.Ready, obs.Actual = true, true, actual
	obs.UpToDate = Equal(want, actual)
	obs.Status = Status{RunsOn: runsOn, PolicyID: pol.ID, RegistryID: regID}
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
// one whose Harbor URL the policy's registry endpoint points at.
func (c *Client) specFromPolicy(ctx context.Context, hc *harbor.Client, runsOn string, p harbor.ReplicationPolicy) (Spec, int64, error) {
	s := Spec{Name: p.Name, DestinationNamespace: p.DestNamespace, Override: p.Override, Enabled: p.Enabled, Trigger: Trigger{Type: TriggerManual}}
	reg := p.SrcRegistry
	s.Direction = DirectionPull
	if reg == nil || reg.ID == 0 {
		reg, s.Direction = p.DestRegistry, DirectionPush
	}
	var regID int64
	remote := ""
	if reg != nil && reg.ID != 0 {
		regID = reg.ID
		full, err := hc.GetRegistry(ctx, reg.ID)
		if err != nil && !harbor.IsNotFound(err) {
			return s, 0, fmt.Errorf("cannot get registry endpoint %d: %w", reg.ID, err)
		}
		if full != nil {
			remote, err = c.siteByHarborURL(ctx, full.URL, strings.TrimPrefix(full.Name, registryPrefix))
			if err != nil {
				return s, 0, err
			}
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
	return s, regID, nil
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
	regID, err := ensureRegistry(ctx, hc, want.RemoteSite(), *remote.Spec.Harbor)
	if err != nil {
		return err
	}
	pol := policy(want, regID)
	cur, err := findPolicy(ctx, hc, want.Name)
	if err != nil {
		return err
	}
	if cur == nil {
		_, err = hc.CreateReplicationPolicy(ctx, pol)
		if harbor.IsConflict(err) {
			// A retried create whose first answer was lost: adopt it.
			if cur, err = findPolicy(ctx, hc, want.Name); err == nil && cur == nil {
				err = fmt.Errorf("replication policy %q conflicts but cannot be found", want.Name)
			}
		} else if err != nil {
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

func policy(s Spec, regID int64) harbor.ReplicationPolicy {
	p := harbor.ReplicationPolicy{
		Name:          s.Name,
		Description:   fmt.Sprintf("Managed by terraform-provider-mc: %s → %s", s.SourceSite, s.DestinationSite),
		DestNamespace: s.DestinationNamespace,
		Override:      s.Override,
		Enabled:       s.Enabled,
		Trigger:       &harbor.ReplicationTrigger{Type: s.Trigger.Type},
	}
	if s.Trigger.Type == TriggerScheduled {
		p.Trigger.Settings = &harbor.TriggerSettings{Cron: s.Trigger.Cron}
	}
	if s.Direction == DirectionPush {
		p.DestRegistry = harbor.RegistryRef(regID)
	} else {
		p.SrcRegistry = harbor.RegistryRef(regID)
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

// ensureRegistry returns the endpoint pointing at the remote Harbor: one
// that already has its URL and user is reused, else "site-<remote>" is made
// or brought up to date.
func ensureRegistry(ctx context.Context, hc *harbor.Client, remoteSite string, remote registry.Harbor) (int64, error) {
	regs, err := hc.ListRegistries(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("cannot list registry endpoints: %w", err)
	}
	url := strings.TrimSuffix(remote.URL, "/")
	name := registryPrefix + remoteSite
	var named *harbor.Registry
	for i, r := range regs {
		if strings.TrimSuffix(r.URL, "/") == url && r.Credential != nil && r.Credential.AccessKey == remote.Username {
			return r.ID, nil
		}
		if r.Name == name {
			named = &regs[i]
		}
	}
	credType, insecure := "basic", remote.Insecure
	if named != nil {
		err := hc.UpdateRegistry(ctx, named.ID, harbor.RegistryUpdate{
			URL: &url, CredentialType: &credType, AccessKey: &remote.Username, AccessSecret: &remote.Password, Insecure: &insecure,
		})
		if err != nil {
			return 0, fmt.Errorf("cannot update registry endpoint %q: %w", name, err)
		}
		return named.ID, nil
	}
	id, err := hc.CreateRegistry(ctx, harbor.Registry{
		Name: name, URL: url, Type: "harbor", Insecure: insecure,
		Description: "Harbor of site " + remoteSite + ", managed by terraform-provider-mc",
		Credential:  &harbor.RegistryCredential{Type: credType, AccessKey: remote.Username, AccessSecret: remote.Password},
	})
	if harbor.IsConflict(err) {
		return ensureRegistry(ctx, hc, remoteSite, remote)
	}
	if err != nil {
		return 0, fmt.Errorf("cannot create registry endpoint %q: %w", name, err)
	}
	return id, nil
}

// Delete removes the policy and, when no other policy uses it, the
// registry endpoint this client made for it.
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
	if err := hc.DeleteReplicationPolicy(ctx, pol.ID); err != nil && !harbor.IsNotFound(err) {
		if harbor.IsPreconditionFailed(err) {
			return fmt.Errorf("cannot delete replication policy %q while an execution runs: %w", name, err)
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
	others, err := hc.ListReplicationPolicies(ctx, "")
	if err != nil {
		return fmt.Errorf("cannot list replication policies: %w", err)
	}
	for _, p := range others {
		if (p.SrcRegistry != nil && p.SrcRegistry.ID == reg.ID) || (p.DestRegistry != nil && p.DestRegistry.ID == reg.ID) {
			return nil
		}
	}
	if err := hc.DeleteRegistry(ctx, reg.ID); err != nil && !harbor.IsNotFound(err) && !harbor.IsPreconditionFailed(err) {
		return fmt.Errorf("cannot delete registry endpoint %q: %w", full.Name, err)
	}
	return nil
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
	for _, e := range execs {
		if !e.Done() {
			return e.ID, nil
		}
	}
	execID, err := hc.StartReplication(ctx, pol.ID)
	if err != nil {
		return 0, fmt.Errorf("cannot start replication %q: %w", name, err)
	}
	return execID, nil
}

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
		want.Override == actual.Override && want.Enabled == actual.Enabled
}
