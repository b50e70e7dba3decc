package helmrelease

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/chart"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Client implements engine.Client for Helm releases.
type Client struct {
	sites    *registry.Registry
	delivery *gitops.Delivery
}

var (
	_ engine.Client[Spec, Status] = (*Client)(nil)
	_ engine.Triggerer            = (*Client)(nil)
)

// New returns a client that finds sites in reg and commits through the
// process's shared GitOps delivery.
func New(reg *registry.Registry) *Client { return &Client{sites: reg, delivery: gitops.Shared()} }

// delivery is a site's GitOps delivery: its repository, the directory the
// root application reads, and the Argo CD that runs it.
type delivery struct {
	conn   *registry.Connection
	target gitops.Target
	dir    string
	ns     string
	root   gitops.App
}

func (d *delivery) dynamic() dynamic.Interface { return d.conn.Dynamic }

// connect finds site's GitOps delivery. A site that is not registered is a
// *engine.DependencyError; one without a GitOps repository is invalid
// input on "site".
func (c *Client) connect(ctx context.Context, name string) (*delivery, error) {
	conn, err := c.sites.Connect(ctx, name)
	if err != nil {
		return nil, err
	}
	spec := conn.Record.Spec
	g := spec.GitOps
	if g == nil {
		return nil, engine.InvalidInput("site", "site %q has no GitOps repository to deliver the release through: give it a gitops block", name)
	}
	if spec.ArgoCD.Namespace == "" {
		return nil, engine.InvalidInput("site", "site %q names no Argo CD namespace", name)
	}
	return &delivery{
		conn:   conn,
		target: gitops.Target{Repo: git.Repository{URL: g.RepoURL, Username: g.Username, Password: g.Password}, Branch: g.Branch},
		dir:    g.Path,
		ns:     spec.ArgoCD.Namespace,
		root:   gitops.App{Namespace: spec.ArgoCD.Namespace, Name: rootApplicationName(name)},
	}, nil
}

// rootApplicationName is the name of site's root application, which
// mc_site makes (site.RootApplicationName; a kind reaches sites only
// through the registry, so the name is repeated here and a test holds the
// two together).
func rootApplicationName(site string) string { return site + "-root" }

// application is the Argo CD Application of s (whose values are
// canonical) in Argo CD namespace ns.
func application(s Spec, ns string) chart.Application {
	return chart.Application{
		Name: ApplicationName(s), Namespace: ns,
		Labels:      map[string]string{chart.LabelKind: KindLabel, registry.LabelSite: s.Site},
		ReleaseName: s.Name, Source: s.Source(), Cluster: s.Cluster, TargetNamespace: s.Namespace,
	}
}

// canonical returns s with its values in canonical form.
func canonical(s Spec) (Spec, error) {
	v, err := chart.CanonicalValues(s.Values)
	if err != nil {
		return s, engine.InvalidInput("values", "%v", err)
	}
	s.Values = v
	return s, nil
}

// Create checks the release and its cluster, then commits its manifest.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := Validate(want); err != nil {
		return "", err
	}
	d, err := c.connect(ctx, want.Site)
	if err != nil {
		return "", err
	}
	claimants, err := kube.ArgoCDClusterNameClaimants(ctx, d.conn.Core, d.ns, "", want.Cluster)
	if err != nil {
		return "", fmt.Errorf("cannot list the clusters of site %q: %w", want.Site, err)
	}
	if len(claimants) == 0 && want.Cluster != "in-cluster" {
		return "", engine.InvalidInput("cluster", "site %q's Argo CD has no cluster named %q: register it first (mc_cluster, mc_cluster_registration)", want.Site, want.Cluster)
	}
	return want.ID(), c.commit(ctx, d, want)
}

// Update commits the changed manifest: Argo CD upgrades the release in
// place.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	if err := Validate(want); err != nil {
		return err
	}
	cur, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	for _, f := range []struct{ path, from, to string }{
		{"site", cur.Site, want.Site}, {"cluster", cur.Cluster, want.Cluster},
		{"namespace", cur.Namespace, want.Namespace}, {"name", cur.Name, want.Name},
	} {
		if f.from != f.to {
			return engine.InvalidInput(f.path, "cannot change %s from %q to %q in place: that needs a new release", f.path, f.from, f.to)
		}
	}
	d, err := c.connect(ctx, want.Site)
	if err != nil {
		return err
	}
	return c.commit(ctx, d, want)
}

