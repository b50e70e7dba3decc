package kube

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConnectionErrorsNeverShowCredentials(t *testing.T) {
	const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://10.0.0.1:6443"}
users:
- name: u
  user: {token: kubeconfig-secret}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`
	tests := []struct {
		name string
		conn Connection
	}{
		{"host with user information", Connection{Host: "ftp://admin:host-secret@10.0.0.1:6443", Token: "token-secret"}},
		{"host with a token query", Connection{Host: "10.0.0.1?token=host-secret"}},
		{"kubeconfig without the context", Connection{Kubeconfig: kubeconfig, Context: "other"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.conn.RESTConfig()
			if err == nil {
				t.Fatal("RESTConfig() succeeded, want an error")
			}
			for _, s := range []string{"host-secret", "token-secret", "kubeconfig-secret"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("RESTConfig() error %q shows %q", err, s)
				}
			}
		})
	}
	if got := (Connection{Kubeconfig: kubeconfig}).secrets(); !cmp.Equal(got, []string{"", "kubeconfig-secret", "", ""}) {
		t.Fatalf("secrets() = %q, want the kubeconfig's token", got)
	}
}

func TestDescribeErrorRedacts(t *testing.T) {
	err := &httpError{`Get "https://admin:***@10.0.0.1:6443/api?token=query-secret": dial tcp 10.0.0.1:6443: connect: connection refused`}
	got := DescribeError("https://admin:host-secret@10.0.0.1:6443", err)
	want := `cannot reach the cluster at https://admin:REDACTED@10.0.0.1:6443: Get "https://admin:REDACTED@10.0.0.1:6443/api?token=REDACTED": dial tcp 10.0.0.1:6443: connect: connection refused`
	if got != want {
		t.Fatalf("DescribeError() = %q, want %q", got, want)
	}
}

type httpError struct{ msg string }

func (e *httpError) Error() string { return e.msg }
