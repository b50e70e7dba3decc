//go:build platform

package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// TestConformance runs the engine conformance suite against in-memory
// clusters, each in a namespace of its own at one platform-plane site. No
// property of the suite needs a ready cluster, so it never waits for one.
func TestConformance(t *testing.T) {
	t.Parallel() // its own site, namespace and clusters: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	sandboxtest.Require(t, p, sandboxtest.ClusterAPI...)
	cfg, err := p.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefix := fmt.Sprintf("conf-%06x", rand.IntN(1<<24))
	sites := site.New(registry.New(cfg, p.Namespace))
	siteName := prefix
	if _, err := sites.Create(ctx, site.Spec{Name: siteName, ArgoCD: site.ArgoCD{Namespace: "argocd", Destination: "in-cluster"}}); err != nil {
		t.Fatalf("cannot register site: %v", err)
	}
	t.Cleanup(func() { // after every subtest has deleted its cluster
		if err := sites.Delete(context.Background(), siteName); err != nil {
			t.Errorf("cannot delete site %s: %v", siteName, err)
		}
	})

	client := cluster.New(registry.New(cfg, p.Namespace))
	var n atomic.Int64
	enginetest.Conformance(t, enginetest.Kind[cluster.Spec, cluster.Status]{
		Client: client,
		NewSpec: func(t *testing.T) cluster.Spec {
			ns := fmt.Sprintf("%s-%d", prefix, n.Add(1))
			t.Cleanup(func() { // Create makes the namespace; Delete leaves it.
				_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
			})
			return cluster.Spec{
				Site: siteName, Namespace: ns, Name: "wl",
				KubernetesVersion: "v1.36.0",
				ControlPlane:      cluster.ControlPlane{Replicas: 1},
				WorkerPools:       []cluster.WorkerPool{{Name: "workers", Replicas: 1, Labels: map[string]string{"tier": "general"}}},
				Infrastructure:    cluster.InfrastructureInMemory,
				Labels:            map[string]string{"suite": "conformance"},
			}
		},
		ID: cluster.ID,
		// The Clusters of the spec's name and site in its namespace.
		Count: func(ctx context.Context, s cluster.Spec) (int, error) {
			l, err := dc.Resource(cluster.ClusterGVR).Namespace(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: registry.LabelSite + "=" + s.Site})
			if err != nil {
				return 0, err
			}
			count := 0
			for _, u := range l.Items {
				if u.GetName() == s.Name {
					count++
				}
			}
			return count, nil
		},
		Defaults: func(s cluster.Spec) cluster.Spec {
			if len(s.PodCIDRs) == 0 {
				s.PodCIDRs = []string{cluster.DefaultPodCIDR}
			}
			if len(s.ServiceCIDRs) == 0 {
				s.ServiceCIDRs = []string{cluster.DefaultServiceCIDR}
			}
			return s
		},
		CompareOptions: []cmp.Option{cmpopts.EquateEmpty()},
		Immutable: []enginetest.ImmutableChange[cluster.Spec]{
			{Path: "site", Change: func(s cluster.Spec) cluster.Spec { s.Site += "-other"; return s }},
			{Path: "namespace", Change: func(s cluster.Spec) cluster.Spec { s.Namespace += "-moved"; return s }},
			{Path: "name", Change: func(s cluster.Spec) cluster.Spec { s.Name += "-renamed"; return s }},
			{Path: "infrastructure", Change: func(s cluster.Spec) cluster.Spec {
				s.Infrastructure = cluster.InfrastructureBYOH
				s.ControlPlane.EndpointHost, s.ControlPlane.EndpointPort = "10.0.0.10", 6443
				return s
			}},
			{Path: "pod_cidrs", Change: func(s cluster.Spec) cluster.Spec { s.PodCIDRs = []string{"172.16.0.0/16"}; return s }},
			{Path: "service_cidrs", Change: func(s cluster.Spec) cluster.Spec { s.ServiceCIDRs = []string{"10.96.0.0/12"}; return s }},
		},
		WithTransport: func(_ *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[cluster.Spec, cluster.Status] {
			wrapped := rest.CopyConfig(cfg)
			wrapped.Wrap(wrap)
			return cluster.New(registry.New(wrapped, p.Namespace))
		},
		// The Cluster is made, its control plane and pools are not yet.
		LostWrite: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"+cluster.ClusterGVR.Resource)
		},
		Trigger:     client.Trigger,
		WaitTimeout: 5 * time.Minute,
	})
}
