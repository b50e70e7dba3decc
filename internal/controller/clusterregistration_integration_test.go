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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestClusterRegistrationIntegration: a ClusterRegistration of the
// sandbox's workload cluster, with its token in a Secret, becomes Ready with
// the cluster's version and writes the Argo CD cluster Secret; a token the
// cluster rejects makes it not Synced, naming tokenSecretRef; the right
// token again makes it Ready; deleting it removes the Argo CD cluster Secret.
func TestClusterRegistrationIntegration(t *testing.T) {
	e := startController(t)
	p := e.platform
	sandboxtest.Require(t, p, sandboxtest.Workload...)
	ctx := context.Background()
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	e.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.DefaultProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   p.Namespace,
		},
	})
	const siteName, name = "ctrl-creg", "ctrl-creg-wl"
	e.createObject(t, &v1alpha1.Site{ObjectMeta: metav1.ObjectMeta{Name: siteName}})
	e.waitSiteReady(t, siteName)
	e.createSecret(t, "ctrl-creg-token", map[string]string{"token": p.WorkloadToken})

	reg := &v1alpha1.ClusterRegistration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ClusterRegistrationSpec{ForProvider: v1alpha1.ClusterRegistrationParameters{
			Site: siteName, Server: p.WorkloadServerURL, CACertificate: string(ca),
			TokenSecretRef: v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: "ctrl-creg-token", Key: "token"},
			Labels:         map[string]string{"env": "ctrl"},
		}},
	}
	e.createObject(t, reg)
	waitReady := func(what string) {
		t.Helper()
		var got v1alpha1.ClusterRegistration
		eventually(t, integrationTimeout, what, func() (bool, string) {
			if err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &got); err != nil {
				return false, err.Error()
			}
			r, sy := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
			return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue && got.Status.AtProvider.KubernetesVersion == sandbox.KubeVersion,
				fmt.Sprintf("Ready=%s %q Synced=%s %q atProvider=%+v", r.Status, r.Message, sy.Status, sy.Message, got.Status.AtProvider)
		})
		if got.GetAnnotations()[v1alpha1.AnnotationExternalName] != siteName+"/"+name {
			t.Errorf("external name %q, want %s/%s", got.GetAnnotations()[v1alpha1.AnnotationExternalName], siteName, name)
		}
	}
	waitReady("ClusterRegistration Ready with the cluster's version")
	secretName := clusterregistration.SecretName(name)
	var sec corev1.Secret
	if err := e.kube.Get(ctx, client.ObjectKey{Namespace: p.ArgoCDNamespace, Name: secretName}, &sec); err != nil {
		t.Fatalf("the Argo CD cluster Secret: %v", err)
	}
	if string(sec.Data["name"]) != name || string(sec.Data["server"]) != p.WorkloadServerURL || sec.Labels["env"] != "ctrl" {
		t.Errorf("Argo CD cluster Secret name %q server %q labels %v", sec.Data["name"], sec.Data["server"], sec.Labels)
	}

	// A token the cluster rejects: not Synced, on tokenSecretRef; the
	// registered Secret keeps the token that works.
	e.createSecret(t, "ctrl-creg-token", map[string]string{"token": "wrong-token"})
	eventually(t, integrationTimeout, "Synced=False naming tokenSecretRef", func() (bool, string) {
		var got v1alpha1.ClusterRegistration
		if err := e.kube.Get(ctx, client.ObjectKey{Name: name}, &got); err != nil {
			return false, err.Error()
		}
		sy := got.Status.GetCondition(v1alpha1.TypeSynced)
		return sy.Status == corev1.ConditionFalse && containsAll(sy.Message, "spec.forProvider.tokenSecretRef", "401 Unauthorized"),
			fmt.Sprintf("Synced=%s %q", sy.Status, sy.Message)
	})
	e.createSecret(t, "ctrl-creg-token", map[string]string{"token": p.WorkloadToken})
	waitReady("ClusterRegistration Ready again with the right token")

	if err := e.kube.Delete(ctx, reg); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "ClusterRegistration and its Argo CD cluster Secret gone", func() (bool, string) {
		errReg := e.kube.Get(ctx, client.ObjectKey{Name: name}, &v1alpha1.ClusterRegistration{})
		errSec := e.kube.Get(ctx, client.ObjectKey{Namespace: p.ArgoCDNamespace, Name: secretName}, &corev1.Secret{})
		return apierrors.IsNotFound(errReg) && apierrors.IsNotFound(errSec), fmt.Sprintf("registration: %v, Secret: %v", errReg, errSec)
	})
}

// containsAll reports whether s contains every part.
func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