func (c *Client) commit(ctx context.Context, d *delivery, want Spec) error {
	want, err := canonical(want)
	if err != nil {
		return err
	}
	if err := c.applyOCICredentials(ctx, d, want); err != nil {
		return err
	}
	manifest, err := chart.Render(application(want, d.ns))
	if err != nil {
		return err
	}
	what := want.Chart
	if what == "" {
		what = want.RepoURL + "/" + want.Path
	}
	change := git.Change{
		Files:   map[string]string{ManifestPath(d.dir, want): manifest, KeepPath(d.dir): keepContent},
		Message: fmt.Sprintf("helm release %s: %s %s", want.ID(), redact.URL(strings.TrimSuffix(what, "/")), want.Version),
	}
	if _, err := c.delivery.Commit(ctx, d.dynamic(), d.target, change, d.root, gitops.App{Namespace: d.ns, Name: ApplicationName(want)}); err != nil {
		return fmt.Errorf("cannot commit the release %s to %s: %w", want.ID(), redact.URL(d.target.Repo.URL), err)
	}
	return nil
}

// ociSecretName is the Argo CD repository Secret that gives the release's
// Application the site's Harbor credentials for an OCI chart.
func ociSecretName(s Spec) string { return "mc-" + ApplicationName(s) + "-oci" }

// applyOCICredentials gives Argo CD the site's Harbor credentials for an
// OCI chart in that Harbor (a repository Secret for the chart's URL), and
// removes them otherwise.
func (c *Client) applyOCICredentials(ctx context.Context, d *delivery, s Spec) error {
	secrets := d.conn.Core.CoreV1().Secrets(d.ns)
	name := ociSecretName(s)
	h := d.conn.Record.Spec.Harbor
	if s.Source().Type() != chart.OCI || h == nil || !sameHost(h.URL, s.RepoURL) {
		return deleteSecret(ctx, secrets, name)
	}
	data := map[string]string{"type": "oci", "url": s.RepoURL, "username": h.Username, "password": h.Password}
	if strings.HasPrefix(h.URL, "http://") {
		data["insecureOCIForceHttp"] = "true"
	} else if h.Insecure {
		data["insecure"] = "true"
	}
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: d.ns, Labels: map[string]string{
			"argocd.argoproj.io/secret-type": "repository", registry.LabelSite: s.Site,
			chart.LabelKind: KindLabel, chart.LabelManagedBy: chart.ManagedBy,
		}},
		StringData: data,
	}
	cur, err := secrets.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		cur.Labels, cur.Data, cur.StringData = want.Labels, nil, want.StringData
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("cannot write the OCI repository credentials %q: %w", name, err)
	}
	return nil
}

func deleteSecret(ctx context.Context, secrets interface {
	Delete(context.Context, string, metav1.DeleteOptions) error
}, name string) error {
	if err := secrets.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete the OCI repository credentials %q: %w", name, err)
	}
	return nil
}

// sameHost reports whether the two URLs name the same host and port.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// Delete commits the removal of the manifest: the root application prunes
// the release's Application, whose resources finalizer removes what the
// chart installed. Observe reports the release until the Application is
// gone.
func (c *Client) Delete(ctx context.Context, id string) error {
	key, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	d, err := c.connect(ctx, key.Site)
	if err != nil {
		return err
	}
	change := git.Change{Delete: []string{ManifestPath(d.dir, key)}, Message: "remove helm release " + id}
	if _, err := c.delivery.Commit(ctx, d.dynamic(), d.target, change, d.root); err != nil {
		return fmt.Errorf("cannot commit the removal of release %s: %w", id, err)
	}
	app, err := kube.GetApplicationSync(ctx, d.dynamic(), d.ns, ApplicationName(key))
	if err != nil {
		return err
	}
	if !app.Exists {
		return deleteSecret(ctx, d.conn.Core.CoreV1().Secrets(d.ns), ociSecretName(key))
	}
	return nil
}

