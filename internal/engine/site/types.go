// Package site implements the engine client for sites: the site record in the
// platform plane's registry namespace, the capability checks of the site's
// management cluster and the site's Argo CD root application.
package site

import "github.com/mcplatform/terraform-provider-mc/internal/engine/registry"

// Spec is the desired state of a site, shared by both front-ends: what its
// record in the registry holds (see registry.Site). Secret values (token,
// kubeconfig, git password) are resolved by the front-end before calling
// the engine and are never reported back by Observe.
type Spec = registry.Site

// ManagementCluster is how to reach a site's management cluster.
type ManagementCluster = registry.ManagementCluster

// ArgoCD locates the site's Argo CD.
type ArgoCD = registry.ArgoCD

// GitOps is the site's GitOps repository path.
type GitOps = registry.GitOps

// Harbor is how to reach a site's Harbor.
type Harbor = registry.Harbor

// Status is what the engine computes for a site.
type Status struct {
	KubernetesVersion string
	// CAPIVersion is the served storage version of Cluster API's Cluster
	// kind on the management cluster; empty when Cluster API is absent.
	CAPIVersion string
	// ArgoCDVersion is the storage version of Argo CD's Application kind on
	// the management cluster; empty when Argo CD is absent.
	ArgoCDVersion string
	// HarborVersion is the version the site's Harbor reports; empty without Harbor.
	HarborVersion string
	// RootApplication is the name of the root application, empty without GitOps.
	RootApplication string
	// SyncStatus and HealthStatus are the root application's.
	SyncStatus   string
	HealthStatus string
	Ready        bool
	Conditions   []Condition
	// TaskRunner is the site's task runner (mc-taskrunner) as its Lease
	// tells; Available is false when none serves the site.
	TaskRunner TaskRunner
}

// TaskRunner is what the site's task runner publishes: whether it is
// renewing its Lease, who holds it, its executors and version.
type TaskRunner struct {
	Available bool
	Identity  string
	Executors []string
	Version   string
}

// Condition is one observed fact about the site.
type Condition struct {
	Type    string
	Status  string
	Reason  string
	Message string
}

// ReplaceFields are the arguments of a site whose change needs a new site:
// the name is the record's key.
var ReplaceFields = []string{"name"}
