package taskrunner

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// DefaultBuilderImage is the kubernetes_job executor's builder: kaniko's
// executor, which builds the source's Dockerfile without a container
// runtime and pushes the image.
const DefaultBuilderImage = "gcr.io/kaniko-project/executor:v1.23.2"

// Labels of the kubernetes_job executor's Jobs.
const (
	// LabelRun names the TaskRun a Job builds.
	LabelRun = tasksv1.Group + "/run"
)

// JobTTL is how long a finished build Job is kept (ttlSecondsAfterFinished).
const JobTTL = time.Hour

// BuildContainer is the name of the build Job's container.
const BuildContainer = "build"

// JobResources are the build container's requests and limits.
var JobResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")},
	Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourceEphemeralStorage: resource.MustParse("20Gi")},
}

var digestRe = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// JobExecutor builds in a Job of the site's cluster: the checkout step
// resolves the revision (git ls-remote, no clone), the build step runs the
// builder image (kaniko: it clones the commit, builds the Dockerfile of the
// context directory and pushes) and waits for the Job, and the push step
// takes the digest from the build container's termination message (kaniko's
// --digest-file=/dev/termination-log). A failed Job fails the build with
// the container's termination message, which the kubelet fills with the end
// of its log on error (FallbackToLogsOnError).
type JobExecutor struct {
	// Client reads Jobs and Pods (uncached); Writer makes Jobs and Secrets.
	Client client.Reader
	Writer client.Client
	// Namespace is where the Jobs run.
	Namespace string
	// Registry is host[:port] of the site's registry; Insecure is plain
	// HTTP.
	Registry string
	Insecure bool
	// RegistryAuth are the credentials the builder pushes with.
	RegistryAuth Credentials
	// BuilderImage is the default builder (DefaultBuilderImage when empty).
	BuilderImage string
	// NodeSelector pins the build pods to nodes (builder nodes with room
	// for image builds).
	NodeSelector map[string]string
	// PollInterval is how often the Job is looked at (default 1s).
	PollInterval time.Duration
	// Secrets are masked in messages and log tails.
	Secrets []string
}

var _ Executor = (*JobExecutor)(nil)

// JobName is the build Job of run: a readable prefix and a hash of the
// run's namespace, name and UID (a new TaskRun of the same name is a new
// Job), at most 63 characters.
func JobName(run *tasksv1.TaskRun) string {
	sum := sha256.Sum256([]byte(run.Namespace + "/" + run.Name + "/" + string(run.UID)))
	prefix := run.Name
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-.")
	}
	return "mc-build-" + prefix + "-" + hex.EncodeToString(sum[:])[:10]
}

// Kept: the Job is found again by name; nothing is lost with the runner.
func (e *JobExecutor) Kept(*Workspace, string) bool { return true }

func (e *JobExecutor) redactor(w *Workspace) *redact.Redactor {
	return redact.New(append([]string{w.Git.Password, e.RegistryAuth.Password}, e.Secrets...)...)
}

// Checkout resolves the revision to a commit by listing the remote's refs.
func (e *JobExecutor) Checkout(ctx context.Context, w *Workspace) (string, error) {
	src := w.Run.Spec.Source
	if w.Commit != "" {
		return "commit " + w.Commit + " recorded", nil
	}
	if plumbing.IsHash(src.Revision) {
		w.Commit = src.Revision
		return "revision is commit " + w.Commit, nil
	}
	r := e.redactor(w)
	rem := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{src.RepoURL}})
	opts := &gogit.ListOptions{}
	if w.Git.Username != "" || w.Git.Password != "" {
		opts.Auth = &githttp.BasicAuth{Username: w.Git.Username, Password: w.Git.Password}
	}
	refs, err := rem.ListContext(ctx, opts)
	if err != nil {
		return "", &StepError{Message: r.Text(fmt.Sprintf("cannot list the refs of %s: %v", redact.URL(src.RepoURL), err))}
	}
	byName := map[plumbing.ReferenceName]plumbing.Hash{}
	peeled := map[plumbing.ReferenceName]plumbing.Hash{}
	for _, ref := range refs {
		name := ref.Name()
		if s := string(name); strings.HasSuffix(s, "^{}") {
			peeled[plumbing.ReferenceName(strings.TrimSuffix(s, "^{}"))] = ref.Hash()
			continue
		}
		byName[name] = ref.Hash()
	}
	for _, cand := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(src.Revision), plumbing.NewTagReferenceName(src.Revision), plumbing.ReferenceName(src.Revision)} {
		if h, ok := peeled[cand]; ok {
			w.Commit = h.String()
			break
		}
		if h, ok := byName[cand]; ok {
			w.Commit = h.String()
			break
		}
	}
	if w.Commit == "" {
		return "", &StepError{Message: fmt.Sprintf("cannot resolve revision %q of %s: no such branch or tag", src.Revision, redact.URL(src.RepoURL))}
	}
	return fmt.Sprintf("resolved %s to %s", src.Revision, w.Commit), nil
}

