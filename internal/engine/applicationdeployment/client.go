package applicationdeployment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/gitops"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// YAMLRepository is an application's yaml repository as a deployment
// writes to it and Argo CD reads it.
type YAMLRepository struct {
	// Repo is the repository with the credentials to push (and for Argo CD
	// to read).
	Repo git.Repository
	// Branch is the branch deployed.
	Branch string
}

// Applications finds an application's yaml repository.
type Applications interface {
	// YAMLRepository returns the yaml repository of application
	// project/name; a missing application is a *engine.DependencyError.
	YAMLRepository(ctx context.Context, project, name string) (YAMLRepository, error)
}

// Client is the engine client of application deployments.
type Client struct {
	reg      *registry.Registry
	apps     Applications
	delivery *gitops.Delivery
}

var _ engine.Client[Spec, Status] = (*Client)(nil)
var _ engine.Triggerer = (*Client)(nil)

// NewWith returns a client that finds sites through reg and applications
// through apps, committing through the process's shared gitops.Delivery.
func NewWith(reg *registry.Registry, apps Applications) *Client {
	return &Client{reg: reg, apps: apps, delivery: gitops.Shared()}
}

// env is where one deployment lives, resolved from its id.
type env struct {
	conn                   *registry.Connection
	project, name, cluster string
	site                   string
	gitops, yaml           gitops.Target
	root, app              gitops.App
	place                  place
	manifestPath, yamlPath string
}

// resolve finds the site, its GitOps repository and the application's yaml
// repository of the deployment id.
func (c *Client) resolve(ctx context.Context, id string) (*env, error) {
	siteName, application, cluster, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	project, name, err := SplitApplication(application)
	if err != nil {
		return nil, err
	}
	// The site's record and the application's are read at once: every
	// Observe of a wait resolves the deployment again.
	var (
		yamlRepo    YAMLRepository
		yamlRepoErr error
		wg          sync.WaitGroup
	)
	wg.Go(func() { yamlRepo, yamlRepoErr = c.apps.YAMLRepository(ctx, project, name) })
	conn, err := c.reg.Connect(ctx, siteName)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	g := conn.Record.Spec.GitOps
	if g == nil {
		return nil, &engine.DependencyError{Kind: "site", Name: siteName, Reason: "has no GitOps repository",
			Hint: "set the site's gitops block: its root application deploys the Application manifests"}
	}
	if yamlRepoErr != nil {
		return nil, yamlRepoErr
	}
	ns := conn.Record.Spec.ArgoCD.Namespace
	e := &env{
		conn: conn, project: project, name: name, cluster: cluster, site: siteName,
		gitops: gitops.Target{Repo: git.Repository{URL: g.RepoURL, Username: g.Username, Password: g.Password}, Branch: g.Branch},
		yaml:   gitops.Target{Repo: yamlRepo.Repo, Branch: yamlRepo.Branch},
		root:   gitops.App{Namespace: ns, Name: rootApplicationName(siteName)},
		app:    gitops.App{Namespace: ns, Name: ApplicationName(project, name, cluster), ManualSync: true},
		place:  place{Project: project, Name: name, ArgoCDNamespace: ns, YAMLRepoURL: yamlRepo.Repo.URL, YAMLBranch: yamlRepo.Branch},
	}
	e.manifestPath = ManifestPath(g.Path, project, name, cluster)
	e.yamlPath = YAMLPath(siteName, cluster)
	return e, nil
}

// Create commits the manifests and returns: the wait is Observe's.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := Validate(want); err != nil {
		return "", err
	}
	id := want.ID()
	return id, c.Update(ctx, id, want)
}

