package cirun

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// TaskRunGVR is the TaskRun resource.
var TaskRunGVR = tasksv1alpha1.GroupVersion.WithResource("taskruns")

// backend is what the client needs of the platform: the sites' management
// clusters (TaskRuns, Secrets, the runner's Lease), their Harbors and the
// registry's records. The platform implements it; unit tests fake it.
type backend interface {
	// TaskRunner reports site's task runner.
	TaskRunner(ctx context.Context, site string) (kube.TaskRunnerInfo, error)
	// GetRun returns the TaskRun name at site, nil when there is none.
	GetRun(ctx context.Context, site, name string) (*tasksv1alpha1.TaskRun, error)
	// CreateRun creates run at site.
	CreateRun(ctx context.Context, site string, run *tasksv1alpha1.TaskRun) error
	// DeleteRun deletes the TaskRun name of uid at site; gone succeeds.
	DeleteRun(ctx context.Context, site, name string, uid types.UID) error
	// AnnotateRun sets annotations on the TaskRun name at site; nil values
	// remove them.
	AnnotateRun(ctx context.Context, site, name string, annotations map[string]*string) error
	// ApplySecret creates or replaces the Secret name in the runs'
	// namespace at site.
	ApplySecret(ctx context.Context, site, name string, data map[string][]byte) error
	// WatchRun signals whenever the TaskRun name at site changes.
	WatchRun(ctx context.Context, site, name string) <-chan struct{}
	// Hub is the hub site's name; empty when no site is the hub.
	Hub(ctx context.Context) (string, error)
	// Replications finds, in site's Harbor, a push replication policy to
	// each destination site's Harbor that covers project/repository.
	Replications(ctx context.Context, site, project, repository string, destinations []string) ([]Replication, error)
	// ArtifactRef reports whether site's Harbor has project/repository at
	// digest, and its reference <registry>/<project>/<repository>@<digest>.
	ArtifactRef(ctx context.Context, site, project, repository, digest string) (string, bool, error)
	// SourceRepository is the clone URL of an mc_application's source.
	SourceRepository(ctx context.Context, applicationID string) (string, error)
	// GitCredentials are the platform's Bitbucket credentials when they are
	// meant for repoURL's host.
	GitCredentials(repoURL string) (username, password string, ok bool)
}

// Replication is a replication policy a run executes.
type Replication struct {
	PolicyID int64
	// Site is the destination site; Project is the project the image
	// lands in there.
	Site, Project string
}

// platform is the backend of a real platform.
type platform struct {
	reg *registry.Registry
}

func (p platform) connect(ctx context.Context, site string) (*registry.Connection, error) {
	return p.reg.Connect(ctx, site)
}

func (p platform) TaskRunner(ctx context.Context, site string) (kube.TaskRunnerInfo, error) {
	c, err := p.connect(ctx, site)
	if err != nil {
		return kube.TaskRunnerInfo{}, err
	}
	return kube.GetTaskRunner(ctx, c.Core, tasksv1alpha1.DefaultNamespace, site)
}

func (p platform) GetRun(ctx context.Context, site, name string) (*tasksv1alpha1.TaskRun, error) {
	c, err := p.connect(ctx, site)
	if err != nil {
		return nil, err
	}
	u, err := c.Dynamic.Resource(TaskRunGVR).Namespace(tasksv1alpha1.DefaultNamespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get TaskRun %s/%s at site %q: %s", tasksv1alpha1.DefaultNamespace, name, site, c.Describe(err))
	}
	var run tasksv1alpha1.TaskRun
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &run); err != nil {
		return nil, fmt.Errorf("cannot read TaskRun %s/%s at site %q: %w", tasksv1alpha1.DefaultNamespace, name, site, err)
	}
	return &run, nil
}

func (p platform) CreateRun(ctx context.Context, site string, run *tasksv1alpha1.TaskRun) error {
	c, err := p.connect(ctx, site)
	if err != nil {
		return err
	}
	run.APIVersion, run.Kind = tasksv1alpha1.GroupVersion.String(), "TaskRun"
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(run)
	if err != nil {
		return fmt.Errorf("cannot encode TaskRun %s: %w", run.Name, err)
	}
	if _, err := c.Dynamic.Resource(TaskRunGVR).Namespace(run.Namespace).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return engine.Terminal("site %q has no TaskRun API: the management cluster does not serve %s (install config/taskrunner there): %s", site, TaskRunGVR.GroupResource(), c.Describe(err))
		}
		return fmt.Errorf("cannot create TaskRun %s/%s at site %q: %w", run.Namespace, run.Name, site, err)
	}
	return nil
}

func (p platform) DeleteRun(ctx context.Context, site, name string, uid types.UID) error {
	c, err := p.connect(ctx, site)
	if err != nil {
		return err
	}
	opts := metav1.DeleteOptions{}
	if uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	err = c.Dynamic.Resource(TaskRunGVR).Namespace(tasksv1alpha1.DefaultNamespace).Delete(ctx, name, opts)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete TaskRun %s/%s at site %q: %s", tasksv1alpha1.DefaultNamespace, name, site, c.Describe(err))
	}
	return nil
}

func (p platform) AnnotateRun(ctx context.Context, site, name string, annotations map[string]*string) error {
	c, err := p.connect(ctx, site)
	if err != nil {
		return err
	}
	raw, err := jsonMergePatchOfAnnotations(annotations)
	if err != nil {
		return err
	}
	if _, err := c.Dynamic.Resource(TaskRunGVR).Namespace(tasksv1alpha1.DefaultNamespace).Patch(ctx, name, types.MergePatchType, raw, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("cannot annotate TaskRun %s/%s at site %q: %s", tasksv1alpha1.DefaultNamespace, name, site, c.Describe(err))
	}
	return nil
}

