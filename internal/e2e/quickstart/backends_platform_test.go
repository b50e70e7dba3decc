//go:build platform

package quickstart

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

// projectKey is the quickstart's project key for the workspace's prefix
// (local.project_key in examples/quickstart).
func (w *workspace) projectKey() string {
	return strings.ToUpper(strings.ReplaceAll(w.prefix, "-", "")) + "WEB"
}

// sharedPolicies counts the other replication policies from site B's
// Harbor to the hub's: the registry endpoint and the robot they share with
// the quickstart's stay while they exist (the engine deletes them with the
// last policy using them).
const sharedPolicies = "other policies from site-b to site-a"

// sharedObjects are the counts that other policies keep.
var sharedObjects = []string{"Harbor site-b registry endpoints to site-a", "Harbor site-a replication robots of site-b"}

// countObjects counts, with the admins' credentials, the quickstart's
// objects in each simulated backend, and each member or grant of its
// project: every count is 1 after an apply that made no duplicates (none
// made twice under a lost answer), and the objects are 0 after a destroy.
func countObjects(t *testing.T, w *workspace) map[string]int {
	t.Helper()
	ctx := context.Background()
	p := w.p
	counts := map[string]int{}
	key := w.projectKey()

	harborB, err := p.HarborClient(sandbox.HarborSiteB)
	if err != nil {
		t.Fatal(err)
	}
	harborA, err := p.HarborClient(sandbox.HarborSiteA)
	if err != nil {
		t.Fatal(err)
	}
	policyName := w.prefix + "site-b-to-hub"
	policies, err := harborB.ListReplicationPolicies(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, pol := range policies {
		if pol.Name != policyName {
			if pol.DestRegistry != nil && strings.TrimSuffix(pol.DestRegistry.URL, "/") == strings.TrimSuffix(p.Harbors[sandbox.HarborSiteA].URL, "/") {
				counts[sharedPolicies]++
			}
			continue
		}
		counts["Harbor site-b replication policy "+policyName]++
		execs, err := harborB.ListReplicationExecutions(ctx, pol.ID)
		if err != nil {
			t.Fatal(err)
		}
		// run_on_create starts one manual execution; a lost answer must not
		// start a second. Pushes start event_based ones, and a CI run's
		// replicate step starts a manual one that its TaskRun records: those
		// are not counted here.
		byRuns := taskRunExecutions(t, p)
		for _, e := range execs {
			if e.Trigger == "manual" && !byRuns[e.ID] {
				counts["Harbor site-b manual executions of "+policyName]++
			}
		}
	}
	if counts["Harbor site-b replication policy "+policyName] == 0 {
		counts["Harbor site-b replication policy "+policyName] = 0
	}
	registries, err := harborB.ListRegistries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// Other tests on the shared platform point endpoints of their own names
	// at the same Harbor: the quickstart's is named after its hub, site-a.
	hubURL := strings.TrimSuffix(p.Harbors[sandbox.HarborSiteA].URL, "/")
	hubEndpoint := imagereplication.EndpointName(sandbox.HarborSiteA)
	counts["Harbor site-b registry endpoints to site-a"] = 0
	for _, r := range registries {
		if strings.TrimSuffix(r.URL, "/") == hubURL && r.Name == hubEndpoint {
			counts["Harbor site-b registry endpoints to site-a"]++
		}
	}
	robots, err := harborA.ListRobots(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	counts["Harbor site-a replication robots of site-b"] = 0
	for _, r := range robots {
		if strings.Contains(r.Name, "mc-replication-"+sandbox.HarborSiteB) {
			counts["Harbor site-a replication robots of site-b"]++
		}
	}
	harborProject := strings.ToLower(key)
	projects, err := harborA.ListProjects(ctx, harbor.ListProjectsOptions{Name: harborProject})
	if err != nil {
		t.Fatal(err)
	}
	counts["Harbor site-a project "+harborProject] = 0
	for _, pr := range projects {
		if pr.Name != harborProject {
			continue
		}
		counts["Harbor site-a project "+harborProject]++
		members, err := harborA.ListProjectMembers(ctx, harborProject, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			counts[fmt.Sprintf("Harbor member %s of %s", m.EntityName, harborProject)]++
		}
	}

	bb := p.BitbucketClient()
	bbProjects, err := bb.ListProjects(ctx, p.Bitbucket.Workspace)
	if err != nil {
		t.Fatal(err)
	}
	counts["Bitbucket project "+key] = 0
	for _, pr := range bbProjects {
		if pr.Key != key {
			continue
		}
		counts["Bitbucket project "+key]++
		repos, err := bb.ListRepositories(ctx, p.Bitbucket.Workspace, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range repos {
			counts["Bitbucket repository "+r.Slug]++
		}
		users, err := bb.ListProjectUserPermissions(ctx, p.Bitbucket.Workspace, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			counts["Bitbucket permission of user "+u.User.AccountID]++
		}
		groups, err := bb.ListProjectGroupPermissions(ctx, p.Bitbucket.Workspace, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			counts["Bitbucket permission of group "+g.Group.Slug]++
		}
	}

	ji, err := p.JiraClient()
	if err != nil {
		t.Fatal(err)
	}
	jiraProjects, err := ji.SearchProjects(ctx, jira.ProjectSearch{Keys: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	counts["Jira project "+key] = 0
	for _, pr := range jiraProjects {
		if pr.Key != key {
			continue
		}
		counts["Jira project "+key]++
		roles, err := ji.ListProjectRoles(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		for name, id := range roles {
			role, err := ji.GetProjectRole(ctx, key, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range role.Actors {
				counts[fmt.Sprintf("Jira %s actor %s", name, actorName(a))]++
			}
		}
	}
	return counts
}

// actorName names a Jira role actor.
func actorName(a jira.RoleActor) string {
	switch {
	case a.ActorUser != nil:
		return "user " + a.ActorUser.AccountID
	case a.ActorGroup != nil:
		return "group " + a.ActorGroup.Name
	}
	return fmt.Sprintf("actor %d", a.ID)
}

// bindReadOnly binds the ServiceAccount to a ClusterRole that may only get,
// list and watch, everything; it returns the cleanup.
func bindReadOnly(t *testing.T, kube kubernetes.Interface, name, namespace string) func() {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}}}
	if _, err := kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}}}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return func() {
		ctx := context.Background()
		_ = kube.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
		_ = kube.RbacV1().ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
	}
}

// serviceAccountToken returns a short-lived token of the ServiceAccount.
func serviceAccountToken(t *testing.T, kube kubernetes.Interface, namespace, name string) string {
	t.Helper()
	expiry := int64((30 * time.Minute).Seconds())
	tr, err := kube.CoreV1().ServiceAccounts(namespace).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("cannot get a token of %s/%s: %v", namespace, name, err)
	}
	return tr.Status.Token
}

// taskRunExecutions returns the ids of the replication executions that the
// site's TaskRuns recorded as theirs.
func taskRunExecutions(t *testing.T, p *sandbox.Platform) map[int64]bool {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", p.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gvr := tasksv1alpha1.GroupVersion.WithResource("taskruns")
	list, err := dyn.Resource(gvr).Namespace(tasksv1alpha1.DefaultNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, u := range list.Items {
		reps, _, _ := unstructured.NestedSlice(u.Object, "status", "replications")
		for _, r := range reps {
			if m, ok := r.(map[string]any); ok {
				if id, ok := m["executionID"].(int64); ok {
					out[id] = true
				}
			}
		}
	}
	return out
}
