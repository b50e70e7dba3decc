package cluster

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// KubeconfigSecretKey is the key under which Cluster API keeps the admin
// kubeconfig document in the Secret named by KubeconfigSecretName.
const KubeconfigSecretKey = "value"

// KubeconfigSecretName is the name of the Secret, in the cluster's namespace
// on the management cluster, in which Cluster API keeps the admin
// kubeconfig of cluster name.
func KubeconfigSecretName(name string) string { return name + "-kubeconfig" }

// Kubeconfig is a workload cluster's admin kubeconfig and the connection
// facts in it, in the form the kubernetes and helm providers take them.
// Every field but Host is a credential or comes with one: never log it.
type Kubeconfig struct {
	// Raw is the kubeconfig document as Cluster API wrote it.
	Raw string
	// Host is the API server URL, such as https://10.0.0.1:6443.
	Host string
	// CACertificate is the PEM CA bundle that signs the API server's
	// certificate; empty when the kubeconfig relies on the system roots.
	CACertificate []byte
	// ClientCertificate and ClientKey are the PEM client certificate and
	// its key; empty when the kubeconfig authenticates with a token.
	ClientCertificate []byte
	ClientKey         []byte
	// Token is the bearer token; empty when the kubeconfig authenticates
	// with a client certificate.
	Token string
	// TLSServerName is the name to verify the API server's certificate
	// against instead of Host's, if set.
	TLSServerName string
	// Insecure skips the verification of the API server's certificate.
	Insecure bool
}

// errKubeconfigUnusable is returned, without the underlying parser's text
// (which can quote the document), when a kubeconfig cannot be used.
var errKubeconfigUnusable = errors.New("the kubeconfig does not parse or names no usable current context")

// ParseKubeconfig reads the connection facts of the current context of a
// kubeconfig document. Credentials must be embedded (data fields or a
// token): references to files are refused, since the files exist only where
// the kubeconfig was written. Errors never quote the document.
func ParseKubeconfig(doc string) (Kubeconfig, error) {
	raw, err := clientcmd.Load([]byte(doc))
	if err != nil {
		return Kubeconfig{}, errKubeconfigUnusable
	}
	kctx, ok := raw.Contexts[raw.CurrentContext]
	if !ok {
		return Kubeconfig{}, errKubeconfigUnusable
	}
	cl, ok := raw.Clusters[kctx.Cluster]
	if !ok || cl.Server == "" {
		return Kubeconfig{}, errKubeconfigUnusable
	}
	user, ok := raw.AuthInfos[kctx.AuthInfo]
	if !ok {
		return Kubeconfig{}, errKubeconfigUnusable
	}
	switch {
	case cl.CertificateAuthority != "" || user.ClientCertificate != "" || user.ClientKey != "" || user.TokenFile != "":
		return Kubeconfig{}, errors.New("the kubeconfig refers to credential files instead of embedding them")
	case user.Exec != nil || user.AuthProvider != nil:
		return Kubeconfig{}, errors.New("the kubeconfig authenticates through an exec or auth-provider plugin, which cannot be handed on")
	case user.Username != "" || user.Password != "":
		return Kubeconfig{}, errors.New("the kubeconfig authenticates with a username and password, which is not supported")
	}
	return Kubeconfig{
		Raw:               doc,
		Host:              cl.Server,
		CACertificate:     cl.CertificateAuthorityData,
		ClientCertificate: user.ClientCertificateData,
		ClientKey:         user.ClientKeyData,
		Token:             user.Token,
		TLSServerName:     cl.TLSServerName,
		Insecure:          cl.InsecureSkipTLSVerify,
	}, nil
}

// Kubeconfig returns the admin kubeconfig document of the workload cluster
// id, as Cluster API keeps it on the site's management cluster. The error
// wraps engine.ErrNotFound when the cluster or its kubeconfig does not exist
// (yet: Cluster API writes it while provisioning the control plane), and is
// a *engine.DependencyError when the site cannot be read. The document is a
// credential: never log or store it.
func (c *Client) Kubeconfig(ctx context.Context, id string) (string, error) {
	siteName, ns, name, err := ParseID(id)
	if err != nil {
		return "", err
	}
	sc, err := c.connectSite(ctx, siteName)
	if err != nil {
		return "", err
	}
	doc, found, err := readKubeconfig(ctx, sc.core, ns, name)
	if err != nil {
		return "", err
	}
	if found {
		return doc, nil
	}
	if _, err := sc.dynamic.Resource(ClusterGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return "", fmt.Errorf("cluster %s: %w", id, engine.ErrNotFound)
	}
	return "", fmt.Errorf("kubeconfig of cluster %s (Secret %s/%s): %w: Cluster API writes it while it provisions the control plane", id, ns, KubeconfigSecretName(name), engine.ErrNotFound)
}

// readKubeconfig reads the kubeconfig document Cluster API keeps for cluster
// ns/name; found is false when the Secret or its key does not exist.
func readKubeconfig(ctx context.Context, cs kubernetes.Interface, ns, name string) (doc string, found bool, err error) {
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, KubeconfigSecretName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot get the kubeconfig Secret %s/%s: %w", ns, KubeconfigSecretName(name), err)
	}
	raw := sec.Data[KubeconfigSecretKey]
	return string(raw), len(raw) > 0, nil
}
