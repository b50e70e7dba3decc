package harborsim_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
)

// scanImage is an image whose one layer holds a dpkg status database, an
// apk database and a Go binary (this test binary, with its build info).
func scanImage(t *testing.T) v1.Image {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"var/lib/dpkg/status", 0o644, []byte("Package: openssl\nStatus: install ok installed\nVersion: 3.0.1\n\nPackage: zlib1g\nVersion: 1.2.11\n")},
		{"lib/apk/db/installed", 0o644, []byte("C:Q1abc=\nP:musl\nV:1.2.3\n\nP:busybox\nV:1.36.1\n")},
		{"usr/bin/app", 0o755, bin},
		{"etc/readme", 0o644, []byte("Package: not-a-package\nVersion: 1\n")},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestScan checks Harbor's scan API: a scan is accepted with 202 and runs in
// the background; the overview and the vulnerabilities addition report what
// the layers hold against the vulnerability list, file entries included.
func TestScan(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reg := httptest.NewServer(registry.New())
	t.Cleanup(reg.Close)
	vulnFile := filepath.Join(t.TempDir(), "vulns.json")
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	h, err := harborsim.Start("127.0.0.1:0", harborsim.Options{AdminPassword: sitePassword,
		Users: []string{"gus"}, Passwords: map[string]string{"gus": "Guest-Pass-1"},
		Registry:   harborsim.Endpoint{Name: "Local", URL: reg.URL, Local: true},
		Replicator: &harborsim.OCIReplicator{}, SyncRegistry: true, VulnerabilityFile: vulnFile,
		Vulnerabilities: []harborsim.Vulnerability{
			{ID: "CVE-2026-1000", Package: "openssl", Versions: []string{"3.0.1"}, Severity: "Critical", Description: "heap overflow"},
			{ID: "CVE-2026-1001", Package: "zlib1g", FixVersion: "1.2.12", Severity: "High"},
			{ID: "CVE-2026-1002", Package: "musl", FixVersion: "1.2.0", Severity: "High"}, // 1.2.3 is fixed
			{ID: "CVE-2026-1003", Package: "stdlib", Versions: []string{goVersion}, Severity: "Medium"},
			{ID: "CVE-2026-1004", Package: "not-a-package", Versions: []string{"1"}, Severity: "Critical"}, // not a package database
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	admin, _ := harbor.New(harbor.Config{URL: h.URL, Username: "admin", Password: sitePassword})
	if _, err := admin.CreateProject(ctx, harbor.ProjectReq{ProjectName: "scans"}); err != nil {
		t.Fatal(err)
	}
	img := scanImage(t)
	dg, _ := img.Digest()
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "admin", Password: sitePassword}))
	if err := remote.Write(ref(t, h.URL, "scans/app:1"), img, auth, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}

	if o, err := admin.GetArtifactScan(ctx, "scans", "app", "1"); err != nil || o != nil {
		t.Fatalf("scan overview before any scan = %+v, %v; want none", o, err)
	}
	if vs, err := admin.ListArtifactVulnerabilities(ctx, "scans", "app", "1"); err != nil || len(vs) != 0 {
		t.Fatalf("vulnerabilities before any scan = %+v, %v; want none", vs, err)
	}
	if err := admin.ScanArtifact(ctx, "scans", "app", "2"); harbor.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("scan of a missing tag: %v; want 404", err)
	}
	gus, _ := harbor.New(harbor.Config{URL: h.URL, Username: "gus", Password: "Guest-Pass-1"})
	if err := gus.ScanArtifact(ctx, "scans", "app", "1"); harbor.StatusCode(err) != http.StatusForbidden && harbor.StatusCode(err) != http.StatusNotFound {
		t.Fatalf("scan by a non-member: %v; want 403 or 404", err)
	}

	if err := admin.ScanArtifact(ctx, "scans", "app", dg.String()); err != nil {
		t.Fatal(err)
	}
	if err := h.Server.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := admin.GetArtifactScan(ctx, "scans", "app", "1")
	if err != nil || o == nil {
		t.Fatalf("scan overview = %+v, %v", o, err)
	}
	if o.ScanStatus != harbor.ScanStatusSuccess || o.Severity != "Critical" || o.CompletePercent != 100 || o.ReportID == "" || o.Scanner == nil {
		t.Fatalf("scan overview = %+v; want a finished Critical report", o)
	}
	want := &harbor.VulnerabilitySummary{Total: 3, Fixable: 1, Summary: map[string]int{"Critical": 1, "High": 1, "Medium": 1}}
	if diff := cmp.Diff(want, o.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	vs, err := admin.ListArtifactVulnerabilities(ctx, "scans", "app", "1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID+" "+v.Package+" "+v.Version+" "+v.Severity)
	}
	wantIDs := []string{"CVE-2026-1000 openssl 3.0.1 Critical", "CVE-2026-1001 zlib1g 1.2.11 High", "CVE-2026-1003 stdlib " + goVersion + " Medium"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}

	// Entries added to the file count from the next scan on.
	if err := harborsim.AddVulnerabilities(vulnFile, harborsim.Vulnerability{ID: "CVE-2026-1005", Package: "busybox",
		Versions: []string{"1.36.1"}, Severity: "Low", FixVersion: "1.36.2"}); err != nil {
		t.Fatal(err)
	}
	if err := harborsim.AddVulnerabilities(vulnFile, harborsim.Vulnerability{ID: "CVE-X", Package: "p", Severity: "Bad", Versions: []string{"1"}}); err == nil {
		t.Error("AddVulnerabilities accepted an unknown severity")
	}
	if err := admin.ScanArtifact(ctx, "scans", "app", "1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Server.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	o2, err := admin.GetArtifactScan(ctx, "scans", "app", "1")
	if err != nil || o2.ReportID == o.ReportID || o2.Summary == nil || o2.Summary.Total != 4 || o2.Summary.Summary["Low"] != 1 {
		t.Fatalf("rescan overview = %+v, %v; want a new report with the added Low finding", o2, err)
	}
}

// TestScanOnPush checks that a project with auto_scan scans what is pushed
// into it, and that a second scan while one runs is refused with 409.
func TestScanOnPush(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := newMemSite(t, true)
	if _, err := s.client.CreateProject(ctx, harbor.ProjectReq{ProjectName: "auto", Metadata: map[string]string{"auto_scan": "true"}}); err != nil {
		t.Fatal(err)
	}
	img := scanImage(t)
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "admin", Password: sitePassword}))
	if err := remote.Write(ref(t, s.h.URL, "auto/app:1"), img, auth, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	// The push started a scan; asking for another while it runs may be
	// refused with 409, never anything else.
	if err := s.client.ScanArtifact(ctx, "auto", "app", "1"); err != nil && !harbor.IsConflict(err) {
		t.Fatalf("scan during the scan on push: %v; want nil or 409", err)
	}
	if err := s.h.Server.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := s.client.GetArtifactScan(ctx, "auto", "app", "1")
	if err != nil || o == nil || o.ScanStatus != harbor.ScanStatusSuccess || o.Severity != "None" || o.Summary.Total != 0 {
		t.Fatalf("overview after scan on push = %+v, %v; want a clean finished report", o, err)
	}
}
