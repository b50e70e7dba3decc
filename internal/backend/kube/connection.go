// Package kube holds the thin Kubernetes helpers the engine uses: building a
// client configuration from connection settings, discovering what a cluster
// runs, and reading and writing Argo CD objects.
package kube

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
	"github.com/mcplatform/terraform-provider-mc/internal/urlcheck"
)

// Connection tells how to reach a cluster: a kubeconfig (a path or the
// document itself, with an optional context) or a host with a bearer token.
type Connection struct {
	KubeconfigPath string
	Kubeconfig     string
	Context        string
	Host           string
	Token          string
	CACertificate  string
	Insecure       bool
}

// RESTConfig builds a client configuration from c. Clients built from it log
// each request to the logger of the request's context (see LogRequests).
// Its errors never show the token or the kubeconfig's credentials.
func (c Connection) RESTConfig() (*rest.Config, error) {
	cfg, err := c.restConfig()
	if err != nil {
		return nil, redact.Error(err, c.secrets()...)
	}
	return LogRequests(cfg), nil
}

// secrets returns the credentials c holds: the token, and the tokens,
// passwords and private keys of the kubeconfig when it parses.
func (c Connection) secrets() []string {
	out := []string{c.Token}
	if c.Kubeconfig == "" {
		return out
	}
	raw, err := clientcmd.Load([]byte(c.Kubeconfig))
	if err != nil {
		return out
	}
	for _, a := range raw.AuthInfos {
		out = append(out, a.Token, a.Password, string(a.ClientKeyData))
	}
	return out
}

func (c Connection) restConfig() (*rest.Config, error) {
	var cfg *rest.Config
	switch {
	case c.Kubeconfig != "":
		raw, err := ParseKubeconfig(c.Kubeconfig, c.Context)
		if err != nil {
			return nil, err
		}
		cfg, err = clientcmd.NewNonInteractiveClientConfig(*raw, c.Context, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("cannot use kubeconfig: %w", err)
		}
	case c.KubeconfigPath != "":
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: c.KubeconfigPath}
		var err error
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("cannot load kubeconfig %q: %w", c.KubeconfigPath, err)
		}
	case c.Host != "":
		if err := ValidateHost(c.Host); err != nil {
			return nil, err
		}
		cfg = &rest.Config{Host: c.Host, BearerToken: c.Token}
		cfg.TLSClientConfig.Insecure = c.Insecure
		if c.CACertificate != "" {
			cfg.TLSClientConfig.CAData = []byte(c.CACertificate)
		}
	default:
		return nil, errors.New("no kubeconfig and no host given")
	}
	cfg.UserAgent = "terraform-provider-mc"
	// API warnings (such as Argo CD's finalizer name) are not the user's to act on.
	cfg.WarningHandler = rest.NoWarnings{}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	return cfg, nil
}

// ParseKubeconfig parses a kubeconfig document and checks that context (or
// its current context when empty) exists and points at a cluster with a server.
func ParseKubeconfig(doc, context string) (*clientcmdapi.Config, error) {
	raw, err := clientcmd.Load([]byte(doc))
	if err != nil {
		return nil, fmt.Errorf("kubeconfig does not parse: %w", err)
	}
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, errors.New("kubeconfig has no current context and no context was given")
	}
	ctx, ok := raw.Contexts[name]
	if !ok {
		return nil, fmt.Errorf("kubeconfig has no context %q", name)
	}
	cluster, ok := raw.Clusters[ctx.Cluster]
	if !ok || cluster.Server == "" {
		return nil, fmt.Errorf("context %q names cluster %q, which the kubeconfig does not define with a server", name, ctx.Cluster)
	}
	return raw, nil
}

// ValidateHost checks that host is an https or http URL with a host part.
func ValidateHost(host string) error {
	return urlcheck.Check(host, urlcheck.Rules{Example: "https://10.0.0.1:6443", NoQuery: true})
}

// DescribeError turns a client error into a message that says what the user
// can do about it. URLs in it are redacted.
func DescribeError(host string, err error) string {
	var netErr net.Error
	host = redact.URL(host)
	msg := redact.Text(err.Error())
	switch {
	case strings.Contains(msg, "Unauthorized") || strings.Contains(msg, "the server has asked for the client to provide credentials"):
		return fmt.Sprintf("the cluster at %s rejected the credentials (401 Unauthorized): check the token or kubeconfig", host)
	case strings.Contains(msg, "forbidden") || strings.Contains(msg, "Forbidden"):
		return fmt.Sprintf("the cluster at %s refused the request (403 Forbidden): the credentials lack permission: %s", host, msg)
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"), errors.As(err, &netErr):
		return fmt.Sprintf("cannot reach the cluster at %s: %s", host, msg)
	case strings.Contains(msg, "x509") || strings.Contains(msg, "certificate"):
		return fmt.Sprintf("cannot verify the TLS certificate of %s: set the CA certificate: %s", host, msg)
	}
	return fmt.Sprintf("cannot talk to the cluster at %s: %s", host, msg)
}
