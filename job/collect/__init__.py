"""Collectors: one module per source, each `collect(source) -> Snapshot`; the factory picks by type."""

from __future__ import annotations

from job.model import ClusterSource, FileSource, Snapshot, Source


def collect(source: Source) -> Snapshot:
    if isinstance(source, FileSource):
        from job.collect import files

        return files.collect(source)
    if isinstance(source, ClusterSource):
        from job.collect import kubernetes

        return kubernetes.collect(source)
    raise TypeError(f"no collector for {type(source).__name__}")
