// Package registry is the site registry of the platform plane: the site
// records (Secrets in the registry namespace) through which every kind finds
// a site, and the connections to what a site runs: its management cluster,
// its Argo CD (on the management cluster) and its Harbor.
//
// One Registry serves every kind of one front-end process. It keeps the
// clients it builds, keyed by the connection settings (so that a changed
// record, such as a rotated token, gets new clients), and the capabilities
// of each management cluster (server version, installed API groups), which
// it discovers once and then trusts for a while: reading a site costs one
// API call, the record's GET.
package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Errors a *engine.DependencyError of the registry wraps, so that front-ends
// can word the fix in their own terms.
var (
	// ErrNotRegistered means the registry namespace holds no record of the site.
	ErrNotRegistered = errors.New("site not registered")
	// ErrNoHarbor means the site's record has no Harbor block.
	ErrNoHarbor = errors.New("site has no Harbor")
	// ErrNoHub is wrapped by the error of Hub when no site is the hub.
	ErrNoHub = errors.New("no hub site")
)

// Registry finds site records in one namespace of the platform plane and
// connects to the sites. It is safe for concurrent use.
type Registry struct {
	platform  *rest.Config
	namespace string

	platformOnce sync.Once
	platformCS   kubernetes.Interface
	platformErr  error

	managements *clientCache[*Management, kube.Capabilities]
	harbors     *clientCache[*harbor.Client, string]

	// snapshot, when set by BatchLookups, serves the look-ups of a refresh
	// from one LIST of the records; the management clusters' Dynamic
	// clients take its lifetime and clock for their own snapshots.
	snapshot *snapshot[*corev1.Secret]
}

// New returns the registry of site records in namespace of the platform
// plane reached through platform. Build one per process and platform plane
// and hand it to every kind: the clients and capabilities it caches are
// then shared.
func New(platform *rest.Config, namespace string) *Registry {
	r := &Registry{
		namespace:   namespace,
		managements: newClientCache[*Management, kube.Capabilities](time.Now, func(m *Management) { m.http.CloseIdleConnections() }),
		harbors:     newClientCache[*harbor.Client, string](time.Now, nil),
	}
	if platform != nil {
		r.platform = withClientDefaults(rest.CopyConfig(platform))
	}
	return r
}

// withClientDefaults lifts client-go's default client-side rate limit (5
// requests per second), which a client shared by every resource of a plan
// would hit at once; the API server's own flow control still applies.
func withClientDefaults(cfg *rest.Config) *rest.Config {
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		cfg.QPS, cfg.Burst = 100, 200
	}
	return cfg
}

// Namespace is the registry namespace of the platform plane.
func (r *Registry) Namespace() string { return r.namespace }

// platformClient returns the shared client of the platform plane.
func (r *Registry) platformClient() (kubernetes.Interface, error) {
	r.platformOnce.Do(func() {
		if r.platform == nil {
			r.platformErr = errors.New("no platform plane connection configured")
			return
		}
		r.platformCS, r.platformErr = kubernetes.NewForConfig(r.platform)
	})
	return r.platformCS, r.platformErr
}

// Lookup reads site name's record; the error wraps engine.ErrNotFound when
// there is none. Only the site kind, for which a missing record means the
// site is gone, should use it: other kinds use Require or Connect.
func (r *Registry) Lookup(ctx context.Context, name string) (*Record, error) {
	cs, err := r.platformClient()
	if err != nil {
		return nil, err
	}
	sec, err := r.getRecord(ctx, cs, RecordName(name))
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("site %q: %w in namespace %q", name, engine.ErrNotFound, r.namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get site %q: %w", name, err)
	}
	return decodeRecord(sec)
}

// Require reads site name's record for a resource that depends on the
// site. A missing record is a *engine.DependencyError, never a not-found:
// the resource itself may well still exist.
func (r *Registry) Require(ctx context.Context, name string) (*Record, error) {
	rec, err := r.Lookup(ctx, name)
	if engine.IsNotFound(err) {
		return nil, NotRegistered(name, r.namespace)
	}
	return rec, err
}

// NotRegistered is the *engine.DependencyError of a site that has no record
// in namespace.
func NotRegistered(name, namespace string) error {
	return &engine.DependencyError{
		Kind: "site", Name: name,
		Reason: fmt.Sprintf("is not registered in namespace %q", namespace),
		Hint:   "register the site, or use the registry namespace that holds its record",
		Err:    ErrNotRegistered,
	}
}

