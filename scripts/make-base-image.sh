#!/usr/bin/env bash
# Build the local base image (minimal Debian + python3) for offline image builds.
#
# No registry is needed: debootstrap fetches Debian packages from the apt mirror this machine
# already uses, and the root filesystem is imported into podman. The rootfs tarball is cached in
# .cache/base/ and the image is reused if it exists, because debootstrap takes minutes.
#
#   scripts/make-base-image.sh            # build if missing
#   FORCE=1 scripts/make-base-image.sh    # rebuild
# Env: BASE_TAG (default localhost/rollouts-ai-job-base:bookworm), SUITE (bookworm), MIRROR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
podman="$root/scripts/podman.sh"
tag="${BASE_TAG:-localhost/rollouts-ai-job-base:bookworm}"
suite="${SUITE:-bookworm}"
cache="$root/.cache/base"
tarball="$cache/$suite-python3-rootfs.tar"

if [ "${FORCE:-0}" != 1 ] && "$podman" image exists "$tag"; then
  echo "base image $tag already present (FORCE=1 to rebuild)"
  exit 0
fi

if [ "${FORCE:-0}" = 1 ] || [ ! -s "$tarball" ]; then
  # debootstrap needs root; the image is imported as the calling user, so rootless podman sees it.
  as_root=""
  if [ "$(id -u)" != 0 ]; then
    sudo -n true 2>/dev/null || {
      echo "make-base-image.sh: debootstrap needs root: run as root or with password-less sudo" >&2
      exit 1
    }
    as_root="sudo -n"
  fi
  command -v debootstrap >/dev/null || {
    echo "make-base-image.sh: debootstrap is missing: apt-get install -y debootstrap" >&2
    exit 1
  }
  # The mirror apt already uses (deb822 or one-line sources), else deb.debian.org.
  mirror="${MIRROR:-}"
  if [ -z "$mirror" ]; then
    mirror="$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      2>/dev/null | awk '/^URIs:/ {print $2} /^deb / {print $2}' | grep -E '/debian/?$' | head -n1 || true)"
  fi
  mirror="${mirror:-http://deb.debian.org/debian}"
  mkdir -p "$cache"
  rootfs="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap '$as_root rm -rf "$rootfs"' EXIT
  echo "debootstrap $suite from $mirror (one to two minutes)"
  start=$(date +%s)
  # python3-venv brings ensurepip, so the image needs no python3-pip (and none of its compilers).
  $as_root debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    echo "make-base-image.sh: debootstrap failed; see $cache/debootstrap.log" >&2
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  # Nothing the image needs at run time: package caches, docs, man pages, message translations
  # (33 MB; C.UTF-8 itself is in /usr/lib/locale).
  $as_root rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*
  $as_root tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
  $as_root chown "$(id -u):$(id -g)" "$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  echo "debootstrap took $(($(date +%s) - start)) s"
fi

previous="$("$podman" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
"$podman" import --quiet \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/usr/bin/python3"]' \
  --message "debian $suite minbase + python3 (scripts/make-base-image.sh)" \
  "$tarball" "$tag" >/dev/null
if [ -n "$previous" ] && [ "$previous" != "$("$podman" image inspect --format '{{.Id}}' "$tag")" ]; then
  "$podman" rmi "$previous" >/dev/null 2>&1 || true  # the one replaced; kept while images use it
fi
echo "base image $tag ready"
