package kube

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestApplyApplicationRetriesAConflict updates an application that Argo CD
// changed between the read and the write (a 409 Conflict): the update is
// made again on the latest version instead of failing.
func TestApplyApplicationRetriesAConflict(t *testing.T) {
	ctx := context.Background()
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{ApplicationGVR: "ApplicationList"})
	app := Application{Name: "site-b-root", Namespace: "argocd", Project: "default", RepoURL: "https://git.example/gitops.git",
		TargetRevision: "main", Path: "sites/site-b", DestinationName: "in-cluster", DestinationNamespace: "argocd"}
	if err := ApplyApplication(ctx, dc, app); err != nil {
		t.Fatal(err)
	}
	conflicts := 2
	dc.PrependReactor("update", "applications", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts == 0 {
			return false, nil, nil
		}
		conflicts--
		return true, nil, apierrors.NewConflict(ApplicationGVR.GroupResource(), app.Name, nil)
	})
	app.Path = "sites/site-b-v2"
	if err := ApplyApplication(ctx, dc, app); err != nil {
		t.Fatalf("ApplyApplication() after two conflicts = %v, want the third attempt to succeed", err)
	}
	u, err := dc.Resource(ApplicationGVR).Namespace("argocd").Get(ctx, app.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedString(u.Object, "spec", "source", "path"); got != "sites/site-b-v2" {
		t.Errorf("path after the update = %q, want sites/site-b-v2", got)
	}

	// A conflict every time ends in the error, after the retries.
	conflicts = 100
	app.Path = "sites/site-b-v3"
	if err := ApplyApplication(ctx, dc, app); !apierrors.IsConflict(err) {
		t.Errorf("ApplyApplication() with a conflict every time = %v, want the conflict", err)
	}
}
