// Package notify delivers lifecycle notices (a CI run started, a GitOps sync
// failed, ...) to notification channels: a generic webhook, whose JSON body
// is signed with HMAC-SHA256, or a Slack-compatible incoming webhook.
//
// Delivery is retried with backoff on 5xx answers, 429 (honouring
// Retry-After) and connection errors, a bounded number of times; every
// attempt carries the same X-MC-Delivery id so that a receiver can drop
// duplicates. A channel's URL is a secret (webhook URLs carry their own
// credentials): it never appears in an error or a log.
//
// The package is neutral: the engine, the task runner and both front-ends use
// it, and it knows nothing of Terraform or Kubernetes.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/logctx"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
	"github.com/mcplatform/terraform-provider-mc/internal/urlcheck"
)

// Channel types.
const (
	// TypeWebhook posts the notice as JSON, signed when the channel has an
	// HMAC secret.
	TypeWebhook = "webhook"
	// TypeSlack posts a Slack-compatible {text, blocks} message.
	TypeSlack = "slack"
)

// Types is every channel type.
var Types = []string{TypeWebhook, TypeSlack}

// Event names. CI runs (mc_ci_run, sent by mc-taskrunner) have the run_*
// events; the GitOps kinds (mc_application_deployment, mc_helm_release) the
// sync_* events.
const (
	// EventRunStarted: a task runner claimed a run and started its first step.
	EventRunStarted = "run_started"
	// EventRunSucceeded: every step of a run succeeded.
	EventRunSucceeded = "run_succeeded"
	// EventRunFailed: a step of a run failed.
	EventRunFailed = "run_failed"
	// EventRunTimedOut: a run outlived its timeout.
	EventRunTimedOut = "run_timed_out"
	// EventSyncSucceeded: a GitOps deployment is Synced and Healthy at the
	// committed revision.
	EventSyncSucceeded = "sync_succeeded"
	// EventSyncFailed: waiting for a GitOps deployment failed (a failed sync,
	// a timeout, an unreadable status).
	EventSyncFailed = "sync_failed"
)

// Events is every event name, in a stable order.
var Events = []string{
	EventRunStarted, EventRunSucceeded, EventRunFailed, EventRunTimedOut,
	EventSyncSucceeded, EventSyncFailed,
}

// Headers of a delivery.
const (
	// HeaderSignature is "sha256=<hex HMAC-SHA256 of the body>", keyed with
	// the channel's HMAC secret; absent when the channel has none.
	HeaderSignature = "X-MC-Signature"
	// HeaderEvent is the notice's event name.
	HeaderEvent = "X-MC-Event"
	// HeaderDelivery is the notice's ID, the same on every retry.
	HeaderDelivery = "X-MC-Delivery"
)

// Channel is where notices go.
type Channel struct {
	// Name is the channel's name (mc_notification_channel.name).
	Name string
	// Type is TypeWebhook or TypeSlack.
	Type string
	// URL is the receiver's URL. It is a secret.
	URL string
	// HMACSecret, when set, signs each body (HeaderSignature).
	HMACSecret string
	// Events are the events the channel wants; empty means all of them.
	Events []string
}

// Wants reports whether the channel wants notices of event.
func (c Channel) Wants(event string) bool {
	return len(c.Events) == 0 || slices.Contains(c.Events, event)
}

// Validate reports what is wrong with the channel, never quoting its URL.
func (c Channel) Validate() error {
	if !slices.Contains(Types, c.Type) {
		return fmt.Errorf("notification channel %q has type %q, want one of %s", c.Name, c.Type, strings.Join(Types, ", "))
	}
	if err := ValidateURL(c.URL); err != nil {
		return fmt.Errorf("notification channel %q: %w", c.Name, err)
	}
	for _, e := range c.Events {
		if !slices.Contains(Events, e) {
			return fmt.Errorf("notification channel %q has unknown event %q, want some of %s", c.Name, e, strings.Join(Events, ", "))
		}
	}
	return nil
}

// WebhookURL are the rules of a channel's URL: the URL is a secret (a
// Slack incoming webhook or a receiver's token in its path), so errors
// never quote it.
var WebhookURL = urlcheck.Rules{Example: "https://hooks.slack.com/services/…", Secret: true}

// ValidateURL checks a channel's URL by WebhookURL. Its error never quotes
// raw.
func ValidateURL(raw string) error { return urlcheck.Check(raw, WebhookURL) }

