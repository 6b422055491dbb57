"""Per-template counts of both sides -> TemplateStats: rates, exact test, selection.

Rates are per event on each side, so a canary taking 10% of the traffic is compared
fairly with a stable taking 90%. A template counts as significantly more frequent in
the canary when the one-sided conditional binomial test is below alpha divided by the
number of templates tested (Bonferroni), and it has at least MIN_TESTED canary events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from job.evidence.parse import LEVEL_RANK
from job.evidence.stats import rate_increase_p
from job.evidence.templates import template_key
from job.model import TemplateStat

ALPHA = 0.01
MIN_TESTED = 3  # fewer canary events can never be significant enough to act on
MAX_TEMPLATES_IN_EVIDENCE = 40
MAX_KEPT_FOR_ACKNOWLEDGEMENTS = 40  # templates a team's acknowledge file names, kept beyond the limit
EXAMPLES_PER_TEMPLATE = 3


@dataclass
class TemplateCounts:
    stable: int = 0
    canary: int = 0
    examples: list[str] = field(default_factory=list)  # canary first, then stable
    stable_examples: list[str] = field(default_factory=list)
    crashes: int = 0  # events of this template that were crashes (panics, uncaught exceptions), both sides


def compare_templates(
    counts: dict[tuple[int, str], TemplateCounts],
    names: dict[int, str],
    stable_events: int,
    canary_events: int,
) -> tuple[list[TemplateStat], int]:
    """All templates as TemplateStats (unsorted) and how many were tested."""
    tested = sum(1 for c in counts.values() if c.canary >= MIN_TESTED)
    threshold = ALPHA / max(1, tested)
    stats: list[TemplateStat] = []
    # most templates of a many-shaped log share their counts (seen once on one side): one test each
    p_values: dict[tuple[int, int], float | None] = {}
    for (cluster_id, level), c in counts.items():
        pair = (c.stable, c.canary)
        p_value = p_values.get(pair, -1.0)
        if p_value == -1.0:
            p_value = p_values[pair] = rate_increase_p(c.stable, c.canary, stable_events, canary_events)
        stable_rate = c.stable / stable_events if stable_events else 0.0
        canary_rate = c.canary / canary_events if canary_events else 0.0
        examples = c.examples or c.stable_examples
        # drain3 may have evicted a rare template (max clusters): show its first example's head instead
        name = names.get(cluster_id) or (examples[0].split("\n", 1)[0][:200] if examples else "")
        stats.append(
            TemplateStat(
                id=f"{cluster_id}:{level}",
                template=name,
                level=level,
                stable=c.stable,
                canary=c.canary,
                p_value=p_value,
                examples=examples[:EXAMPLES_PER_TEMPLATE],
                significant=bool(c.canary >= MIN_TESTED and p_value is not None and p_value < threshold),
                stable_rate=stable_rate,
                canary_rate=canary_rate,
                ratio=(canary_rate / stable_rate) if stable_rate else None,
                key=template_key(level, name),
                crashes=c.crashes,
            )
        )
    return stats, tested


def select_templates(
    stats: list[TemplateStat],
    limit: int = MAX_TEMPLATES_IN_EVIDENCE,
    keep: Callable[[TemplateStat], bool] | None = None,
) -> list[TemplateStat]:
    """The templates worth a person's (or a model's) attention, at most `limit`.

    Warnings and errors first (significant ones by p-value, then new ones, then by volume),
    then templates new in the canary, then stable-only problems, then the busiest shapes.
    Templates `keep` names (those a team's acknowledge file matches: the judge must see them to
    apply it) are kept too, up to MAX_KEPT_FOR_ACKNOWLEDGEMENTS more, canary's busiest first.
    """

    def problem_order(t: TemplateStat) -> tuple[int, float, int, int]:
        return (
            0 if t.significant else 1,
            t.p_value if t.p_value is not None else 1.0,
            -LEVEL_RANK.get(t.level, 2),
            -t.canary,
        )

    problems = sorted(
        (t for t in stats if LEVEL_RANK.get(t.level, 2) >= LEVEL_RANK["warn"]), key=problem_order
    )
    new = sorted((t for t in stats if t.stable == 0 and t.canary > 0), key=lambda t: -t.canary)
    busiest = sorted(stats, key=lambda t: -(t.stable + t.canary))
    chosen: dict[str, TemplateStat] = {}
    for group, share in ((problems, limit * 5 // 8), (new, limit // 4), (busiest, limit)):
        taken = 0
        for template in group:
            if len(chosen) >= limit or taken >= share:
                break
            if template.id not in chosen:
                chosen[template.id] = template
                taken += 1
    if keep is not None:
        named = [t for t in sorted(stats, key=lambda t: (-t.canary, -t.stable)) if keep(t)]
        extra = [t for t in named if t.id not in chosen][:MAX_KEPT_FOR_ACKNOWLEDGEMENTS]
        chosen.update((t.id, t) for t in extra)
    return list(chosen.values())
