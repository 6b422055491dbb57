"""The Argo Rollouts CRDs live in the repository, checked by their sums, and `make crds` refreshes them.

scripts/fetch-crds.sh is run for real against a stand-in `curl` that serves a local mirror laid
out like raw.githubusercontent.com, so the check, the refusal and the new-tag paths all run here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e.pins import ARGO_ROLLOUTS_VERSION
from tests.schemas import CRD_FILES, CRDS_DIR, PROJECT_ROOT

HOST = "https://raw.githubusercontent.com/"
RAW = f"{HOST}argoproj/argo-rollouts/"
FAKE_CURL = f"""#!/bin/sh
out=""; url=""
while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift 2;; -*) shift;; *) url=$1; shift;; esac; done
echo "$url" >>"$FAKE_MIRROR/requests"
src="$FAKE_MIRROR/${{url#{HOST}}}"
[ -f "$src" ] || exit 22
cp "$src" "$out"
"""


def sums(directory: Path) -> dict[str, str]:
    lines = (directory / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split() for line in lines)}


def test_the_vendored_crds_are_the_pinned_release_and_match_their_sums() -> None:
    assert CRDS_DIR.name == f"argo-rollouts-{ARGO_ROLLOUTS_VERSION}" and CRDS_DIR.is_relative_to(PROJECT_ROOT)
    recorded = sums(CRDS_DIR)
    assert set(recorded) == set(CRD_FILES.values())
    for name, digest in recorded.items():
        assert hashlib.sha256((CRDS_DIR / name).read_bytes()).hexdigest() == digest, name
    readme = (CRDS_DIR / "README.md").read_text()
    assert all(f"| `{name}` | `{digest}` |" in readme for name, digest in recorded.items())
    assert f"{RAW}{ARGO_ROLLOUTS_VERSION}/manifests/crds/" in readme and "Apache-2.0" in readme
    assert "Apache License" in (CRDS_DIR / "LICENSE").read_text()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what the script touches, with a mirror of the release serving the vendored files."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    (root / "e2e").mkdir()
    shutil.copy2(PROJECT_ROOT / "scripts" / "fetch-crds.sh", root / "scripts")
    shutil.copy2(PROJECT_ROOT / "e2e" / "pins.py", root / "e2e")
    shutil.copytree(CRDS_DIR, root / "tests" / "crds" / CRDS_DIR.name)
    shutil.copy2(PROJECT_ROOT / "tests" / "schemas.py", root / "tests")  # the other vendored CRDs' pin
    for other in (PROJECT_ROOT / "tests" / "crds").glob("flagger-*"):  # checked by the same script
        shutil.copytree(other, root / "tests" / "crds" / other.name)
        served = (
            tmp_path / "mirror" / "fluxcd" / "flagger" / other.name.removeprefix("flagger-") / "artifacts"
        )
        served.joinpath("flagger").mkdir(parents=True)
        shutil.copy2(other / "crd.yaml", served / "flagger" / "crd.yaml")
    for tag in (ARGO_ROLLOUTS_VERSION, "v9.9.9"):
        crds = tmp_path / "mirror" / "argoproj" / "argo-rollouts" / tag / "manifests" / "crds"
        crds.mkdir(parents=True)
        for name in CRD_FILES.values():
            shutil.copy2(CRDS_DIR / name, crds)
        shutil.copy2(CRDS_DIR / "LICENSE", crds.parent.parent)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text(FAKE_CURL)
    (bin_dir / "curl").chmod(0o755)
    return root


def fetch(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    mirror = project.parent / "mirror"
    path = f"{project.parent / 'bin'}:{os.environ['PATH']}"
    return subprocess.run(
        [str(project / "scripts" / "fetch-crds.sh")],
        env={**os.environ, "PATH": path, "FAKE_MIRROR": str(mirror), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refresh_downloads_the_pinned_tag_and_checks_the_sums(project: Path) -> None:
    result = fetch(project)
    assert result.returncode == 0, result.stderr
    assert "sha256 checked" in result.stdout
    requested = (project.parent / "mirror" / "requests").read_text().split()
    assert f"{RAW}{ARGO_ROLLOUTS_VERSION}/manifests/crds/rollout-crd.yaml" in requested


def test_refresh_refuses_files_that_differ_from_the_sums(project: Path) -> None:
    served = (
        project.parent
        / "mirror"
        / "argoproj"
        / "argo-rollouts"
        / ARGO_ROLLOUTS_VERSION
        / "manifests"
        / "crds"
    )
    served = served / "rollout-crd.yaml"
    served.write_text(served.read_text() + "# changed\n")
    vendored = project / "tests" / "crds" / CRDS_DIR.name / "rollout-crd.yaml"
    before = vendored.read_bytes()
    result = fetch(project)
    assert result.returncode == 1 and "differ" in result.stderr and "not replacing" in result.stderr
    assert vendored.read_bytes() == before


def test_refresh_vendors_another_tag_with_its_sums_and_readme(project: Path) -> None:
    result = fetch(project, CRDS_VERSION="v9.9.9")
    assert result.returncode == 0, result.stderr
    new = project / "tests" / "crds" / "argo-rollouts-v9.9.9"
    assert sums(new) == sums(CRDS_DIR)  # the mirror serves the same bytes under the new tag
    assert f"{RAW}v9.9.9/manifests/crds/" in (new / "README.md").read_text()
    assert "ARGO_ROLLOUTS_VERSION" in result.stderr


def test_an_unreachable_tag_says_what_failed(project: Path) -> None:
    result = fetch(project, CRDS_VERSION="v0.0.0")
    assert result.returncode == 1 and "could not download" in result.stderr
    assert not (project / "tests" / "crds" / "argo-rollouts-v0.0.0").exists()
