"""Small inline SVG charts for the HTML report, drawn here (no library, no script, no style
attributes: colours are classes the page's stylesheet defines, so a strict CSP holds).

Every chart is an <svg role="img"> with a <title> and a <desc> that says what it shows in
words; the two sides differ by line pattern as well as colour (solid stable, dashed canary),
so the pictures read without colour. Text passed in is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 30


def _fmt(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _frame(title: str, desc: str, body: list[str], height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{_id(title)}-t '
        f'{_id(title)}-d" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{_id(title)}-t">{escape(title)}</title><desc id="{_id(title)}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _id(title: str) -> str:
    return "c-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]


def _axes(
    x_labels: Sequence[tuple[float, str]], y_max: float, y_unit: str, height: int = HEIGHT
) -> list[str]:
    """Axis lines, three y gridlines with values, and x labels at fractions (0..1) of the width."""
    plot_h = height - TOP - BOTTOM
    out = [f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>']
    for fraction in (0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="tick" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_fmt(y_max * fraction))}{escape(y_unit)}</text>"
        )
    out.append(f'<text class="tick" x="{LEFT - 4}" y="{TOP + plot_h + 4}" text-anchor="end">0</text>')
    return out + _x_labels(x_labels, height)


def _x_labels(x_labels: Sequence[tuple[float, str]], height: int) -> list[str]:
    """Labels under the plot at fractions (0..1) of its width; the end ones aligned inwards."""
    plot_w = WIDTH - LEFT - RIGHT
    out = []
    for fraction, label in x_labels:
        x = LEFT + plot_w * fraction
        anchor = "start" if fraction <= 0.02 else "end" if fraction >= 0.98 else "middle"
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}">{escape(label)}</text>'
        )
    return out


def _legend(names: Sequence[tuple[str, str]], height: int = HEIGHT) -> list[str]:
    out = []
    x = LEFT + 8
    for css, label in names:
        out.append(f'<line class="{css}" x1="{x}" y1="{TOP + 4}" x2="{x + 22}" y2="{TOP + 4}"/>')
        out.append(f'<text class="legend" x="{x + 27}" y="{TOP + 8}">{escape(label)}</text>')
        x += 40 + 7 * len(label)
    return out


def line_chart(
    title: str,
    desc: str,
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    x_labels: Sequence[tuple[float, str]],
    y_unit: str = "",
    y_floor: float = 0.0,
    height: int = HEIGHT,
) -> str:
    """Lines over equal slices: `series` is (css class, legend label, values; None = no data)."""
    values = [v for _, _, points in series for v in points if v is not None]
    y_max = _nice(max([y_floor, *values]) if values else 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM
    body = _axes(x_labels, y_max, y_unit, height)
    for css, _label, points in series:
        n = max(len(points), 1)
        path: list[str] = []
        pen_up = True
        for i, value in enumerate(points):
            if value is None:
                pen_up = True
                continue
            x = LEFT + plot_w * (i + 0.5) / n
            y = TOP + plot_h * (1 - value / y_max)
            path.append(f"{'M' if pen_up else 'L'}{x:.1f},{y:.1f}")
            pen_up = False
        if path:
            body.append(f'<path class="{css}" d="{" ".join(path)}"/>')
    body += _legend([(css, label) for css, label, _ in series], height)
    return _frame(title, desc, body, height)


def histogram_chart(
    title: str,
    desc: str,
    edges: Sequence[float],
    series: Sequence[tuple[str, str, Sequence[int]]],
    marks: Sequence[tuple[str, str, float]],
) -> str:
    """Distributions over log-spaced bins as outlined steps (share of each side's count), with
    vertical marks (css class, label, value) such as p50/p90/p99."""
    height = HEIGHT + 26
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM - 26
    low, high = math.log(edges[0]), math.log(edges[-1])

    def x_of(value: float) -> float:
        return LEFT + plot_w * (math.log(max(value, edges[0])) - low) / max(high - low, 1e-9)

    shares = []
    for _css, _label, counts in series:
        total = sum(counts) or 1
        shares.append([n / total for n in counts])
    y_max = _nice(max((s for side in shares for s in side), default=0.1) * 100)
    body = _axes([], y_max, "%", height - 26)
    for fraction_value in _log_ticks(edges[0], edges[-1]):
        x = x_of(fraction_value)
        body.append(
            f'<text class="tick" x="{x:.1f}" y="{height - 32}" text-anchor="middle">'
            f"{escape(_ms(fraction_value))}</text>"
        )
    for (css, _label, _counts), side in zip(series, shares, strict=True):
        path = [f"M{x_of(edges[0]):.1f},{TOP + plot_h:.1f}"]
        for i, share in enumerate(side):
            y = TOP + plot_h * (1 - share * 100 / y_max)
            path.append(f"L{x_of(edges[i]):.1f},{y:.1f} L{x_of(edges[i + 1]):.1f},{y:.1f}")
        path.append(f"L{x_of(edges[-1]):.1f},{TOP + plot_h:.1f}")
        body.append(f'<path class="{css} area" d="{" ".join(path)}"/>')
    rows: dict[str, int] = {}
    groups: list[tuple[str, list[str], float]] = []  # marks of one side close together share a label
    for css, label, value in marks:
        x = x_of(value)
        body.append(f'<line class="{css} mark" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}"/>')
        rows.setdefault(css, len(rows))
        if groups and groups[-1][0] == css and x - groups[-1][2] < 40:
            groups[-1][1].append(label)
        else:
            groups.append((css, [label], x))
    for css, labels, x in groups:
        x = min(max(x, LEFT + 24), WIDTH - RIGHT - 30)  # keep the label on the canvas
        y = height - 14 + 11 * rows[css]
        text = escape(labels[0][0] + " " + "/".join(label[1:] for label in labels))
        body.append(f'<text class="mark-label" x="{x:.1f}" y="{y}" text-anchor="middle">{text}</text>')
    body += _legend([(css, label) for css, label, _ in series], height)
    return _frame(title, desc, body, height)


def timeline_chart(
    title: str,
    desc: str,
    lanes: Sequence[tuple[str, Sequence[tuple[float, str]]]],
    x_labels: Sequence[tuple[float, str]],
) -> str:
    """Marks on lanes: (lane label, [(position 0..1, short label)])."""
    lane_h = 34
    height = TOP + BOTTOM + lane_h * max(len(lanes), 1)
    plot_w = WIDTH - LEFT - RIGHT
    body = []
    for row, (lane, marks) in enumerate(lanes):
        y = TOP + lane_h * row + lane_h / 2
        body.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        body.append(
            f'<text class="tick" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(lane)}</text>'
        )
        for position, label in marks:
            x = LEFT + plot_w * min(max(position, 0.0), 1.0)
            body.append(f'<circle class="signal" cx="{x:.1f}" cy="{y:.1f}" r="5"/>')
            body.append(
                f'<text class="legend" x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    body += _x_labels(x_labels, height)
    return _frame(title, desc, body, height)


def _nice(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _log_ticks(low: float, high: float) -> list[float]:
    ticks = []
    power = 10 ** math.floor(math.log10(max(low, 1e-3)))
    while power <= high * 1.0001:
        for step in (1, 10**0.5):
            value = power * step
            if low <= value <= high and (step == 1 or high / low < 100):
                ticks.append(value)
        power *= 10
    return ticks or [low, high]


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{_fmt(value / 1000)} s"
    if value >= 1:
        return f"{_fmt(value)} ms"
    return f"{_fmt(value * 1000)} µs"
