#!/usr/bin/env bash
# Installs the Debian packages the local platform and the tests need
# (redis-server for Argo CD, git for the git server, curl for the demo). Does nothing when they
# are already there.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/lib/git-core/git-http-backend ] || missing+=(git)
command -v curl >/dev/null || missing+=(curl)
command -v terraform >/dev/null || { echo "install-deps: the terraform CLI is not on PATH" >&2; exit 1; }
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
