package kube

import (
	"regexp"
	"strings"
	"testing"
)

// secretValue finds the values of a kubeconfig's credential keys.
var secretValue = regexp.MustCompile(`(?m)(?:token|password|client-key-data):\s*"?([^\s"]{8,})`)

// FuzzParseKubeconfig feeds ParseKubeconfig documents and context names:
// it never panics, what it accepts has the context it was asked for with a
// cluster with a server, and its errors never carry a credential of the
// document (they reach diagnostics and conditions).
func FuzzParseKubeconfig(f *testing.F) {
	const good = `apiVersion: v1
kind: Config
clusters:
- name: mgmt
  cluster: {server: "https://10.0.0.1:6443"}
users:
- name: admin
  user: {token: s3cr3t-token-value}
contexts:
- name: mgmt
  context: {cluster: mgmt, user: admin}
current-context: mgmt
`
	f.Add(good, "")
	f.Add(good, "mgmt")
	f.Add(good, "other")
	f.Add(strings.Replace(good, "s3cr3t-token-value", "\"s3cr3t:token\tvalue", 1), "")
	f.Add("users:\n- name: a\n  user:\n    password: [hunter22hunter]\n", "")
	f.Add("{\"users\":[{\"name\":\"a\",\"user\":{\"token\":12345678901}}]}", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, doc, context string) {
		cfg, err := ParseKubeconfig(doc, context)
		if err != nil {
			for _, m := range secretValue.FindAllStringSubmatch(doc, -1) {
				if strings.Contains(err.Error(), m[1]) {
					t.Fatalf("ParseKubeconfig error %q carries the credential %q", err, m[1])
				}
			}
			return
		}
		name := context
		if name == "" {
			name = cfg.CurrentContext
		}
		c, ok := cfg.Contexts[name]
		if !ok || cfg.Clusters[c.Cluster] == nil || cfg.Clusters[c.Cluster].Server == "" {
			t.Fatalf("ParseKubeconfig accepted a kubeconfig without context %q and its server", name)
		}
	})
}
