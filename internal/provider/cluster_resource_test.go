//go:build platform

package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// clusterOptions are the parts of an in-memory cluster configuration that
// tests vary.
type clusterOptions struct {
	version            string
	workers            int
	deletionProtection bool
	argocdRegistration bool
	extra              string // more arguments of mc_cluster
	poolExtra          string // more arguments of the workers pool
}

// inMemoryClusterConfig is a site on the platform's own cluster and an
// in-memory cluster at it.
func inMemoryClusterConfig(p *sandbox.Platform, siteName, namespace, name string, o clusterOptions) string {
	return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name = %[1]q
}

resource "mc_cluster" "test" {
  site               = mc_site.test.id
  namespace          = %[2]q
  name               = %[3]q
  infrastructure     = "in_memory"
  kubernetes_version = %[4]q
  control_plane = {
    replicas = 1
  }
  worker_pools = [
    {
      name     = "workers"
      replicas = %[5]d
      labels = {
        "node-role.kubernetes.io/worker" = ""
      }
%[9]s
    },
  ]
  labels = {
    env = "test"
  }
  argocd_registration = %[7]t
  deletion_protection = %[6]t
%[8]s
}
`, siteName, namespace, name, o.version, o.workers, o.deletionProtection, o.argocdRegistration, o.extra, o.poolExtra)
}

// cleanupCluster deletes the Cluster after the test, whatever state the test
// left it in (a failed test can leave a protected cluster behind).
func cleanupCluster(t *testing.T, dc dynamic.Interface, namespace, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		clusters := dc.Resource(cluster.ClusterGVR).Namespace(namespace)
		if err := clusters.Delete(ctx, name, metav1.DeleteOptions{}); apierrors.IsNotFound(err) {
			return
		}
		err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := clusters.Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			t.Errorf("Cluster %s/%s left behind after the test", namespace, name)
		}
	})
}

// withExtra returns o with more arguments for the cluster and its pool.
func withExtra(o clusterOptions, extra, poolExtra string) clusterOptions {
	o.extra, o.poolExtra = extra, poolExtra
	return o
}

func dynamicClient(t *testing.T, p *sandbox.Platform) dynamic.Interface {
	t.Helper()
	dc, err := dynamic.NewForConfig(mustRESTConfig(t, p))
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

// countObjects counts the objects of gvr in namespace that belong to cluster
// name (by Cluster API's cluster-name label).
func countObjects(dc dynamic.Interface, gvr schema.GroupVersionResource, namespace, name string) (int, error) {
	l, err := dc.Resource(gvr).Namespace(namespace).List(context.Background(), metav1.ListOptions{LabelSelector: cluster.LabelClusterName + "=" + name})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

var machineGVR = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machines"}

// checkClusterDestroyed checks that the Cluster and every Machine of it are
// gone.
func checkClusterDestroyed(dc dynamic.Interface, namespace, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := dc.Resource(cluster.ClusterGVR).Namespace(namespace).Get(context.Background(), name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("Cluster %s/%s still exists (err %v)", namespace, name, err)
		}
		if n, err := countObjects(dc, machineGVR, namespace, name); err != nil || n > 0 {
			return fmt.Errorf("%d Machines of %s/%s left (err %v)", n, namespace, name, err)
		}
		return nil
	}
}

// checkCounts checks how many objects of each resource belong to cluster
// name.
func checkCounts(dc dynamic.Interface, namespace, name string, want map[schema.GroupVersionResource]int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for gvr, n := range want {
			if got, err := countObjects(dc, gvr, namespace, name); err != nil || got != n {
				return fmt.Errorf("%d %s of cluster %s/%s, want %d (err %v)", got, gvr.Resource, namespace, name, n, err)
			}
		}
		return nil
	}
}

// checkObjectCounts checks that there is exactly one KubeadmControlPlane and
// pools MachineDeployments, with their templates, for in-memory cluster name.
func checkObjectCounts(dc dynamic.Interface, namespace, name string, pools int) resource.TestCheckFunc {
	return checkCounts(dc, namespace, name, map[schema.GroupVersionResource]int{
		cluster.KubeadmControlPlaneGVR: 1, cluster.MachineDeploymentGVR: pools, cluster.DevMachineTemplateGVR: pools + 1, cluster.KubeadmConfigTemplateGVR: pools,
	})
}

func TestAccCluster_inMemoryLifecycle(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	dc := dynamicClient(t, p)
	const siteName, ns, name = "acc-cl-life", "acc-cl-life", "web"
	cleanupCluster(t, dc, ns, name)
	config := func(o clusterOptions) string { return inMemoryClusterConfig(p, siteName, ns, name, o) }
	first := clusterOptions{version: "v1.36.0", workers: 2, deletionProtection: true, argocdRegistration: true}
	scaled, upgraded := first, first
	scaled.workers = 3
	upgraded.workers, upgraded.version = 3, "v1.36.1"
	unprotected := upgraded
	unprotected.deletionProtection = false

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			checkClusterDestroyed(dc, ns, name),
			checkArgoCDSecretGone(platformClients(t, p), name),
			checkSiteDestroyed(p, siteName),
		),
		Steps: []resource.TestStep{
			{
				Config: config(first),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "id", siteName+"/"+ns+"/"+name),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
					resource.TestCheckResourceAttr("mc_cluster.test", "phase", "Provisioned"),
					resource.TestCheckResourceAttr("mc_cluster.test", "control_plane_ready", "true"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "2"),
					resource.TestCheckResourceAttr("mc_cluster.test", "observed_kubernetes_version", "v1.36.0"),
					resource.TestCheckResourceAttr("mc_cluster.test", "argocd_cluster_name", name),
					resource.TestCheckResourceAttr("mc_cluster.test", "pod_cidrs.0", cluster.DefaultPodCIDR),
					resource.TestCheckResourceAttr("mc_cluster.test", "service_cidrs.0", cluster.DefaultServiceCIDR),
					resource.TestCheckNoResourceAttr("mc_cluster.test", "control_plane.endpoint"),
					resource.TestMatchResourceAttr("mc_cluster.test", "endpoint", regexp.MustCompile(`^https://.+:\d+$`)),
					resource.TestCheckTypeSetElemNestedAttrs("mc_cluster.test", "conditions.*", map[string]string{"type": "Available", "status": "True"}),
					checkObjectCounts(dc, ns, name, 1),
				),
			},
			{
				ResourceName:            "mc_cluster.test",
				ImportState:             true,
				ImportStateId:           siteName + "/" + ns + "/" + name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: config(scaled) + kubeconfigEphemeralBlock,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkKubeconfigEphemeral(p, 4),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "3"),
					resource.TestCheckResourceAttr("mc_cluster.test", "worker_pools.0.replicas", "3"),
				),
			},
			{
				Config: config(upgraded),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "observed_kubernetes_version", "v1.36.1"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "3"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
				),
			},
			{
				// What Cluster API cannot change in place, the network, plans a
				// replacement...
				Config:             config(withExtra(upgraded, `pod_cidrs = ["10.200.0.0/16"]`, "")),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionReplace)},
				},
			},
			{
				// ...while new taints for a pool roll its machines in place.
				Config:             config(withExtra(upgraded, "", `taints = [{ key = "dedicated", effect = "NoSchedule" }]`)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
			},
			{
				// Protected: destroy is refused and the cluster stays.
				Config:      config(upgraded),
				Destroy:     true,
				ExpectError: regexp.MustCompile(`deletion_protection = true`),
			},
			{
				Config: config(unprotected),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "deletion_protection", "false"),
					checkObjectCounts(dc, ns, name, 1),
				),
			},
		},
	})
}

