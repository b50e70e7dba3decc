package site

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/addons"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Condition types reported in Status.Conditions.
const (
	// ConditionManagementClusterReachable is True when the management cluster
	// answered with valid credentials.
	ConditionManagementClusterReachable = "ManagementClusterReachable"
	// ConditionRootApplicationReady is True when the root application is
	// Synced and Healthy.
	ConditionRootApplicationReady = "RootApplicationReady"
	// ConditionHarborReachable is True when the site's Harbor answered.
	ConditionHarborReachable = "HarborReachable"
)

// Client implements engine.Client for sites.
type Client struct {
	reg *registry.Registry
	// HTTP is used for git repository checks.
	HTTP *http.Client

	runners taskRunnerCache
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a site client that keeps site records in the registry reg.
func New(reg *registry.Registry) *Client {
	return &Client{reg: reg, HTTP: httpclient.New(httpclient.Options{RetryMax: 3})}
}

// Namespace is the registry namespace the client keeps site records in.
func (c *Client) Namespace() string { return c.reg.Namespace() }

// RootApplicationName is the name of site name's root application.
func RootApplicationName(name string) string { return addons.RootApplicationName(name) }

func repoSecretName(name string) string { return "mc-site-" + name + "-gitops" }

// Lookup finds a site's record; the error wraps engine.ErrNotFound when
// there is none.
func (c *Client) Lookup(ctx context.Context, name string) (*registry.Record, error) {
	return c.reg.Lookup(ctx, name)
}

// List returns the names of every registered site.
func (c *Client) List(ctx context.Context) ([]string, error) {
	return c.reg.List(ctx)
}

// Observe reads the site record, checks the management cluster and reads the
// root application.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	rec, err := c.Lookup(ctx, id)
	if engine.IsNotFound(err) {
		return obs, nil
	}
	if err != nil {
		return obs, err
	}
	obs.Exists = true
	obs.Actual = withoutSecrets(rec.Spec)
	upToDate := equalSpecs(want, obs.Actual)

	// The management cluster's capabilities are discovered once and then
	// kept by the registry: in steady state a read costs the record's GET.
	mc := rec.Spec.ManagementCluster
	m, err := c.reg.ManagementOf(mc)
	reachable := err == nil
	var caps kube.Capabilities
	if err == nil {
		caps, err = c.reg.Capabilities(ctx, mc)
		reachable = err == nil
	}
	if reachable {
		obs.Status.KubernetesVersion = caps.ServerVersion
		obs.Status.CAPIVersion = caps.ClusterAPIVersion
		obs.Status.ArgoCDVersion = caps.ArgoCDVersion
		obs.Status.Conditions = append(obs.Status.Conditions, Condition{Type: ConditionManagementClusterReachable, Status: "True", Reason: "Available"})
	} else {
		msg := kube.DescribeError(hostOf(mc, m), err)
		obs.Status.Conditions = append(obs.Status.Conditions, Condition{Type: ConditionManagementClusterReachable, Status: "False", Reason: "Unreachable", Message: msg})
		obs.Message = msg
	}

	rootReady := true
	if g := rec.Spec.GitOps; g != nil {
		obs.Status.RootApplication = RootApplicationName(id)
		rootReady = false
		if reachable {
			app, err := kube.GetApplication(ctx, m.Dynamic, rec.Spec.ArgoCD.Namespace, RootApplicationName(id))
			if err != nil {
				// The cluster may have changed under the kept capabilities.
				c.reg.Forget(mc)
				return obs, err
			}
			obs.Status.SyncStatus, obs.Status.HealthStatus = app.SyncStatus, app.HealthStatus
			cond := Condition{Type: ConditionRootApplicationReady, Status: "False"}
			switch {
			case !app.Exists:
				upToDate = false
				cond.Reason, cond.Message = "NotFound", fmt.Sprintf("root application %s/%s does not exist", rec.Spec.ArgoCD.Namespace, obs.Status.RootApplication)
			case app.Deleting:
				cond.Reason, cond.Message = "Deleting", "root application is being deleted"
			case app.SyncStatus == "Synced" && app.HealthStatus == "Healthy":
				rootReady = true
				cond.Status, cond.Reason = "True", "SyncedAndHealthy"
			default:
				cond.Reason = "Progressing"
				cond.Message = fmt.Sprintf("root application is %s and %s", orUnknown(app.SyncStatus), orUnknown(app.HealthStatus))
				if len(app.ErrorConditions) > 0 {
					cond.Message += ": " + strings.Join(app.ErrorConditions, "; ")
				}
			}
			if app.Exists && !app.Deleting {
				if !equalApplications(app.Spec, rootApplication(rec.Spec)) {
					upToDate = false
				}
				obs.Failed = rootFailure(app)
			}
			obs.Status.Conditions = append(obs.Status.Conditions, cond)
			if cond.Message != "" {
				obs.Message = cond.Message
			}
		}
	}
	if rec.Spec.GitOps != nil && len(rec.Spec.ClusterAddons) > 0 && reachable {
		rendered, ready, msg, err := observeAddons(ctx, m, rec.Spec)
		var terminal *engine.TerminalError
		switch {
		case errors.As(err, &terminal):
			obs.Failed = err
		case err != nil:
			return obs, err
		}
		upToDate = upToDate && rendered
		rootReady = rootReady && ready
		if msg != "" {
			obs.Message = msg
		}
	}
	harborReady := true
	if h := rec.Spec.Harbor; h != nil {
		version, err := c.reg.HarborVersion(ctx, *h)
		cond := Condition{Type: ConditionHarborReachable, Status: "True", Reason: "Available"}
		if err != nil {
			harborReady = false
			cond.Status, cond.Reason, cond.Message = "False", "Unreachable", err.Error()
			obs.Message = err.Error()
		}
		obs.Status.HarborVersion = version
		obs.Status.Conditions = append(obs.Status.Conditions, cond)
	}
	if reachable {
		obs.Status.TaskRunner = c.runners.get(ctx, m, id)
	}
	obs.UpToDate = upToDate
	obs.Ready = reachable && rootReady && harborReady
	obs.Status.Ready = obs.Ready
	return obs, nil
}

