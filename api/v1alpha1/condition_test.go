package v1alpha1

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSetConditionsKeepsTransitionTimeWhileStatusHolds(t *testing.T) {
	earlier := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := ResourceStatus{Conditions: []Condition{
		{Type: TypeReady, Status: corev1.ConditionFalse, Reason: ReasonCreating, LastTransitionTime: earlier},
		{Type: TypeSynced, Status: corev1.ConditionTrue, Reason: ReasonReconcileSuccess, LastTransitionTime: earlier},
	}}
	s.SetConditions(Creating("root application is Progressing"), ReconcileError(errTest("boom")))

	ready, synced := s.GetCondition(TypeReady), s.GetCondition(TypeSynced)
	if !ready.LastTransitionTime.Equal(&earlier) {
		t.Errorf("Ready stayed False but its lastTransitionTime moved to %v", ready.LastTransitionTime)
	}
	if ready.Message != "root application is Progressing" {
		t.Errorf("Ready message = %q", ready.Message)
	}
	if synced.LastTransitionTime.Equal(&earlier) || synced.Message != "boom" || synced.Reason != ReasonReconcileError {
		t.Errorf("Synced = %+v, want a new False/ReconcileError condition with message boom", synced)
	}
	if len(s.Conditions) != 2 {
		t.Errorf("got %d conditions, want 2", len(s.Conditions))
	}
	if got := (&ResourceStatus{}).GetCondition(TypeReady); got.Status != corev1.ConditionUnknown {
		t.Errorf("a missing condition has status %s, want Unknown", got.Status)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestManagementPoliciesAllows(t *testing.T) {
	actions := []ManagementAction{ManagementActionObserve, ManagementActionCreate, ManagementActionUpdate, ManagementActionDelete, ManagementActionLateInitialize}
	cases := map[string]struct {
		policies ManagementPolicies
		want     []bool
	}{
		"default (empty) allows all": {nil, []bool{true, true, true, true, true}},
		"* allows all":               {ManagementPolicies{ManagementActionAll}, []bool{true, true, true, true, true}},
		"Observe only":               {ManagementPolicies{ManagementActionObserve}, []bool{true, false, false, false, false}},
		"all but Delete": {ManagementPolicies{ManagementActionObserve, ManagementActionCreate, ManagementActionUpdate, ManagementActionLateInitialize},
			[]bool{true, true, true, false, true}},
	}
	for name, tc := range cases {
		var got []bool
		for _, a := range actions {
			got = append(got, tc.policies.Allows(a))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Allows(%v) (-want +got):\n%s", name, actions, diff)
		}
	}
}

func TestDependencyUnavailableReplacesSynced(t *testing.T) {
	s := ResourceStatus{}
	s.SetConditions(ReconcileSuccess())
	s.SetConditions(DependencyUnavailable(errTest(`site "edge-1" is not registered in namespace mc-system`)))

	got := s.GetCondition(TypeSynced)
	got.LastTransitionTime = metav1.Time{}
	want := Condition{Type: TypeSynced, Status: corev1.ConditionFalse, Reason: ReasonDependencyUnavailable,
		Message: `site "edge-1" is not registered in namespace mc-system`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Synced (-want +got):\n%s", diff)
	}
}
