// Package quickstart runs examples/quickstart end to end against the local
// platform with the real terraform and OpenTofu CLIs and the provider binary
// built from the checkout: under injected faults, with a scan of every log,
// state and plan for the run's secrets, with read-only credentials (an
// Atlantis-style plan) and with two root modules planned at once. The tests
// are in files with the build tag platform; see quickstart_platform_test.go.
package quickstart
