package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NotificationChannelParameters is the desired notification channel. The
// channel's name, which other kinds' notify lists use, is the managed
// resource's metadata.name.
type NotificationChannelParameters struct {
	// Type is webhook (a JSON notice, signed with HMAC-SHA256 when an HMAC
	// secret is set) or slack (a Slack-compatible {text, blocks} message).
	// +kubebuilder:validation:Enum=webhook;slack
	Type string `json:"type"`

	// URLSecretRef selects the Secret key holding the URL notices are
	// posted to. Webhook URLs carry their own credentials, so the URL is a
	// secret. A change of it is written at once.
	URLSecretRef SecretKeySelector `json:"urlSecretRef"`

	// HMACSecretRef selects the Secret key holding the key of the
	// HMAC-SHA256 signature of each body (header X-MC-Signature); omitted
	// means unsigned notices.
	// +optional
	HMACSecretRef *SecretKeySelector `json:"hmacSecretRef,omitempty"`

	// Events are the events the channel receives: run_started,
	// run_succeeded, run_failed, run_timed_out (CI runs), sync_succeeded,
	// sync_failed (GitOps deployments); omitted means all of them.
	// +optional
	// +listType=set
	// +kubebuilder:validation:items:Enum=run_started;run_succeeded;run_failed;run_timed_out;sync_succeeded;sync_failed
	Events []string `json:"events,omitempty"`
}

// NotificationChannelObservation is what the controller observed of the
// channel.
type NotificationChannelObservation struct {
	// Secret is the Secret holding the channel, "<namespace>/<name>", on
	// the platform plane.
	// +optional
	Secret string `json:"secret,omitempty"`
	// Signed reports whether the channel has an HMAC secret.
	// +optional
	Signed bool `json:"signed,omitempty"`
}

// NotificationChannelSpec is the desired state of a NotificationChannel.
type NotificationChannelSpec struct {
	ResourceSpec `json:",inline"`

	// ForProvider is the desired channel.
	ForProvider NotificationChannelParameters `json:"forProvider"`
}

// NotificationChannelStatus is the observed state of a NotificationChannel.
type NotificationChannelStatus struct {
	ResourceStatus `json:",inline"`

	// AtProvider is what the controller observed of the channel.
	// +optional
	AtProvider NotificationChannelObservation `json:"atProvider,omitempty"`
}

// NotificationChannel is where lifecycle notices of other kinds go (a CI
// run's run_* events, sent by the task runner; an ApplicationDeployment's or
// HelmRelease's sync_succeeded and sync_failed): a webhook or a Slack
// incoming webhook, stored as the Secret mc-notify-<name> in the registry
// namespace. Its external name is metadata.name.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={mc,managed}
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="TYPE",type="string",JSONPath=".spec.forProvider.type"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.mc\\.mcplatform\\.dev/external-name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name is the channel's name: a DNS-1123 label",fieldPath=".metadata"
type NotificationChannel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the NotificationChannel.
	Spec NotificationChannelSpec `json:"spec"`
	// Status is the observed state of the NotificationChannel.
	// +optional
	Status NotificationChannelStatus `json:"status,omitempty"`
}

// NotificationChannelList is a list of NotificationChannels.
// +kubebuilder:object:root=true
type NotificationChannelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the NotificationChannels.
	Items []NotificationChannel `json:"items"`
}

func init() {
	SchemeBuilder.Register(&NotificationChannel{}, &NotificationChannelList{})
}

// GetResourceSpec returns the fields common to every managed resource's spec.
func (r *NotificationChannel) GetResourceSpec() *ResourceSpec { return &r.Spec.ResourceSpec }

// GetResourceStatus returns the fields common to every managed resource's
// status.
func (r *NotificationChannel) GetResourceStatus() *ResourceStatus { return &r.Status.ResourceStatus }
