//go:build platform

package controller

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

// startApplicationController installs the CRDs and runs a manager with the
// GitOpsApplication controller until the test ends.
func startApplicationController(t *testing.T) integrationEnv {
	t.Helper()
	return startControllers(t, Options{PollInterval: 10 * time.Second, NotReadyPollInterval: time.Second}, SetupApplication)
}

// TestApplicationIntegration_ready: a GitOpsApplication in a project of the
// platform's Bitbucket becomes Ready with both repositories made from the
// sandbox's templates; deleting it deletes them and the record.
func TestApplicationIntegration_ready(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	e := startApplicationController(t)
	p := e.platform
	ctx := context.Background()
	if err := sandbox.SeedTemplates(ctx, p.Bitbucket); err != nil {
		t.Fatal(err)
	}
	pc := projectProviderConfig(t, e, "ctrl-application")
	lower := randomLowerKey("ca")
	key, name := strings.ToUpper(lower), "svc-"+lower
	ws := p.Bitbucket.Workspace
	bb := p.BitbucketClient()
	// The project, as mc_project or a Project makes it: a Bitbucket project
	// and the project record.
	if _, err := bb.CreateProject(ctx, ws, bitbucket.ProjectInput{Key: key, Name: "Controller " + key, IsPrivate: true}); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(e.config, p.Namespace)
	if err := reg.RegisterProject(ctx, registry.Project{Key: key, Name: key, Bitbucket: &registry.ProjectBitbucket{Workspace: ws}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = reg.UnregisterProject(context.Background(), key)
		_ = bb.DeleteProject(context.Background(), ws, key)
	})

	app := &v1alpha1.GitOpsApplication{
		ObjectMeta: metav1.ObjectMeta{Name: lower},
		Spec: v1alpha1.GitOpsApplicationSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pc}},
			ForProvider: v1alpha1.GitOpsApplicationParameters{
				Project: key, Name: name,
				Template: v1alpha1.GitOpsApplicationTemplate{
					SourceRepo: p.Bitbucket.TemplateURL(sandbox.TemplateGoService),
					YAMLRepo:   p.Bitbucket.TemplateURL(sandbox.TemplateGoServiceYAML),
				},
				InitialValues: map[string]string{"port": "8080"},
			},
		},
	}
	if err := e.kube.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	var got v1alpha1.GitOpsApplication
	eventually(t, integrationTimeout, "GitOpsApplication "+lower, func() (bool, string) {
		if err := e.kube.Get(ctx, client.ObjectKey{Name: lower}, &got); err != nil {
			return false, err.Error()
		}
		r, sy := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
		return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue,
			fmt.Sprintf("Ready=%s %q Synced=%s %q atProvider=%+v", r.Status, r.Message, sy.Status, sy.Message, got.Status.AtProvider)
	})
	at := got.Status.AtProvider
	sha := regexp.MustCompile(`^[0-9a-f]{40}$`)
	if !sha.MatchString(at.SourceInitialCommit) || !sha.MatchString(at.YAMLInitialCommit) || at.DefaultBranch != "main" ||
		!strings.HasSuffix(at.SourceCloneURL, "/"+name+".git") || !strings.HasSuffix(at.YAMLCloneURL, "/"+name+"-yaml.git") {
		t.Fatalf("atProvider = %+v", at)
	}
	if ext := got.GetAnnotations()[v1alpha1.AnnotationExternalName]; ext != key+"/"+name {
		t.Fatalf("external name = %q, want %s/%s", ext, key, name)
	}
	if got.Spec.ForProvider.Template.Ref != "main" {
		t.Errorf("template ref = %q, want the default main", got.Spec.ForProvider.Template.Ref)
	}
	if rec, err := reg.Application(ctx, key, name); err != nil || rec.Source.InitialCommit != at.SourceInitialCommit {
		t.Fatalf("application record = %+v, %v", rec, err)
	}

	if err := e.kube.Delete(ctx, app); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "GitOpsApplication "+lower+" deleted", func() (bool, string) {
		err := e.kube.Get(ctx, client.ObjectKey{Name: lower}, &v1alpha1.GitOpsApplication{})
		return err != nil, fmt.Sprint(err)
	})
	for _, slug := range []string{name, name + "-yaml"} {
		if _, err := bb.GetRepository(ctx, ws, slug); !bitbucket.IsNotFound(err) {
			t.Errorf("repository %s after delete: %v, want not found", slug, err)
		}
	}
	if _, err := reg.LookupApplication(ctx, key, name); !engine.IsNotFound(err) {
		t.Errorf("application record after delete: %v, want not found", err)
	}
}
