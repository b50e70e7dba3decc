package registry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

var applications = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

func application(name, revision string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("argoproj.io/v1alpha1")
	u.SetKind("Application")
	u.SetNamespace("argocd")
	u.SetName(name)
	u.SetLabels(map[string]string{"team": map[bool]string{true: "a", false: "b"}[name < "app-3"]})
	_ = unstructured.SetNestedField(u.Object, revision, "status", "sync", "revision")
	return u
}

// TestSnapshotDynamic refreshes many Applications through one LIST and
// checks that reads outside a refresh, and reads of what this process
// wrote, go to the API server.
func TestSnapshotDynamic(t *testing.T) {
	var objects []runtime.Object
	for i := range 6 {
		objects = append(objects, application(fmt.Sprintf("app-%d", i), "r1"))
	}
	fake := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{applications: "ApplicationList"}, objects...)
	dc := newSnapshotDynamic(fake, 10*time.Second, time.Now)
	refresh := engine.WithRefresh(context.Background())
	apps := dc.Resource(applications).Namespace("argocd")
	revision := func(ctx context.Context, name string) string {
		t.Helper()
		u, err := apps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("Get(%s) error = %v", name, err)
		}
		rev, _, _ := unstructured.NestedString(u.Object, "status", "sync", "revision")
		return rev
	}
	actions := func() []string {
		var out []string
		for _, a := range fake.Actions() {
			verb := a.GetVerb()
			if g, ok := a.(clienttesting.GetAction); ok {
				verb += " " + g.GetName()
			}
			out = append(out, verb)
		}
		fake.ClearActions()
		return out
	}

	for i := range 6 {
		if got := revision(refresh, fmt.Sprintf("app-%d", i)); got != "r1" {
			t.Errorf("app-%d: revision %q, want r1", i, got)
		}
	}
	if diff := cmp.Diff([]string{"get app-0", "get app-1", "list"}, actions()); diff != "" {
		t.Errorf("refresh of 6 Applications: requests (-want +got):\n%s", diff)
	}
	if _, err := apps.Get(refresh, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Get(missing) from the snapshot: error = %v, want not found", err)
	}
	names := func(ctx context.Context, selector string) []string {
		t.Helper()
		l, err := apps.List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			t.Fatalf("List(%s) error = %v", selector, err)
		}
		var out []string
		for _, u := range l.Items {
			out = append(out, u.GetName())
		}
		return out
	}
	if diff := cmp.Diff([]string{"app-0", "app-1", "app-2"}, names(refresh, "team=a")); diff != "" {
		t.Errorf("List(team=a) from the snapshot (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), actions()); diff != "" {
		t.Errorf("a refresh's Get of a missing object and List by label went to the API server (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"app-3", "app-4", "app-5"}, names(context.Background(), "team=b")); diff != "" {
		t.Errorf("List(team=b) outside a refresh (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"list"}, actions()); diff != "" {
		t.Errorf("a List outside a refresh: requests (-want +got):\n%s", diff)
	}

	// What a caller does to the object it got stays its own.
	u, _ := apps.Get(refresh, "app-2", metav1.GetOptions{})
	_ = unstructured.SetNestedField(u.Object, "changed", "status", "sync", "revision")
	if got := revision(refresh, "app-2"); got != "r1" {
		t.Errorf("after a caller changed its copy: revision %q, want r1", got)
	}

	// Another process moves app-3 on; this one patches app-4.
	if _, err := fake.Resource(applications).Namespace("argocd").Update(context.Background(), application("app-3", "r2"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Patch(refresh, "app-4", types.MergePatchType, []byte(`{"status":{"sync":{"revision":"r3"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	actions()
	if got := revision(refresh, "app-3"); got != "r1" {
		t.Errorf("refresh within the snapshot's lifetime: app-3 revision %q, want the snapshot's r1", got)
	}
	if got := revision(context.Background(), "app-3"); got != "r2" {
		t.Errorf("outside a refresh: app-3 revision %q, want the live r2", got)
	}
	if got := revision(refresh, "app-4"); got != "r3" {
		t.Errorf("own write: app-4 revision %q, want r3", got)
	}
	if diff := cmp.Diff([]string{"get app-3", "get app-4"}, actions()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
