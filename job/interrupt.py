"""SIGTERM and SIGINT stop an analysis at once: exit 4 with a message, never a verdict.

Without a handler a process running as PID 1 in a container ignores SIGTERM (the kernel gives
init no default action), so deleting the Job would wait out the whole grace period. The handler
raises `Interrupted` in the main thread; Python then abandons whatever it was doing there,
including a blocking socket or file read (PEP 475 retries a read only when the handler returns).
`Interrupted` is a BaseException, like KeyboardInterrupt, so no `except Exception` on the way
(a model backend, a reader) can turn it into a result.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BaseException):
    """A stop signal arrived before the analysis finished."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")


def _raise(signum: int, _frame: FrameType | None) -> None:
    for each in STOP_SIGNALS:  # a second signal must not interrupt the clean-up of the first
        signal.signal(each, signal.SIG_IGN)
    raise Interrupted(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM/SIGINT raise `Interrupted`; the previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may install handlers (e.g. a test runner's worker thread)
        return
    previous = {each: signal.signal(each, _raise) for each in STOP_SIGNALS}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
