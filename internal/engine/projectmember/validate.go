package projectmember

import (
	"regexp"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

var (
	// keyPattern is Jira's rule for project keys, which the project kind
	// follows: an upper-case letter, then upper-case letters or digits, 2
	// to 10 in all.
	keyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
	// accountIDPattern is an Atlassian account id, such as
	// "557058:0000000a-0000-4000-8000-00000000a11c" or a 24-digit hex id.
	accountIDPattern = regexp.MustCompile(`^[A-Za-z0-9:_-]{1,128}$`)
)

// maxNameLength bounds group and Harbor names.
const maxNameLength = 255

// Validate checks a spec without talking to any backend; every error names
// the argument at fault, and all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks that need an unknown argument are
// skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if !keyPattern.MatchString(s.Project) {
		v.Add("project", "%q is not a project key: an upper-case letter, then upper-case letters or digits, 2 to 10 in all", s.Project)
	}
	if v.Known("account_id", "group") {
		switch {
		case s.AccountID != "" && s.Group != "":
			v.Add("group", "set either account_id or group, not both: a member is one user or one group")
		case s.AccountID == "" && s.Group == "":
			v.Add("account_id", "set account_id (an Atlassian account) or group (an Atlassian group)")
		}
	}
	if s.AccountID != "" && !accountIDPattern.MatchString(s.AccountID) {
		v.Add("account_id", "%q is not an Atlassian account id, such as 557058:0000000a-0000-4000-8000-00000000a11c", s.AccountID)
	}
	if s.Group != "" {
		if err := checkName(s.Group); err != "" {
			v.Add("group", "%q is not a group name: %s", s.Group, err)
		}
	}
	if _, ok := MappingOf(s.Role); !ok {
		v.Add("role", "%q is not a role: use %s", s.Role, strings.Join(Roles, ", "))
	}
	if v.Known("harbor_user", "harbor_group") && s.HarborUser != "" && s.HarborGroup != "" {
		v.Add("harbor_group", "set either harbor_user or harbor_group, not both: a member is one Harbor user or one Harbor group")
	}
	if s.HarborUser != "" {
		if err := checkName(s.HarborUser); err != "" {
			v.Add("harbor_user", "%q is not a Harbor user name: %s", s.HarborUser, err)
		}
	}
	if s.HarborGroup != "" {
		if err := checkName(s.HarborGroup); err != "" {
			v.Add("harbor_group", "%q is not a Harbor group name: %s", s.HarborGroup, err)
		}
	}
	return v.Err()
}

// checkName checks a group or Harbor name: not blank, at most
// maxNameLength characters, and without '#', which separates the Harbor
// identity in a member's id. It returns what is wrong, or "".
func checkName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "it is blank"
	case len(name) > maxNameLength:
		return "it is longer than 255 characters"
	case strings.Contains(name, harborSeparator):
		return "it contains '#'"
	}
	return ""
}

// ValidateWithProject checks a spec against its project's record: a
// Harbor identity needs a project with a harbor block. It is checked at
// plan time when the record exists already, and at apply otherwise.
func ValidateWithProject(s Spec, p *Project) error {
	v := engine.NewValidation(nil)
	if p.Harbor == nil {
		if s.HarborUser != "" {
			v.Add("harbor_user", "project %q has no harbor block, so it has no Harbor project to add harbor_user %q to: give the project a harbor block, or drop harbor_user", p.Key, s.HarborUser)
		}
		if s.HarborGroup != "" {
			v.Add("harbor_group", "project %q has no harbor block, so it has no Harbor project to add harbor_group %q to: give the project a harbor block, or drop harbor_group", p.Key, s.HarborGroup)
		}
	}
	harbor := p.Harbor != nil && (s.HarborUser != "" || s.HarborGroup != "")
	argocd := len(p.ArgoCD) > 0 && s.Member().IsGroup()
	if p.Bitbucket == nil && !p.Jira && !harbor && !argocd {
		v.Add("project", "project %q has no part this member can be granted: it has no bitbucket or jira block%s", p.Key, groupHint(s))
	}
	return v.Err()
}

func groupHint(s Spec) string {
	if s.Member().IsGroup() {
		return ", no Harbor identity in a harbor block and no argocd sites"
	}
	return " and no Harbor identity in a harbor block (Argo CD roles take groups only)"
}
