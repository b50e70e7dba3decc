// Package addons renders a site's cluster add-ons (mc_site cluster_addons)
// into the site's GitOps repository: one Argo CD Application per cluster
// registered at the site and add-on, under <path>/clusters/<cluster>/, with
// an index of what it rendered. The site kind and the kinds that register
// clusters at a site (cluster, clusterregistration) share it, so that a
// cluster registered or deregistered gets or loses its add-ons at once and
// the site then reads as up to date.
package addons

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// KindLabel is the value of chart.LabelKind on an add-on's Application.
const KindLabel = "siteaddon"

// LabelCluster names the cluster on an add-on's Application.
const LabelCluster = "mc.mcplatform.dev/cluster"

// indexName is the file under <path>/clusters that lists the manifests the
// add-ons rendered, so that those of a cluster that left the site, or of an
// add-on that was removed, are deleted. It also keeps the directory in git
// when no cluster has add-ons.
const indexName = "addons.index"

// RootApplicationName is the site's root Application, which follows the
// site's GitOps path and creates the add-on Applications.
func RootApplicationName(site string) string { return site + "-root" }

// ApplicationName is the Argo CD Application of add-on on cluster.
func ApplicationName(cluster, addon string) string { return "addon-" + cluster + "-" + addon }

// ManifestPath is the manifest of add-on on cluster in the site's GitOps
// repository, under the site's path dir.
func ManifestPath(dir, cluster, addon string) string {
	return joinRepoPath(dir, "clusters", cluster, addon+".yaml")
}

func indexPath(dir string) string { return joinRepoPath(dir, "clusters", indexName) }

