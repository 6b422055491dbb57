#!/usr/bin/env bash
# Build the rollouts-ai-job image offline and reproducibly: wheels are built on the host into
# ./wheelhouse, the image build itself runs with no network, and two builds of one commit on one
# base give the same image digest (every time in the image is the commit's time). Writes the
# image's CycloneDX SBOM (from requirements.lock, the distributions the image holds) beside it.
#
#   scripts/build-image.sh                       # make image
# Env:
#   BASE_IMAGE  base image the runtime files come from (default: the local patched Debian base,
#               scripts/make-base-image.sh --tag, built with `make base-image`; python:3.11-slim
#               when only that is present). A BASE_IMAGE you set may be pulled by the engine.
#   IMAGE       image name (default rollouts-ai-job:<version>, also tagged :latest and
#               :<version>-<12 hex of the image id>, the content tag nothing else overwrites)
#   ENGINE      podman (default when installed) or docker
#   OFFLINE=1   use ./wheelhouse as it is (e.g. copied to an air-gapped machine); do not run pip
#   SOURCE      repository URL for the source label (default: git origin as https)
#   SOURCE_DATE_EPOCH  the time stamped everywhere in the image (default: the commit's time)
#   SBOM        where the SBOM goes (default dist/<image name>-<version>.cdx.json; none: skip)
#   PYTHON      host Python that builds the wheels and runs cyclonedx-py (default .venv/bin/python)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { echo "build-image.sh: $*" >&2; }

version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' job/__init__.py)"
[ -n "$version" ] || { say "no __version__ in job/__init__.py"; exit 1; }

install_podman="install podman (apt-get install -y podman runc uidmap fuse-overlayfs)"
if [ -n "${ENGINE:-}" ]; then engine="$ENGINE"
elif command -v podman >/dev/null 2>&1; then engine=podman
elif command -v docker >/dev/null 2>&1; then engine=docker
else say "needs podman or docker: $install_podman"; exit 1; fi
run_engine() { if [ "$engine" = podman ]; then "$root/scripts/podman.sh" "$@"; else "$engine" "$@"; fi; }
if [ "$engine" = docker ] && ! docker_error="$(docker info 2>&1 >/dev/null)"; then
  say "docker cannot build here: ${docker_error##*$'\n'}"
  say "start the Docker daemon (e.g. systemctl start docker), or $install_podman and run again"
  exit 1
fi

python="${PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python3; fi
fi

local_base="$(scripts/make-base-image.sh --tag)"
if [ -z "${BASE_IMAGE:-}" ]; then
  if run_engine image inspect "$local_base" >/dev/null 2>&1; then BASE_IMAGE="$local_base"
  elif run_engine image inspect python:3.11-slim >/dev/null 2>&1; then BASE_IMAGE=python:3.11-slim
  else
    say "no base image: run \`make base-image\` (builds $local_base from Debian's mirrors, no registry;"
    say "needs root and debootstrap), or set BASE_IMAGE to a python:3.11-slim-like image your engine can pull"
    exit 1
  fi
fi
image="${IMAGE:-rollouts-ai-job:$version}"
repository="${image%:*}"

revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
# One time for everything in the image: the commit's, so a rebuild of the commit is identical.
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || true)}"
[ -n "$epoch" ] || { say "no git commit to date the image: set SOURCE_DATE_EPOCH (seconds since 1970)"; exit 1; }
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
# org.opencontainers.image.source: the origin as an https URL (ssh remotes converted), else a
# pointer to the commit, never empty.
if [ -z "${SOURCE:-}" ]; then
  origin="$(git remote get-url origin 2>/dev/null || true)"
  case "$origin" in
    https://*) SOURCE="$origin" ;;
    git@*:*) host="${origin#git@}"; SOURCE="https://${host%%:*}/${host#*:}" ;;
    ssh://git@*) SOURCE="https://${origin#ssh://git@}" ;;
    *) SOURCE="rollouts-ai-job@$revision (no https origin; SOURCE= sets the repository URL)" ;;
  esac
fi

