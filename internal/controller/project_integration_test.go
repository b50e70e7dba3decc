//go:build platform

package controller

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

// startProjectController installs the CRDs and runs a manager with the
// Project controller until the test ends.
func startProjectController(t *testing.T) integrationEnv {
	t.Helper()
	return startControllers(t, Options{PollInterval: 10 * time.Second, NotReadyPollInterval: time.Second}, SetupProject)
}

// projectProviderConfig makes a ProviderConfig whose credentials Secret
// names the platform's Bitbucket and Jira, and returns its name.
func projectProviderConfig(t *testing.T, e integrationEnv, name string) string {
	t.Helper()
	p := e.platform
	e.createSecret(t, name+"-services", map[string]string{
		ServicesKeyBitbucketURL: p.Bitbucket.URL, ServicesKeyBitbucketUsername: p.Bitbucket.Username, ServicesKeyBitbucketToken: p.Bitbucket.Password,
		ServicesKeyJiraURL: p.Jira.URL, ServicesKeyJiraEmail: p.Jira.Email, ServicesKeyJiraAPIToken: p.Jira.APIToken,
	})
	e.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{
				Source:    v1alpha1.CredentialsSourceInjectedIdentity,
				SecretRef: &v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: name + "-services", Key: ServicesKeyJiraAPIToken},
			},
			Namespace: p.Namespace,
		},
	})
	return name
}

func randomLowerKey(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < 8 {
		b.WriteByte(byte('a' + rand.IntN(26)))
	}
	return b.String()
}

func (e integrationEnv) waitProject(t *testing.T, name string, ready func(*v1alpha1.Project) bool) *v1alpha1.Project {
	t.Helper()
	var got v1alpha1.Project
	eventually(t, integrationTimeout, "Project "+name, func() (bool, string) {
		if err := e.kube.Get(context.Background(), client.ObjectKey{Name: name}, &got); err != nil {
			return false, err.Error()
		}
		r, sy := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
		return ready(&got), fmt.Sprintf("Ready=%s %q Synced=%s %q atProvider=%+v", r.Status, r.Message, sy.Status, sy.Message, got.Status.AtProvider)
	})
	return &got
}

func isReady(p *v1alpha1.Project) bool {
	return p.Status.GetCondition(v1alpha1.TypeReady).Status == corev1.ConditionTrue &&
		p.Status.GetCondition(v1alpha1.TypeSynced).Status == corev1.ConditionTrue
}

// TestProjectIntegration_ready: a Project with Bitbucket and Jira parts
// becomes Ready, both projects exist; deleting it deletes the Bitbucket
// project and moves the Jira project to the trash.
func TestProjectIntegration_ready(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	e := startProjectController(t)
	pc := projectProviderConfig(t, e, "ctrl-project")
	name := randomLowerKey("cr")
	key := strings.ToUpper(name)
	ctx := context.Background()
	proj := &v1alpha1.Project{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ProjectSpec{
			ResourceSpec: v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pc}},
			ForProvider: v1alpha1.ProjectParameters{
				Name: "Controller " + key, Description: "made by the controller",
				Bitbucket: &v1alpha1.ProjectBitbucket{Workspace: e.platform.Bitbucket.Workspace},
				Jira:      &v1alpha1.ProjectJira{LeadAccountID: jirasim.AliceAccountID},
			},
		},
	}
	if err := e.kube.Create(ctx, proj); err != nil {
		t.Fatal(err)
	}
	got := e.waitProject(t, name, isReady)
	at := got.Status.AtProvider
	if at.BitbucketUUID == "" || at.JiraID == "" || len(at.Parts) != 2 {
		t.Fatalf("atProvider = %+v, want the Bitbucket uuid, the Jira id and two parts", at)
	}
	if ext := got.GetAnnotations()[v1alpha1.AnnotationExternalName]; ext != key {
		t.Fatalf("external name = %q, want %q", ext, key)
	}
	jc, err := e.platform.JiraClient()
	if err != nil {
		t.Fatal(err)
	}
	bb := e.platform.BitbucketClient()
	if _, err := bb.GetProject(ctx, e.platform.Bitbucket.Workspace, key); err != nil {
		t.Fatalf("Bitbucket project %s: %v", key, err)
	}
	if jp, err := jc.GetProject(ctx, key); err != nil || jp.ID != at.JiraID {
		t.Fatalf("Jira project %s = %+v, %v; want id %s", key, jp, err, at.JiraID)
	}

	if err := e.kube.Delete(ctx, proj); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "Project "+name+" deleted", func() (bool, string) {
		err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &v1alpha1.Project{})
		return err != nil, fmt.Sprint(err)
	})
	if _, err := bb.GetProject(ctx, e.platform.Bitbucket.Workspace, key); err == nil {
		t.Errorf("Bitbucket project %s is still there", key)
	}
	trashed, err := jc.SearchProjects(ctx, jira.ProjectSearch{Keys: []string{key}, Status: []string{jira.ProjectStatusDeleted}})
	if err != nil || len(trashed) != 1 {
		t.Errorf("trashed Jira projects %s = %d, %v; want 1", key, len(trashed), err)
	}
}

// TestProjectIntegration_observeOnly: an Observe-only Project adopts a
// Jira project made by hand, reports it, and changes nothing, not even
// when its spec says another name; deleting it leaves the Jira project.
func TestProjectIntegration_observeOnly(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	e := startProjectController(t)
	pc := projectProviderConfig(t, e, "ctrl-project-observe")
	name := randomLowerKey("ob")
	key := strings.ToUpper(name)
	ctx := context.Background()
	jc, err := e.platform.JiraClient()
	if err != nil {
		t.Fatal(err)
	}
	made, err := jc.CreateProject(ctx, jira.CreateProject{Key: key, Name: "By hand " + key, LeadAccountID: jirasim.AliceAccountID,
		ProjectTypeKey: jira.ProjectTypeSoftware, AssigneeType: "UNASSIGNED"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jc.DeleteProject(context.Background(), key, false) })

	proj := &v1alpha1.Project{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ProjectSpec{
			ResourceSpec: v1alpha1.ResourceSpec{
				ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: pc},
				ManagementPolicies:      v1alpha1.ManagementPolicies{v1alpha1.ManagementActionObserve},
			},
			ForProvider: v1alpha1.ProjectParameters{
				Name: "Another name " + key,
				Jira: &v1alpha1.ProjectJira{LeadAccountID: jirasim.AliceAccountID},
			},
		},
	}
	if err := e.kube.Create(ctx, proj); err != nil {
		t.Fatal(err)
	}
	e.waitProject(t, name, func(p *v1alpha1.Project) bool {
		return p.Status.AtProvider.JiraID == fmt.Sprint(made.ID)
	})
	jp, err := jc.GetProject(ctx, key)
	if err != nil || jp.Name != "By hand "+key {
		t.Fatalf("Jira project %s = %+v, %v; want it unchanged", key, jp, err)
	}
	if err := e.kube.Delete(ctx, proj); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "Project "+name+" deleted", func() (bool, string) {
		err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &v1alpha1.Project{})
		return err != nil, fmt.Sprint(err)
	})
	if jp, err := jc.GetProject(ctx, key); err != nil || jp.Name != "By hand "+key {
		t.Fatalf("after deleting the Observe-only Project, Jira project %s = %+v, %v; want it unchanged", key, jp, err)
	}
}
