package registry

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecordRoundTripKeepsSecretsOutOfSettings(t *testing.T) {
	want := Site{Name: "site-b", Labels: map[string]string{"region": "kr-central"}, ArgoCD: ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}
	want.Description = "remote"
	want.ManagementCluster = &ManagementCluster{Host: "https://10.0.0.1:6443", Token: "s3cret-token", TokenVersion: 3}
	want.GitOps = &GitOps{RepoURL: "https://git.example/g.git", Branch: "main", Path: "sites/b", Username: "bot", Password: "s3cret-pass", PasswordVersion: 2}
	want.Harbor = &Harbor{URL: "https://harbor.example", Username: "admin", Password: "s3cret-harbor", PasswordVersion: 1}
	sec, err := encodeRecord("mc-system", want)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sec.Data[keySettings]), "s3cret") {
		t.Fatalf("settings hold a secret: %s", sec.Data[keySettings])
	}
	if sec.Name != "site-site-b" || sec.Labels[LabelSite] != "site-b" || sec.Labels[LabelRecord] != "site" {
		t.Fatalf("record name/labels = %s %v", sec.Name, sec.Labels)
	}
	got, err := decodeRecord(sec)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Spec); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}
