package controller

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
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
	// Registries, when set, is shared by every kind that resolves through
	// it, so that they share one site registry (its clients and discovered
	// capabilities) per ProviderConfig; nil gives each kind its own.
	Registries *RegistryCache
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

// RegistryCache keeps one site registry per ProviderConfig, and a new one
// when the ProviderConfig or its credentials change. It is safe for
// concurrent use.
type RegistryCache struct {
	mu         sync.Mutex
	registries map[string]cachedRegistry
}

type cachedRegistry struct {
	revision string
	registry *registry.Registry
}

// NewRegistryCache returns an empty RegistryCache.
func NewRegistryCache() *RegistryCache {
	return &RegistryCache{registries: map[string]cachedRegistry{}}
}

// get returns the registry of ProviderConfig name, reached through conn.
func (c *RegistryCache) get(name string, conn PlatformConnection) *registry.Registry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached, ok := c.registries[name]; ok && cached.revision == conn.Revision {
		return cached.registry
	}
	reg := registry.New(conn.Config, conn.Namespace)
	c.registries[name] = cachedRegistry{revision: conn.Revision, registry: reg}
	return reg
}

// managerRegistries holds the RegistryCache of each manager, shared by the
// kinds set up with it.
var managerRegistries sync.Map // ctrl.Manager -> *RegistryCache

// registriesOf returns the RegistryCache that every kind set up with mgr
// shares.
func registriesOf(mgr ctrl.Manager) *RegistryCache {
	c, _ := managerRegistries.LoadOrStore(mgr, NewRegistryCache())
	return c.(*RegistryCache)
}

// resolverOf is the ProviderConfigResolver of the kinds set up with mgr.
func resolverOf(mgr ctrl.Manager) ProviderConfigResolver {
	return ProviderConfigResolver{
		Kube:             mgr.GetClient(),
		Secrets:          mgr.GetAPIReader(),
		InjectedIdentity: mgr.GetConfig(),
		Registries:       registriesOf(mgr),
	}
}

// engineCache keeps one engine client per ProviderConfig and builds a new
// one, over the ProviderConfig's site registry, when the ProviderConfig or
// its credentials change.
type engineCache[C any] struct {
	providerConfigs ProviderConfigResolver
	registries      *RegistryCache
	build           func(sites *registry.Registry) C

	mu      sync.Mutex
	clients map[string]cachedEngine[C]
}

type cachedEngine[C any] struct {
	revision string
	client   C
}

func newEngineCache[C any](providerConfigs ProviderConfigResolver, build func(sites *registry.Registry) C) *engineCache[C] {
	registries := providerConfigs.Registries
	if registries == nil {
		registries = NewRegistryCache()
	}
	return &engineCache[C]{providerConfigs: providerConfigs, registries: registries, build: build, clients: map[string]cachedEngine[C]{}}
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
	client := c.build(c.registries.get(key, conn))
	c.clients[key] = cachedEngine[C]{revision: conn.Revision, client: client}
	return client, nil
}
