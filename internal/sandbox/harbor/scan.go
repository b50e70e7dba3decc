package harborsim

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The simulator's scanner. Harbor scans through a pluggable scanner (Trivy by
// default) with a vulnerability database it downloads; none can be downloaded
// here, so the simulator's scanner reads the image's layers for real and
// matches the packages it finds against a small vulnerability list the caller
// provides (Options.Vulnerabilities and Options.VulnerabilityFile).
//
// Packages found: Debian's dpkg status database (var/lib/dpkg/status), Alpine's
// apk database (lib/apk/db/installed), and Go binaries' build information
// (debug/buildinfo: the main module and its dependencies at their versions,
// and the package "stdlib" at the Go version without its "go" prefix).

// Report MIME types (src/pkg/scan/rest/v1/spec.go).
const (
	mimeVulnerabilityReport = "application/vnd.security.vulnerability.report; version=1.1"
	mimeNativeReport        = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
)

// scannerName etc. describe the simulator's scanner as Harbor's Scanner does.
const (
	scannerName    = "Trivy"
	scannerVendor  = "Aqua Security"
	scannerVersion = "v0.0.0-sim"
)

// severities from the least to the most severe (src/pkg/scan/vuln/severity.go).
var reportSeverities = []string{"None", "Unknown", "Negligible", "Low", "Medium", "High", "Critical"}

func severityRank(s string) int { return slices.Index(reportSeverities, s) }

// Vulnerability is one entry of the simulator's vulnerability list: a package
// and the versions of it that are affected.
type Vulnerability struct {
	// ID is the vulnerability's id, such as CVE-2026-0001.
	ID string `json:"id"`
	// Package is the package's name (a dpkg or apk package, a Go module
	// path, or "stdlib" for Go's standard library).
	Package string `json:"package"`
	// Versions are the affected versions, exactly.
	Versions []string `json:"versions,omitempty"`
	// FixVersion is the first fixed version; when Versions is empty, every
	// version below it is affected.
	FixVersion string `json:"fix_version,omitempty"`
	// Severity is one of None, Unknown, Negligible, Low, Medium, High,
	// Critical.
	Severity string `json:"severity"`
	// Description says what it is.
	Description string `json:"description,omitempty"`
}

func (v Vulnerability) validate() error {
	if v.ID == "" || v.Package == "" {
		return fmt.Errorf("vulnerability %q: id and package are required", v.ID)
	}
	if severityRank(v.Severity) < 0 {
		return fmt.Errorf("vulnerability %s: unknown severity %q (want one of %s)", v.ID, v.Severity, strings.Join(reportSeverities, ", "))
	}
	if len(v.Versions) == 0 && v.FixVersion == "" {
		return fmt.Errorf("vulnerability %s: give the affected versions or the fix version", v.ID)
	}
	return nil
}

// affects tells whether version of the package is affected.
func (v Vulnerability) affects(pkg, version string) bool {
	if pkg != v.Package {
		return false
	}
	if len(v.Versions) > 0 {
		return slices.Contains(v.Versions, version)
	}
	return compareVersions(version, v.FixVersion) < 0
}

