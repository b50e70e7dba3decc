//go:build platform

package controller

// Platform tests of the Cluster kind's connection Secret, of the engine
// triggers as watch sources and of the watch on referenced Secrets. Run
// them with -tags platform.

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// triggerOnlyPoll is longer than any test: with every poll interval set to
// it, the controller can only react to a change of the Cluster API objects
// through its engine trigger.
const triggerOnlyPoll = 10 * time.Hour

// TestClusterIntegration_connectionSecret creates an in-memory workload
// cluster through a Cluster that sets writeConnectionSecretToRef, with
// polling effectively off so that every step after Create is driven by the
// engine's trigger on the Cluster API objects. It checks that the
// kubeconfig is published and reaches the workload cluster, that a change
// made directly to a Cluster API object is corrected without a poll, and
// that the Secret goes with the Cluster.
func TestClusterIntegration_connectionSecret(t *testing.T) {
	e := startClusterControllerWith(t, Options{
		PollInterval: triggerOnlyPoll, NotReadyPollInterval: triggerOnlyPoll, WatchedNotReadyPollInterval: triggerOnlyPoll,
	})
	ctx := context.Background()
	name := "ctrl-conn-" + e.suffix
	id := e.site + "/" + e.namespace + "/" + name
	secretNamespace := "ctrl-conn-secrets-" + e.suffix
	secretKey := types.NamespacedName{Namespace: secretNamespace, Name: name + "-connection"}
	e.createObject(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: secretNamespace}})
	t.Cleanup(func() { // in case the test stops before deleting it
		_ = e.kube.Delete(context.Background(), &v1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}})
		_ = cluster.New(registry.New(e.config, e.platform.Namespace)).Delete(context.Background(), id)
	})

	if err := e.kube.Create(ctx, &v1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ClusterSpec{
			ResourceSpec: v1alpha1.ResourceSpec{
				ProviderConfigReference:          &v1alpha1.ProviderConfigReference{Name: e.providerConfig},
				WriteConnectionSecretToReference: &v1alpha1.SecretReference{Namespace: secretKey.Namespace, Name: secretKey.Name},
			},
			ForProvider: v1alpha1.ClusterParameters{
				Site: e.site, Namespace: e.namespace, KubernetesVersion: "v1.36.0",
				Infrastructure:     v1alpha1.ClusterInfrastructureInMemory,
				WorkerPools:        []v1alpha1.ClusterWorkerPool{{Name: "workers", Replicas: 1}},
				ArgoCDRegistration: new(false),
			},
		},
	}); err != nil {
		t.Fatalf("cannot create Cluster: %v", err)
	}
	c := e.waitCluster(t, name, "Ready with 1 worker, driven by the trigger", func(c *v1alpha1.Cluster) bool {
		return readyAndSynced(c) && c.Status.AtProvider.ReadyWorkers == 1
	})

	// The connection Secret: owned by the Cluster, with a kubeconfig that
	// reaches the workload cluster.
	var secret corev1.Secret
	eventually(t, time.Minute, "connection Secret "+secretKey.String(), func() (bool, string) {
		err := e.kube.Get(ctx, secretKey, &secret)
		if err != nil {
			return false, err.Error()
		}
		return len(secret.Data[v1alpha1.ConnectionSecretKeyKubeconfig]) > 0, fmt.Sprintf("keys %v", keysOf(secret.Data))
	})
	if !metav1.IsControlledBy(&secret, c) {
		t.Errorf("connection Secret owners = %+v, want the Cluster %s (uid %s)", secret.OwnerReferences, name, c.UID)
	}
	if got, want := string(secret.Data[v1alpha1.ConnectionSecretKeyServer]), c.Status.AtProvider.Endpoint; got == "" || got != want {
		t.Errorf("connection Secret server = %q, want the cluster's endpoint %q", got, want)
	}
	if len(secret.Data[v1alpha1.ConnectionSecretKeyCACertificate]) == 0 {
		t.Errorf("connection Secret has no %s (keys %v)", v1alpha1.ConnectionSecretKeyCACertificate, keysOf(secret.Data))
	}
	wlConfig, err := clientcmd.RESTConfigFromKubeConfig(secret.Data[v1alpha1.ConnectionSecretKeyKubeconfig])
	if err != nil {
		t.Fatalf("the published kubeconfig does not load: %v", err)
	}
	wl, err := kubernetes.NewForConfig(wlConfig)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := wl.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("the published kubeconfig does not reach the workload cluster: %v", err)
	}
	if len(nodes.Items) != 2 {
		t.Errorf("the workload cluster has %d nodes, want 2 (1 control plane, 1 worker)", len(nodes.Items))
	}

	// A change made behind the controller's back to a Cluster API object is
	// corrected: with polling off, only the trigger can wake the reconcile.
	mdName := cluster.MachineDeploymentName(name, "workers")
	mds := e.dynamic.Resource(cluster.MachineDeploymentGVR).Namespace(e.namespace)
	patch := []byte(`{"spec":{"replicas":2}}`)
	if _, err := mds.Patch(ctx, mdName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("cannot scale MachineDeployment %s/%s: %v", e.namespace, mdName, err)
	}
	eventually(t, 2*time.Minute, "MachineDeployment "+mdName+" scaled back to 1 by the controller", func() (bool, string) {
		md, err := mds.Get(ctx, mdName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		replicas, _, _ := unstructured.NestedInt64(md.Object, "spec", "replicas")
		return replicas == 1, fmt.Sprintf("spec.replicas %d", replicas)
	})
	e.waitCluster(t, name, "Ready with 1 worker again", func(c *v1alpha1.Cluster) bool {
		return readyAndSynced(c) && c.Status.AtProvider.ReadyWorkers == 1
	})

	// The Secret goes with the Cluster; deletion is followed by the trigger too.
	if err := e.kube.Delete(ctx, &v1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	e.waitClusterGone(t, name)
	if u := e.capiCluster(t, name); u != nil {
		t.Errorf("the Cluster is gone but its Cluster API Cluster is not (deletion timestamp %v)", u.GetDeletionTimestamp())
	}
	if err := e.kube.Get(ctx, secretKey, &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("connection Secret %s after the Cluster went: error = %v, want not found", secretKey, err)
	}
}

// keysOf returns the keys of a Secret's data, never its values.
func keysOf(data map[string][]byte) []string {
	return slices.Sorted(maps.Keys(data))
}

// TestSiteIntegration_referencedSecretWakesTheReconcile registers a site
// whose management cluster is reached through a kubeconfig Secret, with the
// poll of Ready resources effectively off, and changes the Secret: only the
// watch on Secrets can bring the new kubeconfig's version into the site
// record.
func TestSiteIntegration_referencedSecretWakesTheReconcile(t *testing.T) {
	env := startControllerWith(t, Options{PollInterval: triggerOnlyPoll, NotReadyPollInterval: time.Second})
	p := env.platform
	ctx := context.Background()
	name := "ctrl-secret-" + fmt.Sprintf("%06x", rand.IntN(1<<24))
	env.createObject(t, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.DefaultProviderConfigName},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceInjectedIdentity},
			Namespace:   p.Namespace,
		},
	})
	doc, err := clientcmd.Write(clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{"platform": {Server: env.config.Host, CertificateAuthorityData: env.config.CAData}},
		AuthInfos: map[string]*clientcmdapi.AuthInfo{"admin": {
			ClientCertificateData: env.config.CertData, ClientKeyData: env.config.KeyData}},
		Contexts:       map[string]*clientcmdapi.Context{"platform": {Cluster: "platform", AuthInfo: "admin"}},
		CurrentContext: "platform",
	})
	if err != nil {
		t.Fatal(err)
	}
	secretName := name + "-kubeconfig"
	env.createSecret(t, secretName, map[string]string{"kubeconfig": string(doc)})
	env.createObject(t, &v1alpha1.Site{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.SiteSpec{ForProvider: v1alpha1.SiteParameters{
			ManagementCluster: &v1alpha1.ManagementClusterParameters{
				KubeconfigSecretRef: &v1alpha1.SecretKeySelector{Namespace: p.Namespace, Name: secretName, Key: "kubeconfig"},
			},
			ArgoCD: v1alpha1.ArgoCDParameters{Namespace: p.ArgoCDNamespace, Destination: p.ArgoCDClusterName},
		}},
	})
	env.waitSiteReady(t, name)
	recordedVersion := func() (int64, string) {
		rec, err := site.New(registry.New(env.config, p.Namespace)).Lookup(ctx, name)
		if err != nil {
			return 0, err.Error()
		}
		if rec.Spec.ManagementCluster == nil {
			return 0, "the record has no management cluster"
		}
		return rec.Spec.ManagementCluster.KubeconfigVersion, fmt.Sprintf("kubeconfig version %d", rec.Spec.ManagementCluster.KubeconfigVersion)
	}
	if got, message := recordedVersion(); got != SecretVersion(string(doc)) {
		t.Fatalf("site record before the change: %s, want version %d", message, SecretVersion(string(doc)))
	}

	// The same kubeconfig, rewritten: a new value, hence a new version.
	rotated := string(doc) + "\n# rotated\n"
	var secret corev1.Secret
	if err := env.kube.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: secretName}, &secret); err != nil {
		t.Fatal(err)
	}
	secret.Data = map[string][]byte{"kubeconfig": []byte(rotated)}
	if err := env.kube.Update(ctx, &secret); err != nil {
		t.Fatalf("cannot update Secret %s: %v", secretName, err)
	}
	eventually(t, time.Minute, "the site record to carry the new kubeconfig's version", func() (bool, string) {
		got, message := recordedVersion()
		return got == SecretVersion(rotated), message
	})
	env.deleteSite(t, name)
}
