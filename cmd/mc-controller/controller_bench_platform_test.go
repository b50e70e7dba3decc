//go:build platform

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mcplatform/terraform-provider-mc/api/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/enginetest/readiness"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

// benchWorkers is the --max-concurrent-reconciles of the benchmark's
// controller, as in config/manager.
const benchWorkers = 4

// BenchmarkControllerAtScale runs one mc-controller process (as the
// Deployment runs it: --poll-interval=1m, four reconciles at a time per kind)
// over $MC_BENCH_CONTROLLER_N managed resources (default 1,000) of its own
// shard, and reports:
//
//	objects                 managed resources: 70% Sites, 20% Projects, 10% NotificationChannels
//	all-ready-s             from the first create until every one is Ready
//	rss-MB, rss-peak-MB     the process's resident memory after settling (VmRSS), and its peak (VmHWM)
//	reconciles/min          reconciles over a quiet window of $MC_BENCH_QUIET (default 2m) in which nothing changes
//	kube-writes/min         the process's writes (POST, PUT, PATCH, DELETE) to the platform's API server in that window
//	harbor-writes/min       its writes to Harbor in that window (the site's Harbor is reached through a counting proxy)
//	drift-median-ms, drift-worst-ms   from an outside edit of a site record until the controller restored it
//
// The kinds are the ones that are cheap to hold by the thousand on the
// sandbox: a Site is a record Secret and a check of its management cluster
// (the platform plane); a Project with a Harbor part is a record and a
// project in the Harbor simulator; a NotificationChannel is a Secret made
// from a Secret it refers to. Clusters (each a set of Cluster API
// objects and in-memory machines), the GitOps kinds (each an Argo CD
// Application that syncs into the workload cluster) and cluster
// registrations (each a cluster Argo CD connects to) would measure Cluster
// API's and Argo CD's capacity on two cores, not the controller's.
func BenchmarkControllerAtScale(b *testing.B) {
	if b.N > 1 {
		b.Skip("one run is the measurement: use -benchtime 1x")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("MC_BENCH_CONTROLLER_N")); err == nil && v > 0 {
		n = v
	}
	quiet := 2 * time.Minute
	if v, err := time.ParseDuration(os.Getenv("MC_BENCH_QUIET")); err == nil && v > 0 {
		quiet = v
	}
	e := newScaleoutEnv(b, "so-scale")
	ctx := context.Background()
	cfg, err := e.platform.RESTConfig()
	if err != nil {
		b.Fatal(err)
	}

	// The Harbor of the Projects, behind a proxy that counts writes.
	var harborWrites atomic.Int64
	h := e.platform.Harbors[sandbox.HarborSiteB]
	target, err := url.Parse(h.URL)
	if err != nil {
		b.Fatal(err)
	}
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			if r.In.Method != http.MethodGet && r.In.Method != http.MethodHead {
				harborWrites.Add(1)
			}
			r.SetURL(target)
		},
	})
	b.Cleanup(proxy.Close)
	sites := site.New(registry.New(cfg, e.platform.Namespace))
	harborSite := "so-scale-" + e.suffix + "-harbor"
	if _, err := sites.Create(ctx, site.Spec{
		Name:   harborSite,
		ArgoCD: site.ArgoCD{Namespace: e.platform.ArgoCDNamespace, Destination: e.platform.ArgoCDClusterName},
		Harbor: &site.Harbor{URL: proxy.URL, Username: h.Username, Password: h.Password, PasswordVersion: 1},
	}); err != nil {
		b.Fatalf("cannot register the Harbor site: %v", err)
	}
	b.Cleanup(func() { _ = sites.Delete(context.Background(), harborSite) })

	shard := "so-scale-" + e.suffix
	metricsAddr := freeAddress(b)
	r := startReplica(b, e.platform, "mc-controller-scale", "--shard="+shard, "--metrics-bind-address="+metricsAddr,
		"--max-concurrent-reconciles="+strconv.Itoa(benchWorkers))
	labels := map[string]string{v1alpha1.LabelShard: shard}
	pcRef := v1alpha1.ResourceSpec{ProviderConfigReference: &v1alpha1.ProviderConfigReference{Name: e.providerConfig}}
	keyPrefix := randomLetters(5)
	// The webhook URL every channel refers to.
	hook := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: shard + "-hook", Namespace: e.platform.Namespace},
		StringData: map[string]string{"url": "https://hooks.example.com/services/" + shard},
	}
	if err := e.kube.Create(ctx, hook); err != nil {
		b.Fatalf("cannot create the channels' URL Secret: %v", err)
	}
	b.Cleanup(func() { _ = e.kube.Delete(context.Background(), hook) })
	objects := make([]client.Object, n)
	for i := range n {
		if i%10 == 9 {
			objects[i] = &v1alpha1.NotificationChannel{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-hook-%04d", shard, i), Labels: labels},
				Spec: v1alpha1.NotificationChannelSpec{ResourceSpec: pcRef, ForProvider: v1alpha1.NotificationChannelParameters{
					Type:         "webhook",
					URLSecretRef: v1alpha1.SecretKeySelector{Namespace: hook.Namespace, Name: hook.Name, Key: "url"},
				}},
			}
			continue
		}
		if i%10 < 7 {
			objects[i] = &v1alpha1.Site{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%04d", shard, i), Labels: labels},
				Spec: v1alpha1.SiteSpec{ResourceSpec: pcRef, ForProvider: v1alpha1.SiteParameters{
					Description: fmt.Sprintf("site %d", i),
					ArgoCD:      v1alpha1.ArgoCDParameters{Namespace: e.platform.ArgoCDNamespace, Destination: e.platform.ArgoCDClusterName},
				}},
			}
			continue
		}
		objects[i] = &v1alpha1.Project{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("q%s%04d", keyPrefix, i), Labels: labels},
			Spec: v1alpha1.ProjectSpec{ResourceSpec: pcRef, ForProvider: v1alpha1.ProjectParameters{
				Name:   fmt.Sprintf("Scale %s %d", keyPrefix, i),
				Harbor: &v1alpha1.ProjectHarbor{Site: harborSite},
			}},
		}
	}
	b.Cleanup(func() { deleteAll(b, e.kube, objects) }) // while the controller still runs: it deletes what it made

	t0 := time.Now()
	forEach(objects, 8, func(o client.Object) {
		if err := e.kube.Create(ctx, o); err != nil {
			b.Errorf("cannot create %s: %v", o.GetName(), err)
		}
	})
	if b.Failed() {
		b.FailNow()
	}
	eventually(b, 30*time.Minute, fmt.Sprintf("%d managed resources Ready", n), func() (bool, string) {
		ready := countReady(ctx, b, e.kube, labels)
		return ready == n, fmt.Sprintf("%d of %d Ready", ready, n)
	})
	allReady := time.Since(t0)
	b.Logf("%d managed resources Ready %s after the first create", n, allReady.Round(time.Second))

	// Settled: no reconcile for 10 seconds (bounded).
	settleBy := time.Now().Add(3 * time.Minute)
	last := scrape(b, metricsAddr)
	for time.Now().Before(settleBy) {
		select {
		case <-time.After(10 * time.Second): // a measurement window, not a synchronisation
		case <-r.exited:
			b.Fatalf("the controller exited")
		}
		now := scrape(b, metricsAddr)
		if now.reconciles == last.reconciles {
			break
		}
		last = now
	}
	rss, hwm := memory(b, r.cmd.Process.Pid)

	before, harborBefore := scrape(b, metricsAddr), harborWrites.Load()
	select {
	case <-time.After(quiet):
	case <-r.exited:
		b.Fatalf("the controller exited")
	}
	after, harborAfter := scrape(b, metricsAddr), harborWrites.Load()
	minutes := quiet.Minutes()
	b.Logf("quiet window of %s: %d reconciles, %d API server writes (%v), %d Harbor writes", quiet,
		after.reconciles-before.reconciles, after.writes-before.writes, after.writesByMethod, harborAfter-harborBefore)

	// Drift: edit the description in three site records from outside.
	var drift []time.Duration
	for i := 0; i < 3 && i < n; i++ {
		name := objects[i*10].GetName()
		d, err := siteDrift(ctx, e.kube, e.platform.Namespace, name)
		if err != nil {
			b.Fatalf("drift of site %s: %v", name, err)
		}
		drift = append(drift, d)
	}
	b.Logf("drift corrected after %v", drift)

	// Said at once: the figures are otherwise printed after the cleanup,
	// which deletes every object through the controller and takes minutes.
	fmt.Printf("controller at scale: %d objects Ready in %s; RSS %d KiB (peak %d KiB); over %s: %d reconciles, %d API server writes, %d Harbor writes; drift corrected after %v\n",
		n, allReady.Round(time.Second), rss, hwm, quiet, after.reconciles-before.reconciles, after.writes-before.writes, harborAfter-harborBefore, drift)
	fmt.Printf("BENCHMD-COLUMNS BenchmarkControllerAtScale: objects rss-MB rss-peak-MB reconciles/min kube-writes/min harbor-writes/min drift-median-ms drift-worst-ms all-ready-s\n")
	fmt.Printf("BENCHMD-NOTE BenchmarkControllerAtScale: one mc-controller process (--poll-interval=1m, --max-concurrent-reconciles=4) over %d%% Sites, %d%% Projects with a Harbor part and %d%% webhook NotificationChannels; RSS after settling; reconciles and writes over a quiet window of %s in which nothing changes; drift = an outside edit of a site record until the controller restored it (goals: RSS at most 150 MB, 0 writes, drift under 2 s)\n", 70, 20, 10, quiet)
	b.ReportMetric(float64(n), "objects")
	b.ReportMetric(allReady.Seconds(), "all-ready-s")
	b.ReportMetric(float64(rss)/1024, "rss-MB")
	b.ReportMetric(float64(hwm)/1024, "rss-peak-MB")
	b.ReportMetric(float64(after.reconciles-before.reconciles)/minutes, "reconciles/min")
	b.ReportMetric(float64(after.writes-before.writes)/minutes, "kube-writes/min")
	b.ReportMetric(float64(harborAfter-harborBefore)/minutes, "harbor-writes/min")
	readiness.ReportDurations(b, "drift", drift)
	b.ReportMetric(0, "ns/op")
}

