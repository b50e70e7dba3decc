package jira

// Project types (projectTypeKey).
const (
	ProjectTypeSoftware    = "software"
	ProjectTypeBusiness    = "business"
	ProjectTypeServiceDesk = "service_desk"
)

// Project statuses for ProjectSearch.Status.
const (
	ProjectStatusLive     = "live"
	ProjectStatusArchived = "archived"
	ProjectStatusDeleted  = "deleted" // in the trash
)

// Role actor types.
const (
	ActorTypeUser  = "atlassian-user-role-actor"
	ActorTypeGroup = "atlassian-group-role-actor"
)

// Project is a Jira project as GET /project/{projectIdOrKey} and the
// project search return it (the fields the provider reads).
type Project struct {
	Self           string `json:"self,omitempty"`
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	Lead           *User  `json:"lead,omitempty"`
	ProjectTypeKey string `json:"projectTypeKey,omitempty"`
	// Style is "classic" (company-managed) or "next-gen" (team-managed).
	Style        string `json:"style,omitempty"`
	Simplified   bool   `json:"simplified,omitempty"`
	URL          string `json:"url,omitempty"`
	AssigneeType string `json:"assigneeType,omitempty"`
	IsPrivate    bool   `json:"isPrivate,omitempty"`
	// Roles maps each role's name to its URL in this project.
	Roles map[string]string `json:"roles,omitempty"`
	// Deleted is true for a project in the trash; DeletedDate and
	// RetentionTillDate (when it is deleted for good) are Jira's
	// timestamps as it writes them.
	Deleted           bool   `json:"deleted,omitempty"`
	DeletedDate       string `json:"deletedDate,omitempty"`
	RetentionTillDate string `json:"retentionTillDate,omitempty"`
	DeletedBy         *User  `json:"deletedBy,omitempty"`
	Archived          bool   `json:"archived,omitempty"`
}

// LeadAccountID returns the lead's account id, or "".
func (p *Project) LeadAccountID() string {
	if p.Lead == nil {
		return ""
	}
	return p.Lead.AccountID
}

// ProjectIdentifiers is the answer of a project create.
type ProjectIdentifiers struct {
	Self string `json:"self"`
	ID   int64  `json:"id"`
	Key  string `json:"key"`
}

// CreateProject is the body of POST /project. Key, Name and LeadAccountID
// are required; ProjectTypeKey or ProjectTemplateKey (whose type must match
// ProjectTypeKey) too.
type CreateProject struct {
	Key                string `json:"key"`
	Name               string `json:"name"`
	Description        string `json:"description,omitempty"`
	LeadAccountID      string `json:"leadAccountId,omitempty"`
	ProjectTypeKey     string `json:"projectTypeKey,omitempty"`
	ProjectTemplateKey string `json:"projectTemplateKey,omitempty"`
	// AssigneeType is PROJECT_LEAD or UNASSIGNED.
	AssigneeType string `json:"assigneeType,omitempty"`
	URL          string `json:"url,omitempty"`
}

// UpdateProject is the body of PUT /project/{projectIdOrKey}: only the set
// fields change. A new Key keeps the old one working as an alias, as Jira
// does.
type UpdateProject struct {
	Key           *string `json:"key,omitempty"`
	Name          *string `json:"name,omitempty"`
	Description   *string `json:"description,omitempty"`
	LeadAccountID *string `json:"leadAccountId,omitempty"`
	AssigneeType  *string `json:"assigneeType,omitempty"`
	URL           *string `json:"url,omitempty"`
}

// ProjectSearch filters SearchProjects (GET /project/search). Zero fields
// do not filter.
type ProjectSearch struct {
	// Keys are exact project keys (at most 50).
	Keys []string
	// Query matches keys and names, case-insensitively.
	Query string
	// TypeKey is a project type.
	TypeKey string
	// Status is ProjectStatusLive (Jira's default), ProjectStatusArchived or
	// ProjectStatusDeleted; several may be given.
	Status []string
	// Expand is Jira's expand list, e.g. "description,lead".
	Expand string
}

// ProjectRole is a role with its actors in one project.
type ProjectRole struct {
	Self        string      `json:"self,omitempty"`
	Name        string      `json:"name"`
	ID          int64       `json:"id"`
	Description string      `json:"description,omitempty"`
	Actors      []RoleActor `json:"actors,omitempty"`
}

// HasUser reports whether the account is an actor of the role.
func (r *ProjectRole) HasUser(accountID string) bool {
	for _, a := range r.Actors {
		if a.ActorUser != nil && a.ActorUser.AccountID == accountID {
			return true
		}
	}
	return false
}

// HasGroup reports whether the group, by name or by id, is an actor of the
// role.
func (r *ProjectRole) HasGroup(nameOrID string) bool {
	for _, a := range r.Actors {
		if a.ActorGroup != nil && (a.ActorGroup.Name == nameOrID || (a.ActorGroup.GroupID != "" && a.ActorGroup.GroupID == nameOrID)) {
			return true
		}
	}
	return false
}

// Has reports whether the actor is in the role.
func (r *ProjectRole) Has(a Actor) bool {
	switch {
	case a.AccountID != "":
		return r.HasUser(a.AccountID)
	case a.GroupID != "":
		return r.HasGroup(a.GroupID)
	default:
		return r.HasGroup(a.GroupName)
	}
}

// RoleActor is one user or group in a role.
type RoleActor struct {
	ID          int64           `json:"id,omitempty"`
	DisplayName string          `json:"displayName,omitempty"`
	Type        string          `json:"type"`
	ActorUser   *RoleActorUser  `json:"actorUser,omitempty"`
	ActorGroup  *RoleActorGroup `json:"actorGroup,omitempty"`
	AvatarURL   string          `json:"avatarUrl,omitempty"`
}

// RoleActorUser names the user of a user actor.
type RoleActorUser struct {
	AccountID string `json:"accountId"`
}

// RoleActorGroup names the group of a group actor.
type RoleActorGroup struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	GroupID     string `json:"groupId,omitempty"`
}

// RoleActors are users and groups to add to a role. Groups go by name or by
// id (Jira takes one or the other in a request).
type RoleActors struct {
	AccountIDs []string
	GroupNames []string
	GroupIDs   []string
}

// Actor is one user or group to remove from a role: exactly one field set.
type Actor struct {
	AccountID string
	GroupName string
	GroupID   string
}

// String names the actor for messages.
func (a Actor) String() string {
	switch {
	case a.AccountID != "":
		return "user " + a.AccountID
	case a.GroupID != "":
		return "group id " + a.GroupID
	default:
		return "group " + a.GroupName
	}
}

// User is an Atlassian account as Jira shows it. EmailAddress may be empty
// (profile visibility).
type User struct {
	Self         string `json:"self,omitempty"`
	AccountID    string `json:"accountId"`
	AccountType  string `json:"accountType,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
	Active       bool   `json:"active"`
	TimeZone     string `json:"timeZone,omitempty"`
}

// Group is a Jira group.
type Group struct {
	Name    string `json:"name"`
	GroupID string `json:"groupId,omitempty"`
}

// page is Jira's PageBean: one page of an offset-paginated list.
type page[T any] struct {
	Self       string `json:"self,omitempty"`
	NextPage   string `json:"nextPage,omitempty"`
	MaxResults int    `json:"maxResults"`
	StartAt    int64  `json:"startAt"`
	Total      int64  `json:"total"`
	IsLast     bool   `json:"isLast"`
	Values     []T    `json:"values"`
}