// Observe reads the release's manifest from git and Argo CD's progress.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	key, err := ParseID(id)
	if err != nil {
		return obs, engine.InvalidInput("id", "%v", err)
	}
	d, err := c.connect(ctx, key.Site)
	if err != nil {
		return obs, err
	}
	path := ManifestPath(d.dir, key)
	// The manifest in git, the revision to wait for, the release's
	// Application and the site's root application are read at once: an
	// Observe (and so the wait's return after Argo CD reports ready) costs
	// the slowest of them instead of their sum.
	var (
		files     map[string]string
		u         *unstructured.Unstructured
		rev       string
		rootState kube.ApplicationSync
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if files, _, err = c.delivery.Committer().ReadFiles(gctx, d.target.Repo, d.target.Branch, "", []string{path}); err != nil {
			return fmt.Errorf("cannot read the release's manifest from %s: %w", redact.URL(d.target.Repo.URL), err)
		}
		return nil
	})
	g.Go(func() (err error) {
		u, err = chart.GetApplication(gctx, d.dynamic(), d.ns, ApplicationName(key))
		return err
	})
	// The revision and the root application matter only for a release
	// whose manifest is in git or whose Application is still there: their
	// errors count only then.
	var revErr, rootErr error
	g.Go(func() error {
		rev, revErr = c.delivery.Revision(gctx, d.target, []string{path})
		return nil
	})
	g.Go(func() error {
		rootState, rootErr = kube.GetApplicationSync(gctx, d.dynamic(), d.root.Namespace, d.root.Name)
		return nil
	})
	if err := g.Wait(); err != nil {
		return obs, err
	}
	obs.Status = Status{Application: d.ns + "/" + ApplicationName(key), ManifestPath: path}
	content, inGit := files[path]
	if !inGit {
		if u == nil || u.GetLabels()[chart.LabelKind] != KindLabel {
			return obs, nil
		}
		// Removed from git; Argo CD is still removing what it installed.
		obs.Exists = true
		obs.Message = "Argo CD is removing the release's Application"
		if revErr != nil || rev == "" {
			return obs, revErr
		}
		if rootErr != nil {
			return obs, rootErr
		}
		root, err := c.delivery.ObserveRead(ctx, d.target, d.root, rev, rootState)
		if err != nil {
			return obs, err
		}
		obs.Failed = root.Failed
		return obs, nil
	}
	app, err := chart.Parse(content)
	if err != nil {
		return obs, err
	}
	obs.Exists = true
	obs.Actual = key
	src := app.Source
	obs.Actual.RepoURL, obs.Actual.Chart, obs.Actual.Version, obs.Actual.Path = src.RepoURL, src.Chart, src.Version, src.Path
	obs.Actual.Values, obs.Actual.Set, obs.Actual.SetString, obs.Actual.ValueFiles = src.Values, src.Set, src.SetString, src.ValueFiles
	if w, err := canonical(want); err == nil {
		rendered, err := chart.Render(application(w, d.ns))
		obs.UpToDate = err == nil && rendered == content
	}

	if revErr != nil {
		return obs, revErr
	}
	obs.Status.Commit = rev
	if rootErr != nil {
		return obs, rootErr
	}
	root, err := c.delivery.ObserveRead(ctx, d.target, d.root, rev, rootState)
	if err != nil {
		return obs, err
	}
	if root.Failed != nil {
		obs.Failed = root.Failed
		obs.Message = root.Message
		return obs, nil
	}
	var st kube.ApplicationSync
	if u != nil {
		st = kube.ApplicationSyncOf(u)
		obs.Status.SyncStatus, obs.Status.HealthStatus, obs.Status.Revision = st.SyncStatus, st.HealthStatus, st.SyncRevision
	}
	if !root.Ready {
		obs.Message = "the site's root application has not synced the release's commit yet: " + root.Message
		return obs, nil
	}
	obs.Ready, obs.Failed, obs.Message = chart.Progress(u, app)
	return obs, nil
}

// Trigger wakes the wait when the root application or the release's
// Application changes, and nudges the root application toward the commit.
func (c *Client) Trigger(ctx context.Context, id string) <-chan struct{} {
	out := make(chan struct{}, 1)
	key, err := ParseID(id)
	if err != nil {
		return out
	}
	d, err := c.connect(ctx, key.Site)
	if err != nil {
		return out
	}
	path := ManifestPath(d.dir, key)
	root := c.delivery.Follow(ctx, d.dynamic(), d.target, d.root, func(ctx context.Context) (string, error) {
		return c.delivery.Revision(ctx, d.target, []string{path})
	})
	child := gitops.Trigger(ctx, d.dynamic(), gitops.App{Namespace: d.ns, Name: ApplicationName(key)})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-root:
			case <-child:
			}
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}
