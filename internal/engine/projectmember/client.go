package projectmember

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Client implements engine.Client for project members.
type Client struct {
	// project reads a project's record; a missing record is a
	// *engine.DependencyError.
	project func(ctx context.Context, key string) (*Project, error)
	// parts returns the parts of member s of project p, in the order they
	// are granted.
	parts func(ctx context.Context, p *Project, s Spec) ([]part, error)
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// Observe reads the member's grant in every part of its project. The member
// exists while any part grants it something; it is up to date when every
// part grants exactly the words its role maps onto. A member removed
// outside in one system is therefore not up to date, and its actual role is
// "", so that both front-ends grant it back.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	s, err := ParseID(id)
	if err != nil {
		return obs, engine.InvalidInput("id", "%v", err)
	}
	_, parts, err := c.resolve(ctx, s)
	if err != nil {
		return obs, err
	}
	obs.Status.Grants = map[string]string{}
	roles := map[string]bool{}
	var missing []string
	for _, p := range parts {
		word, err := p.get(ctx)
		if err != nil {
			return obs, fmt.Errorf("cannot read the grant of %s in %s: %w", s.Member(), SystemName(p.key()), err)
		}
		if word == "" {
			obs.Status.Grants[p.key()] = GrantNone
			missing = append(missing, SystemName(p.key()))
			roles[""] = true
			continue
		}
		obs.Status.Grants[p.key()] = word
		obs.Exists = true
		roles[roleOf(p.key(), word)] = true
	}
	actual := s
	if len(roles) == 1 {
		for r := range roles {
			actual.Role = r
		}
	}
	obs.Actual, obs.Ready = actual, obs.Exists
	obs.UpToDate = want.Project == "" || (actual.Role != "" && actual.Role == want.Role && actual.ID() == want.ID())
	if len(missing) > 0 && obs.Exists {
		obs.Message = fmt.Sprintf("%s has no grant in %s", s.Member(), strings.Join(missing, ", "))
	}
	return obs, nil
}

// resolve reads the project record of s and returns the member's parts.
func (c *Client) resolve(ctx context.Context, s Spec) (*Project, []part, error) {
	p, err := c.project(ctx, s.Project)
	if err != nil {
		return nil, nil, err
	}
	parts, err := c.parts(ctx, p, s)
	if err != nil {
		return nil, nil, err
	}
	return p, parts, nil
}

// prepare validates want against its project and checks every part before
// anything changes: an unknown member or a missing side of the project in
// any system fails here, naming the system, and nothing is granted.
func (c *Client) prepare(ctx context.Context, want Spec) ([]part, error) {
	if err := Validate(want); err != nil {
		return nil, err
	}
	p, parts, err := c.resolve(ctx, want)
	if err != nil {
		return nil, err
	}
	if err := ValidateWithProject(want, p); err != nil {
		return nil, err
	}
	var errs []error
	for _, pt := range parts {
		if err := pt.check(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return parts, nil
}

// Create checks every part first and then grants the member its role in
// each, in order. When a grant fails, the grants this create made are
// rolled back (a grant the member had before is put back as it was), so
// that nothing is left half-granted. A member that already has the role
// somewhere is adopted there.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	parts, err := c.prepare(ctx, want)
	if err != nil {
		return "", err
	}
	type change struct {
		part part
		prev string
	}
	var done []change
	for _, p := range parts {
		word := native(p.key(), want.Role)
		prev, err := p.get(ctx)
		if err == nil && prev == word {
			continue
		}
		if err == nil {
			err = p.set(ctx, word)
		}
		if err != nil {
			failed := fmt.Errorf("cannot grant %s the role %s (%s) in %s: %w", want.Member(), want.Role, word, SystemName(p.key()), err)
			var undone, left []string
			var rollbackErrs []error
			for i := len(done) - 1; i >= 0; i-- {
				ch := done[i]
				var rerr error
				if ch.prev == "" {
					rerr = ch.part.revoke(ctx)
				} else {
					rerr = ch.part.set(ctx, ch.prev)
				}
				if rerr != nil {
					left = append(left, SystemName(ch.part.key()))
					rollbackErrs = append(rollbackErrs, fmt.Errorf("cannot roll back the grant in %s: %w", SystemName(ch.part.key()), rerr))
					continue
				}
				undone = append(undone, SystemName(ch.part.key()))
			}
			switch {
			case len(left) > 0:
				return "", errors.Join(append([]error{fmt.Errorf("%w; the grants in %s are still in place", failed, strings.Join(left, ", "))}, rollbackErrs...)...)
			case len(undone) > 0:
				return "", fmt.Errorf("%w; rolled back what this create granted in %s", failed, strings.Join(undone, ", "))
			}
			return "", failed
		}
		done = append(done, change{part: p, prev: prev})
	}
	return want.ID(), nil
}

// Update gives the member want's role in every part; the project and the
// identities cannot change (they are in the id). A part where the grant was
// removed outside is granted again.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	cur, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	for _, f := range []struct{ path, from, to string }{
		{"project", cur.Project, want.Project},
		{"account_id", cur.AccountID, want.AccountID},
		{"group", cur.Group, want.Group},
		{"harbor_user", cur.HarborUser, want.HarborUser},
		{"harbor_group", cur.HarborGroup, want.HarborGroup},
	} {
		if f.from != f.to {
			return engine.InvalidInput(f.path, "cannot change %s from %q to %q in place: that is another member", f.path, f.from, f.to)
		}
	}
	parts, err := c.prepare(ctx, want)
	if err != nil {
		return err
	}
	for _, p := range parts {
		word := native(p.key(), want.Role)
		prev, err := p.get(ctx)
		if err == nil && prev == word {
			continue
		}
		if err == nil {
			err = p.set(ctx, word)
		}
		if err != nil {
			return fmt.Errorf("cannot grant %s the role %s (%s) in %s: %w", want.Member(), want.Role, word, SystemName(p.key()), err)
		}
	}
	return nil
}

// Delete removes the member's grant from every part; other members are
// left alone. A part that is already gone counts as removed.
func (c *Client) Delete(ctx context.Context, id string) error {
	s, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	_, parts, err := c.resolve(ctx, s)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range parts {
		if err := p.revoke(ctx); err != nil {
			errs = append(errs, fmt.Errorf("cannot remove %s from %s: %w", s.Member(), SystemName(p.key()), err))
		}
	}
	return errors.Join(errs...)
}
