// Package notificationchannel implements the engine client of notification
// channels: where lifecycle notices of other kinds go (a CI run's
// run_started ... run_timed_out, a GitOps deployment's sync_succeeded and
// sync_failed). A channel is a webhook, whose JSON body is signed with
// HMAC-SHA256, or a Slack-compatible incoming webhook; internal/notify
// delivers to it.
//
// A channel is stored as a Secret, mc-notify-<name>, in the registry
// namespace of the platform plane, in the one shape internal/notify reads
// (notify.SecretData). Its URL and HMAC secret are secrets: they are
// write-only, never reported back by Observe; their versions, kept in
// annotations of the Secret, tell when they changed. Other kinds find a
// channel with Lookup.
package notificationchannel

import (
	"fmt"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// Spec is the desired channel, shared by both front-ends.
type Spec struct {
	// Name is the channel's name, a DNS-1123 label; it is also the id.
	Name string
	// Type is notify.TypeWebhook or notify.TypeSlack.
	Type string
	// URL is the receiver's URL. It is write-only: Observe never reports
	// it, and an Update with an empty URL keeps the stored one.
	URL string
	// URLVersion changes whenever URL does.
	URLVersion int64
	// HMACSecret signs each webhook body. It is write-only: Observe never
	// reports it. An Update with an empty HMACSecret keeps the stored one
	// while HMACSecretVersion is above zero, and removes it at zero.
	HMACSecret string
	// HMACSecretVersion changes whenever HMACSecret does.
	HMACSecretVersion int64
	// Events are the events the channel receives; empty means all of them
	// (notify.Events). Observe reports them sorted as notify.Events lists
	// them.
	Events []string
}

// Status is what the engine reports of a channel.
type Status struct {
	// SecretNamespace and SecretName locate the channel's Secret on the
	// platform plane.
	SecretNamespace string
	SecretName      string
	// Signed reports whether the channel has an HMAC secret.
	Signed bool
}

// ID returns the channel's id, its name.
func (s Spec) ID() string { return s.Name }

// ID returns the id of the channel s.
func ID(s Spec) string { return s.ID() }

// ParseID checks a channel's id, its name.
func ParseID(id string) (string, error) {
	if errs := validation.IsDNS1123Label(id); len(errs) > 0 {
		return "", fmt.Errorf("%q is not a notification channel name", id)
	}
	return id, nil
}

// ReplaceFields are the arguments whose change needs a new channel: the
// name is the Secret's key.
var ReplaceFields = []string{"name"}

// Annotations of the channel's Secret that the engine owns.
const (
	// AnnotationURLVersion keeps Spec.URLVersion.
	AnnotationURLVersion = "mc.mcplatform.dev/url-version"
	// AnnotationHMACSecretVersion keeps Spec.HMACSecretVersion.
	AnnotationHMACSecretVersion = "mc.mcplatform.dev/hmac-secret-version"
)

// Validate checks a spec without talking to any backend; every error names
// the argument at fault. A missing URL is not checked here: an Update may
// keep the stored one.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks of unknown arguments are skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
		v.Add("name", "%q is not a valid notification channel name: it must be a DNS-1123 label", s.Name)
	}
	if !slices.Contains(notify.Types, s.Type) {
		v.Add("type", "%q is not a channel type, want webhook or slack", s.Type)
	}
	if s.URL != "" {
		if err := notify.ValidateURL(s.URL); err != nil {
			v.Add("url", "%v", err)
		}
	}
	if s.URLVersion < 0 {
		v.Add("url_version", "%d is negative", s.URLVersion)
	}
	if s.HMACSecretVersion < 0 {
		v.Add("hmac_secret_version", "%d is negative", s.HMACSecretVersion)
	}
	for _, e := range s.Events {
		if !slices.Contains(notify.Events, e) {
			v.Add("events", "%q is not an event, want some of %v", e, notify.Events)
		}
	}
	return v.Err()
}

// normalEvents returns events in notify.Events' order, without
// duplicates; nil or every event gives every event.
func normalEvents(events []string) []string {
	out := []string{}
	for _, e := range notify.Events {
		if len(events) == 0 || slices.Contains(events, e) {
			out = append(out, e)
		}
	}
	return out
}

func parseVersion(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}
