package controller

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

const (
	testConnectionNamespace = "apps"
	testConnectionSecret    = "web-kubeconfig"
	testClusterUID          = "5a1e0c1d-0000-4000-8000-00000000c1a5"
)

// kubeconfigClusterEngine is a fake cluster engine that also serves the
// cluster's kubeconfig, as the real engine client does.
type kubeconfigClusterEngine struct {
	*fakeClusterEngine
	kubeconfig    string
	kubeconfigErr error
	reads         int
}

func (f *kubeconfigClusterEngine) Kubeconfig(_ context.Context, id string) (string, error) {
	f.reads++
	if f.kubeconfigErr != nil {
		return "", f.kubeconfigErr
	}
	if id != testClusterID {
		return "", errors.New("unexpected cluster " + id)
	}
	return f.kubeconfig, nil
}

// testKubeconfig is an admin kubeconfig as Cluster API writes it.
func testKubeconfig(t *testing.T, server string) string {
	t.Helper()
	doc, err := clientcmd.Write(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"web": {Server: server, CertificateAuthorityData: []byte("ca-pem")}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"web-admin": {ClientCertificateData: []byte("cert-pem"), ClientKeyData: []byte("key-pem")}},
		Contexts:       map[string]*clientcmdapi.Context{"web-admin@web": {Cluster: "web", AuthInfo: "web-admin"}},
		CurrentContext: "web-admin@web",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

func withConnectionSecret(c *v1alpha1.Cluster) {
	c.UID = testClusterUID
	c.Spec.WriteConnectionSecretToReference = &v1alpha1.SecretReference{Namespace: testConnectionNamespace, Name: testConnectionSecret}
}

func existingCluster(c *v1alpha1.Cluster) {
	c.Finalizers = []string{v1alpha1.Finalizer}
	c.Annotations = map[string]string{v1alpha1.AnnotationExternalName: testClusterID}
	c.Spec.ForProvider.Infrastructure = v1alpha1.ClusterInfrastructureBYOH
}

func deletingCluster(c *v1alpha1.Cluster) {
	now := metav1.NewTime(testNow)
	c.DeletionTimestamp = &now
}

// ownedConnectionSecret is the connection Secret of the test Cluster.
func ownedConnectionSecret(data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: testConnectionNamespace, Name: testConnectionSecret,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1alpha1.GroupVersion.String(), Kind: "Cluster", Name: testCluster, UID: testClusterUID,
				Controller: new(true), BlockOwnerDeletion: new(true),
			}},
		},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
}