// rootFailure reports what Argo CD says cannot succeed without a change of
// input: a path that does not exist in the repository, or a failed sync.
func rootFailure(app kube.ApplicationState) error {
	for _, c := range app.ErrorConditions {
		if strings.Contains(c, "app path does not exist") {
			return engine.InvalidInput("gitops.path", "Argo CD cannot use the path: %s", c)
		}
	}
	if app.OperationPhase == "Failed" || app.OperationPhase == "Error" {
		return engine.Terminal("root application sync %s: %s", strings.ToLower(app.OperationPhase), app.OperationMessage)
	}
	return nil
}

// Create checks the management cluster and the GitOps repository, creates
// the root application, and writes the site record last so that a site is
// never registered half-made. Creating an existing site adopts it.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := Validate(want); err != nil {
		return "", err
	}
	if err := c.apply(ctx, want, nil); err != nil {
		return "", err
	}
	return want.Name, nil
}

// Update brings an existing site to want. Secret values left empty in want
// keep the values the record holds. The name cannot change: a site of
// another name is another site.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	if err := Validate(want); err != nil {
		return err
	}
	if want.Name != id {
		return engine.InvalidInput("name", "cannot rename site %q to %q in place: that needs a new site", id, want.Name)
	}
	cur, err := c.Lookup(ctx, id)
	if err != nil {
		return err
	}
	return c.apply(ctx, want, &cur.Spec)
}

