package imagereplication

import (
	"context"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// refuseImmutableChanges returns an *engine.InvalidInputError naming the
// field when want changes what needs a new replication: the policy's name,
// its direction, its source or its destination site. It compares want with
// the policy as observed; for the site the policy's registry endpoint points
// at, a site with the same Harbor as the observed one counts as no change,
// since the policy cannot tell them apart.
func (c *Client) refuseImmutableChanges(ctx context.Context, id string, want Spec) error {
	runsOn, name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	refuse := func(path, from, to string) error {
		return engine.InvalidInput(path, "cannot change replication %q from %q to %q in place: that needs a new replication", id, from, to)
	}
	if want.Name != name {
		return refuse("name", name, want.Name)
	}
	obs, err := c.Observe(ctx, id, Spec{})
	if err != nil {
		return err
	}
	if !obs.Exists {
		// Only the site that runs the policy is known, from the id.
		switch {
		case want.RunsOn() == runsOn:
			return nil
		case want.RemoteSite() == runsOn:
			from := DirectionPush
			if want.Direction == DirectionPush {
				from = DirectionPull
			}
			return refuse("direction", from, want.Direction)
		default:
			return refuse(sitePath(want, want.RunsOn()), runsOn, want.RunsOn())
		}
	}
	cur := obs.Actual
	switch {
	case cur.Direction != want.Direction:
		return refuse("direction", cur.Direction, want.Direction)
	case want.RunsOn() != runsOn:
		return refuse(sitePath(want, want.RunsOn()), runsOn, want.RunsOn())
	case cur.RemoteSite() != want.RemoteSite() && !c.sameHarbor(ctx, cur.RemoteSite(), want.RemoteSite()):
		return refuse(sitePath(want, want.RemoteSite()), cur.RemoteSite(), want.RemoteSite())
	}
	return nil
}

// sameHarbor reports whether sites a and b are both registered with the
// same Harbor URL.
func (c *Client) sameHarbor(ctx context.Context, a, b string) bool {
	url := func(name string) string {
		rec, err := c.sites.Lookup(ctx, name)
		if err != nil || rec.Spec.Harbor == nil {
			return ""
		}
		return strings.TrimSuffix(rec.Spec.Harbor.URL, "/")
	}
	ua := url(a)
	return ua != "" && ua == url(b)
}

// sitePath names the argument that chose site name of s, for errors.
func sitePath(s Spec, name string) string {
	if name == s.SourceSite {
		return "source_site"
	}
	return "destination_site"
}