func TestAccCluster_badInput(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	cfg := func(body string) string {
		return providerBlock(p) + `
resource "mc_site" "test" {
  name = "acc-cl-bad"
}

resource "mc_cluster" "test" {
  site = mc_site.test.id
  name = "bad"
` + body + `
}
`
	}
	const pool = `
  worker_pools = [{ name = "workers" }]
`
	cases := []struct {
		name, body string
		want       string
	}{
		{"version without v", `kubernetes_version = "1.36.0"
  infrastructure = "in_memory"
  control_plane = {}`, `kubernetes_version[\s\S]*Kubernetes version such as v1\.36\.0`},
		{"version with suffix", `kubernetes_version = "v1.36"
  infrastructure = "in_memory"
  control_plane = {}`, `Kubernetes version such as v1\.36\.0`},
		{"unparsable CIDR", `kubernetes_version = "v1.36.0"
  infrastructure = "in_memory"
  control_plane = {}
  pod_cidrs = ["10.0.0.0/33"]`, `not a CIDR block`},
		{"overlapping CIDRs", `kubernetes_version = "v1.36.0"
  infrastructure = "in_memory"
  control_plane = {}
  pod_cidrs = ["10.96.0.0/12"]
  service_cidrs = ["10.100.0.0/16"]`, `overlaps 10\.96\.0\.0/12`},
		{"even control plane", `kubernetes_version = "v1.36.0"
  infrastructure = "in_memory"
  control_plane = { replicas = 2 }`, `odd and at least 1`},
		{"no control plane", `kubernetes_version = "v1.36.0"
  infrastructure = "in_memory"
  control_plane = { replicas = 0 }`, `control_plane[\s\S]*at least 1`},
		{"pool twice", `kubernetes_version = "v1.36.0"
  infrastructure = "in_memory"
  control_plane = {}
  worker_pools = [{ name = "a" }, { name = "a" }]`, `Pool "a" is already defined by worker_pools\[0\]`},
		{"endpoint without port", `kubernetes_version = "v1.36.0"
  control_plane = { endpoint = "10.0.0.10" }` + pool, `is not host:port`},
		{"byoh without endpoint", `kubernetes_version = "v1.36.0"
  control_plane = {}` + pool, `The byoh infrastructure needs the control plane endpoint`},
		{"in_memory with endpoint", `kubernetes_version = "v1.36.0"
  infrastructure = "in_memory"
  control_plane = { endpoint = "10.0.0.10:6443" }`, `The in_memory infrastructure sets the control plane endpoint itself`},
		{"bad taint effect", `kubernetes_version = "v1.36.0"
  infrastructure = "in_memory"
  control_plane = {}
  worker_pools = [{ name = "a", taints = [{ key = "k", effect = "Never" }] }]`, `value must be one of`},
		{"unknown infrastructure", `kubernetes_version = "v1.36.0"
  infrastructure = "vsphere"
  control_plane = {}`, `infrastructure[\s\S]*value must be one of`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: cfg(c.body), PlanOnly: true, ExpectError: regexp.MustCompile(c.want)})
	}
	// An unknown site is caught at plan time too.
	steps = append(steps, resource.TestStep{
		Config: providerBlock(p) + `
resource "mc_cluster" "test" {
  site               = "no-such-site"
  name               = "bad"
  infrastructure     = "in_memory"
  kubernetes_version = "v1.36.0"
  control_plane      = {}
}
`,
		PlanOnly:    true,
		ExpectError: regexp.MustCompile(`Site "no-such-site" is not registered`),
	})
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: protoV6ProviderFactories, Steps: steps})
}

