"""scripts/build-image.sh says what to do when it cannot build, before anything slow (no podman needed).

A stand-in `docker` on PATH plays the two cases a new user meets: a docker CLI whose daemon is
not running, and an engine that has neither the local base image nor python:3.11-slim.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DAEMON_DOWN = """#!/bin/sh
echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
exit 1
"""
NO_IMAGES = """#!/bin/sh
case "$1 $2" in
  "info "*) exit 0 ;;
  "image inspect") echo "Error: No such image: $3" >&2; exit 1 ;;
esac
echo "unexpected: docker $*" >&2
exit 3
"""


def build_with(fake_docker: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(fake_docker)
    (bin_dir / "docker").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ENGINE": "docker"}
    env.pop("BASE_IMAGE", None)
    return subprocess.run(
        [str(ROOT / "scripts" / "build-image.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_docker_cli_without_a_daemon_says_to_start_it_or_install_podman(tmp_path: Path) -> None:
    result = build_with(DAEMON_DOWN, tmp_path)
    assert result.returncode == 1
    assert "Cannot connect to the Docker daemon" in result.stderr
    assert "start the Docker daemon" in result.stderr and "apt-get install -y podman" in result.stderr


def test_no_base_image_says_make_base_image_and_pulls_nothing(tmp_path: Path) -> None:
    result = build_with(NO_IMAGES, tmp_path)
    assert result.returncode == 1, result.stderr
    assert "no base image: run `make base-image`" in result.stderr
    assert "BASE_IMAGE" in result.stderr and "unexpected" not in result.stderr
