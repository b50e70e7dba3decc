// Command mc-controller runs the Crossplane-style controller manager of the
// mc platform: it reconciles the managed resources of mc.mcplatform.dev
// (Site, ImageReplication, ...) against the platform through the same
// engine as the Terraform provider.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2/textlogger"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/controller"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "mc-controller: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		metricsAddr             string
		probeAddr               string
		leaderElect             bool
		leaderElectionNamespace string
		leaderElectionID        string
		leaseDuration           time.Duration
		renewDeadline           time.Duration
		retryPeriod             time.Duration
		shard                   string
		options                 controller.Options
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0", `address the metrics endpoint binds to, for example ":8080"; "0" turns it off`)
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", `address the health and readiness probes bind to; "0" turns them off`)
	flag.BoolVar(&leaderElect, "leader-elect", false, "elect a leader so that only one replica reconciles")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election lease; empty means the controller's own namespace")
	flag.StringVar(&leaderElectionID, "leader-election-id", "", `name of the leader election lease; empty means "`+controller.DefaultLeaderElectionID+`", or "`+controller.ShardLeaderElectionID("<shard>")+`" with --shard`)
	flag.DurationVar(&leaseDuration, "leader-election-lease-duration", 15*time.Second, "how long the replicas that are not the leader wait before they take over a lease that was not renewed")
	flag.DurationVar(&renewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew its lease before it stops leading (and exits)")
	flag.DurationVar(&retryPeriod, "leader-election-retry-period", 2*time.Second, "how often the replicas try to acquire or renew the lease")
	flag.StringVar(&shard, "shard", "", "reconcile only the managed resources labelled "+v1alpha1.LabelShard+"=<shard>; empty reconciles every managed resource")
	flag.DurationVar(&options.PollInterval, "poll-interval", controller.DefaultPollInterval, "how often a Ready resource is observed for drift (the annotation "+v1alpha1.AnnotationPollInterval+" overrides it per resource)")
	flag.DurationVar(&options.NotReadyPollInterval, "not-ready-poll-interval", controller.DefaultNotReadyPollInterval, "how soon a resource that is not Ready yet is observed again")
	flag.DurationVar(&options.WatchedNotReadyPollInterval, "watched-not-ready-poll-interval", controller.DefaultWatchedNotReadyPollInterval, "how soon a resource that is not Ready yet is observed again while a watch on its Cluster API or Argo CD objects wakes it on every change")
	pollJitter := flag.Float64("poll-jitter", controller.DefaultPollJitter, "fraction, between 0 and 0.5, by which poll intervals vary at random both ways")
	flag.IntVar(&options.MaxConcurrentReconciles, "max-concurrent-reconciles", 1, "how many resources of one kind are reconciled at once")
	logConfig := textlogger.NewConfig()
	logConfig.AddFlags(flag.CommandLine) // -v, --vmodule
	// --kubeconfig is registered by controller-runtime.
	flag.Parse()
	options.PollJitter = pollJitter
	if leaderElectionID == "" {
		leaderElectionID = controller.ShardLeaderElectionID(shard)
	}

	ctrl.SetLogger(textlogger.NewLogger(logConfig))
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return fmt.Errorf("cannot register the Kubernetes API: %w", err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return fmt.Errorf("cannot register the %s API: %w", v1alpha1.GroupVersion, err)
	}

	cacheOptions, err := controller.ShardCacheOptions(scheme, shard)
	if err != nil {
		return err
	}

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("cannot load the Kubernetes configuration: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:  probeAddr,
		Cache:                   cacheOptions,
		LeaderElection:          leaderElect,
		LeaderElectionID:        leaderElectionID,
		LeaderElectionNamespace: leaderElectionNamespace,
		LeaseDuration:           &leaseDuration,
		RenewDeadline:           &renewDeadline,
		RetryPeriod:             &retryPeriod,
		// The process exits as soon as the manager stops, so a replica
		// that shuts down gives the lease up at once and another takes
		// over without waiting for the lease to run out.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       ptr(30 * time.Second),
	})
	if err != nil {
		return fmt.Errorf("cannot create the manager: %w", err)
	}
	if err := controller.SetupAll(mgr, options); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("cannot add the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("cannot add the readiness check: %w", err)
	}

	log.Info("starting the manager", "pollInterval", options.PollInterval, "leaderElect", leaderElect, "leaderElectionID", leaderElectionID, "shard", shard)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		return fmt.Errorf("manager stopped: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
