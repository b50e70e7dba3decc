package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// NotificationChannelEngineFactory builds the notification channel engine
// client that stores channels in the registry reg.
type NotificationChannelEngineFactory func(reg *registry.Registry) engine.Client[notificationchannel.Spec, notificationchannel.Status]

// NewNotificationChannelEngine is the NotificationChannelEngineFactory of
// the real engine.
func NewNotificationChannelEngine(reg *registry.Registry) engine.Client[notificationchannel.Spec, notificationchannel.Status] {
	return notificationchannel.New(reg)
}

// RBAC of the NotificationChannel controller. The engine writes the
// channel's Secret in the registry namespace; Secrets, events and leases are
// granted with the Site controller.
//
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=notificationchannels,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mc.mcplatform.dev,resources=notificationchannels/status,verbs=get;update;patch

// SetupNotificationChannel registers the NotificationChannel controller with mgr.
func SetupNotificationChannel(mgr ctrl.Manager, o Options) error {
	adapter := NewNotificationChannelAdapter(resolverOf(mgr), mgr.GetAPIReader(), NewNotificationChannelEngine)
	r := NewReconciler(mgr.GetClient(), func() Managed { return &v1alpha1.NotificationChannel{} },
		Adapter[notificationchannel.Spec, notificationchannel.Status](adapter), o.reconcilerOptions(mgr, "notificationchannel")...)
	return setupManaged(mgr, "notificationchannel", r, func() client.ObjectList { return &v1alpha1.NotificationChannelList{} }, o)
}

// NotificationChannelAdapter connects NotificationChannel managed resources
// to the notification channel engine. External names are the channel's
// name; the URL and HMAC secret come from the Secrets
// spec.forProvider.urlSecretRef and hmacSecretRef select, whose changes are
// reconciled at once.
type NotificationChannelAdapter struct {
	secrets client.Reader
	engines *engineCache[engine.Client[notificationchannel.Spec, notificationchannel.Status]]
}

var (
	_ Adapter[notificationchannel.Spec, notificationchannel.Status] = (*NotificationChannelAdapter)(nil)
	_ FieldPathTranslator                                           = (*NotificationChannelAdapter)(nil)
	_ SecretReferencer                                              = (*NotificationChannelAdapter)(nil)
)

// NewNotificationChannelAdapter returns a NotificationChannelAdapter that
// resolves ProviderConfigs with providerConfigs, reads the referenced
// Secrets with secrets (an uncached reader) and builds engine clients with
// newEngine.
func NewNotificationChannelAdapter(providerConfigs ProviderConfigResolver, secrets client.Reader, newEngine NotificationChannelEngineFactory) *NotificationChannelAdapter {
	return &NotificationChannelAdapter{secrets: secrets, engines: newEngineCache(providerConfigs, newEngine)}
}

func asNotificationChannel(mg Managed) (*v1alpha1.NotificationChannel, error) {
	r, ok := mg.(*v1alpha1.NotificationChannel)
	if !ok {
		return nil, fmt.Errorf("managed resource %q is a %T, not a NotificationChannel", mg.GetName(), mg)
	}
	return r, nil
}

// Connect returns the engine client of the ProviderConfig the
// NotificationChannel references.
func (a *NotificationChannelAdapter) Connect(ctx context.Context, mg Managed) (engine.Client[notificationchannel.Spec, notificationchannel.Status], error) {
	if _, err := asNotificationChannel(mg); err != nil {
		return nil, err
	}
	return a.engines.get(ctx, mg)
}

// ReferencedSecrets returns the URL Secret and, when set, the HMAC Secret.
func (a *NotificationChannelAdapter) ReferencedSecrets(mg Managed) []types.NamespacedName {
	r, err := asNotificationChannel(mg)
	if err != nil {
		return nil
	}
	p := r.Spec.ForProvider
	out := []types.NamespacedName{{Namespace: p.URLSecretRef.Namespace, Name: p.URLSecretRef.Name}}
	if p.HMACSecretRef != nil {
		out = append(out, types.NamespacedName{Namespace: p.HMACSecretRef.Namespace, Name: p.HMACSecretRef.Name})
	}
	return out
}

// DesiredSpec builds the engine spec from spec.forProvider, with the URL
// and HMAC secret read from the referenced Secrets and versioned with
// SecretVersion.
func (a *NotificationChannelAdapter) DesiredSpec(ctx context.Context, mg Managed) (notificationchannel.Spec, error) {
	r, err := asNotificationChannel(mg)
	if err != nil {
		return notificationchannel.Spec{}, err
	}
	p := r.Spec.ForProvider
	url, err := secretValue(ctx, a.secrets, p.URLSecretRef)
	if err != nil {
		return notificationchannel.Spec{}, fmt.Errorf("urlSecretRef: %w", err)
	}
	s := notificationchannel.Spec{
		Name: r.GetName(), Type: p.Type, URL: url, URLVersion: SecretVersion(url), Events: slices.Clone(p.Events),
	}
	if p.HMACSecretRef != nil {
		key, err := secretValue(ctx, a.secrets, *p.HMACSecretRef)
		if err != nil {
			return notificationchannel.Spec{}, fmt.Errorf("hmacSecretRef: %w", err)
		}
		s.HMACSecret, s.HMACSecretVersion = key, SecretVersion(key)
	}
	return s, nil
}

// SetObservation writes the engine's status into status.atProvider.
func (a *NotificationChannelAdapter) SetObservation(mg Managed, observed notificationchannel.Status) {
	r, err := asNotificationChannel(mg)
	if err != nil {
		return
	}
	at := v1alpha1.NotificationChannelObservation{Signed: observed.Signed}
	if observed.SecretName != "" {
		at.Secret = observed.SecretNamespace + "/" + observed.SecretName
	}
	r.Status.AtProvider = at
}

// LateInitialize fills nothing: omitted events mean all of them, and the
// engine compares them so.
func (a *NotificationChannelAdapter) LateInitialize(Managed, notificationchannel.Spec) bool {
	return false
}

// notificationChannelFieldPaths maps the engine's argument paths to
// NotificationChannel field paths where the names differ beyond snake_case
// to lowerCamelCase under spec.forProvider.
var notificationChannelFieldPaths = map[string]string{
	"name":                "metadata.name",
	"id":                  "metadata.name",
	"url":                 "spec.forProvider.urlSecretRef",
	"url_version":         "spec.forProvider.urlSecretRef",
	"hmac_secret":         "spec.forProvider.hmacSecretRef",
	"hmac_secret_version": "spec.forProvider.hmacSecretRef",
}

// FieldPath returns the NotificationChannel field path of an engine
// argument path, for example spec.forProvider.events for events.
func (a *NotificationChannelAdapter) FieldPath(enginePath string) string {
	if path, ok := notificationChannelFieldPaths[enginePath]; ok {
		return path
	}
	segments := strings.Split(enginePath, ".")
	for i, segment := range segments {
		segments[i] = lowerCamel(segment)
	}
	return "spec.forProvider." + strings.Join(segments, ".")
}
