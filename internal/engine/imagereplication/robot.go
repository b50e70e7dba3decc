package imagereplication

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// robotPrefix starts the name of every robot account this client makes in
// a remote Harbor; the rest is the site whose Harbor uses it.
const robotPrefix = "mc-replication-"

// robotName is the name (before Harbor's "robot$" prefix) of the robot
// account the Harbor of site local uses to reach a remote Harbor.
func robotName(local string) string { return robotPrefix + local }

// Robot permissions, as Harbor names them (src/common/rbac/const.go).
var (
	// pullAccess reads and pulls what the remote Harbor holds: the
	// repositories, artifacts and tags its adapter lists, and the pulls
	// themselves.
	pullAccess = []harbor.RobotAccess{
		{Resource: "repository", Action: "list"}, {Resource: "repository", Action: "pull"},
		{Resource: "artifact", Action: "read"}, {Resource: "artifact", Action: "list"},
		{Resource: "tag", Action: "list"},
	}
	// pushAccess pushes into the remote Harbor (a push reads what is there
	// first).
	pushAccess = append(slices.Clone(pullAccess), harbor.RobotAccess{Resource: "repository", Action: "push"})
	// deletionAccess replicates deletions to the remote Harbor.
	deletionAccess = []harbor.RobotAccess{{Resource: "artifact", Action: "delete"}, {Resource: "tag", Action: "delete"}}
	// projectCreateAccess lets a push create the destination projects that
	// do not exist yet, as Harbor's adapter does before every push
	// (PrepareForPush in src/pkg/reg/adapter/harbor/base/adapter.go lists
	// them, then creates the missing ones).
	projectCreateAccess = []harbor.RobotAccess{{Resource: "project", Action: "list"}, {Resource: "project", Action: "create"}}
)

// systemPermissionsSince is the first Harbor version whose system robot
// accounts may hold system permissions (such as project creation) beside
// project ones: before v2.10 a robot with any system permission lost its
// project permissions (src/common/security/robot/context.go, Can), and
// Harbor did not check the accesses it was given.
var systemPermissionsSince = [2]int{2, 10}

// robotPermissions returns the least the remote Harbor's robot needs for
// the policies pols using registry endpoint regID: read and pull of the
// source projects of pull policies; push (and, with replicated deletions,
// delete) on the destination projects of push policies, plus project
// creation when the Harbor allows it to a robot (withSystem). Projects are
// named where the policy names them (its destination namespace, or the
// first component of its name filter, "a" or "{a,b}"), else every project
// ("*").
func robotPermissions(pols []harbor.ReplicationPolicy, regID int64, withSystem bool) []harbor.RobotPermission {
	byProject := map[string][]harbor.RobotAccess{}
	add := func(projects []string, acc []harbor.RobotAccess) {
		for _, p := range projects {
			for _, a := range acc {
				if !slices.Contains(byProject[p], a) {
					byProject[p] = append(byProject[p], a)
				}
			}
		}
	}
	push := false
	for _, p := range pols {
		switch {
		case p.SrcRegistry != nil && p.SrcRegistry.ID == regID:
			add(sourceProjects(p), pullAccess)
		case p.DestRegistry != nil && p.DestRegistry.ID == regID:
			push = true
			dest := sourceProjects(p)
			if p.DestNamespace != "" {
				dest = []string{strings.SplitN(p.DestNamespace, "/", 2)[0]}
			}
			add(dest, pushAccess)
			if p.Deletion {
				add(dest, deletionAccess)
			}
		}
	}
	if all, ok := byProject["*"]; ok {
		// Every project is covered: fold the named ones in.
		for name, acc := range byProject {
			if name != "*" {
				for _, a := range acc {
					if !slices.Contains(all, a) {
						all = append(all, a)
					}
				}
				delete(byProject, name)
			}
		}
		byProject["*"] = all
	}
	var out []harbor.RobotPermission
	for _, name := range slices.Sorted(maps.Keys(byProject)) {
		acc := byProject[name]
		sortAccess(acc)
		out = append(out, harbor.RobotPermission{Kind: "project", Namespace: name, Access: acc})
	}
	if push && withSystem {
		acc := slices.Clone(projectCreateAccess)
		sortAccess(acc)
		out = append(out, harbor.RobotPermission{Kind: "system", Namespace: "/", Access: acc})
	}
	return out
}

func sortAccess(acc []harbor.RobotAccess) {
	slices.SortFunc(acc, func(a, b harbor.RobotAccess) int {
		if c := strings.Compare(a.Resource, b.Resource); c != 0 {
			return c
		}
		return strings.Compare(a.Action, b.Action)
	})
}

