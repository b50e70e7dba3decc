package provider

import "testing"

// TestHelmReleaseBadInput is mc_helm_release's table of inputs Argo CD
// would fail to render or fetch after the commit, each with its valid
// twin.
func TestHelmReleaseBadInput(t *testing.T) {
	base := map[string]any{"site": "site-b", "cluster": "edge-1", "namespace": "ingress", "name": "ingress",
		"repo_url": "https://kubernetes.github.io/ingress-nginx", "chart": "ingress-nginx", "version": "4.11.0"}
	git := map[string]any{"repo_url": "https://bitbucket.org/acme/charts.git", "chart": nil, "path": "charts/ingress"}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{k: v}
		for key, val := range m {
			out[key] = val
		}
		return out
	}
	runValidateTable(t, "mc_helm_release", base, []badInput{
		{name: "repository index file", want: []string{"repo_url"}, detail: "index.yaml",
			good: map[string]any{"repo_url": "https://kubernetes.github.io/ingress-nginx/"},
			bad:  map[string]any{"repo_url": "https://kubernetes.github.io/ingress-nginx/index.yaml"}},
		{name: "Artifact Hub page", want: []string{"repo_url"}, detail: "web page",
			good: map[string]any{"repo_url": "https://charts.bitnami.com/bitnami"},
			bad:  map[string]any{"repo_url": "https://artifacthub.io/packages/helm/ingress-nginx/ingress-nginx"}},
		{name: "credentials in an OCI URL", want: []string{"repo_url"}, detail: "credentials",
			good: map[string]any{"repo_url": "oci://harbor.example/charts/ingress", "chart": nil},
			bad:  map[string]any{"repo_url": "oci://robot:secret@harbor.example/charts/ingress", "chart": nil}},
		{name: "repository port zero", want: []string{"repo_url"},
			good: map[string]any{"repo_url": "https://charts.example:8443/stable"}, bad: map[string]any{"repo_url": "https://charts.example:0/stable"}},
		{name: "git revision with a colon", want: []string{"version"}, detail: "git revision",
			good: with(git, "version", "release/4.11"), bad: with(git, "version", "release:4.11")},
		{name: "git revision with a component starting with a dot", want: []string{"version"},
			good: with(git, "version", "HEAD"), bad: with(git, "version", "refs/.x")},
		{name: "values file URL with a token", want: []string{"value_files[1]"}, detail: "credential",
			good: map[string]any{"value_files": []any{"values-prod.yaml", "https://config.example/ingress.yaml"}},
			bad:  map[string]any{"value_files": []any{"values-prod.yaml", "https://config.example/ingress.yaml?token=abc"}}},
		{name: "values file with a blank", want: []string{"value_files[0]"},
			good: map[string]any{"value_files": []any{"values-prod.yaml"}}, bad: map[string]any{"value_files": []any{"values-prod.yaml "}}},
		{name: "values not a mapping", want: []string{"values"},
			good: map[string]any{"values": "controller:\n  replicaCount: 2\n"}, bad: map[string]any{"values": "- replicaCount: 2\n"}},
		{name: "parameter in set and set_string", want: []string{"set_string"},
			good: map[string]any{"set": map[string]any{"a": "1"}, "set_string": map[string]any{"b": "2"}},
			bad:  map[string]any{"set": map[string]any{"a": "1"}, "set_string": map[string]any{"a": "2"}}},
		{name: "release name too long for Helm", want: []string{"name"},
			good: map[string]any{"name": "ingress-nginx-controller-for-the-edge-cluster-number1"},
			bad:  map[string]any{"name": "ingress-nginx-controller-for-the-edge-cluster-number12"}},
		{name: "zero delete timeout", want: []string{"timeouts.delete"},
			good: map[string]any{"timeouts": map[string]any{"delete": "10m"}}, bad: map[string]any{"timeouts": map[string]any{"delete": "0s"}}},
	})
}
