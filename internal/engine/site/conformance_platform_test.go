//go:build platform

package site_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestConformance runs the engine conformance suite against platform-plane
// sites without GitOps: the site record is the backend object.
func TestConformance(t *testing.T) {
	p := sandboxtest.Platform(t)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("conf-%06x", rand.IntN(1<<24))
	var n atomic.Int64
	enginetest.Conformance(t, enginetest.Kind[site.Spec, site.Status]{
		Client: site.New(registry.New(cfg, p.Namespace)),
		NewSpec: func(*testing.T) site.Spec {
			return site.Spec{
				Name:        fmt.Sprintf("%s-%d", prefix, n.Add(1)),
				Description: "engine conformance suite",
				Labels:      map[string]string{"suite": "conformance"},
				ArgoCD:      site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
			}
		},
		ID: func(s site.Spec) string { return s.Name },
		Count: func(ctx context.Context, s site.Spec) (int, error) {
			l, err := cs.CoreV1().Secrets(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: registry.LabelRecord + "=site," + registry.LabelSite + "=" + s.Name})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		CompareOptions: []cmp.Option{cmpopts.EquateEmpty()},
		Immutable: []enginetest.ImmutableChange[site.Spec]{
			{Path: "name", Change: func(s site.Spec) site.Spec { s.Name += "-renamed"; return s }},
		},
		WithTransport: func(_ *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[site.Spec, site.Status] {
			wrapped := rest.CopyConfig(cfg)
			wrapped.Wrap(wrap)
			return site.New(registry.New(wrapped, p.Namespace))
		},
	})
}
