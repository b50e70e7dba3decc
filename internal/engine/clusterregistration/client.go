package clusterregistration

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/addons"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// observeProbeTimeout bounds how long Observe waits for the registered
// cluster's version.
const observeProbeTimeout = 10 * time.Second

// Client implements engine.Client for cluster registrations.
type Client struct {
	sites *registry.Registry
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a client that finds sites in the registry reg.
func New(reg *registry.Registry) *Client { return &Client{sites: reg} }

// argoCD is a site's Argo CD: a client of the management cluster it runs on
// and its namespace.
type argoCD struct {
	core      kubernetes.Interface
	namespace string
	// site is the connection to the site, to render its cluster add-ons.
	site *registry.Connection
}

// connect finds site's Argo CD. A site that is not registered is a
// *engine.DependencyError; a site without an Argo CD namespace is invalid
// input on "site".
func (c *Client) connect(ctx context.Context, site string) (*argoCD, error) {
	conn, err := c.sites.Connect(ctx, site)
	if err != nil {
		return nil, err
	}
	ns := conn.Record.Spec.ArgoCD.Namespace
	if ns == "" {
		return nil, engine.InvalidInput("site", "site %q names no Argo CD namespace to register the cluster in", site)
	}
	return &argoCD{core: conn.Core, namespace: ns, site: conn}, nil
}

// secretLabels are the labels of the registration s's Secret: its user
// labels, then the engine's, which win.
func secretLabels(s Spec) map[string]string {
	l := maps.Clone(s.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[registry.LabelSite] = s.Site
	l[LabelRegistration] = s.Name
	l[registry.LabelManagedBy] = registry.ManagedBy
	return l
}

// desiredSecret is the Argo CD cluster Secret of s in namespace; token is
// the bearer token it holds.
func desiredSecret(s Spec, namespace, token string) (*corev1.Secret, error) {
	sec, err := kube.ArgoCDClusterSecret(SecretName(s.Name), namespace, secretLabels(s), kube.ArgoCDCluster{
		Name: s.Name, Server: s.Server, BearerToken: token, CAData: []byte(s.CACertificate), Namespaces: s.Namespaces,
	})
	if err != nil {
		return nil, err
	}
	sec.Annotations = map[string]string{AnnotationTokenVersion: strconv.FormatInt(s.TokenVersion, 10)}
	return sec, nil
}

// owns reports whether sec is the Secret the engine made for registration
// name of site.
func owns(sec *corev1.Secret, site, name string) bool {
	l := sec.Labels
	return l[registry.LabelSite] == site && l[LabelRegistration] == name && l[kube.LabelArgoCDSecretType] == kube.ArgoCDSecretTypeCluster
}

// specOf reads the registration a Secret records (without its token).
func specOf(sec *corev1.Secret, site string) Spec {
	c := kube.ArgoCDClusterOf(sec)
	v, _ := strconv.ParseInt(sec.Annotations[AnnotationTokenVersion], 10, 64)
	return Spec{
		Site: site, Name: c.Name, Server: c.Server, CACertificate: string(c.CAData),
		TokenVersion: v, Namespaces: c.Namespaces, Labels: userLabels(sec.Labels),
	}
}

// Observe reads the registration's Argo CD cluster Secret and asks the
// cluster its version with the token the Secret holds, as Argo CD would.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	site, name, err := ParseID(id)
	if err != nil {
		return obs, engine.InvalidInput("id", "%v", err)
	}
	a, err := c.connect(ctx, site)
	if err != nil {
		return obs, err
	}
	sec, err := a.core.CoreV1().Secrets(a.namespace).Get(ctx, SecretName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return obs, nil
	}
	if err != nil {
		return obs, fmt.Errorf("cannot get the Argo CD cluster Secret %s/%s: %w", a.namespace, SecretName(name), err)
	}
	if !owns(sec, site, name) {
		// Another's Secret of that name: this registration does not exist
		// (Create refuses to take it over).
		return obs, nil
	}
	obs.Exists = true
	obs.Actual = specOf(sec, site)
	obs.Status = Status{ArgoCDNamespace: a.namespace, SecretName: sec.Name}
	cluster := kube.ArgoCDClusterOf(sec)
	cluster.BearerToken = kube.ArgoCDClusterToken(sec)
	// A cluster that does not answer makes the registration not ready; it
	// must not hold up a refresh for long.
	probeCtx, cancel := context.WithTimeout(ctx, observeProbeTimeout)
	version, err := serverVersion(probeCtx, cluster)
	if err != nil && ctx.Err() == nil && probeCtx.Err() != nil {
		err = fmt.Errorf("the cluster at %s did not answer within %s", redact.URL(cluster.Server), observeProbeTimeout)
	}
	cancel()
	if err != nil {
		obs.Status.Message = err.Error()
		obs.Message = err.Error()
	} else {
		obs.Status.KubernetesVersion, obs.Status.Reachable = version, true
	}
	obs.Ready = obs.Status.Reachable
	obs.UpToDate = upToDate(want, obs.Actual)
	return obs, nil
}

// upToDate compares what the user controls; an empty want (an import) is
// up to date.
func upToDate(want, actual Spec) bool {
	if want.Name == "" {
		return true
	}
	want.Token = ""
	norm := func(s Spec) Spec {
		if len(s.Namespaces) == 0 {
			s.Namespaces = nil
		}
		if len(s.Labels) == 0 {
			s.Labels = nil
		}
		return s
	}
	want, actual = norm(want), norm(actual)
	return want.Site == actual.Site && want.Name == actual.Name && want.Server == actual.Server &&
		want.CACertificate == actual.CACertificate && want.TokenVersion == actual.TokenVersion &&
		slices.Equal(want.Namespaces, actual.Namespaces) && maps.Equal(want.Labels, actual.Labels)
}

// Create checks that the cluster answers with the token, then writes the
// Argo CD cluster Secret. Creating an existing registration adopts it.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := c.apply(ctx, want); err != nil {
		return "", err
	}
	return want.ID(), nil
}