// Notice is one event about one resource.
type Notice struct {
	// ID identifies the delivery; the caller makes it stable (the same on
	// retries and after a restart), so that receivers can drop duplicates.
	ID string `json:"id"`
	// Event is one of Events.
	Event string `json:"event"`
	// Kind is the resource's kind, such as mc_ci_run.
	Kind string `json:"kind"`
	// Name is the resource's id or name.
	Name string `json:"name"`
	// Site is the site the resource is at, when it has one.
	Site string `json:"site,omitempty"`
	// Message says what happened, for a human.
	Message string `json:"message"`
	// Fields are further details (image digest, revision, ...).
	Fields map[string]string `json:"fields,omitempty"`
	// Time is when it happened.
	Time time.Time `json:"time"`
}

// Sender delivers notices. Its zero value is usable; Send uses one with the
// defaults.
type Sender struct {
	// Client sends each attempt; a client with a 10-second timeout when nil.
	// It must not retry by itself nor log URLs.
	Client *http.Client
	// MaxAttempts bounds the attempts of one delivery; default 5.
	MaxAttempts int
	// WaitMin and WaitMax bound the backoff between attempts (and cap
	// Retry-After); defaults 500ms and 30s.
	WaitMin, WaitMax time.Duration

	// sleep waits d or until ctx ends; tests record the waits instead.
	sleep func(ctx context.Context, d time.Duration) error
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// Send delivers n to ch with the default Sender.
func Send(ctx context.Context, ch Channel, n Notice) error {
	return (&Sender{}).Send(ctx, ch, n)
}

// Send delivers n to ch: one POST, retried on 5xx, 429 and connection
// errors up to MaxAttempts times with the same body and X-MC-Delivery. The
// error names the channel and the last answer or cause, never the URL.
func (s *Sender) Send(ctx context.Context, ch Channel, n Notice) error {
	if err := ch.Validate(); err != nil {
		return err
	}
	if n.Time.IsZero() {
		n.Time = time.Now().UTC()
	}
	body, err := Body(ch.Type, n)
	if err != nil {
		return fmt.Errorf("cannot encode notice for notification channel %q: %w", ch.Name, err)
	}
	client, maxAttempts, waitMin, waitMax, sleep := s.Client, s.MaxAttempts, s.WaitMin, s.WaitMax, s.sleep
	if client == nil {
		client = defaultClient
	}
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	if waitMin <= 0 {
		waitMin = 500 * time.Millisecond
	}
	if waitMax <= 0 {
		waitMax = 30 * time.Second
	}
	if sleep == nil {
		sleep = sleepContext
	}
	log := logctx.Redacting(logctx.From(ctx), ch.URL, ch.HMACSecret)
	var lastErr error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		resp, err := s.attempt(ctx, client, ch, n, body)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				log.Debug("Delivered notice", "channel", ch.Name, "event", n.Event, "delivery", n.ID, "attempts", attempt+1)
				return nil
			}
			lastErr = fmt.Errorf("the receiver answered %s", resp.Status)
			if !retryable(resp.StatusCode) {
				return fmt.Errorf("cannot deliver %s notice to notification channel %q: %w", n.Event, ch.Name, lastErr)
			}
		} else {
			if ctx.Err() != nil {
				return fmt.Errorf("cannot deliver %s notice to notification channel %q: %w", n.Event, ch.Name, ctx.Err())
			}
			lastErr = err
		}
		if attempt+1 == maxAttempts {
			break
		}
		wait := httpclient.Backoff(waitMin, waitMax, attempt, resp)
		log.Debug("Retrying notice", "channel", ch.Name, "event", n.Event, "delivery", n.ID, "attempt", attempt+2, "max_attempts", maxAttempts, "reason", lastErr.Error(), "wait", wait)
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("cannot deliver %s notice to notification channel %q: %w", n.Event, ch.Name, err)
		}
	}
	return fmt.Errorf("cannot deliver %s notice to notification channel %q after %d attempts: %w", n.Event, ch.Name, maxAttempts, lastErr)
}

