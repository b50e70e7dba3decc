package provider

import "testing"

// testKubeconfig is a kubeconfig that parses, for validate tables.
const testKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: mgmt
  cluster:
    server: https://10.0.0.1:6443
users:
- name: admin
  user:
    token: abc
contexts:
- name: mgmt
  context: {cluster: mgmt, user: admin}
current-context: mgmt
`

// TestSiteBadInput is mc_site's table of inputs that the management
// cluster, Harbor or git would reject later, each with its valid twin.
func TestSiteBadInput(t *testing.T) {
	addon := func(repoURL, chart, path, version string) []any {
		a := map[string]any{"name": "ingress", "namespace": "ingress", "repo_url": repoURL, "version": version}
		if chart != "" {
			a["chart"] = chart
		}
		if path != "" {
			a["path"] = path
		}
		return []any{a}
	}
	base := map[string]any{
		"name":               "site-b",
		"management_cluster": map[string]any{"host": "https://10.0.0.1:6443", "token_wo": "token", "token_wo_version": 1},
		"harbor":             map[string]any{"url": "https://harbor.site-b.example", "username": "admin", "password_wo": "pw", "password_wo_version": 1},
		"gitops": map[string]any{"repo_url": "https://bitbucket.org/acme/gitops.git", "path": "sites/site-b", "branch": "main",
			"username": "git", "password_wo": "pw", "password_wo_version": 1},
		"cluster_addons": addon("https://charts.example/stable", "ingress-nginx", "", "4.11.0"),
	}
	runValidateTable(t, "mc_site", base, []badInput{
		{name: "Harbor portal page", want: []string{"harbor.url"}, detail: "web page",
			good: map[string]any{"harbor.url": "https://harbor.site-b.example/"},
			bad:  map[string]any{"harbor.url": "https://harbor.site-b.example/harbor/projects"}},
		{name: "Harbor API path given", want: []string{"harbor.url"},
			good: map[string]any{"harbor.url": "https://proxy.example/site-b"},
			bad:  map[string]any{"harbor.url": "https://harbor.site-b.example/api/v2.0"}},
		{name: "Harbor credentials in the URL", want: []string{"harbor.url"}, detail: "credentials",
			good: map[string]any{"harbor.url": "https://harbor.site-b.example"},
			bad:  map[string]any{"harbor.url": "https://admin:Harbor12345@harbor.site-b.example"}},
		{name: "Harbor port zero", want: []string{"harbor.url"}, detail: "not in 1-65535",
			good: map[string]any{"harbor.url": "https://harbor.site-b.example:8443"},
			bad:  map[string]any{"harbor.url": "https://harbor.site-b.example:0"}},
		{name: "Harbor port too high", want: []string{"harbor.url"},
			good: map[string]any{"harbor.url": "https://harbor.site-b.example:65535"},
			bad:  map[string]any{"harbor.url": "https://harbor.site-b.example:70000"}},
		{name: "Harbor URL with a trailing blank", want: []string{"harbor.url"}, detail: "white space",
			good: map[string]any{"harbor.url": "https://harbor.site-b.example"},
			bad:  map[string]any{"harbor.url": "https://harbor.site-b.example "}},
		{name: "Harbor user with blanks", want: []string{"harbor.username"},
			good: map[string]any{"harbor.username": "robot$ci"},
			bad:  map[string]any{"harbor.username": " admin"}},
		{name: "GitOps repository page", want: []string{"gitops.repo_url"}, detail: "web page",
			good: map[string]any{"gitops.repo_url": "https://bitbucket.org/acme/gitops"},
			bad:  map[string]any{"gitops.repo_url": "https://bitbucket.org/acme/gitops/src/main/"}},
		{name: "GitOps token in the query", want: []string{"gitops.repo_url"}, detail: "credential",
			good: map[string]any{"gitops.repo_url": "https://git.example/gitops.git"},
			bad:  map[string]any{"gitops.repo_url": "https://git.example/gitops.git?access_token=abc"}},
		{name: "GitOps user in the URL", want: []string{"gitops.repo_url"}, detail: "credentials",
			good: map[string]any{"gitops.repo_url": "https://git.example:8443/gitops.git"},
			bad:  map[string]any{"gitops.repo_url": "https://x-token-auth@git.example:8443/gitops.git"}},
		{name: "branch component starting with a dot", want: []string{"gitops.branch"}, detail: "git refuses",
			good: map[string]any{"gitops.branch": "feature/hidden"},
			bad:  map[string]any{"gitops.branch": "feature/.hidden"}},
		{name: "branch ending in .lock", want: []string{"gitops.branch"},
			good: map[string]any{"gitops.branch": "release-lock"},
			bad:  map[string]any{"gitops.branch": "release.lock"}},
		{name: "branch starting with a dash", want: []string{"gitops.branch"},
			good: map[string]any{"gitops.branch": "x-1"},
			bad:  map[string]any{"gitops.branch": "-x"}},
		{name: "branch with a trailing slash", want: []string{"gitops.branch"},
			good: map[string]any{"gitops.branch": "env/prod"},
			bad:  map[string]any{"gitops.branch": "env/prod/"}},
		{name: "branch with @{", want: []string{"gitops.branch"},
			good: map[string]any{"gitops.branch": "at@home"},
			bad:  map[string]any{"gitops.branch": "main@{1}"}},
		{name: "branch HEAD", want: []string{"gitops.branch"},
			good: map[string]any{"gitops.branch": "head"},
			bad:  map[string]any{"gitops.branch": "HEAD"}},
		{name: "management cluster host with credentials", want: []string{"management_cluster.host"}, detail: "credentials",
			good: map[string]any{"management_cluster.host": "https://mgmt.example:6443"},
			bad:  map[string]any{"management_cluster.host": "https://admin:pw@mgmt.example:6443"}},
		{name: "management cluster dashboard page", want: []string{"management_cluster.host"},
			good: map[string]any{"management_cluster.host": "https://rancher.example/k8s/clusters/c-m-1"},
			bad:  map[string]any{"management_cluster.host": "https://rancher.example/dashboard/c/c-m-1/explorer"}},
		{name: "token and kubeconfig", want: []string{"management_cluster.kubeconfig_wo"}, detail: "not both",
			good: map[string]any{"management_cluster": map[string]any{"kubeconfig_wo": testKubeconfig, "kubeconfig_wo_version": 1}},
			bad:  map[string]any{"management_cluster": map[string]any{"kubeconfig_wo": testKubeconfig, "kubeconfig_wo_version": 1, "token_wo": "t", "token_wo_version": 1}}},
		{name: "no credentials", want: []string{"management_cluster.token_wo"},
			good: map[string]any{"management_cluster": map[string]any{"host": "https://10.0.0.1:6443", "token_wo": "t", "token_wo_version": 1}},
			bad:  map[string]any{"management_cluster": map[string]any{"host": "https://10.0.0.1:6443"}}},
		{name: "add-on repository index file", want: []string{"cluster_addons[0].repo_url"}, detail: "index.yaml",
			good: map[string]any{"cluster_addons": addon("https://charts.example/stable/", "ingress-nginx", "", "4.11.0")},
			bad:  map[string]any{"cluster_addons": addon("https://charts.example/stable/index.yaml", "ingress-nginx", "", "4.11.0")}},
		{name: "add-on repository with credentials", want: []string{"cluster_addons[0].repo_url"},
			good: map[string]any{"cluster_addons": addon("oci://harbor.site-b.example/charts/ingress", "", "", "4.11.0")},
			bad:  map[string]any{"cluster_addons": addon("oci://robot:secret@harbor.site-b.example/charts/ingress", "", "", "4.11.0")}},
		{name: "add-on git revision", want: []string{"cluster_addons[0].version"}, detail: "git revision",
			good: map[string]any{"cluster_addons": addon("https://bitbucket.org/acme/charts.git", "", "ingress", "v1.2")},
			bad:  map[string]any{"cluster_addons": addon("https://bitbucket.org/acme/charts.git", "", "ingress", "v1..2")}},
		{name: "add-on name unknown", want: []string{"cluster_addons[0].namespace"},
			good: map[string]any{"cluster_addons[0].name": unknown},
			bad:  map[string]any{"cluster_addons[0].name": unknown, "cluster_addons[0].namespace": "Ingress"}},
		{name: "zero create timeout", want: []string{"timeouts.create"},
			good: map[string]any{"timeouts": map[string]any{"create": "10m"}},
			bad:  map[string]any{"timeouts": map[string]any{"create": "0m"}}},
		{name: "unparsable update timeout", want: []string{"timeouts.update"},
			good: map[string]any{"timeouts": map[string]any{"update": "1h"}},
			bad:  map[string]any{"timeouts": map[string]any{"update": "1 hour"}}},
	})
}