func (c *Client) apply(ctx context.Context, want Spec, cur *Spec) error {
	if cur != nil {
		keepSecrets(&want, *cur)
	}
	m, err := c.checkManagementCluster(ctx, want)
	if err != nil {
		return err
	}
	if want.Harbor != nil {
		if err := checkHarbor(ctx, c.reg, *want.Harbor); err != nil {
			return err
		}
	}
	addons, err := canonicalAddons(want.ClusterAddons)
	if err != nil {
		return err
	}
	want.ClusterAddons = addons
	if want.GitOps != nil {
		if err := c.checkGitOps(ctx, want.GitOps); err != nil {
			return err
		}
		if err := applyRoot(ctx, m, want); err != nil {
			return err
		}
		if err := syncAddons(ctx, m, want, cur); err != nil {
			return err
		}
	} else if cur != nil && cur.GitOps != nil {
		if _, err := deleteRootStep(ctx, m, *cur); err != nil {
			return err
		}
	}
	return c.reg.Register(ctx, want)
}

// checkManagementCluster connects to the management cluster and proves the
// connection works (a fresh discovery, whatever the registry keeps), naming
// the argument at fault.
func (c *Client) checkManagementCluster(ctx context.Context, want Spec) (*registry.Management, error) {
	mc := want.ManagementCluster
	m, err := c.reg.ManagementOf(mc)
	if err != nil {
		path := "management_cluster.host"
		if mc != nil && mc.Kubeconfig != "" {
			path = "management_cluster.kubeconfig"
		}
		return nil, engine.InvalidInput(path, "%v", err)
	}
	caps, err := c.reg.Discover(ctx, mc)
	if err != nil {
		msg := m.Describe(err)
		path := "management_cluster"
		switch {
		case mc == nil:
			return nil, fmt.Errorf("cannot reach the platform plane as the management cluster: %s", msg)
		case apierrors.IsUnauthorized(err) && mc.Kubeconfig != "":
			path = "management_cluster.kubeconfig"
		case apierrors.IsUnauthorized(err):
			path = "management_cluster.token"
		case mc.Host != "":
			path = "management_cluster.host"
		}
		return nil, engine.InvalidInput(path, "%s", msg)
	}
	if want.GitOps != nil && caps.ArgoCDVersion == "" {
		return nil, engine.InvalidInput("gitops", "the management cluster has no Argo CD: the argoproj.io API group is not served")
	}
	return m, nil
}

func (c *Client) checkGitOps(ctx context.Context, g *GitOps) error {
	err := git.CheckRepository(ctx, c.HTTP, g.RepoURL, g.Username, g.Password, g.Branch)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, git.ErrRepositoryNotFound):
		return engine.InvalidInput("gitops.repo_url", "the repository does not exist: %v", err)
	case errors.Is(err, git.ErrUnauthorized):
		return engine.InvalidInput("gitops.password", "the git server rejected the credentials: %v", err)
	case errors.Is(err, git.ErrBranchNotFound):
		return engine.InvalidInput("gitops.branch", "%v", err)
	}
	return engine.InvalidInput("gitops.repo_url", "%v", err)
}

// checkHarbor proves the Harbor answers and accepts the credentials.
func checkHarbor(ctx context.Context, reg *registry.Registry, h Harbor) error {
	hc, err := reg.HarborOf(h)
	if err != nil {
		return engine.InvalidInput("harbor.url", "%v", err)
	}
	if _, err := hc.CurrentUser(ctx); err != nil {
		switch {
		case harbor.IsUnauthorized(err):
			return engine.InvalidInput("harbor.password", "Harbor at %s rejected the credentials of %q (401 Unauthorized)", redact.URL(h.URL), h.Username)
		case harbor.IsPreconditionFailed(err):
			// A robot account: Harbor has no user behind it; the credentials
			// are checked by the system info call below.
		case harbor.StatusCode(err) == 0:
			return engine.InvalidInput("harbor.url", "cannot reach Harbor: %v", err)
		default:
			return engine.InvalidInput("harbor.url", "%v", err)
		}
	}
	return nil
}

func rootApplication(s Spec) kube.Application {
	return kube.Application{
		Name:                 RootApplicationName(s.Name),
		Namespace:            s.ArgoCD.Namespace,
		Labels:               map[string]string{registry.LabelSite: s.Name, registry.LabelManagedBy: registry.ManagedBy},
		Project:              "default",
		RepoURL:              s.GitOps.RepoURL,
		TargetRevision:       s.GitOps.Branch,
		Path:                 s.GitOps.Path,
		Recurse:              true,
		DestinationName:      s.ArgoCD.Destination,
		DestinationNamespace: s.ArgoCD.Namespace,
		Automated:            true,
	}
}

