//go:build platform

package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// clusterRegistrationConfig registers the sandbox's workload cluster as
// name at a site of its own on the platform's Argo CD.
func clusterRegistrationConfig(p *sandbox.Platform, siteName, name, token string, version int, labels string) string {
	return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "creg" {
  name = %[1]q
}

resource "mc_cluster_registration" "wl" {
  site             = mc_site.creg.name
  name             = %[2]q
  server           = %[3]q
  ca_certificate   = file(%[4]q)
  token_wo         = %[5]q
  token_wo_version = %[6]d
  labels = {
    %[7]s
  }
}
`, siteName, name, p.WorkloadServerURL, p.WorkloadCAFile, token, version, labels)
}

func TestAccClusterRegistration_lifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, append(sandboxtest.Workload, sandboxtest.ArgoCD...)...)
	const siteName, name = "acc-creg", "acc-creg-wl"
	cs := platformClients(t, p)
	secretName := clusterregistration.SecretName(name)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			_, err := cs.CoreV1().Secrets(p.ArgoCDNamespace).Get(context.Background(), secretName, metav1.GetOptions{})
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("the Argo CD cluster Secret %s after destroy: err = %v, want NotFound", secretName, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: clusterRegistrationConfig(p, siteName, name, p.WorkloadToken, 1, `env = "test"`),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster_registration.wl", "id", siteName+"/"+name),
					resource.TestCheckResourceAttr("mc_cluster_registration.wl", "kubernetes_version", sandbox.KubeVersion),
					resource.TestCheckResourceAttr("mc_cluster_registration.wl", "argocd_secret", p.ArgoCDNamespace+"/"+secretName),
					resource.TestCheckNoResourceAttr("mc_cluster_registration.wl", "token_wo"),
					// Argo CD deploys into the registered cluster by its name.
					func(*terraform.State) error { return deployThroughArgoCD(t, p, name) },
				),
			},
			{
				ResourceName:            "mc_cluster_registration.wl",
				ImportState:             true,
				ImportStateId:           siteName + "/" + name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				// New labels and a new token version: an update in place.
				Config: clusterRegistrationConfig(p, siteName, name, p.WorkloadToken, 2, `env = "prod"`+"\n    tier = \"web\""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster_registration.wl", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster_registration.wl", "labels.env", "prod"),
					resource.TestCheckResourceAttr("mc_cluster_registration.wl", "token_wo_version", "2"),
					func(*terraform.State) error {
						sec, err := cs.CoreV1().Secrets(p.ArgoCDNamespace).Get(context.Background(), secretName, metav1.GetOptions{})
						if err != nil {
							return err
						}
						if sec.Labels["env"] != "prod" || sec.Labels["tier"] != "web" || sec.Annotations[clusterregistration.AnnotationTokenVersion] != "2" {
							return fmt.Errorf("Secret labels %v, annotations %v: want env=prod, tier=web, token version 2", sec.Labels, sec.Annotations)
						}
						return nil
					},
				),
			},
			{
				Config: clusterRegistrationConfig(p, siteName, name, p.WorkloadToken, 2, `env = "prod"`+"\n    tier = \"web\""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccClusterRegistration_wrongToken(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.Workload...)
	cs := platformClients(t, p)
	const name = "acc-creg-bad-wl"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			_, err := cs.CoreV1().Secrets(p.ArgoCDNamespace).Get(context.Background(), clusterregistration.SecretName(name), metav1.GetOptions{})
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("a refused registration left Secret %s: err = %v", clusterregistration.SecretName(name), err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config:      clusterRegistrationConfig(p, "acc-creg-bad", name, "not-the-token", 1, `env = "test"`),
				ExpectError: regexp.MustCompile(`(?s)Error creating cluster registration.*token_wo.*rejected the credentials \(401\s+Unauthorized\)`),
			},
		},
	})
}

// deployThroughArgoCD writes an Argo CD Application that deploys a
// Deployment from git to the cluster Argo CD knows as clusterName, and
// checks that Argo CD reports it Synced and Healthy and that the Deployment
// is Available in the sandbox's workload cluster; then it deletes the
// Application and what it deployed.
func deployThroughArgoCD(t *testing.T, p *sandbox.Platform, clusterName string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Unique per run, so that a rerun against a reused platform does not
	// meet a namespace still terminating.
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	appName := "acc-creg-app-" + suffix
	ns := "acc-creg-web-" + suffix
	repo, err := p.CreateGitRepo(ctx, appName, map[string]string{
		"web/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`,
	})
	if err != nil {
		return err
	}
	cfg, err := p.RESTConfig()
	if err != nil {
		return err
	}
	cfg.WarningHandler = rest.NoWarnings{} // Argo CD's finalizer name is not the test's to change
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	wcfg, err := p.WorkloadRESTConfig()
	if err != nil {
		return err
	}
	wl, err := kubernetes.NewForConfig(wcfg)
	if err != nil {
		return err
	}
	apps := dc.Resource(kube.ApplicationGVR).Namespace(p.ArgoCDNamespace)
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   map[string]any{"name": appName, "namespace": p.ArgoCDNamespace, "finalizers": []any{kube.ArgoCDResourcesFinalizer}},
		"spec": map[string]any{
			"project":     "default",
			"source":      map[string]any{"repoURL": repo, "targetRevision": "main", "path": "web"},
			"destination": map[string]any{"name": clusterName, "namespace": ns},
			"syncPolicy": map[string]any{
				"automated":   map[string]any{"prune": true},
				"syncOptions": []any{"CreateNamespace=true"},
			},
		},
	}}
	if _, err := apps.Create(ctx, app, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("cannot create Application %s: %w", appName, err)
	}
	defer func() {
		// Argo CD deletes the Deployment (the finalizer), then the Application.
		_ = apps.Delete(context.Background(), appName, metav1.DeleteOptions{})
		_ = waitUntil(ctx, func(ctx context.Context) error {
			if _, err := apps.Get(ctx, appName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return fmt.Errorf("Application %s still exists: %v", appName, err)
			}
			return nil
		})
		_ = wl.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	}()
	if err := waitUntil(ctx, func(ctx context.Context) error {
		st, err := kube.GetApplication(ctx, dc, p.ArgoCDNamespace, appName)
		if err != nil {
			return err
		}
		if st.SyncStatus == "Synced" && st.HealthStatus == "Healthy" {
			return nil
		}
		return fmt.Errorf("Application is %s and %s (operation %s: %s; conditions %v)", st.SyncStatus, st.HealthStatus, st.OperationPhase, st.OperationMessage, st.Conditions)
	}); err != nil {
		return err
	}
	d, err := wl.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the Deployment in the workload cluster: %w", err)
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && d.Status.AvailableReplicas == 2 {
			return nil
		}
	}
	return fmt.Errorf("the Deployment in the workload cluster is not Available: %+v", d.Status)
}

// waitUntil polls check until it returns nil or ctx ends.
func waitUntil(ctx context.Context, check func(context.Context) error) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-tick.C:
		}
	}
}
