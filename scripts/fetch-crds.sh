#!/usr/bin/env bash
# Vendor the Argo Rollouts (and check Flagger's) CRDs the tests validate manifests against (`make crds`).
#
#   scripts/fetch-crds.sh                   the version e2e/pins.py pins: download again and check
#                                           the files against the committed SHA256SUMS
#   CRDS_VERSION=v1.9.2 scripts/fetch-crds.sh
#                                           another release tag: writes tests/crds/argo-rollouts-<tag>/
#                                           with new sums; then set ARGO_ROLLOUTS_VERSION in
#                                           e2e/pins.py (tests/schemas.py reads the pinned tag's copy)
#
# Source: the release tag's manifests/crds/ in github.com/argoproj/argo-rollouts (Apache-2.0),
# e.g. https://raw.githubusercontent.com/argoproj/argo-rollouts/v1.9.1/manifests/crds/rollout-crd.yaml
# Needs curl and network access to raw.githubusercontent.com; nothing else reads the network.
set -euo pipefail
cd "$(dirname "$0")/.."

pinned=$(sed -n 's/^ARGO_ROLLOUTS_VERSION = "\(.*\)"$/\1/p' e2e/pins.py)
version=${CRDS_VERSION:-$pinned}
[ -n "$version" ] || { echo "fetch-crds: no ARGO_ROLLOUTS_VERSION in e2e/pins.py; set CRDS_VERSION=vX.Y.Z" >&2; exit 2; }
base="https://raw.githubusercontent.com/argoproj/argo-rollouts/${version}"
files=(analysis-template-crd.yaml cluster-analysis-template-crd.yaml rollout-crd.yaml)
dest="tests/crds/argo-rollouts-${version}"
command -v curl >/dev/null || { echo "fetch-crds: needs curl (apt-get install curl)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Flagger's CRDs (one file, Apache-2.0), for templates/flagger-canary.yaml: checked against the
# committed sums of the pinned tag (tests/schemas.py FLAGGER_VERSION).
flagger_version=$(sed -n 's/^FLAGGER_VERSION = "\(.*\)"$/\1/p' tests/schemas.py)
flagger_dest="tests/crds/flagger-${flagger_version}"
flagger_url="https://raw.githubusercontent.com/fluxcd/flagger/${flagger_version}/artifacts/flagger/crd.yaml"
mkdir -p "$work/flagger"
curl -fsSL --retry 3 -o "$work/flagger/crd.yaml" "$flagger_url" || {
  echo "fetch-crds: could not download $flagger_url" >&2
  exit 1
}
if ! (cd "$work/flagger" && sha256sum crd.yaml | cmp -s - "$OLDPWD/$flagger_dest/SHA256SUMS"); then
  echo "fetch-crds: the downloaded Flagger ${flagger_version} CRDs differ from $flagger_dest/SHA256SUMS" >&2
  exit 1
fi
echo "fetch-crds: $flagger_dest matches the Flagger ${flagger_version} release (sha256 checked)"
for file in "${files[@]}"; do
  url="$base/manifests/crds/$file"
  curl -fsSL --retry 3 -o "$work/$file" "$url" || {
    echo "fetch-crds: could not download $url: check the tag exists and raw.githubusercontent.com is reachable" >&2
    exit 1
  }
done
curl -fsSL --retry 3 -o "$work/LICENSE" "$base/LICENSE" || {
  echo "fetch-crds: could not download $base/LICENSE" >&2
  exit 1
}
(cd "$work" && sha256sum "${files[@]}" >SHA256SUMS)

if [ -f "$dest/SHA256SUMS" ]; then
  # A release tag's files never change: a difference means a moved tag or a corrupted download.
  if ! cmp -s "$work/SHA256SUMS" "$dest/SHA256SUMS"; then
    diff "$dest/SHA256SUMS" "$work/SHA256SUMS" >&2 || true
    echo "fetch-crds: the downloaded $version CRDs differ from $dest/SHA256SUMS; not replacing them" >&2
    exit 1
  fi
  echo "fetch-crds: $dest matches the $version release (sha256 checked)"
  exit 0
fi

mkdir -p "$dest"
cp "$work/LICENSE" "$work/SHA256SUMS" "${files[@]/#/$work/}" "$dest/"
{
  echo "# Argo Rollouts ${version} CRDs (vendored test data)"
  echo
  echo "Verbatim copies of the CustomResourceDefinitions Argo Rollouts ships at the release tag"
  echo "\`${version}\`, which \`tests/schemas.py\` validates the project's manifests against. Nothing"
  echo "else reads them; the tests never look outside the repository."
  echo
  echo "* Source: \`${base}/manifests/crds/<file>\`"
  echo "  (github.com/argoproj/argo-rollouts, tag \`${version}\`)"
  echo "* Licence: Apache-2.0, Argo Rollouts' licence (its text in \`LICENSE\`, from the tag)"
  echo "* Refresh or move to another tag: \`make crds\` (\`scripts/fetch-crds.sh\`)"
  echo
  echo "| file | sha256 |"
  echo "|---|---|"
  while read -r sum file; do echo "| \`$file\` | \`$sum\` |"; done <"$work/SHA256SUMS"
} >"$dest/README.md"
echo "fetch-crds: wrote $dest; set ARGO_ROLLOUTS_VERSION = \"$version\" in e2e/pins.py to use it" >&2