// attempt posts body once. A transport error comes back without the URL.
func (s *Sender) attempt(ctx context.Context, client *http.Client, ch Channel, n Notice, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.URL, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mc-notify")
	req.Header.Set(HeaderEvent, n.Event)
	req.Header.Set(HeaderDelivery, n.ID)
	if ch.HMACSecret != "" {
		req.Header.Set(HeaderSignature, Sign(ch.HMACSecret, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error quotes the URL; keep only its cause, and mask the URL
		// and its parts should the cause repeat them.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		secrets := []string{ch.URL, ch.HMACSecret}
		if u, perr := url.Parse(ch.URL); perr == nil {
			secrets = append(secrets, u.Host, u.Path, u.RawQuery)
		}
		return nil, errors.New(redact.Text(err.Error(), secrets...))
	}
	return resp, nil
}

// retryable reports whether an answer with status code may succeed later.
func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Sign returns the X-MC-Signature value of body: "sha256=" and the hex
// HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature (an X-MC-Signature value) signs body
// with secret, comparing in constant time. Receivers written in Go use it.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(signature), []byte(Sign(secret, body)))
}

// Body returns the request body of n for a channel of type channelType: the
// notice as JSON for a webhook, a Slack message for slack.
func Body(channelType string, n Notice) ([]byte, error) {
	switch channelType {
	case TypeWebhook:
		return json.Marshal(n)
	case TypeSlack:
		return json.Marshal(slackMessage(n))
	default:
		return nil, fmt.Errorf("unknown channel type %q", channelType)
	}
}

// SlackMessage is the body of a Slack incoming webhook: a plain-text
// fallback and Block Kit blocks.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is one Block Kit block: a section with text, or a context
// with elements.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func slackMessage(n Notice) SlackMessage {
	title := fmt.Sprintf("%s %s: %s", n.Kind, n.Name, n.Event)
	text := title
	if n.Message != "" {
		text += ": " + n.Message
	}
	section := "*" + slackEscape(title) + "*"
	if n.Message != "" {
		section += "\n" + slackEscape(n.Message)
	}
	keys := make([]string, 0, len(n.Fields))
	for k := range n.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		section += fmt.Sprintf("\n• %s: `%s`", slackEscape(k), slackEscape(n.Fields[k]))
	}
	footer := []SlackText{{Type: "mrkdwn", Text: "event `" + n.Event + "`"}}
	if n.Site != "" {
		footer = append(footer, SlackText{Type: "mrkdwn", Text: "site `" + slackEscape(n.Site) + "`"})
	}
	footer = append(footer, SlackText{Type: "mrkdwn", Text: n.Time.UTC().Format(time.RFC3339)})
	return SlackMessage{
		Text: text,
		Blocks: []SlackBlock{
			{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: section}},
			{Type: "context", Elements: footer},
		},
	}
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning to.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Secret data keys: the one shape of a channel stored in a Kubernetes Secret
// (by mc_notification_channel in the registry's namespace, by mc_ci_run next
// to its TaskRun).
const (
	SecretKeyType       = "type"
	SecretKeyURL        = "url"
	SecretKeyHMACSecret = "hmacSecret"
	SecretKeyEvents     = "events"
)

// SecretData returns ch as the data of a Secret. The name is the Secret's
// own business and is not stored.
func SecretData(ch Channel) map[string][]byte {
	data := map[string][]byte{
		SecretKeyType:   []byte(ch.Type),
		SecretKeyURL:    []byte(ch.URL),
		SecretKeyEvents: []byte(strings.Join(ch.Events, ",")),
	}
	if ch.HMACSecret != "" {
		data[SecretKeyHMACSecret] = []byte(ch.HMACSecret)
	}
	return data
}

// ChannelFromSecret reads a channel named name from the data of a Secret
// written with SecretData, and validates it.
func ChannelFromSecret(name string, data map[string][]byte) (Channel, error) {
	ch := Channel{
		Name:       name,
		Type:       string(data[SecretKeyType]),
		URL:        string(data[SecretKeyURL]),
		HMACSecret: string(data[SecretKeyHMACSecret]),
	}
	if ch.Type == "" {
		ch.Type = TypeWebhook
	}
	for _, e := range strings.Split(string(data[SecretKeyEvents]), ",") {
		if e = strings.TrimSpace(e); e != "" {
			ch.Events = append(ch.Events, e)
		}
	}
	if len(data[SecretKeyURL]) == 0 {
		return Channel{}, fmt.Errorf("notification channel %q has no %s", name, SecretKeyURL)
	}
	if err := ch.Validate(); err != nil {
		return Channel{}, err
	}
	return ch, nil
}

// DeliveryID returns a stable delivery id from parts (such as a resource id,
// an event and a revision): the same parts give the same id.
func DeliveryID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}
