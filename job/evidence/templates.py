"""Template mining with drain3, behind a cache keyed on the masked message.

drain3 (the Drain algorithm, IBM's maintained implementation) groups messages into
templates such as `user <NUM> logged in from <IP>`. One miner sees both sides, so a
template id means the same shape on stable and canary. Most lines repeat a shape already
seen, so the masked message is looked up in a dict first and drain3 runs only for shapes
it has not met: the cost per line is one regex substitution and one dict lookup.
"""

from __future__ import annotations

import logging
import re

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

# Variable parts of a message, most specific first. Each is a (mask name, regex) pair.
MASKS: tuple[tuple[str, str], ...] = (
    ("TS", r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
    ("TS", r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b"),
    ("DATE", r"\b\d{4}[-/]\d{2}[-/]\d{2}\b"),
    ("UUID", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    ("IP", r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?\b"),
    ("HASH", r"\b(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})\b"),
    ("HEX", r"\b0x[0-9a-fA-F]+\b"),
    ("ID", r"\b(?=[A-Za-z_-]*\d)(?=[0-9_-]*[A-Za-z])[A-Za-z0-9_-]{8,}\b"),
    ("HEX", r"\b(?=[a-f]*\d)[0-9a-f]{6,}\b"),
    ("NUM", r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?"),
)
# The cache key masks every token that holds a digit: one cheap pass, and drain3 (with
# parametrize_numeric_tokens) treats such tokens as variables anyway, so equal keys mean
# one template. "/" and ":" split tokens so "/api/users/42" keeps its route.
_ANY_VARIABLE = re.compile(r"(?<![\w.-])[\w.-]*\d[\w.-]*")
MAX_CACHED_SHAPES = 50_000
_HTTP_METHODS = ("GET ", "POST ", "PUT ", "DELETE ", "PATCH ", "HEAD ", "OPTIONS ", "CONNECT ", "TRACE ")
MAX_TEMPLATES = 20_000


def mask(message: str) -> str:
    """The cache key: every variable part replaced by `<*>`."""
    return _ANY_VARIABLE.sub("<*>", message)


def new_miner(max_templates: int = MAX_TEMPLATES) -> TemplateMiner:
    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(pattern, name) for name, pattern in MASKS]
    config.drain_sim_th = 0.5
    config.drain_depth = 4
    config.drain_max_clusters = max_templates
    config.parametrize_numeric_tokens = True
    logging.getLogger("drain3").setLevel(logging.WARNING)
    return TemplateMiner(config=config)


class TemplateIndex:
    """message -> template id, shared by both sides; memory grows with shapes, not lines."""

    def __init__(self) -> None:
        self.miner = new_miner()
        self._ids: dict[str, int] = {}
        self._requests: dict[str, int] = {}
        self._request_parts: dict[int, tuple[int | str, str]] = {}  # id -> (cluster id or shape, status)
        self.drain_calls = 0

    def id_for(self, message: str) -> int:
        key = _ANY_VARIABLE.sub("<*>", message)
        found = self._ids.get(key)
        if found is not None:
            return found
        self.drain_calls += 1
        cluster_id: int = self.miner.add_log_message(message)["cluster_id"]
        if len(self._ids) < MAX_CACHED_SHAPES:
            self._ids[key] = cluster_id
        return cluster_id

    def request_id(self, message: str) -> int:
        """A request record, "<what> <status>", keeps its status code in its template (drain3 would
        merge "GET /x 200" with "GET /x 500"). "GET /api/users/42" is already a shape and skips
        drain3 (which would merge routes); free text ("yellow" of "500 - yellow") is mined."""
        prefix, _, code = message.rpartition(" ")
        if prefix.startswith(_HTTP_METHODS):
            key = _ANY_VARIABLE.sub("<*>", prefix) + " " + code
            part: int | str = key
        else:
            part = self.id_for(prefix)
            key = f"{part} {code}"
        found = self._requests.get(key)
        if found is not None:
            return found
        template_id = -1 - len(self._request_parts)
        if len(self._requests) < MAX_CACHED_SHAPES:
            self._requests[key] = template_id
        if isinstance(part, str):
            part = self.miner.masker.mask(prefix)
        self._request_parts[template_id] = (part, code)
        return template_id

    def template(self, cluster_id: int) -> str | None:
        if cluster_id < 0:
            part, code = self._request_parts[cluster_id]
            text = part if isinstance(part, str) else self.template(part)
            return f"{text} {code}"
        cluster = self.miner.drain.id_to_cluster.get(cluster_id)
        return None if cluster is None else cluster.get_template()
