//go:build platform

package controller

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// TestApplicationDeploymentIntegration: an ApplicationDeployment of an
// application (its record and yaml repository made here with the
// Bitbucket client) to the sandbox's workload cluster, registered in a
// Site's Argo CD, becomes Ready with Argo CD Synced and Healthy at the yaml
// commit; an edit of the Application in the cluster is put back (the
// resource is reconciled until the Application is the committed one);
// deleting it removes the Application and the Deployment.
func TestApplicationDeploymentIntegration(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	e := startController(t)
	p := e.platform
	ctx := context.Background()
	const siteName, clusterName = "ctrl-dep", "ctrl-dep-wl"
	key := strings.ToUpper(randomLowerKey("CD"))
	pc := projectProviderConfig(t, e, "ctrl-dep")
	ref := v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pc}}

	// The site, with a GitOps repository on the sandbox's git server.
	gitopsURL, err := p.CreateGitRepo(ctx, "ctrl-dep-gitops", map[string]string{"sites/" + siteName + "/README.md": "site\n"})
	if err != nil {
		t.Fatal(err)
	}
	e.createSecret(t, "ctrl-dep-git", map[string]string{"password": p.GitPassword})
	e.createObject(t, &v1alpha1.Site{ObjectMeta: metav1.ObjectMeta{Name: siteName}, Spec: v1alpha1.SiteSpec{ResourceSpec: ref,
		ForProvider: v1alpha1.SiteParameters{GitOps: &v1alpha1.GitOpsParameters{
			RepoURL: gitopsURL, Branch: "main", Path: "sites/" + siteName, Username: p.GitUsername,
			PasswordSecretRef: &v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: "ctrl-dep-git", Key: "password"},
		}}}})
	e.waitSiteReady(t, siteName)

	// The workload cluster in the site's Argo CD.
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	e.createSecret(t, "ctrl-dep-token", map[string]string{"token": p.WorkloadToken})
	e.createObject(t, &v1alpha1.ClusterRegistration{ObjectMeta: metav1.ObjectMeta{Name: clusterName}, Spec: v1alpha1.ClusterRegistrationSpec{ResourceSpec: ref,
		ForProvider: v1alpha1.ClusterRegistrationParameters{
			Site: siteName, Server: p.WorkloadServerURL, CACertificate: string(ca),
			TokenSecretRef: v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: "ctrl-dep-token", Key: "token"},
		}}})

	// The application: a yaml repository in Bitbucket and its record.
	b := p.Bitbucket
	bb := bitbucket.NewCloud(b.URL, bitbucket.Auth{Username: b.Username, Token: b.Password})
	if _, _, err := bitbucket.CreateOrGetProject(ctx, bb, b.Workspace, bitbucket.ProjectInput{Key: key, Name: "Controller deployment " + key, IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	slug := strings.ToLower(key) + "-api-yaml"
	if _, _, err := bitbucket.CreateOrGetRepository(ctx, bb, b.Workspace, slug, bitbucket.RepositoryInput{ProjectKey: key, Name: slug, IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	yamlRepo := git.Repository{URL: b.ServerURL() + "/" + b.Workspace + "/" + slug + ".git", Username: b.Username, Password: b.Password}
	first, err := git.NewCommitter().Commit(ctx, yamlRepo, "main", git.Change{Files: map[string]string{"README.md": "manifests\n"}, Message: "Initial commit"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(cfg, p.Namespace)
	if err := reg.RegisterApplication(ctx, registry.Application{
		Project: key, Name: "api", Workspace: b.Workspace, DefaultBranch: "main",
		YAML: registry.ApplicationRepository{Slug: slug, CloneURL: yamlRepo.URL, InitialCommit: first.SHA},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.UnregisterApplication(context.Background(), key, "api") })

	ns := "ctrl-dep-" + strings.ToLower(key)
	name := "ctrl-dep-api"
	e.createObject(t, &v1alpha1.ApplicationDeployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.ApplicationDeploymentSpec{ResourceSpec: ref,
		ForProvider: v1alpha1.ApplicationDeploymentParameters{
			Application: key + "/api", Site: siteName, Cluster: clusterName, Namespace: ns,
			Image:      v1alpha1.ApplicationDeploymentImage{Repository: "registry.example/ctrl/api", Tag: "2.0.0"},
			SyncPolicy: &v1alpha1.ApplicationDeploymentSyncPolicy{Automated: true, Prune: true, SelfHeal: true, SyncOptions: []string{"CreateNamespace=true"}},
		}}})
	waitReady := func(what string) v1alpha1.ApplicationDeployment {
		t.Helper()
		var got v1alpha1.ApplicationDeployment
		eventually(t, integrationTimeout, what, func() (bool, string) {
			if err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &got); err != nil {
				return false, err.Error()
			}
			r, sy := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
			at := got.Status.AtProvider
			return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue && at.SyncStatus == "Synced" && at.HealthStatus == "Healthy" &&
					at.YAMLCommit != "" && at.SyncedRevision == at.YAMLCommit,
				fmt.Sprintf("Ready=%s %q Synced=%s %q atProvider=%+v", r.Status, r.Message, sy.Status, sy.Message, at)
		})
		return got
	}
	got := waitReady("ApplicationDeployment Ready at the yaml commit")
	if want := siteName + "/" + key + "/api/" + clusterName; got.GetAnnotations()[v1alpha1.AnnotationExternalName] != want {
		t.Errorf("external name %q, want %q", got.GetAnnotations()[v1alpha1.AnnotationExternalName], want)
	}
	wcfg, err := p.WorkloadRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	wl, err := kubernetes.NewForConfig(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := wl.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Deployment in the workload cluster: %v", err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.example/ctrl/api:2.0.0" {
		t.Errorf("the Deployment runs %q", img)
	}

	// Someone turns automated sync off in the cluster: the Application is
	// put back as committed.
	appName := applicationdeployment.ApplicationName(key, "api", clusterName)
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	apps := dc.Resource(kube.ApplicationGVR).Namespace(p.ArgoCDNamespace)
	if _, err := apps.Patch(ctx, appName, types.MergePatchType, []byte(`{"spec":{"syncPolicy":{"automated":null,"syncOptions":["Validate=false"]}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("cannot edit the Application: %v", err)
	}
	eventually(t, integrationTimeout, "the edited Application put back", func() (bool, string) {
		u, err := apps.Get(ctx, appName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		sp, _ := u.Object["spec"].(map[string]any)["syncPolicy"].(map[string]any)
		opts := fmt.Sprint(sp["syncOptions"])
		return sp["automated"] != nil && opts == "[CreateNamespace=true]", fmt.Sprintf("syncPolicy %v", sp)
	})
	waitReady("ApplicationDeployment Ready after the edit")

	if err := e.kube.Delete(ctx, &v1alpha1.ApplicationDeployment{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "ApplicationDeployment, Application and Deployment gone", func() (bool, string) {
		errDep := e.kube.Get(ctx, client.ObjectKey{Name: name}, &v1alpha1.ApplicationDeployment{})
		_, errApp := apps.Get(ctx, appName, metav1.GetOptions{})
		_, errWl := wl.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
		return apierrors.IsNotFound(errDep) && apierrors.IsNotFound(errApp) && apierrors.IsNotFound(errWl),
			fmt.Sprintf("ApplicationDeployment: %v, Application: %v, Deployment: %v", errDep, errApp, errWl)
	})
}
