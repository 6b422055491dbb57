"""The canary config: the shipped default loads, and every mistake is a one-line InputError."""

from __future__ import annotations

import pytest
import yaml

from job.collect import canary_config
from job.errors import InputError
from job.options import build_metrics


def test_the_shipped_default_has_the_golden_signals() -> None:
    config = canary_config.load(None, "http://prometheus:9090")
    kinds = {s.name: s.kind for s in config.signals}
    assert kinds == {
        "http-error-ratio": "ratio", "http-latency": "histogram", "request-rate-per-pod": "series",
        "container-restarts": "count", "cpu-throttling": "series", "memory-working-set": "series",
    }  # fmt: skip
    assert config.window_seconds == 600 and config.sides_by == "pod"
    assert all("{{side}}" in s.query for s in config.signals)
    assert not next(s for s in config.signals if s.name == "request-rate-per-pod").gating


def _signal(**changes: object) -> dict[str, object]:
    return {"name": "errors", "kind": "count", "query": "sum(x{ {{side}} })", **changes}


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([], "mapping"),
        ({"signals": []}, "non-empty"),
        ({"signals": [_signal()], "windw": "5m"}, "unknown key 'windw'"),
        ({"signals": [_signal(kind="gauge")]}, "kind is 'gauge'"),
        ({"signals": [_signal(query="sum(x)")]}, "no {{side}} placeholder"),
        ({"signals": [_signal(query="sum(x{ {{side}}, {{pod}} })")]}, "unknown placeholder"),
        ({"signals": [_signal(kind="ratio")]}, "denominator"),
        ({"signals": [_signal(total="sum(x{ {{side}} })")]}, "only for kind: ratio"),
        ({"signals": [_signal(direction="up")]}, "direction is 'up'"),
        ({"signals": [_signal(minRatio=0.5)]}, "at least 1"),
        ({"signals": [_signal(minDelta=float("nan"))]}, "finite"),
        ({"signals": [_signal(critical="yes")]}, "true or false"),
        ({"signals": [_signal(quantiles=[0.5, 1.5])]}, "between 0 and 1"),
        ({"signals": [_signal(), _signal()]}, "used twice"),
        ({"signals": [_signal()], "window": "10 minutes"}, "Prometheus duration"),
        ({"signals": [_signal()], "sides": {"by": "deployment"}}, "sides.by"),
        ({"signals": [_signal(name="Bad Name")]}, "needs a name"),
    ],
)
def test_config_mistakes_are_refused_naming_the_key(document: object, says: str) -> None:
    with pytest.raises(InputError, match=None) as raised:
        canary_config.parse(document, "http://p:9090")
    assert says in str(raised.value)


def test_an_unreadable_or_broken_file_is_a_usage_error(tmp_path) -> None:
    with pytest.raises(InputError, match="cannot read --canary-config"):
        canary_config.load(str(tmp_path / "missing.yaml"), "http://p:9090")
    broken = tmp_path / "broken.yaml"
    broken.write_text("signals: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        canary_config.load(str(broken), "http://p:9090")
    # PyYAML's constructors raise ValueError (a tagged value it cannot hold) or RecursionError
    # (deep nesting), not YAMLError: each is still one line naming the file, never a traceback
    for name, text, reason in (
        ("tag.yaml", "signals: !!float abc\n", r"quote the value or drop its tag"),
        ("date.yaml", "signals: []\nreviewed: !!timestamp 2026-13-01\n", r"quote the value"),
        ("deep.yaml", "signals: " + "[" * 5000 + "]" * 5000 + "\n", r"nested too deeply"),
    ):
        bad = tmp_path / name
        bad.write_text(text)
        with pytest.raises(InputError, match=rf"canary config '.*{name}' is not valid YAML: .*{reason}"):
            canary_config.load(str(bad), "http://p:9090")
    # an unquoted date is text, so a wrong one is named by the key that holds it
    undated = tmp_path / "undated.yaml"
    undated.write_text("signals: []\nreviewed: 2026-13-01\n")
    with pytest.raises(InputError, match="reviewed"):
        canary_config.load(str(undated), "http://p:9090")


def test_metrics_options_need_a_prometheus_url_and_come_in_pairs(tmp_path) -> None:
    assert build_metrics({}) is None
    with pytest.raises(InputError, match="--canary-config needs --prometheus-url"):
        build_metrics({"canary_config": "x.yaml"})
    with pytest.raises(InputError, match="--canary-metrics-selector is missing"):
        build_metrics({"prometheus_url": "http://p:9090", "stable_metrics_selector": 'v="1"'})
    for bad in ("prometheus:9090", "ftp://p", "http://[::1", "http://"):
        with pytest.raises(InputError, match="--prometheus-url"):
            build_metrics({"prometheus_url": bad})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"signals": [_signal()]}))
    config = build_metrics(
        {"prometheus_url": "http://p:9090", "canary_config": str(path), "metrics_required": True}
    )
    assert config is not None and config.required and config.url == "http://p:9090"
