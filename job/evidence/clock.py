"""The time a log record was written, read from its head line: epoch seconds, or None.

Cheap on purpose (it runs once per event): one regex over the first `SCAN_CHARS` characters,
and a cache of the epoch of each minute seen, so most lines cost a search and a dict lookup.
Understood: ISO-8601 and its log variants (`2026-11-26 06:32:19,123`, `2026/11/26 06:32:19`,
`T...Z`, `+01:00`, ` UTC`), common/combined log format (`26/Nov/2026:06:32:19 +0000`, and
Python http.server's `26/Nov/2026 06:32:19`), Redis (`26 Nov 2026 06:32:19.1`), Apache's
error log (`Thu Nov 26 06:32:19.1 2026`), java.util.logging (`Nov 26, 2026 6:32:19 AM`),
klog (`I1126 06:32:19.1`) and syslog (`Nov 26 06:32:19`), which carry no year (`year` is
assumed), and JSON epoch fields (`"ts":1795676600.6`, `"time":1795676352689` in ms).
A time without a zone is taken as UTC: both sides of one service write the same zone, and
in cluster mode the runtime's own UTC timestamp is used before the app's.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime

SCAN_CHARS = 160
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}  # fmt: skip
_STAMP = re.compile(
    r"""
    (?P<iy>\d{4})[-/](?P<im>\d{2})[-/](?P<id>\d{2})[T\ ]\ ?(?P<iH>\d{1,2}):(?P<iM>\d{2}):(?P<iS>\d{2})
        (?:[.,](?P<ifr>\d+))?\ ?(?P<iz>Z|[+-]\d{2}:?\d{2}(?!\d)|UTC)?
  | (?P<cd>\d{2})/(?P<cb>[A-Z][a-z]{2})/(?P<cy>\d{4})[:\ ](?P<cH>\d{2}):(?P<cM>\d{2}):(?P<cS>\d{2})
        (?:\.(?P<cfr>\d+))?(?:\ (?P<cz>[+-]\d{4}))?
  | (?:[A-Z][a-z]{2}\ )?(?P<ab>[A-Z][a-z]{2})\ (?P<ad>[\ \d]\d)\ (?P<aH>\d{2}):(?P<aM>\d{2}):(?P<aS>\d{2})
        (?:\.(?P<afr>\d+))?(?:\ (?P<ay>\d{4}))?
  | (?P<rd>\d{1,2})\ (?P<rb>[A-Z][a-z]{2})\ (?P<ry>\d{4})\ (?P<rH>\d{2}):(?P<rM>\d{2}):(?P<rS>\d{2})
        (?:\.(?P<rfr>\d+))?
  | (?P<jb>[A-Z][a-z]{2})\ (?P<jd>\d{1,2}),\ (?P<jy>\d{4})\ (?P<jH>\d{1,2}):(?P<jM>\d{2}):(?P<jS>\d{2})
        \ (?P<jp>[AP]M)
  | ^[IWEF](?P<km>\d{2})(?P<kd>\d{2})\ (?P<kH>\d{2}):(?P<kM>\d{2}):(?P<kS>\d{2})(?:\.(?P<kfr>\d+))?
  | "(?:ts|time|timestamp|@timestamp)":\ ?(?P<epoch>\d{10}(?:\.\d+)?|\d{13})(?![\d.])
    """,
    re.X,
)
_MINUTES: dict[tuple[int, int, int, int, int], int] = {}  # (y, m, d, H, M) -> epoch seconds
_MINUTES_MAX = 4096


def _minute(year: int, month: int, day: int, hour: int, minute: int) -> int | None:
    key = (year, month, day, hour, minute)
    epoch = _MINUTES.get(key)
    if epoch is None:
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60):
            return None
        epoch = calendar.timegm((year, month, day, hour, minute, 0, 0, 0, 0))
        if len(_MINUTES) >= _MINUTES_MAX:
            _MINUTES.clear()
        _MINUTES[key] = epoch
    return epoch


def _fraction(digits: str | None) -> float:
    return float("0." + digits) if digits else 0.0


def _offset(zone: str | None) -> int:
    """Seconds to subtract to reach UTC for a zone like +0100, -05:30, Z or UTC."""
    if not zone or zone in ("Z", "UTC"):
        return 0
    digits = zone[1:].replace(":", "")
    seconds = int(digits[:2]) * 3600 + int(digits[2:4]) * 60
    return seconds if zone[0] == "+" else -seconds


_ISO_START = re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}[T ]")
_MONTHS_HINT = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ /]")


def _find(head: str) -> re.Match[str] | None:
    """The time in the first characters, tried where formats put it before any full search, so
    most lines cost one anchored match or a few substring tests."""
    first = head[0]
    if first.isdigit() or (first in "IWEF" and head[1:5].isdigit()):
        found = _STAMP.match(head)  # ISO, Go log, Redis, klog at the start
        if found is not None:
            return found
    bracket = head.find("[")
    if bracket >= 0:
        found = _STAMP.match(head, bracket + 1)  # [26/Nov/2026:...], [2026-11-26 ...], [Thu Nov 26 ...]
        if found is not None:
            return found
    if first == "{":
        if '"ts"' in head or '"time' in head or '"timestamp"' in head or _ISO_START.search(head):
            return _STAMP.search(head)
        return None
    if _ISO_START.search(head) is not None or _MONTHS_HINT.search(head) is not None:
        return _STAMP.search(head)
    return None


def parse_time(line: str, year: int | None = None) -> float | None:
    """Epoch seconds of the record whose head line is `line`, or None when it carries no time."""
    head = line[:SCAN_CHARS]
    if not head:
        return None
    match = _find(head)
    if match is None:
        return None
    g = match.group
    try:
        if g("iy"):
            base = _minute(int(g("iy")), int(g("im")), int(g("id")), int(g("iH")), int(g("iM")))
            second, fraction, zone = g("iS"), g("ifr"), g("iz")
        elif g("cy"):
            base = _minute(int(g("cy")), _MONTHS.get(g("cb"), 0), int(g("cd")), int(g("cH")), int(g("cM")))
            second, fraction, zone = g("cS"), g("cfr"), g("cz")
        elif g("ab"):
            base = _minute(int(g("ay") or year or _this_year()), _MONTHS.get(g("ab"), 0), int(g("ad")),
                           int(g("aH")), int(g("aM")))  # fmt: skip
            second, fraction, zone = g("aS"), g("afr"), None
        elif g("ry"):
            base = _minute(int(g("ry")), _MONTHS.get(g("rb"), 0), int(g("rd")), int(g("rH")), int(g("rM")))
            second, fraction, zone = g("rS"), g("rfr"), None
        elif g("jy"):
            hour = int(g("jH")) % 12 + (12 if g("jp") == "PM" else 0)
            base = _minute(int(g("jy")), _MONTHS.get(g("jb"), 0), int(g("jd")), hour, int(g("jM")))
            second, fraction, zone = g("jS"), None, None
        elif g("km"):
            base = _minute(year or _this_year(), int(g("km")), int(g("kd")), int(g("kH")), int(g("kM")))
            second, fraction, zone = g("kS"), g("kfr"), None
        else:
            epoch = g("epoch")
            return int(epoch) / 1000.0 if len(epoch) == 13 else float(epoch)
    except (ValueError, OverflowError):
        return None
    if base is None or int(second) > 60:
        return None
    return base + int(second) + _fraction(fraction) - _offset(zone)


def parse_runtime_stamp(stamp: str) -> float | None:
    """The `kubectl logs --timestamps` / CRI prefix (`2026-11-26T06:32:19.123456789Z`)."""
    return parse_time(stamp)


def _this_year() -> int:
    return datetime.now(UTC).year
