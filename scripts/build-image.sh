#!/usr/bin/env bash
# Build the rollouts-ai-job image offline: wheels are built on the host into ./wheelhouse and the
# image build itself runs with no network.
#
#   scripts/build-image.sh                       # make image
# Env:
#   BASE_IMAGE  base image (default: localhost/rollouts-ai-job-base:bookworm if present,
#               which scripts/make-base-image.sh builds without a registry; else python:3.11-slim)
#   IMAGE       image name (default rollouts-ai-job:<version>, also tagged :latest)
#   ENGINE      podman (default when installed) or docker
#   OFFLINE=1   use ./wheelhouse as it is (e.g. copied to an air-gapped machine); do not run pip
#   SOURCE      repository URL for the source label (default: git origin, if https)
#   PYTHON      host Python that builds the wheels (default .venv/bin/python, else python3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' job/__init__.py)"
[ -n "$version" ] || { echo "build-image.sh: no __version__ in job/__init__.py" >&2; exit 1; }

if [ -n "${ENGINE:-}" ]; then engine="$ENGINE"
elif command -v podman >/dev/null 2>&1; then engine=podman
elif command -v docker >/dev/null 2>&1; then engine=docker
else
  echo "build-image.sh: needs podman or docker (apt-get install -y podman runc uidmap fuse-overlayfs)" >&2
  exit 1
fi
run_engine() { if [ "$engine" = podman ]; then "$root/scripts/podman.sh" "$@"; else "$engine" "$@"; fi; }

local_base=localhost/rollouts-ai-job-base:bookworm
if [ -z "${BASE_IMAGE:-}" ]; then
  if run_engine image inspect "$local_base" >/dev/null 2>&1; then BASE_IMAGE="$local_base"
  else BASE_IMAGE=python:3.11-slim; fi
fi
image="${IMAGE:-rollouts-ai-job:$version}"
# org.opencontainers.image.source: the clone's public origin, unless given.
SOURCE="${SOURCE:-$(git remote get-url origin 2>/dev/null | grep -E '^https://' || true)}"

if [ "${OFFLINE:-0}" != 1 ]; then
  python="${PYTHON:-}"
  if [ -z "$python" ]; then
    if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python3; fi
  fi
  # Compiled wheels (pydantic-core, PyYAML, ...) only fit the same Python minor version.
  host_py="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  image_py="$(run_engine run --rm --network none --entrypoint "" "$BASE_IMAGE" \
    python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ "$host_py" != "$image_py" ]; then
    echo "build-image.sh: host Python $host_py cannot build wheels for the image's Python $image_py;" \
      "set PYTHON to a python$image_py" >&2
    exit 1
  fi
  mkdir -p wheelhouse
  rm -f wheelhouse/rollouts_ai_job-*.whl
  echo "building wheels into ./wheelhouse with $python (Python $host_py)"
  "$python" -m pip wheel -q --disable-pip-version-check . -c requirements.lock \
    --find-links wheelhouse -w wheelhouse
fi
ls wheelhouse/rollouts_ai_job-"$version"-*.whl >/dev/null 2>&1 || {
  echo "build-image.sh: wheelhouse has no rollouts_ai_job-$version wheel; run without OFFLINE=1" >&2
  exit 1
}

layers_flag=""
# podman: no per-step cache images; each build has a fresh project wheel, so they would only pile up.
[ "$engine" = podman ] && layers_flag="--layers=false"
echo "building $image from $BASE_IMAGE with $engine (no network)"
start=$(date +%s)
previous="$(run_engine image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
run_engine build --network none ${layers_flag} -f Dockerfile -t "$image" -t "${image%:*}:latest" \
  --build-arg BASE_IMAGE="$BASE_IMAGE" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  ${SOURCE:+--build-arg SOURCE="$SOURCE"} \
  . >&2
current="$(run_engine image inspect --format '{{.Id}}' "$image")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  run_engine rmi "$previous" >/dev/null 2>&1 || true  # the build it replaces; kept if still in use
fi
size="$(run_engine image inspect --format '{{.Size}}' "$image")"
echo "built $image in $(($(date +%s) - start)) s; size $((size / 1000000)) MB"
