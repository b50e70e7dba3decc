package provider

import "testing"

// TestProjectBadInput is mc_project's table of inputs Bitbucket, Jira,
// Harbor or Argo CD would refuse, each with its valid twin.
func TestProjectBadInput(t *testing.T) {
	base := map[string]any{"key": "SHOP", "name": "Shop",
		"bitbucket": map[string]any{"workspace": "acme"}, "jira": map[string]any{"lead_account_id": "5b10ac8d82e05b22cc7d4ef5"},
		"harbor": map[string]any{"site": "hub"}, "argocd": map[string]any{"sites": []any{"site-b"}}}
	runValidateTable(t, "mc_project", base, []badInput{
		{name: "site listed twice", want: []string{"argocd.sites"}, detail: "duplicate",
			good: map[string]any{"argocd.sites": []any{"site-b", "site-c"}}, bad: map[string]any{"argocd.sites": []any{"site-b", "site-b"}}},
		{name: "bad site name", want: []string{"argocd.sites[0]"},
			good: map[string]any{"argocd.sites": []any{"site-b"}}, bad: map[string]any{"argocd.sites": []any{"Site B"}}},
		{name: "name with white space around it", want: []string{"name"},
			good: map[string]any{"name": "Shop Front"}, bad: map[string]any{"name": "Shop "}},
		{name: "key too long", want: []string{"key"},
			good: map[string]any{"key": "SHOPFRONT1"}, bad: map[string]any{"key": "SHOPFRONT12"}},
		{name: "workspace with upper case", want: []string{"bitbucket.workspace"},
			good: map[string]any{"bitbucket.workspace": "acme-corp"}, bad: map[string]any{"bitbucket.workspace": "Acme"}},
		{name: "unknown Jira type", want: []string{"jira.type"},
			good: map[string]any{"jira.type": "business"}, bad: map[string]any{"jira.type": "kanban"}},
		{name: "bad Harbor site", want: []string{"harbor.site"},
			good: map[string]any{"harbor.site": "site-b"}, bad: map[string]any{"harbor.site": "site_b"}},
		{name: "unparsable create timeout", want: []string{"timeouts.create"},
			good: map[string]any{"timeouts": map[string]any{"create": "15m"}}, bad: map[string]any{"timeouts": map[string]any{"create": "15"}}},
	})
}
