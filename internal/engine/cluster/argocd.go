package cluster

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/addons"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// Argo CD registration.
//
// A cluster whose spec asks for ArgoCDRegistration is registered in its
// site's Argo CD (the site record's ArgoCD.Namespace, on the site's
// management cluster) as a declarative cluster Secret:
//
//   - named ArgoCDSecretName(namespace, name), mc-cluster.<namespace>.<name>:
//     namespace and name are DNS-1123 labels, which hold no dots, so the name
//     is a valid Secret name (at most 138 characters) and no two clusters
//     share one;
//   - labelled argocd.argoproj.io/secret-type=cluster (which is how Argo CD
//     finds it), with the site, the Cluster API cluster name, the cluster's
//     namespace and app.kubernetes.io/managed-by, plus the cluster's own
//     labels (Spec.Labels), which Argo CD reports as the cluster's labels, so
//     that ApplicationSet cluster generators and AppProjects can select it;
//   - holding name (the Argo CD cluster name, which is the Cluster's name),
//     server (the API server URL of Cluster API's admin kubeconfig) and config
//     (Argo CD's cluster config JSON: tlsClientConfig with caData, certData
//     and keyData, or a bearerToken, taken from that kubeconfig).
//
// Applications then target the cluster with destination.name set to the
// Cluster's name. Argo CD names are unique per Argo CD: when another cluster
// Secret already claims the name, Update fails with an invalid-input error
// on "name" instead of taking it over. The registration is written once
// Cluster API has written the kubeconfig Secret, rewritten when that Secret
// changes (rotated credentials), and removed when registration is turned
// off or the cluster is deleted.

// Labels and keys of the Argo CD cluster Secret.
const (
	// LabelArgoCDSecretType is the label by which Argo CD finds its
	// declarative Secrets; cluster Secrets carry ArgoCDSecretTypeCluster.
	LabelArgoCDSecretType = kube.LabelArgoCDSecretType
	// ArgoCDSecretTypeCluster marks an Argo CD cluster Secret.
	ArgoCDSecretTypeCluster = kube.ArgoCDSecretTypeCluster
	// LabelClusterNamespace carries the namespace of the Cluster on the
	// management cluster (Cluster API's cluster-name label carries its name).
	LabelClusterNamespace = "mc.mcplatform.dev/cluster-namespace"

	argoKeyName   = kube.ArgoCDClusterKeyName
	argoKeyServer = kube.ArgoCDClusterKeyServer
)

// ArgoCDSecretName is the name of the Argo CD cluster Secret of the cluster
// name in namespace: mc-cluster.<namespace>.<name>.
func ArgoCDSecretName(namespace, name string) string {
	return "mc-cluster." + namespace + "." + name
}

// siteConnection is what the engine needs of a site: clients of its
// management cluster and where its Argo CD runs.
type siteConnection struct {
	dynamic         dynamic.Interface
	core            kubernetes.Interface
	argoCDNamespace string
	// site is the connection to the site, to render its cluster add-ons.
	site *registry.Connection
}

// connectSite looks site siteName up in the registry and connects to its
// management cluster. A site that is not registered is a
// *engine.DependencyError: it never means the cluster is gone.
func (c *Client) connectSite(ctx context.Context, siteName string) (*siteConnection, error) {
	conn, err := c.sites.Connect(ctx, siteName)
	if err != nil {
		return nil, err
	}
	sc := &siteConnection{dynamic: conn.Dynamic, core: conn.Core, argoCDNamespace: conn.Record.Spec.ArgoCD.Namespace, site: conn}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connections == nil {
		c.connections = map[string]*siteConnection{}
	}
	c.connections[siteName] = sc
	return sc, nil
}

// lastConnection is the connection connectSite last made to site
// siteName; nil if none.
func (c *Client) lastConnection(siteName string) *siteConnection {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connections[siteName]
}

// sameAs reports whether sc reads what other reads: the same clients of the
// same management cluster (the registry builds one per connection
// settings), and the same Argo CD namespace.
func (sc *siteConnection) sameAs(other *siteConnection) bool {
	return sc != nil && other != nil && sc.dynamic == other.dynamic && sc.core == other.core && sc.argoCDNamespace == other.argoCDNamespace
}

