package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2/textlogger"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/config/crd"
	"github.com/mcplatform/terraform-provider-mc/internal/taskrunner"
)

// The sandbox runs one task runner, for site-b only, so that a site without
// a runner (site-a) is testable too.
const (
	// TaskRunnerSite is the site the sandbox's task runner serves.
	TaskRunnerSite = HarborSiteB
	// TaskRunnerNamespace is the namespace of its TaskRuns and Lease.
	TaskRunnerNamespace = tasksv1.DefaultNamespace
	// TaskRunnerIdentity is its identity in the Lease and in status.runner.
	TaskRunnerIdentity = "mc-sandbox-taskrunner-" + TaskRunnerSite
	// taskRunnerComponent is its component (and log) name.
	taskRunnerComponent = "taskrunner-" + TaskRunnerSite
)

// TaskRunner describes the sandbox's task runner.
type TaskRunner struct {
	Site      string `json:"site"`      // the site served, site-b
	Namespace string `json:"namespace"` // mc-tasks
	Identity  string `json:"identity"`  // the Lease's holder
	WorkDir   string `json:"workDir"`   // the runs' checkouts and output
	CacheDir  string `json:"cacheDir"`  // build caches, kept across platforms
}

// Environment of a serve-taskrunner child (see RunChildIfRequested); the
// credentials travel in taskrunner.Env* as mc-taskrunner reads them.
const (
	childServeTaskRunner   = "serve-taskrunner"
	envTaskRunnerConfig    = "MC_SANDBOX_RUNNER_KUBECONFIG"
	envTaskRunnerSite      = "MC_SANDBOX_RUNNER_SITE"
	envTaskRunnerNamespace = "MC_SANDBOX_RUNNER_NAMESPACE"
	envTaskRunnerIdentity  = "MC_SANDBOX_RUNNER_IDENTITY"
	envTaskRunnerHarborURL = "MC_SANDBOX_RUNNER_HARBOR_URL"
	envTaskRunnerWorkDir   = "MC_SANDBOX_RUNNER_WORK_DIR"
	envTaskRunnerCacheDir  = "MC_SANDBOX_RUNNER_CACHE_DIR"
)

// runTaskRunnerChild is the body of a serve-taskrunner child: mc-taskrunner
// for one site until SIGTERM or SIGINT.
func runTaskRunnerChild() {
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv(envTaskRunnerConfig))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-taskrunner: %v\n", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rc := taskrunner.Config{
		Site:      os.Getenv(envTaskRunnerSite),
		Namespace: os.Getenv(envTaskRunnerNamespace),
		Identity:  os.Getenv(envTaskRunnerIdentity),
		HarborURL: os.Getenv(envTaskRunnerHarborURL),
		WorkDir:   os.Getenv(envTaskRunnerWorkDir),
		CacheDir:  os.Getenv(envTaskRunnerCacheDir),
		Executors: []string{tasksv1.ExecutorLocal},
	}
	log := textlogger.NewLogger(textlogger.NewConfig())
	ctrllog.SetLogger(log)
	rc.Log = log.WithName("taskrunner")
	rc.CredentialsFromEnv()
	if err := taskrunner.Run(ctx, cfg, rc); err != nil {
		fmt.Fprintf(os.Stderr, "serve-taskrunner: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// installTaskRunCRD installs the TaskRun CRD (config/crd) into the
// platform's cluster.
func (s *starter) installTaskRunCRD(ctx context.Context) error {
	var m map[string]any
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(crd.TaskRuns), 4096).Decode(&m); err != nil {
		return fmt.Errorf("cannot parse the TaskRun CRD: %w", err)
	}
	return applyCRDs(ctx, s.dyn, []*unstructured.Unstructured{{Object: m}}, nil)
}

// startTaskRunner installs the TaskRun CRD, makes the runner's namespace
// and starts the task runner of TaskRunnerSite as a detached child of this
// executable with site-b's Harbor and the Bitbucket credentials, then
// waits until it holds its Lease.
func (s *starter) startTaskRunner(ctx context.Context) error {
	if err := s.installTaskRunCRD(ctx); err != nil {
		return err
	}
	if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: TaskRunnerNamespace}}, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tr := TaskRunner{Site: TaskRunnerSite, Namespace: TaskRunnerNamespace, Identity: TaskRunnerIdentity,
		WorkDir: s.state("taskrunner", "work"), CacheDir: filepath.Join(s.o.CacheDir, "taskrunner")}
	s.mu.Lock()
	s.p.TaskRunner = tr
	h := s.p.Harbors[TaskRunnerSite]
	bb := s.p.Bitbucket
	s.mu.Unlock()
	env := []string{envChild + "=" + childServeTaskRunner, envTaskRunnerConfig + "=" + s.p.KubeconfigPath,
		envTaskRunnerSite + "=" + tr.Site, envTaskRunnerNamespace + "=" + tr.Namespace, envTaskRunnerIdentity + "=" + tr.Identity,
		envTaskRunnerHarborURL + "=" + h.URL, envTaskRunnerWorkDir + "=" + tr.WorkDir, envTaskRunnerCacheDir + "=" + tr.CacheDir,
		taskrunner.EnvHarborUsername + "=" + h.Username, taskrunner.EnvHarborPassword + "=" + h.Password,
		taskrunner.EnvGitUsername + "=" + bb.Username, taskrunner.EnvGitPassword + "=" + bb.Password}
	// The args only label the process in ps; RunChildIfRequested reads the env.
	if _, err := s.start(taskRunnerComponent, self, "", []string{"serve-taskrunner", "--site", tr.Site}, env); err != nil {
		return fmt.Errorf("cannot start the task runner: %w", err)
	}
	return s.waitProc(ctx, taskRunnerComponent, "the task runner's Lease", 60*time.Second, func(ctx context.Context) error {
		lease, err := s.cs.CoordinationV1().Leases(tr.Namespace).Get(ctx, tasksv1.LeaseNamePrefix+tr.Site, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != tr.Identity || lease.Spec.RenewTime == nil {
			return errors.New("not held by the runner yet")
		}
		return nil
	})
}

// taskRunnerHealthy reports whether p runs its task runner. A platform
// started before the runner existed has none and counts as unhealthy, so
// that it is started again.
func (p *Platform) taskRunnerHealthy() bool {
	if p.TaskRunner.Site == "" {
		return false
	}
	for _, c := range p.Status() {
		if c.Name == taskRunnerComponent {
			return c.Running
		}
	}
	return false
}

// TaskRunnerLog returns the path of the task runner's log.
func (p *Platform) TaskRunnerLog() string {
	return filepath.Join(p.StateDir, "logs", taskRunnerComponent+".log")
}

// taskRunnerNote is how the env file and `mc-sandbox up` name the runner.
func (t TaskRunner) String() string {
	if t.Site == "" {
		return "none"
	}
	return strings.Join([]string{t.Site, "namespace " + t.Namespace, "identity " + t.Identity}, ", ")
}
