package projectmember

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// jiraPart is a member's place among the actors of the project's Jira
// project roles that the table maps (Administrators, Developers, Viewers),
// which are found by name: their ids differ per site. Other roles, and the
// other actors of these, are left alone.
type jiraPart struct {
	client  func(ctx context.Context) (jira.Client, error)
	project string
	member  Member
}

func (p *jiraPart) key() string { return SystemJira }

func (p *jiraPart) actor() jira.Actor {
	if p.member.IsGroup() {
		return jira.Actor{GroupName: p.member.Group}
	}
	return jira.Actor{AccountID: p.member.AccountID}
}

// roles returns the ids of the mapped roles of the project, by name; a
// project without one of them is an error naming it.
func (p *jiraPart) roles(ctx context.Context, jc jira.Client) (map[string]int64, error) {
	all, err := jc.ListProjectRoles(ctx, p.project)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var missing []string
	for _, m := range Mappings {
		id, ok := all[m.JiraRole]
		if !ok {
			missing = append(missing, m.JiraRole)
			continue
		}
		out[m.JiraRole] = id
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("jira project %q has no role %s: give the project's permission scheme these roles", p.project, strings.Join(missing, ", "))
	}
	return out, nil
}

// check verifies that the Jira project has the mapped roles and that the
// account or group exists.
func (p *jiraPart) check(ctx context.Context) error {
	jc, err := p.client(ctx)
	if err != nil {
		return err
	}
	if _, err := p.roles(ctx, jc); err != nil {
		if jira.IsNotFound(err) {
			return fmt.Errorf("jira has no project %q: apply the project first", p.project)
		}
		return fmt.Errorf("cannot check the Jira project %q: %w", p.project, err)
	}
	if p.member.IsGroup() {
		if _, err := jc.FindGroup(ctx, p.member.Group); err != nil {
			if jira.IsNotFound(err) {
				return engine.InvalidInput("group", "Jira has no group %q", p.member.Group)
			}
			return fmt.Errorf("cannot check the Jira group %q: %w", p.member.Group, err)
		}
		return nil
	}
	if _, err := jc.GetUser(ctx, p.member.AccountID); err != nil {
		if jira.IsNotFound(err) {
			return engine.InvalidInput("account_id", "Jira has no account %q", p.member.AccountID)
		}
		return fmt.Errorf("cannot check the Jira account %q: %w", p.member.AccountID, err)
	}
	return nil
}

// get returns the mapped roles the member is an actor of, joined by '+'
// when there are several.
func (p *jiraPart) get(ctx context.Context) (string, error) {
	jc, err := p.client(ctx)
	if err != nil {
		return "", err
	}
	ids, err := p.roles(ctx, jc)
	if jira.IsNotFound(err) {
		return "", nil // the project is gone
	}
	if err != nil {
		return "", err
	}
	var words []string
	for _, m := range Mappings {
		role, err := jc.GetProjectRole(ctx, p.project, ids[m.JiraRole])
		if err != nil {
			return "", fmt.Errorf("cannot read Jira role %s of project %q: %w", m.JiraRole, p.project, err)
		}
		if role.Has(p.actor()) {
			words = append(words, m.JiraRole)
		}
	}
	return strings.Join(words, wordSeparator), nil
}

// set adds the member to the roles of word, then removes it from the other
// mapped roles, so that a role change never leaves it without one.
func (p *jiraPart) set(ctx context.Context, word string) error {
	jc, err := p.client(ctx)
	if err != nil {
		return err
	}
	ids, err := p.roles(ctx, jc)
	if err != nil {
		return err
	}
	want := strings.Split(word, wordSeparator)
	for _, name := range want {
		id, ok := ids[name]
		if !ok {
			return fmt.Errorf("%q is not a Jira role this member can be given", name)
		}
		actors := jira.RoleActors{}
		if p.member.IsGroup() {
			actors.GroupNames = []string{p.member.Group}
		} else {
			actors.AccountIDs = []string{p.member.AccountID}
		}
		if _, err := jc.AddRoleActors(ctx, p.project, id, actors); err != nil {
			if jira.IsNotFound(err) {
				return p.unknownMember(ctx, jc, err)
			}
			return err
		}
	}
	for _, m := range Mappings {
		if slices.Contains(want, m.JiraRole) {
			continue
		}
		if err := jc.RemoveRoleActor(ctx, p.project, ids[m.JiraRole], p.actor()); err != nil && !jira.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// unknownMember turns Jira's 404 on adding an actor into invalid input when
// the project exists, so that it names the member.
func (p *jiraPart) unknownMember(ctx context.Context, jc jira.Client, err error) error {
	if _, perr := jc.GetProject(ctx, p.project); perr != nil {
		return err
	}
	path := "account_id"
	if p.member.IsGroup() {
		path = "group"
	}
	return engine.InvalidInput(path, "Jira does not know %s: %s", p.member, jiraMessage(err))
}

func (p *jiraPart) revoke(ctx context.Context) error {
	jc, err := p.client(ctx)
	if err != nil {
		return err
	}
	ids, err := p.roles(ctx, jc)
	if jira.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, m := range Mappings {
		if err := jc.RemoveRoleActor(ctx, p.project, ids[m.JiraRole], p.actor()); err != nil && !jira.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// jiraMessage is Jira's own message in err.
func jiraMessage(err error) string {
	var je *jira.Error
	if errors.As(err, &je) && je.Message() != "" {
		return je.Message()
	}
	return err.Error()
}
