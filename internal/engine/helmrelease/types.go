// Package helmrelease implements the engine client for Helm releases
// delivered through Argo CD: an Argo CD Application that installs a chart
// into a cluster registered at a site, committed as a manifest into the
// site's GitOps repository at <path>/helm/<cluster>-<namespace>-<name>.yaml,
// where the site's root application picks it up.
//
// Create and Update commit and return; Observe reads the manifest back
// from git (drift, import) and reports the release Ready once the root
// application has synced the commit and the release's Application has
// compared and synced exactly that chart and those values, Synced and
// Healthy. A chart Argo CD cannot render, or whose objects the cluster
// refuses, fails at once with Argo CD's message.
package helmrelease

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
)

// Spec is the desired Helm release, shared by both front-ends.
type Spec struct {
	// Site is the site whose Argo CD and GitOps repository deliver the
	// release.
	Site string
	// Cluster is the destination cluster's name in the site's Argo CD.
	Cluster string
	// Namespace is the namespace the chart is installed into (created when
	// missing).
	Namespace string
	// Name is the Helm release name.
	Name string
	// RepoURL is the Helm repository's URL, oci://<registry>/<repository>
	// for an OCI chart, or a git repository's URL (with Path).
	RepoURL string
	// Chart is the chart's name in a Helm repository.
	Chart string
	// Version is the chart version, the OCI tag or the git revision.
	Version string
	// Path is the chart's directory in the git repository.
	Path string
	// Values is a YAML mapping of values; the engine reports it in
	// canonical form (chart.CanonicalValues).
	Values string
	// Set and SetString are Helm parameters, by dotted name.
	Set, SetString map[string]string
	// ValueFiles are values files of the chart, applied in order.
	ValueFiles []string
	// Notify are the notification channels told how each wait for a sync
	// ended (sync_succeeded, sync_failed). They are not stored with the
	// release: Observe never reports them, and they never make it out of
	// date.
	Notify []string
}

// Status is what the engine reports of a release.
type Status struct {
	// Application is the release's Argo CD Application, <namespace>/<name>.
	Application string
	// ManifestPath is the manifest's path in the GitOps repository.
	ManifestPath string
	// Commit is the GitOps repository commit that last changed the manifest.
	Commit string
	// SyncStatus and HealthStatus are the Application's.
	SyncStatus, HealthStatus string
	// Revision is the revision Argo CD last compared: the chart version,
	// or the git commit of a chart in git.
	Revision string
}

// Source returns the chart and values of s.
func (s Spec) Source() chart.Source {
	return chart.Source{
		RepoURL: s.RepoURL, Chart: s.Chart, Version: s.Version, Path: s.Path, Values: s.Values,
		Set: s.Set, SetString: s.SetString, ValueFiles: s.ValueFiles,
	}
}

// ID returns the release's id, "<site>/<cluster>/<namespace>/<name>".
func (s Spec) ID() string { return strings.Join([]string{s.Site, s.Cluster, s.Namespace, s.Name}, "/") }

// ParseID splits "<site>/<cluster>/<namespace>/<name>" into a spec that
// names the release.
func ParseID(id string) (Spec, error) {
	parts := strings.Split(id, "/")
	if len(parts) != 4 || slices.Contains(parts, "") {
		return Spec{}, fmt.Errorf("%q is not <site>/<cluster>/<namespace>/<name>", id)
	}
	return Spec{Site: parts[0], Cluster: parts[1], Namespace: parts[2], Name: parts[3]}, nil
}

// ApplicationName is the name of the release's Argo CD Application:
// helm-<cluster>-<namespace>-<name>.
func ApplicationName(s Spec) string { return "helm-" + s.Cluster + "-" + s.Namespace + "-" + s.Name }

// ManifestPath is the manifest's path in the site's GitOps repository,
// under the site's path dir.
func ManifestPath(dir string, s Spec) string {
	return joinPath(dir, "helm", s.Cluster+"-"+s.Namespace+"-"+s.Name+".yaml")
}

// KeepPath is a file that keeps the helm directory, and so the site's
// GitOps path, in git when the last release is removed: the root
// application fails ("app path does not exist") on a path that is not in
// the repository. Argo CD reads only YAML and JSON files of the directory.
func KeepPath(dir string) string { return joinPath(dir, "helm", ".keep") }

const keepContent = "Helm releases of this site (mc_helm_release) are the YAML files of this directory.\n"

func joinPath(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" && p != "." {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// KindLabel is the value of chart.LabelKind on a release's Application.
const KindLabel = "helmrelease"

// ReplaceFields are the arguments of a release whose change needs a new
// one: they name the Application and the manifest.
var ReplaceFields = []string{"site", "cluster", "namespace", "name"}
