package kube

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

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
			"automated":   map[string]any{"prune": true, "selfHeal": true},
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

// ApplyApplication creates the application or brings its spec and labels to app.
func ApplyApplication(ctx context.Context, dc dynamic.Interface, app Application) error {
	res := dc.Resource(ApplicationGVR).Namespace(app.Namespace)
	want := app.object()
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
