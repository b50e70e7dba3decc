package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Progress says how the Application u (nil when it does not exist) stands
// against app, the Application as committed: Ready once its spec holds
// exactly app's chart and values, Argo CD compared that, and it is Synced
// and Healthy with no sync running; failed (a *engine.TerminalError with
// Argo CD's message) when Argo CD cannot render the chart or the sync of
// that chart ended Failed after its retries.
func Progress(u *unstructured.Unstructured, app Application) (ready bool, failed error, message string) {
	if u == nil {
		return false, nil, "the Application " + app.Name + " does not exist yet"
	}
	st := kube.ApplicationSyncOf(u)
	want := app.SourceObject()
	spec, _, _ := unstructured.NestedMap(u.Object, "spec", "source")
	if !sameObject(spec, want) {
		return false, nil, "the Application " + app.Name + " does not hold the committed chart yet"
	}
	compared, _, _ := unstructured.NestedMap(u.Object, "status", "sync", "comparedTo", "source")
	dest, _, _ := unstructured.NestedMap(u.Object, "status", "sync", "comparedTo", "destination")
	if !sameObject(compared, want) || dest["name"] != app.Cluster || dest["namespace"] != app.TargetNamespace {
		return false, nil, "Argo CD has not compared the committed chart yet"
	}
	name := u.GetNamespace() + "/" + u.GetName()
	if st.ComparisonError != "" {
		return false, engine.Terminal("Argo CD cannot render the chart of application %s: %s", name, st.ComparisonError), st.ComparisonError
	}
	if op := st.Operation; op != nil && op.Final() && op.Phase != kube.OperationSucceeded && operationOf(u, want) {
		msg := op.Message
		if len(op.FailedResources) > 0 {
			msg += ": " + strings.Join(op.FailedResources, "; ")
		}
		return false, engine.Terminal("the sync of application %s ended %s after %d retries: %s", name, op.Phase, op.RetryCount, msg), msg
	}
	if st.OperationRequested || (st.Operation != nil && !st.Operation.Final()) {
		return false, nil, "Argo CD is syncing the chart"
	}
	if st.SyncStatus != "Synced" || st.HealthStatus != "Healthy" {
		msg := fmt.Sprintf("sync %s, health %s", st.SyncStatus, st.HealthStatus)
		if st.HealthMessage != "" {
			msg += ": " + st.HealthMessage
		}
		return false, nil, msg
	}
	return true, nil, fmt.Sprintf("Synced and Healthy at %s", st.SyncRevision)
}

// operationOf reports whether the application's last operation synced the
// source want (and not an older one).
func operationOf(u *unstructured.Unstructured, want map[string]any) bool {
	src, ok, _ := unstructured.NestedMap(u.Object, "status", "operationState", "syncResult", "source")
	if !ok {
		src, ok, _ = unstructured.NestedMap(u.Object, "status", "operationState", "operation", "sync", "source")
	}
	return !ok || sameObject(src, want)
}

// sameObject compares two JSON-like objects as JSON.
func sameObject(a, b map[string]any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var na, nb any
	_ = json.Unmarshal(ja, &na)
	_ = json.Unmarshal(jb, &nb)
	return reflect.DeepEqual(na, nb)
}

// GetApplication reads an Argo CD Application; nil when it does not exist.
func GetApplication(ctx context.Context, dc dynamic.Interface, ns, name string) (*unstructured.Unstructured, error) {
	u, err := dc.Resource(kube.ApplicationGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get application %s/%s: %w", ns, name, err)
	}
	return u, nil
}