// Update commits the workload manifest to the yaml repository, the
// repository credentials to Argo CD, and the Application manifest to the
// site's GitOps repository; each commit is skipped when git already has
// the content. The root application is refreshed, so that an Application
// edited in the cluster is put back.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	if id != want.ID() {
		return engine.InvalidInput("application", "the deployment %q cannot become %q: application, site and cluster need a new deployment", id, want.ID())
	}
	e, err := c.resolve(ctx, id)
	if err != nil {
		return err
	}
	if err := applyRepoSecret(ctx, e.conn.Core, e); err != nil {
		return err
	}
	if _, err := c.delivery.Commit(ctx, e.conn.Dynamic, e.yaml, c.yamlChange(e, want), e.app); err != nil {
		return fmt.Errorf("cannot commit the image of %s to the yaml repository: %w", id, err)
	}
	change, err := c.gitopsChange(e, want)
	if err != nil {
		return err
	}
	if _, err := c.delivery.Commit(ctx, e.conn.Dynamic, e.gitops, change, e.root); err != nil {
		return fmt.Errorf("cannot commit the Application manifest of %s to the GitOps repository: %w", id, err)
	}
	return nil
}

func (c *Client) yamlChange(e *env, want Spec) git.Change {
	return git.Change{
		Message: fmt.Sprintf("%s/%s: deploy %s to %s/%s", e.project, e.name, want.Image.Reference(), e.cluster, want.Namespace),
		Files:   map[string]string{e.yamlPath: want.deploymentYAML(e.place)},
	}
}

func (c *Client) gitopsChange(e *env, want Spec) (git.Change, error) {
	content, err := want.applicationYAML(e.place)
	if err != nil {
		return git.Change{}, err
	}
	return git.Change{
		Message: fmt.Sprintf("%s/%s: Application %s (cluster %s)", e.project, e.name, e.app.Name, e.cluster),
		Files:   map[string]string{e.manifestPath: content},
	}, nil
}

// Delete commits the Application manifest's removal (the root application
// prunes the Application, whose finalizer removes its resources from the
// cluster), and once the Application is gone, the workload manifest's and
// the repository credentials. DeleteUntilGone calls it until Observe
// reports the deployment gone.
func (c *Client) Delete(ctx context.Context, id string) error {
	e, err := c.resolve(ctx, id)
	if err != nil {
		return err
	}
	_, err = c.delivery.Commit(ctx, e.conn.Dynamic, e.gitops, git.Change{
		Message: fmt.Sprintf("%s/%s: remove Application %s", e.project, e.name, e.app.Name),
		Delete:  []string{e.manifestPath},
	}, e.root)
	if err != nil {
		return fmt.Errorf("cannot remove the Application manifest of %s: %w", id, err)
	}
	app, err := kube.GetApplicationSync(ctx, e.conn.Dynamic, e.app.Namespace, e.app.Name)
	if err != nil {
		return err
	}
	if app.Exists {
		if !app.Deleting {
			// Argo CD's automated sync refuses to prune the last resource
			// of an application ("auto-sync will wipe out all resources"
			// without allowEmpty): a sync of the root application to its
			// branch (which holds the removal, and whatever others
			// committed since: never an older revision), as the argocd CLI
			// would ask, prunes it in every case.
			err := kube.SyncApplication(ctx, e.conn.Dynamic, e.root.Namespace, e.root.Name, "", ManagedBy)
			if err != nil && !errors.Is(err, kube.ErrOperationInProgress) {
				return fmt.Errorf("cannot sync the root application %s to remove %s: %w", e.root, e.app, err)
			}
		}
		return nil
	}
	if _, err := c.delivery.Commit(ctx, e.conn.Dynamic, e.yaml, git.Change{
		Message: fmt.Sprintf("%s/%s: undeploy from %s", e.project, e.name, e.cluster),
		Delete:  []string{YAMLDir(e.site, e.cluster)},
	}); err != nil {
		return fmt.Errorf("cannot remove the workload manifests of %s: %w", id, err)
	}
	return deleteRepoSecret(ctx, e.conn.Core, e)
}

