"""Plain data types passed between the stages: collect -> evidence -> judge -> outputs.

Stages talk only through these types. Extend them by adding fields with defaults;
never rename or remove a field (the JSON result document is built from them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Side = Literal["stable", "canary"]
FindingSide = Literal["canary", "stable", "both"]
Severity = Literal["critical", "major", "minor", "info"]
VerdictValue = Literal["pass", "fail", "inconclusive"]
OnLLMError = Literal["evidence", "fail", "inconclusive"]

SEVERITY_ORDER: dict[str, int] = {"critical": 3, "major": 2, "minor": 1, "info": 0}


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class FileSource:
    """Log files on disk, several per side (one per pod, say)."""

    stable_paths: tuple[str, ...]
    canary_paths: tuple[str, ...]


@dataclass(frozen=True)
class ClusterSource:
    """Pods in a Kubernetes namespace, chosen by selectors or rollouts-pod-template-hash."""

    namespace: str | None = None
    stable_selector: str | None = None
    canary_selector: str | None = None
    stable_hash: str | None = None
    canary_hash: str | None = None
    selector: str | None = None
    container: str | None = None
    since_seconds: int | None = None
    max_pods: int = 10
    # Read the mesh proxies' access logs (istio-proxy, envoy...) as request evidence of their pods
    mesh_requests: bool = True
    # Whole-collection deadline, log streaming included; None = env ROLLOUTS_AI_KUBE_DEADLINE (120 s).
    deadline_seconds: float | None = None


Source = FileSource | ClusterSource


# The default models, chosen by measurement (docs/model.md "Default model", bench/RESULTS.md): an
# analysis Job may wait minutes, so it gets the 1.5B's better explanations; the web provider must
# answer inside its deadline on a small CPU node, so it gets the 0.5B. A --model, ROLLOUTS_AI_MODEL
# or an allowed request's model always wins.
JOB_MODEL = "qwen2.5-coder:1.5b-instruct"
WEB_MODEL = "qwen2.5-coder:0.5b-instruct"


@dataclass(frozen=True)
class LLMConfig:
    enabled: bool = True
    api: Literal["ollama", "openai"] = "ollama"
    host: str = "http://localhost:11434"
    url: str | None = None
    model: str = JOB_MODEL
    timeout_seconds: float = 120.0
    extra_prompt: str = ""
    on_error: OnLLMError = "evidence"
    prompt_token_budget: int = 3000


# ---------------------------------------------------------------- metrics (a second source of evidence)

MetricKind = Literal["ratio", "histogram", "series", "count"]
MetricDirection = Literal["increase", "decrease", "either"]
MetricClass = Literal["High", "Low", "Pass", "NoData"]


@dataclass(frozen=True)
class MetricSignal:
    """One signal of a canary config: a PromQL template run once per side, and how to judge it.

    `query` (and `total` for a ratio) hold the placeholders `{{side}}` (the side's label matchers),
    `{{window}}` (the analysis window, e.g. `600s`) and `{{rate}}` (the rate window of a series).
    """

    name: str
    kind: MetricKind
    query: str
    total: str | None = None  # ratio: the denominator's query
    direction: MetricDirection = "increase"  # which way is bad
    critical: bool = False  # a bad change is critical (fails alone), else major
    required: bool = False  # no data is inconclusive, never a pass
    gating: bool = True  # False: shown as information, never changes the verdict
    min_ratio: float = 1.5  # effect-size floor: canary / stable (or stable / canary for decrease)
    min_delta: float = 0.0  # effect-size floor: |canary - stable| in the signal's unit
    unit: str = ""
    quantiles: tuple[float, ...] = (0.5, 0.9, 0.99)  # histogram


@dataclass(frozen=True)
class MetricsConfig:
    """Where Prometheus is, which signals to compare, and how a side's series are selected."""

    url: str
    signals: tuple[MetricSignal, ...]
    window_seconds: int = 600  # used when the log source does not know its window (file mode)
    rate_window: str = "1m"
    sides_by: Literal["pod", "label", "selector"] = "pod"
    side_label: str = "rollouts_pod_template_hash"
    stable_selector: str | None = None  # PromQL label matchers, with sides_by="selector"
    canary_selector: str | None = None
    required: bool = False  # Prometheus unreachable -> inconclusive instead of a note
    timeout_seconds: float = 10.0


AckAction = Literal["ignore", "always-fail"]


@dataclass(frozen=True)
class AckEntry:
    """One entry of a team's acknowledge file (job/judge/known.py): one selector and an action."""

    index: int  # 1-based position in its file, as errors and findings name it
    action: AckAction
    template: str | None = None  # a template id as the report shows it, e.g. "warn-3f9a2c1b7d"
    pattern: str | None = None  # a template's text as the report shows it; <*>, <NUM>... match a token part
    regex: str | None = None  # a Python regular expression searched in the template's text
    reason: str = ""
    expires: str | None = None  # ISO date (YYYY-MM-DD): the entry applies through that day (UTC)

    def selector(self) -> str:
        """ "template: warn-3f9a2c1b7d" (what the entry matches, as written in the file)."""
        for key in ("template", "pattern", "regex"):
            value = getattr(self, key)
            if value is not None:
                return f"{key}: {value}"
        return ""


@dataclass(frozen=True)
class Acknowledgements:
    """A team's known noise and must-fail messages, from a file or a ConfigMap (operator config)."""

    source: str  # where it was read: "acknowledge file 'acks.yaml'", "ConfigMap shop/known-noise"
    entries: tuple[AckEntry, ...] = ()


@dataclass(frozen=True)
class AnalysisRequest:
    source: Source
    llm: LLMConfig = field(default_factory=LLMConfig)
    metrics: MetricsConfig | None = None
    acknowledgements: Acknowledgements | None = None  # read from a file (or serve's start-up config)
    acknowledge_configmap: str | None = None  # cluster mode: a ConfigMap in the judged namespace


# ---------------------------------------------------------------- collect -> Snapshot


@dataclass(frozen=True)
class LogStream:
    """One stream of log text (a file, or one container of one pod).

    `open` is called once by the evidence stage and yields raw byte chunks split
    anywhere; it is lazy so a 2 GB file or a long HTTP log stream never sits in memory.
    """

    name: str
    open: Callable[[], Iterable[bytes]]
    # a mesh proxy's log (Envoy's access log): only its request records are evidence, not its own lines
    requests_only: bool = False


@dataclass(frozen=True)
class PodSignal:
    """Something the platform says about a pod, independent of its logs."""

    pod: str
    kind: str  # restart | oomkilled | crashloopbackoff | imagepullbackoff | not_ready | warning_event | ...
    count: int = 1
    message: str = ""
    at: float | None = None  # epoch seconds Kubernetes last saw it (a container's exit, an Event), if known


@dataclass
class DataLoss:
    """What one side lost between its source and the judge: cut, skipped or unreadable.

    The collector fills it while it streams (so it is complete once the streams were read),
    the evidence stage adds what it cut and the share; the policy never passes a side that
    lost a large share (job/judge/policy.py).
    """

    bytes: int = 0  # bytes read but not judged: the oldest part of an over-long stream, long-line tails
    lines: int = 0  # whole lines among them
    streams: int = 0  # log streams (containers, files) that could not be read at all
    pods_skipped: int = 0  # pods whose logs the fair sample left out (their pod signals still count)
    share: float = 0.0  # the larger of bytes lost / bytes seen and streams lost / streams

    def any(self) -> bool:
        return bool(self.bytes or self.lines or self.streams)


@dataclass
class SideSnapshot:
    streams: list[LogStream] = field(default_factory=list)
    pods: list[str] = field(default_factory=list)
    signals: list[PodSignal] = field(default_factory=list)
    window_seconds: float | None = None
    window_end: float | None = None  # epoch seconds the logs were read up to (cluster mode: now)
    loss: DataLoss = field(default_factory=DataLoss)  # filled by the collector while the streams are read


@dataclass
class MetricValues:
    """What Prometheus returned for one signal on one side (only the fields of its kind are set)."""

    samples: list[float] = field(default_factory=list)  # series: values over the window
    count: float | None = None  # ratio (the numerator) and count
    total: float | None = None  # ratio: the denominator
    buckets: list[tuple[float, float]] = field(default_factory=list)  # histogram: (le, cumulative count)


@dataclass
class MetricReading:
    signal: MetricSignal
    stable: MetricValues = field(default_factory=MetricValues)
    canary: MetricValues = field(default_factory=MetricValues)
    error: str | None = None  # the query failed: the signal has no data
    unavailable: bool = False  # Prometheus itself could not be used (down, slow, not Prometheus)


@dataclass
class Snapshot:
    stable: SideSnapshot
    canary: SideSnapshot
    source: str = "files"  # files | kubernetes | prometheus
    notes: list[str] = field(default_factory=list)
    metrics: list[MetricReading] = field(default_factory=list)


# ---------------------------------------------------------------- evidence -> Evidence


@dataclass
class DurationStats:
    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    p999_ms: float = 0.0
    max_ms: float = 0.0


@dataclass
class SideStats:
    streams: int = 0
    lines: int = 0
    events: int = 0
    bytes: int = 0
    levels: dict[str, int] = field(default_factory=dict)
    http_status: dict[str, int] = field(default_factory=dict)
    durations: DurationStats | None = None
    crashes: int = 0
    crash_examples: list[str] = field(default_factory=list)
    pods: list[str] = field(default_factory=list)
    signals: list[PodSignal] = field(default_factory=list)
    requests: int = 0  # events carrying an HTTP status
    error_share: float = 0.0  # error+fatal events / events
    http_5xx_share: float = 0.0  # 5xx / requests
    http_4xx_share: float = 0.0  # 4xx / requests
    templates: int = 0  # distinct (template, level) pairs seen on this side
    cut_lines: int = 0  # lines longer than the read limit, cut
    other_shapes: int = 0  # events whose shape came past the template budget ("other shapes")
    loss: DataLoss = field(default_factory=DataLoss)  # what this side lost on the way (see DataLoss)
    new_crashes: int = 0  # crash events of a kind (template) the other side never had (canary only)
    new_crash_examples: list[str] = field(default_factory=list)
    # the program seen starting again in its own log (its start-up line after its first start): file
    # mode's restart count, where Kubernetes gives none (job/evidence/restarts.py)
    log_restarts: int = 0
    log_restarts_untimed: int = 0  # ...of them, those whose start-up line has no time
    log_restart_examples: list[str] = field(default_factory=list)


@dataclass
class LatencyHistogram:
    """Both sides' request durations in the same log-spaced bins (for a picture, not for tests)."""

    edges_ms: list[float]  # len(stable) + 1 bin edges, ascending
    stable: list[int]
    canary: list[int]


@dataclass
class SideActivity:
    """One side's activity in the equal time slices of `Activity` (index 0 = the window's start)."""

    events: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)  # error and fatal events
    requests: list[int] = field(default_factory=list)  # events carrying an HTTP status
    http_5xx: list[int] = field(default_factory=list)
    http_4xx: list[int] = field(default_factory=list)
    timed: int = 0  # events whose time was known (the rest are not in the slices)
    first: float | None = None  # epoch seconds of the first and the last timed event
    last: float | None = None
    tail_per_minute: float = 0.0  # events (requests when compared by requests) per minute, last quarter