// compareVersions compares dotted versions ("1.2.10" > "1.2.9"), numerically
// where both parts are numbers; a leading "v" is ignored.
func compareVersions(a, b string) int {
	split := func(s string) []string {
		return strings.FieldsFunc(strings.TrimPrefix(s, "v"), func(r rune) bool { return r == '.' || r == '-' || r == '+' || r == '~' || r == ':' })
	}
	pa, pb := split(a), split(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		if i >= len(pa) {
			return -1
		}
		if i >= len(pb) {
			return 1
		}
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		switch {
		case ea == nil && eb == nil:
			if na != nb {
				return cmpInt(na, nb)
			}
		case pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return 0
}

func cmpInt(a, b int) int {
	if a < b {
		return -1
	}
	return 1
}

// AddVulnerabilities merges vs into the vulnerability list file at path (by
// id: a later entry replaces an earlier one with the same id), under an
// exclusive lock, so that several test processes sharing one running
// platform can add their entries at once. A scan re-reads the file.
func AddVulnerabilities(path string, vs ...Vulnerability) error {
	for _, v := range vs {
		if err := v.validate(); err != nil {
			return err
		}
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("cannot lock the vulnerability list: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("cannot lock the vulnerability list: %w", err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	list, err := readVulnerabilityFile(path)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(mergeVulnerabilities(list, vs), "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("cannot write the vulnerability list: %w", err)
	}
	return os.Rename(tmp, path)
}

// mergeVulnerabilities merges lists by id, a later entry replacing an
// earlier one with the same id, in the order of the ids.
func mergeVulnerabilities(lists ...[]Vulnerability) []Vulnerability {
	byID := map[string]Vulnerability{}
	for _, list := range lists {
		for _, v := range list {
			byID[v.ID] = v
		}
	}
	out := make([]Vulnerability, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		out = append(out, byID[id])
	}
	return out
}

// readVulnerabilityFile reads a list written by AddVulnerabilities; a
// missing file is an empty list.
func readVulnerabilityFile(path string) ([]Vulnerability, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the vulnerability list: %w", err)
	}
	var list []Vulnerability
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("cannot decode the vulnerability list %s: %w", filepath.Base(path), err)
	}
	return list, nil
}

// installedPackage is a package found in an image.
type installedPackage struct {
	name, version string
}

// finding is a vulnerability found in an image.
type finding struct {
	Vulnerability
	installed string
}

// scanReport is an artifact's latest vulnerability report.
type scanReport struct {
	id         string
	status     string // Pending, Running, Success, Error
	start, end time.Time
	findings   []finding
	log        []string
}

func (r *scanReport) severity() string {
	if r.status != "Success" {
		return ""
	}
	worst := "None"
	for _, f := range r.findings {
		if severityRank(f.Severity) > severityRank(worst) {
			worst = f.Severity
		}
	}
	return worst
}

type scannerJSON struct {
	Name    string `json:"name"`
	Vendor  string `json:"vendor"`
	Version string `json:"version"`
}

var simScanner = scannerJSON{Name: scannerName, Vendor: scannerVendor, Version: scannerVersion}

type summaryJSON struct {
	Total   int            `json:"total"`
	Fixable int            `json:"fixable"`
	Summary map[string]int `json:"summary"`
}

// overviewJSON is Harbor's NativeReportSummary.
type overviewJSON struct {
	ReportID        string       `json:"report_id"`
	ScanStatus      string       `json:"scan_status"`
	Severity        string       `json:"severity,omitempty"`
	Duration        int64        `json:"duration"`
	Summary         *summaryJSON `json:"summary,omitempty"`
	StartTime       time.Time    `json:"start_time,omitzero"`
	EndTime         time.Time    `json:"end_time,omitzero"`
	CompletePercent int          `json:"complete_percent"`
	Scanner         scannerJSON  `json:"scanner"`
}

func (r *scanReport) overview() overviewJSON {
	o := overviewJSON{ReportID: r.id, ScanStatus: r.status, StartTime: r.start, EndTime: r.end, Scanner: simScanner}
	if !r.end.IsZero() {
		o.Duration = int64(r.end.Sub(r.start).Round(time.Second) / time.Second)
		o.CompletePercent = 100
	}
	if r.status == "Success" {
		o.Severity = r.severity()
		sum := &summaryJSON{Summary: map[string]int{}}
		for _, f := range r.findings {
			sum.Total++
			if f.FixVersion != "" {
				sum.Fixable++
			}
			sum.Summary[f.Severity]++
		}
		o.Summary = sum
	}
	return o
}

// acceptedReportMime picks the report MIME type from X-Accept-Vulnerabilities
// as Harbor does (the first it knows); the generic report by default.
func acceptedReportMime(r *http.Request) string {
	for _, m := range strings.Split(r.Header.Get("X-Accept-Vulnerabilities"), ",") {
		m = strings.TrimSpace(m)
		if m == mimeVulnerabilityReport || m == mimeNativeReport {
			return m
		}
	}
	return mimeVulnerabilityReport
}

// scanArtifact is POST .../artifacts/{reference}/scan
// (src/server/v2.0/handler/scan.go ScanArtifact, src/controller/scan
// base_controller.go Scan): scan:create on the project; 404 for an unknown
// artifact; 409 while the artifact's previous scan is still going (the
// report placeholder conflicts, src/pkg/scan/vulnerability/vul.go); 202 and
// the scan runs in the background.
func (s *Server) scanArtifact(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ScanType string `json:"scan_type"`
	}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err == nil && len(bytes.TrimSpace(data)) > 0 {
			err = json.Unmarshal(data, &body)
		}
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "validation failure list:\nparsing scanType body from \"\" failed, because %v", err)
			return
		}
	}
	switch body.ScanType {
	case "", "vulnerability":
	case "sbom":
		writeError(w, http.StatusBadRequest, codeBadRequest, "the configured scanner %s does not support scan type sbom", scannerName)
		return
	default:
		writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "validation failure list:\nscan_type in body should be one of [vulnerability sbom]")
		return
	}
	s.maybeSync(r.Context())
	s.mu.Lock()
	p := s.lookupProject(w, r)
	if p == nil {
		s.mu.Unlock()
		return
	}
	repo, ok := repositoryOf(w, r, p.name)
	if !ok {
		s.mu.Unlock()
		return
	}
	if !principalOf(r).can("project", p.name, "scan", "create") {
		s.mu.Unlock()
		deny(w, principalOf(r))
		return
	}
	ref := r.PathValue("reference")
	a := s.findArtifact(p.id, repo, ref)
	if a == nil {
		s.mu.Unlock()
		artifactNotFound(w, repo, ref)
		return
	}
	if a.typ != "IMAGE" {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, codeBadRequest, "the configured scanner %s does not support scanning artifact with mime type %s", scannerName, a.mediaType)
		return
	}
	if old := s.scans[a.id]; old != nil && (old.status == "Pending" || old.status == "Running") {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, codeConflict, "a previous scan process is %s", old.status)
		return
	}
	s.startScanLocked(a)
	s.mu.Unlock()
	w.Header().Set("X-Request-Id", requestID())
	w.WriteHeader(http.StatusAccepted)
}

