package harbor

import "time"

// SystemInfo is the part of GET /systeminfo the provider reads. Anonymous
// callers get fewer fields (no harbor_version).
type SystemInfo struct {
	HarborVersion      string `json:"harbor_version,omitempty"`
	AuthMode           string `json:"auth_mode,omitempty"`
	RegistryURL        string `json:"registry_url,omitempty"`
	ExternalURL        string `json:"external_url,omitempty"`
	ReadOnly           bool   `json:"read_only,omitempty"`
	ProjectCreationRes string `json:"project_creation_restriction,omitempty"`
}

// Health is the answer of GET /health.
type Health struct {
	Status     string            `json:"status"`
	Components []ComponentHealth `json:"components,omitempty"`
}

// ComponentHealth is one component in Health.
type ComponentHealth struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// ProjectReq is the body of project create and update. Metadata values are
// strings, as Harbor stores them ("true", "false", ...).
type ProjectReq struct {
	ProjectName  string            `json:"project_name,omitempty"`
	Public       *bool             `json:"public,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	StorageLimit *int64            `json:"storage_limit,omitempty"`
	RegistryID   *int64            `json:"registry_id,omitempty"`
}

// Project is a Harbor project.
type Project struct {
	ProjectID    int64             `json:"project_id"`
	Name         string            `json:"name"`
	OwnerID      int64             `json:"owner_id,omitempty"`
	OwnerName    string            `json:"owner_name,omitempty"`
	RegistryID   int64             `json:"registry_id,omitempty"`
	RepoCount    int64             `json:"repo_count"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	CreationTime time.Time         `json:"creation_time"`
	UpdateTime   time.Time         `json:"update_time"`
}

// Public reports metadata.public == "true".
func (p Project) Public() bool { return p.Metadata["public"] == "true" }

// ListProjectsOptions filter ListProjects.
type ListProjectsOptions struct {
	// Name is Harbor's name filter (a fuzzy match on the server).
	Name string
	// Q is Harbor's query string, e.g. "name=library" or "name=~lib".
	Q string
	// PageSize is the page size; 0 means DefaultPageSize.
	PageSize int
}

// Member roles of a project.
const (
	RoleProjectAdmin = 1
	RoleDeveloper    = 2
	RoleGuest        = 3
	RoleMaintainer   = 4
	RoleLimitedGuest = 5
)

// UserEntity names a user member.
type UserEntity struct {
	UserID   int64  `json:"user_id,omitempty"`
	Username string `json:"username,omitempty"`
}

// UserGroup names a group member.
type UserGroup struct {
	ID          int64  `json:"id,omitempty"`
	GroupName   string `json:"group_name,omitempty"`
	GroupType   int    `json:"group_type,omitempty"`
	LDAPGroupDN string `json:"ldap_group_dn,omitempty"`
}

// ProjectMember is the body of member creation: a user or a group with a role.
type ProjectMember struct {
	RoleID      int         `json:"role_id"`
	MemberUser  *UserEntity `json:"member_user,omitempty"`
	MemberGroup *UserGroup  `json:"member_group,omitempty"`
}

// ProjectMemberEntity is a member as Harbor lists it; EntityType is "u" for
// a user and "g" for a group.
type ProjectMemberEntity struct {
	ID         int64  `json:"id"`
	ProjectID  int64  `json:"project_id"`
	EntityName string `json:"entity_name"`
	RoleName   string `json:"role_name"`
	RoleID     int    `json:"role_id"`
	EntityID   int64  `json:"entity_id"`
	EntityType string `json:"entity_type"`
}

// RegistryCredential is a registry endpoint's credential. Harbor answers
// with access_secret masked.
type RegistryCredential struct {
	Type         string `json:"type,omitempty"` // "basic" or "oauth"
	AccessKey    string `json:"access_key,omitempty"`
	AccessSecret string `json:"access_secret,omitempty"`
}

// Registry is a replication endpoint (another registry Harbor replicates
// with). Type is the adapter: "harbor", "docker-registry", ...
type Registry struct {
	ID           int64               `json:"id"`
	Name         string              `json:"name"`
	URL          string              `json:"url"`
	Type         string              `json:"type"`
	Description  string              `json:"description,omitempty"`
	Insecure     bool                `json:"insecure"`
	Credential   *RegistryCredential `json:"credential,omitempty"`
	Status       string              `json:"status,omitempty"`
	CreationTime time.Time           `json:"creation_time,omitzero"`
	UpdateTime   time.Time           `json:"update_time,omitzero"`
}