// Observe reads the manifests from git (import, drift), the Application
// from the site's Argo CD (drift: an edited Application is not up to
// date) and Argo CD's progress at the yaml commit. It never writes.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	e, err := c.resolve(ctx, id)
	if err != nil {
		return obs, err
	}
	obs.Status = Status{ApplicationName: e.app.Name, ArgoCDNamespace: e.app.Namespace, ManifestPath: e.manifestPath, YAMLPath: e.yamlPath}
	// The reads are independent of each other: made at once, an Observe
	// (and so the wait's return after Argo CD reports ready) costs the
	// slowest of them instead of their sum.
	committer := c.delivery.Committer()
	var (
		gitopsFiles, yamlFiles map[string]string
		live                   appSpec
		liveState              kube.ApplicationSync
		liveExists             bool
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if gitopsFiles, _, err = committer.ReadFiles(gctx, e.gitops.Repo, e.gitops.Branch, "", []string{e.manifestPath}); err != nil {
			return fmt.Errorf("cannot read the GitOps repository: %w", err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if yamlFiles, _, err = committer.ReadFiles(gctx, e.yaml.Repo, e.yaml.Branch, "", []string{e.yamlPath}); err != nil {
			return fmt.Errorf("cannot read the yaml repository: %w", err)
		}
		return nil
	})
	g.Go(func() (err error) {
		live, liveState, liveExists, err = getApplication(gctx, e)
		return err
	})
	g.Go(func() (err error) {
		obs.Status.GitOpsCommit, err = c.delivery.Revision(gctx, e.gitops, []string{e.manifestPath})
		return err
	})
	g.Go(func() (err error) {
		obs.Status.YAMLCommit, err = c.delivery.Revision(gctx, e.yaml, []string{e.yamlPath})
		return err
	})
	if err := g.Wait(); err != nil {
		return obs, err
	}
	manifest, inGit := gitopsFiles[e.manifestPath]
	if !inGit {
		obs.Exists = liveExists
		if liveExists {
			obs.Message = fmt.Sprintf("application %s is being removed by Argo CD", e.app)
		}
		return obs, nil
	}
	obs.Exists = true
	m, err := parseApplication([]byte(manifest))
	if err != nil {
		return obs, err
	}
	obs.Actual = Spec{Application: e.project + "/" + e.name, Site: e.site, Cluster: e.cluster,
		Namespace: m.Spec.Destination.Namespace, SyncPolicy: syncPolicyOf(m)}
	workloadYAML, hasWorkload := yamlFiles[e.yamlPath]
	if hasWorkload {
		if img, err := parseImage(workloadYAML); err == nil {
			obs.Actual.Image = img
		}
	}
	upToDate := true
	if want.Application != "" {
		wantManifest, err := want.applicationYAML(e.place)
		if err != nil {
			return obs, err
		}
		upToDate = manifest == wantManifest && workloadYAML == want.deploymentYAML(e.place)
	}
	// The Application in the cluster must be the one in git: the root
	// application applies it; an edit in the cluster is drift, reported as
	// the cluster has it so that the plan shows what it puts back.
	var liveDiff []string
	if liveExists {
		if liveDiff = sameSpec(live, m.Spec); len(liveDiff) > 0 {
			obs.Actual.Namespace = live.Destination.Namespace
			obs.Actual.SyncPolicy = syncPolicyOf(appManifest{Spec: live})
		}
	}
	obs.UpToDate = upToDate && liveExists && len(liveDiff) == 0

	s, err := c.delivery.ObserveRead(ctx, e.yaml, e.app, obs.Status.YAMLCommit, liveState)
	if err != nil {
		return obs, err
	}
	gitops.Into(&obs, s)
	st := s.State
	obs.Status.SyncedRevision, obs.Status.SyncStatus, obs.Status.HealthStatus = st.SyncRevision, st.SyncStatus, st.HealthStatus
	if op := st.Operation; op != nil {
		obs.Status.OperationPhase, obs.Status.OperationMessage = op.Phase, op.Message
	}
	switch {
	case !liveExists:
		obs.Ready = false
		obs.Message = fmt.Sprintf("application %s does not exist yet: the site's root application %s has not synced %.12s", e.app, e.root, obs.Status.GitOpsCommit)
	case len(liveDiff) > 0:
		obs.Ready = false
		obs.Message = fmt.Sprintf("application %s differs from its manifest in git (%s)", e.app, strings.Join(liveDiff, ", "))
	}
	return obs, nil
}

