package imagereplication_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry/registrytest"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

const simPassword = "Harbor12345"

// twoHarbors is a hub site and an edge site, each with a simulated Harbor,
// registered in a stand-in platform plane.
type twoHarbors struct {
	sites     *registry.Registry
	client    *imagereplication.Client
	hub, edge *harborsim.Server
	hubURL    string
	edgeURL   string
	hubAPI    *harbor.Client
	edgeAPI   *harbor.Client
	// refusePolicies makes both Harbors refuse every new replication
	// policy with 400, as Harbor does a policy its own checks refuse.
	refusePolicies atomic.Bool
}

// newTwoHarbors starts the two Harbors. The edge one has a registry behind
// it (a stand-in answering every request), so that the hub's health checks
// of its endpoint reach /v2/ with the robot's credentials, as Harbor core's
// do; hubOpts tune the hub's simulator.
func newTwoHarbors(t *testing.T, hubOpts harborsim.Options, edgeOpts ...harborsim.Options) *twoHarbors {
	t.Helper()
	oci := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(oci.Close)
	th := &twoHarbors{}
	th.hub = harborsim.New(hubOpts)
	var eo harborsim.Options
	if len(edgeOpts) > 0 {
		eo = edgeOpts[0]
	}
	eo.Registry = harborsim.Endpoint{URL: oci.URL}
	th.edge = harborsim.New(eo)
	for _, s := range []*harborsim.Server{th.hub, th.edge} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if th.refusePolicies.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/replication/policies") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"errors":[{"code":"BAD_REQUEST","message":"invalid cron string for scheduled trigger"}]}`))
				return
			}
			s.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(s.Close)
		if s == th.hub {
			th.hubURL = srv.URL
		} else {
			th.edgeURL = srv.URL
		}
	}
	api := registrytest.New(t)
	th.sites = registry.New(api.Config(), "mc-system")
	th.register(t, "hub", th.hubURL, simPassword, 1)
	th.register(t, "edge", th.edgeURL, simPassword, 1)
	th.client = imagereplication.New(th.sites)
	th.hubAPI = adminClient(t, th.hubURL, simPassword)
	th.edgeAPI = adminClient(t, th.edgeURL, simPassword)
	return th
}

func (th *twoHarbors) register(t *testing.T, name, url, password string, version int64) {
	t.Helper()
	err := th.sites.Register(context.Background(), registry.Site{Name: name, ArgoCD: registry.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
		Harbor: &registry.Harbor{URL: url, Username: "admin", Password: password, PasswordVersion: version}})
	if err != nil {
		t.Fatal(err)
	}
}

