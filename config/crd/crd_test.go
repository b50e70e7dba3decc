package crd

import (
	"bytes"
	"os"
	"testing"
)

// TestTaskRunnerCopyIsCurrent: config/taskrunner installs a copy of the
// TaskRun CRD (kustomize reads no file outside its directory); make
// generate refreshes it.
func TestTaskRunnerCopyIsCurrent(t *testing.T) {
	cp, err := os.ReadFile("../taskrunner/crd/tasks.mcplatform.dev_taskruns.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cp, TaskRuns) {
		t.Error("config/taskrunner/crd/tasks.mcplatform.dev_taskruns.yaml differs from config/crd's: run make generate")
	}
}
