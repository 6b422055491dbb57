"""Fixtures for the web tests: services started as real processes (see web_service.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_service import Service, start_service


@pytest.fixture
def service_factory(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def factory(*flags: str, **kw: object) -> Service:
        service = start_service(tmp_path, *flags, **kw)  # type: ignore[arg-type]
        started.append(service)
        return service

    yield factory
    for service in started:
        if service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait(5)


@pytest.fixture
def service(service_factory: Callable[..., Service]) -> Service:
    """The default service: no model, no token, no allow-list, a 5 s deadline."""
    return service_factory("--no-llm", "--analysis-deadline", "5")
