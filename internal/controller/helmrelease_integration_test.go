//go:build platform

package controller

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease/charttest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestHelmReleaseIntegration: a HelmRelease reaches Ready with the chart's
// version; an edit of its Argo CD Application in the cluster is corrected
// (the site's root application heals it back to the committed manifest);
// deleting the HelmRelease removes the Application.
func TestHelmReleaseIntegration(t *testing.T) {
	e := startController(t)
	p := e.platform
	sandboxtest.Require(t, p, sandboxtest.Workload...)
	ctx := context.Background()
	const siteName, release = "ctrl-helm", "ctrl-helm-demo"
	cluster := siteName + "-wl"

	// The site (with a GitOps repository) and the cluster registration are
	// made through the engine: this test is about the HelmRelease kind.
	repo, err := p.CreateGitRepo(ctx, siteName, map[string]string{"sites/" + siteName + "/README.md": "site " + siteName + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	sites := site.New(registry.New(e.config, p.Namespace))
	if _, err := sites.Create(ctx, site.Spec{
		Name:   siteName,
		ArgoCD: site.ArgoCD{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName},
		GitOps: &site.GitOps{RepoURL: repo, Branch: "main", Path: "sites/" + siteName, Username: p.GitUsername, Password: p.GitPassword},
	}); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(p.WorkloadCAFile)
	if err != nil {
		t.Fatal(err)
	}
	regs := clusterregistration.New(registry.New(e.config, p.Namespace))
	regID, err := regs.Create(ctx, clusterregistration.Spec{
		Site: siteName, Name: cluster, Server: p.WorkloadServerURL, CACertificate: string(ca), Token: p.WorkloadToken, TokenVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := regs.Delete(cctx, regID); err != nil {
			t.Errorf("cannot delete the registration: %v", err)
		}
		if err := engine.DeleteUntilGone(cctx, sites, siteName, engine.ConvergeOptions{}); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})
	charts := charttest.Serve(t, charttest.Chart{Name: "ctrl-helm-chart", Version: "0.1.0"})

	e.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.DefaultProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   p.Namespace,
		},
	})
	hr := &v1alpha1.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: release},
		Spec: v1alpha1.HelmReleaseSpec{ForProvider: v1alpha1.HelmReleaseParameters{
			Site: siteName, Cluster: cluster, Namespace: "ctrl-helm",
			RepoURL: charts.URL, Chart: "ctrl-helm-chart", Version: "0.1.0", Values: "message: from the controller",
		}},
	}
	e.createObject(t, hr)
	waitReady := func(what string) {
		t.Helper()
		eventually(t, integrationTimeout, what, func() (bool, string) {
			var got v1alpha1.HelmRelease
			if err := e.kube.Get(ctx, client.ObjectKey{Name: release}, &got); err != nil {
				return false, err.Error()
			}
			r, sy := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
			return r.Status == corev1.ConditionTrue && sy.Status == corev1.ConditionTrue && got.Status.AtProvider.Revision == "0.1.0",
				fmt.Sprintf("Ready=%s %q Synced=%s %q atProvider=%+v", r.Status, r.Message, sy.Status, sy.Message, got.Status.AtProvider)
		})
	}
	waitReady("HelmRelease Ready at 0.1.0")
	var got v1alpha1.HelmRelease
	if err := e.kube.Get(ctx, client.ObjectKey{Name: release}, &got); err != nil {
		t.Fatal(err)
	}
	if id := got.GetAnnotations()[v1alpha1.AnnotationExternalName]; id != siteName+"/"+cluster+"/ctrl-helm/"+release {
		t.Errorf("external name %q", id)
	}

	// Edit the Application in the cluster: the root application heals it.
	dc, err := dynamic.NewForConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}
	appName := helmrelease.ApplicationName(helmrelease.Spec{Cluster: cluster, Namespace: "ctrl-helm", Name: release})
	apps := dc.Resource(kube.ApplicationGVR).Namespace(p.ArgoCDNamespace)
	patch := []byte(`{"spec":{"source":{"helm":{"values":"message: edited by hand\n"}}}}`)
	if _, err := apps.Patch(ctx, appName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "the edited Application corrected", func() (bool, string) {
		u, err := apps.Get(ctx, appName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		values, _, _ := unstructured.NestedString(u.Object, "spec", "source", "helm", "values")
		return values == "message: from the controller\n", fmt.Sprintf("values %q", values)
	})
	waitReady("HelmRelease Ready after the edit")

	if err := e.kube.Delete(ctx, hr); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "HelmRelease and its Application gone", func() (bool, string) {
		errHR := e.kube.Get(ctx, client.ObjectKey{Name: release}, &v1alpha1.HelmRelease{})
		_, errApp := apps.Get(ctx, appName, metav1.GetOptions{})
		return apierrors.IsNotFound(errHR) && apierrors.IsNotFound(errApp), fmt.Sprintf("HelmRelease: %v, Application: %v", errHR, errApp)
	})
}
