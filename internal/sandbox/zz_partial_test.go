package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestZZPartial(t *testing.T) {
	if os.Getenv("PARTIAL") == "" {
		t.Skip()
	}
	dir := t.TempDir()
	cache := DefaultCacheDir()
	bin := filepath.Join(cache, "bin")
	b := &binaries{etcd: filepath.Join(bin, "etcd-"+EtcdVersion), apiserver: filepath.Join(bin, "kube-apiserver-"+KubeVersion), kwok: filepath.Join(bin, "kwok-"+KwokVersion), kcm: filepath.Join(bin, "kube-controller-manager-"+KubeVersion), scheduler: filepath.Join(bin, "kube-scheduler-"+KubeVersion),
		kwokStages: filepath.Join(cache, "kwok-stages-"+KwokVersion), capiCRDs: filepath.Join(cache, "capi-"+CAPIVersion+"-crds")}
	o := Options{StateDir: dir, Nodes: 2, Logf: t.Logf}
	if err := prepareStateDir(dir); err != nil {
		t.Fatal(err)
	}
	s := &starter{o: o, bins: b, started: time.Now()}
	s.pki = newPKI(s.state("pki"))
	s.p = &Platform{StateDir: dir, KubeconfigPath: s.state("kubeconfig"), GitRoot: s.state("git"), GitUsername: "u", GitPassword: "p"}
	defer Down(dir)
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.step("certs", s.pki.ensure))
	s.p.CACertPEM, s.p.adminCertPEM, s.p.adminKeyPEM = s.pki.caPEM, s.pki.adminCertPEM, s.pki.adminKeyPEM
	must(parallel(func() error { return s.step("etcd", func() error { return s.startEtcd(ctx) }) },
		func() error { return s.step("redis", func() error { return s.startRedis(ctx) }) }))
	must(s.step("apiserver", func() error { return s.startAPIServer(ctx) }))
	must(parallel(
		func() error { return s.step("kwok", func() error { return s.startKwok(ctx) }) },
		func() error { return s.step("capi", func() error { return s.installCRDs(ctx, b.capiCRDs, nil) }) },
		func() error { return s.step("mc", func() error { return s.setupMCSystem(ctx) }) },
		func() error { return s.step("kcm", func() error { return s.startKCM(ctx) }) },
		func() error { return s.step("sched", func() error { return s.startScheduler(ctx) }) },
	))
	must(parallel(
		func() error { return s.step("nodes ready", func() error { return s.waitNodes(ctx) }) },
		func() error { return s.step("default sa", func() error { return s.waitDefaultSA(ctx) }) },
	))
	if os.Getenv("KEEP") != "" {
		t.Logf("kubeconfig %s", s.p.KubeconfigPath)
		time.Sleep(10 * time.Minute)
	}
	time.Sleep(5 * time.Second)
	out, _ := os.ReadFile(s.state("logs", "kwok.log"))
	t.Logf("kwok log: %s", out)
	n, _ := s.cs.CoreV1().Nodes().List(ctx, metav1ListOptions())
	for _, x := range n.Items {
		t.Logf("node %s conds %v", x.Name, x.Status.Conditions)
	}
}

func metav1ListOptions() metav1.ListOptions { return metav1.ListOptions{} }
