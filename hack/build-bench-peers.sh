#!/usr/bin/env bash
# Builds the peer providers the plan benchmark measures ours against, and
# caches them outside the repository keyed by version, like the test plane:
# hashicorp/terraform-provider-kubernetes (kubernetes_config_map_v1, the typed
# peer, and kubernetes_manifest, the manifest peer) from a 2026-08 commit
# (its v2 tags are not served by the module proxy). A second run finds the
# binary cached and returns at once. Only `make bench` needs it.
#
# Prints the binary's path.
# Environment: MC_CACHE_DIR (default ~/.cache/mc-sandbox).
set -euo pipefail

CACHE="${MC_CACHE_DIR:-$HOME/.cache/mc-sandbox}"
KUBERNETES_PROVIDER_VERSION=v1.13.4-0.20260821094251-3a33fb6cc605
dir="$CACHE/bench/terraform-provider-kubernetes-$KUBERNETES_PROVIDER_VERSION"
bin="$dir/terraform-provider-kubernetes"
mkdir -p "$dir"

exec 9>"$CACHE/bench.lock"
flock 9
if [ ! -x "$bin" ]; then
  printf '[bench] building terraform-provider-kubernetes %s (about 3 minutes)\n' "$KUBERNETES_PROVIDER_VERSION" >&2
  GOBIN="$dir" GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 \
    go install "github.com/hashicorp/terraform-provider-kubernetes@$KUBERNETES_PROVIDER_VERSION"
fi
echo "$bin"
