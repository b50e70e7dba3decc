#!/usr/bin/env bash
# Runs every test, unit and platform (go test -tags platform ./...), against
# one local platform shared by all test packages: it starts the platform in
# a temporary state directory, lets sandboxtest.Main of each package reuse it
# (MC_SANDBOX_REUSE=1, MC_SANDBOX_DIR), and always stops it. It fails when a
# test fails, when the platform does not start or stop, and when a part of
# the platform died or was restarted during the tests.
#
# Environment: GO (default go), TEST_TIMEOUT (default 80m), TEST_PARALLEL
# (how many test packages run at once, default 4: internal/provider and
# TEST_PARALLEL - 1 others; go test -p with TEST_PACKAGES),
# TEST_PARALLEL_TESTS (how many tests marked t.Parallel run at once in a
# package, go test -parallel; default 4), TEST_FLAGS (more go test flags,
# e.g. -v), TEST_PACKAGES (default ./...). Tests wait for Cluster API much
# more than they compute, so they share the two cores well; names of the
# objects tests create are unique across packages.
#
# The longest package bounds the wall time: internal/provider (a third of
# the other packages' time put together) runs in a go test of its own,
# started first, beside one go test for every other package, TEST_PARALLEL - 1
# of them at once; with one go test -p over ./... it started among the last,
# in import-path order, and finished minutes after the rest.
# MC_SANDBOX_KEEP=1 leaves the platform running for inspection. FUZZTIME
# (default 3s, 0 for none) is how long each fuzz target runs beside them.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
work=$(mktemp -d "${TMPDIR:-/tmp}/mc-test-XXXXXX")
state=$work/state
sandbox=$work/mc-sandbox

say() { echo "test-platform: $*" >&2; }

finish() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "${MC_SANDBOX_KEEP:-}" = 1 ]; then
		say "MC_SANDBOX_KEEP=1: platform left running in $state (stop it with: $sandbox down --state-dir $state)"
		exit "$rc"
	fi
	if [ -d "$state" ] && ! "$sandbox" down --state-dir "$state" >/dev/null; then
		say "FAILED: cannot stop the platform in $state"
		rc=1
	fi
	if [ "$rc" -eq 0 ]; then
		rm -rf "$work"
	elif [ -d "$state/logs" ]; then
		say "FAILED (exit status $rc); platform logs kept in $state/logs"
	else
		rm -rf "$work"
		say "FAILED (exit status $rc)"
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$GO" build -o "$sandbox" ./cmd/mc-sandbox
t0=$(date +%s)
if ! "$sandbox" up --state-dir "$state"; then
	say "FAILED: the platform did not start"
	exit 1
fi
say "platform up in $(($(date +%s) - t0))s"
"$sandbox" status --state-dir "$state" >"$work/status.before"

t1=$(date +%s)
# The fuzz targets run FUZZTIME each (default 3s; FUZZTIME=0 skips them)
# beside the platform tests, which mostly wait for the platform.
fuzz_pid=
if [ "${FUZZTIME:-3s}" != 0 ]; then
	FUZZTIME=${FUZZTIME:-3s} FUZZ_PARALLEL=1 GO=$GO hack/fuzz.sh &
	fuzz_pid=$!
fi
gotest() {
	# shellcheck disable=SC2086 # TEST_FLAGS is a list
	MC_SANDBOX_REUSE=1 MC_SANDBOX_DIR=$state \
		"$GO" test -tags platform -parallel "${TEST_PARALLEL_TESTS:-4}" -count=1 -timeout "${TEST_TIMEOUT:-80m}" "$@" ${TEST_FLAGS:-}
}
tests_failed=0
if [ -n "${TEST_PACKAGES:-}" ]; then
	# shellcheck disable=SC2086 # TEST_PACKAGES is a list
	gotest -p "${TEST_PARALLEL:-4}" $TEST_PACKAGES || tests_failed=1
else
	provider=$("$GO" list ./internal/provider)
	others=$("$GO" list -tags platform ./... | grep -v -x -e "$provider")
	others_parallel=$((${TEST_PARALLEL:-4} - 1))
	[ "$others_parallel" -ge 1 ] || others_parallel=1
	gotest ./internal/provider/ &
	provider_pid=$!
	# shellcheck disable=SC2086 # a list of packages
	gotest -p "$others_parallel" $others || tests_failed=1
	wait "$provider_pid" || tests_failed=1
fi
say "tests took $(($(date +%s) - t1))s"
if [ "$tests_failed" != 0 ]; then
	say "FAILED: tests failed"
	exit 1
fi
if [ -n "$fuzz_pid" ] && ! wait "$fuzz_pid"; then
	say "FAILED: a fuzz target failed"
	exit 1
fi

# Every part must still run, with the process it was started with: a part
# that died, or a platform restarted by a test, fails the run.
if ! "$sandbox" status --state-dir "$state" >"$work/status.after"; then
	cat "$work/status.after" >&2
	say "FAILED: parts of the shared platform stopped during the tests"
	exit 1
fi
if ! diff -u "$work/status.before" "$work/status.after" >&2; then
	say "FAILED: the shared platform was restarted during the tests"
	exit 1
fi
