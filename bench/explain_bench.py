"""What the model's explanation is worth, per model, on the labelled corpus (tests/corpus/).

    PYTHONPATH=. python bench/explain_bench.py                  # the 0.5B test model, every scenario
    PYTHONPATH=. python bench/explain_bench.py --model-file .cache/models/X.gguf   # another GGUF
    PYTHONPATH=. python bench/explain_bench.py --expect fail --only rd-bad-5xx go-handler-panic
    PYTHONPATH=. python bench/explain_bench.py --ollama-host http://127.0.0.1:11434 \
        --model qwen2.5-coder:1.5b-instruct

On the failing scenarios: the share of answers grounding accepted, the share whose accepted cause
names the right signal (automatic: the signal of the top critical/major finding, see
`names_signal`), rejection reasons by kind, remediation present (and so grounded), seconds,
prompt tokens and where the time went (prompt evaluation vs generation, tokens/s). On the
passing scenarios: how often the model was asked at all (only when an item of its prompt is against
the canary), how often it said worse than the evidence (would have escalated) and how often the
verdict actually moved (the target: never). Seconds, prompt and generated tokens are over the
analyses that asked the model; one not asked costs no model time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.llm_bench import model_said, model_server  # noqa: E402
from job.judge.signal import finding_signal  # noqa: E402
from job.model import Finding, LLMConfig  # noqa: E402


def names_signal(cause: str, finding: Finding | None) -> bool:
    """Does the cause name the top finding's signal: its status class, latency, crash words, silence,
    or the exception names and words of its log messages? The same test the grounding applies to
    every item against the canary (job/judge/signal.py); here it asks for the TOP finding's."""
    return finding is not None and bool(cause) and finding_signal(finding).named_in(cause)


def run(cfg: LLMConfig, expect: str | None, only: list[str], served: object = None, raw: bool = False) -> int:
    from bench.accuracy import evidence_and_floor, load_scenarios
    from job.judge.combine import RANK, combine
    from job.judge.llm import consult

    scenarios = [
        s for s in load_scenarios() if (not only or s.name in only) and (not expect or s.expect == expect)
    ]
    failing = {"n": 0, "asked": 0, "accepted": 0, "named": 0, "remedy": 0}
    passing = {"n": 0, "asked": 0, "said_worse": 0, "moved": 0}
    kinds: Counter[str] = Counter()
    seconds, tokens, generated, eval_rates, gen_rates, eval_share = [], [], [], [], [], []
    not_asked_seconds: list[float] = []
    columns = ["scenario", "expect", "floor", "final", "model said", "accepted", "names signal",
               "remediation", "calls", "s", "prompt tok", "eval ms", "gen tok", "gen ms",
               "cause or rejection", "remediation text"]  # fmt: skip
    print(f"| {' | '.join(columns)} |\n|{'---|' * len(columns)}")
    for scenario in scenarios:
        evidence, floor = evidence_and_floor(scenario)  # with its acknowledge file, if any
        before = len(getattr(served, "replies", []))
        calls_before = len(getattr(served, "prompts", []))
        started = time.perf_counter()
        answer = consult(evidence, floor, cfg)
        elapsed = time.perf_counter() - started
        verdict = combine(floor, answer, cfg)
        r = answer.result
        # The first call's prompt: how much of it the server kept evaluated from the analysis before.
        first_call = getattr(served, "prompts", [])[calls_before : calls_before + 1]
        cached = f" ({first_call[0][1]} kept)" if first_call else ""
        asked = answer.skipped is None
        if asked:
            seconds.append(elapsed)
            tokens.append(r.prompt_tokens or 0)
            generated.append(r.completion_tokens or 0)
        else:
            not_asked_seconds.append(elapsed)
        if r.prompt_eval_ms and r.generation_ms and r.completion_tokens:
            eval_rates.append((r.prompt_tokens or 0) / (r.prompt_eval_ms / 1000))
            gen_rates.append(r.completion_tokens / (r.generation_ms / 1000))
            eval_share.append(r.prompt_eval_ms / (r.prompt_eval_ms + r.generation_ms))
        top = next(
            (f for f in floor.findings if f.side == "canary" and f.severity in ("critical", "major")), None
        )
        named = answer.usable and names_signal(answer.cause, top)
        if answer.rejected:
            kinds[answer.rejected_kind or "other"] += 1
        elif answer.error:
            kinds["no answer" if not answer.error.startswith("the model") else "schema"] += 1
        if scenario.expect == "fail":
            failing["n"] += 1
            failing["asked"] += asked
            failing["accepted"] += answer.usable
            failing["named"] += named
            failing["remedy"] += answer.usable and bool(answer.remediation)
        if scenario.expect == "pass" and floor.verdict == "pass":
            passing["n"] += 1
            passing["asked"] += asked
            passing["said_worse"] += bool(answer.usable and RANK[answer.verdict or "pass"] > RANK["pass"])
            passing["moved"] += verdict.verdict != floor.verdict
        if not asked:
            shown = f"NOT ASKED: {answer.skipped}"
        else:
            shown = answer.cause if answer.usable else f"REJECTED {answer.rejected or answer.error}"
        print(
            f"| {scenario.name} | {scenario.expect} | {floor.verdict} | {verdict.verdict} | "
            f"{model_said(answer)} | "
            f"{'yes' if answer.usable else 'no'} | {'yes' if named else '-'} | "
            f"{'yes' if answer.usable and answer.remediation else '-'} | {r.attempts} | {elapsed:.1f} | "
            f"{r.prompt_tokens or '-'}{cached} | {r.prompt_eval_ms or '-'} | {r.completion_tokens or '-'} | "
            f"{r.generation_ms or '-'} | {_cell(shown)} | {_cell(answer.remediation * answer.usable)} |",
            flush=True,
        )
        if raw:
            for reply in getattr(served, "replies", [])[before:]:
                print(f"    raw: {reply}", flush=True)
    _summary(cfg, failing, passing, kinds, seconds, tokens, generated, eval_rates, gen_rates, eval_share)
    if not_asked_seconds:
        print(f"analyses that did not ask the model: {len(not_asked_seconds)}, "
              f"seconds median {statistics.median(not_asked_seconds):.2f}")  # fmt: skip
    return 0


