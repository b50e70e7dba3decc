// Package site implements the engine client for sites: the site record in the
// platform plane's registry namespace, the capability checks of the site's
// management cluster and the site's Argo CD root application.
package site

// Spec is the desired state of a site, shared by both front-ends. Secret
// values (token, kubeconfig, git password) are resolved by the front-end
// before calling the engine and are never reported back by Observe.
type Spec struct {
	// Name is the site's name, a DNS-1123 label; it is also the id.
	Name        string
	Description string
	Labels      map[string]string
	// ManagementCluster is the site's Cluster API management cluster; nil
	// means the platform plane's own cluster.
	ManagementCluster *ManagementCluster
	// ArgoCD tells where the site's Argo CD runs on the management cluster.
	ArgoCD ArgoCD
	// GitOps is the repository path the site's root application follows;
	// nil means no root application.
	GitOps *GitOps
	// Harbor is the site's Harbor; nil means the site has none.
	Harbor *Harbor
}

// ManagementCluster is how to reach a site's management cluster: either Host
// with Token (and CACertificate), or Kubeconfig (with an optional Context).
type ManagementCluster struct {
	Host          string
	CACertificate string
	// Insecure skips TLS verification of Host.
	Insecure bool
	Context  string
	// Token is a bearer token (secret).
	Token string
	// TokenVersion changes when Token changes; it is stored, Token is not reported.
	TokenVersion int64
	// Kubeconfig is a kubeconfig document (secret).
	Kubeconfig string
	// KubeconfigVersion changes when Kubeconfig changes.
	KubeconfigVersion int64
}

// ArgoCD locates the site's Argo CD.
type ArgoCD struct {
	// Namespace is where Argo CD runs on the management cluster.
	Namespace string
	// Destination is the Argo CD cluster name the root application deploys
	// to (the management cluster as Argo CD knows it).
	Destination string
}

// GitOps is the site's GitOps repository path.
type GitOps struct {
	RepoURL  string
	Branch   string
	Path     string
	Username string
	// Password is the repository password or token (secret).
	Password string
	// PasswordVersion changes when Password changes.
	PasswordVersion int64
}

// Harbor is how to reach a site's Harbor.
type Harbor struct {
	URL      string
	Username string
	// Password is the password or robot secret (secret).
	Password string
	// PasswordVersion changes when Password changes.
	PasswordVersion int64
	// Insecure skips TLS verification.
	Insecure bool
}

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
