package cluster_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
)

// Test material only: not a real key or certificate.
const (
	argoTestCA   = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n"
	argoTestCert = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n"
	argoTestKey  = "-----BEGIN RSA PRIVATE KEY-----\nS0VZ\n-----END RSA PRIVATE KEY-----\n"
)

// argoTestKubeconfig is a kubeconfig document for server that
// authenticates with the test client certificate, or with token if set.
func argoTestKubeconfig(server, token string) string {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	user := fmt.Sprintf("    client-certificate-data: %s\n    client-key-data: %s\n", b64(argoTestCert), b64(argoTestKey))
	if token != "" {
		user = "    token: " + token + "\n"
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: wl
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: wl-admin@wl
  context:
    cluster: wl
    user: wl-admin
current-context: wl-admin@wl
users:
- name: wl-admin
  user:
%s`, server, b64(argoTestCA), user)
}

func TestParseKubeconfig(t *testing.T) {
	cases := []struct {
		name    string
		doc     string
		want    cluster.Kubeconfig
		wantErr string
	}{
		{
			name: "client certificate",
			doc:  argoTestKubeconfig("https://127.0.0.1:22401", ""),
			want: cluster.Kubeconfig{Host: "https://127.0.0.1:22401", CACertificate: []byte(argoTestCA), ClientCertificate: []byte(argoTestCert), ClientKey: []byte(argoTestKey)},
		},
		{
			name: "bearer token",
			doc:  argoTestKubeconfig("https://10.0.0.1:6443", "secret-token"),
			want: cluster.Kubeconfig{Host: "https://10.0.0.1:6443", CACertificate: []byte(argoTestCA), Token: "secret-token"},
		},
		{name: "not yaml", doc: "{{{ secret-token", wantErr: "does not parse"},
		{name: "no current context", doc: "apiVersion: v1\nkind: Config\nclusters: []\n", wantErr: "does not parse"},
		{
			name:    "credential files",
			doc:     strings.Replace(argoTestKubeconfig("https://10.0.0.1:6443", "x"), "    token: x\n", "    client-certificate: /etc/cert.pem\n    client-key: /etc/key.pem\n", 1),
			wantErr: "credential files",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cluster.ParseKubeconfig(tc.doc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseKubeconfig() error = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "secret-token") {
					t.Errorf("error %q quotes the document", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKubeconfig() = %v", err)
			}
			tc.want.Raw = tc.doc
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseKubeconfig() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArgoCDSecret(t *testing.T) {
	spec := cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod", Labels: map[string]string{"env": "prod"}}
	base := map[string]string{
		"argocd.argoproj.io/secret-type":      "cluster",
		"mc.mcplatform.dev/site":              "east",
		"cluster.x-k8s.io/cluster-name":       "prod",
		"mc.mcplatform.dev/cluster-namespace": "team-a",
		"app.kubernetes.io/managed-by":        "terraform-provider-mc",
	}
	withLabels := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range extra {
			out[k] = v
		}
		for k, v := range base {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name       string
		spec       cluster.Spec
		kc         cluster.Kubeconfig
		wantLabels map[string]string
		wantConfig string
	}{
		{
			name:       "client certificate",
			spec:       spec,
			kc:         cluster.Kubeconfig{Host: "https://127.0.0.1:22401", CACertificate: []byte(argoTestCA), ClientCertificate: []byte(argoTestCert), ClientKey: []byte(argoTestKey)},
			wantLabels: withLabels(map[string]string{"env": "prod"}),
			wantConfig: fmt.Sprintf(`{"tlsClientConfig":{"caData":%q,"certData":%q,"keyData":%q}}`,
				base64.StdEncoding.EncodeToString([]byte(argoTestCA)), base64.StdEncoding.EncodeToString([]byte(argoTestCert)), base64.StdEncoding.EncodeToString([]byte(argoTestKey))),
		},
		{
			name:       "bearer token, server name, no user labels",
			spec:       cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod"},
			kc:         cluster.Kubeconfig{Host: "https://10.0.0.1:6443", Token: "tok", TLSServerName: "api.prod", CACertificate: []byte(argoTestCA)},
			wantLabels: withLabels(nil),
			wantConfig: fmt.Sprintf(`{"bearerToken":"tok","tlsClientConfig":{"serverName":"api.prod","caData":%q}}`, base64.StdEncoding.EncodeToString([]byte(argoTestCA))),
		},
		{
			name:       "engine labels win over user labels of the same key",
			spec:       cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod", Labels: map[string]string{"argocd.argoproj.io/secret-type": "repository", "team": "a"}},
			kc:         cluster.Kubeconfig{Host: "https://10.0.0.1:6443", Insecure: true, Token: "tok"},
			wantLabels: withLabels(map[string]string{"team": "a"}),
			wantConfig: `{"bearerToken":"tok","tlsClientConfig":{"insecure":true}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cluster.ArgoCDSecret(tc.spec, "argocd", tc.kc)
			if err != nil {
				t.Fatalf("ArgoCDSecret() = %v", err)
			}
			want := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "mc-cluster.team-a.prod", Namespace: "argocd", Labels: tc.wantLabels},
				Type:       corev1.SecretTypeOpaque,
				Data: map[string][]byte{
					"name":   []byte("prod"),
					"server": []byte(tc.kc.Host),
					"config": []byte(tc.wantConfig),
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ArgoCDSecret() mismatch (-want +got):\n%s", diff)
			}
			if !json.Valid(got.Data["config"]) {
				t.Errorf("config is not JSON")
			}
		})
	}
}