// sourceProjects returns the projects a policy's name filter selects:
// the first path component when it names projects ("a", "{a,b}"), else
// "*", every project.
func sourceProjects(p harbor.ReplicationPolicy) []string {
	pattern := ""
	for _, f := range p.Filters {
		if f.Type == harbor.FilterName && (f.Decoration == "" || f.Decoration == "matches") {
			pattern, _ = f.Value.(string)
		}
	}
	first := strings.SplitN(pattern, "/", 2)[0]
	if first == "" {
		return []string{"*"}
	}
	if strings.HasPrefix(first, "{") && strings.HasSuffix(first, "}") {
		names := strings.Split(strings.TrimSuffix(strings.TrimPrefix(first, "{"), "}"), ",")
		for i, n := range names {
			names[i] = strings.TrimSpace(n)
			if names[i] == "" || strings.ContainsAny(names[i], "*?[]{}\\") {
				return []string{"*"}
			}
		}
		return names
	}
	if strings.ContainsAny(first, "*?[]{}\\") {
		return []string{"*"}
	}
	return []string{first}
}

// samePermissions reports whether a and b grant the same accesses.
func samePermissions(a, b []harbor.RobotPermission) bool {
	norm := func(ps []harbor.RobotPermission) map[string][]string {
		out := map[string][]string{}
		for _, p := range ps {
			key := p.Kind + ":" + p.Namespace
			for _, a := range p.Access {
				if a.Effect == "" || a.Effect == "allow" {
					out[key] = append(out[key], a.Resource+":"+a.Action)
				}
			}
			slices.Sort(out[key])
			out[key] = slices.Compact(out[key])
		}
		return out
	}
	na, nb := norm(a), norm(b)
	if len(na) != len(nb) {
		return false
	}
	for k, v := range na {
		if !slices.Equal(v, nb[k]) {
			return false
		}
	}
	return true
}

// atLeast reports whether Harbor version v ("v2.14.1-abc123") is at least
// min; an unreadable version counts as recent.
func atLeast(v string, min [2]int) bool {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 3)
	if len(parts) < 2 {
		return true
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.FieldsFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })[0])
	if err1 != nil || err2 != nil {
		return true
	}
	return major > min[0] || (major == min[0] && minor >= min[1])
}

// robot is the robot account of a remote Harbor that an endpoint uses.
type robot struct {
	// Name is the full name, such as robot$mc-replication-site-a.
	Name string
	id   int64
	// created is true when this call made it; fresh is its secret then.
	created bool
	fresh   harbor.Secret
	hc      *harbor.Client
	site    string
	c       *Client
}

// secret returns a secret of the robot: the one Harbor gave it at create,
// else a new one set with a refresh, which makes the old one useless.
func (r *robot) secret(ctx context.Context) (harbor.Secret, error) {
	if r.fresh != "" {
		return r.fresh, nil
	}
	s := harbor.NewRobotSecret()
	if err := r.hc.RefreshRobotSecret(ctx, r.id, s); err != nil {
		return "", r.c.explainAuth(ctx, r.hc, r.site, fmt.Errorf("cannot refresh the secret of robot account %q in the Harbor of site %q: %w", r.Name, r.site, err))
	}
	r.fresh = s
	return s, nil
}

// undo deletes the robot when this call made it, after the endpoint that
// was to use it could not be made.
func (r *robot) undo(ctx context.Context) {
	if r.created {
		_ = r.hc.DeleteRobot(ctx, r.id)
	}
}

// findRobot returns the system robot account named name (before Harbor's
// prefix) in hc, or nil.
func findRobot(ctx context.Context, hc *harbor.Client, name string) (*harbor.Robot, error) {
	robots, err := hc.ListRobots(ctx, "Level=system")
	if err != nil {
		return nil, err
	}
	for i, r := range robots {
		if r.Name == name || strings.HasSuffix(r.Name, "$"+name) {
			return &robots[i], nil
		}
	}
	return nil, nil
}

