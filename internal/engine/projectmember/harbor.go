package projectmember

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// harborRoleIDs are Harbor's project member roles by name, the words of
// the Harbor part (Harbor's own names, also those the table does not map).
var harborRoleIDs = map[string]int{
	"projectAdmin": harbor.RoleProjectAdmin,
	"developer":    harbor.RoleDeveloper,
	"guest":        harbor.RoleGuest,
	"maintainer":   harbor.RoleMaintainer,
	"limitedGuest": harbor.RoleLimitedGuest,
}

// harborGroupTypes are Harbor's group types by authentication mode.
var harborGroupTypes = map[string]int{"ldap_auth": 1, "http_auth": 2, "oidc_auth": 3}

// harborPart is a Harbor user's or group's membership of the project's
// Harbor project, at the site the project's harbor block names.
type harborPart struct {
	sites   *registry.Registry
	site    string
	project string
	// user or group names the member in Harbor.
	user, group string
}

func (p *harborPart) key() string { return SystemHarbor }

// entityType is Harbor's member entity type: "u" or "g".
func (p *harborPart) entityType() string {
	if p.group != "" {
		return "g"
	}
	return "u"
}

func (p *harborPart) name() string {
	if p.group != "" {
		return p.group
	}
	return p.user
}

// describe names the member in Harbor for messages.
func (p *harborPart) describe() string {
	if p.group != "" {
		return fmt.Sprintf("Harbor group %q", p.group)
	}
	return fmt.Sprintf("Harbor user %q", p.user)
}

// argument is the member's Harbor argument, for invalid input.
func (p *harborPart) argument() string {
	if p.group != "" {
		return "harbor_group"
	}
	return "harbor_user"
}

func (p *harborPart) client(ctx context.Context) (*harbor.Client, error) {
	rec, err := p.sites.Require(ctx, p.site)
	if err != nil {
		return nil, err
	}
	return p.sites.Harbor(rec)
}

// check verifies that the Harbor project exists. Harbor's API lists users
// only to administrators, so an unknown Harbor user or group is found when
// it is granted, which the Harbor part is first to be: nothing else has
// been granted by then.
func (p *harborPart) check(ctx context.Context) error {
	hc, err := p.client(ctx)
	if err != nil {
		return err
	}
	if _, err := hc.GetProject(ctx, p.project); err != nil {
		if harbor.IsNotFound(err) {
			return fmt.Errorf("harbor at site %q has no project %q: apply the project first", p.site, p.project)
		}
		return fmt.Errorf("cannot check the Harbor project %q at site %q: %w", p.project, p.site, err)
	}
	return nil
}

// find returns the member's membership, nil when there is none (also when
// the Harbor project is gone).
func (p *harborPart) find(ctx context.Context, hc *harbor.Client) (*harbor.ProjectMemberEntity, error) {
	members, err := hc.ListProjectMembers(ctx, p.project, p.name())
	if harbor.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i, m := range members {
		if m.EntityName == p.name() && m.EntityType == p.entityType() {
			return &members[i], nil
		}
	}
	return nil, nil
}

func (p *harborPart) get(ctx context.Context) (string, error) {
	hc, err := p.client(ctx)
	if err != nil {
		return "", err
	}
	m, err := p.find(ctx, hc)
	if err != nil || m == nil {
		return "", err
	}
	if m.RoleName != "" {
		return m.RoleName, nil
	}
	for name, id := range harborRoleIDs {
		if id == m.RoleID {
			return name, nil
		}
	}
	return fmt.Sprintf("role %d", m.RoleID), nil
}

func (p *harborPart) set(ctx context.Context, word string) error {
	roleID, ok := harborRoleIDs[word]
	if !ok {
		return fmt.Errorf("%q is not a Harbor project role", word)
	}
	hc, err := p.client(ctx)
	if err != nil {
		return err
	}
	m, err := p.find(ctx, hc)
	if err != nil {
		return err
	}
	if m == nil {
		body := harbor.ProjectMember{RoleID: roleID}
		if p.group != "" {
			body.MemberGroup = &harbor.UserGroup{GroupName: p.group}
			if info, err := hc.SystemInfo(ctx); err == nil {
				body.MemberGroup.GroupType = harborGroupTypes[info.AuthMode]
			}
		} else {
			body.MemberUser = &harbor.UserEntity{Username: p.user}
		}
		_, err = hc.AddProjectMember(ctx, p.project, body)
		switch {
		case err == nil:
			return nil
		case harbor.IsConflict(err):
			// A retried add whose first answer was lost: update it below.
			if m, err = p.find(ctx, hc); err != nil {
				return err
			}
			if m == nil {
				return fmt.Errorf("%s conflicts in project %q but cannot be found", p.describe(), p.project)
			}
		case harbor.IsNotFound(err) || harbor.IsBadRequest(err):
			if exists, perr := hc.ProjectExists(ctx, p.project); perr == nil && exists {
				return engine.InvalidInput(p.argument(), "Harbor at site %q does not know %s: %v", p.site, p.describe(), harborMessage(err))
			}
			return err
		default:
			return err
		}
	}
	if m.RoleID == roleID {
		return nil
	}
	return hc.UpdateProjectMemberRole(ctx, p.project, m.ID, roleID)
}

func (p *harborPart) revoke(ctx context.Context) error {
	hc, err := p.client(ctx)
	if err != nil {
		return err
	}
	m, err := p.find(ctx, hc)
	if err != nil || m == nil {
		return err
	}
	if err := hc.DeleteProjectMember(ctx, p.project, m.ID); err != nil && !harbor.IsNotFound(err) {
		return err
	}
	return nil
}

// harborMessage is Harbor's own message in err.
func harborMessage(err error) string {
	var he *harbor.Error
	if errors.As(err, &he) {
		return he.Message()
	}
	return err.Error()
}
