#!/usr/bin/env bash
# Run podman with the project's own containers.conf, so builds and smoke tests do not depend on
# the machine's /etc/containers. Usage: scripts/podman.sh <podman args...>
# The config is written on first use into .cache/podman/ (ignored by git).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
conf="${ROLLOUTS_AI_CONTAINERS_CONF:-$root/.cache/podman/containers.conf}"
if [ ! -s "$conf" ]; then
  mkdir -p "$(dirname "$conf")"
  # runc: crun is not always installed; the ulimits keep containers runnable where the host's
  # hard nofile/nproc limits are lower than podman's defaults.
  cat >"$conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
CONF
fi
if ! command -v podman >/dev/null 2>&1; then
  echo "podman.sh: podman is not installed; install it with" \
    "'apt-get install -y podman runc uidmap fuse-overlayfs'" >&2
  exit 127
fi
export CONTAINERS_CONF="$conf"
exec podman "$@"
