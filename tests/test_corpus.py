"""The labelled corpus of real logs: its shape, and the evidence-only verdict on every scenario."""

from __future__ import annotations

import dataclasses
import functools
import json

import pytest

from bench import accuracy
from bench.accuracy import CORPUS, CRITICAL_CATEGORIES, VERDICTS, Report, format_table, load_scenarios

SCENARIOS = load_scenarios()
MIN_ACCURACY = 0.9


@functools.cache
def evidence_report() -> Report:
    return accuracy.evaluate(SCENARIOS, accuracy.evidence_only)


# ------------------------------------------------------------------ the corpus itself


def test_corpus_is_big_and_varied_enough() -> None:
    assert len(SCENARIOS) >= 24
    assert len({s.app for s in SCENARIOS}) >= 8
    assert {s.expect for s in SCENARIOS} == set(VERDICTS)
    assert {s.category for s in SCENARIOS} >= CRITICAL_CATEGORIES


def test_corpus_stays_small() -> None:
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert total < 16 * 1024 * 1024  # 15.5 MiB with the red-team formats (Nov 2026)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_is_well_formed(scenario: accuracy.Scenario) -> None:
    assert scenario.expect in VERDICTS
    assert scenario.stable_paths, "every scenario has stable logs"
    assert scenario.canary_paths, "every scenario has canary logs"
    for path in scenario.stable_paths + scenario.canary_paths:
        assert CORPUS.joinpath(path).stat().st_size > 0
    assert scenario.how_made.startswith(
        (
            "tests/corpus/make/make_all.py ",
            "tests/corpus/make/make_more.py ",
            "tests/corpus/make/make_activity.py ",
            "tests/corpus/make/make_tail.py ",
            "tests/corpus/make/make_known_noise.py ",
            "tests/corpus/make/make_formats.py ",
            "tests/corpus/make/make_failopen.py ",
        )
    )


# ------------------------------------------------------------------ the verdicts


def test_evidence_only_accuracy_on_the_corpus() -> None:
    report = evidence_report()
    measured = report.accuracy
    assert measured >= MIN_ACCURACY, f"accuracy {measured:.3f} < {MIN_ACCURACY}\n{format_table(report, 110)}"


@pytest.mark.parametrize(
    "name", [s.name for s in SCENARIOS if s.category in CRITICAL_CATEGORIES and s.expect == "fail"]
)
def test_a_critical_canary_never_passes(name: str) -> None:
    row = next(r for r in evidence_report().rows if r.name == name)
    assert row.verdict != "error", f"{name}: the analysis raised: {row.summary}"
    assert row.verdict != "pass", f"{name} ({row.category}) passed: {row.summary}"


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.acknowledge], ids=lambda s: s.name)
def test_an_acknowledged_scenario_needs_its_file_and_shows_what_it_acknowledged(
    scenario: accuracy.Scenario,
) -> None:
    """Its label holds with the file (evidence_report); without it the known noise alone fails it, so
    the file is what the pass rests on, and the acknowledged findings stay in the result as info."""
    without = accuracy.evidence_only(dataclasses.replace(scenario, acknowledge=None))
    assert without.verdict == "fail", without.summary
    verdict = accuracy.evidence_only(scenario)
    acknowledged = [f for f in verdict.findings if f.acknowledged]
    assert acknowledged and all(f.severity == "info" for f in acknowledged)
    assert all(f.acknowledged["source"].endswith(f"{scenario.name}/acknowledge.yaml'") for f in acknowledged)


def test_the_corpus_has_acknowledged_noise_that_passes_and_that_still_fails() -> None:
    assert {s.expect for s in SCENARIOS if s.acknowledge} == {"pass", "fail"}


# ------------------------------------------------------------------ the bench script


def test_bench_prints_a_row_and_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert accuracy.main(["--only", "rd-good-colour", "rd-bad-5xx", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["mode"] == "evidence"
    assert [r["name"] for r in document["rows"]] == ["rd-bad-5xx", "rd-good-colour"]
    assert all(r["verdict"] in (*VERDICTS, "error") for r in document["rows"])
    assert 0.0 <= document["accuracy"] <= 1.0


def test_bench_refuses_an_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert accuracy.main(["--only", "no-such-scenario"]) == 2
    assert "no-such-scenario" in capsys.readouterr().err
