package project

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

var (
	// keyPattern is Jira's project key rule: an upper-case letter, then
	// upper-case letters or digits, 2 to 10 characters in all.
	keyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
	// workspacePattern is Bitbucket's workspace slug rule.
	workspacePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	// accountIDPattern is an Atlassian account id: "557058:" and a UUID,
	// or 24 hexadecimal digits, as Atlassian issues them.
	accountIDPattern = regexp.MustCompile(`^[0-9a-zA-Z:_-]{1,128}$`)
)

// ValidateKey checks a project key against Jira's rule.
func ValidateKey(key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("%q is not a valid project key: use an upper-case letter, then upper-case letters or digits, 2 to 10 characters in all (Jira's rule)", key)
	}
	return nil
}

// Validate checks a spec without talking to any backend; every error names
// the argument at fault, and all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks that need an unknown argument are
// skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if err := ValidateKey(s.Key); err != nil {
		v.Add("key", "%v", err)
	}
	if strings.TrimSpace(s.Name) == "" {
		v.Add("name", "a project needs a name")
	} else if strings.TrimSpace(s.Name) != s.Name {
		v.Add("name", "%q has white space around it, which Jira and Bitbucket drop, so the name would never match", s.Name)
	} else if len(s.Name) > 80 {
		v.Add("name", "%q is longer than 80 characters, the most Jira takes", s.Name)
	}
	if len(s.Description) > 2000 {
		v.Add("description", "the description is longer than 2000 characters")
	}
	if b := s.Bitbucket; b != nil {
		if len(b.Workspace) > 62 || !workspacePattern.MatchString(b.Workspace) {
			v.Add("bitbucket.workspace", "%q is not a Bitbucket workspace slug: lower-case letters, digits, '-' and '_'", b.Workspace)
		}
	}
	if j := s.Jira; j != nil {
		if !accountIDPattern.MatchString(j.LeadAccountID) {
			v.Add("jira.lead_account_id", "%q is not an Atlassian account id", j.LeadAccountID)
		}
		switch j.Type {
		case "", JiraTypeSoftware, JiraTypeBusiness, JiraTypeServiceDesk:
		default:
			v.Add("jira.type", "%q is not software, business or service_desk", j.Type)
		}
	}
	if h := s.Harbor; h != nil && h.Site != "" {
		if err := registry.ValidateName(h.Site); err != nil {
			v.Add("harbor.site", "%v", err)
		}
	}
	if a := s.ArgoCD; a != nil && v.Known("argocd.sites") {
		if len(a.Sites) == 0 {
			v.Add("argocd.sites", "name at least one site, or leave the argocd block out")
		}
		seen := map[string]int{}
		for i, site := range a.Sites {
			at := fmt.Sprintf("argocd.sites[%d]", i)
			if err := registry.ValidateName(site); err != nil {
				v.Add(at, "%v", err)
			} else if j, dup := seen[site]; dup {
				v.Add(at, "site %q is already listed as argocd.sites[%d]", site, j)
			}
			seen[site] = i
		}
	}
	switch s.OnDestroy {
	case "", OnDestroyDelete, OnDestroyOrphan:
	default:
		v.Add("on_destroy", "%q is not delete or orphan", s.OnDestroy)
	}
	return v.Err()
}
