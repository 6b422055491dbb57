"""The tool's own logs: one JSON object per line on stderr, quiet (warnings) by default.

Every line is redacted as it is written: an error message may quote a URL with a password in it.
"""

from __future__ import annotations

import json
import logging
import sys
import time


class _JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        from job.evidence.redact import redact  # loaded with the first log line, not at start-up

        return redact(json.dumps(entry, default=str))


def configure(level: str = "warning") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JSONFormatter())
    root = logging.getLogger("job")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