def _summary(  # type: ignore[no-untyped-def]
    cfg, failing, passing, kinds, seconds, tokens, generated, eval_rates, gen_rates, eval_share
) -> None:
    def pct(n: int, d: int) -> str:
        return f"{n}/{d} ({100 * n / d:.0f}%)" if d else "-"

    print(f"\nmodel {cfg.model}, prompt budget {cfg.prompt_token_budget} tokens")
    if failing["n"]:
        print(f"failing scenarios: {failing['n']}")
        print(f"  model asked:                        {pct(failing['asked'], failing['n'])}")
        print(f"  grounded (accepted) answers:        {pct(failing['accepted'], failing['n'])}")
        print(f"  accepted cause naming the signal:   {pct(failing['named'], failing['n'])}")
        print(f"  accepted with a remediation:        {pct(failing['remedy'], failing['n'])}")
    if passing["n"]:
        print(f"passing scenarios (floor pass): {passing['n']}")
        print(f"  model asked:                        {pct(passing['asked'], passing['n'])}")
        print(f"  model said worse (would escalate):  {pct(passing['said_worse'], passing['n'])}")
        print(f"  verdict moved by the model:         {pct(passing['moved'], passing['n'])}")
    print(f"rejections and errors by kind: {dict(kinds) or 'none'}")
    if seconds:
        print(
            f"seconds per analysis that asked the model: median {statistics.median(seconds):.1f}, "
            f"max {max(seconds):.1f}"
        )
        print(f"prompt tokens: median {statistics.median(tokens):.0f}, max {max(tokens)}")
        print(f"generated tokens: median {statistics.median(generated):.0f}, max {max(generated)}")
    if eval_rates:
        print(
            f"prompt eval {statistics.median(eval_rates):.0f} tok/s, generation "
            f"{statistics.median(gen_rates):.1f} tok/s, prompt eval share of model time "
            f"{100 * statistics.median(eval_share):.0f}% (medians)"
        )


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")[:160]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--expect", choices=["fail", "pass", "inconclusive"], help="only scenarios labelled so"
    )
    parser.add_argument("--only", nargs="*", default=[], help="these scenarios")
    parser.add_argument("--ollama-host", default=None, help="an Ollama server (default: serve --model-file)")
    parser.add_argument("--model", default=None, help="model name (default: named after --model-file)")
    parser.add_argument(
        "--model-file", type=Path, default=ROOT / ".cache/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--raw", action="store_true", help="print each raw model reply under its row")
    parser.add_argument("--timeout", type=float, default=LLMConfig.timeout_seconds)
    parser.add_argument(
        "--budget", type=int, default=LLMConfig.prompt_token_budget, help="prompt token budget"
    )
    args = parser.parse_args()
    # qwen2.5-coder-1.5b-instruct-q4_k_m.gguf -> qwen2.5-coder:1.5b-instruct, as Ollama names it
    name = args.model or re.sub(r"-(\d+(?:\.\d+)?b)", r":\1", args.model_file.name.split("-q4")[0], count=1)
    with model_server(args.ollama_host, args.model_file, args.threads, name) as (host, served):
        cfg = LLMConfig(host=host, model=name, timeout_seconds=args.timeout, prompt_token_budget=args.budget)
        return run(cfg, args.expect, args.only, served, args.raw)


if __name__ == "__main__":
    sys.exit(main())
