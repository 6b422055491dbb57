"""Reading an operator's YAML file (the canary config, the acknowledge file): one error per cause."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from job.errors import InputError

# Far more than any real configuration (500 acknowledge entries of 2,000 characters and their reasons
# are 2 MB): a larger file is another one given by mistake (a log), which YAML would read for minutes.
MAX_CONFIG_BYTES = 4 * 1024 * 1024


def read_config_text(path: str, name: str, fix: str = "check the path") -> str:
    """The text of `path`; a missing, unreadable, non-UTF-8 or oversized file is an InputError
    naming it as `name` (e.g. "--canary-config") with `fix`."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise InputError(f"cannot read {name} {path!r}: {error.strerror or error}; {fix}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(
            f"{name} {path!r} is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB, far more than a "
            "configuration file holds: is it the right file (not a log)?"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{name} {path!r} is not UTF-8 text: pass the YAML file") from None


class _Loader(yaml.SafeLoader):
    """Safe YAML whose dates stay text: `expires: 2026-13-01` is then an error naming its key
    (PyYAML's own date constructor raises a bare ValueError there)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, where: str) -> Any:
    """The document in `text` (safe YAML, dates as text); any way it cannot be read is an
    InputError naming `where`, never a traceback."""
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: no object construction
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())[:200]
    except ValueError as error:  # an explicit tag on a value it cannot hold, e.g. `!!int xyz`
        reason = f"{error}; quote the value or drop its tag"
    except RecursionError:
        reason = "it is nested too deeply to read"
    raise InputError(f"{where} is not valid YAML: {reason}")
