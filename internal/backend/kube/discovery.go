package kube

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// Group names this project looks for on a management cluster.
const (
	ClusterAPIGroup = "cluster.x-k8s.io"
	ArgoCDGroup     = "argoproj.io"
)

// Capabilities is what a cluster runs, as far as the provider cares.
type Capabilities struct {
	// ServerVersion is the Kubernetes version, for example v1.36.3.
	ServerVersion string
	// ClusterAPIVersion is the preferred version of the cluster.x-k8s.io
	// group, empty when Cluster API is not installed.
	ClusterAPIVersion string
	// ArgoCDVersion is the preferred version of the argoproj.io group,
	// empty when Argo CD's CRDs are not installed.
	ArgoCDVersion string
}

// Discover asks the cluster behind cfg for its version and API groups. The
// server version call needs valid credentials, so a wrong token fails here.
func Discover(ctx context.Context, cfg *rest.Config) (Capabilities, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return Capabilities{}, fmt.Errorf("cannot build discovery client: %w", err)
	}
	return DiscoverWith(ctx, dc)
}

// DiscoverWith is Discover through an existing discovery client, whose
// connections it reuses: three requests (/version, /api and /apis).
func DiscoverWith(ctx context.Context, dc discovery.DiscoveryInterface) (Capabilities, error) {
	var caps Capabilities
	var v version.Info
	body, err := dc.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return caps, err
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return caps, fmt.Errorf("cannot decode the server version: %w", err)
	}
	caps.ServerVersion = v.GitVersion
	groups, err := dc.ServerGroups()
	if err != nil {
		return caps, err
	}
	for _, g := range groups.Groups {
		switch g.Name {
		case ClusterAPIGroup:
			caps.ClusterAPIVersion = g.PreferredVersion.Version
		case ArgoCDGroup:
			caps.ArgoCDVersion = g.PreferredVersion.Version
		}
	}
	return caps, nil
}

// ServerVersion asks the cluster behind cfg for its Kubernetes version (one
// request, /version). A token the cluster rejects fails with 401.
func ServerVersion(ctx context.Context, cfg *rest.Config) (string, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", fmt.Errorf("cannot build discovery client: %w", err)
	}
	body, err := dc.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("cannot decode the server version: %w", err)
	}
	return v.GitVersion, nil
}