// Update brings the registration id to want. The site and the name cannot
// change; an empty Token keeps the registered one.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	site, name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	if want.Site != site {
		return engine.InvalidInput("site", "cannot move registration %q from site %q to %q in place: that needs a new registration", id, site, want.Site)
	}
	if want.Name != name {
		return engine.InvalidInput("name", "cannot rename registration %q from %q to %q in place: that needs a new registration", id, name, want.Name)
	}
	return c.apply(ctx, want)
}

// apply writes the registration's Secret, then renders the site's cluster
// add-ons for the cluster into the site's GitOps repository (without
// waiting for Argo CD to sync them).
func (c *Client) apply(ctx context.Context, want Spec) error {
	if err := Validate(want); err != nil {
		return err
	}
	a, err := c.connect(ctx, want.Site)
	if err != nil {
		return err
	}
	if err := c.applySecret(ctx, a, want); err != nil {
		return err
	}
	return addons.Registered(ctx, a.site)
}

// applySecret creates or updates the registration's Argo CD cluster Secret.
func (c *Client) applySecret(ctx context.Context, a *argoCD, want Spec) error {
	secrets := a.core.CoreV1().Secrets(a.namespace)
	where := a.namespace + "/" + SecretName(want.Name)
	cur, err := secrets.Get(ctx, SecretName(want.Name), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
	case err != nil:
		return fmt.Errorf("cannot get the Argo CD cluster Secret %s: %w", where, err)
	case !owns(cur, want.Site, want.Name):
		return engine.InvalidInput("name", "cannot register cluster %q: Secret %s exists and was not made for this registration", want.Name, where)
	}
	token := want.Token
	if token == "" {
		if cur == nil {
			return engine.InvalidInput("token", "a token is needed to register cluster %q", want.Name)
		}
		token = kube.ArgoCDClusterToken(cur)
	}
	if _, err := serverVersion(ctx, kube.ArgoCDCluster{Server: want.Server, CAData: []byte(want.CACertificate), BearerToken: token}); err != nil {
		return err
	}
	desired, err := desiredSecret(want, a.namespace, token)
	if err != nil {
		return err
	}
	claimants, err := kube.ArgoCDClusterNameClaimants(ctx, a.core, a.namespace, desired.Name, want.Name)
	if err != nil {
		return err
	}
	if len(claimants) > 0 {
		return engine.InvalidInput("name", "cannot register the cluster in Argo CD as %q: Argo CD in namespace %q already has a cluster of that name (Secret %s); Argo CD cluster names are unique",
			want.Name, a.namespace, strings.Join(claimants, ", "))
	}
	if cur == nil {
		_, err := secrets.Create(ctx, desired, metav1.CreateOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cannot create the Argo CD cluster Secret %s: %w", where, err)
		}
		if cur, err = secrets.Get(ctx, desired.Name, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("cannot get the Argo CD cluster Secret %s: %w", where, err)
		}
		if !owns(cur, want.Site, want.Name) {
			return engine.InvalidInput("name", "cannot register cluster %q: Secret %s exists and was not made for this registration", want.Name, where)
		}
	}
	if len(kube.ArgoCDClusterSecretDrift(cur, desired)) == 0 && cur.Annotations[AnnotationTokenVersion] == desired.Annotations[AnnotationTokenVersion] {
		return nil
	}
	updated := kube.UpdatedArgoCDClusterSecret(cur, desired)
	if updated.Annotations == nil {
		updated.Annotations = map[string]string{}
	}
	updated.Annotations[AnnotationTokenVersion] = desired.Annotations[AnnotationTokenVersion]
	if _, err := secrets.Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("cannot update the Argo CD cluster Secret %s: %w", where, err)
	}
	return nil
}

