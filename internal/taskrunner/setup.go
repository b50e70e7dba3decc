package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
)

// Version is the runner's version, written into its Lease.
var Version = "v0.1.0"

// Environment variables with the runner's credentials (never flags: they
// would show in ps).
const (
	EnvHarborUsername = "MC_TASKRUNNER_HARBOR_USERNAME"
	EnvHarborPassword = "MC_TASKRUNNER_HARBOR_PASSWORD"
	EnvGitUsername    = "MC_TASKRUNNER_GIT_USERNAME"
	EnvGitPassword    = "MC_TASKRUNNER_GIT_PASSWORD"
)

// Config configures a runner process (the flags of mc-taskrunner, and the
// credentials from the environment).
type Config struct {
	// Site is the site served (required).
	Site string
	// Namespace holds the TaskRuns, the Lease and the run Secrets
	// (tasksv1.DefaultNamespace when empty).
	Namespace string
	// Identity names the runner (the hostname when empty).
	Identity string
	// HarborURL is the site's Harbor (required); HarborInsecure talks plain
	// HTTP to its registry.
	HarborURL      string
	HarborInsecure bool
	// Registry is host[:port] images are pushed to; HarborURL's host when
	// empty.
	Registry string
	// Harbor and Git are the runner's credentials.
	Harbor, Git Credentials
	// WorkDir holds the runs' directories; CacheDir the build caches.
	WorkDir, CacheDir string
	// Executors offered (default local).
	Executors []string
	// MaxParallel bounds the runs executed at once (default 2).
	MaxParallel int
	// JobNamespace is where the kubernetes_job executor makes its Jobs
	// (Namespace when empty).
	JobNamespace string
	// BuilderImage is the kubernetes_job executor's default builder.
	BuilderImage string
	// JobNodeSelector pins the kubernetes_job executor's build pods.
	JobNodeSelector map[string]string
	// Log is the logger.
	Log logr.Logger
}

// CredentialsFromEnv fills cfg's credentials from the environment.
func (cfg *Config) CredentialsFromEnv() {
	cfg.Harbor = Credentials{Username: os.Getenv(EnvHarborUsername), Password: os.Getenv(EnvHarborPassword)}
	cfg.Git = Credentials{Username: os.Getenv(EnvGitUsername), Password: os.Getenv(EnvGitPassword)}
}

// defaults fills what cfg leaves empty and checks the rest.
func (cfg *Config) defaults() error {
	if cfg.Site == "" {
		return errors.New("the site is required (--site)")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = tasksv1.DefaultNamespace
	}
	if cfg.Identity == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("cannot name the runner: %w", err)
		}
		cfg.Identity = h
	}
	if cfg.HarborURL == "" {
		return errors.New("the site's Harbor URL is required (--harbor-url)")
	}
	u, err := url.Parse(cfg.HarborURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("invalid Harbor URL %q", cfg.HarborURL)
	}
	if cfg.Registry == "" {
		cfg.Registry = u.Host
	}
	if u.Scheme == "http" && cfg.Registry == u.Host {
		cfg.HarborInsecure = true
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = os.TempDir() + "/mc-taskrunner/work"
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = os.TempDir() + "/mc-taskrunner/cache"
	}
	if len(cfg.Executors) == 0 {
		cfg.Executors = []string{tasksv1.ExecutorLocal}
	}
	for _, e := range cfg.Executors {
		if e != tasksv1.ExecutorLocal && e != tasksv1.ExecutorKubernetesJob {
			return fmt.Errorf("unknown executor %q (want %s or %s)", e, tasksv1.ExecutorLocal, tasksv1.ExecutorKubernetesJob)
		}
	}
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 2
	}
	if cfg.JobNamespace == "" {
		cfg.JobNamespace = cfg.Namespace
	}
	if cfg.BuilderImage == "" {
		cfg.BuilderImage = DefaultBuilderImage
	}
	for _, d := range []string{cfg.WorkDir, cfg.CacheDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Scheme is the runner's scheme: TaskRuns and the core, coordination and
// batch kinds it reads and writes.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{tasksv1.AddToScheme, corev1.AddToScheme, coordinationv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Run runs a task runner against the cluster of restCfg until ctx ends:
// the Lease, a watch of the site's TaskRuns, the executors.
func Run(ctx context.Context, restCfg *rest.Config, cfg Config) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	scheme, err := Scheme()
	if err != nil {
		return err
	}
	siteSel := labels.SelectorFromSet(labels.Set{tasksv1.LabelSite: cfg.Site})
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 cfg.Log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache: cache.Options{
			DefaultNamespaces: map[string]cache.Config{cfg.Namespace: {}},
			ByObject:          map[client.Object]cache.ByObject{&tasksv1.TaskRun{}: {Label: siteSel}},
		},
	})
	if err != nil {
		return fmt.Errorf("cannot make the runner's manager: %w", err)
	}
	hc, err := harbor.New(harbor.Config{URL: cfg.HarborURL, Username: cfg.Harbor.Username, Password: cfg.Harbor.Password})
	if err != nil {
		return err
	}
	secrets := []string{cfg.Harbor.Password, cfg.Git.Password}
	executors := map[string]Executor{}
	if slices.Contains(cfg.Executors, tasksv1.ExecutorLocal) {
		executors[tasksv1.ExecutorLocal] = &LocalExecutor{
			Registry: cfg.Registry, Insecure: cfg.HarborInsecure, RegistryAuth: cfg.Harbor,
			CacheDir: cfg.CacheDir, Path: os.Getenv("PATH"), Secrets: secrets,
		}
	}
	if slices.Contains(cfg.Executors, tasksv1.ExecutorKubernetesJob) {
		executors[tasksv1.ExecutorKubernetesJob] = &JobExecutor{
			Client: mgr.GetAPIReader(), Writer: mgr.GetClient(), Namespace: cfg.JobNamespace,
			Registry: cfg.Registry, Insecure: cfg.HarborInsecure, RegistryAuth: cfg.Harbor,
			BuilderImage: cfg.BuilderImage, NodeSelector: cfg.JobNodeSelector, Secrets: secrets,
		}
	}
	r := &Runner{
		Site: cfg.Site, Identity: cfg.Identity, WorkDir: cfg.WorkDir, Git: cfg.Git, Executors: executors,
		Harbor: hc, Client: mgr.GetClient(), Live: mgr.GetAPIReader(), Log: cfg.Log, Secrets: secrets,
	}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("taskrun-" + cfg.Site).
		For(&tasksv1.TaskRun{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: cfg.MaxParallel, SkipNameValidation: ptr.To(true)}).
		Complete(r); err != nil {
		return fmt.Errorf("cannot watch TaskRuns: %w", err)
	}
	direct, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	lease := &Lease{Client: direct, Namespace: cfg.Namespace, Site: cfg.Site, Identity: cfg.Identity,
		Executors: cfg.Executors, Version: Version, OnLeader: r.SetLeader, Log: cfg.Log}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	leaseDone := make(chan struct{})
	go func() { defer close(leaseDone); lease.Run(ctx) }()
	cfg.Log.Info("task runner starting", "site", cfg.Site, "namespace", cfg.Namespace, "identity", cfg.Identity,
		"registry", cfg.Registry, "executors", strings.Join(cfg.Executors, ","), "maxParallel", cfg.MaxParallel)
	err = mgr.Start(ctx)
	cancel()
	<-leaseDone
	return err
}
