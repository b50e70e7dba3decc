package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
)

// TaskRunnerInfo is what a site's task runner (mc-taskrunner) publishes in
// its Lease.
type TaskRunnerInfo struct {
	// Available is true while the runner renews its Lease: the last
	// renewal is younger than the Lease's duration.
	Available bool
	// Identity is the Lease's holder, the runner's identity.
	Identity string
	// Executors are the executors the runner offers (local,
	// kubernetes_job), sorted.
	Executors []string
	// Version is the runner's version.
	Version string
	// RenewTime is the Lease's last renewal; zero without a Lease.
	RenewTime time.Time
}

// TaskRunnerLeaseName is the name of the Lease site's runner holds.
func TaskRunnerLeaseName(site string) string { return tasksv1alpha1.LeaseNamePrefix + site }

// GetTaskRunner reads the Lease of site's task runner in namespace. A site
// without a Lease has no runner: the zero TaskRunnerInfo and no error.
func GetTaskRunner(ctx context.Context, cs kubernetes.Interface, namespace, site string) (TaskRunnerInfo, error) {
	l, err := cs.CoordinationV1().Leases(namespace).Get(ctx, TaskRunnerLeaseName(site), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return TaskRunnerInfo{}, nil
	}
	if err != nil {
		return TaskRunnerInfo{}, fmt.Errorf("cannot get the task runner's lease %s/%s: %w", namespace, TaskRunnerLeaseName(site), err)
	}
	return TaskRunnerFromLease(l, time.Now()), nil
}

// ListTaskRunners reads every runner Lease in namespace at once, keyed by
// site. A namespace that does not exist (or a cluster without Leases)
// serves no runner: an empty map and no error.
func ListTaskRunners(ctx context.Context, cs kubernetes.Interface, namespace string) (map[string]TaskRunnerInfo, error) {
	l, err := cs.CoordinationV1().Leases(namespace).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]TaskRunnerInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list the task runners' leases in namespace %q: %w", namespace, err)
	}
	now := time.Now()
	out := make(map[string]TaskRunnerInfo, len(l.Items))
	for i := range l.Items {
		site, ok := strings.CutPrefix(l.Items[i].Name, tasksv1alpha1.LeaseNamePrefix)
		if ok && site != "" {
			out[site] = TaskRunnerFromLease(&l.Items[i], now)
		}
	}
	return out, nil
}

// TaskRunnerFromLease reads a runner's Lease as of now.
func TaskRunnerFromLease(l *coordinationv1.Lease, now time.Time) TaskRunnerInfo {
	var info TaskRunnerInfo
	if l.Spec.HolderIdentity != nil {
		info.Identity = *l.Spec.HolderIdentity
	}
	if l.Spec.RenewTime != nil {
		info.RenewTime = l.Spec.RenewTime.Time
	}
	if l.Spec.LeaseDurationSeconds != nil && l.Spec.RenewTime != nil && info.Identity != "" {
		expiry := l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
		info.Available = now.Before(expiry)
	}
	for _, e := range strings.Split(l.Annotations[tasksv1alpha1.AnnotationExecutors], ",") {
		if e = strings.TrimSpace(e); e != "" {
			info.Executors = append(info.Executors, e)
		}
	}
	sort.Strings(info.Executors)
	info.Version = l.Annotations[tasksv1alpha1.AnnotationVersion]
	return info
}