if [ "${OFFLINE:-0}" != 1 ]; then
  # Compiled wheels (pydantic-core, PyYAML, ...) only fit the same Python minor version.
  host_py="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  image_py="$(run_engine run --rm --network none --entrypoint "" "$BASE_IMAGE" \
    python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ "$host_py" != "$image_py" ]; then
    say "host Python $host_py cannot build wheels for the image's Python $image_py; set PYTHON to a python$image_py"
    exit 1
  fi
  mkdir -p wheelhouse
  rm -f wheelhouse/rollouts_ai_job-*.whl
  echo "building wheels into ./wheelhouse with $python (Python $host_py)"
  SOURCE_DATE_EPOCH="$epoch" "$python" -m pip wheel -q --disable-pip-version-check . -c requirements.lock \
    --find-links wheelhouse -w wheelhouse
fi
ls wheelhouse/rollouts_ai_job-"$version"-*.whl >/dev/null 2>&1 || {
  say "wheelhouse has no rollouts_ai_job-$version wheel; run without OFFLINE=1"
  exit 1
}

build_flags=()
# podman: no per-step cache images (each build has a fresh project wheel, they would only pile
# up); --timestamp sets every file's time and the image's created time, hence the same digest.
# docker (BuildKit) takes the time as the SOURCE_DATE_EPOCH build argument instead.
if [ "$engine" = podman ]; then build_flags=(--layers=false --timestamp "$epoch")
else build_flags=(--build-arg SOURCE_DATE_EPOCH="$epoch"); fi
echo "building $image from $BASE_IMAGE with $engine (no network)"
start=$(date +%s)
idfile="$(mktemp)"
trap 'rm -f "$idfile"' EXIT
run_engine build --network none "${build_flags[@]}" -f Dockerfile --iidfile "$idfile" \
  -t "$image" -t "$repository:latest" \
  --build-arg BASE_IMAGE="$BASE_IMAGE" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$revision" \
  --build-arg CREATED="$created" \
  --build-arg SOURCE="$SOURCE" \
  . >&2
# Tagged by content, and nothing removed: on a shared image store, the image another checkout
# built under the same name stays, reachable by its own content tag.
id="$(sed 's/^sha256://' "$idfile")"
content_tag="$repository:$version-${id:0:12}"
run_engine tag "$id" "$content_tag"
seconds=$(($(date +%s) - start))
size="$(run_engine image inspect --format '{{.Size}}' "$image")"

sbom="${SBOM:-dist/${repository##*/}-$version.cdx.json}"
if [ "$sbom" != none ]; then
  "$python" -c 'import cyclonedx_py' 2>/dev/null || {
    say "cyclonedx-py is missing for the SBOM: $python -m pip install cyclonedx-bom (make install does), or SBOM=none"
    exit 1
  }
  # What the image holds (the lock minus what the build removed), as the lock pins it.
  held="$(run_engine run --rm --network none --entrypoint /opt/venv/bin/python "$id" -c \
    'import importlib.metadata as m; print("\n".join(sorted(d.metadata["Name"].lower().replace("_", "-") for d in m.distributions())))')"
  mkdir -p "$(dirname "$sbom")"
  filtered="$(mktemp)"
  trap 'rm -f "$idfile" "$filtered"' EXIT
  grep -v '^#' requirements.lock | while IFS= read -r pin; do
    name="$(tr 'A-Z_' 'a-z-' <<<"${pin%%==*}")"
    if grep -qx "$name" <<<"$held"; then echo "$pin"; fi
  done >"$filtered"
  SOURCE_DATE_EPOCH="$epoch" "$python" -m cyclonedx_py requirements --pyproject pyproject.toml \
    --output-reproducible --of JSON -o "$sbom" "$filtered" 2>/dev/null
  "$python" - "$sbom" "$version" "$content_tag" "sha256:$id" <<'PY'
import json, sys
path, version, tag, digest = sys.argv[1:]
bom = json.load(open(path))
component = bom["metadata"]["component"]
component["version"] = version  # the version is dynamic in pyproject.toml, so cyclonedx-py leaves it out
bom["metadata"]["properties"] = [{"name": "image", "value": tag}, {"name": "image.id", "value": digest}]
json.dump(bom, open(path, "w"), indent=2, sort_keys=True)
PY
fi
echo "built $image = $content_tag in $seconds s; size $((size / 1000000)) MB; SBOM: $sbom"
