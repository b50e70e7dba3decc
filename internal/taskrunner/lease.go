package taskrunner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
)

// Lease timing: the holder renews every LeaseRenewInterval; a Lease not
// renewed for LeaseDuration is free (and the site has no runner).
const (
	LeaseDuration      = 15 * time.Second
	LeaseRenewInterval = 5 * time.Second
)

// Lease keeps the site's Lease (tasksv1.LeaseNamePrefix+site) held by
// Identity while it runs, with the runner's executors and version in its
// annotations, and tells OnLeader whether it holds it.
type Lease struct {
	// Client reads and writes the Lease (uncached).
	Client client.Client
	// Namespace and Site name the Lease.
	Namespace, Site string
	// Identity is the holder identity.
	Identity string
	// Executors and Version go into the Lease's annotations.
	Executors []string
	Version   string
	// OnLeader is told after every attempt whether the Lease is held.
	OnLeader func(bool)
	// Log is the logger.
	Log logr.Logger
	// Duration and RenewInterval default to LeaseDuration and
	// LeaseRenewInterval.
	Duration, RenewInterval time.Duration
}

// Name is the Lease's name.
func (l *Lease) Name() string { return tasksv1.LeaseNamePrefix + l.Site }

// Run holds the Lease until ctx ends, then gives it up (renewTime cleared
// so that the site shows no runner at once).
func (l *Lease) Run(ctx context.Context) {
	interval := l.RenewInterval
	if interval <= 0 {
		interval = LeaseRenewInterval
	}
	held := false
	for {
		ok, err := l.TryHold(ctx)
		if err != nil && ctx.Err() == nil {
			l.Log.Error(err, "cannot hold the site's Lease", "lease", l.Name())
		}
		if ok != held {
			l.Log.Info("site's Lease", "lease", l.Name(), "held", ok)
			held = ok
		}
		if l.OnLeader != nil {
			l.OnLeader(ok)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			if l.OnLeader != nil {
				l.OnLeader(false)
			}
			if held {
				rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				l.Release(rctx)
				cancel()
			}
			return
		case <-t.C:
		}
	}
}

func (l *Lease) duration() time.Duration {
	if l.Duration > 0 {
		return l.Duration
	}
	return LeaseDuration
}

// TryHold takes or renews the Lease once. It reports whether this runner
// holds it: a Lease held by another identity and renewed within its
// duration is left alone.
func (l *Lease) TryHold(ctx context.Context) (bool, error) {
	now := metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{}
	err := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name()}, lease)
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: l.Namespace, Name: l.Name()}}
		l.fill(lease, now, true)
		if err := l.Client.Create(ctx, lease); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return false, nil
			}
			return false, fmt.Errorf("cannot create Lease %s/%s: %w", l.Namespace, l.Name(), err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot read Lease %s/%s: %w", l.Namespace, l.Name(), err)
	}
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	mine := holder == l.Identity
	if !mine && holder != "" && lease.Spec.RenewTime != nil {
		dur := time.Duration(ptr.Deref(lease.Spec.LeaseDurationSeconds, int32(l.duration()/time.Second))) * time.Second
		if lease.Spec.RenewTime.Add(dur).After(now.Time) {
			return false, nil
		}
	}
	l.fill(lease, now, !mine)
	if err := l.Client.Update(ctx, lease); err != nil {
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return false, fmt.Errorf("cannot renew Lease %s/%s: %w", l.Namespace, l.Name(), err)
	}
	return true, nil
}

// fill makes lease held by this runner at now; acquired marks a new holder.
func (l *Lease) fill(lease *coordinationv1.Lease, now metav1.MicroTime, acquired bool) {
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[tasksv1.AnnotationExecutors] = strings.Join(l.Executors, ",")
	lease.Annotations[tasksv1.AnnotationVersion] = l.Version
	if lease.Labels == nil {
		lease.Labels = map[string]string{}
	}
	lease.Labels[tasksv1.LabelSite] = l.Site
	lease.Spec.HolderIdentity = ptr.To(l.Identity)
	lease.Spec.LeaseDurationSeconds = ptr.To(int32(l.duration() / time.Second))
	lease.Spec.RenewTime = &now
	if acquired {
		lease.Spec.AcquireTime = &now
		lease.Spec.LeaseTransitions = ptr.To(ptr.Deref(lease.Spec.LeaseTransitions, 0) + 1)
	}
}

// Release gives the Lease up when this runner holds it.
func (l *Lease) Release(ctx context.Context) {
	lease := &coordinationv1.Lease{}
	if err := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name()}, lease); err != nil {
		return
	}
	if ptr.Deref(lease.Spec.HolderIdentity, "") != l.Identity {
		return
	}
	lease.Spec.HolderIdentity, lease.Spec.RenewTime = nil, nil
	if err := l.Client.Update(ctx, lease); err != nil {
		l.Log.Error(err, "cannot release the site's Lease", "lease", l.Name())
	}
}
