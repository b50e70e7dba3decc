package addons

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

func TestApplicationsAndIndex(t *testing.T) {
	site := registry.Site{
		Name:   "s1",
		ArgoCD: registry.ArgoCD{Namespace: "argocd"},
		GitOps: &registry.GitOps{Path: "/sites/s1/"},
		ClusterAddons: []registry.ClusterAddon{
			{Name: "base", Namespace: "base", RepoURL: "https://charts.example", Chart: "base", Version: "1.0.0"},
			{Name: "gold", Namespace: "gold", RepoURL: "https://charts.example", Chart: "gold", Version: "1.0.0", ClusterSelector: map[string]string{"tier": "gold"}},
		},
	}
	clusters := []Cluster{{Name: "a", Labels: map[string]string{"tier": "gold"}}, {Name: "b"}}
	apps := Applications(site, clusters)
	got := map[string]string{}
	for p, app := range apps {
		got[p] = app.Name + " -> " + app.Cluster + "/" + app.TargetNamespace
	}
	want := map[string]string{
		"sites/s1/clusters/a/base.yaml": "addon-a-base -> a/base",
		"sites/s1/clusters/a/gold.yaml": "addon-a-gold -> a/gold",
		"sites/s1/clusters/b/base.yaml": "addon-b-base -> b/base",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Applications (-want +got):\n%s", diff)
	}
	files, err := Files(site.GitOps.Path, apps)
	if err != nil {
		t.Fatal(err)
	}
	index := files["sites/s1/clusters/addons.index"]
	if diff := cmp.Diff([]string{"sites/s1/clusters/a/base.yaml", "sites/s1/clusters/a/gold.yaml", "sites/s1/clusters/b/base.yaml"}, indexed(index)); diff != "" {
		t.Errorf("index (-want +got):\n%s", diff)
	}
	if len(files) != len(apps)+1 {
		t.Errorf("Files rendered %d files, want %d manifests and the index", len(files), len(apps))
	}
	if got := Applications(registry.Site{Name: "s2", ClusterAddons: site.ClusterAddons}, clusters); len(got) != 0 {
		t.Errorf("a site without GitOps has add-on Applications: %v", got)
	}
}

func TestRootApplicationName(t *testing.T) {
	if got := RootApplicationName("s1"); got != "s1-root" {
		t.Errorf("RootApplicationName = %q, want s1-root", got)
	}
}
