#!/usr/bin/env bash
# Build the local base image (minimal Debian + python3) for offline image builds.
#
# No registry is needed: debootstrap fetches Debian packages from the apt mirror this machine
# already uses, then every package is upgraded from <suite>, <suite>-updates and <suite>-security
# (debootstrap alone pulls only <suite>, whose libssl3/python3.11/libexpat1 lag the security
# fixes), and the root filesystem is imported into podman. The rootfs tarball is cached in
# .cache/base/ and the image is reused if it exists, because debootstrap takes minutes.
#
#   scripts/make-base-image.sh            # build if missing
#   FORCE=1 scripts/make-base-image.sh    # rebuild (and so take the newest security updates)
#   scripts/make-base-image.sh --tag      # print the tag, for scripts/build-image.sh
# Env: BASE_TAG (default localhost/rollouts-ai-job-base:bookworm-patched), SUITE (bookworm),
#      MIRROR, SECURITY_MIRROR (default: the -security source apt uses, else deb.debian.org).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
podman="$root/scripts/podman.sh"
suite="${SUITE:-bookworm}"
tag="${BASE_TAG:-localhost/rollouts-ai-job-base:$suite-patched}"
if [ "${1:-}" = --tag ]; then echo "$tag"; exit 0; fi
cache="$root/.cache/base"
tarball="$cache/$suite-patched-python3-rootfs.tar"

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
  # The mirrors apt already uses (deb822 or one-line sources), else deb.debian.org.
  apt_uris="$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    2>/dev/null | awk '/^URIs:/ {print $2} /^deb / {print $2}' || true)"
  mirror="${MIRROR:-$(grep -E '/debian/?$' <<<"$apt_uris" | head -n1 || true)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  security="${SECURITY_MIRROR:-$(grep -E '/debian-security/?$' <<<"$apt_uris" | head -n1 || true)}"
  security="${security:-http://deb.debian.org/debian-security}"
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
  # Patch: the point-release updates and the security suite, then nothing else changes.
  $as_root tee "$rootfs/etc/apt/sources.list" >/dev/null <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
  $as_root cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  echo "upgrading from $suite, $suite-updates and $suite-security"
  $as_root chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -q && apt-get -y -q -o Dpkg::Options::=--force-confold dist-upgrade && apt-get clean' \
    >>"$cache/debootstrap.log" 2>&1 || {
    echo "make-base-image.sh: upgrading from $suite-updates/$suite-security failed; see $cache/debootstrap.log" >&2
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  $as_root chroot "$rootfs" dpkg-query -W -f '${Package} ${Version}\n' >"$cache/packages.txt"
  $as_root rm -f "$rootfs/etc/resolv.conf"
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
  --message "debian $suite minbase + python3, upgraded from $suite-updates and $suite-security (scripts/make-base-image.sh)" \
  "$tarball" "$tag" >/dev/null
if [ -n "$previous" ] && [ "$previous" != "$("$podman" image inspect --format '{{.Id}}' "$tag")" ]; then
  "$podman" rmi "$previous" >/dev/null 2>&1 || true  # the one replaced; kept while images use it
fi
echo "base image $tag ready"
