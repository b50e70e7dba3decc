package cirun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tasksv1alpha1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// Annotations on a TaskRun made by this client. The spec is immutable, so
// what may change (on_destroy) and what the spec cannot hold (the inputs as
// given, for import) are annotations.
const (
	// AnnotationInputs holds the run's canonical inputs (JSON of Spec).
	AnnotationInputs = "cirun.mc.mcplatform.dev/inputs"
	// AnnotationOnDestroy holds on_destroy.
	AnnotationOnDestroy = "cirun.mc.mcplatform.dev/on-destroy"
	// AnnotationForgotten marks a run a resource forgot (on_destroy =
	// "forget"): it stays at the site, and Observe no longer reports it,
	// until a create of the same inputs adopts it again.
	AnnotationForgotten = "cirun.mc.mcplatform.dev/forgotten"
	// AnnotationReplicated lists the replication targets as
	// <site>=<project>, comma-separated, for the hub check.
	AnnotationReplicated = "cirun.mc.mcplatform.dev/replicated"
	// GitSecretName is the Secret in the runs' namespace with the
	// platform's Bitbucket credentials (keys username and password).
	GitSecretName = "mc-ci-git"
	// NotifySecretPrefix prefixes a channel's name in the name of the
	// Secret a run's notices are sent with.
	NotifySecretPrefix = "mc-notify-"
)

// ChannelLookup returns notification channel name, or a
// *engine.DependencyError when there is no such channel.
type ChannelLookup func(ctx context.Context, name string) (notify.Channel, error)

// Client implements engine.Client for CI runs.
type Client struct {
	b backend
	// Channels looks notification channels up; nil refuses notify.
	Channels ChannelLookup
}

var (
	_ engine.Client[Spec, Status] = (*Client)(nil)
	_ engine.Triggerer            = (*Client)(nil)
)

// New returns a CI run client over the platform's site registry.
func New(reg *registry.Registry) *Client {
	return &Client{b: platform{reg: reg}, Channels: func(ctx context.Context, name string) (notify.Channel, error) {
		return notificationchannel.Lookup(ctx, reg, name)
	}}
}

// Create starts the run, or adopts the TaskRun of the same inputs: a run
// already there (Pending, Running or Succeeded) is the same build and is
// waited for, never started twice. A Failed run of the same inputs is
// deleted and started again: a create after a failure is a retry. A site
// without a task runner fails at once.
func (c *Client) Create(ctx context.Context, want Spec) (string, error) {
	if err := Validate(want); err != nil {
		return "", err
	}
	given := want
	want = normalized(want)
	name := RunName(want)
	id := want.Site + "/" + name
	cur, err := c.b.GetRun(ctx, want.Site, name)
	if err != nil {
		return "", err
	}
	if cur != nil && cur.Status.Phase == tasksv1alpha1.PhaseFailed {
		if err := c.b.DeleteRun(ctx, want.Site, name, cur.UID); err != nil {
			return "", err
		}
		cur = nil
	}
	if cur != nil {
		_, forgotten := cur.Annotations[AnnotationForgotten]
		if forgotten || cur.Annotations[AnnotationOnDestroy] != want.OnDestroy {
			if err := c.b.AnnotateRun(ctx, want.Site, name, map[string]*string{AnnotationOnDestroy: &want.OnDestroy, AnnotationForgotten: nil}); err != nil {
				return "", err
			}
		}
		return id, nil
	}
	runner, err := c.b.TaskRunner(ctx, want.Site)
	if err != nil {
		return "", err
	}
	if !runner.Available {
		return "", noRunner(want.Site, runner)
	}
	run, err := c.taskRun(ctx, want, given, name)
	if err != nil {
		return "", err
	}
	if err := c.b.CreateRun(ctx, want.Site, run); err != nil {
		return "", err
	}
	return id, nil
}