@dataclass
class Activity:
    """Both sides' activity over one window, from the times the log lines carry."""

    start: float  # epoch seconds
    end: float
    slice_seconds: float
    window: str  # "known" (cluster mode: the collection window) | "lines" (first to last line, both sides)
    stable: SideActivity
    canary: SideActivity
    unit: str = "events"  # what the quiet test counted: "requests" when both sides serve enough of them
    quiet_seconds: float = 0.0  # from the canary's last counted event to the window's end
    stable_while_quiet: int = 0  # stable events (or requests) in that stretch
    expected_while_quiet: float = 0.0  # canary events expected there at its earlier share
    quiet_p_value: float | None = None  # P(the canary is that silent | its earlier share)
    tail_seconds: float = 0.0  # the last part of the window compared with the part before it
    canary_tail: int = 0
    expected_tail: float = 0.0
    tail_p_value: float | None = None  # P(canary this low in the tail | its earlier share)
    concurrent_share: float = 0.0  # canary events in slices where the stable logged too (earlier part)
    # canary events timed after the stable's last line, left out of the window (file mode): a clock or
    # zone change, or a date in a message read as a line's time; a quiet finding then stays a doubt
    canary_beyond: int = 0


@dataclass
class TemplateStat:
    """One log template (a line shape with variable parts masked) and its counts per side."""

    id: str
    template: str
    level: str
    stable: int
    canary: int
    p_value: float | None = None  # one-sided test that the canary's rate is higher
    examples: list[str] = field(default_factory=list)
    significant: bool = False  # p_value below alpha after correcting for the templates tested
    stable_rate: float = 0.0  # events of this template per event on the side
    canary_rate: float = 0.0
    ratio: float | None = None  # canary_rate / stable_rate; None when the stable never had it
    # The id to acknowledge it by: level and a hash of the template text, the same in every analysis
    # that mines the same text (`id` numbers templates in the order this analysis met them).
    key: str = ""
    acknowledged: dict[str, Any] | None = None  # the ignore entry that matched it (see Finding)
    crashes: int = 0  # its events that were crashes (panics, uncaught exceptions): never ignorable