// gitContext is kaniko's git build context of the commit: git://host/path#commit.
func gitContext(repoURL, commit string) (context, pullMethod string) {
	u := redact.URL(repoURL)
	pullMethod = "https"
	if rest, ok := strings.CutPrefix(u, "http://"); ok {
		u, pullMethod = rest, "http"
	} else {
		u = strings.TrimPrefix(u, "https://")
	}
	return "git://" + u + "#" + commit, pullMethod
}

// Job returns the build Job of w (with the builder's credentials in the
// Secret of the same name).
func (e *JobExecutor) Job(w *Workspace) (*batchv1.Job, error) {
	run := w.Run
	tag, err := tagOf(w)
	if err != nil {
		return nil, err
	}
	builder := run.Spec.Build.BuilderImage
	if builder == "" {
		builder = e.BuilderImage
	}
	if builder == "" {
		builder = DefaultBuilderImage
	}
	ctxArg, pull := gitContext(run.Spec.Source.RepoURL, w.Commit)
	args := []string{
		"--context=" + ctxArg,
		"--destination=" + e.Registry + "/" + run.Spec.Image.Project + "/" + run.Spec.Image.Repository + ":" + tag,
		"--digest-file=/dev/termination-log",
		"--reproducible",
		"--label=" + LabelRevision + "=" + w.Commit,
		"--label=" + LabelSource + "=" + redact.URL(run.Spec.Source.RepoURL),
	}
	if d := strings.Trim(run.Spec.Build.ContextDir, "/"); d != "" {
		args = append(args, "--context-sub-path="+d)
	}
	if e.Insecure {
		args = append(args, "--insecure", "--insecure-pull", "--skip-tls-verify")
	}
	env := []corev1.EnvVar{{Name: "GIT_PULL_METHOD", Value: pull}}
	name := JobName(run)
	for _, k := range []struct{ env, key string }{{"GIT_USERNAME", "username"}, {"GIT_PASSWORD", "password"}} {
		env = append(env, corev1.EnvVar{Name: k.env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: k.key}}})
	}
	for _, k := range sortedKeys(run.Spec.Build.Env) {
		env = append(env, corev1.EnvVar{Name: k, Value: run.Spec.Build.Env[k]})
	}
	timeout := DefaultBuildTimeout
	if run.Spec.Build.TimeoutSeconds > 0 {
		timeout = time.Duration(run.Spec.Build.TimeoutSeconds) * time.Second
	}
	labels := map[string]string{tasksv1.LabelSite: run.Spec.Site, LabelRun: run.Name}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: name, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To(int32(0)),
			TTLSecondsAfterFinished: ptr.To(int32(JobTTL / time.Second)),
			ActiveDeadlineSeconds:   ptr.To(int64(timeout / time.Second)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					NodeSelector:                 e.NodeSelector,
					AutomountServiceAccountToken: ptr.To(false),
					Containers: []corev1.Container{{
						Name:                     BuildContainer,
						Image:                    builder,
						Args:                     args,
						Env:                      env,
						Resources:                JobResources,
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
						VolumeMounts:             []corev1.VolumeMount{{Name: "docker-config", MountPath: "/kaniko/.docker", ReadOnly: true}},
					}},
					Volumes: []corev1.Volume{{Name: "docker-config", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
						SecretName: name, Items: []corev1.KeyToPath{{Key: "config.json", Path: "config.json"}}}}}},
				},
			},
		},
	}, nil
}

// secret is the Job's Secret: the registry's docker config and the git
// credentials, owned by the Job so that it goes with it.
func (e *JobExecutor) secret(w *Workspace, job *batchv1.Job) (*corev1.Secret, error) {
	auth := base64.StdEncoding.EncodeToString([]byte(e.RegistryAuth.Username + ":" + e.RegistryAuth.Password))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{e.Registry: map[string]string{"auth": auth}}})
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: job.Namespace, Name: job.Name, Labels: job.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID}}},
		Data: map[string][]byte{"config.json": cfg, "username": []byte(w.Git.Username), "password": []byte(w.Git.Password)},
	}, nil
}

