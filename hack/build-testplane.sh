#!/usr/bin/env bash
# Builds the real parts of the local platform (etcd, Kubernetes, kwok, Argo CD, ...)
# from the Go module proxy, each in a throwaway wrapper module, and caches the
# binaries outside the repository keyed by version. A second run finds them
# cached and returns at once.
#
# Usage: hack/build-testplane.sh [part ...]   (default: every part)
# Environment: MC_CACHE_DIR (default ~/.cache/mc-sandbox), MC_BUILD_JOBS (default 2).
set -euo pipefail

CACHE="${MC_CACHE_DIR:-$HOME/.cache/mc-sandbox}"
BIN="$CACHE/bin"
WORK="$CACHE/build"
LOGS="$CACHE/build-logs"
JOBS="${MC_BUILD_JOBS:-2}"
mkdir -p "$BIN" "$WORK" "$LOGS"

# One build at a time per cache directory.
exec 9>"$CACHE/build.lock"
if ! flock -n 9; then
  printf '[testplane] another build-testplane.sh is running on %s; waiting for it\n' "$CACHE" >&2
  flock 9
fi

ETCD_VERSION=v3.6.16
KUBE_VERSION=v1.36.3
KWOK_VERSION=v0.8.0
ARGOCD_VERSION=v3.6.1
ARGOCD_GOTOOLCHAIN=go1.27.4
CAPI_VERSION=v1.14.2
REGISTRY_VERSION=v3.1.2
HELM_VERSION=v3.22.0
KUSTOMIZE_VERSION=v5.8.3
KUSTOMIZE_KUBE_OPENAPI=v0.0.0-20260721132016-d427ff9ee9ad
TOFU_VERSION=v1.12.6

export GOFLAGS="${GOFLAGS:-} -trimpath"
export CGO_ENABLED=0

