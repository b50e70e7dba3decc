package harborsim

// The accesses a robot may be given, by permission kind: Harbor's
// rbac.PoliciesMap with the NolimitProvider's additions
// (src/common/rbac/const.go, v2.14.3). Robot creation and update validate
// every access against them from v2.10 (src/server/v2.0/handler/robot.go,
// validate); before v2.10 Harbor validated nothing, and a system-level
// robot could not be given the registry and replication resources (the
// system permission set came with v2.10): the simulator refuses those.
var robotPermissions = map[string]map[string][]string{
	"system": {
		"audit-log":           {"list"},
		"preheat-instance":    {"read", "create", "delete", "list", "update"},
		"project":             {"list", "create"},
		"replication-policy":  {"read", "create", "delete", "list", "update"},
		"replication":         {"read", "create", "list"},
		"replication-adapter": {"list"},
		"registry":            {"read", "create", "delete", "list", "update"},
		"scan-all":            {"read", "update", "stop", "create"},
		"system-volumes":      {"read"},
		"garbage-collection":  {"read", "create", "list", "update", "stop"},
		"purge-audit":         {"read", "create", "list", "update", "stop"},
		"jobservice-monitor":  {"list", "stop"},
		"scanner":             {"read", "create", "delete", "list", "update"},
		"label":               {"read", "create", "delete", "update"},
		"security-hub":        {"read", "list"},
		"catalog":             {"read"},
		"quota":               {"read", "list", "update"},
		"robot":               {"create", "read", "list", "delete"},
		"user":                {"create", "read", "update", "list", "delete"},
		"ldap-user":           {"create", "list"},
		"user-group":          {"create", "read", "update", "list", "delete"},
	},
	"project": {
		"log":                 {"list"},
		"project":             {"read", "delete", "update"},
		"metadata":            {"read", "create", "delete", "list", "update"},
		"repository":          {"read", "update", "delete", "list", "pull", "push"},
		"artifact":            {"read", "create", "list", "delete"},
		"scan":                {"create", "read", "stop"},
		"sbom":                {"create", "stop", "read"},
		"tag":                 {"create", "list", "delete"},
		"accessory":           {"list"},
		"artifact-addition":   {"read"},
		"artifact-label":      {"create", "delete"},
		"scanner":             {"create", "read"},
		"preheat-policy":      {"read", "create", "delete", "list", "update"},
		"immutable-tag":       {"create", "delete", "list", "update"},
		"notification-policy": {"read", "create", "delete", "list", "update"},
		"tag-retention":       {"read", "create", "delete", "list", "update"},
		"label":               {"read", "create", "delete", "list", "update"},
		"quota":               {"read"},
		"robot":               {"create", "read", "list", "delete"},
		"export-cve":          {"create", "read"},
		"member":              {"create", "read", "update", "list", "delete"},
	},
}

// replicationResources are the system resources a robot may hold only from
// Harbor v2.10.
var replicationResources = map[string]bool{"registry": true, "replication": true, "replication-policy": true, "replication-adapter": true}

// knownAccess reports whether kind allows resource:action.
func knownAccess(kind, resource, action string) bool {
	for _, a := range robotPermissions[kind][resource] {
		if a == action {
			return true
		}
	}
	return false
}

// roleAllows reports what a project role may do (the project RBAC roles of
// src/common/rbac/project/rbac_role.go, reduced to the resources the
// simulator serves): project administrators and maintainers everything,
// developers push and pull, guests pull.
func roleAllows(roleID int, resource, action string) bool {
	switch roleID {
	case 1, 4: // projectAdmin, maintainer
		return true
	case 2: // developer
		switch resource {
		case "repository":
			return action != "delete"
		case "artifact":
			return action != "delete"
		case "scan":
			return action == "create" || action == "read"
		case "artifact-addition":
			return action == "read"
		case "project", "member", "tag", "label", "metadata":
			return action == "read" || action == "list"
		}
	case 3, 5: // guest, limitedGuest
		switch resource {
		case "scan", "artifact-addition":
			return action == "read"
		case "repository":
			return action == "pull" || action == "read" || action == "list"
		case "artifact", "project", "tag":
			return action == "read" || action == "list"
		}
	}
	return false
}
