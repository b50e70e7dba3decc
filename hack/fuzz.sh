#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 1m; go test -fuzztime,
# so 10000x counts executions instead), one after the other: go test
# -fuzz takes one target of one package at a time. A failure leaves its
# input under the package's testdata/fuzz, where go test replays it from
# then on; commit it with the fix.
#
# Environment: GO (default go), FUZZTIME (default 1m), FUZZ_PARALLEL (go
# test -parallel, the fuzzing workers; default 2), FUZZ_TARGETS (a
# space-separated subset of the package:Target pairs below).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
targets=${FUZZ_TARGETS:-"
./internal/engine:FuzzImportIDs
./internal/engine:FuzzCheckURL
./internal/engine:FuzzCheckBranchName
./internal/backend/kube:FuzzParseKubeconfig
./internal/engine/helmrelease/chart:FuzzCanonicalValues
./internal/sandbox/harbor:FuzzCronAgrees
./internal/sandbox/harbor:FuzzFilterPattern
./internal/sandbox/harbor:FuzzRequests
./internal/sandbox/bitbucket:FuzzRequests
./internal/sandbox/jira:FuzzRequests
"}
failed=0
for t in $targets; do
	pkg=${t%%:*} name=${t##*:}
	if ! out=$("$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "${FUZZTIME:-1m}" -parallel "${FUZZ_PARALLEL:-2}" "$pkg" 2>&1); then
		echo "$out" >&2
		echo "fuzz: FAILED $pkg $name" >&2
		failed=1
		continue
	fi
	# The last progress line says how many inputs ran.
	echo "fuzz: $pkg $name: $(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2) execs, ok" >&2
done
exit "$failed"
