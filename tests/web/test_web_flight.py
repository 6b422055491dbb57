"""Single-flight, cache, concurrency cap and deadline (job/serve/flight.py), and the App in-process."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from job.model import LLMConfig, Verdict
from job.serve import App, ServiceConfig
from job.serve.flight import DeadlineExceeded, Flights, Saturated
from job.serve.params import RequestRejected, to_options


class Counting:
    """An analysis that counts its calls and blocks until released."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, key: str) -> str:
        with self.lock:
            self.calls.append(key)
        if key.startswith("slow"):
            assert self.release.wait(10)
        if "bad" in key:
            raise ValueError(key)
        return key.upper()


def test_identical_concurrent_gets_share_one_run() -> None:
    run = Counting()
    flights: Flights[str, str] = Flights(run, max_concurrent=1, cache_seconds=0)
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(flights.get, "slow", 5) for _ in range(10)]
        time.sleep(0.2)
        run.release.set()
        answers = [f.result() for f in futures]
    assert {a.value for a in answers} == {"SLOW"}
    assert sorted(a.how for a in answers) == ["analysed"] + ["joined"] * 9
    assert run.calls == ["slow"]
    assert flights.running == 0


def test_errors_reach_every_joiner_and_are_not_cached() -> None:
    run = Counting()
    flights: Flights[str, str] = Flights(run, max_concurrent=2, cache_seconds=60)
    for _ in range(2):
        with pytest.raises(ValueError, match="bad"):
            flights.get("bad", 5)
    assert run.calls == ["bad", "bad"]


def test_cap_counts_different_keys_and_a_late_analysis_keeps_its_slot() -> None:
    run = Counting()
    flights: Flights[str, str] = Flights(run, max_concurrent=1, cache_seconds=60)
    with pytest.raises(DeadlineExceeded):
        flights.get("slow", 0.1)
    assert flights.running == 1  # still going after its caller gave up
    with pytest.raises(Saturated):
        flights.get("other", 1)
    run.release.set()
    time.sleep(0.1)
    answer = flights.get("slow", 1)
    assert (answer.value, answer.how) == ("SLOW", "cached")
    assert flights.get("other", 1).how == "analysed"
    assert run.calls == ["slow", "other"]


def test_cache_expires_and_stays_bounded() -> None:
    run = Counting()
    flights: Flights[str, str] = Flights(run, max_concurrent=1, cache_seconds=0.2, max_cached=2)
    assert flights.get("a", 1).how == "analysed"
    assert flights.get("a", 1).how == "cached"
    flights.get("b", 1)
    flights.get("c", 1)  # evicts the oldest, a
    assert flights.get("c", 1).how == "cached"
    assert flights.get("a", 1).how == "analysed"
    time.sleep(0.25)
    assert flights.get("c", 1).how == "analysed"


def test_failing_bookkeeping_never_leaves_a_caller_waiting() -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("metrics defect")

    flights: Flights[str, str] = Flights(str.upper, max_concurrent=1, cache_seconds=0, on_finished=broken)
    assert flights.get("x", 1).value == "X"


def test_parameters_types_and_empty_values() -> None:
    options = to_options(
        {"namespace": "shop", "since": 300, "selector": "", "canaryHash": "b"},
        allow_namespaces=frozenset(),
        allow_model=False,
    )
    assert options == {"namespace": "shop", "since": "300", "canary_hash": "b"}
    for bad in ({"since": True}, {"namespace": None}, {"container": {"name": "x"}}):
        with pytest.raises(RequestRejected) as caught:
            to_options(bad, allow_namespaces=frozenset(), allow_model=False)
        assert caught.value.status == 400


def test_model_timeout_is_kept_inside_the_deadline() -> None:
    def never(_: object) -> Verdict:
        raise AssertionError

    slow_model = LLMConfig(timeout_seconds=60)
    assert App(ServiceConfig(llm=slow_model, analysis_deadline=10), never).llm.timeout_seconds == 8
    quick_model = LLMConfig(timeout_seconds=5)
    assert App(ServiceConfig(llm=quick_model, analysis_deadline=10), never).llm.timeout_seconds == 5


# ---------------------------------------------------------------- a result Argo's retry can read


class Clock:
    """flight.py's view of time, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.mark.parametrize("cache_seconds", [0.0, 5.0])
def test_a_result_that_outlived_its_caller_waits_for_argos_retry(
    monkeypatch: pytest.MonkeyPatch, cache_seconds: float
) -> None:
    from job.serve import flight

    clock = Clock()
    monkeypatch.setattr(flight, "time", clock)
    run = Counting()
    flights: Flights[str, str] = Flights(run, max_concurrent=1, cache_seconds=cache_seconds)
    with pytest.raises(DeadlineExceeded):
        flights.get("slow", 0.05)  # Argo gets a 504; the analysis goes on
    run.release.set()
    deadline = time.monotonic() + 5
    while flights.running and time.monotonic() < deadline:
        time.sleep(0.01)
    # Argo retries an Error measurement 10 s after it ended (DefaultErrorRetryInterval), later
    # when its queue is busy; whatever --cache-seconds says, the retry reads the result.
    clock.now += flight.ORPHAN_RESULT_SECONDS - 0.1
    assert flights.get("slow", 1) == flight.Answer("SLOW", "cached")
    clock.now += 0.2
    assert flights.get("slow", 1).how == "analysed"
    assert run.calls == ["slow", "slow"]


def test_a_result_nobody_gave_up_on_keeps_the_configured_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from job.serve import flight

    clock = Clock()
    monkeypatch.setattr(flight, "time", clock)
    run = Counting()
    flights: Flights[str, str] = Flights(run, max_concurrent=1, cache_seconds=0)
    assert flights.get("quick", 1).how == "analysed"
    assert flights.get("quick", 1).how == "analysed"  # no cache, nobody waiting for a retry
    with pytest.raises(DeadlineExceeded):
        flights.get("slow-bad", 0.05)
    run.release.set()
    while flights.running:
        time.sleep(0.01)
    with pytest.raises(ValueError):  # an error is never kept: the retry analyses again
        flights.get("slow-bad", 1)
