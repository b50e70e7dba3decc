package controller

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
)

// PlatformConnection is how to reach the platform plane, as a
// ProviderConfig describes it.
type PlatformConnection struct {
	// Config reaches the platform plane's API server.
	Config *rest.Config
	// Namespace is the site registry namespace.
	Namespace string
	// Revision changes whenever the ProviderConfig or its credentials
	// change; connections with the same ProviderConfig name and Revision
	// are interchangeable.
	Revision string
}

// ProviderConfigResolver turns a ProviderConfig into a PlatformConnection.
type ProviderConfigResolver struct {
	// Kube reads ProviderConfigs.
	Kube client.Reader
	// Secrets reads credential Secrets; an uncached reader.
	Secrets client.Reader
	// InjectedIdentity is the controller's own configuration, used by
	// ProviderConfigs with source InjectedIdentity.
	InjectedIdentity *rest.Config
}

// Resolve reads the ProviderConfig mg references and builds its connection.
func (r ProviderConfigResolver) Resolve(ctx context.Context, mg Managed) (PlatformConnection, error) {
	name := v1alpha1.DefaultProviderConfigName
	if ref := mg.GetResourceSpec().ProviderConfigReference; ref != nil && ref.Name != "" {
		name = ref.Name
	}
	var pc v1alpha1.ProviderConfig
	if err := r.Kube.Get(ctx, client.ObjectKey{Name: name}, &pc); err != nil {
		return PlatformConnection{}, fmt.Errorf("cannot get ProviderConfig %q: %w", name, err)
	}
	conn := PlatformConnection{Namespace: pc.Spec.Namespace, Revision: pc.ResourceVersion}
	if conn.Namespace == "" {
		conn.Namespace = v1alpha1.DefaultRegistryNamespace
	}

	switch source := pc.Spec.Credentials.Source; source {
	case v1alpha1.CredentialsSourceInjectedIdentity, "":
		if r.InjectedIdentity == nil {
			return PlatformConnection{}, fmt.Errorf("ProviderConfig %q: the controller has no injected identity", name)
		}
		conn.Config = rest.CopyConfig(r.InjectedIdentity)
	case v1alpha1.CredentialsSourceSecret:
		ref := pc.Spec.Credentials.SecretRef
		if ref == nil {
			return PlatformConnection{}, fmt.Errorf("ProviderConfig %q: credentials.secretRef is required when source is Secret", name)
		}
		kubeconfig, err := secretValue(ctx, r.Secrets, *ref)
		if err != nil {
			return PlatformConnection{}, fmt.Errorf("ProviderConfig %q: %w", name, err)
		}
		cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(kubeconfig))
		if err != nil {
			return PlatformConnection{}, fmt.Errorf("ProviderConfig %q: cannot parse the kubeconfig in secret %s/%s: %w", name, ref.Namespace, ref.Name, err)
		}
		conn.Config = cfg
		conn.Revision = fmt.Sprintf("%s/%d", pc.ResourceVersion, SecretVersion(kubeconfig))
	default:
		return PlatformConnection{}, fmt.Errorf("ProviderConfig %q: unknown credentials source %q", name, source)
	}
	return conn, nil
}

// engineCache keeps one engine client per ProviderConfig and builds a new
// one when the ProviderConfig or its credentials change.
type engineCache[C any] struct {
	providerConfigs ProviderConfigResolver
	build           func(platform *rest.Config, namespace string) C

	mu      sync.Mutex
	clients map[string]cachedEngine[C]
}

type cachedEngine[C any] struct {
	revision string
	client   C
}

func newEngineCache[C any](providerConfigs ProviderConfigResolver, build func(platform *rest.Config, namespace string) C) *engineCache[C] {
	return &engineCache[C]{providerConfigs: providerConfigs, build: build, clients: map[string]cachedEngine[C]{}}
}

// get returns the engine client of the ProviderConfig mg references.
func (c *engineCache[C]) get(ctx context.Context, mg Managed) (C, error) {
	conn, err := c.providerConfigs.Resolve(ctx, mg)
	if err != nil {
		var zero C
		return zero, err
	}
	key := v1alpha1.DefaultProviderConfigName
	if ref := mg.GetResourceSpec().ProviderConfigReference; ref != nil && ref.Name != "" {
		key = ref.Name
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached, ok := c.clients[key]; ok && cached.revision == conn.Revision {
		return cached.client, nil
	}
	client := c.build(conn.Config, conn.Namespace)
	c.clients[key] = cachedEngine[C]{revision: conn.Revision, client: client}
	return client, nil
}
