package site

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/addons"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// ClusterAddon is a Helm chart every cluster registered at the site gets.
type ClusterAddon = registry.ClusterAddon

// AddonKindLabel is the value of chart.LabelKind on an add-on's Application.
const AddonKindLabel = addons.KindLabel

// LabelAddonCluster names the cluster on an add-on's Application.
const LabelAddonCluster = addons.LabelCluster

// AddonApplicationName is the Argo CD Application of add-on on cluster.
func AddonApplicationName(cluster, addon string) string {
	return addons.ApplicationName(cluster, addon)
}

// AddonManifestPath is the manifest of add-on on cluster in the site's
// GitOps repository, under the site's path dir.
func AddonManifestPath(dir, cluster, addon string) string {
	return addons.ManifestPath(dir, cluster, addon)
}

func addonSource(a ClusterAddon) chart.Source { return addons.Source(a) }

// ValidateAddons checks the cluster add-ons of a site (with or without
// gitops) some of whose arguments may be unknown (at plan time); every
// error names its argument, such as cluster_addons[1].repo_url.
func ValidateAddons(addons []ClusterAddon, gitOps bool, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	s := Spec{ClusterAddons: addons}
	if gitOps {
		s.GitOps = &GitOps{}
	}
	validateAddons(v, s)
	return v.Err()
}

// validateAddons adds the errors of the add-ons to v.
func validateAddons(v *engine.Validation, s Spec) {
	if len(s.ClusterAddons) > 0 && s.GitOps == nil {
		v.Add("cluster_addons", "cluster add-ons are delivered through the site's GitOps repository: set gitops too")
	}
	seen := map[string]bool{}
	for i, a := range s.ClusterAddons {
		p := "cluster_addons[" + strconv.Itoa(i) + "]."
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

// syncAddons commits the add-on manifests of s for the clusters registered
// at the site now (none when s has no add-ons: those of cur are removed).
func syncAddons(ctx context.Context, m *registry.Management, s Spec, cur *Spec) error {
	if s.GitOps == nil || (len(s.ClusterAddons) == 0 && (cur == nil || len(cur.ClusterAddons) == 0)) {
		return nil
	}
	return addons.Commit(ctx, m, s)
}

// observeAddons reports whether git holds the add-on manifests of rec (the
// applied spec) for the clusters registered now, and whether every add-on
// Application is Synced and Healthy; message says what is missing.
func observeAddons(ctx context.Context, m *registry.Management, rec Spec) (rendered, ready bool, message string, err error) {
	clusters, err := addons.Clusters(ctx, m.Core, rec)
	if err != nil {
		return false, false, "", err
	}
	apps := addons.Applications(rec, clusters)
	want, err := addons.Files(rec.GitOps.Path, apps)
	if err != nil {
		return false, false, "", err
	}
	change, err := addons.Change(ctx, gitops.Shared().Committer(), addons.Target(rec), rec.GitOps.Path, want)
	if err != nil {
		return false, false, "", fmt.Errorf("cannot read the cluster add-ons from the GitOps repository: %w", err)
	}
	if !addons.Empty(change) {
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