// noRunner is the terminal error of a site that no task runner serves.
func noRunner(site string, r kube.TaskRunnerInfo) error {
	why := fmt.Sprintf("no mc-taskrunner holds Lease %s/%s%s on its management cluster", tasksv1alpha1.DefaultNamespace, tasksv1alpha1.LeaseNamePrefix, site)
	if r.Identity != "" {
		why = fmt.Sprintf("runner %q last renewed Lease %s/%s%s at %s, and it has expired", r.Identity, tasksv1alpha1.DefaultNamespace, tasksv1alpha1.LeaseNamePrefix, site, r.RenewTime.UTC().Format(time.RFC3339))
	}
	return engine.Terminal("site %q has no task runner: %s; deploy config/taskrunner there (mc_site.task_runner tells)", site, why)
}

// taskRun builds the TaskRun of want (given, with its defaults filled),
// writing the Secrets it names. The inputs annotation keeps the spec as
// given, so that an import reads back what was written.
func (c *Client) taskRun(ctx context.Context, want, given Spec, name string) (*tasksv1alpha1.TaskRun, error) {
	repoURL := want.Source.Repository
	if want.Source.Application != "" {
		u, err := c.b.SourceRepository(ctx, want.Source.Application)
		if err != nil {
			return nil, err
		}
		repoURL = u
	}
	run := &tasksv1alpha1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: tasksv1alpha1.DefaultNamespace,
			Labels: map[string]string{tasksv1alpha1.LabelSite: want.Site, registry.LabelManagedBy: registry.ManagedBy},
			Annotations: map[string]string{
				AnnotationInputs: string(asGiven(given)), AnnotationOnDestroy: want.OnDestroy,
			},
		},
		Spec: tasksv1alpha1.TaskRunSpec{
			Site:   want.Site,
			Source: tasksv1alpha1.TaskRunSource{RepoURL: repoURL, Revision: want.Source.Revision},
			Build: tasksv1alpha1.TaskRunBuild{
				Executor: want.Build.Executor, Command: want.Build.Command, ContextDir: want.Build.ContextDir,
				BaseImage: want.Build.BaseImage, Env: want.Build.Env, Entrypoint: want.Build.Entrypoint,
			},
			Image: tasksv1alpha1.TaskRunImage{Project: want.Image.Project, Repository: want.Image.Repository, Tag: want.Image.Tag},
			Scan:  tasksv1alpha1.TaskRunScan{Enabled: want.Scan.Enabled, FailOn: want.Scan.FailOn},
		},
	}
	if user, password, ok := c.b.GitCredentials(repoURL); ok {
		if err := c.b.ApplySecret(ctx, want.Site, GitSecretName, map[string][]byte{"username": []byte(user), "password": []byte(password)}); err != nil {
			return nil, err
		}
		run.Spec.Source.SecretName = GitSecretName
	}
	destinations, err := c.destinations(ctx, want)
	if err != nil {
		return nil, err
	}
	if len(destinations) > 0 {
		reps, err := c.b.Replications(ctx, want.Site, want.Image.Project, want.Image.Repository, destinations)
		if err != nil {
			return nil, err
		}
		var targets []string
		for _, r := range reps {
			run.Spec.Replicate = append(run.Spec.Replicate, tasksv1alpha1.TaskRunReplication{PolicyID: r.PolicyID, Site: r.Site})
			targets = append(targets, r.Site+"="+r.Project)
		}
		run.Annotations[AnnotationReplicated] = strings.Join(targets, ",")
	}
	notify, err := c.writeChannels(ctx, want)
	if err != nil {
		return nil, err
	}
	run.Spec.Notify = notify
	return run, nil
}

// destinations are the sites the run replicates to: replicate_to, or the
// hub when it is not set (none when the site is the hub, or without one).
func (c *Client) destinations(ctx context.Context, want Spec) ([]string, error) {
	if want.ReplicateTo != nil {
		return want.ReplicateTo, nil
	}
	hub, err := c.b.Hub(ctx)
	if err != nil || hub == "" || hub == want.Site {
		return nil, err
	}
	return []string{hub}, nil
}