func applyRoot(ctx context.Context, m *registry.Management, s Spec) error {
	if err := applyRepoSecret(ctx, m.Core, s); err != nil {
		return err
	}
	return kube.ApplyApplication(ctx, m.Dynamic, rootApplication(s))
}

// applyRepoSecret gives Argo CD the repository credentials, or removes them
// when the repository needs none.
func applyRepoSecret(ctx context.Context, cs kubernetes.Interface, s Spec) error {
	secrets := cs.CoreV1().Secrets(s.ArgoCD.Namespace)
	name := repoSecretName(s.Name)
	g := s.GitOps
	if g.Username == "" && g.Password == "" {
		if err := secrets.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("cannot delete repository credentials %q: %w", name, err)
		}
		return nil
	}
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ArgoCD.Namespace, Labels: map[string]string{
			"argocd.argoproj.io/secret-type": "repository", registry.LabelSite: s.Name, registry.LabelManagedBy: registry.ManagedBy,
		}},
		StringData: map[string]string{"type": "git", "url": g.RepoURL, "username": g.Username, "password": g.Password},
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
		return fmt.Errorf("cannot write repository credentials %q: %w", name, err)
	}
	return nil
}

// deleteRootStep asks for the root application's deletion and, once it is
// gone, removes the repository credentials; it reports whether both are gone.
func deleteRootStep(ctx context.Context, m *registry.Management, s Spec) (gone bool, err error) {
	dc := m.Dynamic
	app, err := kube.GetApplication(ctx, dc, s.ArgoCD.Namespace, RootApplicationName(s.Name))
	if err != nil {
		return false, err
	}
	if app.Exists {
		if !app.Deleting {
			if err := kube.DeleteApplication(ctx, dc, s.ArgoCD.Namespace, RootApplicationName(s.Name)); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	if err := m.Core.CoreV1().Secrets(s.ArgoCD.Namespace).Delete(ctx, repoSecretName(s.Name), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("cannot delete repository credentials: %w", err)
	}
	return true, nil
}

// Delete takes the site down one step at a time: it refuses while clusters
// still use the site, asks Argo CD to delete the root application and, once
// that is gone, removes the record. Call it again until Observe reports that
// the site no longer exists.
func (c *Client) Delete(ctx context.Context, id string) error {
	rec, err := c.reg.Lookup(ctx, id)
	if engine.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	m, err := c.reg.Management(rec)
	if err != nil {
		return err
	}
	users, err := c.clustersUsing(ctx, rec.Spec.ManagementCluster, m, id)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return engine.InvalidInput("", "site %q is still used by clusters %s: delete them first", id, strings.Join(users, ", "))
	}
	if rec.Spec.GitOps != nil {
		gone, err := deleteRootStep(ctx, m, rec.Spec)
		if err != nil || !gone {
			return err
		}
	}
	return c.reg.Unregister(ctx, id)
}

// clustersUsing lists the Cluster API clusters labelled with the site on
// its management cluster.
func (c *Client) clustersUsing(ctx context.Context, mc *ManagementCluster, m *registry.Management, site string) ([]string, error) {
	caps, err := c.reg.Capabilities(ctx, mc)
	if err != nil {
		return nil, fmt.Errorf("cannot check the clusters of site %q: %s", site, m.Describe(err))
	}
	if caps.ClusterAPIVersion == "" {
		return nil, nil
	}
	gvr := schema.GroupVersionResource{Group: kube.ClusterAPIGroup, Version: caps.ClusterAPIVersion, Resource: "clusters"}
	l, err := m.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: registry.LabelSite + "=" + site})
	if err != nil {
		return nil, fmt.Errorf("cannot list the clusters of site %q: %w", site, err)
	}
	var names []string
	for _, u := range l.Items {
		// A Cluster of a site of the same name in another registry is not
		// this site's; one made before Clusters named their registry is.
		if reg, ok := u.GetLabels()[registry.LabelRegistry]; ok && reg != c.reg.Namespace() {
			continue
		}
		names = append(names, u.GetNamespace()+"/"+u.GetName())
	}
	sort.Strings(names)
	return names, nil
}