@dataclass
class Evidence:
    stable: SideStats
    canary: SideStats
    templates: list[TemplateStat] = field(default_factory=list)
    template_total: int = 0
    notes: list[str] = field(default_factory=list)
    tested_templates: int = 0  # templates with enough canary events to be tested
    # one-sided p-value that more canary durations than the expected 10% exceed the stable p90
    latency_p_value: float | None = None
    canary_above_stable_p90: float | None = None  # that share of canary durations
    # the tail: share of canary durations above the stable p99 (its max below 100 durations), the
    # share expected there if the canary were like the stable, and the one-sided exact binomial p
    tail_threshold_ms: float | None = None
    canary_above_stable_tail: float | None = None
    tail_expected_share: float | None = None
    tail_p_value: float | None = None
    alpha: float = 0.01  # family-wise significance level (Bonferroni over tested_templates)
    activity: Activity | None = None  # per-slice activity of both sides; None when lines carry no times
    latency_histogram: LatencyHistogram | None = None  # None when no side logs durations
    metrics: list[MetricComparison] = field(default_factory=list)  # one per signal of the canary config


@dataclass
class MetricComparison:
    """One metric signal judged like Kayenta's classifier: High, Low, Pass or NoData."""

    name: str
    kind: str
    classification: MetricClass
    direction: str
    critical: bool
    required: bool
    gating: bool
    stable: dict[str, float] = field(default_factory=dict)  # the figures compared, by name
    canary: dict[str, float] = field(default_factory=dict)
    p_value: float | None = None
    effect: float | None = None  # canary / stable of the figure the verdict rests on
    message: str = ""
    unavailable: bool = False  # no data because Prometheus itself could not be used


