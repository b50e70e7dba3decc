package provider

import "testing"

// TestNotificationChannelBadInput is mc_notification_channel's table of
// inputs a delivery would fail on later, each with its valid twin.
func TestNotificationChannelBadInput(t *testing.T) {
	base := map[string]any{"name": "team", "type": "webhook", "url_wo": "https://hooks.example.com/mc", "url_wo_version": 1}
	runValidateTable(t, "mc_notification_channel", base, []badInput{
		{name: "name not a DNS label", want: []string{"name"},
			good: map[string]any{"name": "team-a"}, bad: map[string]any{"name": "Team_A"}},
		{name: "unknown type", want: []string{"type"},
			good: map[string]any{"type": "slack"}, bad: map[string]any{"type": "email"}},
		{name: "URL not http(s)", want: []string{"url_wo"},
			good: map[string]any{"url_wo": "http://hooks.example.com:8080/mc"}, bad: map[string]any{"url_wo": "ftp://hooks.example.com/mc"}},
		{name: "URL with white space", want: []string{"url_wo"},
			good: map[string]any{"url_wo": "https://hooks.example.com/mc/team"}, bad: map[string]any{"url_wo": "https://hooks.example.com/mc team"}},
		{name: "port out of range", want: []string{"url_wo"},
			good: map[string]any{"url_wo": "https://hooks.example.com:8443/mc"}, bad: map[string]any{"url_wo": "https://hooks.example.com:84430/mc"}},
		{name: "unknown event", want: []string{"events", "events[set element]"},
			good: map[string]any{"events": []any{"run_failed"}}, bad: map[string]any{"events": []any{"deployed"}}},
		{name: "HMAC secret version below 1", want: []string{"hmac_secret_wo_version"},
			good: map[string]any{"hmac_secret_wo": "k", "hmac_secret_wo_version": 1}, bad: map[string]any{"hmac_secret_wo": "k", "hmac_secret_wo_version": 0}},
	})
}
