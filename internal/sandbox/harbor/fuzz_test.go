package harborsim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfuzz"
)

// FuzzRequests sends the Harbor simulator fuzzed requests, seeded from the
// API calls the provider makes: no panic, no 5xx, and a rejected request
// changes nothing.
func FuzzRequests(f *testing.F) {
	for _, seed := range []struct {
		method uint8
		target string
		body   string
	}{
		{1, "/api/v2.0/projects", `{"project_name":"apps","metadata":{"public":"false"}}`},
		{1, "/api/v2.0/projects", `{"project_name":"Apps"}`},
		{2, "/api/v2.0/projects/apps", `{"metadata":{"public":"true"}}`},
		{4, "/api/v2.0/projects/apps", ``},
		{1, "/api/v2.0/projects/apps/members", `{"role_id":2,"member_user":{"username":"admin"}}`},
		{1, "/api/v2.0/registries", `{"name":"site-hub","type":"harbor","url":"https://hub.example","credential":{"type":"basic","access_key":"a","access_secret":"b"}}`},
		{1, "/api/v2.0/replication/policies", `{"name":"p","src_registry":{"id":1},"dest_namespace":"apps","trigger":{"type":"scheduled","trigger_settings":{"cron":"0 0 25 * * *"}},"filters":[{"type":"name","value":"library/**"}]}`},
		{2, "/api/v2.0/replication/policies/1", `{"name":"p","enabled":false}`},
		{1, "/api/v2.0/replication/executions", `{"policy_id":1}`},
		{1, "/api/v2.0/robots", `{"name":"ci","level":"system","duration":-1,"permissions":[{"kind":"project","namespace":"apps","access":[{"resource":"repository","action":"pull"}]}]}`},
		{3, "/api/v2.0/robots/1", `{"secret":"x"}`},
		{0, "/api/v2.0/projects?page=-1&page_size=0", ``},
		{0, "/api/v2.0/replication/executions?policy_id=abc", ``},
		{1, "/api/v2.0/projects", `{"project_name":`},
		{1, "/api/v2.0/projects", `[]`},
	} {
		f.Add(seed.method, seed.target, []byte(seed.body), false)
	}
	f.Fuzz(func(t *testing.T, method uint8, target string, body []byte, anonymous bool) {
		// Every remote registry is healthy: no request leaves the process.
		s := New(Options{Pinger: func(context.Context, Endpoint) error { return nil }})
		defer s.Close()
		sim := simfuzz.Sim{
			Handler: s,
			// Harbor answers 500 when it cannot make the adapter of a
			// registry type it does not know.
			Vendor5xx: func(r *http.Request, code int, body string) bool {
				return code == http.StatusInternalServerError && strings.Contains(r.URL.Path, "/registries") && strings.Contains(body, "internal server error")
			},
			Auth: func(r *http.Request) { r.SetBasicAuth("admin", "Harbor12345") },
			State: []string{"/api/v2.0/projects?page_size=100", "/api/v2.0/registries?page_size=100",
				"/api/v2.0/replication/policies?page_size=100", "/api/v2.0/robots?page_size=100", "/api/v2.0/replication/executions?page_size=100"},
		}
		// Something to change or delete.
		sim.Check(t, 1, "/api/v2.0/projects", []byte(`{"project_name":"apps","metadata":{"public":"false"}}`), false)
		sim.Check(t, method, target, body, anonymous)
	})
}

// FuzzCronAgrees checks that the engine's cron validation accepts exactly
// the schedules Harbor accepts (the simulator parses them as Harbor's
// robfig/cron does): a schedule refused only by Harbor would fail at apply
// instead of plan, one refused only by us would keep out what Harbor runs.
func FuzzCronAgrees(f *testing.F) {
	for _, seed := range []string{
		"0 0 2 * * *", "0 0 25 * * *", "0 */0 * * * *", "0 0 2 ? * SUN", "0 0 2 * JAN-MAR *", "0 0 2 * * 7", "0 5/15 * * * *",
		"0 0 2 1-31/2 * *", "0 0 2 FRI-MON * *", "60 0 2 * * *", "0 * 2 * * *", "0 0 2 * * +1", "0 0 0 0 0 0", "0 0 2 * * *  ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cron string) {
		ours, harbors := imagereplication.ValidateCron(cron), validateCron(cron)
		if (ours == nil) != (harbors == nil) {
			t.Fatalf("cron %q: the engine says %v, Harbor says %v", cron, ours, harbors)
		}
	})
}

// FuzzFilterPattern checks that a name or tag filter the engine accepts
// never makes Harbor's matcher fail the execution with a bad pattern.
func FuzzFilterPattern(f *testing.F) {
	for _, seed := range []string{"library/**", "v*", "{a,b}", "{a,b", "[0-9]*", "[", "a]", "\\", "**/x", "[!a]", "{a,{b,c}}"} {
		f.Add(seed, "library/nginx")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		spec := imagereplication.Spec{Name: "p", SourceSite: "a", DestinationSite: "b", Direction: imagereplication.DirectionPull,
			Trigger: imagereplication.Trigger{Type: imagereplication.TriggerManual}, Filters: imagereplication.Filters{Name: pattern, Tag: pattern}}
		if imagereplication.Validate(spec) != nil {
			return
		}
		if _, err := match(pattern, name); errors.Is(err, doublestar.ErrBadPattern) {
			t.Fatalf("the engine accepts filter %q, which Harbor's matcher refuses: %v", pattern, err)
		}
	})
}
