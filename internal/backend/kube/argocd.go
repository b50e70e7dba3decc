package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// ApplicationGVR is Argo CD's Application resource.
var ApplicationGVR = schema.GroupVersionResource{Group: ArgoCDGroup, Version: "v1alpha1", Resource: "applications"}

// ArgoCDResourcesFinalizer makes Argo CD delete an application's resources
// before the application itself.
const ArgoCDResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"

// Application is the part of an Argo CD Application this project writes.
type Application struct {
	Name, Namespace string
	Labels          map[string]string
	Project         string
	RepoURL         string
	TargetRevision  string
	Path            string
	// Recurse makes a directory source include subdirectories.
	Recurse bool
	// DestinationName is the Argo CD cluster name to deploy to.
	DestinationName      string
	DestinationNamespace string
	// Automated turns on automated sync with prune and self-heal.
	Automated bool
}

// ApplicationState is what Argo CD reports of an application.
type ApplicationState struct {
	Exists   bool
	Deleting bool
	// Spec is the application as it stands, for drift detection.
	Spec Application
	// SyncStatus is Synced, OutOfSync or Unknown; HealthStatus is Healthy,
	// Progressing, Degraded, Missing, Suspended or Unknown.
	SyncStatus, HealthStatus string
	// Revision is the revision the sync status refers to.
	Revision string
	// OperationPhase and OperationMessage describe the last sync operation.
	OperationPhase, OperationMessage string
	// Conditions are Argo CD's application conditions (type: message).
	Conditions []string
	// ErrorConditions are the conditions whose type ends in Error.
	ErrorConditions []string
}

func (a Application) object() *unstructured.Unstructured {
	src := map[string]any{
		"repoURL":        a.RepoURL,
		"targetRevision": a.TargetRevision,
		"path":           a.Path,
	}
	if a.Recurse {
		src["directory"] = map[string]any{"recurse": true}
	}
	spec := map[string]any{
		"project": a.Project,
		"source":  src,
		"destination": map[string]any{
			"name":      a.DestinationName,
			"namespace": a.DestinationNamespace,
		},
	}
	if a.Automated {
		spec["syncPolicy"] = map[string]any{
			// allowEmpty: a GitOps kind that removes the last manifest of
			// the path must be synced too ("auto-sync will wipe out all
			// resources" otherwise).
			"automated":   map[string]any{"prune": true, "selfHeal": true, "allowEmpty": true},
			"syncOptions": []any{"CreateNamespace=true"},
		}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": ApplicationGVR.GroupVersion().String(),
		"kind":       "Application",
		"metadata": map[string]any{
			"name":       a.Name,
			"namespace":  a.Namespace,
			"finalizers": []any{ArgoCDResourcesFinalizer},
		},
		"spec": spec,
	}}
	labels := map[string]string{}
	for k, v := range a.Labels {
		labels[k] = v
	}
	u.SetLabels(labels)
	return u
}

// ApplyApplication creates the application or brings its spec and labels to
// app. Argo CD writes the application too (its status, its operation), so an
// update that lost the race is made again on the latest version.
func ApplyApplication(ctx context.Context, dc dynamic.Interface, app Application) error {
	res := dc.Resource(ApplicationGVR).Namespace(app.Namespace)
	want := app.object()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(ctx, app.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if _, err := res.Create(ctx, want, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("cannot create application %q: %w", app.Name, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot get application %q: %w", app.Name, err)
		}
		cur.Object["spec"] = want.Object["spec"]
		cur.SetLabels(want.GetLabels())
		if _, err := res.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("cannot update application %q: %w", app.Name, err)
		}
		return nil
	})
}

// GetApplication reads the application's state; a missing application is
// reported with Exists false and no error.
func GetApplication(ctx context.Context, dc dynamic.Interface, namespace, name string) (ApplicationState, error) {
	u, err := dc.Resource(ApplicationGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ApplicationState{}, nil
	}
	if err != nil {
		return ApplicationState{}, fmt.Errorf("cannot get application %q: %w", name, err)
	}
	return applicationState(u), nil
}

