package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestApplicationStateRedactsArgoCDMessages(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "root", "namespace": "argocd"},
		"status": map[string]any{
			"operationState": map[string]any{"phase": "Failed", "message": "cannot fetch https://bob:op-secret@git.example/r.git"},
			"conditions": []any{
				map[string]any{"type": "ComparisonError", "message": "repository https://git.example/r.git?private_token=cond-secret not accessible"},
			},
		},
	}}
	st := applicationState(u)
	want := ApplicationState{
		OperationMessage: "cannot fetch https://bob:REDACTED@git.example/r.git",
		Conditions:       []string{"ComparisonError: repository https://git.example/r.git?private_token=REDACTED not accessible"},
		ErrorConditions:  []string{"ComparisonError: repository https://git.example/r.git?private_token=REDACTED not accessible"},
	}
	got := ApplicationState{OperationMessage: st.OperationMessage, Conditions: st.Conditions, ErrorConditions: st.ErrorConditions}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("applicationState() messages (-want +got):\n%s", diff)
	}
}

func TestArgoCDClusterSecret(t *testing.T) {
	c := ArgoCDCluster{
		Name: "legacy-1", Server: "https://10.0.0.1:6443", BearerToken: "tok",
		CAData: []byte("CA PEM"), Namespaces: []string{"apps", "web"},
	}
	sec, err := ArgoCDClusterSecret("mc-registration.legacy-1", "argocd", map[string]string{"env": "prod"}, c)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range sec.Data {
		got[k] = string(v)
	}
	want := map[string]string{
		"name": "legacy-1", "server": "https://10.0.0.1:6443", "namespaces": "apps,web",
		// Argo CD's ClusterConfig: byte fields as base64.
		"config": `{"bearerToken":"tok","tlsClientConfig":{"caData":"Q0EgUEVN"}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Secret data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"env": "prod", LabelArgoCDSecretType: ArgoCDSecretTypeCluster}, sec.Labels); diff != "" {
		t.Errorf("Secret labels (-want +got):\n%s", diff)
	}
	back := ArgoCDClusterOf(sec)
	c.BearerToken = "" // never read back by ArgoCDClusterOf
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("ArgoCDClusterOf() (-want +got):\n%s", diff)
	}
	if tok := ArgoCDClusterToken(sec); tok != "tok" {
		t.Errorf("ArgoCDClusterToken() = %q, want tok", tok)
	}
}

func TestArgoCDClusterSecretDrift(t *testing.T) {
	base := ArgoCDCluster{Name: "wl", Server: "https://10.0.0.1:6443", BearerToken: "tok"}
	secret := func(c ArgoCDCluster, labels map[string]string) *corev1.Secret {
		s, err := ArgoCDClusterSecret("s", "argocd", labels, c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	desired := secret(base, map[string]string{"env": "prod"})
	for _, tc := range []struct {
		name    string
		current *corev1.Secret
		want    []string
	}{
		{name: "same", current: secret(base, map[string]string{"env": "prod", "argocd.argoproj.io/auto-label": "x"})},
		{name: "namespaces", current: func() *corev1.Secret {
			c := base
			c.Namespaces = []string{"apps"}
			return secret(c, map[string]string{"env": "prod"})
		}(), want: []string{"namespaces"}},
		{name: "token and labels", current: func() *corev1.Secret {
			c := base
			c.BearerToken = "old"
			return secret(c, map[string]string{"env": "dev"})
		}(), want: []string{"credentials", "labels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ArgoCDClusterSecretDrift(tc.current, desired)); diff != "" {
				t.Errorf("ArgoCDClusterSecretDrift() (-want +got):\n%s", diff)
			}
		})
	}
	// Argo CD's own labels survive an update; the user's stale ones do not.
	current := secret(base, map[string]string{"env": "dev", "stale": "x", "argocd.argoproj.io/auto-label": "x"})
	got := UpdatedArgoCDClusterSecret(current, desired).Labels
	want := map[string]string{"env": "prod", "argocd.argoproj.io/auto-label": "x", LabelArgoCDSecretType: ArgoCDSecretTypeCluster}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdatedArgoCDClusterSecret() labels (-want +got):\n%s", diff)
	}
}