func (p platform) ApplySecret(ctx context.Context, site, name string, data map[string][]byte) error {
	c, err := p.connect(ctx, site)
	if err != nil {
		return err
	}
	secrets := c.Core.CoreV1().Secrets(tasksv1alpha1.DefaultNamespace)
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: tasksv1alpha1.DefaultNamespace, Labels: map[string]string{registry.LabelManagedBy: registry.ManagedBy}},
		Data:       data,
	}
	cur, err := secrets.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		if equalData(cur.Data, data) {
			return nil
		}
		cur.Data = data
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("cannot write Secret %s/%s at site %q: %s", tasksv1alpha1.DefaultNamespace, name, site, c.Describe(err))
	}
	return nil
}

func (p platform) WatchRun(ctx context.Context, site, name string) <-chan struct{} {
	c, err := p.connect(ctx, site)
	if err != nil {
		return nil
	}
	return kube.Trigger(ctx, c.Dynamic, kube.Watched{GVR: TaskRunGVR, Namespace: tasksv1alpha1.DefaultNamespace, Name: name})
}

func (p platform) Hub(ctx context.Context) (string, error) {
	rec, err := p.reg.Hub(ctx)
	if err != nil {
		if errorsIsNoHub(err) {
			return "", nil
		}
		return "", err
	}
	return rec.Spec.Name, nil
}

func (p platform) harbor(ctx context.Context, site string) (*registry.Record, *harbor.Client, error) {
	rec, err := p.reg.Require(ctx, site)
	if err != nil {
		return nil, nil, err
	}
	if rec.Spec.Harbor == nil {
		return nil, nil, registry.NoHarbor(site)
	}
	hc, err := p.reg.Harbor(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, hc, nil
}

func (p platform) Replications(ctx context.Context, site, project, repository string, destinations []string) ([]Replication, error) {
	_, hc, err := p.harbor(ctx, site)
	if err != nil {
		return nil, err
	}
	policies, err := hc.ListReplicationPolicies(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("cannot list the replication policies of site %q: %w", site, err)
	}
	endpoints := map[int64]string{}
	var out []Replication
	for _, dest := range destinations {
		destRec, err := p.reg.Require(ctx, dest)
		if err != nil {
			return nil, err
		}
		if destRec.Spec.Harbor == nil {
			return nil, registry.NoHarbor(dest)
		}
		found := false
		for _, pol := range policies {
			if !pol.Enabled || pol.DestRegistry == nil || pol.DestRegistry.ID == 0 || !covers(pol.Filters, project+"/"+repository) {
				continue
			}
			u, ok := endpoints[pol.DestRegistry.ID]
			if !ok {
				r, err := hc.GetRegistry(ctx, pol.DestRegistry.ID)
				if err != nil {
					return nil, fmt.Errorf("cannot get registry endpoint %d of site %q: %w", pol.DestRegistry.ID, site, err)
				}
				u = r.URL
				endpoints[pol.DestRegistry.ID] = u
			}
			if strings.TrimSuffix(u, "/") != strings.TrimSuffix(destRec.Spec.Harbor.URL, "/") {
				continue
			}
			destProject := project
			if pol.DestNamespace != "" {
				destProject = pol.DestNamespace
			}
			out = append(out, Replication{PolicyID: pol.ID, Site: dest, Project: destProject})
			found = true
			break
		}
		if !found {
			return nil, engine.InvalidInput("replicate_to", "site %q's Harbor has no enabled push replication policy to site %q's Harbor covering %s/%s: make one with mc_image_replication (direction push, source_site %q)",
				site, dest, project, repository, site)
		}
	}
	return out, nil
}

// covers reports whether a policy's filters select repository (project/
// repository): every name filter matches (or, decorated "excludes", does
// not); filters of tags, labels and resource types select images, not
// repositories, and are taken to cover it.
func covers(filters []harbor.ReplicationFilter, repository string) bool {
	for _, f := range filters {
		if f.Type != harbor.FilterName {
			continue
		}
		pattern, _ := f.Value.(string)
		if pattern == "" {
			continue
		}
		ok, err := doublestar.Match(pattern, repository)
		if err != nil {
			return false
		}
		if f.Decoration == "excludes" {
			ok = !ok
		}
		if !ok {
			return false
		}
	}
	return true
}

func (p platform) ArtifactRef(ctx context.Context, site, project, repository, digest string) (string, bool, error) {
	rec, hc, err := p.harbor(ctx, site)
	if err != nil {
		return "", false, err
	}
	a, err := hc.GetArtifact(ctx, project, repository, digest)
	if harbor.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot get artifact %s/%s@%s at site %q: %w", project, repository, digest, site, err)
	}
	u, err := url.Parse(rec.Spec.Harbor.URL)
	if err != nil {
		return "", false, fmt.Errorf("site %q's Harbor URL: %w", site, err)
	}
	return fmt.Sprintf("%s/%s/%s@%s", u.Host, project, repository, a.Digest), a.Digest == digest, nil
}

func (p platform) SourceRepository(ctx context.Context, applicationID string) (string, error) {
	project, name, err := application.ParseID(applicationID)
	if err != nil {
		return "", engine.InvalidInput("source.application", "%v", err)
	}
	a, err := p.reg.Application(ctx, project, name)
	if err != nil {
		return "", err
	}
	if a.Source.CloneURL == "" {
		return "", engine.InvalidInput("source.application", "application %s has no source repository yet", applicationID)
	}
	return a.Source.CloneURL, nil
}

func (p platform) GitCredentials(repoURL string) (string, string, bool) {
	creds, err := p.reg.BitbucketGit()
	if err != nil || !creds.For(repoURL) {
		return "", "", false
	}
	return creds.Username, creds.Password, true
}
