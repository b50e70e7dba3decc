package harbor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Scan report MIME types (src/pkg/scan/rest/v1/spec.go): Harbor keys an
// artifact's scan_overview and its vulnerabilities addition by them.
const (
	// MimeTypeVulnerabilityReport is the generic vulnerability report.
	MimeTypeVulnerabilityReport = "application/vnd.security.vulnerability.report; version=1.1"
	// MimeTypeNativeReport is the older native report of the scanner
	// adapter API.
	MimeTypeNativeReport = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
)

// Scan statuses (the job statuses Harbor reports as scan_status).
const (
	ScanStatusPending   = "Pending"
	ScanStatusRunning   = "Running"
	ScanStatusScheduled = "Scheduled"
	ScanStatusStopped   = "Stopped"
	ScanStatusError     = "Error"
	ScanStatusSuccess   = "Success"
)

// Severities, from the least to the most severe (src/pkg/scan/vuln/severity.go).
var Severities = []string{"None", "Unknown", "Negligible", "Low", "Medium", "High", "Critical"}

// SeverityRank orders severities: a higher rank is more severe; an unknown
// name ranks as Unknown.
func SeverityRank(s string) int {
	for i, x := range Severities {
		if x == s {
			return i
		}
	}
	return 1
}

// Scanner names the scanner that made a report.
type Scanner struct {
	Name    string `json:"name"`
	Vendor  string `json:"vendor"`
	Version string `json:"version"`
}

// VulnerabilitySummary counts the vulnerabilities of a report.
type VulnerabilitySummary struct {
	Total   int            `json:"total"`
	Fixable int            `json:"fixable"`
	Summary map[string]int `json:"summary"`
}

// ScanOverview is Harbor's NativeReportSummary: the state and summary of an
// artifact's latest vulnerability scan.
type ScanOverview struct {
	ReportID        string                `json:"report_id"`
	ScanStatus      string                `json:"scan_status"`
	Severity        string                `json:"severity"`
	Duration        int64                 `json:"duration"`
	Summary         *VulnerabilitySummary `json:"summary,omitempty"`
	StartTime       time.Time             `json:"start_time,omitzero"`
	EndTime         time.Time             `json:"end_time,omitzero"`
	CompletePercent int                   `json:"complete_percent"`
	Scanner         *Scanner              `json:"scanner,omitempty"`
}

// Finished tells whether the scan ended, well or not.
func (o *ScanOverview) Finished() bool {
	switch o.ScanStatus {
	case ScanStatusSuccess, ScanStatusError, ScanStatusStopped:
		return true
	}
	return false
}

// Vulnerability is one finding of a report (src/pkg/scan/vuln/report.go
// VulnerabilityItem).
type Vulnerability struct {
	ID          string   `json:"id"`
	Package     string   `json:"package"`
	Version     string   `json:"version"`
	FixVersion  string   `json:"fix_version"`
	Severity    string   `json:"severity"`
	Description string   `json:"description"`
	Links       []string `json:"links"`
}

// VulnerabilityReport is a scan report with its findings.
type VulnerabilityReport struct {
	GeneratedAt     string          `json:"generated_at"`
	Scanner         *Scanner        `json:"scanner"`
	Severity        string          `json:"severity"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

// ScanArtifact asks Harbor to scan project/repository at reference (a digest
// or a tag) for vulnerabilities. Harbor answers 202 and scans in the
// background; a scan still going answers 409 (IsConflict).
func (c *Client) ScanArtifact(ctx context.Context, project, repository, reference string) error {
	p := artifactsPath(project, repository) + "/" + url.PathEscape(reference) + "/scan"
	body := map[string]string{"scan_type": "vulnerability"}
	if _, err := c.do(ctx, request{method: http.MethodPost, path: p, body: body, wantAny: true}); err != nil {
		err = c.projectErr(ctx, project, err)
		return fmt.Errorf("cannot scan %s/%s@%s: %w", project, repository, reference, err)
	}
	return nil
}

// GetArtifactScan returns the overview of the artifact's latest
// vulnerability scan, or nil when it was never scanned.
func (c *Client) GetArtifactScan(ctx context.Context, project, repository, reference string) (*ScanOverview, error) {
	var out struct {
		ScanOverview map[string]ScanOverview `json:"scan_overview"`
	}
	p := artifactsPath(project, repository) + "/" + url.PathEscape(reference)
	q := url.Values{"with_scan_overview": {"true"}, "with_tag": {"false"}}
	h := http.Header{"X-Accept-Vulnerabilities": {MimeTypeVulnerabilityReport + ", " + MimeTypeNativeReport}}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: p, query: q, header: h, out: &out}); err != nil {
		err = c.projectErr(ctx, project, err)
		return nil, fmt.Errorf("cannot get the scan of %s/%s@%s: %w", project, repository, reference, err)
	}
	for _, mt := range []string{MimeTypeVulnerabilityReport, MimeTypeNativeReport} {
		if o, ok := out.ScanOverview[mt]; ok {
			return &o, nil
		}
	}
	return nil, nil
}

// ListArtifactVulnerabilities returns the findings of the artifact's latest
// vulnerability report; none when it was never scanned.
func (c *Client) ListArtifactVulnerabilities(ctx context.Context, project, repository, reference string) ([]Vulnerability, error) {
	var raw []byte
	p := artifactsPath(project, repository) + "/" + url.PathEscape(reference) + "/additions/vulnerabilities"
	h := http.Header{"X-Accept-Vulnerabilities": {MimeTypeVulnerabilityReport + ", " + MimeTypeNativeReport}}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: p, header: h, raw: &raw}); err != nil {
		err = c.projectErr(ctx, project, err)
		return nil, fmt.Errorf("cannot get the vulnerabilities of %s/%s@%s: %w", project, repository, reference, err)
	}
	var reports map[string]VulnerabilityReport
	if err := json.Unmarshal(raw, &reports); err != nil {
		return nil, fmt.Errorf("cannot decode the vulnerabilities of %s/%s@%s: %w", project, repository, reference, err)
	}
	for _, mt := range []string{MimeTypeVulnerabilityReport, MimeTypeNativeReport} {
		if r, ok := reports[mt]; ok {
			return r.Vulnerabilities, nil
		}
	}
	return nil, nil
}