// siteDrift changes the description in site name's record and returns how
// long the controller took to write the Site's description back.
func siteDrift(ctx context.Context, kube client.Client, namespace, name string) (time.Duration, error) {
	key := client.ObjectKey{Namespace: namespace, Name: registry.RecordName(name)}
	var sec corev1.Secret
	if err := kube.Get(ctx, key, &sec); err != nil {
		return 0, err
	}
	var settings map[string]any
	if err := json.Unmarshal(sec.Data["site.json"], &settings); err != nil {
		return 0, fmt.Errorf("cannot decode the record's settings: %w", err)
	}
	want := settings["description"]
	settings["description"] = "changed by hand"
	raw, err := json.Marshal(settings)
	if err != nil {
		return 0, err
	}
	sec.Data["site.json"] = raw
	if err := kube.Update(ctx, &sec); err != nil {
		return 0, err
	}
	changed := time.Now()
	err = pollUntil(ctx, 3*time.Minute, 50*time.Millisecond, func() bool {
		var got corev1.Secret
		if err := kube.Get(ctx, key, &got); err != nil {
			return false
		}
		var s map[string]any
		return json.Unmarshal(got.Data["site.json"], &s) == nil && s["description"] == want
	})
	return time.Since(changed), err
}

// pollUntil calls done every interval until it holds or timeout passes.
func pollUntil(ctx context.Context, timeout, interval time.Duration, done func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// countReady counts the Ready and Synced Sites, Projects and
// NotificationChannels labelled labels.
func countReady(ctx context.Context, tb testing.TB, kube client.Client, labels map[string]string) int {
	var sites v1alpha1.SiteList
	var projects v1alpha1.ProjectList
	var channels v1alpha1.NotificationChannelList
	if err := kube.List(ctx, &sites, client.MatchingLabels(labels)); err != nil {
		tb.Logf("cannot list Sites: %v", err)
		return 0
	}
	if err := kube.List(ctx, &projects, client.MatchingLabels(labels)); err != nil {
		tb.Logf("cannot list Projects: %v", err)
		return 0
	}
	if err := kube.List(ctx, &channels, client.MatchingLabels(labels)); err != nil {
		tb.Logf("cannot list NotificationChannels: %v", err)
		return 0
	}
	ready := 0
	for _, s := range sites.Items {
		if readyAndSynced(s.Status.ResourceStatus, s.Generation) {
			ready++
		}
	}
	for _, p := range projects.Items {
		if readyAndSynced(p.Status.ResourceStatus, p.Generation) {
			ready++
		}
	}
	for _, c := range channels.Items {
		if readyAndSynced(c.Status.ResourceStatus, c.Generation) {
			ready++
		}
	}
	return ready
}

// deleteAll deletes objects and waits until they are gone.
func deleteAll(tb testing.TB, kube client.Client, objects []client.Object) {
	ctx := context.Background()
	forEach(objects, 8, func(o client.Object) { _ = kube.Delete(ctx, o) })
	err := pollUntil(ctx, 15*time.Minute, 2*time.Second, func() bool {
		left := 0
		for _, o := range objects {
			if err := kube.Get(ctx, client.ObjectKeyFromObject(o), o); err == nil {
				left++
			}
		}
		return left == 0
	})
	if err != nil {
		tb.Errorf("the managed resources were not all deleted: %v", err)
	}
}

// forEach calls f for every object, workers at a time.
func forEach(objects []client.Object, workers int, f func(client.Object)) {
	work := make(chan client.Object)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for o := range work {
				f(o)
			}
		})
	}
	for _, o := range objects {
		work <- o
	}
	close(work)
	wg.Wait()
}