func applicationState(u *unstructured.Unstructured) ApplicationState {
	str := func(fields ...string) string {
		s, _, _ := unstructured.NestedString(u.Object, fields...)
		return s
	}
	recurse, _, _ := unstructured.NestedBool(u.Object, "spec", "source", "directory", "recurse")
	_, automated, _ := unstructured.NestedMap(u.Object, "spec", "syncPolicy", "automated")
	st := ApplicationState{
		Exists:   true,
		Deleting: u.GetDeletionTimestamp() != nil,
		Spec: Application{
			Name: u.GetName(), Namespace: u.GetNamespace(), Labels: u.GetLabels(),
			Project:              str("spec", "project"),
			RepoURL:              str("spec", "source", "repoURL"),
			TargetRevision:       str("spec", "source", "targetRevision"),
			Path:                 str("spec", "source", "path"),
			Recurse:              recurse,
			DestinationName:      str("spec", "destination", "name"),
			DestinationNamespace: str("spec", "destination", "namespace"),
			Automated:            automated,
		},
		SyncStatus:     str("status", "sync", "status"),
		HealthStatus:   str("status", "health", "status"),
		Revision:       str("status", "sync", "revision"),
		OperationPhase: str("status", "operationState", "phase"),
		// Argo CD's messages quote the repository URL: redacted, since they
		// end up in conditions and events.
		OperationMessage: redact.Text(str("status", "operationState", "message")),
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		t, _ := m["type"].(string)
		msg, _ := m["message"].(string)
		msg = redact.Text(msg)
		st.Conditions = append(st.Conditions, t+": "+msg)
		if len(t) > 5 && t[len(t)-5:] == "Error" {
			st.ErrorConditions = append(st.ErrorConditions, t+": "+msg)
		}
	}
	return st
}

// DeleteApplication asks for the application's deletion (Argo CD then
// removes its resources); deleting a missing application succeeds.
func DeleteApplication(ctx context.Context, dc dynamic.Interface, namespace, name string) error {
	err := dc.Resource(ApplicationGVR).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete application %q: %w", name, err)
	}
	return nil
}

// Argo CD cluster Secrets.
//
// Argo CD finds the clusters it deploys to in declarative Secrets of its
// namespace labelled argocd.argoproj.io/secret-type=cluster, holding name
// (the cluster's Argo CD name, which Applications use as destination.name),
// server (the API server URL) and config (Argo CD's ClusterConfig JSON). The
// clusters mc_cluster makes and those mc_cluster_registration registers
// get Secrets of this one shape.

// Labels and keys of an Argo CD cluster Secret.
const (
	// LabelArgoCDSecretType is the label by which Argo CD finds its
	// declarative Secrets; cluster Secrets carry ArgoCDSecretTypeCluster.
	LabelArgoCDSecretType = "argocd.argoproj.io/secret-type"
	// ArgoCDSecretTypeCluster marks an Argo CD cluster Secret.
	ArgoCDSecretTypeCluster = "cluster"
	// ArgoCDClusterKeyName, ArgoCDClusterKeyServer and
	// ArgoCDClusterKeyConfig are the keys of an Argo CD cluster Secret.
	ArgoCDClusterKeyName   = "name"
	ArgoCDClusterKeyServer = "server"
	ArgoCDClusterKeyConfig = "config"
	// ArgoCDClusterKeyNamespaces is the optional key that restricts Argo CD
	// to some namespaces of the cluster (comma-separated).
	ArgoCDClusterKeyNamespaces = "namespaces"
)

// ArgoCDCluster is a cluster as an Argo CD cluster Secret registers it. It
// holds credentials: never log it.
type ArgoCDCluster struct {
	// Name is the cluster's Argo CD name.
	Name string
	// Server is the API server URL.
	Server string
	// BearerToken authenticates with a token; or CertData and KeyData
	// (PEM) with a client certificate.
	BearerToken       string
	CertData, KeyData []byte
	// CAData is the PEM CA bundle of Server; Insecure skips verification,
	// ServerName overrides the name verified.
	CAData     []byte
	Insecure   bool
	ServerName string
	// Namespaces restricts Argo CD to these namespaces; empty means all.
	Namespaces []string
}

// argoClusterConfig is the config key of an Argo CD cluster Secret: the
// fields of Argo CD's ClusterConfig this project writes. Byte fields are PEM
// and encode as base64, as Argo CD expects.
type argoClusterConfig struct {
	BearerToken     string              `json:"bearerToken,omitempty"`
	TLSClientConfig argoTLSClientConfig `json:"tlsClientConfig"`
}

type argoTLSClientConfig struct {
	Insecure   bool   `json:"insecure,omitempty"`
	ServerName string `json:"serverName,omitempty"`
	CAData     []byte `json:"caData,omitempty"`
	CertData   []byte `json:"certData,omitempty"`
	KeyData    []byte `json:"keyData,omitempty"`
}

// ArgoCDClusterSecret is the Argo CD cluster Secret name in namespace (Argo
// CD's) that registers c, with labels (LabelArgoCDSecretType is added).
func ArgoCDClusterSecret(name, namespace string, labels map[string]string, c ArgoCDCluster) (*corev1.Secret, error) {
	raw, err := json.Marshal(argoClusterConfig{
		BearerToken: c.BearerToken,
		TLSClientConfig: argoTLSClientConfig{
			Insecure: c.Insecure, ServerName: c.ServerName, CAData: c.CAData, CertData: c.CertData, KeyData: c.KeyData,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot encode the Argo CD cluster config of %q: %w", c.Name, err)
	}
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelArgoCDSecretType] = ArgoCDSecretTypeCluster
	data := map[string][]byte{
		ArgoCDClusterKeyName:   []byte(c.Name),
		ArgoCDClusterKeyServer: []byte(c.Server),
		ArgoCDClusterKeyConfig: raw,
	}
	if len(c.Namespaces) > 0 {
		data[ArgoCDClusterKeyNamespaces] = []byte(strings.Join(c.Namespaces, ","))
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: l},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}, nil
}

