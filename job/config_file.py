"""Reading an operator's YAML file (the canary config, the acknowledge file): one error per cause."""

from __future__ import annotations

from pathlib import Path

from job.errors import InputError


def read_config_text(path: str, name: str, fix: str = "check the path") -> str:
    """The text of `path`; a missing, unreadable or non-UTF-8 file is an InputError naming it as
    `name` (e.g. "--canary-config") with `fix`."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {name} {path!r}: {error.strerror or error}; {fix}") from None
    except UnicodeDecodeError:
        raise InputError(f"{name} {path!r} is not UTF-8 text: pass the YAML file") from None
