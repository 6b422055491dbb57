"""Run analyses for the web service: single-flight, a short result cache, a concurrency cap, a deadline.

Argo retries a metric and an AnalysisRun may hold several metrics asking the same question,
so identical requests arriving together share one analysis (single-flight) and a result is
reused for a few seconds (cache). An analysis that outlives its caller's deadline keeps
running and keeps its slot: a retry joins it instead of starting another one, and its result
is kept at least ORPHAN_RESULT_SECONDS for the retry Argo makes 10 s after the 504.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

How = Literal["analysed", "joined", "cached"]


# Argo Rollouts retries an Error measurement (our 504) DefaultErrorRetryInterval = 10 s after it
# ended and ignores Retry-After. A result whose first caller gave up is kept at least this long,
# whatever --cache-seconds says, so the retry reads it instead of starting over: twice Argo's
# interval, for the controller's queue and a slow resync.
ORPHAN_RESULT_SECONDS = 20.0


class Saturated(Exception):
    """As many different analyses are running as the service allows."""


class DeadlineExceeded(Exception):
    """The analysis did not finish within the caller's deadline (it goes on in the background)."""


@dataclass(frozen=True)
class Answer(Generic[V]):
    value: V
    how: How


class Flights(Generic[K, V]):
    def __init__(
        self,
        run: Callable[[K], V],
        *,
        max_concurrent: int,
        cache_seconds: float,
        max_cached: int = 256,
        orphan_seconds: float = ORPHAN_RESULT_SECONDS,
        on_finished: Callable[[float, V | None, BaseException | None], None] | None = None,
    ) -> None:
        self._run = run
        self._max_concurrent = max_concurrent
        self._cache_seconds = cache_seconds
        self._max_cached = max_cached
        self._orphan_seconds = orphan_seconds
        self._on_finished = on_finished
        self._lock = threading.Lock()
        self._running: dict[K, Future[V]] = {}
        self._orphaned: set[K] = set()  # running analyses a caller stopped waiting for
        self._cache: dict[K, tuple[float, V]] = {}

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def get(self, key: K, deadline_seconds: float) -> Answer[V]:
        """The value for `key`, from the cache, a running analysis or a new one.

        Raises Saturated, DeadlineExceeded, or whatever the analysis raised.
        """
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > time.monotonic():
                return Answer(cached[1], "cached")
            future = self._running.get(key)
            how: How = "joined"
            if future is None:
                if len(self._running) >= self._max_concurrent:
                    raise Saturated(f"{len(self._running)} analyses are already running")
                future = Future()
                self._running[key] = future
                how = "analysed"
                # Daemon thread, not a pool: a hung analysis must never block the process from exiting.
                threading.Thread(
                    target=self._analyse, args=(key, future), name="analysis", daemon=True
                ).start()
        try:
            return Answer(future.result(timeout=deadline_seconds), how)
        except FutureTimeout:
            with self._lock:
                if self._running.get(key) is future:
                    self._orphaned.add(key)
            raise DeadlineExceeded(f"the analysis took longer than {deadline_seconds:g}s") from None

    def _analyse(self, key: K, future: Future[V]) -> None:
        started = time.monotonic()
        value: V | None = None
        error: BaseException | None = None
        try:
            value = self._run(key)
        except BaseException as caught:
            error = caught
        finished = time.monotonic()
        with self._lock:
            del self._running[key]
            keep = self._cache_seconds
            if key in self._orphaned:
                self._orphaned.discard(key)
                keep = max(keep, self._orphan_seconds)
            if error is None and keep > 0:
                self._remember(key, value, finished + keep)  # type: ignore[arg-type]
        if self._on_finished is not None:
            # Bookkeeping must never leave a caller waiting for ever.
            with contextlib.suppress(Exception):
                self._on_finished(finished - started, value, error)
        if error is None:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            future.set_exception(error)

    def _remember(self, key: K, value: V, until: float) -> None:
        now = time.monotonic()
        for stale in [k for k, (expires, _) in self._cache.items() if expires <= now]:
            del self._cache[stale]
        while len(self._cache) >= self._max_cached:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = (until, value)