// startScanLocked starts a scan of a in the background; callers hold s.mu.
func (s *Server) startScanLocked(a *artifact) {
	rep := &scanReport{id: uuidLike(), status: "Pending", start: s.now()}
	s.scans[a.id] = rep
	repoName, digest := a.repoName, a.digest
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runScan(rep, repoName, digest)
	}()
}

// autoScanLocked scans a newly pushed artifact when its project has the
// metadata auto_scan "true", as Harbor's scan-on-push does; callers hold s.mu.
func (s *Server) autoScanLocked(repo, digest string) {
	projectName, _, _ := strings.Cut(repo, "/")
	p := s.projectByName(projectName)
	if p == nil || p.metadata["auto_scan"] != "true" {
		return
	}
	a := s.findArtifact(p.id, repo, digest)
	if a == nil || a.typ != "IMAGE" {
		return
	}
	if old := s.scans[a.id]; old != nil && (old.status == "Pending" || old.status == "Running") {
		return
	}
	s.startScanLocked(a)
}

// uuidLike returns a random id shaped like Harbor's report ids (UUIDs).
func uuidLike() string {
	h := requestID() + requestID()
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// runScan scans repo@digest from the registry behind this Harbor and
// records the report.
func (s *Server) runScan(rep *scanReport, repo, digest string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	s.mu.Lock()
	rep.status = "Running"
	ep := s.opts.Registry
	s.mu.Unlock()
	var findings []finding
	var log []string
	pkgs, err := s.imagePackages(ctx, ep, repo, digest)
	if err == nil {
		var list []Vulnerability
		list, err = s.vulnerabilityList()
		log = append(log, fmt.Sprintf("scanned %s@%s: %d packages, %d known vulnerabilities", repo, digest, len(pkgs), len(list)))
		for _, p := range pkgs {
			for _, v := range list {
				if v.affects(p.name, p.version) {
					findings = append(findings, finding{Vulnerability: v, installed: p.version})
					log = append(log, fmt.Sprintf("%s %s %s: %s (%s)", v.ID, p.name, p.version, v.Severity, v.Description))
				}
			}
		}
	}
	sort.Slice(findings, func(i, j int) bool {
		if a, b := severityRank(findings[i].Severity), severityRank(findings[j].Severity); a != b {
			return a > b
		}
		return findings[i].ID < findings[j].ID
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	rep.end = s.now()
	rep.findings = findings
	rep.log = log
	rep.status = "Success"
	if err != nil {
		rep.status = "Error"
		rep.log = append(rep.log, "scan failed: "+err.Error())
	}
}

// vulnerabilityList is Options.Vulnerabilities and the file's entries (the
// file wins on the same id).
func (s *Server) vulnerabilityList() ([]Vulnerability, error) {
	fromFile, err := readVulnerabilityFile(s.opts.VulnerabilityFile)
	if err != nil {
		return nil, err
	}
	return mergeVulnerabilities(s.opts.Vulnerabilities, fromFile), nil
}

// maxScannedFile bounds the files the scanner reads into memory.
const maxScannedFile = 256 << 20

// imagePackages pulls repo@digest from the registry endpoint and lists the
// packages in its flattened filesystem.
func (s *Server) imagePackages(ctx context.Context, ep Endpoint, repo, digest string) ([]installedPackage, error) {
	if ep.URL == "" {
		return nil, errors.New("no registry behind this Harbor")
	}
	reg, err := registryOf(ep)
	if err != nil {
		return nil, err
	}
	ref, err := name.NewDigest(reg.Name()+"/"+repo+"@"+digest, nameOptions(reg)...)
	if err != nil {
		return nil, err
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(endpointTransport(ep))}
	if ep.Username != "" || ep.Password != "" {
		opts = append(opts, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: ep.Username, Password: ep.Password})))
	}
	img, err := remote.Image(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot pull %s@%s: %w", repo, digest, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	return packagesInTar(rc)
}

func nameOptions(reg name.Registry) []name.Option {
	if reg.Scheme() == "http" {
		return []name.Option{name.Insecure}
	}
	return nil
}

// packagesInTar lists the packages in a filesystem tar.
func packagesInTar(r io.Reader) ([]installedPackage, error) {
	var pkgs []installedPackage
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the image's layers: %w", err)
		}
		if h.Typeflag != tar.TypeReg || h.Size > maxScannedFile {
			continue
		}
		p := strings.TrimPrefix(filepath.ToSlash(filepath.Clean("/"+h.Name)), "/")
		switch {
		case p == "var/lib/dpkg/status":
			pkgs = append(pkgs, parsePackageDB(tr, "Package:", "Version:")...)
		case p == "lib/apk/db/installed":
			pkgs = append(pkgs, parsePackageDB(tr, "P:", "V:")...)
		case h.Mode&0o111 != 0 && h.Size > 4:
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("cannot read %s: %w", p, err)
			}
			pkgs = append(pkgs, goModules(data)...)
		}
	}
	return pkgs, nil
}

