package projectmember

// Mapping is what one role of a member means in each system of a project.
// The table, written once here, is also the documented one:
//
//	| role      | Bitbucket project permission | Jira project role | Harbor project role | Argo CD AppProject role |
//	|-----------|------------------------------|-------------------|---------------------|-------------------------|
//	| admin     | admin                        | Administrators    | projectAdmin (1)    | admin                   |
//	| developer | write                        | Developers        | developer (2)       | developer               |
//	| viewer    | read                         | Viewers           | guest (3)           | viewer                  |
//
// Jira roles are found by name in each project, since their ids differ per
// site. Argo CD roles take groups only: a user member has no Argo CD part.
type Mapping struct {
	// Role is the member's role.
	Role string
	// BitbucketPermission is the Bitbucket Cloud project permission.
	BitbucketPermission string
	// JiraRole is the name of the Jira project role.
	JiraRole string
	// HarborRole and HarborRoleID are the Harbor project member role.
	HarborRole   string
	HarborRoleID int
	// ArgoCDRole is the name of the role in the project's AppProjects.
	ArgoCDRole string
}

// Mappings is the role table, in the order of Roles.
var Mappings = []Mapping{
	{Role: RoleAdmin, BitbucketPermission: "admin", JiraRole: "Administrators", HarborRole: "projectAdmin", HarborRoleID: 1, ArgoCDRole: "admin"},
	{Role: RoleDeveloper, BitbucketPermission: "write", JiraRole: "Developers", HarborRole: "developer", HarborRoleID: 2, ArgoCDRole: "developer"},
	{Role: RoleViewer, BitbucketPermission: "read", JiraRole: "Viewers", HarborRole: "guest", HarborRoleID: 3, ArgoCDRole: "viewer"},
}

// MappingOf returns the mapping of role; ok is false for an unknown role.
func MappingOf(role string) (m Mapping, ok bool) {
	for _, m := range Mappings {
		if m.Role == role {
			return m, true
		}
	}
	return Mapping{}, false
}

// native returns the word of system for role: the Bitbucket permission,
// the Jira role name, the Harbor role name or the Argo CD role name; ""
// for an unknown role or system.
func native(system, role string) string {
	m, ok := MappingOf(role)
	if !ok {
		return ""
	}
	switch systemOf(system) {
	case SystemBitbucket:
		return m.BitbucketPermission
	case SystemJira:
		return m.JiraRole
	case SystemHarbor:
		return m.HarborRole
	case SystemArgoCD:
		return m.ArgoCDRole
	}
	return ""
}

// roleOf returns the role whose word in system is word; "" when no role
// maps onto it (a Bitbucket create-repo permission, a Harbor maintainer).
func roleOf(system, word string) string {
	for _, m := range Mappings {
		if native(system, m.Role) == word {
			return m.Role
		}
	}
	return ""
}

// systemOf returns the system of a part key: "argocd" for "argocd/site-b".
func systemOf(part string) string {
	if len(part) > len(SystemArgoCD) && part[:len(SystemArgoCD)+1] == SystemArgoCD+"/" {
		return SystemArgoCD
	}
	return part
}

// SystemName names a part for people: "Bitbucket", "Jira", "Harbor" or
// "Argo CD at site site-b".
func SystemName(part string) string {
	switch systemOf(part) {
	case SystemBitbucket:
		return "Bitbucket"
	case SystemJira:
		return "Jira"
	case SystemHarbor:
		return "Harbor"
	case SystemArgoCD:
		return "Argo CD at site " + part[len(SystemArgoCD)+1:]
	}
	return part
}