// Trigger signals whenever the site's root application changes, so that
// waits react at once. It returns nil when there is nothing to watch.
func (c *Client) Trigger(ctx context.Context, id string) <-chan struct{} {
	rec, err := c.Lookup(ctx, id)
	if err != nil || rec.Spec.GitOps == nil {
		return nil
	}
	m, err := c.reg.Management(rec)
	if err != nil {
		return nil
	}
	return kube.Trigger(ctx, m.Dynamic, kube.Watched{GVR: kube.ApplicationGVR, Namespace: rec.Spec.ArgoCD.Namespace, Name: RootApplicationName(id)})
}

// hostOf names the management cluster for messages: m's host when the
// connection could be built, else what mc says.
func hostOf(mc *ManagementCluster, m *registry.Management) string {
	if m != nil {
		return m.Host
	}
	if mc != nil && mc.Host != "" {
		return mc.Host
	}
	if mc != nil && mc.Kubeconfig != "" {
		if raw, err := kube.ParseKubeconfig(mc.Kubeconfig, mc.Context); err == nil {
			ctxName := mc.Context
			if ctxName == "" {
				ctxName = raw.CurrentContext
			}
			return raw.Clusters[raw.Contexts[ctxName].Cluster].Server
		}
	}
	return "the platform plane"
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// withoutSecrets drops the secret values, keeping their versions.
func withoutSecrets(s Spec) Spec {
	if s.ManagementCluster != nil {
		mc := *s.ManagementCluster
		mc.Token, mc.Kubeconfig = "", ""
		s.ManagementCluster = &mc
	}
	if s.GitOps != nil {
		g := *s.GitOps
		g.Password = ""
		s.GitOps = &g
	}
	if s.Harbor != nil {
		h := *s.Harbor
		h.Password = ""
		s.Harbor = &h
	}
	return s
}

// keepSecrets fills secret values want leaves empty from cur.
func keepSecrets(want *Spec, cur Spec) {
	if w, c := want.ManagementCluster, cur.ManagementCluster; w != nil && c != nil {
		if w.Token == "" && w.Kubeconfig == "" {
			w.Token, w.Kubeconfig = c.Token, c.Kubeconfig
		}
	}
	if w, c := want.GitOps, cur.GitOps; w != nil && c != nil && w.Password == "" {
		w.Password = c.Password
	}
	if w, c := want.Harbor, cur.Harbor; w != nil && c != nil && w.Password == "" {
		w.Password = c.Password
	}
}

// equalSpecs compares two specs without their secret values.
func equalSpecs(a, b Spec) bool {
	a, b = withoutSecrets(a), withoutSecrets(b)
	if a.Name != b.Name || a.Description != b.Description || a.Hub != b.Hub || !maps.Equal(a.Labels, b.Labels) || a.ArgoCD != b.ArgoCD {
		return false
	}
	if (a.ManagementCluster == nil) != (b.ManagementCluster == nil) || (a.GitOps == nil) != (b.GitOps == nil) || (a.Harbor == nil) != (b.Harbor == nil) {
		return false
	}
	if a.ManagementCluster != nil && *a.ManagementCluster != *b.ManagementCluster {
		return false
	}
	if a.Harbor != nil && *a.Harbor != *b.Harbor {
		return false
	}
	return (a.GitOps == nil || *a.GitOps == *b.GitOps) && equalAddons(a.ClusterAddons, b.ClusterAddons)
}

func equalApplications(a, b kube.Application) bool {
	return a.RepoURL == b.RepoURL && a.TargetRevision == b.TargetRevision && a.Path == b.Path &&
		a.Recurse == b.Recurse && a.DestinationName == b.DestinationName && a.DestinationNamespace == b.DestinationNamespace &&
		a.Project == b.Project && a.Automated == b.Automated
}