func adminClient(t *testing.T, url, password string) *harbor.Client {
	t.Helper()
	c, err := harbor.New(harbor.Config{URL: url, Username: "admin", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pullSpec() imagereplication.Spec {
	return imagereplication.Spec{Name: "edge-to-hub", SourceSite: "edge", DestinationSite: "hub", Direction: imagereplication.DirectionPull,
		Filters: imagereplication.Filters{Name: "apps/**"}, Trigger: imagereplication.Trigger{Type: imagereplication.TriggerManual},
		Override: true, Enabled: true}
}

// TestCreateUsesALeastPrivilegeRobot checks that the endpoint's credential
// is a robot of the remote Harbor that may only read and pull the source
// project, and that Harbor's own health check of the endpoint passes with it.
func TestCreateUsesALeastPrivilegeRobot(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{})
	ctx := context.Background()
	id, err := th.client.Create(ctx, pullSpec())
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	obs, err := th.client.Observe(ctx, id, pullSpec())
	if err != nil {
		t.Fatal(err)
	}
	if !obs.Exists || !obs.UpToDate || !obs.Status.CredentialsCurrent || obs.Status.Robot != "robot$mc-replication-hub" || obs.Status.RegistryName != "site-edge" {
		t.Fatalf("Observe() = %+v, want an up-to-date replication using robot$mc-replication-hub through site-edge", obs)
	}
	reg, err := th.hubAPI.GetRegistry(ctx, obs.Status.RegistryID)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Insecure || reg.Credential == nil || reg.Credential.AccessKey != "robot$mc-replication-hub" {
		t.Fatalf("endpoint = %+v, want the robot as credential and TLS checked", reg)
	}
	if err := th.hubAPI.PingRegistry(ctx, harbor.RegistryPing{ID: &obs.Status.RegistryID}); err != nil {
		t.Fatalf("the hub's health check of the endpoint fails: %v", err)
	}
	robots, err := th.edgeAPI.ListRobots(ctx, "Level=system")
	if err != nil || len(robots) != 1 {
		t.Fatalf("robots of the edge = %+v, %v; want one", robots, err)
	}
	want := []harbor.RobotPermission{{Kind: "project", Namespace: "apps", Access: []harbor.RobotAccess{
		{Resource: "artifact", Action: "list"}, {Resource: "artifact", Action: "read"},
		{Resource: "repository", Action: "list"}, {Resource: "repository", Action: "pull"}, {Resource: "tag", Action: "list"},
	}}}
	if diff := cmp.Diff(want, robots[0].Permissions); diff != "" {
		t.Fatalf("robot permissions (-want +got):\n%s", diff)
	}

	// A push policy on the same endpoint widens the robot: push, and
	// project creation on this v2.14 Harbor.
	push := pullSpec()
	push.Name, push.SourceSite, push.DestinationSite, push.Direction = "hub-to-edge", "hub", "edge", imagereplication.DirectionPush
	push.DestinationNamespace = "mirror"
	if _, err := th.client.Create(ctx, push); err != nil {
		t.Fatalf("Create(push) error = %v", err)
	}
	if robots, err = th.edgeAPI.ListRobots(ctx, "Level=system"); err != nil || len(robots) != 1 {
		t.Fatalf("robots of the edge = %+v, %v; want one", robots, err)
	}
	if got := permissionSummary(robots[0].Permissions); !strings.Contains(got, "project:mirror=") || !strings.Contains(got, "repository:push") ||
		!strings.Contains(got, "system:/=project:create,project:list") || !strings.Contains(got, "project:apps=") {
		t.Fatalf("robot permissions with both policies = %s", got)
	}
	// Deleting the push policy gives back what only it needed.
	if err := engine.DeleteUntilGone(ctx, th.client, push.ID(), engine.ConvergeOptions{}); err != nil {
		t.Fatal(err)
	}
	robots, _ = th.edgeAPI.ListRobots(ctx, "Level=system")
	if diff := cmp.Diff(want, robots[0].Permissions); diff != "" {
		t.Fatalf("robot permissions after the push policy left (-want +got):\n%s", diff)
	}
	// The last policy takes the endpoint and the robot with it.
	if err := engine.DeleteUntilGone(ctx, th.client, id, engine.ConvergeOptions{}); err != nil {
		t.Fatal(err)
	}
	regs, _ := th.hubAPI.ListRegistries(ctx, "")
	robots, _ = th.edgeAPI.ListRobots(ctx, "Level=system")
	if len(regs) != 0 || len(robots) != 0 {
		t.Fatalf("after delete: endpoints %+v, robots %+v; want none", regs, robots)
	}
}

func permissionSummary(ps []harbor.RobotPermission) string {
	var parts []string
	for _, p := range ps {
		var acc []string
		for _, a := range p.Access {
			acc = append(acc, a.Resource+":"+a.Action)
		}
		parts = append(parts, p.Kind+":"+p.Namespace+"="+strings.Join(acc, ","))
	}
	return strings.Join(parts, " ")
}

// TestWrongRemotePasswordLeavesNothing checks that wrong credentials of the
// remote site fail the create with an error naming the site, and that no
// endpoint and no policy are left behind.
func TestWrongRemotePasswordLeavesNothing(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{})
	ctx := context.Background()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name, url, password, want string
	}{
		{"wrong password", th.edgeURL, "wrong-password", "refuses the site's credentials"},
		{"unreachable", closed.URL, simPassword, "cannot reach the Harbor of site"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th.register(t, "edge", tc.url, tc.password, 2)
			_, err := th.client.Create(ctx, pullSpec())
			if err == nil || !strings.Contains(err.Error(), `site "edge"`) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Create() error = %v, want %q naming the edge", err, tc.want)
			}
			regs, _ := th.hubAPI.ListRegistries(ctx, "")
			pols, _ := th.hubAPI.ListReplicationPolicies(ctx, "")
			if len(regs) != 0 || len(pols) != 0 {
				t.Fatalf("left behind: endpoints %+v, policies %+v", regs, pols)
			}
		})
	}
}