func TestAccCluster_timeoutThenResume(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	dc := dynamicClient(t, p)
	const siteName, ns, name = "acc-cl-resume", "acc-cl-resume", "slow"
	cleanupCluster(t, dc, ns, name)
	o := clusterOptions{version: "v1.36.0", workers: 1, extra: `
  timeouts = {
    create = "5s"
  }`}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkClusterDestroyed(dc, ns, name),
		Steps: []resource.TestStep{
			{
				// The create outlives its timeout: the cluster stays in state, not ready.
				Config: inMemoryClusterConfig(p, siteName, ns, name, o),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "false"),
					resource.TestCheckResourceAttr("mc_cluster.test", "id", siteName+"/"+ns+"/"+name),
				),
				ExpectNonEmptyPlan: true,
			},
			{
				// The next apply resumes waiting, in place: no replacement.
				Config: inMemoryClusterConfig(p, siteName, ns, name, o),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "1"),
					checkObjectCounts(dc, ns, name, 1),
				),
			},
		},
	})
}

// TestAccCluster_killAndRerun kills terraform (and the provider process) while
// it creates a cluster, then applies the same configuration again: the second
// apply adopts the objects the first one made, and nothing is duplicated.
func TestAccCluster_killAndRerun(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	dc := dynamicClient(t, p)
	tfPath, err := exec.LookPath("terraform")
	if v := os.Getenv("TF_ACC_TERRAFORM_PATH"); v != "" {
		tfPath, err = v, nil
	}
	if err != nil {
		t.Fatalf("this test runs the terraform CLI itself: %v (put terraform on PATH or set TF_ACC_TERRAFORM_PATH)", err)
	}
	const siteName, ns, name = "acc-cl-kill", "acc-cl-kill", "killed"
	cleanupCluster(t, dc, ns, name)
	config := inMemoryClusterConfig(p, siteName, ns, name, clusterOptions{version: "v1.36.0", workers: 1})

	// The first run uses the provider built as a real plugin binary, so that
	// killing it cuts the create off as a crash would.
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "terraform-provider-mc"), "../..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cannot build the provider: %v\n%s", err, out)
	}
	cliConfig := filepath.Join(dir, "terraformrc")
	writeFile(t, cliConfig, fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/mcplatform/mc" = %q
  }
  direct {}
}
`, filepath.Join(dir, "bin")))
	work := filepath.Join(dir, "work")
	writeFile(t, filepath.Join(work, "main.tf"), config)
	writeFile(t, filepath.Join(work, "versions.tf"), "terraform {\n  required_providers {\n    mc = {\n      source = \"mcplatform/mc\"\n    }\n  }\n}\n")
	apply := exec.Command(tfPath, "apply", "-auto-approve", "-no-color")
	apply.Dir = work
	apply.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1")
	apply.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill the process group as soon as the Cluster object exists.
	var uid string
	_ = wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		if cl, err := dc.Resource(cluster.ClusterGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
			uid = string(cl.GetUID())
		}
		return uid != "", nil
	})
	_ = syscall.Kill(-apply.Process.Pid, syscall.SIGKILL)
	_ = apply.Wait()
	if uid == "" {
		t.Fatalf("the first apply made no Cluster within 3 minutes:\n%s", out.String())
	}
	mds, _ := countObjects(dc, cluster.MachineDeploymentGVR, ns, name)
	t.Logf("killed terraform once Cluster %s/%s existed (uid %s; %d MachineDeployments made by then)", ns, name, uid, mds)

	sameCluster := func(*terraform.State) error {
		cl, err := dc.Resource(cluster.ClusterGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if string(cl.GetUID()) != uid {
			return fmt.Errorf("the Cluster was recreated: uid %s, the killed run made %s", cl.GetUID(), uid)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkClusterDestroyed(dc, ns, name),
		Steps: []resource.TestStep{
			{
				// The killed run wrote no state; the site record it made is
				// adopted by mc_site, the Cluster by mc_cluster.
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
					resource.TestCheckResourceAttr("mc_cluster.test", "ready_workers", "1"),
					sameCluster,
					checkObjectCounts(dc, ns, name, 1),
				),
			},
		},
	})
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkArgoCDSecretGone checks that no Argo CD cluster Secret names the
// cluster.
func checkArgoCDSecretGone(cs kubernetes.Interface, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		l, err := cs.CoreV1().Secrets("argocd").List(context.Background(), metav1.ListOptions{LabelSelector: "argocd.argoproj.io/secret-type=cluster"})
		if err != nil {
			return err
		}
		for _, s := range l.Items {
			if string(s.Data["name"]) == name {
				return fmt.Errorf("Argo CD cluster Secret %s still names cluster %q", s.Name, name)
			}
		}
		return nil
	}
}

// checkKubeconfigEphemeral opens mc_cluster_kubeconfig in-process for the
// cluster in state and checks that a client built from its attributes (as the
// kubernetes provider would be configured) reaches the workload cluster and
// sees nodes nodes, and that none of its secrets is in state.
func checkKubeconfigEphemeral(p *sandbox.Platform, nodes int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources["mc_cluster.test"]
		if !ok {
			return fmt.Errorf("mc_cluster.test not in state")
		}
		ctx := context.Background()
		e := &clusterKubeconfigEphemeral{}
		var cfgResp ephemeral.ConfigureResponse
		d := &providerData{conn: registry.Platform{KubeconfigPath: p.KubeconfigPath}, namespace: p.Namespace}
		e.Configure(ctx, ephemeral.ConfigureRequest{ProviderData: d}, &cfgResp)
		var schemaResp ephemeral.SchemaResponse
		e.Schema(ctx, ephemeral.SchemaRequest{}, &schemaResp)
		typ := schemaResp.Schema.Type().TerraformType(ctx)
		attrs := map[string]tftypes.Value{}
		for name, at := range typ.(tftypes.Object).AttributeTypes {
			attrs[name] = tftypes.NewValue(at, nil)
		}
		attrs["cluster_id"] = tftypes.NewValue(tftypes.String, rs.Primary.ID)
		req := ephemeral.OpenRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(typ, attrs)}}
		resp := ephemeral.OpenResponse{Result: tfsdk.EphemeralResultData{Schema: schemaResp.Schema, Raw: tftypes.NewValue(typ, nil)}}
		e.Open(ctx, req, &resp)
		if resp.Diagnostics.HasError() {
			return fmt.Errorf("Open: %v", resp.Diagnostics)
		}
		var m clusterKubeconfigModel
		if diags := resp.Result.Get(ctx, &m); diags.HasError() {
			return fmt.Errorf("result: %v", diags)
		}
		if m.Host.ValueString() != rs.Primary.Attributes["endpoint"] {
			return fmt.Errorf("host = %q, the cluster's endpoint is %q", m.Host.ValueString(), rs.Primary.Attributes["endpoint"])
		}
		cfg := &rest.Config{Host: m.Host.ValueString(), TLSClientConfig: rest.TLSClientConfig{
			CAData: []byte(m.ClusterCACertificate.ValueString()), CertData: []byte(m.ClientCertificate.ValueString()), KeyData: []byte(m.ClientKey.ValueString()),
		}}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		l, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("cannot list the workload cluster's nodes with the ephemeral kubeconfig: %w", err)
		}
		if len(l.Items) != nodes {
			return fmt.Errorf("the workload cluster has %d nodes, want %d", len(l.Items), nodes)
		}
		return checkStateHasNo(m.ClientKey.ValueString())(s)
	}
}

// kubeconfigEphemeralBlock opens mc_cluster_kubeconfig in the configuration
// itself, as a configuration feeding the kubernetes provider would.
const kubeconfigEphemeralBlock = `
ephemeral "mc_cluster_kubeconfig" "test" {
  cluster_id = mc_cluster.test.id
}
`

// legacyClusterManifests is an in-memory cluster written as plain Cluster
// API manifests, with names of its own (not the provider's conventions) and
// none of the provider's labels, as a team would have made it by hand.
const legacyClusterManifests = `
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: legacy
  labels:
    team: payments