func joinRepoPath(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" && p != "." {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// Source is the chart of add-on a.
func Source(a registry.ClusterAddon) chart.Source {
	return chart.Source{
		RepoURL: a.RepoURL, Chart: a.Chart, Version: a.Version, Path: a.Path, Values: a.Values,
		Set: a.Set, SetString: a.SetString, ValueFiles: a.ValueFiles,
	}
}

// Cluster is a cluster registered in the site's Argo CD.
type Cluster struct {
	Name   string
	Labels map[string]string
}

// Clusters lists the clusters registered at site s: the Argo CD cluster
// Secrets labelled with the site (mc_cluster, mc_cluster_registration),
// except those being deleted.
func Clusters(ctx context.Context, cs kubernetes.Interface, s registry.Site) ([]Cluster, error) {
	sel := labels.SelectorFromSet(labels.Set{kube.LabelArgoCDSecretType: kube.ArgoCDSecretTypeCluster, registry.LabelSite: s.Name})
	list, err := cs.CoreV1().Secrets(s.ArgoCD.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("cannot list the clusters of site %q: %w", s.Name, err)
	}
	var out []Cluster
	for i := range list.Items {
		sec := &list.Items[i]
		if sec.DeletionTimestamp != nil {
			continue
		}
		name := kube.ArgoCDClusterOf(sec).Name
		if name == "" {
			continue
		}
		out = append(out, Cluster{Name: name, Labels: sec.Labels})
	}
	slices.SortFunc(out, func(a, b Cluster) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// selects reports whether the add-on's selector matches the cluster.
func selects(a registry.ClusterAddon, c Cluster) bool {
	for k, v := range a.ClusterSelector {
		if c.Labels[k] != v {
			return false
		}
	}
	return true
}

// Applications are the Applications of s's add-ons for clusters, by
// manifest path.
func Applications(s registry.Site, clusters []Cluster) map[string]chart.Application {
	apps := map[string]chart.Application{}
	if s.GitOps == nil {
		return apps
	}
	for _, c := range clusters {
		for _, a := range s.ClusterAddons {
			if !selects(a, c) {
				continue
			}
			apps[ManifestPath(s.GitOps.Path, c.Name, a.Name)] = chart.Application{
				Name: ApplicationName(c.Name, a.Name), Namespace: s.ArgoCD.Namespace,
				Labels:      map[string]string{chart.LabelKind: KindLabel, registry.LabelSite: s.Name, LabelCluster: c.Name},
				ReleaseName: a.Name, Source: Source(a), Cluster: c.Name, TargetNamespace: a.Namespace,
			}
		}
	}
	return apps
}

// Files renders apps, with the index that lists them, under dir.
func Files(dir string, apps map[string]chart.Application) (map[string]string, error) {
	files := map[string]string{}
	for p, app := range apps {
		manifest, err := chart.Render(app)
		if err != nil {
			return nil, err
		}
		files[p] = manifest
	}
	paths := slices.Sorted(maps.Keys(apps))
	files[indexPath(dir)] = "# Manifests of the site's cluster add-ons (mc_site cluster_addons), one a line.\n" + strings.Join(paths, "\n") + "\n"
	return files, nil
}

// indexed reads the manifest paths an index lists.
func indexed(index string) []string {
	var out []string
	for _, l := range strings.Split(index, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Change is the commit that brings the repository's add-on manifests under
// dir to want: the files that differ and those the index lists that are no
// longer wanted. It is empty when git matches.
func Change(ctx context.Context, committer *git.Committer, t gitops.Target, dir string, want map[string]string) (git.Change, error) {
	index := indexPath(dir)
	current, _, err := committer.ReadFiles(ctx, t.Repo, t.Branch, "", []string{index})
	if err != nil {
		return git.Change{}, err
	}
	old := indexed(current[index])
	paths := slices.Sorted(maps.Keys(want))
	have, _, err := committer.ReadFiles(ctx, t.Repo, t.Branch, "", append(slices.Clone(paths), old...))
	if err != nil {
		return git.Change{}, err
	}
	change := git.Change{Files: map[string]string{}, Message: "site cluster add-ons"}
	for _, p := range paths {
		if have[p] != want[p] {
			change.Files[p] = want[p]
		}
	}
	for _, p := range old {
		if _, ok := want[p]; !ok {
			if _, exists := have[p]; exists {
				change.Delete = append(change.Delete, p)
			}
		}
	}
	return change, nil
}

// Empty reports whether c changes nothing.
func Empty(c git.Change) bool { return len(c.Files) == 0 && len(c.Delete) == 0 }

// Target is the site's GitOps repository and branch; s.GitOps must be set.
func Target(s registry.Site) gitops.Target {
	g := s.GitOps
	return gitops.Target{Repo: git.Repository{URL: g.RepoURL, Username: g.Username, Password: g.Password}, Branch: g.Branch}
}

// Commit renders the add-ons of s for the clusters registered at the site
// now (none when s has none: those the index lists are removed) and commits
// what differs from git as one commit through gitops.Shared(), asking the
// site's root application to refresh. It does not wait for Argo CD. A site
// without GitOps has nothing to commit.
//
// Commits for one site are serialised in this process, each listing the
// clusters after the previous one committed: two registrations at once
// cannot leave the index without one of them. (Another process, say the
// controller beside Terraform, can still race; the site then reads as out
// of date and its next apply or reconcile renders the add-ons again.)
func Commit(ctx context.Context, m *registry.Management, s registry.Site) error {
	if s.GitOps == nil {
		return nil
	}
	mu, _ := siteLocks.LoadOrStore(s.Name, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	clusters, err := Clusters(ctx, m.Core, s)
	if err != nil {
		return err
	}
	want, err := Files(s.GitOps.Path, Applications(s, clusters))
	if err != nil {
		return err
	}
	d := gitops.Shared()
	t := Target(s)
	change, err := Change(ctx, d.Committer(), t, s.GitOps.Path, want)
	if err != nil {
		return fmt.Errorf("cannot read the cluster add-ons from the GitOps repository: %w", err)
	}
	if Empty(change) {
		return nil
	}
	if _, err := d.Commit(ctx, m.Dynamic, t, change, gitops.App{Namespace: s.ArgoCD.Namespace, Name: RootApplicationName(s.Name)}); err != nil {
		return fmt.Errorf("cannot commit the cluster add-ons: %w", err)
	}
	return nil
}

// siteLocks holds a *sync.Mutex per site name.
var siteLocks sync.Map

// Registered brings the add-ons in the GitOps repository of the site conn
// connects to up to date with the clusters registered there now, after a
// kind registered or deregistered a cluster: the site as registered (its
// record) says which add-ons. A site without add-ons or GitOps is left
// alone (the site kind removed its add-ons when they were dropped).
func Registered(ctx context.Context, conn *registry.Connection) error {
	s := conn.Record.Spec
	if s.GitOps == nil || len(s.ClusterAddons) == 0 {
		return nil
	}
	if err := Commit(ctx, conn.Management, s); err != nil {
		return fmt.Errorf("cannot bring the add-ons of site %q up to date with its clusters: %w", s.Name, err)
	}
	return nil
}
