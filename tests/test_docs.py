"""The README is one short front page; what it and docs/ name exists: pages, paths, targets, exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from job import cli
from tests.schemas import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
PAGES = sorted([README, *DOCS.glob("*.md")])
AREAS = ["analysis", "model", "job-provider", "web-provider", "image", "e2e", "benchmarks", "failure-modes"]
# Places the tool or the demo creates at run time (git-ignored), named in the docs but never in a clone.
RUNTIME_PLACES = ("e2e/.cache/", "e2e/artifacts/")
REPO_DIRS = ("templates", "scripts", "job", "tests", "bench", "examples", "e2e", "docs", ".ci")


def relative_links(page: Path) -> list[str]:
    links = re.findall(r"\]\(([^)\s]+)\)", page.read_text())
    local = [link for link in links if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    return [link.split("#")[0] for link in local]


def named_paths(page: Path) -> list[str]:
    tokens = re.findall(r"`([^`\s]+)`", page.read_text())
    paths = [token for token in tokens if "/" in token and token.split("/")[0] in REPO_DIRS]
    return [path for path in paths if not path.startswith(RUNTIME_PLACES)]


def make_targets() -> set[str]:
    return set(re.findall(r"(?m)^([a-z][\w-]*):", (PROJECT_ROOT / "Makefile").read_text()))


def test_the_front_page_fits_on_one_screen() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move the depth to docs/"


@pytest.mark.parametrize("area", AREAS)
def test_every_area_has_its_page_linked_from_the_front_page(area: str) -> None:
    assert (DOCS / f"{area}.md").is_file()
    assert f"(docs/{area}.md)" in README.read_text()


def test_every_docs_page_is_linked_from_the_front_page() -> None:
    linked = {(README.parent / link).resolve() for link in relative_links(README)}
    assert [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_lead_to_files(page: Path) -> None:
    broken = [link for link in relative_links(page) if not (page.parent / link).exists()]
    assert broken == [], f"{page.name} links to missing files"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_named_repository_paths_exist(page: Path) -> None:
    missing = [path for path in named_paths(page) if not list(PROJECT_ROOT.glob(path.rstrip("/")))]
    assert missing == [], f"{page.name} names paths that are not in the repository"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_make_command_is_a_target(page: Path) -> None:
    unknown = set(re.findall(r"\bmake ([a-z][\w-]*)", page.read_text())) - make_targets()
    assert unknown == set(), f"{page.name} names make targets the Makefile lacks"


def test_the_verdict_table_gives_the_exit_codes_the_cli_uses() -> None:
    rows = dict(re.findall(r"(?m)^\| (pass|fail|inconclusive) \| (\d) \|", README.read_text()))
    assert {verdict: int(code) for verdict, code in rows.items()} == cli.EXIT_BY_VERDICT
    assert f"| {cli.EXIT_USAGE} / {cli.EXIT_NOT_ANALYSED} |" in README.read_text()


def test_the_checks_can_fail(tmp_path: Path) -> None:
    page = tmp_path / "x.md"
    page.write_text("see [gone](nowhere.md), `templates/missing.yaml` and `make nonesuch`\n")
    assert relative_links(page) == ["nowhere.md"]
    assert named_paths(page) == ["templates/missing.yaml"]
    assert "nonesuch" not in make_targets()
