//go:build platform

package crash

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

// backends reads what the kinds made, straight from each backend, so that
// the tests count objects without going through the engine under test.
type backends struct {
	p         *sandbox.Platform
	kube      kubernetes.Interface
	dynamic   dynamic.Interface
	bitbucket bitbucket.Client
	jira      jira.Client
	// harbors are the Harbor clients of the platform's sites by name.
	harbors map[string]*harbor.Client
	git     *git.Committer
}

func newBackends(t *testing.T, p *sandbox.Platform) *backends {
	t.Helper()
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	b := &backends{p: p, bitbucket: p.BitbucketClient(), harbors: map[string]*harbor.Client{}, git: git.NewCommitter()}
	if b.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if b.dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if b.jira, err = p.JiraClient(); err != nil {
		t.Fatal(err)
	}
	for _, site := range sandbox.HarborSites {
		if b.harbors[site], err = p.HarborClient(site); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// siteRecords counts the registry's records of site name.
func (b *backends) siteRecords(ctx context.Context, name string) (int, error) {
	l, err := b.kube.CoreV1().Secrets(b.p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: registry.LabelRecord + "=site," + registry.LabelSite + "=" + name})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// applications counts the Argo CD Applications that match.
func (b *backends) applications(ctx context.Context, match func(app *unstructured.Unstructured) bool) (int, error) {
	l, err := b.dynamic.Resource(kube.ApplicationGVR).Namespace(b.p.ArgoCDNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range l.Items {
		if match(&l.Items[i]) {
			n++
		}
	}
	return n, nil
}

// applicationsFrom matches Applications whose source is repoURL.
func applicationsFrom(repoURL string) func(*unstructured.Unstructured) bool {
	return func(app *unstructured.Unstructured) bool {
		u, _, _ := unstructured.NestedString(app.Object, "spec", "source", "repoURL")
		return u == repoURL
	}
}

// applicationsNamed matches Applications named name.
func applicationsNamed(name string) func(*unstructured.Unstructured) bool {
	return func(app *unstructured.Unstructured) bool { return app.GetName() == name }
}

// objects counts the objects of gvr in namespace.
func (b *backends) objects(ctx context.Context, gvr schema.GroupVersionResource, namespace string) (int, error) {
	l, err := b.dynamic.Resource(gvr).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// bitbucketProjects counts the Bitbucket projects with key.
func (b *backends) bitbucketProjects(ctx context.Context, key string) (int, error) {
	l, err := b.bitbucket.ListProjects(ctx, b.p.Bitbucket.Workspace)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range l {
		if p.Key == key {
			n++
		}
	}
	return n, nil
}

// bitbucketRepositories counts the repositories of Bitbucket project key;
// a missing project has none.
func (b *backends) bitbucketRepositories(ctx context.Context, key string) (int, error) {
	l, err := b.bitbucket.ListRepositories(ctx, b.p.Bitbucket.Workspace, key)
	if bitbucket.IsNotFound(err) {
		return 0, nil
	}
	return len(l), err
}

// bitbucketRepositoryExists reports whether repository slug exists.
func (b *backends) bitbucketRepositoryExists(ctx context.Context, slug string) (bool, error) {
	_, err := b.bitbucket.GetRepository(ctx, b.p.Bitbucket.Workspace, slug)
	if bitbucket.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// jiraProjects counts the live Jira projects with key.
func (b *backends) jiraProjects(ctx context.Context, key string) (int, error) {
	l, err := b.jira.SearchProjects(ctx, jira.ProjectSearch{Keys: []string{key}})
	return len(l), err
}

// harborRegistries counts the registry endpoints named name in site's Harbor.
func (b *backends) harborRegistries(ctx context.Context, site, name string) (int, error) {
	l, err := b.harbors[site].ListRegistries(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range l {
		if r.Name == name {
			n++
		}
	}
	return n, nil
}

// harborPolicies counts the replication policies named name in site's Harbor.
func (b *backends) harborPolicies(ctx context.Context, site, name string) (int, error) {
	l, err := b.harbors[site].ListReplicationPolicies(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range l {
		if r.Name == name {
			n++
		}
	}
	return n, nil
}

// harborRobots counts the robot accounts of site's Harbor whose name ends
// with name (Harbor prefixes "robot$").
func (b *backends) harborRobots(ctx context.Context, site, name string) (int, error) {
	l, err := b.harbors[site].ListRobots(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range l {
		if r.Name == name || strings.HasSuffix(r.Name, "$"+name) {
			n++
		}
	}
	return n, nil
}

// gitFiles counts the files of paths present on branch main of repo; a
// repository that does not exist yet has none.
func (b *backends) gitFiles(ctx context.Context, repo git.Repository, paths ...string) (int, error) {
	files, _, err := b.git.ReadFiles(ctx, repo, "main", "", paths)
	if errors.Is(err, git.ErrRepositoryNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return len(files), nil
}

// platformGit is a repository of the platform's git server.
func (b *backends) platformGit(url string) git.Repository {
	return git.Repository{URL: url, Username: b.p.GitUsername, Password: b.p.GitPassword}
}

// bitbucketGit is a repository of the platform's Bitbucket.
func (b *backends) bitbucketGit(slug string) git.Repository {
	bb := b.p.Bitbucket
	return git.Repository{URL: bb.ServerURL() + "/" + bb.Workspace + "/" + slug + ".git", Username: bb.Username, Password: bb.Password}
}

// counter counts one kind of backend object.
type counter struct {
	name  string
	count func(context.Context) (int, error)
	// kept is set for objects a destroy leaves on purpose (an image
	// pushed by a CI run): after the destroy there is still one.
	kept bool
}

// countAll runs every counter and returns the counts by name.
func countAll(ctx context.Context, cs []counter) (map[string]int, error) {
	out := map[string]int{}
	for _, c := range cs {
		n, err := c.count(ctx)
		if err != nil {
			return nil, fmt.Errorf("cannot count %s: %w", c.name, err)
		}
		out[c.name] = n
	}
	return out, nil
}

// each is the counts of cs all equal to n.
func each(cs []counter, n int) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		out[c.name] = n
	}
	return out
}

// afterDestroy is the counts of cs once destroyed: 1 for what is kept, 0
// for the rest.
func afterDestroy(cs []counter) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		out[c.name] = 0
		if c.kept {
			out[c.name] = 1
		}
	}
	return out
}

// randomKey is a project key unique to this run (Jira keeps deleted keys
// in its trash): prefix and random upper-case letters, 8 characters in all.
func randomKey(prefix string) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var s strings.Builder
	s.WriteString(prefix)
	for s.Len() < 8 {
		s.WriteByte(letters[rand.IntN(len(letters))])
	}
	return s.String()
}

// taskRunGVR is the TaskRun resource of the task runners.
var taskRunGVR = tasksv1alpha1.GroupVersion.WithResource("taskruns")

// taskRuns counts the TaskRuns of site in the task runners' namespace.
func (b *backends) taskRuns(ctx context.Context, site string) (int, error) {
	l, err := b.dynamic.Resource(taskRunGVR).Namespace(tasksv1alpha1.DefaultNamespace).List(ctx, metav1.ListOptions{LabelSelector: tasksv1alpha1.LabelSite + "=" + site})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// harborArtifacts counts the artifacts of project/repository in site's
// Harbor; a missing repository has none.
func (b *backends) harborArtifacts(ctx context.Context, site, project, repository string) (int, error) {
	l, err := b.harbors[site].ListArtifacts(ctx, project, repository)
	if harbor.IsNotFound(err) {
		return 0, nil
	}
	return len(l), err
}