// ensureRobot makes the system robot account named name in the Harbor of
// site remote, or gives the existing one the permissions pols need. It
// uses the remote site's own credentials, which must be allowed to manage
// robot accounts.
func (c *Client) ensureRobot(ctx context.Context, remote *registry.Record, name string, pols []harbor.ReplicationPolicy, reg *harbor.Registry) (*robot, error) {
	site := remote.Spec.Name
	hc, err := c.sites.Harbor(remote)
	if err != nil {
		return nil, err
	}
	version, err := c.sites.HarborVersion(ctx, *remote.Spec.Harbor)
	if err != nil {
		if harbor.StatusCode(err) == 0 {
			return nil, fmt.Errorf("cannot reach the Harbor of site %q at %s: %w", site, remote.Spec.Harbor.URL, err)
		}
		return nil, c.explainAuth(ctx, hc, site, fmt.Errorf("cannot read the version of the Harbor of site %q: %w", site, err))
	}
	regID := int64(-1)
	if reg != nil {
		regID = reg.ID
	}
	withSystem := atLeast(version, systemPermissionsSince)
	perms := robotPermissions(pols, regID, withSystem)
	if !withSystem {
		// The robot cannot create the destination projects a push needs:
		// make the named ones now, with the site's own credentials.
		if err := ensureProjects(ctx, hc, site, pushProjects(perms)); err != nil {
			return nil, c.explainAuth(ctx, hc, site, err)
		}
	}
	description := "Replication robot of terraform-provider-mc: the registry endpoint of another site's Harbor uses it"
	existing, err := findRobot(ctx, hc, name)
	if err != nil {
		return nil, c.explainAuth(ctx, hc, site, fmt.Errorf("cannot list the robot accounts of the Harbor of site %q: %w", site, err))
	}
	if existing == nil {
		made, err := hc.CreateRobot(ctx, harbor.RobotCreate{
			Name: name, Description: description, Level: harbor.RobotLevelSystem, Duration: -1, Permissions: perms,
		})
		if harbor.IsConflict(err) {
			return c.ensureRobot(ctx, remote, name, pols, reg)
		}
		if err != nil {
			return nil, c.explainAuth(ctx, hc, site, fmt.Errorf("cannot create robot account %q in the Harbor of site %q: %w", name, site, err))
		}
		return &robot{Name: made.Name, id: made.ID, created: true, fresh: made.Secret, hc: hc, site: site, c: c}, nil
	}
	if !samePermissions(existing.Permissions, perms) || existing.Disable {
		// Harbor compares the name with the robot's full name, prefix
		// included (src/server/v2.0/handler/robot.go, updateV2Robot).
		err := hc.UpdateRobot(ctx, existing.ID, harbor.RobotUpdate{
			Name: existing.Name, Description: description, Level: harbor.RobotLevelSystem, Duration: existing.Duration, Permissions: perms,
		})
		if err != nil {
			return nil, c.explainAuth(ctx, hc, site, fmt.Errorf("cannot update the permissions of robot account %q in the Harbor of site %q: %w", existing.Name, site, err))
		}
	}
	return &robot{Name: existing.Name, id: existing.ID, hc: hc, site: site, c: c}, nil
}

// deleteRobot removes the robot account the Harbor of site local used to
// reach the Harbor of site remote, once no endpoint uses it.
func (c *Client) deleteRobot(ctx context.Context, remote, local string) error {
	rec, err := c.sites.Lookup(ctx, remote)
	if err != nil || rec.Spec.Harbor == nil {
		return nil //nolint:nilerr // the site is gone: so is what could be cleaned up
	}
	hc, err := c.sites.Harbor(rec)
	if err != nil {
		return nil //nolint:nilerr // as above
	}
	rb, err := findRobot(ctx, hc, robotName(local))
	if err != nil || rb == nil {
		return nil //nolint:nilerr // a robot that cannot be listed is left behind
	}
	if err := hc.DeleteRobot(ctx, rb.ID); err != nil && !harbor.IsNotFound(err) {
		return fmt.Errorf("cannot delete robot account %q in the Harbor of site %q: %w", rb.Name, remote, err)
	}
	return nil
}

// pushProjects returns the named projects perms may push to ("*" left out).
func pushProjects(perms []harbor.RobotPermission) []string {
	var out []string
	for _, p := range perms {
		if p.Kind == "project" && p.Namespace != "*" && slices.Contains(p.Access, harbor.RobotAccess{Resource: "repository", Action: "push"}) {
			out = append(out, p.Namespace)
		}
	}
	return out
}

// ensureProjects makes the projects of names that do not exist in hc, the
// Harbor of site; a 409 means another apply made it meanwhile.
func ensureProjects(ctx context.Context, hc *harbor.Client, site string, names []string) error {
	for _, name := range names {
		exists, err := hc.ProjectExists(ctx, name)
		if err != nil {
			return fmt.Errorf("cannot check project %q in the Harbor of site %q: %w", name, site, err)
		}
		if exists {
			continue
		}
		if _, err := hc.CreateProject(ctx, harbor.ProjectReq{ProjectName: name}); err != nil && !harbor.IsConflict(err) {
			return fmt.Errorf("cannot create the destination project %q in the Harbor of site %q, which is older than v2.10 "+
				"and so cannot let the replication robot create it: %w", name, site, err)
		}
	}
	return nil
}