// metricsSample is what the controller's metrics endpoint said.
type metricsSample struct {
	reconciles     int64
	writes         int64
	writesByMethod map[string]int64
}

// scrape reads the controller's reconcile count and its writes to the API
// server from its Prometheus metrics.
func scrape(tb testing.TB, addr string) metricsSample {
	tb.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		tb.Fatalf("cannot read the controller's metrics: %v", err)
	}
	defer resp.Body.Close()
	m := metricsSample{writesByMethod: map[string]int64{}}
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := s.Text()
		name, labels, value, ok := parseSample(line)
		if !ok {
			continue
		}
		switch name {
		case "controller_runtime_reconcile_total":
			m.reconciles += value
		case "rest_client_requests_total":
			method := labels["method"]
			if method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" {
				m.writes += value
				m.writesByMethod[method] += value
			}
		}
	}
	return m
}

// parseSample parses one Prometheus text-format sample line.
func parseSample(line string) (name string, labels map[string]string, value int64, ok bool) {
	if line == "" || line[0] == '#' {
		return "", nil, 0, false
	}
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return "", nil, 0, false
	}
	f, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return "", nil, 0, false
	}
	head := line[:sp]
	labels = map[string]string{}
	if i := strings.IndexByte(head, '{'); i >= 0 {
		name = head[:i]
		for _, kv := range strings.Split(strings.TrimSuffix(head[i+1:], "}"), ",") {
			if k, v, found := strings.Cut(kv, "="); found {
				labels[k] = strings.Trim(v, `"`)
			}
		}
	} else {
		name = head
	}
	return name, labels, int64(f), true
}

// memory returns the resident set size and its peak of process pid, in KiB.
func memory(tb testing.TB, pid int) (rss, hwm int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatalf("cannot read the controller's memory: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm
}

// freeAddress returns a loopback address with a port free right now.
func freeAddress(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randomLetters(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rand.IntN(26))
	}
	return string(b)
}
