//go:build platform

package taskrunner_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// webhook records signed notices; it answers 500 to the first failFirst
// deliveries.
type webhook struct {
	mu        sync.Mutex
	failFirst int
	attempts  int
	events    []string
	bad       []string
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.attempts++
	if h.attempts <= h.failFirst {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var n notify.Notice
	if err := json.Unmarshal(body, &n); err != nil || !notify.Verify("taskrunner-hmac", body, r.Header.Get(notify.HeaderSignature)) {
		h.bad = append(h.bad, string(body))
	}
	h.events = append(h.events, n.Event)
}

func (h *webhook) got() ([]string, []string, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...), append([]string(nil), h.bad...), h.attempts
}

// TestSandboxRunnerSendsNotices: the sandbox's runner sends run_started and
// run_succeeded once each, signed, to a receiver that fails twice first.
func TestSandboxRunnerSendsNotices(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	c := platformClient(t, p)
	ctx := context.Background()
	hook := &webhook{failFirst: 2}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: sandbox.TaskRunnerNamespace, Name: "mc-notify-taskrunner-test"},
		Data:       notify.SecretData(notify.Channel{Type: notify.TypeWebhook, URL: srv.URL + "/hook", HMACSecret: "taskrunner-hmac"}),
	}
	if err := c.Delete(ctx, sec.DeepCopy()); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	if err := c.Create(ctx, sec); err != nil {
		t.Fatal(err)
	}
	hc, err := p.HarborClient(sandbox.TaskRunnerSite)
	if err != nil {
		t.Fatal(err)
	}
	ensureHarborProject(t, hc, harborProject)
	run := startRun(t, c, "taskrunner-test-notify", tasksv1.TaskRunSpec{
		Site:   sandbox.TaskRunnerSite,
		Source: tasksv1.TaskRunSource{RepoURL: p.Bitbucket.TemplateURL(sandbox.TemplateGoService), Revision: "main"},
		Build:  tasksv1.TaskRunBuild{Command: `cp README.md.tmpl "$OUT/README"`},
		Image:  tasksv1.TaskRunImage{Project: harborProject, Repository: "notified"},
		Notify: []tasksv1.TaskRunNotify{{Channel: "taskrunner-test", SecretName: sec.Name}},
	})
	got := waitEnded(t, c, run, 3*time.Minute)
	if got.Status.Phase != tasksv1.PhaseSucceeded {
		t.Fatalf("run %s: %s", got.Status.Phase, got.Status.Message)
	}
	// The annotation is written right after the last delivery.
	final := waitFor(t, c, run, time.Minute, "the notified annotation", func(r *tasksv1.TaskRun) bool {
		return strings.Contains(r.Annotations["tasks.mcplatform.dev/notified"], tasksv1.EventRunSucceeded)
	})
	events, bad, attempts := hook.got()
	if diff := cmp.Diff([]string{tasksv1.EventRunStarted, tasksv1.EventRunSucceeded}, events); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	if len(bad) > 0 {
		t.Errorf("notices with a bad signature or body: %v", bad)
	}
	if attempts != 4 {
		t.Errorf("%d deliveries, want 4 (two 500s, then one per event)", attempts)
	}
	if want := "run_started/taskrunner-test,run_succeeded/taskrunner-test"; final.Annotations["tasks.mcplatform.dev/notified"] != want {
		t.Errorf("notified annotation %q, want %q", final.Annotations["tasks.mcplatform.dev/notified"], want)
	}
}