// RegistryUpdate is the body of a registry update; nil fields are kept.
type RegistryUpdate struct {
	Name           *string `json:"name,omitempty"`
	Description    *string `json:"description,omitempty"`
	URL            *string `json:"url,omitempty"`
	CredentialType *string `json:"credential_type,omitempty"`
	AccessKey      *string `json:"access_key,omitempty"`
	AccessSecret   *string `json:"access_secret,omitempty"`
	Insecure       *bool   `json:"insecure,omitempty"`
}

// RegistryPing is the body of POST /registries/ping: either the id of an
// existing endpoint or its settings.
type RegistryPing struct {
	ID             *int64  `json:"id,omitempty"`
	Type           *string `json:"type,omitempty"`
	URL            *string `json:"url,omitempty"`
	CredentialType *string `json:"credential_type,omitempty"`
	AccessKey      *string `json:"access_key,omitempty"`
	AccessSecret   *string `json:"access_secret,omitempty"`
	Insecure       *bool   `json:"insecure,omitempty"`
}

// Replication filter types.
const (
	FilterName     = "name"
	FilterTag      = "tag"
	FilterLabel    = "label"
	FilterResource = "resource"
)

// Replication trigger types.
const (
	TriggerManual     = "manual"
	TriggerScheduled  = "scheduled"
	TriggerEventBased = "event_based"
)

// ReplicationFilter selects what a policy replicates. Value is a string for
// name, tag and resource filters and a []string for label filters;
// Decoration is "matches" (default) or "excludes".
type ReplicationFilter struct {
	Type       string `json:"type"`
	Value      any    `json:"value"`
	Decoration string `json:"decoration,omitempty"`
}

// TriggerSettings holds the cron of a scheduled trigger, 6 fields with
// seconds first ("0 0 2 * * *").
type TriggerSettings struct {
	Cron string `json:"cron"`
}

// ReplicationTrigger says when a policy runs.
type ReplicationTrigger struct {
	Type     string           `json:"type"`
	Settings *TriggerSettings `json:"trigger_settings,omitempty"`
}

// ReplicationPolicy is a replication rule. Exactly one of SrcRegistry and
// DestRegistry names a registry endpoint (by ID); the other side is the
// Harbor itself (leave it nil).
type ReplicationPolicy struct {
	ID            int64     `json:"id,omitempty"`
	Name          string    `json:"name"`
	Description   string    `json:"description,omitempty"`
	SrcRegistry   *Registry `json:"src_registry,omitempty"`
	DestRegistry  *Registry `json:"dest_registry,omitempty"`
	DestNamespace string    `json:"dest_namespace,omitempty"`
	// DestNamespaceReplaceCount is how many leading path components of a
	// source repository the destination namespace replaces: -1 (Harbor's
	// default when it is absent, on create and on update alike) replaces
	// them all, 0 none.
	DestNamespaceReplaceCount *int8               `json:"dest_namespace_replace_count,omitempty"`
	Trigger                   *ReplicationTrigger `json:"trigger,omitempty"`
	Filters                   []ReplicationFilter `json:"filters,omitempty"`
	// Deletion replicates deletions; Harbor reads this field (and stores it
	// as replicate_deletion internally).
	Deletion bool `json:"deletion"`
	Override bool `json:"override"`
	Enabled  bool `json:"enabled"`
	// Speed is the bandwidth limit of each task in KB/s; 0 (or absent, or
	// negative) is unlimited.
	Speed *int32 `json:"speed,omitempty"`
	// CopyByChunk copies blobs in chunks (Harbor v2.7+).
	CopyByChunk *bool `json:"copy_by_chunk,omitempty"`
	// SingleActiveReplication runs at most one execution of the policy at
	// a time (Harbor v2.14+; earlier versions ignore it).
	SingleActiveReplication *bool     `json:"single_active_replication,omitempty"`
	CreationTime            time.Time `json:"creation_time,omitzero"`
	UpdateTime              time.Time `json:"update_time,omitzero"`
}

// RegistryRef returns a Registry holding only id, as policies refer to endpoints.
func RegistryRef(id int64) *Registry { return &Registry{ID: id} }

// Execution statuses, as Harbor reports them.
const (
	StatusInProgress = "InProgress"
	StatusSucceed    = "Succeed"
	StatusFailed     = "Failed"
	StatusStopped    = "Stopped"
	StatusPending    = "Pending"
)

// ReplicationExecution is one run of a policy with its task counts.
type ReplicationExecution struct {
	ID         int64     `json:"id"`
	PolicyID   int64     `json:"policy_id"`
	Status     string    `json:"status"`
	StatusText string    `json:"status_text"`
	Trigger    string    `json:"trigger"`
	Total      int       `json:"total"`
	Failed     int       `json:"failed"`
	Succeed    int       `json:"succeed"`
	InProgress int       `json:"in_progress"`
	Stopped    int       `json:"stopped"`
	StartTime  time.Time `json:"start_time,omitzero"`
	EndTime    time.Time `json:"end_time,omitzero"`
}