spec:
  clusterNetwork:
    pods: {cidrBlocks: ["10.244.0.0/16"]}
    services: {cidrBlocks: ["10.96.0.0/12"]}
    serviceDomain: cluster.local
  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: KubeadmControlPlane, name: legacy-cp}
  infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevCluster, name: legacy}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevCluster
metadata:
  name: legacy
  annotations: {owner: payments}
spec:
  backend: {inMemory: {}}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevMachineTemplate
metadata:
  name: legacy-cp
spec:
  template:
    spec:
      backend:
        inMemory:
          vm: {provisioning: {startupDuration: 1s}}
          node: {provisioning: {startupDuration: 1s}}
          apiServer: {provisioning: {startupDuration: 1s}}
          etcd: {provisioning: {startupDuration: 1s}}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata:
  name: legacy-cp
spec:
  replicas: 1
  version: v1.36.0
  machineTemplate:
    spec:
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevMachineTemplate, name: legacy-cp}
  kubeadmConfigSpec:
    initConfiguration: {nodeRegistration: {criSocket: unix:///var/run/containerd/containerd.sock}}
    joinConfiguration: {nodeRegistration: {criSocket: unix:///var/run/containerd/containerd.sock}}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevMachineTemplate
metadata:
  name: legacy-md-0
spec:
  template:
    spec:
      backend:
        inMemory:
          vm: {provisioning: {startupDuration: 1s}}
          node: {provisioning: {startupDuration: 1s}}
          apiServer: {provisioning: {startupDuration: 1s}}
          etcd: {provisioning: {startupDuration: 1s}}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata:
  name: legacy-md-0
spec:
  template:
    spec:
      joinConfiguration:
        nodeRegistration:
          criSocket: unix:///var/run/containerd/containerd.sock
          taints: [{key: dedicated, value: payments, effect: NoSchedule}]
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata:
  name: legacy-md-0
spec:
  clusterName: legacy
  replicas: 1
  selector: {matchLabels: {}}
  template:
    metadata:
      labels: {workload: payments}
    spec:
      clusterName: legacy
      version: v1.36.0
      bootstrap:
        configRef: {apiGroup: bootstrap.cluster.x-k8s.io, kind: KubeadmConfigTemplate, name: legacy-md-0}
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DevMachineTemplate, name: legacy-md-0}
`

// applyManifests creates every object of a multi-document YAML in namespace.
func applyManifests(t *testing.T, dc dynamic.Interface, namespace, manifests string) {
	t.Helper()
	ctx := context.Background()
	if _, err := dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx,
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace}}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	resources := map[string]schema.GroupVersionResource{
		"Cluster": cluster.ClusterGVR, "DevCluster": cluster.DevClusterGVR, "DevMachineTemplate": cluster.DevMachineTemplateGVR,
		"KubeadmControlPlane": cluster.KubeadmControlPlaneGVR, "KubeadmConfigTemplate": cluster.KubeadmConfigTemplateGVR,
		"MachineDeployment": cluster.MachineDeploymentGVR,
	}
	for _, doc := range strings.Split(manifests, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("bad manifest: %v", err)
		}
		if _, err := dc.Resource(resources[u.GetKind()]).Namespace(namespace).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("cannot create %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// waitAvailable waits until Cluster API reports the Cluster Available.
func waitAvailable(t *testing.T, dc dynamic.Interface, namespace, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		cl, err := dc.Resource(cluster.ClusterGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(cl.Object, "status", "conditions")
		for _, c := range conds {
			if m, _ := c.(map[string]any); m["type"] == "Available" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("Cluster %s/%s not Available after 5 minutes", namespace, name)
	}
}

// TestAccCluster_importPlainManifests imports a cluster made with plain
// Cluster API manifests: a configuration written to match plans no changes.
func TestAccCluster_importPlainManifests(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	dc := dynamicClient(t, p)
	const siteName, ns, name = "acc-cl-import", "acc-cl-import", "legacy"
	t.Cleanup(func() { // the hand-made templates have no owner to go with
		_ = dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	cleanupCluster(t, dc, ns, name)
	config := func(protected bool) string {
		return providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name = %[1]q
}

resource "mc_cluster" "test" {
  site               = mc_site.test.id
  namespace          = %[2]q
  name               = "legacy"
  infrastructure     = "in_memory"
  kubernetes_version = "v1.36.0"
  control_plane      = {}
  worker_pools = [
    {
      name   = "md-0"
      labels = { workload = "payments" }
      taints = [{ key = "dedicated", value = "payments", effect = "NoSchedule" }]
    },
  ]
  pod_cidrs           = ["10.244.0.0/16"]
  service_cidrs       = ["10.96.0.0/12"]
  labels              = { team = "payments" }
  argocd_registration = false
  deletion_protection = %[3]t
}
`, siteName, ns, protected)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkClusterDestroyed(dc, ns, name),
		Steps: []resource.TestStep{
			{
				Config: providerBlock(p) + fmt.Sprintf("resource \"mc_site\" \"test\" {\n  name = %q\n}\n", siteName),
			},
			{
				PreConfig: func() {
					applyManifests(t, dc, ns, legacyClusterManifests)
					waitAvailable(t, dc, ns, name)
				},
				Config:             config(true),
				ResourceName:       "mc_cluster.test",
				ImportState:        true,
				ImportStateId:      siteName + "/" + ns + "/" + name,
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					for _, st := range states {
						if st.ID != siteName+"/"+ns+"/"+name {
							continue
						}
						if st.Attributes["worker_pools.0.name"] != "md-0" || st.Attributes["control_plane.replicas"] != "1" || st.Attributes["ready"] != "true" {
							return fmt.Errorf("imported state: %v", st.Attributes)
						}
						return nil
					}
					return fmt.Errorf("cluster not among the imported states %v", states)
				},
			},
			{
				// A configuration written to match: no changes.
				Config:   config(true),
				PlanOnly: true,
			},
			{
				// Lifting the protection is an in-place update that touches nothing in Cluster API.
				Config: config(false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_cluster.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
			},
		},
	})
}