func TestArgoCDSecretDrift(t *testing.T) {
	spec := cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod", Labels: map[string]string{"env": "prod"}}
	kc := cluster.Kubeconfig{Host: "https://127.0.0.1:22401", CACertificate: []byte(argoTestCA), ClientCertificate: []byte(argoTestCert), ClientKey: []byte(argoTestKey)}
	desired, err := cluster.ArgoCDSecret(spec, "argocd", kc)
	if err != nil {
		t.Fatal(err)
	}
	secretFor := func(s cluster.Spec, kc cluster.Kubeconfig) *corev1.Secret {
		sec, err := cluster.ArgoCDSecret(s, "argocd", kc)
		if err != nil {
			t.Fatal(err)
		}
		return sec
	}
	rotated := kc
	rotated.ClientCertificate = []byte("-----BEGIN CERTIFICATE-----\nTkVX\n-----END CERTIFICATE-----\n")
	moved := kc
	moved.Host = "https://127.0.0.1:22402"
	cases := []struct {
		name    string
		current func() *corev1.Secret
		want    []string
	}{
		{name: "identical", current: desired.DeepCopy, want: nil},
		{name: "config reformatted", current: func() *corev1.Secret {
			s := desired.DeepCopy()
			var m map[string]any
			_ = json.Unmarshal(s.Data["config"], &m)
			s.Data["config"], _ = json.MarshalIndent(m, "", "  ")
			return s
		}, want: nil},
		{name: "Argo CD's own labels are kept", current: func() *corev1.Secret {
			s := desired.DeepCopy()
			s.Labels["argocd.argoproj.io/auto-label"] = "x"
			return s
		}, want: nil},
		{name: "credentials rotated", current: func() *corev1.Secret { return secretFor(spec, rotated) }, want: []string{"credentials"}},
		{name: "server moved", current: func() *corev1.Secret { return secretFor(spec, moved) }, want: []string{"server"}},
		{name: "token instead of certificate", current: func() *corev1.Secret {
			return secretFor(spec, cluster.Kubeconfig{Host: kc.Host, CACertificate: kc.CACertificate, Token: "t"})
		}, want: []string{"credentials"}},
		{name: "config with another way to authenticate", current: func() *corev1.Secret {
			s := desired.DeepCopy()
			s.Data["config"] = []byte(`{"execProviderConfig":{"command":"x"},"tlsClientConfig":{}}`)
			return s
		}, want: []string{"credentials"}},
		{name: "config not JSON", current: func() *corev1.Secret {
			s := desired.DeepCopy()
			s.Data["config"] = []byte("{")
			return s
		}, want: []string{"credentials"}},
		{name: "renamed in Argo CD", current: func() *corev1.Secret {
			s := desired.DeepCopy()
			s.Data["name"] = []byte("other")
			return s
		}, want: []string{"name"}},
		{name: "user label changed", current: func() *corev1.Secret {
			return secretFor(cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod", Labels: map[string]string{"env": "dev"}}, kc)
		}, want: []string{"labels"}},
		{name: "user label to remove", current: func() *corev1.Secret {
			return secretFor(cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod", Labels: map[string]string{"env": "prod", "old": "x"}}, kc)
		}, want: []string{"labels"}},
		{name: "user label missing", current: func() *corev1.Secret {
			return secretFor(cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod"}, kc)
		}, want: []string{"labels"}},
		{name: "everything", current: func() *corev1.Secret {
			s := secretFor(cluster.Spec{Site: "east", Namespace: "team-a", Name: "prod"}, rotated)
			s.Data["name"], s.Data["server"] = []byte("x"), []byte("https://x")
			return s
		}, want: []string{"name", "server", "credentials", "labels"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, cluster.ArgoCDSecretDrift(tc.current(), desired)); diff != "" {
				t.Errorf("ArgoCDSecretDrift() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArgoCDSecretName(t *testing.T) {
	// Namespace and name are DNS-1123 labels (no dots), so the dot keeps
	// the pairs apart that a dash would run together.
	if a, b := cluster.ArgoCDSecretName("a-b", "c"), cluster.ArgoCDSecretName("a", "b-c"); a == b {
		t.Errorf("ArgoCDSecretName() = %q for both a-b/c and a/b-c", a)
	}
	if got := cluster.ArgoCDSecretName("team-a", "prod"); got != "mc-cluster.team-a.prod" {
		t.Errorf("ArgoCDSecretName() = %q", got)
	}
}
