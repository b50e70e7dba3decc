package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
)

const (
	// capabilitiesTTL is how long discovered capabilities (and a Harbor's
	// version) are trusted before they are discovered again: a plan never
	// discovers twice, a long-running controller notices an upgrade.
	capabilitiesTTL = 10 * time.Minute
	// idleTTL is how long unused clients are kept: a rotated credential
	// leaves the clients of the old one behind until then.
	idleTTL = time.Hour
	// platformKey is the cache key of the platform plane's own cluster.
	platformKey = "platform"
)

// Management is a connection to a site's management cluster. Its clients
// share one HTTP client; never modify them or Config.
type Management struct {
	// Config is the client configuration of the management cluster.
	Config *rest.Config
	// Dynamic and Core are clients of the management cluster.
	Dynamic dynamic.Interface
	Core    kubernetes.Interface
	// Host is the API server's URL, for messages.
	Host string

	http *http.Client
}

// Describe turns an error of a call to the management cluster into a
// message that says what the user can do about it.
func (m *Management) Describe(err error) string { return kube.DescribeError(m.Host, err) }

// Connection is a registered site with a connection to its management
// cluster, where its Argo CD runs too (in Record.Spec.ArgoCD.Namespace).
type Connection struct {
	Record *Record
	*Management
}

// Connect reads site name's record and connects to its management cluster.
// A missing record is a *engine.DependencyError (see Require).
func (r *Registry) Connect(ctx context.Context, name string) (*Connection, error) {
	rec, err := r.Require(ctx, name)
	if err != nil {
		return nil, err
	}
	m, err := r.Management(rec)
	if err != nil {
		return nil, err
	}
	return &Connection{Record: rec, Management: m}, nil
}

// Management connects to the management cluster of the site rec records.
func (r *Registry) Management(rec *Record) (*Management, error) {
	m, err := r.ManagementOf(rec.Spec.ManagementCluster)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the management cluster of site %q: %w", rec.Spec.Name, err)
	}
	return m, nil
}

// ManagementOf connects to the management cluster mc describes; nil means
// the platform plane's own cluster. It makes no API call: clients are
// built once per distinct mc and then reused.
func (r *Registry) ManagementOf(mc *ManagementCluster) (*Management, error) {
	e, err := r.managementEntry(mc)
	if err != nil {
		return nil, err
	}
	return e.client, nil
}

func (r *Registry) managementEntry(mc *ManagementCluster) (*cacheEntry[*Management, kube.Capabilities], error) {
	key := platformKey
	if mc != nil {
		key = hashOf(struct {
			Host, CACertificate, Context, Token, Kubeconfig string
			Insecure                                        bool
		}{mc.Host, mc.CACertificate, mc.Context, mc.Token, mc.Kubeconfig, mc.Insecure})
	}
	return r.managements.get(key, func() (*Management, error) { return r.newManagement(mc) })
}

func (r *Registry) newManagement(mc *ManagementCluster) (*Management, error) {
	var cfg *rest.Config
	if mc == nil {
		if r.platform == nil {
			return nil, fmt.Errorf("no platform plane connection configured")
		}
		cfg = rest.CopyConfig(r.platform)
	} else {
		var err error
		cfg, err = kube.Connection{Kubeconfig: mc.Kubeconfig, Context: mc.Context, Host: mc.Host, Token: mc.Token, CACertificate: mc.CACertificate, Insecure: mc.Insecure}.RESTConfig()
		if err != nil {
			return nil, err
		}
		cfg = withClientDefaults(cfg)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot make a client of %s: %w", cfg.Host, err)
	}
	dc, err := dynamic.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("cannot make a client of %s: %w", cfg.Host, err)
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("cannot make a client of %s: %w", cfg.Host, err)
	}
	m := &Management{Config: cfg, Dynamic: dc, Core: cs, Host: cfg.Host, http: hc}
	if r.snapshot != nil {
		m.Dynamic = newSnapshotDynamic(dc, r.snapshot.ttl, r.snapshot.now)
	}
	return m, nil
}

// Capabilities reports what the management cluster mc describes runs. They
// are discovered on first use and then trusted for a while, so that
// reading a site costs no discovery. An error is not kept: the next call
// discovers again.
func (r *Registry) Capabilities(ctx context.Context, mc *ManagementCluster) (kube.Capabilities, error) {
	return r.capabilities(ctx, mc, false)
}

// Discover discovers the capabilities of the management cluster mc
// describes now, proving that it answers and accepts the credentials, and
// keeps them for Capabilities.
func (r *Registry) Discover(ctx context.Context, mc *ManagementCluster) (kube.Capabilities, error) {
	return r.capabilities(ctx, mc, true)
}

func (r *Registry) capabilities(ctx context.Context, mc *ManagementCluster, fresh bool) (kube.Capabilities, error) {
	e, err := r.managementEntry(mc)
	if err != nil {
		return kube.Capabilities{}, err
	}
	return r.managements.value(e, fresh, func(m *Management) (kube.Capabilities, error) {
		return kube.DiscoverWith(ctx, m.Core.Discovery())
	})
}

// Forget drops what is known of the capabilities of the management cluster
// mc describes, after a call showed they may have changed.
func (r *Registry) Forget(mc *ManagementCluster) {
	if e, err := r.managementEntry(mc); err == nil {
		e.forget()
	}
}

// Harbor returns a client of the Harbor of the site rec records. A site
// without one is a *engine.DependencyError.
func (r *Registry) Harbor(rec *Record) (*harbor.Client, error) {
	if rec.Spec.Harbor == nil {
		return nil, NoHarbor(rec.Spec.Name)
	}
	hc, err := r.HarborOf(*rec.Spec.Harbor)
	if err != nil {
		return nil, fmt.Errorf("cannot use the Harbor of site %q: %w", rec.Spec.Name, err)
	}
	return hc, nil
}

// HarborOf returns a client of the Harbor h describes, built once per
// distinct h and then reused.
func (r *Registry) HarborOf(h Harbor) (*harbor.Client, error) {
	e, err := r.harborEntry(h)
	if err != nil {
		return nil, err
	}
	return e.client, nil
}

func (r *Registry) harborEntry(h Harbor) (*cacheEntry[*harbor.Client, string], error) {
	key := hashOf(struct {
		URL, Username, Password string
		Insecure                bool
	}{h.URL, h.Username, h.Password, h.Insecure})
	return r.harbors.get(key, func() (*harbor.Client, error) {
		return harbor.New(harbor.Config{
			URL: h.URL, Username: h.Username, Password: h.Password,
			HTTPOptions: httpclient.Options{InsecureSkipVerify: h.Insecure, WaitMax: 5 * time.Second},
		})
	})
}

// HarborVersion reports the version the Harbor h describes runs, asked on
// first use and then trusted for a while, like Capabilities.
func (r *Registry) HarborVersion(ctx context.Context, h Harbor) (string, error) {
	e, err := r.harborEntry(h)
	if err != nil {
		return "", err
	}
	return r.harbors.value(e, false, func(c *harbor.Client) (string, error) {
		info, err := c.SystemInfo(ctx)
		if err != nil {
			return "", err
		}
		return info.HarborVersion, nil
	})
}

// hashOf is a cache key of v, which holds secrets: only their hash is kept
// in the key.
func hashOf(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings and bools always encode
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