// argoCDSecretLabels are the labels of the Argo CD cluster Secret of s: its
// user labels, then the engine's, which win.
func argoCDSecretLabels(s Spec) map[string]string {
	l := maps.Clone(s.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[registry.LabelSite] = s.Site
	l[LabelClusterName] = s.Name
	l[LabelClusterNamespace] = s.Namespace
	l[labelManagedBy] = managedBy
	return l
}

// ArgoCDSecret is the Argo CD cluster Secret that registers cluster s (its
// site, namespace, name and labels) in the Argo CD running in namespace
// argoCDNamespace, with the connection of kc. The Secret holds
// credentials: never log it.
func ArgoCDSecret(s Spec, argoCDNamespace string, kc Kubeconfig) (*corev1.Secret, error) {
	sec, err := kube.ArgoCDClusterSecret(ArgoCDSecretName(s.Namespace, s.Name), argoCDNamespace, argoCDSecretLabels(s), kube.ArgoCDCluster{
		Name: s.Name, Server: kc.Host, BearerToken: kc.Token,
		Insecure: kc.Insecure, ServerName: kc.TLSServerName, CAData: kc.CACertificate, CertData: kc.ClientCertificate, KeyData: kc.ClientKey,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot make the Argo CD cluster Secret of cluster %s/%s: %w", s.Namespace, s.Name, err)
	}
	return sec, nil
}

// ownsArgoCDSecret reports whether sec is the Argo CD cluster Secret the
// engine made for cluster ns/name of site siteName.
func ownsArgoCDSecret(sec *corev1.Secret, siteName, ns, name string) bool {
	l := sec.Labels
	return l[registry.LabelSite] == siteName && l[LabelClusterName] == name && l[LabelClusterNamespace] == ns &&
		l[LabelArgoCDSecretType] == ArgoCDSecretTypeCluster
}

// ArgoCDSecretDrift names what of current, the Argo CD cluster Secret as it
// stands, differs from desired (see kube.ArgoCDClusterSecretDrift); nil when
// current is up to date. It never reports values, which hold credentials.
func ArgoCDSecretDrift(current, desired *corev1.Secret) []string {
	return kube.ArgoCDClusterSecretDrift(current, desired)
}

// registration is what the engine finds of a cluster's Argo CD registration.
type registration struct {
	// secretName is the name of the cluster's Argo CD cluster Secret.
	secretName, argoCDNamespace string
	// current is the cluster's Argo CD cluster Secret as it stands; nil
	// when there is none (or the Secret of that name is not the engine's).
	current *corev1.Secret
	// taken reports a Secret of the cluster's Secret name that the engine
	// did not make for this cluster.
	taken bool
	// desired is the Secret the cluster should have; nil when registration
	// is not wanted or Cluster API has not written a usable kubeconfig yet.
	desired *corev1.Secret
	// kubeconfigProblem says why desired is nil although registration is
	// wanted and the kubeconfig Secret exists.
	kubeconfigProblem string
}

// readRegistration reads the Argo CD cluster Secret of cluster ns/name of
// site siteName and, when want asks for registration, builds the Secret it
// should be from Cluster API's kubeconfig Secret.
func readRegistration(ctx context.Context, sc *siteConnection, siteName, ns, name string, want Spec) (registration, error) {
	reg := registration{secretName: ArgoCDSecretName(ns, name), argoCDNamespace: sc.argoCDNamespace}
	if sc.argoCDNamespace == "" {
		return reg, nil
	}
	// The cluster Secret and the kubeconfig are read side by side: Observe
	// runs this on every change while a create waits.
	var (
		doc           string
		found         bool
		kubeconfigErr error
		wg            sync.WaitGroup
	)
	if want.ArgoCDRegistration {
		wg.Go(func() { doc, found, kubeconfigErr = readKubeconfig(ctx, sc.core, ns, name) })
	}
	sec, err := sc.core.CoreV1().Secrets(sc.argoCDNamespace).Get(ctx, reg.secretName, metav1.GetOptions{})
	wg.Wait()
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return reg, fmt.Errorf("cannot get the Argo CD cluster Secret %s/%s: %w", sc.argoCDNamespace, reg.secretName, err)
	case ownsArgoCDSecret(sec, siteName, ns, name):
		reg.current = sec
	default:
		reg.taken = true
	}
	if !want.ArgoCDRegistration {
		return reg, nil
	}
	if kubeconfigErr != nil || !found {
		return reg, kubeconfigErr
	}
	kc, err := ParseKubeconfig(doc)
	if err != nil {
		reg.kubeconfigProblem = fmt.Sprintf("cannot register in Argo CD: kubeconfig Secret %s/%s: %v", ns, KubeconfigSecretName(name), err)
		return reg, nil
	}
	s := Spec{Site: siteName, Namespace: ns, Name: name, Labels: want.Labels}
	reg.desired, err = ArgoCDSecret(s, sc.argoCDNamespace, kc)
	return reg, err
}

// observeRegistration puts what reg says into obs: Actual.ArgoCDRegistration
// (whether the engine's Secret exists, also for an import, where want is the
// zero Spec), Status.ArgoCDClusterName (the name Argo CD knows the cluster
// by, while that Secret exists and carries the cluster's name) and, when
// the registration is not as want asks, UpToDate false with the reason in
// Message. A registration that waits for the cluster (not ready yet, or
// Cluster API has not written its kubeconfig) is pending, not drift:
// Actual.ArgoCDRegistration is true as want asks, UpToDate is left alone and
// Status.ArgoCDRegistrationPending is true.
func observeRegistration(obs *engine.Observation[Spec, Status], want Spec, reg registration) {
	why := registrationDrift(want.ArgoCDRegistration, obs.Ready, reg)
	pending := want.ArgoCDRegistration && reg.current == nil && why == ""
	obs.Actual.ArgoCDRegistration = reg.current != nil || pending
	obs.Status.ArgoCDRegistrationPending = pending
	if reg.current != nil && string(reg.current.Data[argoKeyName]) == obs.Actual.Name {
		obs.Status.ArgoCDClusterName = obs.Actual.Name
	}
	if why != "" {
		obs.UpToDate = false
		obs.Message += "; " + why
	}
}

// registrationDrift says why the registration is not as wanted (and
// ready, whether the cluster is) asks; empty when it is, or cannot be yet
// (pending).
func registrationDrift(wanted, ready bool, reg registration) string {
	where := reg.argoCDNamespace + "/" + reg.secretName
	switch {
	case !wanted:
		if reg.current != nil {
			return "registered in Argo CD (Secret " + where + ") but registration is off"
		}
		return ""
	case reg.argoCDNamespace == "":
		return "cannot register in Argo CD: the site names no Argo CD namespace"
	case reg.taken:
		return "cannot register in Argo CD: Secret " + where + " exists and was not made for this cluster"
	case reg.kubeconfigProblem != "":
		if ready {
			return reg.kubeconfigProblem
		}
		return ""
	case reg.desired == nil:
		return ""
	case reg.current == nil:
		if ready {
			return "not registered in Argo CD yet"
		}
		return ""
	}
	if drift := ArgoCDSecretDrift(reg.current, reg.desired); len(drift) > 0 {
		return fmt.Sprintf("Argo CD cluster Secret %s is stale (%s)", where, strings.Join(drift, ", "))
	}
	return ""
}

// applyRegistration brings the Argo CD registration of cluster ns/name of
// site siteName to what want asks: it writes the cluster Secret once Cluster
// API has written the kubeconfig Secret (and rewrites it when stale), or
// deletes it when registration is off. It is idempotent.
// Then it brings the site's cluster add-ons in the site's GitOps repository
// up to date with the clusters registered there (one commit, without
// waiting for Argo CD to sync them).
//
// ahead, when set, is what readAhead read for it beside the caller's own
// reads; nil reads it now.
func applyRegistration(ctx context.Context, sc *siteConnection, siteName, ns, name string, want Spec, ahead *registrationReads) error {
	if err := writeRegistration(ctx, sc, siteName, ns, name, want, ahead); err != nil {
		return err
	}
	return syncSiteAddons(ctx, sc)
}

// syncSiteAddons renders the site's cluster add-ons for the clusters
// registered at the site now.
func syncSiteAddons(ctx context.Context, sc *siteConnection) error {
	if sc.site == nil || sc.argoCDNamespace == "" {
		return nil
	}
	return addons.Registered(ctx, sc.site)
}

// writeRegistration writes, rewrites or deletes the Argo CD cluster Secret
// of cluster ns/name as applyRegistration says.
func writeRegistration(ctx context.Context, sc *siteConnection, siteName, ns, name string, want Spec, ahead *registrationReads) error {
	if !want.ArgoCDRegistration {
		return removeRegistration(ctx, sc, siteName, ns, name)
	}
	if sc.argoCDNamespace == "" {
		return engine.InvalidInput("argocd_registration", "site %q names no Argo CD namespace to register the cluster in", siteName)
	}
	if ahead == nil {
		ahead = &registrationReads{}
		ahead.reg, ahead.regErr = readRegistration(ctx, sc, siteName, ns, name, want)
	}
	reg, err := ahead.reg, ahead.regErr
	if err != nil {
		return err
	}
	where := sc.argoCDNamespace + "/" + reg.secretName
	switch {
	case reg.taken:
		return engine.InvalidInput("name", "cannot register cluster %s/%s in Argo CD: Secret %s exists and was not made for this cluster", ns, name, where)
	case reg.kubeconfigProblem != "":
		return fmt.Errorf("cluster %s/%s %s", ns, name, reg.kubeconfigProblem)
	case reg.desired == nil:
		// Cluster API has not written the kubeconfig yet; Observe reports
		// the cluster out of date once it is ready and it has.
		return nil
	}
	argoName := string(reg.desired.Data[argoKeyName])
	if ahead.claimantsOf != argoName {
		ahead.claimants, ahead.claimantsErr = argoCDNameClaimants(ctx, sc, reg.desired.Name, argoName)
	}
	if err := argoCDNameFree(sc, argoName, ahead.claimants, ahead.claimantsErr); err != nil {
		return err
	}
	secrets := sc.core.CoreV1().Secrets(sc.argoCDNamespace)
	cur := reg.current
	if cur == nil {
		_, err := secrets.Create(ctx, reg.desired, metav1.CreateOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cannot create the Argo CD cluster Secret %s: %w", where, err)
		}
		if cur, err = secrets.Get(ctx, reg.secretName, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("cannot get the Argo CD cluster Secret %s: %w", where, err)
		}
		if !ownsArgoCDSecret(cur, siteName, ns, name) {
			return engine.InvalidInput("name", "cannot register cluster %s/%s in Argo CD: Secret %s exists and was not made for this cluster", ns, name, where)
		}
	}
	if len(ArgoCDSecretDrift(cur, reg.desired)) == 0 {
		return nil
	}
	if _, err := secrets.Update(ctx, kube.UpdatedArgoCDClusterSecret(cur, reg.desired), metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("cannot update the Argo CD cluster Secret %s: %w", where, err)
	}
	return nil
}

// argoCDNameClaimants lists the cluster Secrets of the site's Argo CD other
// than secretName that claim the Argo CD name argoName.
func argoCDNameClaimants(ctx context.Context, sc *siteConnection, secretName, argoName string) ([]string, error) {
	return kube.ArgoCDClusterNameClaimants(ctx, sc.core, sc.argoCDNamespace, secretName, argoName)
}

// argoCDNameFree fails with an invalid-input error on "name" when another
// cluster Secret of the same Argo CD (claimants, listed by
// argoCDNameClaimants with err) already claims the Argo CD name argoName:
// Argo CD cluster names must be unique, and the engine does not take a name
// over.
func argoCDNameFree(sc *siteConnection, argoName string, claimants []string, err error) error {
	if err != nil || len(claimants) == 0 {
		return err
	}
	return engine.InvalidInput("name", "cannot register the cluster in Argo CD as %q: Argo CD in namespace %q already has a cluster of that name (Secret %s); Argo CD cluster names are unique, so rename the cluster or turn argocd_registration off",
		argoName, sc.argoCDNamespace, strings.Join(claimants, ", "))
}

// registrationReads is what writeRegistration reads before it writes:
// the registration, and the cluster Secrets that claim the cluster's Argo
// CD name.
type registrationReads struct {
	reg    registration
	regErr error
	// claimantsOf is the Argo CD name claimants and claimantsErr were
	// listed for; empty when they were not.
	claimantsOf  string
	claimants    []string
	claimantsErr error
}

// readAhead reads what writeRegistration will need for cluster ns/name of
// site siteName, side by side, so that Update makes these reads beside its
// own; nil when want does not ask for registration at a site with an Argo
// CD (writeRegistration reads nothing then). The cluster's Argo CD name is
// its name, and its Secret's name ArgoCDSecretName: both are known before
// anything is read.
func readAhead(ctx context.Context, sc *siteConnection, siteName, ns, name string, want Spec) *registrationReads {
	if !want.ArgoCDRegistration || sc.argoCDNamespace == "" {
		return nil
	}
	ahead := &registrationReads{claimantsOf: name}
	var wg sync.WaitGroup
	wg.Go(func() {
		ahead.claimants, ahead.claimantsErr = argoCDNameClaimants(ctx, sc, ArgoCDSecretName(ns, name), name)
	})
	ahead.reg, ahead.regErr = readRegistration(ctx, sc, siteName, ns, name, want)
	wg.Wait()
	return ahead
}

// deleteRegistration deletes the Argo CD cluster Secret the engine made for
// cluster ns/name of site siteName, if it exists (a Secret of that name that
// the engine did not make is left alone), then removes the cluster's add-ons
// from the site's GitOps repository.
func deleteRegistration(ctx context.Context, sc *siteConnection, siteName, ns, name string) error {
	if err := removeRegistration(ctx, sc, siteName, ns, name); err != nil {
		return err
	}
	return syncSiteAddons(ctx, sc)
}

// removeRegistration deletes the Argo CD cluster Secret of cluster ns/name
// if the engine made it.
func removeRegistration(ctx context.Context, sc *siteConnection, siteName, ns, name string) error {
	if sc.argoCDNamespace == "" {
		return nil
	}
	secrets := sc.core.CoreV1().Secrets(sc.argoCDNamespace)
	secretName := ArgoCDSecretName(ns, name)
	sec, err := secrets.Get(ctx, secretName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot get the Argo CD cluster Secret %s/%s: %w", sc.argoCDNamespace, secretName, err)
	}
	if !ownsArgoCDSecret(sec, siteName, ns, name) {
		return nil
	}
	err = secrets.Delete(ctx, secretName, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &sec.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("cannot delete the Argo CD cluster Secret %s/%s: %w", sc.argoCDNamespace, secretName, err)
	}
	return nil
}
