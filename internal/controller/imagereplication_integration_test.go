//go:build platform

package controller

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

// TestImageReplicationIntegration_runRequest: two Sites with real Harbor
// simulators over real registries; an ImageReplication becomes Ready, a run
// request copies the edge's image to the hub with its digest, and deleting
// the ImageReplication removes the policy and the endpoint from the hub.
func TestImageReplicationIntegration_runRequest(t *testing.T) {
	e := startController(t)
	const password = "Harbor12345"
	start := func(siteName string) *harborsim.Site {
		s, err := harborsim.StartSite(context.Background(), harborsim.SiteOptions{
			Name: siteName, RegistryBinary: filepath.Join(sandbox.DefaultCacheDir(), "bin", "registry-v3.1.2"),
			StateDir: t.TempDir(), AdminPassword: password,
		})
		if err != nil {
			t.Fatalf("StartSite(%q) error = %v", siteName, err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	hub, edge := start("hub"), start("edge")
	ref := func(registryURL, repo string) name.Reference {
		r, err := name.ParseReference(strings.TrimPrefix(registryURL, "http://")+"/"+repo, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	img, _ := random.Image(1024, 1)
	if err := remote.Write(ref(edge.RegistryURL, "library/app:v1"), img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()

	e.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.DefaultProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   e.platform.Namespace,
		},
	})
	e.createSecret(t, "ctrl-harbor", map[string]string{"password": password})
	for _, s := range []struct{ name, url string }{{"ctrl-hub", hub.URL}, {"ctrl-edge", edge.URL}} {
		e.createObject(t, &v1alpha1.Site{
			ObjectMeta: metav1.ObjectMeta{Name: s.name},
			Spec: v1alpha1.SiteSpec{ForProvider: v1alpha1.SiteParameters{Harbor: &v1alpha1.HarborParameters{
				URL: s.url, Username: "admin",
				PasswordSecretRef: &v1alpha1.SecretKeySelector{Namespace: e.platform.Namespace, Name: "ctrl-harbor", Key: "password"},
			}}},
		})
		e.waitSiteReady(t, s.name)
	}

	rep := &v1alpha1.ImageReplication{
		ObjectMeta: metav1.ObjectMeta{Name: "ctrl-edge-to-hub"},
		Spec: v1alpha1.ImageReplicationSpec{ForProvider: v1alpha1.ImageReplicationParameters{
			SourceSite: "ctrl-edge", DestinationSite: "ctrl-hub",
			Filters:    v1alpha1.ImageReplicationFilters{Name: "library/**"},
			RunRequest: "build-1",
		}},
	}
	if err := e.kube.Create(context.Background(), rep); err != nil {
		t.Fatalf("cannot create ImageReplication: %v", err)
	}
	var got v1alpha1.ImageReplication
	eventually(t, integrationTimeout, "run request build-1 handled", func() (bool, string) {
		if err := e.kube.Get(context.Background(), client.ObjectKey{Name: rep.Name}, &got); err != nil {
			return false, err.Error()
		}
		r, sy := got.Status.GetCondition(v1alpha1.TypeReady), got.Status.GetCondition(v1alpha1.TypeSynced)
		at := got.Status.AtProvider
		return r.Status == corev1.ConditionTrue && at.LastRunRequest == "build-1",
			fmt.Sprintf("Ready=%s %q Synced=%s %q atProvider=%+v", r.Status, r.Message, sy.Status, sy.Message, at)
	})
	if ex := got.Status.AtProvider.LastExecution; ex == nil || ex.Status != harbor.StatusSucceed || ex.Succeeded != 1 {
		t.Fatalf("lastExecution = %+v, want Succeed with 1 task", ex)
	}
	if got.Status.AtProvider.RunsOn != "ctrl-hub" {
		t.Fatalf("runsOn = %q, want ctrl-hub", got.Status.AtProvider.RunsOn)
	}
	d, err := remote.Head(ref(hub.RegistryURL, "library/app:v1"))
	if err != nil || d.Digest != digest {
		t.Fatalf("hub has library/app:v1 = %v, %v; want digest %s", d, err, digest)
	}

	hubClient, err := harbor.New(harbor.Config{URL: hub.URL, Username: "admin", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.kube.Delete(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	eventually(t, integrationTimeout, "policy and endpoint removed from the hub", func() (bool, string) {
		pols, err := hubClient.ListReplicationPolicies(context.Background(), "")
		if err != nil {
			return false, err.Error()
		}
		regs, err := hubClient.ListRegistries(context.Background(), "")
		if err != nil {
			return false, err.Error()
		}
		return len(pols) == 0 && len(regs) == 0, fmt.Sprintf("%d policies, %d endpoints", len(pols), len(regs))
	})
}

// TestImageReplicationIntegration_eventBasedPullRefused: the API server
// refuses an event_based trigger with direction pull (the default), on
// spec.forProvider.trigger.type, and takes it with direction push.
func TestImageReplicationIntegration_eventBasedPullRefused(t *testing.T) {
	t.Parallel() // its own objects, watched by its own managers (newIntegrationEnv)
	e := startController(t)
	obj := func(name, direction string) *v1alpha1.ImageReplication {
		return &v1alpha1.ImageReplication{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: v1alpha1.ImageReplicationSpec{ForProvider: v1alpha1.ImageReplicationParameters{
				SourceSite: "ctrl-event-edge", DestinationSite: "ctrl-event-hub", Direction: direction,
				Trigger: v1alpha1.ImageReplicationTrigger{Type: v1alpha1.ReplicationTriggerEventBased},
			}},
		}
	}
	// Dry runs: the API server validates, and nothing is stored for the
	// controller to reconcile.
	ctx := context.Background()
	err := e.kube.Create(ctx, obj("ctrl-event-pull", ""), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "spec.forProvider.trigger.type") || !strings.Contains(err.Error(), "never fires with direction pull") {
		t.Fatalf("Create(event_based pull) error = %v, want a refusal on spec.forProvider.trigger.type", err)
	}
	if err := e.kube.Create(ctx, obj("ctrl-event-push", v1alpha1.ReplicationDirectionPush), client.DryRunAll); err != nil {
		t.Fatalf("Create(event_based push) error = %v", err)
	}
}
