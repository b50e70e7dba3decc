package provider

import (
	"strings"
	"testing"
)

// TestApplicationDeploymentBadInput is mc_application_deployment's table
// of inputs Argo CD or the kubelet would fail on after the commit, each
// with its valid twin.
func TestApplicationDeploymentBadInput(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	base := map[string]any{"site": "site-b", "application": "WEB/shop", "cluster": "edge-1", "namespace": "shop",
		"image": map[string]any{"repository": "harbor.example/web/shop", "tag": "v1.0.0"}}
	runValidateTable(t, "mc_application_deployment", base, []badInput{
		{name: "tag and digest", want: []string{"image.digest"}, detail: "not both",
			good: map[string]any{"image.tag": nil, "image.digest": digest}, bad: map[string]any{"image.digest": digest}},
		{name: "prune without automated", want: []string{"sync_policy.prune"},
			good: map[string]any{"sync_policy": map[string]any{"automated": true, "prune": true}},
			bad:  map[string]any{"sync_policy": map[string]any{"automated": false, "prune": true}}},
		{name: "self_heal without automated", want: []string{"sync_policy.self_heal"},
			good: map[string]any{"sync_policy": map[string]any{"automated": true, "self_heal": true}},
			bad:  map[string]any{"sync_policy": map[string]any{"self_heal": true}}},
		{name: "sync option twice", want: []string{"sync_policy.sync_options[1]"},
			good: map[string]any{"sync_policy": map[string]any{"sync_options": []any{"CreateNamespace=true", "ServerSideApply=true"}}},
			bad:  map[string]any{"sync_policy": map[string]any{"sync_options": []any{"CreateNamespace=true", "CreateNamespace=false"}}}},
		{name: "sync option without value", want: []string{"sync_policy.sync_options[0]"},
			good: map[string]any{"sync_policy": map[string]any{"sync_options": []any{"PruneLast=true"}}},
			bad:  map[string]any{"sync_policy": map[string]any{"sync_options": []any{"PruneLast"}}}},
		{name: "zero backoff", want: []string{"sync_policy.retry.backoff_duration"},
			good: map[string]any{"sync_policy": map[string]any{"retry": map[string]any{"limit": 3, "backoff_duration": "5s"}}},
			bad:  map[string]any{"sync_policy": map[string]any{"retry": map[string]any{"limit": 3, "backoff_duration": "0s"}}}},
		{name: "unparsable max backoff", want: []string{"sync_policy.retry.backoff_max_duration"},
			good: map[string]any{"sync_policy": map[string]any{"retry": map[string]any{"limit": 3, "backoff_max_duration": "3m"}}},
			bad:  map[string]any{"sync_policy": map[string]any{"retry": map[string]any{"limit": 3, "backoff_max_duration": "3 minutes"}}}},
		{name: "image repository with a blank", want: []string{"image.repository"},
			good: map[string]any{"image.repository": "harbor.example:8443/web/shop"}, bad: map[string]any{"image.repository": "harbor.example/web/shop "}},
		{name: "short digest", want: []string{"image.digest"},
			good: map[string]any{"image.tag": nil, "image.digest": digest}, bad: map[string]any{"image.tag": nil, "image.digest": "sha256:abc"}},
		{name: "namespace with upper case", want: []string{"namespace"},
			good: map[string]any{"namespace": "shop-prod"}, bad: map[string]any{"namespace": "Shop"}},
		{name: "negative update timeout", want: []string{"timeouts.update"},
			good: map[string]any{"timeouts": map[string]any{"update": "10m"}}, bad: map[string]any{"timeouts": map[string]any{"update": "-10m"}}},
	})
}
