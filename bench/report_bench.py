"""HTML report: size and render time per corpus scenario, and for the largest evidence the
engine can produce (40 templates, 3 examples each at the 600-character cap, long findings).

    PYTHONPATH=. python bench/report_bench.py [--quick]

Prints one line per scenario (or the first few with --quick) and a summary: largest page,
median and largest render time. The page is capped at 500 KB by construction; this shows how
far below the cap real evidence stays.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from job.model import Finding, TemplateStat
from job.render.html import MAX_BYTES, render_html
from job.render.store import compress
from tests.render.cases import CORPUS, corpus_verdict


def measure(verdict: object) -> tuple[int, int, float]:
    started = time.perf_counter()
    page = render_html(verdict)  # type: ignore[arg-type]
    took = (time.perf_counter() - started) * 1000
    return len(page.encode()), len(compress(page)), took


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="five scenarios only (a smoke run)")
    args = parser.parse_args()
    names = sorted(p.name for p in CORPUS.iterdir() if (p / "scenario.yaml").exists())
    if args.quick:
        names = names[:5]
    rows = []
    print(f"{'scenario':34} {'verdict':13} {'HTML KB':>8} {'gzip KB':>8} {'render ms':>10}")
    for name in names:
        verdict = corpus_verdict(name)
        size, packed, took = measure(verdict)
        rows.append((size, packed, took))
        print(f"{name:34} {verdict.verdict:13} {size / 1024:8.1f} {packed / 1024:8.1f} {took:10.1f}")
    largest = corpus_verdict("rd-bad-5xx")
    assert largest.evidence is not None
    largest.evidence.templates = [
        TemplateStat(
            id=f"{i}:error",
            template=f"upstream {i} failed <NUM> " + "x" * 180,
            level="error",
            stable=i,
            canary=5 * i + 3,
            p_value=1e-6,
            examples=["e" * 600] * 3,
        )
        for i in range(40)
    ]
    largest.findings += [Finding("new-error-template", "major", "canary", "m" * 400, 9, ["f" * 600] * 2)] * 12
    size, packed, took = measure(largest)
    label = "(largest evidence: 40 templates x 3)"
    print(f"{label:34} {largest.verdict:13} {size / 1024:8.1f} {packed / 1024:8.1f} {took:10.1f}")
    sizes, times = [r[0] for r in rows], [r[2] for r in rows]
    print(
        f"\n{len(rows)} scenarios: HTML {statistics.median(sizes) / 1024:.0f} KB median, "
        f"{max(sizes) / 1024:.0f} KB largest; render {statistics.median(times):.1f} ms median, "
        f"{max(times):.1f} ms largest; largest "
        f"evidence {size / 1024:.0f} KB ({packed / 1024:.0f} KB stored), cap {MAX_BYTES // 1024} KB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