// writeChannels writes the Secret of each notification channel the run
// notifies into the runs' namespace at the site.
func (c *Client) writeChannels(ctx context.Context, want Spec) ([]tasksv1alpha1.TaskRunNotify, error) {
	if len(want.Notify) == 0 {
		return nil, nil
	}
	if c.Channels == nil {
		return nil, engine.InvalidInput("notify", "notification channels are not available to CI runs in this build")
	}
	var out []tasksv1alpha1.TaskRunNotify
	for _, ch := range slices.Sorted(slices.Values(want.Notify)) {
		channel, err := c.Channels(ctx, ch)
		if err != nil {
			return nil, err
		}
		secret := NotifySecretPrefix + ch
		n := tasksv1alpha1.TaskRunNotify{Channel: ch, SecretName: secret}
		if len(channel.Events) > 0 {
			// The run events the channel wants; none of them is none.
			n.Events = []string{}
			for _, e := range []string{notify.EventRunStarted, notify.EventRunSucceeded, notify.EventRunFailed, notify.EventRunTimedOut} {
				if channel.Wants(e) {
					n.Events = append(n.Events, e)
				}
			}
			if len(n.Events) == 0 {
				continue
			}
		}
		if err := c.b.ApplySecret(ctx, want.Site, secret, notify.SecretData(channel)); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Observe reads the TaskRun. A run is ready once it succeeded and, when it
// replicated to the hub, the hub's Harbor has its digest. A failed run is
// a terminal failure naming the step, its message and the log's tail. A
// Pending run at a site whose runner is gone fails too: nobody will run it.
func (c *Client) Observe(ctx context.Context, id string, want Spec) (engine.Observation[Spec, Status], error) {
	var obs engine.Observation[Spec, Status]
	site, name, err := ParseID(id)
	if err != nil {
		return obs, engine.InvalidInput("id", "%v", err)
	}
	run, err := c.b.GetRun(ctx, site, name)
	if err != nil || run == nil {
		return obs, err
	}
	if _, forgotten := run.Annotations[AnnotationForgotten]; forgotten {
		return obs, nil
	}
	obs.Exists = true
	obs.Actual = actualSpec(run)
	obs.Status = statusOf(run)
	onDestroy := normalized(want).OnDestroy
	obs.UpToDate = want.Site == "" || run.Annotations[AnnotationOnDestroy] == onDestroy
	obs.Message = progress(run)
	switch run.Status.Phase {
	case tasksv1alpha1.PhaseSucceeded:
		hub, err := c.hubRef(ctx, run)
		if err != nil {
			return obs, err
		}
		obs.Status.HubImageRef = hub.ref
		obs.Ready = !hub.expected || hub.ref != ""
		if !obs.Ready {
			obs.Message = fmt.Sprintf("the run succeeded but the hub's Harbor (site %q) does not have %s yet", hub.site, run.Status.ImageDigest)
		}
	case tasksv1alpha1.PhaseFailed:
		obs.Failed = runFailure(run)
	case "", tasksv1alpha1.PhasePending:
		if run.Status.Runner == "" {
			r, err := c.b.TaskRunner(ctx, site)
			if err != nil {
				return obs, err
			}
			if !r.Available {
				obs.Failed = noRunner(site, r)
			}
		}
	}
	return obs, nil
}

type hubCheck struct {
	site, ref string
	expected  bool
}

// hubRef checks the hub's Harbor for the run's digest, when the run
// replicated to the hub.
func (c *Client) hubRef(ctx context.Context, run *tasksv1alpha1.TaskRun) (hubCheck, error) {
	targets := run.Annotations[AnnotationReplicated]
	if targets == "" || run.Status.ImageDigest == "" {
		return hubCheck{}, nil
	}
	hub, err := c.b.Hub(ctx)
	if err != nil || hub == "" {
		return hubCheck{}, err
	}
	for _, t := range strings.Split(targets, ",") {
		site, project, _ := strings.Cut(t, "=")
		if site != hub {
			continue
		}
		ref, ok, err := c.b.ArtifactRef(ctx, hub, project, run.Spec.Image.Repository, run.Status.ImageDigest)
		if err != nil {
			return hubCheck{}, err
		}
		if !ok {
			ref = ""
		}
		return hubCheck{site: hub, ref: ref, expected: true}, nil
	}
	return hubCheck{}, nil
}

// runFailure is a failed run's terminal error.
func runFailure(run *tasksv1alpha1.TaskRun) error {
	step := ""
	msg := run.Status.Message
	for _, s := range run.Status.Steps {
		if s.Phase == tasksv1alpha1.PhaseFailed {
			step = s.Name
			if msg == "" {
				msg = s.Message
			}
			break
		}
	}
	out := fmt.Sprintf("run %s failed", run.Name)
	if step != "" {
		out += " at step " + step
	}
	if msg != "" {
		out += ": " + msg
	}
	if tail := strings.TrimSpace(run.Status.LogTail); tail != "" {
		out += "\n" + tail
	}
	return engine.Terminal("%s", out)
}

// progress words where a run is.
func progress(run *tasksv1alpha1.TaskRun) string {
	phase := run.Status.Phase
	if phase == "" {
		phase = tasksv1alpha1.PhasePending
	}
	for _, s := range run.Status.Steps {
		if s.Phase == tasksv1alpha1.PhaseRunning {
			return fmt.Sprintf("phase %s, step %s", phase, s.Name)
		}
	}
	if phase == tasksv1alpha1.PhasePending && run.Status.Runner == "" {
		return "phase Pending: waiting for the site's task runner to claim the run"
	}
	return "phase " + phase
}

// actualSpec is the spec a TaskRun was made from, as it was given: the
// inputs annotation, or, for a TaskRun made by hand, what its spec says.
func actualSpec(run *tasksv1alpha1.TaskRun) Spec {
	var s Spec
	if raw := run.Annotations[AnnotationInputs]; raw == "" || json.Unmarshal([]byte(raw), &s) != nil {
		sp := run.Spec
		s = Spec{
			Site:   sp.Site,
			Source: Source{Repository: sp.Source.RepoURL, Revision: sp.Source.Revision},
			Image:  Image{Project: sp.Image.Project, Repository: sp.Image.Repository, Tag: sp.Image.Tag},
			Build: Build{Command: sp.Build.Command, ContextDir: sp.Build.ContextDir, BaseImage: sp.Build.BaseImage,
				Env: sp.Build.Env, Executor: sp.Build.Executor, Entrypoint: sp.Build.Entrypoint},
			Scan:        Scan{Enabled: sp.Scan.Enabled, FailOn: sp.Scan.FailOn},
			ReplicateTo: []string{},
		}
		for _, r := range sp.Replicate {
			s.ReplicateTo = append(s.ReplicateTo, r.Site)
		}
	}
	for _, n := range run.Spec.Notify {
		s.Notify = append(s.Notify, n.Channel)
	}
	s.OnDestroy = run.Annotations[AnnotationOnDestroy]
	if s.OnDestroy == "" {
		s.OnDestroy = OnDestroyForget
	}
	return s
}

// asGiven is the JSON of a spec as a front-end gave it (notify and
// on_destroy aside).
func asGiven(s Spec) []byte {
	raw, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("cirun: cannot encode a spec: %v", err)) // plain data: cannot happen
	}
	return raw
}

