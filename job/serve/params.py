"""Web parameters -> the snake_case options `job.options.build_request` takes.

Only the cluster source is reachable over HTTP: a request can never name log files on the
service's disk, nor the model's address (no request-controlled outbound connection).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from job.errors import InputError
from job.options import parse_duration

# camelCase web name -> option name used by build_request (the CLI's flag names).
WEB_PARAMS: dict[str, str] = {
    "namespace": "namespace",
    "stableSelector": "stable_selector",
    "canarySelector": "canary_selector",
    "stableHash": "stable_hash",
    "canaryHash": "canary_hash",
    "selector": "selector",
    "container": "container",
    "since": "since",
    "extraPrompt": "extra_prompt",
}
MODEL_PARAM = "model"
# what a request might try to pass an acknowledge file by: refused, it is the service's configuration
ACKNOWLEDGE_PARAMS = frozenset(
    {
        "acknowledge",
        "acknowledgements",
        "acknowledged",
        "acknowledgeConfigmap",
        "acknowledgeConfigMap",
        "known",
    }
)

_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
_MAX_VALUE_CHARS = 4096


class RequestRejected(Exception):
    """A request refused before any analysis, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_query(query: str) -> dict[str, Any]:
    try:
        pairs = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=64)
    except ValueError as error:
        raise RequestRejected(400, f"cannot read the query string: {error}") from None
    repeated = sorted(k for k, v in pairs.items() if len(v) > 1)
    if repeated:
        raise RequestRejected(400, f"parameter {repeated[0]!r} is given more than once: give it once")
    return {k: v[0] for k, v in pairs.items()}


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body.strip():
        return {}
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in ("", "application/json") and not media.endswith("+json"):
        raise RequestRejected(415, f"body must be JSON (Content-Type: application/json), not {media!r}")
    try:
        document = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise RequestRejected(400, f"body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise RequestRejected(400, 'body must be a JSON object such as {"namespace": "shop", ...}')
    return document


def _refuse_constant(name: str) -> None:
    """NaN and Infinity are not JSON (RFC 8259), though Python's parser takes them."""
    raise ValueError(f"{name} is not a JSON value")


def _since(value: Any) -> str:
    """`since` as a duration string or a JSON whole number of seconds, checked by the CLI's parser."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        example = 'a duration such as "5m" or whole seconds such as 300'
        raise RequestRejected(400, f"parameter 'since' must be {example}, not {value!r:.40}")
    try:
        parse_duration(value, option="since")  # the CLI's own check, naming the web parameter
    except InputError as error:
        raise RequestRejected(400, str(error)) from None
    return value


def to_options(
    params: Mapping[str, Any], *, allow_namespaces: frozenset[str], allow_model: bool
) -> dict[str, Any]:
    """Check names, types and the namespace allow-list; return build_request's options."""
    accepted = set(WEB_PARAMS) | ({MODEL_PARAM} if allow_model else set())
    unknown = sorted(set(params) - accepted)
    acks = sorted(ACKNOWLEDGE_PARAMS & set(unknown))
    if acks:
        raise RequestRejected(
            400,
            f"parameter {acks[0]!r} is refused: known noise is the service's own configuration "
            "(rollouts-ai-job serve --acknowledge FILE, a mounted ConfigMap), never a request's, so no "
            "caller can make a failing canary pass",
        )
    if unknown:
        hint = " (the service chooses the model: start it with --allow-request-model to let requests pick)"
        raise RequestRejected(
            400,
            f"unknown parameter {unknown[0]!r}: accepted are {', '.join(sorted(accepted))}"
            + (hint if unknown[0] == MODEL_PARAM else ""),
        )
    options: dict[str, Any] = {}
    for name, value in params.items():
        if name == "since":
            value = _since(value)
        if not isinstance(value, str):
            raise RequestRejected(400, f"parameter {name!r} must be a string, not {type(value).__name__}")
        if len(value) > _MAX_VALUE_CHARS:
            raise RequestRejected(400, f"parameter {name!r} is longer than {_MAX_VALUE_CHARS} characters")
        if value:
            options[WEB_PARAMS.get(name, name)] = value
    namespace = options.get("namespace")
    if namespace is not None and (len(namespace) > 63 or not _NAMESPACE.fullmatch(namespace)):
        raise RequestRejected(400, f"namespace {namespace!r} is not a valid Kubernetes namespace name")
    if allow_namespaces:
        if namespace is None:
            raise RequestRejected(400, "parameter 'namespace' is required by this service's allow-list")
        if namespace not in allow_namespaces:
            raise RequestRejected(
                403,
                f"namespace {namespace!r} is not allowed here: allowed are "
                f"{', '.join(sorted(allow_namespaces))} (add --allow-namespace to the service to allow it)",
            )
    model = options.get(MODEL_PARAM)
    if model is not None and not _MODEL_NAME.fullmatch(model):
        raise RequestRejected(400, f"model name {model!r} is not valid")
    return options
