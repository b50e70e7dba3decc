// Package applicationdeployment implements the engine client of an
// application's deployment to a cluster through GitOps: it writes the
// application's workload manifest (a plain Deployment with the wanted image)
// into the application's yaml repository and an Argo CD Application that
// follows it into the site's GitOps repository, where the site's root
// application picks it up. It then waits, through internal/engine/gitops,
// until Argo CD reports the Application Synced and Healthy at exactly the
// yaml commit with the sync operation Succeeded.
//
// The yaml repository rule (no Helm or Kustomize needed): the deployment
// owns the directory deploy/<site>/<cluster>/ of the yaml repository and
// writes one file there, deployment.yaml, a Deployment named after the
// application whose only container runs the image. The Argo CD Application
// deploys that directory (plain manifests) into Namespace on Cluster. Other
// files a team adds to that directory are deployed with it and left alone.
package applicationdeployment

import (
	"fmt"
	"strings"
)

// Spec is the desired deployment, shared by both front-ends.
type Spec struct {
	// Application is the application, "<PROJECT>/<name>" (mc_application).
	Application string
	// Site is the site whose GitOps repository and Argo CD deploy it.
	Site string
	// Cluster is the Argo CD name of the destination cluster.
	Cluster string
	// Namespace is the destination namespace in Cluster.
	Namespace string
	// Image is the container image deployed.
	Image Image
	// SyncPolicy is the Argo CD Application's sync policy.
	SyncPolicy SyncPolicy
	// Notify are the notification channels told how each wait for a sync
	// ended (sync_succeeded, sync_failed). They are not stored with the
	// deployment: Observe never reports them, and they never make it out
	// of date.
	Notify []string
}

// Image is a container image: Repository with either Tag or Digest.
type Image struct {
	Repository string
	Tag        string
	Digest     string
}

// Reference is the image reference, repository:tag or repository@digest.
func (i Image) Reference() string {
	if i.Digest != "" {
		return i.Repository + "@" + i.Digest
	}
	return i.Repository + ":" + i.Tag
}

// SyncPolicy is the Argo CD sync policy of the Application.
type SyncPolicy struct {
	// Automated syncs every new revision; Prune and SelfHeal refine it.
	Automated bool
	Prune     bool
	SelfHeal  bool
	// SyncOptions are Argo CD sync options, such as CreateNamespace=true.
	SyncOptions []string
	// Retry is the retry policy of failed syncs; nil is Argo CD's default
	// (no retry).
	Retry *Retry
}

// Retry is Argo CD's retry policy of a failed sync.
type Retry struct {
	// Limit is the number of retries.
	Limit int64
	// BackoffDuration, BackoffMaxDuration are durations such as "5s",
	// "3m"; BackoffFactor multiplies the duration at each retry. Zero
	// values are Argo CD's defaults.
	BackoffDuration    string
	BackoffFactor      int64
	BackoffMaxDuration string
}

// Status is what the engine reports of a deployment.
type Status struct {
	// ApplicationName is the Argo CD Application's name, in ArgoCDNamespace.
	ApplicationName string
	ArgoCDNamespace string
	// ManifestPath is the Application manifest's path in the GitOps
	// repository; YAMLPath the Deployment manifest's path in the yaml
	// repository.
	ManifestPath, YAMLPath string
	// GitOpsCommit and YAMLCommit are the commits that last changed the
	// manifests in the GitOps and the yaml repository.
	GitOpsCommit, YAMLCommit string
	// SyncedRevision is the revision Argo CD compared with (of the yaml
	// repository); SyncStatus and HealthStatus Argo CD's verdicts.
	SyncedRevision, SyncStatus, HealthStatus string
	// OperationPhase and OperationMessage describe the last sync operation.
	OperationPhase, OperationMessage string
}

// ReplaceFields are the arguments whose change needs a new deployment: they
// name the Application and the files, and a new namespace is a new home
// for the workload (the old one is removed with the old Application).
var ReplaceFields = []string{"application", "site", "cluster", "namespace"}

// Labels of the Application manifest.
const (
	// LabelKind names the kind that wrote a GitOps manifest.
	LabelKind = "mc.mcplatform.dev/kind"
	// LabelManagedBy marks the manifests the provider writes.
	LabelManagedBy = "mc.mcplatform.dev/managed-by"
	// ManagedBy is LabelManagedBy's value.
	ManagedBy = "terraform-provider-mc"
	// KindName is LabelKind's value on this kind's manifests.
	KindName = "application-deployment"
	// LabelProject, LabelApplication, LabelCluster locate the deployment.
	LabelProject     = "mc.mcplatform.dev/project"
	LabelApplication = "mc.mcplatform.dev/application"
	LabelCluster     = "mc.mcplatform.dev/cluster"
	// ResourcesFinalizer makes Argo CD delete the Application's resources
	// before the Application itself.
	ResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"
)

// ID returns the deployment's id, "<site>/<PROJECT>/<name>/<cluster>".
func (s Spec) ID() string { return s.Site + "/" + s.Application + "/" + s.Cluster }

// ID returns the id of s.
func ID(s Spec) string { return s.ID() }

// ParseID splits "<site>/<PROJECT>/<name>/<cluster>".
func ParseID(id string) (site, application, cluster string, err error) {
	parts := strings.Split(id, "/")
	if len(parts) != 4 || slicesAnyEmpty(parts) {
		return "", "", "", fmt.Errorf("%q is not <site>/<PROJECT>/<application>/<cluster>", id)
	}
	return parts[0], parts[1] + "/" + parts[2], parts[3], nil
}

func slicesAnyEmpty(parts []string) bool {
	for _, p := range parts {
		if p == "" {
			return true
		}
	}
	return false
}

// SplitApplication splits "<PROJECT>/<name>".
func SplitApplication(app string) (project, name string, err error) {
	project, name, ok := strings.Cut(app, "/")
	if !ok || project == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not <PROJECT>/<name>", app)
	}
	return project, name, nil
}

// ApplicationName is the Argo CD Application's name of the deployment of
// application project/name to cluster: <project lower>-<name>-<cluster>.
func ApplicationName(project, name, cluster string) string {
	return strings.ToLower(project) + "-" + strings.ToLower(name) + "-" + cluster
}

// ManifestPath is the Application manifest's path under the site's GitOps
// path (gitopsPath, as mc_site's gitops.path).
func ManifestPath(gitopsPath, project, name, cluster string) string {
	p := strings.Trim(gitopsPath, "/")
	f := "apps/" + ApplicationName(project, name, cluster) + ".yaml"
	if p == "" || p == "." {
		return f
	}
	return p + "/" + f
}

// YAMLDir is the directory of the yaml repository the deployment owns.
func YAMLDir(site, cluster string) string { return "deploy/" + site + "/" + cluster }

// YAMLPath is the Deployment manifest's path in the yaml repository.
func YAMLPath(site, cluster string) string { return YAMLDir(site, cluster) + "/deployment.yaml" }
