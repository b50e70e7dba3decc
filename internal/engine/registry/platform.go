package registry

import (
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
)

// Platform says how to reach the platform plane cluster that keeps the site
// records: a kubeconfig file (with an optional context) or a host with a
// bearer token. Front-ends fill it from their own settings.
type Platform struct {
	KubeconfigPath string
	Context        string
	Host           string
	Token          string
	CACertificate  string
	Insecure       bool
}

// Open connects to the platform plane and returns the registry of the site
// records in namespace. Nothing is called yet: the first look-up connects.
func (p Platform) Open(namespace string) (*Registry, error) {
	cfg, err := kube.Connection{
		KubeconfigPath: p.KubeconfigPath, Context: p.Context, Host: p.Host, Token: p.Token,
		CACertificate: p.CACertificate, Insecure: p.Insecure,
	}.RESTConfig()
	if err != nil {
		return nil, err
	}
	return New(cfg, namespace), nil
}

// ValidateHost checks an API server URL such as https://10.0.0.1:6443.
func ValidateHost(host string) error { return kube.ValidateHost(host) }
