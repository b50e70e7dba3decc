package taskrunner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
)

// scan asks the site's Harbor to scan the pushed image, waits for the
// report and fails the step when it finds vulnerabilities at or above the
// run's FailOn (None or empty never fails).
func (r *Runner) scan(ctx context.Context, run *tasksv1.TaskRun) (string, *tasksv1.TaskRunScanSummary, error) {
	if r.Harbor == nil {
		return "", nil, &StepError{Message: "this runner has no Harbor to scan with"}
	}
	img := run.Spec.Image
	digest := run.Status.ImageDigest
	if digest == "" {
		return "", nil, &StepError{Message: "no pushed image to scan"}
	}
	// A scan still going (409) is the one this run asked for before a
	// restart: it is waited for, not asked again.
	if err := r.Harbor.ScanArtifact(ctx, img.Project, img.Repository, digest); err != nil && !harbor.IsConflict(err) {
		return "", nil, &StepError{Message: err.Error()}
	}
	var ov *harbor.ScanOverview
	for {
		o, err := r.Harbor.GetArtifactScan(ctx, img.Project, img.Repository, digest)
		if err != nil {
			return "", nil, &StepError{Message: err.Error()}
		}
		if o != nil && o.Finished() {
			ov = o
			break
		}
		if err := sleep(ctx, r.poll()); err != nil {
			return "", nil, err
		}
	}
	if ov.ScanStatus != harbor.ScanStatusSuccess {
		return "", nil, &StepError{Message: fmt.Sprintf("Harbor's scan of %s ended %s", digest, ov.ScanStatus)}
	}
	sum := &tasksv1.TaskRunScanSummary{}
	if ov.Summary != nil {
		sum.Total, sum.Fixable = int64(ov.Summary.Total), int64(ov.Summary.Fixable)
		for sev, n := range ov.Summary.Summary {
			if n > 0 {
				if sum.Severities == nil {
					sum.Severities = map[string]int64{}
				}
				sum.Severities[sev] = int64(n)
			}
		}
	}
	failOn := run.Spec.Scan.FailOn
	if failOn == "" || failOn == "None" || sum.Total == 0 {
		return fmt.Sprintf("scanned: %s", describeSummary(sum)), sum, nil
	}
	vulns, err := r.Harbor.ListArtifactVulnerabilities(ctx, img.Project, img.Repository, digest)
	if err != nil {
		return "", sum, &StepError{Message: err.Error()}
	}
	threshold := harbor.SeverityRank(failOn)
	for _, v := range vulns {
		if harbor.SeverityRank(v.Severity) >= threshold && !slices.Contains(sum.Vulnerabilities, v.ID) {
			sum.Vulnerabilities = append(sum.Vulnerabilities, v.ID)
		}
	}
	slices.Sort(sum.Vulnerabilities)
	if len(sum.Vulnerabilities) > 0 {
		return "", sum, &StepError{Message: fmt.Sprintf("the scan found %d vulnerabilities at or above %s: %s",
			len(sum.Vulnerabilities), failOn, strings.Join(sum.Vulnerabilities, ", "))}
	}
	return fmt.Sprintf("scanned: %s, none at or above %s", describeSummary(sum), failOn), sum, nil
}

// describeSummary tells the counts of a scan summary.
func describeSummary(s *tasksv1.TaskRunScanSummary) string {
	if s.Total == 0 {
		return "no vulnerabilities"
	}
	var parts []string
	for _, sev := range slices.Backward(harbor.Severities) {
		if n := s.Severities[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	return fmt.Sprintf("%d vulnerabilities (%s)", s.Total, strings.Join(parts, ", "))
}

// replicate executes each replication policy of the run and waits until
// every execution succeeded. An execution recorded in the status (started
// before a restart) is adopted, not started again: its id is written before
// the runner waits on it.
func (r *Runner) replicate(ctx context.Context, run *tasksv1.TaskRun) (string, error) {
	if r.Harbor == nil {
		return "", &StepError{Message: "this runner has no Harbor to replicate with"}
	}
	var done []string
	for _, pol := range run.Spec.Replicate {
		execID := int64(0)
		for _, rs := range run.Status.Replications {
			if rs.PolicyID == pol.PolicyID {
				execID = rs.ExecutionID
			}
		}
		if execID == 0 {
			id, err := r.Harbor.StartReplication(ctx, pol.PolicyID)
			if err != nil {
				return "", &StepError{Message: err.Error()}
			}
			execID = id
			if err := r.setReplication(ctx, run, tasksv1.TaskRunReplicationStatus{PolicyID: pol.PolicyID, ExecutionID: id, Status: harbor.StatusInProgress}); err != nil {
				return "", err
			}
		}
		for {
			ex, err := r.Harbor.GetReplicationExecution(ctx, execID)
			if err != nil {
				return "", &StepError{Message: err.Error()}
			}
			if ex.Done() {
				if err := r.setReplication(ctx, run, tasksv1.TaskRunReplicationStatus{PolicyID: pol.PolicyID, ExecutionID: execID, Status: ex.Status}); err != nil {
					return "", err
				}
				if ex.Status != harbor.StatusSucceed {
					msg := fmt.Sprintf("replication execution %d of policy %d ended %s", execID, pol.PolicyID, ex.Status)
					if ex.StatusText != "" {
						msg += ": " + ex.StatusText
					}
					return "", &StepError{Message: msg}
				}
				break
			}
			if err := sleep(ctx, r.poll()); err != nil {
				return "", err
			}
		}
		to := fmt.Sprintf("policy %d", pol.PolicyID)
		if pol.Site != "" {
			to += " to " + pol.Site
		}
		done = append(done, to)
	}
	return "replicated by " + strings.Join(done, ", "), nil
}

// setReplication records one replication's execution in the run's status.
func (r *Runner) setReplication(ctx context.Context, run *tasksv1.TaskRun, rs tasksv1.TaskRunReplicationStatus) error {
	return r.updateStatus(ctx, run, func(st *tasksv1.TaskRunStatus) {
		for i := range st.Replications {
			if st.Replications[i].PolicyID == rs.PolicyID {
				st.Replications[i] = rs
				return
			}
		}
		st.Replications = append(st.Replications, rs)
	})
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