// Done reports whether the execution reached a final status.
func (e ReplicationExecution) Done() bool {
	return e.Status == StatusSucceed || e.Status == StatusFailed || e.Status == StatusStopped
}

// ReplicationTask is one copied resource of an execution.
type ReplicationTask struct {
	ID           int64     `json:"id"`
	ExecutionID  int64     `json:"execution_id"`
	Status       string    `json:"status"`
	JobID        string    `json:"job_id,omitempty"`
	Operation    string    `json:"operation"`
	ResourceType string    `json:"resource_type"`
	SrcResource  string    `json:"src_resource"`
	DstResource  string    `json:"dst_resource"`
	StartTime    time.Time `json:"start_time,omitzero"`
	EndTime      time.Time `json:"end_time,omitzero"`
}

// Tag is a tag of an artifact.
type Tag struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	PushTime time.Time `json:"push_time,omitzero"`
}

// Label is a label attached to an artifact.
type Label struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Repository is a repository of a project (Harbor's Repository).
type Repository struct {
	ID            int64     `json:"id"`
	ProjectID     int64     `json:"project_id"`
	Name          string    `json:"name"` // full name, "project/repository"
	ArtifactCount int64     `json:"artifact_count"`
	CreationTime  time.Time `json:"creation_time"`
}

// Artifact is an image (or other OCI artifact) in a repository.
type Artifact struct {
	ID             int64     `json:"id"`
	Type           string    `json:"type"`
	MediaType      string    `json:"media_type,omitempty"`
	ProjectID      int64     `json:"project_id"`
	RepositoryID   int64     `json:"repository_id,omitempty"`
	RepositoryName string    `json:"repository_name,omitempty"`
	Digest         string    `json:"digest"`
	Size           int64     `json:"size"`
	PushTime       time.Time `json:"push_time,omitzero"`
	Tags           []Tag     `json:"tags,omitempty"`
	Labels         []Label   `json:"labels,omitempty"`
}

// Robot levels.
const (
	RobotLevelSystem  = "system"
	RobotLevelProject = "project"
)

// RobotAccess is one allowed action on a resource.
type RobotAccess struct {
	Resource string `json:"resource"`
	Action   string `json:"action"`
	Effect   string `json:"effect,omitempty"`
}

// RobotPermission grants accesses in a namespace: Kind "project" with the
// project name, or Kind "system" with Namespace "/".
type RobotPermission struct {
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace"`
	Access    []RobotAccess `json:"access"`
}

// RobotCreate is the body of robot creation. Duration is in days, -1 for
// never expiring.
type RobotCreate struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Level       string            `json:"level"`
	Disable     bool              `json:"disable"`
	Duration    int64             `json:"duration"`
	Permissions []RobotPermission `json:"permissions"`
}

// Secret is a credential returned once by Harbor. It prints as REDACTED so
// that it cannot end up in logs or errors by accident; Reveal returns it.
type Secret string

// String implements fmt.Stringer with a redacted value.
func (Secret) String() string { return "REDACTED" }

// GoString implements fmt.GoStringer with a redacted value.
func (Secret) GoString() string { return `"REDACTED"` }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// RobotCreated is the answer to robot creation; the only time Harbor shows
// the secret.
type RobotCreated struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"` // the full name, e.g. robot$project+name
	Secret       Secret    `json:"secret"`
	CreationTime time.Time `json:"creation_time,omitzero"`
	ExpiresAt    int64     `json:"expires_at"`
}

// RobotUpdate is the body of PUT /robots/{id}. Harbor replaces the
// description, the disable flag, the duration and the permissions; name and
// level must be the robot's own, the name in full (robot$name).
type RobotUpdate struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Level       string            `json:"level"`
	Disable     bool              `json:"disable"`
	Duration    int64             `json:"duration"`
	Permissions []RobotPermission `json:"permissions"`
}

// Robot is a robot account as Harbor lists it (without its secret).
type Robot struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	Level        string            `json:"level"`
	Duration     int64             `json:"duration"`
	Disable      bool              `json:"disable"`
	Editable     bool              `json:"editable"`
	ExpiresAt    int64             `json:"expires_at"`
	Permissions  []RobotPermission `json:"permissions,omitempty"`
	CreationTime time.Time         `json:"creation_time,omitzero"`
}