// TestEndpointHealthErrors checks how Harbor's refusals of an endpoint it
// found unhealthy (400) or could not reach (500) are worded, and that the
// robot made for it is removed again.
func TestEndpointHealthErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check error
		want  string
	}{
		{"unhealthy", errors.New("GET /v2/ answered 401"), "its health check failed"},
		{"unreachable", harborsim.ErrUnreachable, `cannot reach the Harbor of site "edge"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := newTwoHarbors(t, harborsim.Options{Pinger: func(context.Context, harborsim.Endpoint) error { return tc.check }})
			ctx := context.Background()
			_, err := th.client.Create(ctx, pullSpec())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `site "hub"`) {
				t.Fatalf("Create() error = %v, want %q naming both sites", err, tc.want)
			}
			regs, _ := th.hubAPI.ListRegistries(ctx, "")
			robots, _ := th.edgeAPI.ListRobots(ctx, "Level=system")
			if len(regs) != 0 || len(robots) != 0 {
				t.Fatalf("left behind: endpoints %+v, robots %+v", regs, robots)
			}
		})
	}
}

// TestUpdateKeepsWhatTheConfigurationLeavesOut checks that an update sends
// back the policy's settings it does not manage (a speed set in the UI),
// and sets those it manages.
func TestUpdateKeepsWhatTheConfigurationLeavesOut(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{})
	ctx := context.Background()
	spec := pullSpec()
	spec.DestinationNamespace = "mirror"
	spec.Settings.DestinationNamespaceReplaceCount = new(int8(1))
	id, err := th.client.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	obs, _ := th.client.Observe(ctx, id, spec)
	// "The UI" sets a speed and copy by chunk.
	pol, err := th.hubAPI.GetReplicationPolicy(ctx, obs.Status.PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	pol.Speed, pol.CopyByChunk = new(int32(512)), new(true)
	if err := th.hubAPI.UpdateReplicationPolicy(ctx, pol.ID, *pol); err != nil {
		t.Fatal(err)
	}
	spec.Settings.DestinationNamespaceReplaceCount = nil // not managed any more: keeps 1
	spec.Filters.Tag = "v*"
	if err := th.client.Update(ctx, id, spec); err != nil {
		t.Fatal(err)
	}
	obs, _ = th.client.Observe(ctx, id, spec)
	got := obs.Actual.Settings
	if *got.Speed != 512 || !*got.CopyByChunk || *got.DestinationNamespaceReplaceCount != 1 || obs.Actual.Filters.Tag != "v*" {
		t.Fatalf("after update: settings speed %d, chunk %t, replace count %d, tag %q; want 512, true, 1, v*",
			*got.Speed, *got.CopyByChunk, *got.DestinationNamespaceReplaceCount, obs.Actual.Filters.Tag)
	}
	spec.Settings.Speed = new(int32(100))
	if err := th.client.Update(ctx, id, spec); err != nil {
		t.Fatal(err)
	}
	if obs, _ = th.client.Observe(ctx, id, spec); *obs.Actual.Settings.Speed != 100 || !obs.UpToDate {
		t.Fatalf("after setting the speed: %d (up to date %t), want 100", *obs.Actual.Settings.Speed, obs.UpToDate)
	}
}

// TestCredentialChangeRefreshesTheRobot checks that a new version of the
// remote site's credentials makes the replication out of date, and that
// the update refreshes the robot's secret and the endpoint with it.
func TestCredentialChangeRefreshesTheRobot(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{})
	ctx := context.Background()
	id, err := th.client.Create(ctx, pullSpec())
	if err != nil {
		t.Fatal(err)
	}
	before, _ := th.client.Observe(ctx, id, pullSpec())
	regBefore, _ := th.hubAPI.GetRegistry(ctx, before.Status.RegistryID)
	th.register(t, "edge", th.edgeURL, simPassword, 2)
	obs, err := th.client.Observe(ctx, id, pullSpec())
	if err != nil || obs.UpToDate || obs.Status.CredentialsCurrent {
		t.Fatalf("Observe() after the site's new credentials = %+v, %v; want out of date", obs.Status, err)
	}
	if err := th.client.Update(ctx, id, pullSpec()); err != nil {
		t.Fatal(err)
	}
	obs, _ = th.client.Observe(ctx, id, pullSpec())
	regAfter, _ := th.hubAPI.GetRegistry(ctx, obs.Status.RegistryID)
	if !obs.UpToDate || !obs.Status.CredentialsCurrent || regAfter.Description == regBefore.Description {
		t.Fatalf("after update: %+v, endpoint %q; want current credentials and a new fingerprint", obs.Status, regAfter.Description)
	}
	if err := th.hubAPI.PingRegistry(ctx, harbor.RegistryPing{ID: &obs.Status.RegistryID}); err != nil {
		t.Fatalf("the endpoint does not work with the refreshed secret: %v", err)
	}
}

// TestEventBasedPullIsRefused checks the plan-time refusal with its path.
func TestEventBasedPullIsRefused(t *testing.T) {
	s := pullSpec()
	s.Trigger.Type = imagereplication.TriggerEventBased
	in, ok := engine.AsInvalidInput(imagereplication.Validate(s))
	if !ok || in.Path != "trigger.type" {
		t.Fatalf("Validate() = %v, want invalid input at trigger.type", imagereplication.Validate(s))
	}
	s.Direction, s.SourceSite, s.DestinationSite = imagereplication.DirectionPush, "hub", "edge"
	if err := imagereplication.Validate(s); err != nil {
		t.Fatalf("Validate(push, event_based) = %v, want nil", err)
	}
	unknownDirection := func(p string) bool { return p == "direction" }
	s.Direction = ""
	if err := imagereplication.ValidatePartial(s, unknownDirection); err != nil && strings.Contains(err.Error(), "event_based") {
		t.Fatalf("ValidatePartial() with an unknown direction = %v, want no event_based refusal", err)
	}
}

// TestEndpointName checks that endpoint names fit Harbor's 64 characters,
// deterministically and distinctly.
func TestEndpointName(t *testing.T) {
	long := strings.Repeat("a", 60) + "-xyz"
	long2 := strings.Repeat("a", 60) + "-xyw"
	for _, tc := range []struct{ site, want string }{
		{"edge", "site-edge"},
		{strings.Repeat("b", 59), "site-" + strings.Repeat("b", 59)},
	} {
		if got := imagereplication.EndpointName(tc.site); got != tc.want {
			t.Errorf("EndpointName(%q) = %q, want %q", tc.site, got, tc.want)
		}
	}
	a, b := imagereplication.EndpointName(long), imagereplication.EndpointName(long2)
	if len(a) > 64 || len(b) > 64 || a == b || a != imagereplication.EndpointName(long) || !strings.HasPrefix(a, "site-aaaa") {
		t.Fatalf("EndpointName() of two long names = %q, %q: want distinct, stable names of at most 64 characters", a, b)
	}
}

// TestDeleteStopsStuckExecutions checks that a policy whose execution
// stays InProgress for good (Harbor answers 412 to its deletion) is
// deleted: its executions are stopped first.
func TestDeleteStopsStuckExecutions(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{})
	ctx := context.Background()
	id, err := th.client.Create(ctx, pullSpec())
	if err != nil {
		t.Fatal(err)
	}
	th.hub.StickExecutions(0, true)
	execID, err := th.client.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	obs, _ := th.client.Observe(ctx, id, pullSpec())
	if err := th.hubAPI.DeleteReplicationPolicy(ctx, obs.Status.PolicyID); !harbor.IsPreconditionFailed(err) {
		t.Fatalf("deleting the policy in Harbor with a stuck execution = %v, want 412", err)
	}
	if err := engine.DeleteUntilGone(ctx, th.client, id, engine.ConvergeOptions{Timeout: time.Minute}); err != nil {
		t.Fatalf("DeleteUntilGone() error = %v", err)
	}
	// Harbor deletes a policy's executions with it.
	if e, err := th.hubAPI.GetReplicationExecution(ctx, execID); !harbor.IsNotFound(err) {
		t.Fatalf("the stuck execution after delete = %+v, %v; want it gone with its policy", e, err)
	}
	if pols, _ := th.hubAPI.ListReplicationPolicies(ctx, ""); len(pols) != 0 {
		t.Fatalf("policies after delete = %+v, want none", pols)
	}
}

// TestOIDCUserSecretIsExplained checks the error when the remote site's
// credentials are a user's CLI secret of a Harbor in OIDC mode.
func TestOIDCUserSecretIsExplained(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{}, harborsim.Options{AuthMode: harborsim.AuthModeOIDC, Users: []string{"alice"},
		Passwords: map[string]string{"alice": "CliSecret123"}})
	err := th.sites.Register(context.Background(), registry.Site{Name: "edge", ArgoCD: registry.ArgoCD{Namespace: "argocd", Destination: "in-cluster"},
		Harbor: &registry.Harbor{URL: th.edgeURL, Username: "alice", Password: "CliSecret123", PasswordVersion: 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = th.client.Create(context.Background(), pullSpec())
	if err == nil || !strings.Contains(err.Error(), "uses OIDC authentication") || !strings.Contains(err.Error(), `site "edge"`) {
		t.Fatalf("Create() error = %v, want the OIDC explanation naming the site", err)
	}
}

// TestOldHarborRobotHasNoSystemPermissions checks that a push to a Harbor
// older than v2.10 gets a robot with project permissions only: such a
// Harbor drops the project permissions of a robot holding a system one.
func TestOldHarborRobotHasNoSystemPermissions(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{}, harborsim.Options{Version: "v2.9.5-abc"})
	ctx := context.Background()
	push := pullSpec()
	push.Name, push.SourceSite, push.DestinationSite, push.Direction = "hub-to-edge", "hub", "edge", imagereplication.DirectionPush
	if _, err := th.client.Create(ctx, push); err != nil {
		t.Fatal(err)
	}
	robots, err := th.edgeAPI.ListRobots(ctx, "Level=system")
	if err != nil || len(robots) != 1 {
		t.Fatalf("robots = %+v, %v", robots, err)
	}
	if got := permissionSummary(robots[0].Permissions); strings.Contains(got, "system:") || !strings.Contains(got, "project:apps=") {
		t.Fatalf("robot permissions on v2.9 = %s, want project permissions only", got)
	}
	// The robot cannot create the destination project: the engine did.
	if ok, err := th.edgeAPI.ProjectExists(ctx, "apps"); err != nil || !ok {
		t.Fatalf("project apps at the edge: exists %t, %v; want it made for the push", ok, err)
	}
}

// TestRefusedPolicyLeavesNoEndpoint checks that a policy Harbor refuses
// takes the endpoint and robot made for it away again.
func TestRefusedPolicyLeavesNoEndpoint(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{})
	ctx := context.Background()
	spec := pullSpec()
	// Our validation refuses what Harbor's checks refuse (such as hour 25),
	// so the Harbors are made to refuse the policy.
	spec.Trigger = imagereplication.Trigger{Type: imagereplication.TriggerScheduled, Cron: "0 0 2 * * *"}
	th.refusePolicies.Store(true)
	_, err := th.client.Create(ctx, spec)
	if _, ok := engine.AsInvalidInput(err); !ok {
		t.Fatalf("Create() of a refused policy = %v, want Harbor's refusal as invalid input", err)
	}
	regs, _ := th.hubAPI.ListRegistries(ctx, "")
	robots, _ := th.edgeAPI.ListRobots(ctx, "Level=system")
	if len(regs) != 0 || len(robots) != 0 {
		t.Fatalf("left behind: endpoints %+v, robots %+v", regs, robots)
	}
}

// TestRunAdoptsAnExecutionWhoseAnswerWasLost checks that Run, when Harbor
// starts the execution but its answer is lost, adopts that execution
// instead of starting a second one.
func TestRunAdoptsAnExecutionWhoseAnswerWasLost(t *testing.T) {
	th := newTwoHarbors(t, harborsim.Options{})
	ctx := context.Background()
	id, err := th.client.Create(ctx, pullSpec())
	if err != nil {
		t.Fatal(err)
	}
	obs, err := th.client.Observe(ctx, id, pullSpec())
	if err != nil {
		t.Fatal(err)
	}
	th.hub.StickExecutions(0, true)
	th.hub.SetFaults(harborsim.Faults{LostResponseRate: 1})
	execID, err := th.client.Run(ctx, id)
	th.hub.SetFaults(harborsim.Faults{})
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	execs, err := th.hubAPI.ListReplicationExecutions(ctx, obs.Status.PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	if len(execs) != 1 || execs[0].ID != execID {
		t.Fatalf("executions after a Run whose answer was lost = %+v, want the one Run returned (%d)", execs, execID)
	}
	th.hub.StickExecutions(0, false)
}