// ArgoCDClusterOf reads what an Argo CD cluster Secret registers, without
// its credentials (BearerToken, CertData and KeyData stay empty).
func ArgoCDClusterOf(sec *corev1.Secret) ArgoCDCluster {
	c := ArgoCDCluster{Name: string(sec.Data[ArgoCDClusterKeyName]), Server: string(sec.Data[ArgoCDClusterKeyServer])}
	if ns := string(sec.Data[ArgoCDClusterKeyNamespaces]); ns != "" {
		c.Namespaces = strings.Split(ns, ",")
	}
	var cfg argoClusterConfig
	if json.Unmarshal(sec.Data[ArgoCDClusterKeyConfig], &cfg) == nil {
		c.CAData, c.Insecure, c.ServerName = cfg.TLSClientConfig.CAData, cfg.TLSClientConfig.Insecure, cfg.TLSClientConfig.ServerName
	}
	return c
}

// IsArgoCDLabel reports whether label key belongs to Argo CD rather than to
// this project or the user: such labels of a cluster Secret are neither
// compared nor removed.
func IsArgoCDLabel(key string) bool {
	return key != LabelArgoCDSecretType && strings.Contains(key, "argoproj.io/")
}

// ArgoCDClusterSecretDrift names what of current, an Argo CD cluster Secret
// as it stands, differs from desired: "name", "server", "namespaces",
// "credentials" (the config) and "labels", in that order; nil when current
// is up to date. It never reports values, which hold credentials.
func ArgoCDClusterSecretDrift(current, desired *corev1.Secret) []string {
	var drift []string
	for _, key := range []string{ArgoCDClusterKeyName, ArgoCDClusterKeyServer, ArgoCDClusterKeyNamespaces} {
		if !bytes.Equal(current.Data[key], desired.Data[key]) {
			drift = append(drift, key)
		}
	}
	cur, errCur := decodeArgoClusterConfig(current.Data[ArgoCDClusterKeyConfig])
	want, errWant := decodeArgoClusterConfig(desired.Data[ArgoCDClusterKeyConfig])
	if errCur != nil || errWant != nil || !reflect.DeepEqual(cur, want) {
		drift = append(drift, "credentials")
	}
	labelsDrift := false
	for k, v := range desired.Labels {
		if got, ok := current.Labels[k]; !ok || got != v {
			labelsDrift = true
		}
	}
	for k := range current.Labels {
		if _, ok := desired.Labels[k]; !ok && !IsArgoCDLabel(k) {
			labelsDrift = true
		}
	}
	if labelsDrift {
		drift = append(drift, "labels")
	}
	return drift
}

// decodeArgoClusterConfig decodes a config key strictly: fields this project
// does not write (another way to authenticate) make it differ.
func decodeArgoClusterConfig(raw []byte) (argoClusterConfig, error) {
	var cfg argoClusterConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&cfg)
	return cfg, err
}

// UpdatedArgoCDClusterSecret returns current brought to desired: desired's
// data and labels, keeping Argo CD's own labels of current.
func UpdatedArgoCDClusterSecret(current, desired *corev1.Secret) *corev1.Secret {
	out := current.DeepCopy()
	labels := maps.Clone(desired.Labels)
	for k, v := range current.Labels {
		if IsArgoCDLabel(k) {
			labels[k] = v
		}
	}
	out.Labels, out.Data, out.StringData = labels, desired.Data, nil
	return out
}

// ArgoCDClusterNameClaimants lists, sorted, the other cluster Secrets of the
// Argo CD in namespace (all but the Secret named except) whose cluster name
// is argoName: Argo CD cluster names must be unique.
func ArgoCDClusterNameClaimants(ctx context.Context, core kubernetes.Interface, namespace, except, argoName string) ([]string, error) {
	list, err := core.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelArgoCDSecretType + "=" + ArgoCDSecretTypeCluster})
	if err != nil {
		return nil, fmt.Errorf("cannot list the Argo CD cluster Secrets in namespace %q: %w", namespace, err)
	}
	var claimants []string
	for _, s := range list.Items {
		if s.Name != except && string(s.Data[ArgoCDClusterKeyName]) == argoName {
			claimants = append(claimants, s.Name)
		}
	}
	slices.Sort(claimants)
	return claimants, nil
}

// ArgoCDClusterToken returns the bearer token an Argo CD cluster Secret
// holds; empty when it holds none. It is a credential: never log it.
func ArgoCDClusterToken(sec *corev1.Secret) string {
	var cfg argoClusterConfig
	if json.Unmarshal(sec.Data[ArgoCDClusterKeyConfig], &cfg) != nil {
		return ""
	}
	return cfg.BearerToken
}