# ---------------------------------------------------------------- judge -> Verdict


@dataclass
class Finding:
    kind: str
    severity: Severity
    side: FindingSide
    message: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    source: str = "logs"  # logs | pods | metrics: where the evidence of this finding came from
    # The log templates it is about, to copy into an acknowledge file: [{"template": id, "pattern": text}]
    templates: list[dict[str, str]] = field(default_factory=list)
    # Set when a team's ignore entry neutralised it (severity then info):
    # {"entry": N, "source": where, "reason": ..., "expires": "YYYY-MM-DD" | None, "severity": was}
    acknowledged: dict[str, Any] | None = None


@dataclass
class LLMResult:
    used: bool = False
    model: str | None = None
    verdict: VerdictValue | None = None
    confidence: float | None = None
    reasoning: str | None = None
    error: str | None = None
    prompt_tokens: int | None = None
    duration_ms: int | None = None
    # The model's explanation, each part checked against the evidence (job/judge/grounding.py)
    # before it is kept: None when the answer was rejected or gave none.
    cause: str | None = None
    remediation: str | None = None
    cited: list[str] = field(default_factory=list)  # prompt ids ("F1", "T2") the answer rests on
    rejected: str | None = None  # why the answer was not grounded in the evidence; nothing of it is shown
    note: str | None = None  # how the answer bore on the verdict (a disagreement, a refused escalation)
    attempts: int = 0  # model calls made (a rejected answer is retried once when time allows)
    completion_tokens: int | None = None
    prompt_eval_ms: int | None = None  # where the time went, as the server reports it
    generation_ms: int | None = None
    # Why the model was not asked at all: nothing in the evidence it would see is against the canary,
    # so it could neither explain a problem nor escalate the verdict (job/judge/llm.py). None when asked.
    skipped: str | None = None


@dataclass
class Verdict:
    verdict: VerdictValue
    score: float
    confidence: float
    summary: str
    findings: list[Finding] = field(default_factory=list)
    evidence: Evidence | None = None
    llm: LLMResult = field(default_factory=LLMResult)
    mode: str = "evidence-only"  # evidence-only | evidence+llm
    notes: list[str] = field(default_factory=list)  # data cut, skipped or unreadable (the evidence's notes)

    def to_dict(self) -> dict[str, Any]:
        from job import __version__

        document = asdict(self)
        document["version"] = __version__
        return document