// TestClusterConnectionSecret checks that a Ready Cluster publishes its
// kubeconfig to the Secret writeConnectionSecretToRef names, keeps it up
// to date, never takes over a Secret it does not own, and deletes its own
// Secret when it goes.
func TestClusterConnectionSecret(t *testing.T) {
	readyCluster := engine.Observation[cluster.Spec, cluster.Status]{Exists: true, Ready: true, UpToDate: true, Actual: byohSpec()}
	kubeconfig := testKubeconfig(t, "https://10.0.0.10:6443")
	published := map[string][]byte{
		v1alpha1.ConnectionSecretKeyKubeconfig:    []byte(kubeconfig),
		v1alpha1.ConnectionSecretKeyServer:        []byte("https://10.0.0.10:6443"),
		v1alpha1.ConnectionSecretKeyCACertificate: []byte("ca-pem"),
	}
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testConnectionNamespace, Name: testConnectionSecret},
		Data: map[string][]byte{"token": []byte("someone else's")}}

	type outcome struct {
		Secret          *corev1.Secret // nil: no Secret
		Synced          v1alpha1.ConditionReason
		Events          []string
		Retried         bool
		KubeconfigReads int
		Gone            bool
	}
	cases := map[string]struct {
		obj           *v1alpha1.Cluster
		objects       []client.Object
		observation   engine.Observation[cluster.Spec, cluster.Status]
		kubeconfigErr error
		want          outcome
	}{
		"a Ready cluster publishes its kubeconfig, server and CA": {
			obj:         clusterObject(existingCluster, withConnectionSecret),
			observation: readyCluster,
			want:        outcome{Secret: ownedConnectionSecret(published), Synced: v1alpha1.ReasonReconcileSuccess, KubeconfigReads: 1},
		},
		"a changed kubeconfig updates the Secret": {
			obj:         clusterObject(existingCluster, withConnectionSecret),
			objects:     []client.Object{ownedConnectionSecret(map[string][]byte{"kubeconfig": []byte("old")})},
			observation: readyCluster,
			want:        outcome{Secret: ownedConnectionSecret(published), Synced: v1alpha1.ReasonReconcileSuccess, KubeconfigReads: 1},
		},
		"a cluster that is not Ready publishes nothing yet": {
			obj:         clusterObject(existingCluster, withConnectionSecret),
			observation: engine.Observation[cluster.Spec, cluster.Status]{Exists: true, UpToDate: true, Actual: byohSpec()},
			want:        outcome{Synced: v1alpha1.ReasonReconcileSuccess},
		},
		"a cluster without writeConnectionSecretToRef publishes nothing": {
			obj:         clusterObject(existingCluster),
			observation: readyCluster,
			want:        outcome{Synced: v1alpha1.ReasonReconcileSuccess},
		},
		"a kubeconfig Cluster API has not written yet is published later": {
			obj:           clusterObject(existingCluster, withConnectionSecret),
			observation:   readyCluster,
			kubeconfigErr: engine.ErrNotFound,
			want:          outcome{Synced: v1alpha1.ReasonReconcileSuccess, KubeconfigReads: 1},
		},
		"a kubeconfig that cannot be read is reported": {
			obj:           clusterObject(existingCluster, withConnectionSecret),
			observation:   readyCluster,
			kubeconfigErr: errors.New("connection refused"),
			want: outcome{Synced: v1alpha1.ReasonReconcileError, KubeconfigReads: 1, Retried: true,
				Events: []string{"Warning " + EventReasonCannotPublishConnectionDetails}},
		},
		"a Secret the cluster does not own is left alone": {
			obj:         clusterObject(existingCluster, withConnectionSecret),
			objects:     []client.Object{foreign},
			observation: readyCluster,
			want: outcome{Secret: foreign, Synced: v1alpha1.ReasonReconcileError, KubeconfigReads: 1, Retried: true,
				Events: []string{"Warning " + EventReasonCannotPublishConnectionDetails}},
		},
		"the Secret is deleted with the cluster": {
			obj:     clusterObject(existingCluster, withConnectionSecret, deletingCluster),
			objects: []client.Object{ownedConnectionSecret(published)},
			want:    outcome{Gone: true},
		},
		"the Secret is deleted with an orphaned cluster": {
			obj: clusterObject(existingCluster, withConnectionSecret, deletingCluster, func(c *v1alpha1.Cluster) {
				c.Spec.DeletionPolicy = v1alpha1.DeletionOrphan
			}),
			objects:     []client.Object{ownedConnectionSecret(published)},
			observation: readyCluster,
			want:        outcome{Gone: true},
		},
		"a Secret the cluster does not own stays when the cluster goes": {
			obj:     clusterObject(existingCluster, withConnectionSecret, deletingCluster),
			objects: []client.Object{foreign},
			want:    outcome{Secret: foreign, Gone: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			kube := fake.NewClientBuilder().WithScheme(testScheme(t)).
				WithObjects(append(tc.objects, defaultProviderConfig(), tc.obj)...).
				WithStatusSubresource(&v1alpha1.Cluster{}).Build()
			f := &kubeconfigClusterEngine{fakeClusterEngine: &fakeClusterEngine{observation: tc.observation}, kubeconfig: kubeconfig, kubeconfigErr: tc.kubeconfigErr}
			recorder := events.NewFakeRecorder(10)
			adapter := NewClusterAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}},
				func(*registry.Registry) engine.Client[cluster.Spec, cluster.Status] { return f })
			r := NewReconciler(kube, func() Managed { return &v1alpha1.Cluster{} }, Adapter[cluster.Spec, cluster.Status](adapter),
				WithEventRecorder(recorder), WithPollJitter(0))
			_, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Name: testCluster}})
			close(recorder.Events)

			got := outcome{Retried: err != nil, KubeconfigReads: f.reads}
			var recorded []string
			for e := range recorder.Events {
				recorded = append(recorded, e)
			}
			got.Events = eventReasons(recorded)
			var stored v1alpha1.Cluster
			if err := kube.Get(ctx, types.NamespacedName{Name: testCluster}, &stored); apierrors.IsNotFound(err) {
				got.Gone = true
			} else if err != nil {
				t.Fatal(err)
			} else {
				got.Synced = stored.Status.GetCondition(v1alpha1.TypeSynced).Reason
			}
			var secret corev1.Secret
			switch err := kube.Get(ctx, types.NamespacedName{Namespace: testConnectionNamespace, Name: testConnectionSecret}, &secret); {
			case apierrors.IsNotFound(err):
			case err != nil:
				t.Fatal(err)
			default:
				secret.ResourceVersion, secret.TypeMeta = "", metav1.TypeMeta{}
				got.Secret = &secret
			}
			if tc.want.Secret != nil {
				tc.want.Secret.ResourceVersion = ""
			}
			if tc.want.Gone {
				got.Events = nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Reconcile (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProtectedClusterKeepsTriggerAndKubeconfig checks that deletion
// protection hides neither the engine's trigger nor its kubeconfig.
func TestProtectedClusterKeepsTriggerAndKubeconfig(t *testing.T) {
	ctx := context.Background()
	kube := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(defaultProviderConfig()).Build()
	inner := &kubeconfigClusterEngine{fakeClusterEngine: &fakeClusterEngine{}, kubeconfig: "doc"}
	adapter := NewClusterAdapter(ProviderConfigResolver{Kube: kube, Secrets: kube, InjectedIdentity: &rest.Config{}},
		func(*registry.Registry) engine.Client[cluster.Spec, cluster.Status] { return inner })
	external, err := adapter.Connect(ctx, clusterObject(func(c *v1alpha1.Cluster) { c.Spec.ForProvider.DeletionProtection = true }))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := external.(protectedCluster); !ok {
		t.Fatalf("Connect returned a %T, want a protectedCluster", external)
	}
	doc, err := external.(kubeconfigSource).Kubeconfig(ctx, testClusterID)
	if err != nil || doc != "doc" {
		t.Errorf("Kubeconfig() = %q, %v; want the engine's", doc, err)
	}
	if got := external.(Triggerer).Trigger(ctx, testClusterID); got != nil {
		t.Errorf("Trigger() of an engine without a trigger = %v, want nil", got)
	}
}
