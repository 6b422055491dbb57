"""Run every benchmark and write their figures to bench/RESULTS.md (`make bench`).

Each benchmark is its own script that prints figures; this file only runs them in order and
records the machine, the date and the command, so anyone can reproduce a number in the docs.
Each section also says when, at which commit and at which load average it ran: with `--only`, the
sections run replace theirs in the existing file and every other section is kept as it was, so
people measuring different benchmarks never erase each other's figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One scenario per app and failure kind, for the naive approach (minutes per scenario on CPU).
NAIVE_SAMPLE = [
    "rd-good-colour", "rd-bad-5xx", "rd-slow", "rd-injection-5xx", "go-handler-panic",
    "nginx-good-reload", "nginx-502-upstream-down", "java-npe-burst", "pg-good-tuning",
    "json-good-new-info", "uvicorn-import-error-crash", "node-few-data",
]  # fmt: skip

# (title, script, args, args for --quick: a smoke run that needs no model and takes seconds; None:
# the benchmark needs the model and is left out of --quick)
BENCHMARKS: list[tuple[str, str, list[str], list[str] | None]] = [
    (
        "Evidence stage: lines/s and peak memory, beside plain drain3",
        "bench/evidence_bench.py",
        [],
        ["--quick"],
    ),
    (
        "Evidence stage A/B: the first release (284ef97) against this commit, same inputs, interleaved",
        "bench/evidence_ab.py",
        ["284ef97", "HEAD"],
        ["--quick", "HEAD", "."],
    ),
    (
        "Evidence stage on high-cardinality logs (every line a new shape), beside plain drain3",
        "bench/highcard_bench.py",
        [],
        ["--quick", "--kinds", "words"],
    ),
    (
        "Evidence stage: what reading each line's time costs (the quiet-canary clock), same inputs",
        "bench/clock_cost.py",
        [],
        ["--quick"],
    ),
    (
        "Verdict accuracy on the labelled scenario corpus (evidence only)",
        "bench/accuracy.py",
        [],
        [],
    ),
    (
        "Logs, metrics and both: accuracy on scenarios each source alone misses (real Prometheus)",
        "bench/metrics_bench.py",
        [],
        ["--quick"],
    ),
    (
        "Verdict accuracy with the real small model (every scenario; worst-case bound)",
        "bench/llm_bench.py",
        ["--accuracy", "--no-naive"],
        ["--accuracy", "--no-naive", "--no-model"],
    ),
    (
        "Naive approach (raw logs in one prompt, 4,096-token context) on a sample of the corpus",
        "bench/llm_bench.py",
        ["--accuracy", "--only", *NAIVE_SAMPLE],
        ["--accuracy", "--no-naive", "--no-model", "--only", NAIVE_SAMPLE[0]],
    ),
    (
        "Prompt tokens and seconds per analysis as logs grow, ours vs naive",
        "bench/llm_bench.py",
        [],
        ["--quick"],
    ),
    (
        "The model's explanations: grounded, naming the cause, seconds (0.5B test model, every scenario)",
        "bench/explain_bench.py",
        [],
        None,
    ),
    (
        "Web service overhead and throughput",
        "bench/web_bench.py",
        [],
        ["--quick"],
    ),
    (
        "HTTP layer: today's server beside uvicorn + Starlette and waitress (pip install '.[bench]')",
        "bench/web_stacks.py",
        [],
        ["--quick"],
    ),
]


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def sections_of(text: str) -> dict[str, list[str]]:
    """An existing RESULTS.md's sections: "## title" -> its lines (title line included). A section
    whose command line has no date of its own is given the date and commit of the file's header."""
    header = {
        k: v for k, _, v in (line[2:].partition(": ") for line in text.splitlines() if line[:2] == "- ")
    }
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = found[line[3:]] = [line]
        elif current is not None:
            if line.startswith("`python ") and " UTC" not in line and "date" in header:
                line += f" (run of {header['date']}, commit {header.get('commit', 'unknown')})"
            current.append(line)
    return found


def run(script: str, args: list[str]) -> tuple[int, str, float]:
    argv = [sys.executable, str(ROOT / script), *args]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    output = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.returncode else "")
    return done.returncode, output.strip(), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not figures")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--only", action="append", default=[], help="run only scripts containing this")
    options = parser.parse_args()

    command = "python bench/run_all.py" + (" --quick" if options.quick else "")
    sections = [
        "# Benchmark results",
        "",
        f"- machine: {machine()}",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- commit: {commit()}",
        f"- command: `{command}` (or `make bench`)",
    ]
    # with --only, the sections not run now are kept from the existing file
    kept = sections_of(options.output.read_text()) if options.only and options.output.exists() else {}
    if kept:
        only = " ".join(f"--only '{word}'" for word in options.only)
        sections[-1] = f"- command: `{command} {only}`: the other sections are kept, each with its own date"
    sections.append("")
    failures = 0
    for title, script, full_args, quick_args in BENCHMARKS:
        if options.only and not any(word in f"{script} {title}" for word in options.only):
            sections += kept.get(title, [])
            continue
        args = quick_args if options.quick else full_args
        if args is None:
            continue
        print(f"== {title} ({script})", flush=True)
        load = load_average()
        code, output, seconds = run(script, args)
        print(output, flush=True)
        failures += code != 0
        status = "" if code == 0 else f" — **exited {code}**"
        load = f"{load} before, {load_average()} after"
        when = f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit()}, load average {load}"
        ran = f"`python {' '.join([script, *args])}` ({seconds:.0f} s; {when}){status}"
        sections += [f"## {title}", "", ran, "", "```", output, "```", ""]
    options.output.write_text("\n".join(sections))
    print(f"wrote {options.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
