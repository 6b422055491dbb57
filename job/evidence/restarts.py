"""Restarts seen in a log: the program's start-up line printed again after its first start.

In file mode there is no restart count from Kubernetes; a crash-looping canary's log (a file
collected from a node, a log store's export of the container, `kubectl logs` of a pod that
restarted in place) shows each start as the same "ready" line: Spring Boot's `Started App in 3.2
seconds`, gunicorn's `Listening at:`, `Now listening on:`, Redis's `Ready to accept connections`...
Only lines a process prints once per start count (not per worker or per reload: gunicorn's
`Booting worker`, nginx's `start worker processes`), and only on info-level, non-request records.

Per stream, start-up lines close together (fewer than EPISODE_GAP events and EPISODE_SECONDS apart:
.NET prints `Now listening on:` once per address, PostgreSQL `listening on` once per socket, in the
same few milliseconds) are one start; a process that dies on its first request and is started again
within a second prints its banner twice in a row, a second apart.
The first start is the process's own when no request came before it and it is near the top, in
events and in time (a log cut from a longer run may begin mid-run: then a start inside it is a
restart). Every other
start is a restart, unless its time goes back: `kubectl logs -l app=x > canary.log` writes one
pod's log after another's, and each starts with its banner at a time before the last pod's end.
A start without a time cannot be told from such a concatenation, so untimed restarts count apart
(the judge wants many of them). The judge compares the sides' restarts per stream: both sides
restarting alike is not the canary's regression.

The test of a template's text runs once per template, never per line: the per-event cost is a
dict lookup on the template id.
"""

from __future__ import annotations

import re

from job.evidence.parse import Parsed

# once-per-process "the program is up" lines of common servers and frameworks
STARTED = re.compile(
    r"""\bStarted\ \S+\ in\ \d+(?:\.\d+)?\ seconds          # Spring Boot
    | \bstarted\ in\ \d+(?:\.\d+)?s\b                      # Quarkus
    | \bStartup\ completed\ in\ \d                          # Micronaut
    | \b(?:Tomcat|Netty|Jetty|Undertow)\ started\ on\ port   # embedded servlet/reactive servers
    | \bStarting\ gunicorn\ \d | \bListening\ at:\ \S        # gunicorn's master
    | \bUvicorn\ running\ on\ | \bRunning\ on\ https?://     # uvicorn, werkzeug/Flask
    | \bNow\ listening\ on:\ | \bApplication\ started\.      # ASP.NET Core
    | \b[Rr]eady\ to\ accept\ connections                   # Redis, PostgreSQL
    | \bready\ for\ start\ up\b                             # the nginx image's entrypoint
    | \bPuma\ starting\ in\ | \bStarting\ development\ server\ at\
    | \bRunning\ \S+\ with\ (?:cowboy|Bandit)\b              # Phoenix
    | \b[Ss]erver\ (?:started|is\ listening|listening)\ (?:on|at)\b
    | \b[Ll]istening\ on\ (?:port\ |https?://|:|\[|\d|0\.0\.0\.0)  # Node, Go, Puma: "listening on :8080"
    | \b[Ss]tarting\ (?:HTTP\ |http\ |gRPC\ |grpc\ |web\ )?server\ (?:on|at)\b""",
    re.X,
)
START_LEVELS = frozenset(("info", "unknown", "debug", "trace"))
EPISODE_GAP = 5  # events: start-up lines closer than this belong to the same start...
EPISODE_SECONDS = 1.0  # ...unless written this long after the one before (a crash loop logs nothing else)
TOP_EVENTS = 200  # a first start within this many events (or the first quarter) is the process's own
BOOT_SECONDS = 120.0  # ...and within this long of the log's first line (a start-up takes no longer)
TIMED, UNTIMED, ANOTHER_LOG = "timed", "untimed", "another log"


def is_startup(parsed: Parsed) -> bool:
    """A record that says the program has just started (the test behind a template's first event,
    and behind every event of the "other shapes", which share no template)."""
    if parsed.status is not None or parsed.level not in START_LEVELS:
        return False
    text = parsed.message[:300]
    # every STARTED alternative holds one of these: four plain scans rule out nearly every line
    if "tart" not in text and "isten" not in text and "unning" not in text and "eady" not in text:
        return False
    return STARTED.search(text) is not None


class StreamStarts:
    """The starts of one stream, fed with each start-up event's position and time."""

    __slots__ = ("first_request", "last_start", "last_when", "late", "messages", "starts")

    def __init__(self) -> None:
        self.first_request: int | None = None  # position of the first request record
        self.late = False  # the first start came long after the log's first line
        self.last_start = -EPISODE_GAP
        self.last_when: float | None = None
        self.starts: list[tuple[int, str]] = []  # each start's first position and how it came
        self.messages: list[str] = []  # the first starts' first lines

    def start_line(
        self, position: int, message: str, when: float | None, latest: float, earliest: float | None
    ) -> None:
        """A start-up line at `position`, written at `when`; `latest`/`earliest`: the stream's latest
        and first times so far."""
        if not self.starts and when is not None and earliest is not None:
            self.late = when - earliest > BOOT_SECONDS
        apart = when is not None and self.last_when is not None and when - self.last_when >= EPISODE_SECONDS
        if position - self.last_start >= EPISODE_GAP or apart:
            if when is None:
                how = UNTIMED
            elif when < latest - 1.0:
                how = ANOTHER_LOG  # time went back: another pod's log after this one (`kubectl logs -l`)
            else:
                how = TIMED
            self.starts.append((position, how))
            if len(self.messages) < 3:
                self.messages.append(message[:200])
        self.last_start, self.last_when = position, when

    def restarts(self, events: int) -> tuple[int, int, list[str]]:
        """Restarts after the process's own first start, timed and untimed, and the first lines of the
        first of them. A start whose time goes back begins another process's log: no restart."""
        if not self.starts:
            return 0, 0, []
        first = self.starts[0][0]
        own = (
            (self.first_request is None or self.first_request > first)
            and first <= max(TOP_EVENTS, events // 4)
            and not self.late
        )
        later = [how for _, how in self.starts[own:]]
        return later.count(TIMED), later.count(UNTIMED), self.messages[own:]