var devMachineGVR = schema.GroupVersionResource{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "devmachines"}

// breakWorker deletes the infrastructure machine of a provisioned worker,
// which Cluster API reports as a terminal failure of that Machine, and
// waits until it does.
func breakWorker(t *testing.T, dc dynamic.Interface, namespace, mdName string) string {
	t.Helper()
	ctx := context.Background()
	machines := dc.Resource(machineGVR).Namespace(namespace)
	l, err := machines.List(ctx, metav1.ListOptions{LabelSelector: "cluster.x-k8s.io/deployment-name=" + mdName})
	if err != nil || len(l.Items) == 0 {
		t.Fatalf("no Machines of MachineDeployment %s (err %v)", mdName, err)
	}
	m := l.Items[0]
	infra, _, _ := unstructured.NestedString(m.Object, "spec", "infrastructureRef", "name")
	if err := dc.Resource(devMachineGVR).Namespace(namespace).Delete(ctx, infra, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("cannot delete DevMachine %s: %v", infra, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := machines.Get(ctx, m.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		reason, _, _ := unstructured.NestedString(got.Object, "status", "deprecated", "v1beta1", "failureReason")
		if reason != "" {
			msg, _, _ := unstructured.NestedString(got.Object, "status", "deprecated", "v1beta1", "failureMessage")
			t.Logf("Machine %s failed: %s: %s", m.GetName(), reason, msg)
		}
		return reason != "", nil
	})
	if err != nil {
		t.Fatalf("Machine %s reports no failure 2 minutes after its DevMachine was deleted: %v", m.GetName(), err)
	}
	return m.GetName()
}

// TestAccCluster_failFast: when Cluster API reports a terminal failure the
// apply stops at once with Cluster API's own message instead of waiting for
// its timeout.
func TestAccCluster_failFast(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	dc := dynamicClient(t, p)
	const siteName, ns, name = "acc-cl-fail", "acc-cl-fail", "fragile"
	cleanupCluster(t, dc, ns, name)
	o := clusterOptions{version: "v1.36.0", workers: 1}
	scaled := o
	scaled.workers = 2
	scaled.extra = `
  timeouts = {
    update = "30m"
  }`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkClusterDestroyed(dc, ns, name),
		Steps: []resource.TestStep{
			{
				Config: inMemoryClusterConfig(p, siteName, ns, name, o),
				Check:  resource.TestCheckResourceAttr("mc_cluster.test", "ready", "true"),
			},
			{
				PreConfig: func() {
					breakWorker(t, dc, ns, cluster.MachineDeploymentName(name, "workers"))
				},
				Config: inMemoryClusterConfig(p, siteName, ns, name, scaled),
				// The failure ends the apply long before the 30-minute timeout.
				ExpectError: regexp.MustCompile(`failed \(InvalidConfiguration\):\s+Machine\s+infrastructure\s+resource\s+DevMachine[\s\S]*has\s+been\s+deleted\s+after\s+provisioning\s+was\s+completed`),
			},
		},
	})
}

