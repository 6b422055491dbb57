"""Cluster mode: a team's acknowledge file kept in a ConfigMap of the judged namespace.

`analyze --acknowledge-configmap NAME` reads the key `acknowledge.yaml` of ConfigMap NAME in the
Rollout's namespace (the one whose pods are judged), with the Job's own service account: the Role
already lets it get ConfigMaps there (its HTML reports). A missing ConfigMap or key is a usage
error naming the fix; an unreadable cluster stops the analysis (exit 4): never a verdict judged
silently without the team's entries.
"""

from __future__ import annotations

from job.collect._kube_api import NotFound, Permission, connect
from job.errors import InputError
from job.judge.known import parse_text
from job.model import Acknowledgements, Source

KEY = "acknowledge.yaml"


def read_configmap(source: Source, name: str) -> Acknowledgements:
    from job.model import ClusterSource

    if not isinstance(source, ClusterSource):
        raise InputError(
            "--acknowledge-configmap is for cluster mode: with log files pass --acknowledge FILE"
        )
    kube = connect(source.namespace, deadline_seconds=source.deadline_seconds)
    where = f"ConfigMap {kube.namespace}/{name}"
    try:
        config_map = kube.call(
            Permission("get", "configmaps", kube.namespace),
            "reading the acknowledge ConfigMap",
            kube.core.read_namespaced_config_map,
            name,
            kube.namespace,
        )
    except NotFound:
        raise InputError(
            f"{where} not found: create it (kubectl -n {kube.namespace} create configmap {name} "
            f"--from-file={KEY}=acknowledge.yaml) or drop --acknowledge-configmap"
        ) from None
    data = config_map.data or {}
    if KEY not in data:
        keys = ", ".join(sorted(data)) or "none"
        raise InputError(
            f"{where} has no key {KEY!r} (its keys: {keys}): put the acknowledge file under {KEY}"
        )
    return parse_text(data[KEY], f"{where} key {KEY}")
