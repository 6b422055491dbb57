"""Collectors: one module per source, each `collect(source) -> Snapshot`; the factory picks by type."""

from __future__ import annotations

from job.model import ClusterSource, FileSource, MetricsConfig, Snapshot, Source


def collect(source: Source) -> Snapshot:
    if isinstance(source, FileSource):
        from job.collect import files

        return files.collect(source)
    if isinstance(source, ClusterSource):
        from job.collect import kubernetes

        return kubernetes.collect(source)
    raise TypeError(f"no collector for {type(source).__name__}")


def collect_metrics(config: MetricsConfig, source: Source, logs: Snapshot) -> Snapshot:
    """Prometheus readings for the sides `logs` found (their pods, hashes and window)."""
    from job.collect import prometheus

    return prometheus.collect(config, prometheus.side_matchers(config, source, logs))
