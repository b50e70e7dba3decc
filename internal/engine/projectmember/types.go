// Package projectmember implements the engine client for one member of a
// project across the project's systems: a Bitbucket project permission, a
// Jira project role actor, a Harbor project member and, for a group, the
// group in an Argo CD AppProject role at each of the project's Argo CD
// sites.
//
// A member is managed member by member: the engine only ever reads and
// changes the grants of its own user or group, never the other members of
// the project (a member added by hand in Jira is left alone). The role
// names map onto each system's own words through one table, Mappings.
//
// The project's parts (Bitbucket workspace, Jira project, Harbor site and
// project, Argo CD sites) come from the project record the project kind
// writes to the registry namespace; a missing record is a
// *engine.DependencyError.
package projectmember

import (
	"fmt"
	"strings"
)

// Roles of a project member.
const (
	RoleAdmin     = "admin"
	RoleDeveloper = "developer"
	RoleViewer    = "viewer"
)

// Roles are the roles of a project member, from the most to the least
// privileged.
var Roles = []string{RoleAdmin, RoleDeveloper, RoleViewer}

// Spec is the desired member, shared by both front-ends.
type Spec struct {
	// Project is the project's key, such as "SHOP".
	Project string
	// AccountID is an Atlassian account id, used by Bitbucket Cloud and
	// Jira Cloud alike. Exactly one of AccountID and Group is set.
	AccountID string
	// Group is an Atlassian group name; in Argo CD it is the name of the
	// group claim bound to the AppProject role.
	Group string
	// Role is RoleAdmin, RoleDeveloper or RoleViewer.
	Role string
	// HarborUser and HarborGroup name the member in Harbor, whose
	// identities are its own; with neither set, Harbor is left alone. At
	// most one is set.
	HarborUser  string
	HarborGroup string
}

// Member is the Atlassian identity of a member: a user or a group.
type Member struct {
	AccountID string
	Group     string
}

// Member returns s's identity.
func (s Spec) Member() Member { return Member{AccountID: s.AccountID, Group: s.Group} }

// IsGroup reports whether the member is a group.
func (m Member) IsGroup() bool { return m.Group != "" }

// String names the member in messages: `account "557058:..."` or `group
// "platform-devs"`.
func (m Member) String() string {
	if m.IsGroup() {
		return fmt.Sprintf("group %q", m.Group)
	}
	return fmt.Sprintf("account %q", m.AccountID)
}

// Status is what the engine reports of a member.
type Status struct {
	// Grants holds, for each part of the project (see the System
	// constants; Argo CD parts are "argocd/<site>"), the member's role
	// there in that system's own words, such as "write" in Bitbucket or
	// "Developers" in Jira; GrantNone when the member has none.
	Grants map[string]string
}

// GrantNone is the grant of a member that a system does not know.
const GrantNone = "none"

// Parts of a project, as the keys of Status.Grants.
const (
	SystemBitbucket = "bitbucket"
	SystemJira      = "jira"
	SystemHarbor    = "harbor"
	// SystemArgoCD is followed by "/<site>".
	SystemArgoCD = "argocd"
)

// Separators of a member's id.
const (
	groupPrefix     = "group:"
	harborSeparator = "#"
	harborUserKey   = "harbor_user="
	harborGroupKey  = "harbor_group="
)

// ID returns the member's id: "<KEY>/<account id>" or "<KEY>/group:<name>",
// followed by "#harbor_user=<name>" or "#harbor_group=<name>" when the
// member has a Harbor identity (Harbor's identities are its own, so the id
// carries it for read, import and delete).
func (s Spec) ID() string {
	id := s.Project + "/"
	if s.Group != "" {
		id += groupPrefix + s.Group
	} else {
		id += s.AccountID
	}
	switch {
	case s.HarborUser != "":
		id += harborSeparator + harborUserKey + s.HarborUser
	case s.HarborGroup != "":
		id += harborSeparator + harborGroupKey + s.HarborGroup
	}
	return id
}

// ParseID reads an id of ID (also the import id): the project key, the
// member and its Harbor identity; the returned spec has no role.
func ParseID(id string) (Spec, error) {
	var s Spec
	key, rest, ok := strings.Cut(id, "/")
	if !ok || key == "" || rest == "" {
		return s, fmt.Errorf("%q is not <KEY>/<account id> or <KEY>/group:<name>", id)
	}
	s.Project = key
	member, harbor, hasHarbor := strings.Cut(rest, harborSeparator)
	if name, isGroup := strings.CutPrefix(member, groupPrefix); isGroup {
		s.Group = name
	} else {
		s.AccountID = member
	}
	if s.AccountID == "" && s.Group == "" {
		return s, fmt.Errorf("%q names no account id or group", id)
	}
	if hasHarbor {
		switch {
		case strings.HasPrefix(harbor, harborUserKey):
			s.HarborUser = strings.TrimPrefix(harbor, harborUserKey)
		case strings.HasPrefix(harbor, harborGroupKey):
			s.HarborGroup = strings.TrimPrefix(harbor, harborGroupKey)
		}
		if s.HarborUser == "" && s.HarborGroup == "" {
			return s, fmt.Errorf("%q: after %q comes harbor_user=<name> or harbor_group=<name>", id, harborSeparator)
		}
	}
	return s, nil
}

// ReplaceFields are the arguments of a member whose change needs a new
// member: the project and the identities name the grants. The role changes
// in place.
var ReplaceFields = []string{"project", "account_id", "group", "harbor_user", "harbor_group"}
