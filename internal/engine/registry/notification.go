package registry

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// The notification channel record.
//
// mc_notification_channel (and the NotificationChannel kind) stores each
// channel as a Secret named NotificationChannelSecretName(name) in the
// registry namespace, labelled LabelRecord=notification-channel and
// LabelNotificationChannel=<name>. Its data is the channel in the one shape
// internal/notify reads and writes (notify.SecretData); its annotations are
// the engine's own bookkeeping, such as the versions of write-only values.

// LabelNotificationChannel carries a notification channel's name on its record.
const LabelNotificationChannel = "mc.mcplatform.dev/notification-channel"

// recordNotificationChannel is the LabelRecord value of a channel's record.
const recordNotificationChannel = "notification-channel"

// NotificationChannelSecretName is the name of the Secret holding channel
// name: mc-notify-<name>.
func NotificationChannelSecretName(name string) string { return "mc-notify-" + name }

// NotificationChannel is a channel's record.
type NotificationChannel struct {
	// Name is the channel's name.
	Name string
	// Data is the Secret's data (notify.SecretData).
	Data map[string][]byte
	// Annotations are the engine's bookkeeping.
	Annotations map[string]string
}

// LookupNotificationChannel reads channel name's record; the error wraps
// engine.ErrNotFound when there is none, or when the Secret of that name is
// not a channel's record.
func (r *Registry) LookupNotificationChannel(ctx context.Context, name string) (*NotificationChannel, error) {
	cs, err := r.platformClient()
	if err != nil {
		return nil, err
	}
	sec, err := r.getRecord(ctx, cs, NotificationChannelSecretName(name))
	if apierrors.IsNotFound(err) || err == nil && !isNotificationChannel(sec, name) {
		return nil, fmt.Errorf("notification channel %q: %w in namespace %q", name, engine.ErrNotFound, r.namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get notification channel %q: %w", name, err)
	}
	return &NotificationChannel{Name: name, Data: sec.Data, Annotations: sec.Annotations}, nil
}

// PutNotificationChannel writes ch as its channel's record, creating or
// replacing it. A Secret of that name that is not a channel's record is
// left alone and reported.
func (r *Registry) PutNotificationChannel(ctx context.Context, ch NotificationChannel) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	desired := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      NotificationChannelSecretName(ch.Name),
			Namespace: r.namespace,
			Labels: map[string]string{
				LabelNotificationChannel: ch.Name, LabelRecord: recordNotificationChannel, LabelManagedBy: ManagedBy,
			},
			Annotations: maps.Clone(ch.Annotations),
		},
		Type: corev1.SecretTypeOpaque,
		Data: ch.Data,
	}
	secrets := cs.CoreV1().Secrets(r.namespace)
	r.wroteRecord(desired.Name)
	existing, err := secrets.Get(ctx, desired.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := secrets.Create(ctx, desired, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("cannot create the Secret of notification channel %q: %w", ch.Name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("cannot get the Secret of notification channel %q: %w", ch.Name, err)
	case !isNotificationChannel(existing, ch.Name):
		return engine.InvalidInput("name", "cannot store notification channel %q: Secret %s/%s exists and is not its record", ch.Name, r.namespace, desired.Name)
	}
	existing.Labels, existing.Annotations, existing.Data = desired.Labels, desired.Annotations, desired.Data
	if _, err := secrets.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("cannot update the Secret of notification channel %q: %w", ch.Name, err)
	}
	return nil
}

// DeleteNotificationChannel deletes channel name's record; deleting a
// missing record succeeds, and a Secret of that name that is not a
// channel's record is left alone.
func (r *Registry) DeleteNotificationChannel(ctx context.Context, name string) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	secrets := cs.CoreV1().Secrets(r.namespace)
	sec, err := secrets.Get(ctx, NotificationChannelSecretName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot get the Secret of notification channel %q: %w", name, err)
	}
	if !isNotificationChannel(sec, name) {
		return nil
	}
	r.wroteRecord(sec.Name)
	err = secrets.Delete(ctx, sec.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &sec.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete the Secret of notification channel %q: %w", name, err)
	}
	return nil
}

func isNotificationChannel(sec *corev1.Secret, name string) bool {
	return sec.Labels[LabelRecord] == recordNotificationChannel && sec.Labels[LabelNotificationChannel] == name
}