// Delete removes the registration's Argo CD cluster Secret, then the
// cluster's add-ons from the site's GitOps repository; a Secret of that
// name the engine did not make is left alone, and a registration already
// gone, or at a site no longer registered, is deleted.
func (c *Client) Delete(ctx context.Context, id string) error {
	site, name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	a, err := c.connect(ctx, site)
	if err != nil {
		return err
	}
	if err := deleteSecret(ctx, a, site, name); err != nil {
		return err
	}
	return addons.Registered(ctx, a.site)
}

// deleteSecret deletes the registration's Argo CD cluster Secret if the
// engine made it.
func deleteSecret(ctx context.Context, a *argoCD, site, name string) error {
	secrets := a.core.CoreV1().Secrets(a.namespace)
	sec, err := secrets.Get(ctx, SecretName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot get the Argo CD cluster Secret %s/%s: %w", a.namespace, SecretName(name), err)
	}
	if !owns(sec, site, name) {
		return nil
	}
	err = secrets.Delete(ctx, sec.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &sec.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("cannot delete the Argo CD cluster Secret %s/%s: %w", a.namespace, sec.Name, err)
	}
	return nil
}

// serverVersion asks the cluster c describes for its version with c's
// token. A token the cluster rejects is invalid input on "token", a CA it
// does not match on "ca_certificate" and a server that does not answer on
// "server"; the errors never hold the token.
func serverVersion(ctx context.Context, c kube.ArgoCDCluster) (string, error) {
	cfg, err := kube.Connection{Host: c.Server, Token: c.BearerToken, CACertificate: string(c.CAData), Insecure: c.Insecure}.RESTConfig()
	if err != nil {
		return "", engine.InvalidInput("server", "%v", err)
	}
	cfg.TLSClientConfig.ServerName = c.ServerName
	v, err := kube.ServerVersion(ctx, cfg)
	if err == nil {
		return v, nil
	}
	err = redact.Error(err, c.BearerToken)
	msg := kube.DescribeError(c.Server, err)
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err):
		return "", engine.InvalidInput("token", "%s", msg)
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return "", engine.InvalidInput("ca_certificate", "cannot verify the TLS certificate of %s: %s", redact.URL(c.Server), redact.Text(err.Error()))
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return "", err
	}
	return "", engine.InvalidInput("server", "%s", msg)
}
