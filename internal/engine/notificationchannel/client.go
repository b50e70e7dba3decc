package notificationchannel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// ErrNoChannel is wrapped by the *engine.DependencyError of Lookup when the
// channel does not exist.
var ErrNoChannel = errors.New("notification channel does not exist")

// Lookup returns channel name, with its URL and HMAC secret, for a kind
// that sends notices to it. A channel that does not exist is a
// *engine.DependencyError wrapping ErrNoChannel: "notification channel
// "name" does not exist".
func Lookup(ctx context.Context, reg *registry.Registry, name string) (notify.Channel, error) {
	rec, err := reg.LookupNotificationChannel(ctx, name)
	if engine.IsNotFound(err) {
		return notify.Channel{}, &engine.DependencyError{
			Kind: "notification channel", Name: name,
			Reason: "does not exist",
			Hint:   fmt.Sprintf("create it (mc_notification_channel or a NotificationChannel) in the registry namespace %q, or remove it from notify", reg.Namespace()),
			Err:    ErrNoChannel,
		}
	}
	if err != nil {
		return notify.Channel{}, err
	}
	return notify.ChannelFromSecret(name, rec.Data)
}

// LookupAll returns the channels names, in order, for a kind that sends
// notices to each; the first that cannot be had stops it.
func LookupAll(ctx context.Context, reg *registry.Registry, names []string) ([]notify.Channel, error) {
	out := make([]notify.Channel, 0, len(names))
	for _, n := range names {
		ch, err := Lookup(ctx, reg, n)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// Client implements engine.Client for notification channels.
type Client struct {
	reg *registry.Registry
}

var _ engine.Client[Spec, Status] = (*Client)(nil)

// New returns a client that stores channels in the registry reg.
func New(reg *registry.Registry) *Client { return &Client{reg: reg} }

// Observe reads the channel's Secret. The URL and HMAC secret are never
// reported; want's are compared with the stored ones when want has them
// (the controller always passes them, Terraform only when it applies).
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	name, err := ParseID(id)
	if err != nil {
		return obs, engine.InvalidInput("id", "%v", err)
	}
	rec, err := c.reg.LookupNotificationChannel(ctx, name)
	if engine.IsNotFound(err) {
		return obs, nil
	}
	if err != nil {
		return obs, err
	}
	obs.Exists, obs.Ready = true, true
	stored := storedChannel(rec)
	obs.Actual = Spec{
		Name: name, Type: stored.Type, Events: normalEvents(stored.Events),
		URLVersion:        parseVersion(rec.Annotations[AnnotationURLVersion]),
		HMACSecretVersion: parseVersion(rec.Annotations[AnnotationHMACSecretVersion]),
	}
	obs.Status = Status{SecretNamespace: c.reg.Namespace(), SecretName: registry.NotificationChannelSecretName(name), Signed: stored.HMACSecret != ""}
	obs.UpToDate = upToDate(want, obs.Actual, stored)
	return obs, nil
}

// storedChannel reads the channel a record holds as it is, without
// validating it, so that a damaged record is repaired by an update rather
// than stopping Observe.
func storedChannel(rec *registry.NotificationChannel) notify.Channel {
	ch := notify.Channel{
		Name: rec.Name, Type: string(rec.Data[notify.SecretKeyType]),
		URL: string(rec.Data[notify.SecretKeyURL]), HMACSecret: string(rec.Data[notify.SecretKeyHMACSecret]),
	}
	if parsed, err := notify.ChannelFromSecret(rec.Name, rec.Data); err == nil {
		ch.Events = parsed.Events
	}
	return ch
}

// upToDate compares what the user controls; an empty want (an import) is
// up to date.
func upToDate(want, actual Spec, stored notify.Channel) bool {
	if want.Name == "" {
		return true
	}
	if want.URL != "" && want.URL != stored.URL {
		return false
	}
	if want.HMACSecret != "" && want.HMACSecret != stored.HMACSecret {
		return false
	}
	if want.HMACSecret == "" && want.HMACSecretVersion == 0 && stored.HMACSecret != "" {
		return false
	}
	return want.Type == actual.Type && want.URLVersion == actual.URLVersion &&
		want.HMACSecretVersion == actual.HMACSecretVersion &&
		slices.Equal(normalEvents(want.Events), actual.Events)
}

// Create writes the channel's Secret; creating an existing channel adopts
// it. A create needs a URL.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := c.apply(ctx, want, true); err != nil {
		return "", err
	}
	return want.ID(), nil
}

// Update brings channel id to want. The name cannot change; an empty URL
// keeps the stored one, and so does an empty HMAC secret with a version
// above zero.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	if want.Name != name {
		return engine.InvalidInput("name", "cannot rename notification channel %q to %q in place: that needs a new channel", name, want.Name)
	}
	return c.apply(ctx, want, false)
}

func (c *Client) apply(ctx context.Context, want Spec, create bool) error {
	if err := Validate(want); err != nil {
		return err
	}
	ch := notify.Channel{Name: want.Name, Type: want.Type, URL: want.URL, HMACSecret: want.HMACSecret, Events: normalEvents(want.Events)}
	if ch.URL == "" || (ch.HMACSecret == "" && want.HMACSecretVersion > 0) {
		rec, err := c.reg.LookupNotificationChannel(ctx, want.Name)
		switch {
		case engine.IsNotFound(err):
		case err != nil:
			return err
		default:
			stored := storedChannel(rec)
			if ch.URL == "" {
				ch.URL = stored.URL
			}
			if ch.HMACSecret == "" && want.HMACSecretVersion > 0 {
				ch.HMACSecret = stored.HMACSecret
			}
		}
	}
	if ch.URL == "" {
		if create {
			return engine.InvalidInput("url", "a URL is needed to create notification channel %q", want.Name)
		}
		return engine.InvalidInput("url", "notification channel %q has no URL stored: give its URL again", want.Name)
	}
	if err := ch.Validate(); err != nil {
		return engine.InvalidInput("url", "%v", err)
	}
	return c.reg.PutNotificationChannel(ctx, registry.NotificationChannel{
		Name: want.Name,
		Data: notify.SecretData(ch),
		Annotations: map[string]string{
			AnnotationURLVersion:        strconv.FormatInt(want.URLVersion, 10),
			AnnotationHMACSecretVersion: strconv.FormatInt(want.HMACSecretVersion, 10),
		},
	})
}

// Delete removes the channel's Secret; a channel already gone is deleted.
func (c *Client) Delete(ctx context.Context, id string) error {
	name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	return c.reg.DeleteNotificationChannel(ctx, name)
}
