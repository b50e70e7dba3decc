package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestApplicationStateRedactsArgoCDMessages(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "root", "namespace": "argocd"},
		"status": map[string]any{
			"operationState": map[string]any{"phase": "Failed", "message": "cannot fetch https://bob:op-secret@git.example/r.git"},
			"conditions": []any{
				map[string]any{"type": "ComparisonError", "message": "repository https://git.example/r.git?private_token=cond-secret not accessible"},
			},
		},
	}}
	st := applicationState(u)
	want := ApplicationState{
		OperationMessage: "cannot fetch https://bob:REDACTED@git.example/r.git",
		Conditions:       []string{"ComparisonError: repository https://git.example/r.git?private_token=REDACTED not accessible"},
		ErrorConditions:  []string{"ComparisonError: repository https://git.example/r.git?private_token=REDACTED not accessible"},
	}
	got := ApplicationState{OperationMessage: st.OperationMessage, Conditions: st.Conditions, ErrorConditions: st.ErrorConditions}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("applicationState() messages (-want +got):\n%s", diff)
	}
}