// Trigger wakes the wait when the Application changes and nudges Argo CD
// toward the yaml commit.
func (c *Client) Trigger(ctx context.Context, id string) <-chan struct{} {
	e, err := c.resolve(ctx, id)
	if err != nil {
		return nil
	}
	return c.delivery.Follow(ctx, e.conn.Dynamic, e.yaml, e.app, func(ctx context.Context) (string, error) {
		return c.delivery.Revision(ctx, e.yaml, []string{e.yamlPath})
	})
}

// getApplication reads the Application from the cluster: its spec and,
// from the same read, how it stands in Argo CD.
func getApplication(ctx context.Context, e *env) (appSpec, kube.ApplicationSync, bool, error) {
	var spec appSpec
	u, err := e.conn.Dynamic.Resource(kube.ApplicationGVR).Namespace(e.app.Namespace).Get(ctx, e.app.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return spec, kube.ApplicationSync{}, false, nil
	}
	if err != nil {
		return spec, kube.ApplicationSync{}, false, fmt.Errorf("cannot get application %s: %s", e.app, e.conn.Describe(err))
	}
	raw, err := json.Marshal(u.Object["spec"])
	if err == nil {
		err = json.Unmarshal(raw, &spec)
	}
	if err != nil {
		return spec, kube.ApplicationSync{}, false, fmt.Errorf("cannot read application %s: %w", e.app, err)
	}
	return spec, kube.ApplicationSyncOf(u), true, nil
}

// repoSecretName is the name of the Argo CD repository Secret of the yaml
// repository of deployment e.
func repoSecretName(e *env) string { return "mc-deploy." + e.app.Name }

// applyRepoSecret gives Argo CD the credentials of the yaml repository.
func applyRepoSecret(ctx context.Context, cs kubernetes.Interface, e *env) error {
	r := e.yaml.Repo
	if r.Username == "" && r.Password == "" {
		return nil
	}
	secrets := cs.CoreV1().Secrets(e.app.Namespace)
	name := repoSecretName(e)
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.app.Namespace, Labels: map[string]string{
			"argocd.argoproj.io/secret-type": "repository", LabelKind: KindName, registry.LabelManagedBy: registry.ManagedBy,
		}},
		StringData: map[string]string{"type": "git", "url": plainURL(r.URL), "username": r.Username, "password": r.Password},
	}
	cur, err := secrets.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		if cur.Labels["argocd.argoproj.io/secret-type"] == "repository" && string(cur.Data["url"]) == want.StringData["url"] &&
			string(cur.Data["username"]) == r.Username && string(cur.Data["password"]) == r.Password {
			return nil
		}
		cur.Labels, cur.Data, cur.StringData = want.Labels, nil, want.StringData
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("cannot write the repository credentials %q: %w", name, err)
	}
	return nil
}

// deleteRepoSecret removes the yaml repository's credentials.
func deleteRepoSecret(ctx context.Context, cs kubernetes.Interface, e *env) error {
	err := cs.CoreV1().Secrets(e.app.Namespace).Delete(ctx, repoSecretName(e), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete the repository credentials %q: %w", repoSecretName(e), err)
	}
	return nil
}

// rootApplicationName is the name mc_site gives a site's root application
// (site.RootApplicationName; kinds reach sites only through the registry,
// not through the site kind's package).
func rootApplicationName(site string) string { return site + "-root" }
