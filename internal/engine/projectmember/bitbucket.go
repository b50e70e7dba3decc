package projectmember

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// bitbucketPart is a member's explicit permission on the project's
// Bitbucket Cloud project: a user permission for an account, a group
// permission for a group.
type bitbucketPart struct {
	client    func(ctx context.Context) (bitbucket.Client, error)
	workspace string
	project   string
	member    Member
}

func (p *bitbucketPart) key() string { return SystemBitbucket }

// GroupSlug is the slug Bitbucket gives a group named name, which the
// permission paths take: lower case, with every run of characters other
// than letters, digits and '_' made one '-', and no '-' at either end.
func GroupSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// check verifies that the Bitbucket project exists and, for a user, that
// the account does. Bitbucket Cloud's API 2.0 has no group look-up: an
// unknown group is found by Jira's check (groups are Atlassian groups,
// shared by both) or, without Jira, when it is granted.
func (p *bitbucketPart) check(ctx context.Context) error {
	bc, err := p.client(ctx)
	if err != nil {
		return err
	}
	if _, err := bc.GetProject(ctx, p.workspace, p.project); err != nil {
		if bitbucket.IsNotFound(err) {
			return fmt.Errorf("bitbucket workspace %q has no project %q: apply the project first", p.workspace, p.project)
		}
		return fmt.Errorf("cannot check the Bitbucket project %q: %w", p.project, err)
	}
	if p.member.IsGroup() {
		return nil
	}
	if _, err := bc.GetUser(ctx, p.member.AccountID); err != nil {
		if bitbucket.IsNotFound(err) {
			return engine.InvalidInput("account_id", "Bitbucket has no account %q", p.member.AccountID)
		}
		return fmt.Errorf("cannot check the Bitbucket account %q: %w", p.member.AccountID, err)
	}
	return nil
}

func (p *bitbucketPart) get(ctx context.Context) (string, error) {
	bc, err := p.client(ctx)
	if err != nil {
		return "", err
	}
	var perm bitbucket.Permission
	if p.member.IsGroup() {
		gp, gerr := bc.GetProjectGroupPermission(ctx, p.workspace, p.project, GroupSlug(p.member.Group))
		if gp != nil {
			perm = gp.Permission
		}
		err = gerr
	} else {
		up, uerr := bc.GetProjectUserPermission(ctx, p.workspace, p.project, p.member.AccountID)
		if up != nil {
			perm = up.Permission
		}
		err = uerr
	}
	if bitbucket.IsNotFound(err) || perm == bitbucket.PermissionNone {
		return "", nil
	}
	return string(perm), err
}

func (p *bitbucketPart) set(ctx context.Context, word string) error {
	perm := bitbucket.Permission(word)
	if !perm.Valid() {
		return fmt.Errorf("%q is not a Bitbucket project permission", word)
	}
	bc, err := p.client(ctx)
	if err != nil {
		return err
	}
	if p.member.IsGroup() {
		_, err = bc.PutProjectGroupPermission(ctx, p.workspace, p.project, GroupSlug(p.member.Group), perm)
		if bitbucket.IsNotFound(err) && p.projectExists(ctx, bc) {
			return engine.InvalidInput("group", "Bitbucket workspace %q has no group %q (slug %q): %s", p.workspace, p.member.Group, GroupSlug(p.member.Group), bitbucketMessage(err))
		}
		return err
	}
	_, err = bc.PutProjectUserPermission(ctx, p.workspace, p.project, p.member.AccountID, perm)
	if bitbucket.IsNotFound(err) && p.projectExists(ctx, bc) {
		return engine.InvalidInput("account_id", "Bitbucket has no account %q: %s", p.member.AccountID, bitbucketMessage(err))
	}
	return err
}

// projectExists tells a missing project apart from a missing member after
// a 404, which Bitbucket answers for both.
func (p *bitbucketPart) projectExists(ctx context.Context, bc bitbucket.Client) bool {
	_, err := bc.GetProject(ctx, p.workspace, p.project)
	return err == nil
}

func (p *bitbucketPart) revoke(ctx context.Context) error {
	bc, err := p.client(ctx)
	if err != nil {
		return err
	}
	if p.member.IsGroup() {
		err = bc.DeleteProjectGroupPermission(ctx, p.workspace, p.project, GroupSlug(p.member.Group))
	} else {
		err = bc.DeleteProjectUserPermission(ctx, p.workspace, p.project, p.member.AccountID)
	}
	if bitbucket.IsNotFound(err) {
		return nil
	}
	return err
}

// bitbucketMessage is Bitbucket's own message in err.
func bitbucketMessage(err error) string {
	var be *bitbucket.Error
	if errors.As(err, &be) && len(be.Messages()) > 0 {
		return strings.Join(be.Messages(), "; ")
	}
	return err.Error()
}
