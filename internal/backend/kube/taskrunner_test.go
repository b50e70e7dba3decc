package kube

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
)

func TestTaskRunnerFromLease(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	lease := func(holder string, renewedAgo time.Duration, annotations map[string]string) *coordinationv1.Lease {
		l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "mc-taskrunner-site-b", Annotations: annotations}}
		l.Spec.LeaseDurationSeconds = ptr.To[int32](15)
		if holder != "" {
			l.Spec.HolderIdentity = ptr.To(holder)
		}
		l.Spec.RenewTime = &metav1.MicroTime{Time: now.Add(-renewedAgo)}
		return l
	}
	for _, tc := range []struct {
		name  string
		lease *coordinationv1.Lease
		want  TaskRunnerInfo
	}{
		{
			name: "renewed recently",
			lease: lease("runner-1", 5*time.Second, map[string]string{
				tasksv1alpha1.AnnotationExecutors: "local, kubernetes_job", tasksv1alpha1.AnnotationVersion: "v0.5.0",
			}),
			want: TaskRunnerInfo{Available: true, Identity: "runner-1", Executors: []string{"kubernetes_job", "local"}, Version: "v0.5.0", RenewTime: now.Add(-5 * time.Second)},
		},
		{
			name:  "expired",
			lease: lease("runner-1", 16*time.Second, nil),
			want:  TaskRunnerInfo{Identity: "runner-1", RenewTime: now.Add(-16 * time.Second)},
		},
		{
			name:  "released: no holder",
			lease: lease("", time.Second, nil),
			want:  TaskRunnerInfo{RenewTime: now.Add(-time.Second)},
		},
		{
			name:  "never renewed",
			lease: &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("runner-1")}},
			want:  TaskRunnerInfo{Identity: "runner-1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, TaskRunnerFromLease(tc.lease, now), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("TaskRunnerFromLease() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListTaskRunnersKeysBySite(t *testing.T) {
	renewed := metav1.NewMicroTime(time.Now())
	cs := fake.NewClientset(
		&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "mc-tasks", Name: "mc-taskrunner-site-b"},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("r"), LeaseDurationSeconds: ptr.To[int32](15), RenewTime: &renewed}},
		&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "mc-tasks", Name: "something-else"}},
	)
	got, err := ListTaskRunners(context.Background(), cs, "mc-tasks")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got["site-b"].Available {
		t.Errorf("ListTaskRunners() = %+v, want site-b available only", got)
	}
	one, err := GetTaskRunner(context.Background(), cs, "mc-tasks", "site-a")
	if err != nil || one.Available || one.Identity != "" {
		t.Errorf("GetTaskRunner(site-a) = %+v, %v, want no runner", one, err)
	}
}
