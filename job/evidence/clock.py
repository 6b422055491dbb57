"""The time a log record was written, read from its head line: epoch seconds, or None.

Cheap on purpose (it runs once per event): one regex over the first `SCAN_CHARS` characters,
one `groups()` call, and a cache of the epoch of each second seen, so most lines cost a match and
a dict lookup.
Understood: ISO-8601 and its log variants (`2026-11-26 06:32:19,123`, `2026/11/26 06:32:19`,
`T...Z`, `+01:00`, ` UTC`), common/combined log format (`26/Nov/2026:06:32:19 +0000`, and
Python http.server's `26/Nov/2026 06:32:19`), Redis (`26 Nov 2026 06:32:19.1`), Apache's
error log (`Thu Nov 26 06:32:19.1 2026`), java.util.logging (`Nov 26, 2026 6:32:19 AM`, also
under the JDK's other locales: `Nov. 26, 2026 6:32:19 PM`, `nov 26, 2026 6:32:19 P. M.`, `11月 26,
2026 6:32:19 午後`), Tomcat (`26-Nov-2026 06:32:19.1`), day-first dotted dates (`26.11.2026
06:32:19`; a slashed `11/26/2026` is left alone: day or month first cannot be told), epoch seconds
with a fraction first on the line (`1795674739.123 ERROR ...`), klog (`I1126 06:32:19.1`) and
syslog (`Nov 26 06:32:19`), which carry no year (`year` is
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
# java.util.logging's SimpleFormatter writes its month (%tb) and AM/PM (%Tp) as the JVM's locale does
# ("Nov. 27, 2026 2:03:01 PM", "nov 27, 2026 2:03:01 P. M.", "11月 27, 2026 2:03:01 午後"): the JDK 17
# (CLDR) abbreviations of en de fr es it pt sv nl pl ru, none of which names two months
_LOCAL_MONTHS = {
    name: number
    for names in (
        "jan feb mar apr may jun jul aug sep oct nov dec",
        "jan feb märz apr mai juni juli aug sept okt nov dez",
        "janv févr mars avr mai juin juil août sept oct nov déc",
        "ene feb mar abr may jun jul ago sept oct nov dic",
        "gen feb mar apr mag giu lug ago set ott nov dic",
        "jan fev mar abr mai jun jul ago set out nov dez",
        "jan feb mars apr maj juni juli aug sep okt nov dec",
        "jan feb mrt apr mei jun jul aug sep okt nov dec",
        "sty lut mar kwi maj cze lip sie wrz paź lis gru",
        "янв февр мар апр мая июн июл авг сент окт нояб дек",
    )
    for number, name in enumerate(names.split(), start=1)
}
_PM = frozenset(("PM", "P.M.", "P. M.", "EM", "午後", "下午", "오후"))


def _month(name: str) -> int:
    """A month written in English or as a JDK locale abbreviates it ("Nov.", "nov", "11月"); 0 if none."""
    if name[-1:] in "月월":
        return int(name[:-1])
    return _MONTHS.get(name) or _LOCAL_MONTHS.get(name.rstrip(".").lower(), 0)


_STAMP = re.compile(
    r"""
    (?P<iy>\d{4})[-/](?P<im>\d{2})[-/](?P<id>\d{2})[T\ ]\ ?(?P<iH>\d{1,2}):(?P<iM>\d{2}):(?P<iS>\d{2})
        (?:[.,](?P<ifr>\d+))?\ ?(?P<iz>Z|[+-]\d{2}:?\d{2}(?!\d)|UTC)?
  | (?P<cd>\d{2})[/-](?P<cb>[A-Z][a-z]{2})[/-](?P<cy>\d{4})[:\ ](?P<cH>\d{2}):(?P<cM>\d{2}):(?P<cS>\d{2})
        (?:\.(?P<cfr>\d+))?(?:\ (?P<cz>[+-]\d{4}))?
  | (?:[A-Z][a-z]{2}\ )?(?P<ab>[A-Z][a-z]{2})\ (?P<ad>[\ \d]\d)\ (?P<aH>\d{2}):(?P<aM>\d{2}):(?P<aS>\d{2})
        (?:\.(?P<afr>\d+))?(?:\ (?P<ay>\d{4}))?
  | (?P<rd>\d{1,2})\ (?P<rb>[A-Z][a-z]{2})\ (?P<ry>\d{4})\ (?P<rH>\d{2}):(?P<rM>\d{2}):(?P<rS>\d{2})
        (?:\.(?P<rfr>\d+))?
  | (?:(?P<jb>[A-Z][a-z]{2})|^(?P<jl>[^\W\d_]{3,5}\.?|1?\d[月월]))\ (?P<jd>\d{1,2}),\ (?P<jy>\d{4})
        \ (?P<jH>\d{1,2}):(?P<jM>\d{2}):(?P<jS>\d{2})
        \ (?P<jp>[AP](?:M|\.M\.|\.\ M\.)|[EF]M|午[前後]|[上下]午|오[전후])
  | (?P<gd>\d{2})\.(?P<gm>\d{2})\.(?P<gy>\d{4})[T\ ](?P<gH>\d{2}):(?P<gM>\d{2}):(?P<gS>\d{2})
        (?:[.,](?P<gfr>\d+))?
  | ^[IWEF](?P<km>\d{2})(?P<kd>\d{2})\ (?P<kH>\d{2}):(?P<kM>\d{2}):(?P<kS>\d{2})(?:\.(?P<kfr>\d+))?
  | (?:"(?:ts|time|timestamp|@timestamp)":\ ?|^(?=\d{10}\.\d{1,9}\s))
        (?P<epoch>\d{10}(?:\.\d+)?|\d{13})(?![\d.])
    """,
    re.X,
)
# ISO-8601 alone (_STAMP's first format), the most common: where a line puts it, it is read with
# this shorter pattern and its second looked up by its text
_ISO = re.compile(
    r"(\d{4})[-/](\d{2})[-/](\d{2})[T ] ?(\d{1,2}):(\d{2}):(\d{2})"
    r"(?:[.,](\d+))? ?(Z|[+-]\d{2}:?\d{2}(?!\d)|UTC)?"
)
_MINUTES: dict[tuple[int, int, int, int, int], int] = {}  # (y, m, d, H, M) -> epoch seconds
_MINUTES_MAX = 4096
# Each format's named groups are consecutive in _STAMP: `match.lastindex` (the last group that took
# part) says which format matched, so one `groups()` call reads it. Per format: its letter, the
# index of its first group in groups(), how many groups it has, and the offset of its fraction.
_FORMATS = {
    "i": (8, 6), "c": (8, 6), "a": (7, 5), "r": (7, 6), "j": (8, -1), "g": (7, 6), "k": (6, 5), "e": (1, -1)
}  # fmt: skip
_FORMAT_OF: list[tuple[str, int, int, int]] = []  # group number - 1 -> (letter, first, count, fraction)
for _name, _number in sorted(_STAMP.groupindex.items(), key=lambda item: item[1]):
    _letter = "e" if _name == "epoch" else _name[0]
    _first = next((f[1] for f in _FORMAT_OF if f[0] == _letter), _number - 1)
    _FORMAT_OF.append((_letter, _first, *_FORMATS[_letter]))
# an ISO time's text to the second (and its zone), or (format, its fields but the fraction, assumed
# year) -> epoch second, or None for no real time: lines of the same second share it, so most
# lines cost one lookup here
_SECONDS: dict[tuple[object, ...], int | None] = {}
_SECONDS_MAX = 8192


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


def _offset(zone: str | None) -> int:
    """Seconds to subtract to reach UTC for a zone like +0100, -05:30, Z or UTC."""
    if not zone or zone in ("Z", "UTC"):
        return 0
    digits = zone[1:].replace(":", "")
    seconds = int(digits[:2]) * 3600 + int(digits[2:4]) * 60
    return seconds if zone[0] == "+" else -seconds


# what starts a fraction after the seconds, per _STAMP format ("": the text does not end with them)
_FRACTION_MARKS = {"i": ".,", "c": ".", "a": ".", "r": ".", "k": ".", "g": ".,", "j": "", "e": ""}
# a second (two digits, no third) and its fraction, after a minute read before: per fraction marks
_SECONDS_AFTER = {marks: re.compile(rf"([0-5][0-9]|60)(?![0-9])(?:[{marks}](\d+))?") for marks in (".,", ".")}
_ISO_START = re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}[T ]")
_MONTHS_HINT = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ /]")


def _find(head: str) -> re.Match[str] | None:
    """The time in the first characters (an _ISO or a _STAMP match), tried where formats put it
    before any full search, so most lines cost one anchored match or a few substring tests."""
    first = head[0]
    if first.isdigit() or (first in "IWEF" and head[1:5].isdigit()):
        found = _ISO.match(head) or _STAMP.match(head)  # ISO, Go log, Redis, klog at the start
        if found is not None:
            return found
    bracket = head.find("[") if first != "{" else -1  # JSON: its time is a value, never in brackets
    if bracket >= 0:  # [26/Nov/2026:...], [2026-11-26 ...], [Thu Nov 26 ...]
        found = _ISO.match(head, bracket + 1) or _STAMP.match(head, bracket + 1)
        if found is not None:
            return found
    iso = _ISO_START.search(head)
    if iso is not None:  # `time=2026-11-26T...`, `{"ts":"2026-11-26T..."`: read where it starts
        at = iso.start()
        found = _ISO.match(head, at)
        # unless a time of another format may come first: a JSON value not in quotes, a month name
        if found is not None and (
            head[at - 1] == '"' if first == "{" else _MONTHS_HINT.search(head, 0, at) is None
        ):
            return found
    if first == "{":
        if '"ts"' in head or '"time' in head or '"timestamp"' in head or iso is not None:
            return _STAMP.search(head)
        return None
    if iso is not None or _MONTHS_HINT.search(head) is not None:
        return _STAMP.search(head)
    if head.find(", ", 3, 11) > 0:  # java.util.logging in another locale: "nov. 27, 2026 2:03:01 PM"
        return _STAMP.match(head)
    return None


def parse_time(line: str, year: int | None = None) -> float | None:
    """Epoch seconds of the record whose head line is `line`, or None when it carries no time."""
    found = _read(line[:SCAN_CHARS], year) if could_hold_time(line) else None
    if found is None:
        return None
    base, fraction = found[0], found[1]
    return base + float("0." + fraction) if fraction else float(base)


# Formats (a time at a place in the line, to its minute) a stream's clock remembers besides the last
# line's: one stdout often interleaves several (an access log, the app's records, a library's own lines)
# (16: an access log's time moves with its client address's length, so one such log is several
# formats; 8 left the generated mix of 10 formats a full read on 15% of its lines, 16 on 14 of
# 47,956, for the same times)
FORMATS_KEPT = 16


class _Format:
    """A time as a stream's clock last read it: its text up to the second (made when first needed),
    where it starts in the line, and the time. When its seconds can be read alone (plain seconds
    last), also its text up to the minute (else ""), where that text ends, that minute's epoch (its
    zone applied), the regex of its seconds, and what the regex made of the text after its minute
    on earlier lines. One object per format: the clock moves it between the line before's and the
    kept ones, and each line read in its minute updates it in place."""

    __slots__ = ("at", "char", "digits", "end", "marks", "minute", "minute_epoch", "probe", "second",
                 "seconds", "stop", "text", "told", "when")  # fmt: skip

    def __init__(self, text: str, at: int, when: float, base: float, marks: str) -> None:
        self.text: str | None = text
        self.at, self.when = at, when
        # one character of its text, compared before the text: its first that is not a digit (a
        # date's separator, a bracket, a quote), as formats at one place mostly differ there and the
        # same format at another place has a digit there; a third of a `startswith`'s cost
        offset = len(text) - len(text.lstrip(_ASCII_DIGITS))
        if offset == len(text):
            offset = 0
        self.probe, self.char = at + offset, text[offset : offset + 1]
        self.minute, self.end, self.stop, self.minute_epoch, self.marks = "", at, at, 0, marks
        self.seconds, self.second, self.digits = _SECONDS_AFTER[".,"], "", 0
        # its minute's text, a second's two digits and the character after them (fewer where the
        # line or its first SCAN_CHARS end) -> that second's text and value, and whether a fraction
        # mark follows: a line that starts so at its place shows this minute and has that second,
        # told by one lookup instead of a comparison and a match
        self.told: dict[str, tuple[str, int, bool]] = {}
        if marks and text[-3:-2] == ":":
            self.minute = text[:-2]
            self.end = at + len(self.minute)
            self.stop = min(self.end + 3, SCAN_CHARS)
            self.minute_epoch = base - int(text[-2:])  # type: ignore[assignment]
            self.seconds = _SECONDS_AFTER[marks]

    def in_minute(self, line: str, told: tuple[str, int, bool] | None) -> float | None:
        """The time of a line whose text up to `end` is this minute (`told`: what its `told` holds
        for the line): its seconds and fraction read as the format writes them, or None to read
        the line in full (anything else there)."""
        fraction: str | None = None
        if told is not None:
            seconds, value, marked = told
            if marked:  # as many fraction digits as the last time, mostly: the regex takes the same
                # when they are a run of digits that ends there (or the line does); `digits` came
                # from the regex at this place, so they end within SCAN_CHARS
                start, digits = self.stop, self.digits
                fraction = line[start : start + digits]
                if not (fraction.isdecimal() and not line[start + digits : start + digits + 1].isdecimal()):
                    told = None
        if told is None:
            found = self.seconds.match(line, self.end, SCAN_CHARS)
            if found is None:
                return None
            seconds, fraction = found.groups()
            value = _SECOND_VALUES[seconds]
            self._learn(line, seconds, value, fraction)
        self.text, self.second = None, seconds
        base = self.minute_epoch + value
        if fraction:
            known = _FRACTION_VALUES.get(fraction)
            self.when = when = base + (float("0." + fraction) if known is None else known)
        else:
            self.when = when = float(base)
        return when

    def _learn(self, line: str, seconds: str, value: int, fraction: str | None) -> None:
        """Remember what the seconds regex made of this line's text after the minute, when the
        characters up to `stop` decide it: a fraction's mark (its digits are checked each time),
        or anything but a mark or an ASCII digit (or nothing: the line ends) after a second."""
        after = line[self.end + 2 : self.stop]
        if fraction:
            self.digits = len(fraction)
        elif after and (after in self.marks or after in _ASCII_DIGITS):
            return  # a mark with no digits after it: what follows the mark decides, not kept
        if len(self.told) >= _TOLD_MAX:
            self.told.clear()
        self.told[line[self.at : self.stop]] = (seconds, value, bool(fraction))


# what _SECONDS_AFTER reads, looked up by its text (a third of int()'s or float()'s cost): a second
# ([0-5][0-9] or 60), a fraction of up to 3 digits (milliseconds)
_SECOND_VALUES = {f"{second:02d}": second for second in range(61)}
_FRACTION_VALUES = {f"{value:0{n}d}": float(f"0.{value:0{n}d}") for n in (1, 2, 3) for value in range(10**n)}
_ASCII_DIGITS = "0123456789"
_TOLD_MAX = 512  # a format's told seconds (61 a minute, by the characters after them), bounded


class LineClock:
    """`parse_time` over the lines of one stream, in order. A line whose time reads as the line
    before's, at the same place, up to the second costs one string comparison and is given that
    line's time: within a second of its own, which the activity's slices (a second at the least)
    cannot tell apart. A line whose time reads as the line before's up to the minute (a slow
    stream: a line every second or so) has only its seconds and their fraction read, as the
    format reads them. (A zone or year written after the second is taken to be the line before's:
    one stream does not change zones from one line to the next.) So does a line whose time reads
    to the minute as one of the FORMATS_KEPT formats met before it (lines of a few formats
    interleaved), which then is the line before's. Each format is first compared by one character
    at its place, so a line of interleaved formats mostly costs that much per format it is not,
    and a line whose text after its format's minute starts as an earlier line's did (the same
    second, then a mark or what ended that second) has that second told by one lookup."""

    def __init__(self, year: int | None = None) -> None:
        self._year = year
        self._now = _Format("", 0, 0.0, 0, "")  # the line before's format (none yet: matches no line)
        self._formats: list[_Format] = []  # the earlier formats whose seconds read alone, the latest first

    def time(self, line: str) -> float | None:
        now = self._now
        try:
            here = line[now.probe] == now.char
        except IndexError:  # a line too short to hold its time there
            here = False
        if here:
            text = now.text
            if text is None:  # made when first compared (most lines of interleaved formats never are)
                text = now.text = now.minute + now.second
            if line.startswith(text, now.at):
                return now.when
            if now.minute:
                told = now.told.get(line[now.at : now.stop])
                if told is not None or line.startswith(now.minute, now.at):
                    when = now.in_minute(line, told)
                    if when is not None:
                        return when
        formats, index, told = self._formats, 0, None
        try:
            for earlier in formats:
                if line[earlier.probe] == earlier.char:
                    told = earlier.told.get(line[earlier.at : earlier.stop])
                    if told is not None or line.startswith(earlier.minute, earlier.at):
                        break
                index += 1  # (counted here: list.remove would compare the line's format with each before it)
        except IndexError:  # a line too short for some format's place: those formats skipped, one by one
            size, index, told = len(line), 0, None
            for earlier in formats:
                if earlier.probe < size and line.startswith(earlier.minute, earlier.at):
                    break
                index += 1
        if index < len(formats):  # an earlier format's minute: the line before's from now on
            earlier = formats.pop(index)
            if now.minute:
                formats.insert(0, now)
            self._now = earlier
            when = earlier.in_minute(line, told)
            if when is not None:
                return when
        if not could_hold_time(line):  # a line without a time, as most of a stream without times
            return None
        found = _read(line[:SCAN_CHARS], self._year)
        if found is None:
            return None
        now = self._now
        if now.minute:
            formats.insert(0, now)
            del formats[FORMATS_KEPT:]
        base, fraction, at, end, marks = found
        when = base + float("0." + fraction) if fraction else float(base)
        self._now = _Format(line[at:end], at, when, base, marks)
        return when


def could_hold_time(line: str) -> bool:
    """False only when no format can match in the line's first SCAN_CHARS characters: every _STAMP
    (and _ISO) format but the epoch writes its hour and minute as `<digit>:<digit>`, and the epoch
    is a number first on the line or the value of a JSON key (`"ts":`). A line without a time
    (logfmt, free text, words) is told apart with a colon search or two, not a scan for every format
    (which cost a stream without times more than the rest of its clock)."""
    if line[:1].isdigit():
        return True
    at = line.find(":", 0, SCAN_CHARS)
    while at >= 0:
        if at and (line[at - 1].isdigit() or line[at - 1] == '"'):
            return True
        at = line.find(":", at + 1, SCAN_CHARS)
    return False


def _read(head: str, year: int | None) -> tuple[float, str | None, int, int, str] | None:
    """The time in `head`: its epoch second (or the epoch itself), its fraction's digits, where it
    starts, where the text that fixes its second ends, and what may start a fraction right after
    its seconds ("" for formats whose text does not end with plain seconds there)."""
    if not head:
        return None
    match = _find(head)
    if match is None:
        return None
    if match.re is _ISO:
        fraction, zone = match.group(7, 8)
        end = match.end(6)
        key = head[match.start() : end]
        if zone:
            key += zone
        base = _SECONDS.get(key, -1)
        if base == -1:
            base = _remember(key, _second("i", (*match.group(1, 2, 3, 4, 5, 6), zone), year))
        marks = ".,"
    else:
        base, fraction, end, marks = _other(match, year)
    if base is None:
        return None
    return base, fraction, match.start(), end, marks


def _remember(key: object, base: int | None) -> int | None:
    if len(_SECONDS) >= _SECONDS_MAX:
        _SECONDS.clear()
    _SECONDS[key] = base
    return base


def _other(match: re.Match[str], year: int | None) -> tuple[float | None, str | None, int, str]:
    """A _STAMP match: its epoch second (or the epoch itself), its fraction's digits, where its
    text up to the second ends, and what may start a fraction after its seconds ("": no seconds
    written last there)."""
    letter, first, count, at = _FORMAT_OF[match.lastindex - 1]  # type: ignore[operator]
    if letter == "e":
        epoch = match.group(first + 1)
        # 13 digits are milliseconds; "1795806026.19" (seconds with two decimals) is 13 characters too
        millis = len(epoch) == 13 and "." not in epoch
        return (int(epoch) / 1000.0 if millis else float(epoch)), None, match.start(first + 1) + 10, ""
    # to the second (AM/PM follows it in "j"); a zone or year written after it is the line before's
    end = match.end() if letter == "j" else match.end(first + (5 if letter in "ak" else 6))
    key = letter + match.string[match.start() : end]
    if letter == "c":
        key += match.group(first + 8) or ""  # its zone
    elif letter in "ak":
        key += f"|{match.group(first + 7) if letter == 'a' else ''}|{year}"  # a year, written or assumed
    fraction = match.group(first + at + 1) if at >= 0 else None
    base = _SECONDS.get(key, -1)
    if base == -1:
        fields = match.groups()[first : first + count]
        if at >= 0:
            fields = fields[:at] + fields[at + 1 :]
        base = _remember(key, _second(letter, fields, year))
    return base, fraction, end, _FRACTION_MARKS[letter]


def _second(letter: str, fields: tuple[str, ...], year: int | None) -> int | None:
    """The epoch second of a time's fields (without its fraction) as format `letter` writes them."""
    zone = None
    try:
        if letter == "i":
            y, month, d, hour, minute, second, zone = fields
            base = _minute(int(y), int(month), int(d), int(hour), int(minute))
        elif letter == "c":
            d, name, y, hour, minute, second, zone = fields
            base = _minute(int(y), _MONTHS.get(name, 0), int(d), int(hour), int(minute))
        elif letter == "a":
            name, d, hour, minute, second, y = fields
            base = _minute(
                int(y or year or _this_year()), _MONTHS.get(name, 0), int(d), int(hour), int(minute)
            )
        elif letter == "r":
            d, name, y, hour, minute, second = fields
            base = _minute(int(y), _MONTHS.get(name, 0), int(d), int(hour), int(minute))
        elif letter == "j":  # its month in English anywhere, or in another locale first on the line
            english, local, d, y, hour, minute, second, noon = fields
            name = english or local
            hours = int(hour) % 12 + (12 if noon in _PM else 0)
            base = _minute(int(y), _month(name), int(d), hours, int(minute))
        elif letter == "g":
            d, month, y, hour, minute, second = fields
            base = _minute(int(y), int(month), int(d), int(hour), int(minute))
        else:
            month, d, hour, minute, second = fields
            base = _minute(year or _this_year(), int(month), int(d), int(hour), int(minute))
    except (ValueError, OverflowError):
        return None
    if base is None or int(second) > 60:
        return None
    return base + int(second) - _offset(zone)


def parse_runtime_stamp(stamp: str) -> float | None:
    """The `kubectl logs --timestamps` / CRI prefix (`2026-11-26T06:32:19.123456789Z`)."""
    return parse_time(stamp)


def _this_year() -> int:
    return datetime.now(UTC).year
