package provider

import "testing"

// TestClusterRegistrationBadInput is mc_cluster_registration's table of
// inputs Argo CD would fail on when it first reaches the cluster, each
// with its valid twin.
func TestClusterRegistrationBadInput(t *testing.T) {
	base := map[string]any{"site": "site-b", "name": "edge-1", "server": "https://10.30.0.10:6443", "token_wo": "token", "token_wo_version": 1}
	runValidateTable(t, "mc_cluster_registration", base, []badInput{
		{name: "credentials in the server URL", want: []string{"server"}, detail: "credentials",
			good: map[string]any{"server": "https://edge-1.example:6443"}, bad: map[string]any{"server": "https://admin:pw@edge-1.example:6443"}},
		{name: "token in the query", want: []string{"server"},
			good: map[string]any{"server": "https://edge-1.example"}, bad: map[string]any{"server": "https://edge-1.example?token=abc"}},
		{name: "server port out of range", want: []string{"server"},
			good: map[string]any{"server": "https://10.30.0.10:443"}, bad: map[string]any{"server": "https://10.30.0.10:99999"}},
		{name: "server with a leading blank", want: []string{"server"}, detail: "white space",
			good: map[string]any{"server": "https://10.30.0.10:6443"}, bad: map[string]any{"server": " https://10.30.0.10:6443"}},
		{name: "dashboard page", want: []string{"server"}, detail: "web page",
			good: map[string]any{"server": "https://rancher.example/k8s/clusters/c-1"}, bad: map[string]any{"server": "https://rancher.example/dashboard/c/c-1"}},
		{name: "namespace listed twice", want: []string{"namespaces[1]"},
			good: map[string]any{"namespaces": []any{"apps", "web"}}, bad: map[string]any{"namespaces": []any{"apps", "apps"}}},
		{name: "reserved label", want: []string{"labels"},
			good: map[string]any{"labels": map[string]any{"env": "prod"}}, bad: map[string]any{"labels": map[string]any{"argocd.argoproj.io/secret-type": "cluster"}}},
		{name: "zero create timeout", want: []string{"timeouts.create"},
			good: map[string]any{"timeouts": map[string]any{"create": "2m"}}, bad: map[string]any{"timeouts": map[string]any{"create": "0s"}}},
	})
}
