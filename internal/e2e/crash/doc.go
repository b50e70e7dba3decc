// Package crash holds the platform tests of issue 16's crashes and
// restarts: a terraform apply killed with SIGKILL after the first backend
// write of each long-running kind and applied again, parts of the platform
// restarted during an apply, and the controller stopped right after it
// called Create. The tests are in files with the build tag platform; this
// package has no code of its own.
package crash