// parsePackageDB reads a dpkg status or apk installed database: stanzas
// separated by blank lines, with the name and version after their keys.
func parsePackageDB(r io.Reader, nameKey, versionKey string) []installedPackage {
	var out []installedPackage
	var cur installedPackage
	flush := func() {
		if cur.name != "" && cur.version != "" {
			out = append(out, cur)
		}
		cur = installedPackage{}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, nameKey):
			cur.name = strings.TrimSpace(strings.TrimPrefix(line, nameKey))
		case strings.HasPrefix(line, versionKey):
			cur.version = strings.TrimSpace(strings.TrimPrefix(line, versionKey))
		}
	}
	flush()
	return out
}

// goModules reads a Go binary's build information: the standard library at
// the Go version, the main module and the dependencies (their replacements
// where replaced). Anything else gives nothing.
func goModules(data []byte) []installedPackage {
	if !bytes.HasPrefix(data, []byte("\x7fELF")) {
		return nil
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	out := []installedPackage{{name: "stdlib", version: strings.TrimPrefix(bi.GoVersion, "go")}}
	if bi.Main.Path != "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		out = append(out, installedPackage{name: bi.Main.Path, version: bi.Main.Version})
	}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		out = append(out, installedPackage{name: d.Path, version: d.Version})
	}
	return out
}