log() { printf '[testplane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# wrapper DIR MODULE VERSION PKG... : writes a wrapper module requiring MODULE@VERSION
# and importing PKG... so that `go mod tidy` resolves them.
wrapper() {
  local dir=$1 module=$2 version=$3; shift 3
  mkdir -p "$dir"
  cat >"$dir/go.mod" <<GOMOD
module mcplatform.dev/testplane/wrapper

go 1.26

require $module $version
GOMOD
  {
    echo '//go:build tools'
    echo
    echo 'package tools'
    echo
    echo 'import ('
    for p in "$@"; do echo "	_ \"$p\""; done
    echo ')'
  } >"$dir/tools.go"
}

# staging_replaces MODULE VERSION STAGINGVERSION : prints replace lines for every
# module that MODULE's go.mod points at a local ./staging directory.
local_replaces() {
  local module=$1 version=$2 with=$3
  local gomod
  gomod=$(cd "$WORK" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  grep -E '=> \./staging/' "$gomod" | awk -v v="$with" '{print "replace " $1 " => " $1 " " v}'
}

have() { [ -x "$BIN/$1" ]; }

build_etcd() {
  local out="etcd-$ETCD_VERSION"
  have "$out" && return 0
  local d="$WORK/etcd-$ETCD_VERSION"
  wrapper "$d" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
  (cd "$d" && go mod tidy && go build -ldflags=-s -o "$BIN/$out.tmp" go.etcd.io/etcd/server/v3)
  mv "$BIN/$out.tmp" "$BIN/$out"
}

build_kube() {
  local names=(kube-apiserver kube-controller-manager kube-scheduler)
  local missing=0
  for n in "${names[@]}"; do have "$n-$KUBE_VERSION" || missing=1; done
  [ $missing = 0 ] && return 0
  local d="$WORK/kubernetes-$KUBE_VERSION"
  wrapper "$d" k8s.io/kubernetes "$KUBE_VERSION" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
  local_replaces k8s.io/kubernetes "$KUBE_VERSION" "v0${KUBE_VERSION#v1}" >>"$d/go.mod"
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$d" && go mod tidy)
  for n in "${names[@]}"; do
    have "$n-$KUBE_VERSION" && continue
    log "building $n $KUBE_VERSION"
    (cd "$d" && go build -ldflags="$ld" -o "$BIN/$n-$KUBE_VERSION.tmp" "k8s.io/kubernetes/cmd/$n")
    mv "$BIN/$n-$KUBE_VERSION.tmp" "$BIN/$n-$KUBE_VERSION"
  done
}

build_kwok() {
  local out="kwok-$KWOK_VERSION"
  have "$out" && return 0
  local d="$WORK/kwok-$KWOK_VERSION"
  wrapper "$d" sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
  (cd "$d" && go mod tidy && go build -ldflags=-s -o "$BIN/$out.tmp" sigs.k8s.io/kwok/cmd/kwok)
  # The stage files kwok needs live in its module; keep a copy beside the binary.
  local moddir
  moddir=$(cd "$d" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  rm -rf "$CACHE/kwok-stages-$KWOK_VERSION"; mkdir -p "$CACHE/kwok-stages-$KWOK_VERSION"
  cp "$moddir"/kustomize/stage/node/fast/node-initialize.yaml "$moddir"/kustomize/stage/node/heartbeat-with-lease/*.yaml \
     "$moddir"/kustomize/stage/pod/fast/pod-ready.yaml "$moddir"/kustomize/stage/pod/fast/pod-complete.yaml \
     "$moddir"/kustomize/stage/pod/fast/pod-delete.yaml "$CACHE/kwok-stages-$KWOK_VERSION/"
  chmod -R u+w "$CACHE/kwok-stages-$KWOK_VERSION"
  mv "$BIN/$out.tmp" "$BIN/$out"
}

build_argocd() {
  local out="argocd-$ARGOCD_VERSION"
  have "$out" && return 0
  local d="$WORK/argocd-$ARGOCD_VERSION"
  wrapper "$d" github.com/argoproj/argo-cd/v3 "$ARGOCD_VERSION" github.com/argoproj/argo-cd/v3/cmd
  local gomod
  gomod=$(cd "$WORK" && GOFLAGS=-mod=mod GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN go mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  # Copy upstream's replace block, less the local ./gitops-engine line.
  awk '/^replace \($/{inb=1; print; next} inb && /^\)/{inb=0; print; next} inb && /=> \.\//{next} inb{print}' "$gomod" >>"$d/go.mod"
  grep -E '^replace [^(]' "$gomod" | grep -v '=> \./' >>"$d/go.mod" || true
  sed -i "s/^go 1.26$/go 1.27/" "$d/go.mod"
  (cd "$d" && GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN go mod tidy && GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN go build -ldflags=-s -o "$BIN/$out.tmp" github.com/argoproj/argo-cd/v3/cmd)
  local moddir
  moddir=$(cd "$d" && GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
  rm -rf "$CACHE/argocd-$ARGOCD_VERSION-files"; mkdir -p "$CACHE/argocd-$ARGOCD_VERSION-files"
  cp -r "$moddir/manifests/crds" "$CACHE/argocd-$ARGOCD_VERSION-files/crds"
  cp "$moddir/hack/git-verify-wrapper.sh" "$CACHE/argocd-$ARGOCD_VERSION-files/"
  chmod -R u+w "$CACHE/argocd-$ARGOCD_VERSION-files"
  mv "$BIN/$out.tmp" "$BIN/$out"
}

build_registry() {
  local out="registry-$REGISTRY_VERSION"
  have "$out" && return 0
  local d="$WORK/registry-$REGISTRY_VERSION"
  wrapper "$d" github.com/distribution/distribution/v3 "$REGISTRY_VERSION" github.com/distribution/distribution/v3/cmd/registry
  (cd "$d" && go mod tidy && go build -ldflags=-s -o "$BIN/$out.tmp" github.com/distribution/distribution/v3/cmd/registry)
  mv "$BIN/$out.tmp" "$BIN/$out"
}

# helm: the Helm CLI, which Argo CD's repo-server runs to render Helm sources
# (helm template, helm dependency build, helm pull for OCI and repository charts).
build_helm() {
  local out="helm-$HELM_VERSION"
  have "$out" && return 0
  local d="$WORK/helm-$HELM_VERSION"
  wrapper "$d" helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
  local ld="-s -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  (cd "$d" && go mod tidy && go build -ldflags="$ld" -o "$BIN/$out.tmp" helm.sh/helm/v3/cmd/helm)
  mv "$BIN/$out.tmp" "$BIN/$out"
}

# kustomize: the kustomize CLI, which Argo CD's repo-server runs for kustomize sources.
build_kustomize() {
  local out="kustomize-$KUSTOMIZE_VERSION"
  have "$out" && return 0
  local d="$WORK/kustomize-$KUSTOMIZE_VERSION"
  wrapper "$d" sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
  # kustomize v5.8.3 needs Go 1.27, as Argo CD does. The kube-openapi
  # pseudo-version it requires is refused by the module proxy here (403), so
  # take the one kustomize v5.8.2 was released with.
  sed -i "s/^go 1.26$/go 1.27/" "$d/go.mod"
  echo "replace k8s.io/kube-openapi => k8s.io/kube-openapi $KUSTOMIZE_KUBE_OPENAPI" >>"$d/go.mod"
  (cd "$d" && GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN go mod tidy && GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN go build -ldflags=-s -o "$BIN/$out.tmp" sigs.k8s.io/kustomize/kustomize/v5)
  mv "$BIN/$out.tmp" "$BIN/$out"
}

# capi-crds: Cluster API is only needed for its CRDs for now, so download the
# module (no build) and keep a copy of the core, kubeadm bootstrap and kubeadm
# control plane CRDs.
build_capi_crds() {
  local out="$CACHE/capi-$CAPI_VERSION-crds"
  [ -f "$out/.complete" ] && return 0
  local d="$WORK/capi-crds-$CAPI_VERSION"
  wrapper "$d" sigs.k8s.io/cluster-api "$CAPI_VERSION"
  local moddir
  moddir=$(cd "$d" && go mod download -json "sigs.k8s.io/cluster-api@$CAPI_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$moddir" ] && [ -d "$moddir" ] || { echo "cannot find the cluster-api module directory"; return 1; }
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  local sub n=0
  for sub in core/config/crd/bases bootstrap/kubeadm/config/crd/bases controlplane/kubeadm/config/crd/bases; do
    cp "$moddir/$sub"/*.yaml "$out.tmp/"
    n=$((n + $(ls "$moddir/$sub"/*.yaml | wc -l)))
  done
  chmod -R u+w "$out.tmp"
  touch "$out.tmp/.complete"
  rm -rf "$out"; mv "$out.tmp" "$out"
  echo "copied $n CRD files into $out"
}

# capi: the Cluster API managers (core, kubeadm bootstrap, kubeadm control plane)
# and CAPD, whose in-memory backend stands in for real machines, run
# out-of-cluster by the sandbox. Also copies CAPD's CRDs beside the core ones.
build_capi() {
  local names=(capi-manager capi-kubeadm-bootstrap capi-kubeadm-control-plane capd)
  local pkgs=(sigs.k8s.io/cluster-api/core sigs.k8s.io/cluster-api/bootstrap/kubeadm
              sigs.k8s.io/cluster-api/controlplane/kubeadm sigs.k8s.io/cluster-api/test/infrastructure/docker)
  local crds="$CACHE/capi-$CAPI_VERSION-crds"
  local missing=0 i
  for n in "${names[@]}"; do have "$n-$CAPI_VERSION" || missing=1; done
  local hooks="$CACHE/capi-$CAPI_VERSION-webhooks"
  [ -f "$crds/.capd" ] || missing=1
  [ -f "$hooks/.complete" ] || missing=1
  [ $missing = 0 ] && return 0
  local d="$WORK/capi-$CAPI_VERSION"
  wrapper "$d" sigs.k8s.io/cluster-api "$CAPI_VERSION" "${pkgs[@]}"
  cat >>"$d/go.mod" <<GOMOD
require sigs.k8s.io/cluster-api/test $CAPI_VERSION

replace sigs.k8s.io/cluster-api/api => sigs.k8s.io/cluster-api/api $CAPI_VERSION
GOMOD
  (cd "$d" && go mod tidy)
  local testdir
  testdir=$(cd "$d" && go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api/test)
  # CAPD's in-memory backend listens on the fixed port 19000 (debug) and hands
  # out workload cluster ports from 20000 up without checking them, so two
  # sandboxes on one machine would collide. Build a copy of its main package
  # that reads those ports from CAPD_INMEMORY_{DEBUG,MIN,MAX}_PORT.
  mkdir -p "$d/capd"
  cp "$testdir/infrastructure/docker/main.go" "$d/capd/main.go"
  chmod u+w "$d/capd/main.go"
  sed -i 's/inmemoryserver.NewWorkloadClustersMux(inMemoryManager, podIP)/inmemoryserver.NewWorkloadClustersMux(inMemoryManager, podIP, sandboxMuxPorts())/' "$d/capd/main.go"
  grep -q 'sandboxMuxPorts()' "$d/capd/main.go" || { echo "cannot patch CAPD's main.go: NewWorkloadClustersMux call not found"; return 1; }
  cat >"$d/capd/ports.go" <<'GO'
package main

import (
	"os"
	"strconv"

	inmemoryserver "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server"
)

// sandboxMuxPorts reads the in-memory backend's ports from the environment.
func sandboxMuxPorts() inmemoryserver.CustomPorts {
	port := func(name string, def int32) int32 {
		if v, err := strconv.ParseInt(os.Getenv(name), 10, 32); err == nil && v > 0 {
			return int32(v)
		}
		return def
	}
	return inmemoryserver.CustomPorts{
		DebugPort: port("CAPD_INMEMORY_DEBUG_PORT", inmemoryserver.DefaultDebugPort),
		MinPort:   port("CAPD_INMEMORY_MIN_PORT", inmemoryserver.DefaultMinPort),
		MaxPort:   port("CAPD_INMEMORY_MAX_PORT", inmemoryserver.DefaultMaxPort),
	}
}
GO
  pkgs[3]=./capd
  local ld="-s -X sigs.k8s.io/cluster-api/version.gitVersion=$CAPI_VERSION -X sigs.k8s.io/cluster-api/version.gitTreeState=clean"
  for i in "${!names[@]}"; do
    local out="${names[$i]}-$CAPI_VERSION"
    have "$out" && continue
    log "building ${names[$i]} $CAPI_VERSION"
    local t0=$SECONDS
    (cd "$d" && go build -ldflags="$ld" -o "$BIN/$out.tmp" "${pkgs[$i]}")
    mv "$BIN/$out.tmp" "$BIN/$out"
    log "built ${names[$i]} in $((SECONDS - t0))s"
  done
  if [ ! -f "$crds/.capd" ]; then
    [ -f "$crds/.complete" ] || build_capi_crds
    cp "$testdir"/infrastructure/docker/config/crd/bases/*.yaml "$crds/"
    chmod -R u+w "$crds"
    touch "$crds/.capd"
  fi
  # The admission webhook manifests (paths and rules), one file per manager.
  if [ ! -f "$hooks/.complete" ]; then
    local moddir
    moddir=$(cd "$d" && go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api)
    rm -rf "$hooks.tmp"; mkdir -p "$hooks.tmp"
    cp "$moddir/core/config/webhook/manifests.yaml" "$hooks.tmp/core.yaml"
    cp "$moddir/bootstrap/kubeadm/config/webhook/manifests.yaml" "$hooks.tmp/bootstrap.yaml"
    cp "$moddir/controlplane/kubeadm/config/webhook/manifests.yaml" "$hooks.tmp/controlplane.yaml"
    cp "$testdir/infrastructure/docker/config/webhook/manifests.yaml" "$hooks.tmp/infrastructure.yaml"
    chmod -R u+w "$hooks.tmp"
    touch "$hooks.tmp/.complete"
    rm -rf "$hooks"; mv "$hooks.tmp" "$hooks"
  fi
}

# tofu: the OpenTofu CLI, which the end-to-end tests run besides terraform to
# check that the provider works under both.
build_tofu() {
  local out="tofu-$TOFU_VERSION"
  have "$out" && return 0
  # `go install ...@version` refuses modules with replace directives, and
  # OpenTofu's go.mod has one (its hcl fork), so build through a wrapper
  # module that carries upstream's replace lines.
  local d="$WORK/tofu-$TOFU_VERSION"
  wrapper "$d" github.com/opentofu/opentofu "$TOFU_VERSION" github.com/opentofu/opentofu/cmd/tofu
  local gomod
  gomod=$(cd "$WORK" && GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  grep -E '^replace [^(]' "$gomod" | grep -v '=> \./' >>"$d/go.mod" || true
  (cd "$d" && go mod tidy && go build -ldflags="-s -X github.com/opentofu/opentofu/version.dev=no" -o "$BIN/$out.tmp" github.com/opentofu/opentofu/cmd/tofu)
  mv "$BIN/$out.tmp" "$BIN/$out"
}

# runner-gocache: the Go build cache of the sandbox's task runner
# ($CACHE/taskrunner, see internal/sandbox/taskrunner.go) with the standard
# library built the way the tests' and the quickstart's CI runs build
# (CGO_ENABLED=0 -trimpath), so that their first build does not spend
# minutes compiling it.
build_runner_gocache() {
  local stamp="$CACHE/taskrunner/.std-$(go env GOVERSION)"
  [ -f "$stamp" ] && return 0
  mkdir -p "$CACHE/taskrunner/go-build"
  GOCACHE="$CACHE/taskrunner/go-build" CGO_ENABLED=0 go build -trimpath std
  touch "$stamp"
}

run_part() {
  local part=$1
  log "$part: start (log: $LOGS/$part.log)"
  local t0=$SECONDS rc=0
  # Run the build as a background job and wait for it: inside `if` or `||`
  # bash ignores `set -e`, which would let a failed step pass unnoticed.
  ( set -e; "build_${part//-/_}" ) >"$LOGS/$part.log" 2>&1 &
  local pid=$!
  # Heartbeat, so that a long build shows it is alive.
  ( exec 9>&-; t=$(date +%s); i=0
    while sleep 5; do
      i=$((i + 1)); [ $((i % 12)) -eq 0 ] || continue
      log "$part: still building ($(( $(date +%s) - t ))s): $(tail -n 1 "$LOGS/$part.log" | cut -c1-120)"
    done ) &
  local hb=$!
  wait "$pid" || rc=$?
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  if [ $rc -eq 0 ]; then
    log "$part: ready in $((SECONDS - t0))s"
  else
    log "$part: FAILED after $((SECONDS - t0))s; last lines of $LOGS/$part.log:"
    tail -n 30 "$LOGS/$part.log" >&2
    return 1
  fi
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(capi-crds kube etcd kwok argocd capi registry helm kustomize tofu runner-gocache)

failed=0
running=0
pids=()
for p in "${parts[@]}"; do
  run_part "$p" & pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
if [ $failed -ne 0 ]; then log "some parts failed to build"; exit 1; fi
log "all parts cached in $BIN"
