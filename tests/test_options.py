import pytest

from job.errors import InputError
from job.model import ClusterSource, FileSource, LLMConfig
from job.options import build_request, build_source, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1500ms", 1)],
)
def test_parse_duration_reads_go_style_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "five minutes", "5x", "10m garbage", "-5m", "0", "200ms"])
def test_parse_duration_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(InputError):
        parse_duration(text)


def test_file_mode_needs_both_sides() -> None:
    with pytest.raises(InputError, match="--canary-logs is missing"):
        build_source({"stable_logs": ("a.log",)})


def test_file_and_cluster_sources_are_exclusive() -> None:
    with pytest.raises(InputError, match="choose one source"):
        build_source({"stable_logs": ("a",), "canary_logs": ("b",), "stable_hash": "abc"})


def test_file_mode_keeps_every_path_in_order() -> None:
    source = build_source({"stable_logs": ("s1", "s2"), "canary_logs": ("c1",)})
    assert source == FileSource(stable_paths=("s1", "s2"), canary_paths=("c1",))


def test_cluster_mode_by_hash() -> None:
    source = build_source(
        {"stable_hash": "6b9c", "canary_hash": "7f4d", "namespace": "shop", "since": "10m", "max_pods": 3}
    )
    assert source == ClusterSource(
        namespace="shop", stable_hash="6b9c", canary_hash="7f4d", since_seconds=600, max_pods=3
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"stable_hash": "a"}, "both --stable-hash and --canary-hash"),
        ({"stable_selector": "app=x"}, "both --stable-selector and --canary-selector"),
        ({"stable_hash": "a", "canary_hash": "a"}, "hashes are the same"),
        ({"stable_selector": "v=1", "canary_selector": "v=1"}, "selectors are the same"),
        ({"stable_hash": "a", "canary_hash": "b", "stable_selector": "x=1"}, "not both"),
        ({}, "no source given"),
        ({"stable_hash": "a", "canary_hash": "b", "max_pods": 0}, "at least 1"),
    ],
)
def test_cluster_mode_rejects_contradictions(params: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_source(params)


def test_build_request_carries_the_llm_config() -> None:
    llm = LLMConfig(enabled=False, model="m")
    request = build_request({"stable_logs": ("s",), "canary_logs": ("c",)}, llm)
    assert request.llm == llm