// TestAccCluster_byoh plans and applies a bring-your-own-host cluster: the
// API server (with BYOH's CRDs) accepts every object, and since no BYOH
// hosts exist here the create ends at its timeout, keeping the cluster in
// state with a warning, and is destroyed cleanly.
func TestAccCluster_byoh(t *testing.T) {
	t.Parallel() // its own site, namespace and cluster: it mostly waits, so it runs beside the others
	p := sandboxtest.Platform(t)
	dc := dynamicClient(t, p)
	const siteName, ns, name = "acc-cl-byoh", "acc-cl-byoh", "metal"
	cleanupCluster(t, dc, ns, name)
	config := providerBlock(p) + fmt.Sprintf(`
resource "mc_site" "test" {
  name = %[1]q
}

resource "mc_cluster" "test" {
  site               = mc_site.test.id
  namespace          = %[2]q
  name               = %[3]q
  kubernetes_version = "v1.36.0"
  control_plane = {
    replicas      = 3
    endpoint      = "10.20.0.10:6443"
    host_selector = { "mc.mcplatform.dev/role" = "control-plane" }
  }
  worker_pools = [
    {
      name          = "general"
      replicas      = 2
      host_selector = { "mc.mcplatform.dev/pool" = "general" }
    },
    {
      name          = "gpu"
      host_selector = { "mc.mcplatform.dev/pool" = "gpu" }
      taints        = [{ key = "nvidia.com/gpu", value = "present", effect = "NoSchedule" }]
    },
  ]
  pod_cidrs           = ["172.16.0.0/16"]
  service_cidrs       = ["172.20.0.0/16"]
  deletion_protection = false
  timeouts = {
    create = "10s"
  }
}
`, siteName, ns, name)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkClusterDestroyed(dc, ns, name),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_cluster.test", "ready", "false"),
					resource.TestCheckResourceAttr("mc_cluster.test", "infrastructure", "byoh"),
					resource.TestCheckResourceAttr("mc_cluster.test", "control_plane.endpoint", "10.20.0.10:6443"),
					resource.TestCheckResourceAttr("mc_cluster.test", "endpoint", "https://10.20.0.10:6443"),
					resource.TestCheckResourceAttr("mc_cluster.test", "control_plane.host_selector.mc.mcplatform.dev/role", "control-plane"),
					checkCounts(dc, ns, name, map[schema.GroupVersionResource]int{
						cluster.ByoMachineTemplateGVR: 3, cluster.MachineDeploymentGVR: 2, cluster.KubeadmConfigTemplateGVR: 2,
					}),
				),
				ExpectNonEmptyPlan: true, // not ready: the next apply resumes waiting
			},
			{
				ResourceName:      "mc_cluster.test",
				ImportState:       true,
				ImportStateId:     siteName + "/" + ns + "/" + name,
				ImportStateVerify: true,
				// Import starts with deletion protection on, and a cluster that is
				// not ready is not registered in Argo CD yet.
				ImportStateVerifyIgnore: []string{"timeouts", "deletion_protection", "argocd_registration", "conditions", "phase"},
			},
		},
	})
}