// statusOf reads a TaskRun's status.
func statusOf(run *tasksv1alpha1.TaskRun) Status {
	st := run.Status
	out := Status{
		Name: run.Name, Phase: st.Phase, ResolvedCommit: st.ResolvedCommit, ImageDigest: st.ImageDigest,
		ImageRef: st.ImageRef, LogTail: st.LogTail, Message: st.Message,
		StartedAt: timeOf(st.StartedAt), FinishedAt: timeOf(st.FinishedAt),
	}
	if out.Phase == "" {
		out.Phase = tasksv1alpha1.PhasePending
	}
	if s := st.ScanSummary; s != nil {
		out.ScanSummary = &ScanSummary{Total: s.Total, Fixable: s.Fixable, Severities: maps.Clone(s.Severities), Vulnerabilities: slices.Clone(s.Vulnerabilities)}
	}
	for _, s := range st.Steps {
		step := Step{Name: s.Name, Phase: s.Phase, Message: s.Message, StartedAt: timeOf(s.StartedAt), FinishedAt: timeOf(s.FinishedAt)}
		if !step.StartedAt.IsZero() && !step.FinishedAt.IsZero() {
			step.Duration = step.FinishedAt.Sub(step.StartedAt)
		}
		out.Steps = append(out.Steps, step)
	}
	return out
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Update changes what a run may change without a new run: on_destroy, and
// the notification channels' Secrets (a channel's URL or secret rotated).
// A run's list of channels is fixed when it starts.
func (c *Client) Update(ctx context.Context, id string, want Spec) error {
	if err := Validate(want); err != nil {
		return err
	}
	want = normalized(want)
	site, name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	run, err := c.b.GetRun(ctx, site, name)
	if err != nil {
		return err
	}
	if run == nil {
		return fmt.Errorf("TaskRun %s/%s at site %q: %w", tasksv1alpha1.DefaultNamespace, name, site, engine.ErrNotFound)
	}
	if run.Annotations[AnnotationOnDestroy] != want.OnDestroy {
		if err := c.b.AnnotateRun(ctx, site, name, map[string]*string{AnnotationOnDestroy: &want.OnDestroy}); err != nil {
			return err
		}
	}
	var channels []string
	for _, n := range run.Spec.Notify {
		channels = append(channels, n.Channel)
	}
	if len(channels) > 0 && c.Channels != nil {
		want.Notify = channels
		if _, err := c.writeChannels(ctx, want); err != nil {
			return err
		}
	}
	return nil
}

// Delete forgets the run (marks its TaskRun forgotten, so that Observe
// reports it gone while it stays on record at the site), or, with
// on_destroy = "delete" recorded on the TaskRun, deletes it. The image
// stays in Harbor either way.
func (c *Client) Delete(ctx context.Context, id string) error {
	site, name, err := ParseID(id)
	if err != nil {
		return engine.InvalidInput("id", "%v", err)
	}
	run, err := c.b.GetRun(ctx, site, name)
	if err != nil {
		if _, ok := engine.AsDependency(err); ok {
			// The site is gone: there is nothing left to forget.
			return nil
		}
		return err
	}
	if run == nil {
		return nil
	}
	if run.Annotations[AnnotationOnDestroy] == OnDestroyDelete {
		return c.b.DeleteRun(ctx, site, name, run.UID)
	}
	if _, forgotten := run.Annotations[AnnotationForgotten]; forgotten {
		return nil
	}
	yes := "true"
	return c.b.AnnotateRun(ctx, site, name, map[string]*string{AnnotationForgotten: &yes})
}

// Trigger signals whenever the run's TaskRun changes.
func (c *Client) Trigger(ctx context.Context, id string) <-chan struct{} {
	site, name, err := ParseID(id)
	if err != nil {
		return nil
	}
	return c.b.WatchRun(ctx, site, name)
}

func errorsIsNoHub(err error) bool { return errors.Is(err, registry.ErrNoHub) }

func jsonMergePatchOfAnnotations(annotations map[string]*string) ([]byte, error) {
	raw, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if err != nil {
		return nil, fmt.Errorf("cannot encode annotations: %w", err)
	}
	return raw, nil
}

func equalData(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}
