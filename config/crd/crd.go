// Package crd embeds CRDs of this directory for the programs that install
// them: the sandbox installs the TaskRun CRD into the platform cluster, where
// its task runner watches TaskRuns.
package crd

import _ "embed"

// TaskRuns is the CRD of tasks.mcplatform.dev/v1alpha1 TaskRun (YAML).
//
//go:embed tasks.mcplatform.dev_taskruns.yaml
var TaskRuns []byte