type vulnerabilityItemJSON struct {
	ID          string   `json:"id"`
	Package     string   `json:"package"`
	Version     string   `json:"version"`
	FixVersion  string   `json:"fix_version"`
	Severity    string   `json:"severity"`
	Description string   `json:"description"`
	Links       []string `json:"links"`
	// ArtifactDigests are the digests the finding was found in.
	ArtifactDigests []string `json:"artifact_digests"`
}

type reportJSON struct {
	GeneratedAt     string                  `json:"generated_at"`
	Scanner         scannerJSON             `json:"scanner"`
	Severity        string                  `json:"severity"`
	Vulnerabilities []vulnerabilityItemJSON `json:"vulnerabilities"`
}

// getVulnerabilities is GET .../artifacts/{reference}/additions/vulnerabilities
// (src/server/v2.0/handler/artifact.go GetVulnerabilitiesAddition):
// artifact-addition:read; the report of the first accepted MIME type keyed
// by it, or {} when the artifact has no finished report.
func (s *Server) getVulnerabilities(w http.ResponseWriter, r *http.Request) {
	s.maybeSync(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProject(w, r)
	if p == nil {
		return
	}
	repo, ok := repositoryOf(w, r, p.name)
	if !ok {
		return
	}
	if !principalOf(r).can("project", p.name, "artifact-addition", "read") {
		deny(w, principalOf(r))
		return
	}
	ref := r.PathValue("reference")
	a := s.findArtifact(p.id, repo, ref)
	if a == nil {
		artifactNotFound(w, repo, ref)
		return
	}
	out := map[string]reportJSON{}
	if rep := s.scans[a.id]; rep != nil && rep.status == "Success" {
		body := reportJSON{GeneratedAt: rep.end.UTC().Format(time.RFC3339Nano), Scanner: simScanner, Severity: rep.severity(),
			Vulnerabilities: []vulnerabilityItemJSON{}}
		for _, f := range rep.findings {
			body.Vulnerabilities = append(body.Vulnerabilities, vulnerabilityItemJSON{ID: f.ID, Package: f.Package,
				Version: f.installed, FixVersion: f.FixVersion, Severity: f.Severity, Description: f.Description,
				Links: []string{"https://avd.aquasec.com/nvd/" + strings.ToLower(f.ID)}, ArtifactDigests: []string{a.digest}})
		}
		out[acceptedReportMime(r)] = body
	}
	writeJSON(w, http.StatusOK, out)
}

// getScanLog is GET .../artifacts/{reference}/scan/{report_id}/log
// (src/server/v2.0/handler/scan.go GetReportLog): scan:read; the log of the
// artifact's report as text; 404 for another report id.
func (s *Server) getScanLog(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProject(w, r)
	if p == nil {
		return
	}
	repo, ok := repositoryOf(w, r, p.name)
	if !ok {
		return
	}
	if !principalOf(r).can("project", p.name, "scan", "read") {
		deny(w, principalOf(r))
		return
	}
	ref := r.PathValue("reference")
	a := s.findArtifact(p.id, repo, ref)
	if a == nil {
		artifactNotFound(w, repo, ref)
		return
	}
	rep := s.scans[a.id]
	if rep == nil || rep.id != r.PathValue("report_id") {
		writeError(w, http.StatusNotFound, codeNotFound, "report %s not found", r.PathValue("report_id"))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, strings.Join(rep.log, "\n")+"\n")
}

// scanOverviewOf returns the scan_overview of an artifact (keyed by the
// accepted report MIME type), or nil when it was never scanned; callers
// hold s.mu.
func (s *Server) scanOverviewOf(r *http.Request, a *artifact) map[string]overviewJSON {
	rep := s.scans[a.id]
	if rep == nil {
		return nil
	}
	return map[string]overviewJSON{acceptedReportMime(r): rep.overview()}
}
