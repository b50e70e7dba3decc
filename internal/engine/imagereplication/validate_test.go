package imagereplication

import (
	"strings"
	"testing"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func TestValidate(t *testing.T) {
	base := func() Spec {
		return Spec{Name: "site-b-to-hub", SourceSite: "site-b", DestinationSite: "site-a", Direction: DirectionPull,
			Trigger: Trigger{Type: TriggerManual}, Enabled: true}
	}
	tests := []struct {
		name     string
		mutate   func(*Spec)
		wantPath string
		wantMsg  string
	}{
		{"valid", func(*Spec) {}, "", ""},
		{"scheduled", func(s *Spec) { s.Trigger = Trigger{Type: TriggerScheduled, Cron: "0 0 2 * * *"} }, "", ""},
		{"filters", func(s *Spec) { s.Filters = Filters{Name: "library/**", Tag: "v{1,2}.*", ResourceType: "image"} }, "", ""},
		{"upper-case name", func(s *Spec) { s.Name = "Hub" }, "name", "not a valid replication name"},
		{"same site", func(s *Spec) { s.DestinationSite = "site-b" }, "destination_site", "both site"},
		{"bad site name", func(s *Spec) { s.SourceSite = "Site_B" }, "source_site", "not a valid site name"},
		{"bad direction", func(s *Spec) { s.Direction = "sideways" }, "direction", "not pull or push"},
		{"five-field cron", func(s *Spec) { s.Trigger = Trigger{Type: TriggerScheduled, Cron: "0 2 * * *"} }, "trigger.cron", "has 5 fields"},
		{"cron every second", func(s *Spec) { s.Trigger = Trigger{Type: TriggerScheduled, Cron: "* 0 2 * * *"} }, "trigger.cron", "seconds field"},
		{"cron every minute", func(s *Spec) { s.Trigger = Trigger{Type: TriggerScheduled, Cron: "0 * 2 * * *"} }, "trigger.cron", "every minute"},
		{"cron on manual", func(s *Spec) { s.Trigger = Trigger{Type: TriggerManual, Cron: "0 0 2 * * *"} }, "trigger.cron", "only applies"},
		{"unknown trigger", func(s *Spec) { s.Trigger = Trigger{Type: "hourly"} }, "trigger.type", "not manual"},
		{"unclosed brace", func(s *Spec) { s.Filters.Name = "library/{a,b" }, "filters.name", "unclosed '{'"},
		{"unclosed class", func(s *Spec) { s.Filters.Tag = "v[0-9" }, "filters.tag", "unclosed '['"},
		{"bad resource type", func(s *Spec) { s.Filters.ResourceType = "chart" }, "filters.resource_type", "not image or artifact"},
		{"bad namespace", func(s *Spec) { s.DestinationNamespace = "Hub Project" }, "destination_namespace", "not a Harbor project name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.mutate(&s)
			err := Validate(s)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			in, ok := engine.AsInvalidInput(err)
			if !ok || in.Path != tc.wantPath || !strings.Contains(in.Message, tc.wantMsg) {
				t.Fatalf("Validate() = %v, want %q at %q", err, tc.wantMsg, tc.wantPath)
			}
		})
	}
}

func TestIDAndDirection(t *testing.T) {
	s := Spec{Name: "r", SourceSite: "site-b", DestinationSite: "site-a", Direction: DirectionPull}
	if s.ID() != "site-a/r" || s.RemoteSite() != "site-b" {
		t.Fatalf("pull: ID() = %q, RemoteSite() = %q, want site-a/r and site-b", s.ID(), s.RemoteSite())
	}
	s.Direction = DirectionPush
	if s.ID() != "site-b/r" || s.RemoteSite() != "site-a" {
		t.Fatalf("push: ID() = %q, RemoteSite() = %q, want site-b/r and site-a", s.ID(), s.RemoteSite())
	}
	if _, _, err := ParseID("no-slash"); err == nil {
		t.Fatal("ParseID(no-slash) = nil error")
	}
}
