package site

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ClusterAddon is a Helm chart every cluster registered at the site gets.
type ClusterAddon = registry.ClusterAddon

// AddonKindLabel is the value of chart.LabelKind on an add-on's Application.
const AddonKindLabel = "siteaddon"

// LabelAddonCluster names the cluster on an add-on's Application.
const LabelAddonCluster = "mc.mcplatform.dev/cluster"

// addonIndexName is the file under <path>/clusters that lists the
// manifests the add-ons rendered, so that those of a cluster that left the
// site, or of an add-on that was removed, are deleted. It also keeps the
// directory in git when no cluster has add-ons.
const addonIndexName = "addons.index"

// AddonApplicationName is the Argo CD Application of add-on on cluster.
func AddonApplicationName(cluster, addon string) string { return "addon-" + cluster + "-" + addon }

// AddonManifestPath is the manifest of add-on on cluster in the site's
// GitOps repository, under the site's path dir.
func AddonManifestPath(dir, cluster, addon string) string {
	return joinRepoPath(dir, "clusters", cluster, addon+".yaml")
}

func addonIndexPath(dir string) string { return joinRepoPath(dir, "clusters", addonIndexName) }

func joinRepoPath(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" && p != "." {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

func addonSource(a ClusterAddon) chart.Source {
	return chart.Source{
		RepoURL: a.RepoURL, Chart: a.Chart, Version: a.Version, Path: a.Path, Values: a.Values,
		Set: a.Set, SetString: a.SetString, ValueFiles: a.ValueFiles,
	}
}

// validateAddons adds the errors of the add-ons to v.
func validateAddons(v *engine.Validation, s Spec) {
	if len(s.ClusterAddons) > 0 && s.GitOps == nil {
		v.Add("cluster_addons", "cluster add-ons are delivered through the site's GitOps repository: set gitops too")
	}
	seen := map[string]bool{}
	for i, a := range s.ClusterAddons {
		p := "cluster_addons." + strconv.Itoa(i) + "."
		if v.Known(p + "name") {
			if errs := validation.IsDNS1123Label(a.Name); len(errs) > 0 {
				v.Add(p+"name", "%q is not a valid add-on name: %s", a.Name, strings.Join(errs, "; "))
			} else if len(a.Name) > 53 {
				v.Add(p+"name", "%q is longer than Helm's 53 characters for a release name", a.Name)
			}
			if seen[a.Name] {
				v.Add(p+"name", "add-on %q is listed twice", a.Name)
			}
			seen[a.Name] = true
		}
		if v.Known(p + "namespace") {
			if errs := validation.IsDNS1123Label(a.Namespace); len(errs) > 0 {
				v.Add(p+"namespace", "%q is not a namespace name: %s", a.Namespace, strings.Join(errs, "; "))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(a.ClusterSelector)) {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				v.Add(p+"cluster_selector", "label key %q is invalid: %s", k, strings.Join(errs, "; "))
			}
		}
		chart.Validate(v, addonSource(a), p)
	}
}

// canonicalAddons returns addons with canonical values.
func canonicalAddons(addons []ClusterAddon) ([]ClusterAddon, error) {
	if len(addons) == 0 {
		return nil, nil
	}
	out := make([]ClusterAddon, len(addons))
	for i, a := range addons {
		v, err := chart.CanonicalValues(a.Values)
		if err != nil {
			return nil, engine.InvalidInput("cluster_addons."+strconv.Itoa(i)+".values", "%v", err)
		}
		a.Values = v
		out[i] = a
	}
	return out, nil
}

// siteCluster is a cluster registered in the site's Argo CD.
type siteCluster struct {
	Name   string
	Labels map[string]string
}

// siteClusters lists the clusters registered at site s: the Argo CD
// cluster Secrets labelled with the site (mc_cluster, mc_cluster_registration).
func siteClusters(ctx context.Context, cs kubernetes.Interface, s Spec) ([]siteCluster, error) {
	sel := labels.SelectorFromSet(labels.Set{kube.LabelArgoCDSecretType: kube.ArgoCDSecretTypeCluster, registry.LabelSite: s.Name})
	list, err := cs.CoreV1().Secrets(s.ArgoCD.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("cannot list the clusters of site %q: %w", s.Name, err)
	}
	var out []siteCluster
	for i := range list.Items {
		sec := &list.Items[i]
		if sec.DeletionTimestamp != nil {
			continue
		}
		name := kube.ArgoCDClusterOf(sec).Name
		if name == "" {
			continue
		}
		out = append(out, siteCluster{Name: name, Labels: sec.Labels})
	}
	slices.SortFunc(out, func(a, b siteCluster) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// selects reports whether the add-on's selector matches the cluster.
func selects(a ClusterAddon, c siteCluster) bool {
	for k, v := range a.ClusterSelector {
		if c.Labels[k] != v {
			return false
		}
	}
	return true
}

// addonApplications are the Applications of s's add-ons for clusters, by
// manifest path.
func addonApplications(s Spec, clusters []siteCluster) map[string]chart.Application {
	apps := map[string]chart.Application{}
	for _, c := range clusters {
		for _, a := range s.ClusterAddons {
			if !selects(a, c) {
				continue
			}
			apps[AddonManifestPath(s.GitOps.Path, c.Name, a.Name)] = chart.Application{
				Name: AddonApplicationName(c.Name, a.Name), Namespace: s.ArgoCD.Namespace,
				Labels:      map[string]string{chart.LabelKind: AddonKindLabel, registry.LabelSite: s.Name, LabelAddonCluster: c.Name},
				ReleaseName: a.Name, Source: addonSource(a), Cluster: c.Name, TargetNamespace: a.Namespace,
			}
		}
	}
	return apps
}

// addonFiles renders apps, with the index that lists them.
func addonFiles(dir string, apps map[string]chart.Application) (map[string]string, error) {
	files := map[string]string{}
	for p, app := range apps {
		manifest, err := chart.Render(app)
		if err != nil {
			return nil, err
		}
		files[p] = manifest
	}
	paths := slices.Sorted(maps.Keys(apps))
	files[addonIndexPath(dir)] = "# Manifests of the site's cluster add-ons (mc_site cluster_addons), one a line.\n" + strings.Join(paths, "\n") + "\n"
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

// addonChange is the commit that brings the repository's add-on manifests
// to want: the files that differ and those the index lists that are no
// longer wanted. It is empty when git matches.
func addonChange(ctx context.Context, committer *git.Committer, t gitops.Target, dir string, want map[string]string) (git.Change, error) {
	index := addonIndexPath(dir)
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

func emptyChange(c git.Change) bool { return len(c.Files) == 0 && len(c.Delete) == 0 }

func gitopsTarget(s Spec) gitops.Target {
	g := s.GitOps
	return gitops.Target{Repo: git.Repository{URL: g.RepoURL, Username: g.Username, Password: g.Password}, Branch: g.Branch}
}

// syncAddons commits the add-on manifests of s for the clusters registered
// at the site now (none when s has no add-ons: those of cur are removed).
func syncAddons(ctx context.Context, m *registry.Management, s Spec, cur *Spec) error {
	if s.GitOps == nil || (len(s.ClusterAddons) == 0 && (cur == nil || len(cur.ClusterAddons) == 0)) {
		return nil
	}
	clusters, err := siteClusters(ctx, m.Core, s)
	if err != nil {
		return err
	}
	want, err := addonFiles(s.GitOps.Path, addonApplications(s, clusters))
	if err != nil {
		return err
	}
	d := gitops.Shared()
	t := gitopsTarget(s)
	change, err := addonChange(ctx, d.Committer(), t, s.GitOps.Path, want)
	if err != nil {
		return fmt.Errorf("cannot read the cluster add-ons from the GitOps repository: %w", err)
	}
	if emptyChange(change) {
		return nil
	}
	if _, err := d.Commit(ctx, m.Dynamic, t, change, gitops.App{Namespace: s.ArgoCD.Namespace, Name: RootApplicationName(s.Name)}); err != nil {
		return fmt.Errorf("cannot commit the cluster add-ons: %w", err)
	}
	return nil
}

// observeAddons reports whether git holds the add-on manifests of rec (the
// applied spec) for the clusters registered now, and whether every add-on
// Application is Synced and Healthy; message says what is missing.
func observeAddons(ctx context.Context, m *registry.Management, rec Spec) (rendered, ready bool, message string, err error) {
	clusters, err := siteClusters(ctx, m.Core, rec)
	if err != nil {
		return false, false, "", err
	}
	apps := addonApplications(rec, clusters)
	want, err := addonFiles(rec.GitOps.Path, apps)
	if err != nil {
		return false, false, "", err
	}
	change, err := addonChange(ctx, gitops.Shared().Committer(), gitopsTarget(rec), rec.GitOps.Path, want)
	if err != nil {
		return false, false, "", fmt.Errorf("cannot read the cluster add-ons from the GitOps repository: %w", err)
	}
	if !emptyChange(change) {
		return false, false, "the cluster add-ons are not rendered for the clusters registered now", nil
	}
	var waiting []string
	for _, p := range slices.Sorted(maps.Keys(apps)) {
		app := apps[p]
		u, err := chart.GetApplication(ctx, m.Dynamic, app.Namespace, app.Name)
		if err != nil {
			return true, false, "", err
		}
		ready, failed, msg := chart.Progress(u, app)
		if failed != nil {
			return true, false, "", failed
		}
		if !ready {
			waiting = append(waiting, app.Name+": "+msg)
		}
	}
	if len(waiting) > 0 {
		return true, false, "cluster add-ons: " + strings.Join(waiting, "; "), nil
	}
	return true, true, "", nil
}

// equalAddons compares two lists of add-ons, values as YAML.
func equalAddons(a, b []ClusterAddon) bool {
	ca, err1 := canonicalAddons(a)
	cb, err2 := canonicalAddons(b)
	if err1 != nil || err2 != nil || len(ca) != len(cb) {
		return false
	}
	for i := range ca {
		x, y := ca[i], cb[i]
		if x.Name != y.Name || x.Namespace != y.Namespace || !chart.Equal(addonSource(x), addonSource(y)) ||
			len(x.ClusterSelector) != len(y.ClusterSelector) || (len(x.ClusterSelector) > 0 && !maps.Equal(x.ClusterSelector, y.ClusterSelector)) {
			return false
		}
	}
	return true
}
