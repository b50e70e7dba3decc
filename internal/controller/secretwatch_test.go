package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
)

// TestSecretWatchRequests checks which managed resources a changed Secret
// wakes: the Sites whose spec references it, and the Cluster that owns it
// as its connection Secret.
func TestSecretWatchRequests(t *testing.T) {
	withGitPassword := func(name string) func(*v1alpha1.Site) {
		return func(s *v1alpha1.Site) {
			s.Spec.ForProvider.GitOps = &v1alpha1.GitOpsParameters{RepoURL: "http://git/x.git", Path: "apps",
				PasswordSecretRef: &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: name, Key: "password"}}
		}
	}
	named := func(name string) func(*v1alpha1.Site) { return func(s *v1alpha1.Site) { s.Name = name } }
	sites := &SiteAdapter{}
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(
			siteObject(named("a"), withGitPassword("git")),
			siteObject(named("b"), withGitPassword("git"), func(s *v1alpha1.Site) {
				s.Spec.ForProvider.ManagementCluster = &v1alpha1.ManagementClusterParameters{
					Host: "https://10.0.0.1:6443", TokenSecretRef: &v1alpha1.SecretKeySelector{Namespace: "mc-system", Name: "token", Key: "token"}}
			}),
			siteObject(named("c")),
		).
		WithIndex(&v1alpha1.Site{}, referencedSecretsIndex, referencedSecretKeys(sites)).
		Build()
	siteWatch := secretWatch{kube: kube, owner: v1alpha1.GroupVersion.WithKind("Site"), references: true,
		newList: func() client.ObjectList { return &v1alpha1.SiteList{} }}
	clusterWatch := secretWatch{owner: v1alpha1.GroupVersion.WithKind("Cluster"), publishes: true}

	secret := func(namespace, name string, owners ...metav1.OwnerReference) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, OwnerReferences: owners}}
	}
	controlledBy := func(kind, name string) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: kind, Name: name, UID: "u", Controller: new(true)}
	}
	request := func(name string) reconcile.Request {
		return reconcile.Request{NamespacedName: types.NamespacedName{Name: name}}
	}
	cases := map[string]struct {
		watch  secretWatch
		secret client.Object
		want   []reconcile.Request
	}{
		"a Secret two Sites reference":               {siteWatch, secret("mc-system", "git"), []reconcile.Request{request("a"), request("b")}},
		"a Secret one Site references":               {siteWatch, secret("mc-system", "token"), []reconcile.Request{request("b")}},
		"a Secret of that name in another namespace": {siteWatch, secret("default", "git"), nil},
		"a Secret no Site references":                {siteWatch, secret("mc-system", "other"), nil},
		"a Cluster's connection Secret":              {clusterWatch, secret("apps", "web-kubeconfig", controlledBy("Cluster", "web")), []reconcile.Request{request("web")}},
		"a Secret another kind controls":             {clusterWatch, secret("apps", "x", controlledBy("Site", "web")), nil},
		"a Secret a Cluster does not control": {clusterWatch, secret("apps", "x", metav1.OwnerReference{
			APIVersion: v1alpha1.GroupVersion.String(), Kind: "Cluster", Name: "web", UID: "u"}), nil},
		"a Secret without owners": {clusterWatch, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "y"}}, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.watch.requests(context.Background(), tc.secret)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretWatchRequestsSiteRecords checks that a change to a site record
// wakes the Site whose external name it records, and nothing else.
func TestSecretWatchRequestsSiteRecords(t *testing.T) {
	sites := &SiteAdapter{}
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(
			siteObject(func(s *v1alpha1.Site) { s.Name = "edge" }),
			siteObject(func(s *v1alpha1.Site) {
				s.Name = "renamed"
				s.Annotations = map[string]string{v1alpha1.AnnotationExternalName: "hub"}
			}),
		).
		WithIndex(&v1alpha1.Site{}, referencedSecretsIndex, referencedSecretKeys(sites)).
		WithIndex(&v1alpha1.Site{}, externalNameIndex, func(o client.Object) []string { return []string{ExternalName(o)} }).
		Build()
	w := secretWatch{kube: kube, owner: v1alpha1.GroupVersion.WithKind("Site"), references: true, records: sites,
		newList: func() client.ObjectList { return &v1alpha1.SiteList{} }}
	record := func(site string, labels map[string]string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "mc-system", Name: "site-" + site, Labels: labels}}
	}
	request := func(name string) reconcile.Request {
		return reconcile.Request{NamespacedName: types.NamespacedName{Name: name}}
	}
	cases := map[string]struct {
		secret client.Object
		want   []reconcile.Request
	}{
		"the record of a Site named after its site":  {record("edge", map[string]string{"mc.mcplatform.dev/site": "edge", "mc.mcplatform.dev/record": "site"}), []reconcile.Request{request("edge")}},
		"the record of a Site with an external name": {record("hub", map[string]string{"mc.mcplatform.dev/site": "hub", "mc.mcplatform.dev/record": "site"}), []reconcile.Request{request("renamed")}},
		"the record of a site no Site manages":       {record("other", map[string]string{"mc.mcplatform.dev/site": "other", "mc.mcplatform.dev/record": "site"}), nil},
		"an object made for a site, not its record":  {record("edge", map[string]string{"mc.mcplatform.dev/site": "edge"}), nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := w.requests(context.Background(), tc.secret)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}
