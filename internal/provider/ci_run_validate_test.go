package provider

import "testing"

// TestCIRunBadInput is mc_ci_run's table of inputs the task runner or git
// would fail on after the run started, each with its valid twin.
func TestCIRunBadInput(t *testing.T) {
	base := map[string]any{"site": "site-b",
		"source": map[string]any{"repository": "https://bitbucket.org/acme/shop.git", "revision": "main"},
		"image":  map[string]any{"project": "apps", "repository": "shop", "tag": "v1"}}
	runValidateTable(t, "mc_ci_run", base, []badInput{
		{name: "repository page", want: []string{"source.repository"}, detail: "web page",
			good: map[string]any{"source.repository": "https://bitbucket.org/acme/shop"}, bad: map[string]any{"source.repository": "https://bitbucket.org/acme/shop/src/main/"}},
		{name: "credentials in the clone URL", want: []string{"source.repository"}, detail: "credentials",
			good: map[string]any{"source.repository": "https://git.example:8443/shop.git"}, bad: map[string]any{"source.repository": "https://ci:pw@git.example:8443/shop.git"}},
		{name: "revision with a space", want: []string{"source.revision"},
			good: map[string]any{"source.revision": "release/v1"}, bad: map[string]any{"source.revision": "release v1"}},
		{name: "revision with a double dot", want: []string{"source.revision"},
			good: map[string]any{"source.revision": "3f2a9c1"}, bad: map[string]any{"source.revision": "main..dev"}},
		{name: "zero create timeout", want: []string{"timeouts.create"},
			good: map[string]any{"timeouts": map[string]any{"create": "30m"}}, bad: map[string]any{"timeouts": map[string]any{"create": "0s"}}},
	})
}
