// Command mc-taskrunner is the task runner deployed at a site: it holds the
// site's Lease (so that mc_site reports a runner), watches the site's
// TaskRuns in its namespace and executes them (see internal/taskrunner).
//
//	mc-taskrunner --site site-b --harbor-url https://harbor.site-b.example [flags]
//
// Credentials come from the environment, never from flags (they would show
// in ps): MC_TASKRUNNER_HARBOR_USERNAME, MC_TASKRUNNER_HARBOR_PASSWORD (the
// site's Harbor and registry), MC_TASKRUNNER_GIT_USERNAME,
// MC_TASKRUNNER_GIT_PASSWORD (cloning, for runs without a source Secret).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2/textlogger"
	ctrl "sigs.k8s.io/controller-runtime"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/taskrunner"
)

func main() {
	var cfg taskrunner.Config
	var kubeconfig, executors string
	flag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the site's management cluster; in-cluster when empty")
	flag.StringVar(&cfg.Site, "site", "", "the site served (required)")
	flag.StringVar(&cfg.Namespace, "namespace", tasksv1.DefaultNamespace, "namespace of the TaskRuns, the Lease and the runs' Secrets")
	flag.StringVar(&cfg.Identity, "identity", "", "the runner's identity in the Lease and in status.runner; the hostname when empty")
	flag.StringVar(&cfg.HarborURL, "harbor-url", "", "the site's Harbor (required)")
	flag.BoolVar(&cfg.HarborInsecure, "harbor-insecure", false, "talk plain HTTP to the registry")
	flag.StringVar(&cfg.Registry, "registry", "", "host[:port] the images are pushed to; the Harbor URL's host when empty")
	flag.StringVar(&cfg.WorkDir, "work-dir", "", "directory of the runs' checkouts and build output")
	flag.StringVar(&cfg.CacheDir, "cache-dir", "", "directory of the build caches shared by runs (GOCACHE, GOPATH)")
	flag.StringVar(&executors, "executors", tasksv1.ExecutorLocal, "executors offered, comma-separated (local, kubernetes_job)")
	flag.IntVar(&cfg.MaxParallel, "max-parallel", 2, "how many runs are executed at once")
	flag.StringVar(&cfg.JobNamespace, "job-namespace", "", "namespace of the kubernetes_job executor's Jobs; --namespace when empty")
	flag.StringVar(&cfg.BuilderImage, "builder-image", taskrunner.DefaultBuilderImage, "the kubernetes_job executor's builder image, for runs that name none")
	nodeSelector := flag.String("job-node-selector", "", "node labels the kubernetes_job executor's build pods need, as key=value,key=value")
	logConfig := textlogger.NewConfig()
	logConfig.AddFlags(flag.CommandLine)
	flag.Parse()
	for _, e := range strings.Split(executors, ",") {
		if e = strings.TrimSpace(e); e != "" {
			cfg.Executors = append(cfg.Executors, e)
		}
	}
	if *nodeSelector != "" {
		cfg.JobNodeSelector = map[string]string{}
		for _, kv := range strings.Split(*nodeSelector, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				fmt.Fprintf(os.Stderr, "mc-taskrunner: invalid --job-node-selector %q: want key=value,key=value\n", *nodeSelector)
				os.Exit(2)
			}
			cfg.JobNodeSelector[k] = v
		}
	}
	cfg.CredentialsFromEnv()
	log := textlogger.NewLogger(logConfig)
	ctrl.SetLogger(log)
	cfg.Log = log.WithName("taskrunner")
	restCfg, err := restConfig(kubeconfig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mc-taskrunner: %v\n", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := taskrunner.Run(ctx, restCfg, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "mc-taskrunner: %v\n", err)
		os.Exit(1)
	}
}

// restConfig reads kubeconfig, or the in-cluster config when it is empty.
func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		return rest.InClusterConfig()
	}
	return clientcmd.BuildConfigFromFlags("", kubeconfig)
}