// NoHarbor is the *engine.DependencyError of a site whose record has no
// Harbor block.
func NoHarbor(name string) error {
	return &engine.DependencyError{
		Kind: "site", Name: name,
		Reason: "has no harbor block",
		Hint:   "give the site its Harbor again",
		Err:    ErrNoHarbor,
	}
}

// List returns the names of every registered site, sorted.
func (r *Registry) List(ctx context.Context) ([]string, error) {
	records, err := r.listRecords(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(records))
	for _, s := range records {
		names = append(names, s.Labels[LabelSite])
	}
	sort.Strings(names)
	return names, nil
}

// Hub returns the record of the hub site, the one registered with Hub set.
// No hub is a *engine.DependencyError wrapping ErrNoHub; more than one is an
// error naming them.
func (r *Registry) Hub(ctx context.Context) (*Record, error) {
	records, err := r.listRecords(ctx)
	if err != nil {
		return nil, err
	}
	var hubs []*Record
	for _, sec := range records {
		rec, err := decodeRecord(sec)
		if err != nil {
			return nil, err
		}
		if rec.Spec.Hub {
			hubs = append(hubs, rec)
		}
	}
	switch len(hubs) {
	case 0:
		return nil, &engine.DependencyError{
			Kind: "site", Name: "hub",
			Reason: fmt.Sprintf("is not registered in namespace %q: no site is the hub", r.namespace),
			Hint:   "set hub = true on the site whose Harbor holds the projects, or name the site",
			Err:    ErrNoHub,
		}
	case 1:
		return hubs[0], nil
	}
	names := make([]string, 0, len(hubs))
	for _, h := range hubs {
		names = append(names, h.Spec.Name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("cannot find the hub site: sites %s all say they are the hub; set hub on one of them only", strings.Join(names, ", "))
}

// listRecords returns every site record, from a fresh snapshot when ctx is
// a refresh and there is one.
func (r *Registry) listRecords(ctx context.Context) ([]*corev1.Secret, error) {
	if r.snapshot != nil && engine.IsRefresh(ctx) {
		if records, ok := r.snapshot.fresh(); ok {
			sites := records[:0:0]
			for _, sec := range records {
				if sec.Labels[LabelRecord] == "site" {
					sites = append(sites, sec)
				}
			}
			return sites, nil
		}
	}
	cs, err := r.platformClient()
	if err != nil {
		return nil, err
	}
	l, err := cs.CoreV1().Secrets(r.namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelRecord + "=site"})
	if err != nil {
		return nil, fmt.Errorf("cannot list sites: %w", err)
	}
	records := make([]*corev1.Secret, len(l.Items))
	for i := range l.Items {
		records[i] = &l.Items[i]
	}
	return records, nil
}

// Register writes s as site s.Name's record, creating or replacing it.
func (r *Registry) Register(ctx context.Context, s Site) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	r.wroteRecord(RecordName(s.Name))
	rec, err := encodeRecord(r.namespace, s)
	if err != nil {
		return err
	}
	secrets := cs.CoreV1().Secrets(r.namespace)
	existing, err := secrets.Get(ctx, rec.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := secrets.Create(ctx, rec, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("cannot create the record of site %q: %w", s.Name, err)
		}
	case err != nil:
		return fmt.Errorf("cannot get the record of site %q: %w", s.Name, err)
	default:
		existing.Labels, existing.Data = rec.Labels, rec.Data
		if _, err := secrets.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("cannot update the record of site %q: %w", s.Name, err)
		}
	}
	return nil
}

// Unregister deletes site name's record; deleting a missing record succeeds.
func (r *Registry) Unregister(ctx context.Context, name string) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	r.wroteRecord(RecordName(name))
	if err := cs.CoreV1().Secrets(r.namespace).Delete(ctx, RecordName(name), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete the record of site %q: %w", name, err)
	}
	return nil
}

// PlatformHost is the URL of the platform plane's API server; empty
// without a platform plane connection.
func (r *Registry) PlatformHost() string {
	if r.platform == nil {
		return ""
	}
	return r.platform.Host
}