// Build makes the run's Job (or adopts the one made before a restart) and
// waits until it is Complete or Failed.
func (e *JobExecutor) Build(ctx context.Context, w *Workspace) (string, error) {
	r := e.redactor(w)
	want, err := e.Job(w)
	if err != nil {
		return "", &StepError{Message: err.Error()}
	}
	job := &batchv1.Job{}
	err = e.Client.Get(ctx, client.ObjectKeyFromObject(want), job)
	switch {
	case apierrors.IsNotFound(err):
		if err := e.Writer.Create(ctx, want); err != nil && !apierrors.IsAlreadyExists(err) {
			return "", &StepError{Message: fmt.Sprintf("cannot create build Job %s: %v", want.Name, err)}
		}
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(want), job); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	}
	sec, err := e.secret(w, job)
	if err != nil {
		return "", err
	}
	if err := e.Writer.Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", &StepError{Message: r.Text(fmt.Sprintf("cannot create the build Job's Secret: %v", err))}
	}
	t0 := time.Now()
	for {
		if done, failed, msg := jobFinished(job); done {
			if failed {
				tail := r.Text(e.terminationMessage(ctx, job))
				return "", &StepError{Message: r.Text(fmt.Sprintf("build Job %s failed: %s", job.Name, msg)), LogTail: tail}
			}
			return fmt.Sprintf("build Job %s completed", job.Name), nil
		}
		if err := sleep(ctx, e.poll()); err != nil {
			return "", err
		}
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(want), job); err != nil {
			if apierrors.IsNotFound(err) {
				return "", &StepError{Message: fmt.Sprintf("build Job %s was deleted after %s", want.Name, time.Since(t0).Round(time.Second))}
			}
			return "", err
		}
	}
}

func (e *JobExecutor) poll() time.Duration {
	if e.PollInterval > 0 {
		return e.PollInterval
	}
	return time.Second
}

// jobFinished reports whether job ended, whether it failed, and why.
func jobFinished(job *batchv1.Job) (done, failed bool, message string) {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, false, ""
		case batchv1.JobFailed:
			msg := c.Reason
			if c.Message != "" {
				msg += ": " + c.Message
			}
			return true, true, msg
		}
	}
	return false, false, ""
}

// buildPod returns the (last) pod of job.
func (e *JobExecutor) buildPod(ctx context.Context, job *batchv1.Job) (*corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := e.Client.List(ctx, pods, client.InNamespace(job.Namespace), client.MatchingLabels{"job-name": job.Name}); err != nil {
		return nil, err
	}
	var last *corev1.Pod
	for i := range pods.Items {
		if last == nil || pods.Items[i].CreationTimestamp.After(last.CreationTimestamp.Time) {
			last = &pods.Items[i]
		}
	}
	if last == nil {
		return nil, fmt.Errorf("build Job %s has no pod", job.Name)
	}
	return last, nil
}

// terminationMessage is the build container's termination message: the
// digest on success, the end of its log on failure.
func (e *JobExecutor) terminationMessage(ctx context.Context, job *batchv1.Job) string {
	pod, err := e.buildPod(ctx, job)
	if err != nil {
		return err.Error()
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == BuildContainer && cs.State.Terminated != nil {
			return lastLines([]byte(cs.State.Terminated.Message), logTailLines, logTailBytes)
		}
	}
	return fmt.Sprintf("pod %s has no terminated build container", pod.Name)
}

// Push takes the digest the builder pushed from its termination message.
func (e *JobExecutor) Push(ctx context.Context, w *Workspace) (PushResult, error) {
	want, err := e.Job(w)
	if err != nil {
		return PushResult{}, &StepError{Message: err.Error()}
	}
	job := &batchv1.Job{}
	if err := e.Client.Get(ctx, client.ObjectKeyFromObject(want), job); err != nil {
		return PushResult{}, &StepError{Message: fmt.Sprintf("cannot read build Job %s: %v", want.Name, err)}
	}
	digest := strings.TrimSpace(e.terminationMessage(ctx, job))
	if !digestRe.MatchString(digest) {
		return PushResult{}, &StepError{Message: fmt.Sprintf("build Job %s reported no image digest", job.Name), LogTail: e.redactor(w).Text(digest)}
	}
	repo := e.Registry + "/" + w.Run.Spec.Image.Project + "/" + w.Run.Spec.Image.Repository
	return PushResult{Digest: digest, Ref: repo + "@" + digest, Pushed: true}, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
