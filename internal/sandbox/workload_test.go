//go:build platform

package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestWorkloadCluster checks the workload cluster as a brownfield cluster
// is used: by its URL, CA file and ServiceAccount token only. The token is
// cluster-admin there, the cluster is not the platform's (its objects are
// its own), and a Deployment becomes Available on its kwok node.
func TestWorkloadCluster(t *testing.T) {
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.Workload...)
	ctx := context.Background()
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: p.WorkloadServerURL, BearerToken: p.WorkloadToken, TLSClientConfig: rest.TLSClientConfig{CAData: ca}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("the workload token cannot reach the workload cluster: %v", err)
	}
	if !strings.HasPrefix(v.GitVersion, "v1.") {
		t.Errorf("workload cluster version %q, want v1.x", v.GitVersion)
	}
	if p.WorkloadServerURL == p.APIServerURL {
		t.Fatalf("the workload cluster is the platform's (%s)", p.APIServerURL)
	}
	// Not the platform's cluster: its Argo CD namespace is not there.
	if _, err := cs.CoreV1().Namespaces().Get(ctx, p.ArgoCDNamespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s in the workload cluster: err = %v, want NotFound", p.ArgoCDNamespace, err)
	}
	// The platform's token is not the workload cluster's.
	other, err := kubernetes.NewForConfig(&rest.Config{Host: p.WorkloadServerURL, BearerToken: p.Token, TLSClientConfig: rest.TLSClientConfig{CAData: ca}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
		t.Errorf("the platform's token on the workload cluster: err = %v, want Unauthorized", err)
	}

	ns := "workload-test-" + suffix()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	eventually(t, 30*time.Second, "default ServiceAccount in "+ns, func(ctx context.Context) error {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	replicas := int32(2)
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "Deployment Available in the workload cluster", func(ctx context.Context) error {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && d.Status.AvailableReplicas == replicas {
				return nil
			}
		}
		return fmt.Errorf("status %+v", d.Status)
	})
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pod := range pods.Items {
		if pod.Spec.NodeName != p.WorkloadNodes[0] || pod.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s: node %q phase %s, want node %q Running", pod.Name, pod.Spec.NodeName, pod.Status.Phase, p.WorkloadNodes[0])
		}
	}
}
