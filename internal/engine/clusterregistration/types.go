// Package clusterregistration implements the engine client for registering
// an existing Kubernetes cluster, one that Cluster API did not make (a
// brownfield cluster), in a site's Argo CD: a declarative Argo CD cluster
// Secret of the same shape as the one mc_cluster writes for the clusters
// it makes, holding the cluster's API server URL, CA certificate and a
// bearer token, so that Applications can target it by name.
//
// Create and Update first prove that the cluster answers at the URL, trusts
// the CA and accepts the token (a wrong token is invalid input on "token");
// Observe reports the cluster's Kubernetes version as Argo CD would reach
// it, with the token the Secret holds. The token is never reported back:
// TokenVersion, kept in an annotation of the Secret, tells when it changed.
package clusterregistration

// Spec is the desired registration, shared by both front-ends.
type Spec struct {
	// Site is the site in whose Argo CD the cluster is registered.
	Site string
	// Name is the cluster's Argo CD name, which Applications use as
	// destination.name; a DNS-1123 label.
	Name string
	// Server is the cluster's API server URL.
	Server string
	// CACertificate is the PEM CA bundle of Server; empty uses the system's
	// trusted roots.
	CACertificate string
	// Token is the bearer token Argo CD uses. It is write-only: Observe
	// never reports it, and an Update with an empty Token keeps the one
	// registered.
	Token string
	// TokenVersion changes whenever Token does.
	TokenVersion int64
	// Namespaces restricts Argo CD to these namespaces of the cluster;
	// empty means all.
	Namespaces []string
	// Labels are the cluster's labels in Argo CD (ApplicationSet cluster
	// generators and AppProjects select by them).
	Labels map[string]string
}

// Status is what the engine reports of a registration.
type Status struct {
	// KubernetesVersion is the version the cluster reports, reached as Argo
	// CD reaches it; empty while it does not answer.
	KubernetesVersion string
	// ArgoCDNamespace and SecretName locate the Argo CD cluster Secret.
	ArgoCDNamespace string
	SecretName      string
	// Reachable reports whether the cluster answered with the registered
	// token; Message says why not.
	Reachable bool
	Message   string
}

// ID returns the registration's id, "<site>/<name>".
func (s Spec) ID() string { return s.Site + "/" + s.Name }

// ID returns the id of the registration s.
func ID(s Spec) string { return s.ID() }

// SecretName is the name of the Argo CD cluster Secret of the registration
// of name: mc-registration.<name>. A name is a DNS-1123 label, without
// dots, so no registration shares it with another, nor with the Secrets of
// mc_cluster (mc-cluster.<namespace>.<name>).
func SecretName(name string) string { return "mc-registration." + name }

// ReplaceFields are the arguments of a registration whose change needs a
// new one: the site chooses the Argo CD, the name is the Secret's key.
var ReplaceFields = []string{"site", "name"}

// Labels of the Argo CD cluster Secret that the engine owns.
const (
	// LabelRegistration carries the registration's name.
	LabelRegistration = "mc.mcplatform.dev/cluster-registration"
	// AnnotationTokenVersion keeps Spec.TokenVersion.
	AnnotationTokenVersion = "mc.mcplatform.dev/token-version"
)
