"""Prompt tokens and seconds per analysis as the logs grow: ours versus pasting raw logs.

    PYTHONPATH=. python bench/llm_bench.py                 # 10 KB .. 100 MB, real model
    PYTHONPATH=. python bench/llm_bench.py --quick         # 10 KB and 100 KB: a smoke run
    PYTHONPATH=. python bench/llm_bench.py --accuracy      # the labelled corpus: model vs evidence-only
    PYTHONPATH=. python bench/llm_bench.py --ollama-host http://127.0.0.1:11434 \
        --model qwen2.5-coder:1.5b-instruct

Ours: the pipeline turns the logs into evidence and sends a budgeted prompt (default 3,000
tokens) with num_ctx set to fit. Naive, as the original Argo Rollouts AI metric plugin does:
both raw logs pasted into one prompt, sent with Ollama's default context (4,096 tokens), so
Ollama silently keeps only the end of the prompt. Both go to the same model through Ollama's
wire format. Without --ollama-host the bench serves the test model itself with llama-cpp-python
(tests/model_tier/llama_ollama.py; fetch it with scripts/get-test-model.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import ollama

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from job.judge.llm import ModelAnswer  # noqa: E402
from job.judge.prompt import ANSWER_SCHEMA, estimate_tokens  # noqa: E402
from job.model import FileSource, LLMConfig  # noqa: E402

SIZES = {"10KB": 10_000, "100KB": 100_000, "1MB": 1_000_000, "10MB": 10_000_000, "100MB": 100_000_000}
QUICK_SIZES = ("10KB", "100KB")
MODEL_NAME = "qwen2.5-coder:0.5b-instruct"
OURS_KEYS = ("prompt_tokens", "evidence_s", "model_s", "model_said", "verdict")
NAIVE_KEYS = ("would_be_tokens", "prompt_tokens", "seen_share", "seconds", "model_said")
NAIVE_SYSTEM = (
    "You are an expert SRE. Compare the logs of the stable and canary versions of a service and "
    'answer in JSON: {"verdict": "pass" or "fail", "confidence": 0..1, "summary": "..."}.'
)


# ------------------------------------------------------------------ generated logs


def write_logs(path: Path, size: int, canary: bool, seed: int) -> None:
    """A web service log of about `size` bytes; the canary answers 5% of /api/cart with 500s."""
    rng = random.Random(seed)
    paths = ["/api/items", "/api/cart", "/api/login", "/healthz", "/api/search"]
    written = 0
    second = 0
    with path.open("w") as out:
        while written < size:
            second += 1
            ts = f"2026-11-26T07:{(second // 60) % 60:02d}:{second % 60:02d}.{rng.randrange(1000):03d}Z"
            route = rng.choice(paths)
            request = f"{rng.getrandbits(48):012x}"
            if canary and route == "/api/cart" and rng.random() < 0.25:
                line = (
                    f"{ts} ERROR request_id={request} GET {route} status=500 took={rng.randint(200, 900)}ms "
                    f'error="upstream connect error: connection refused (pricing:8080)"\n'
                )
            elif rng.random() < 0.01:
                line = (
                    f"{ts} WARN request_id={request} slow query on {route} took={rng.randint(800, 2000)}ms\n"
                )
            else:
                line = f"{ts} INFO request_id={request} GET {route} status=200 took={rng.randint(2, 60)}ms\n"
            out.write(line)
            written += len(line)


@contextlib.contextmanager
def log_pair(size: int) -> Iterator[tuple[Path, Path]]:
    with tempfile.TemporaryDirectory(prefix="llm-bench-") as tmp:
        stable, canary = Path(tmp, "stable.log"), Path(tmp, "canary.log")
        write_logs(stable, size, canary=False, seed=1)
        write_logs(canary, size, canary=True, seed=2)
        yield stable, canary


# ------------------------------------------------------------------ the two approaches


def ours(stable: Path, canary: Path, cfg: LLMConfig) -> dict[str, object]:
    from job.collect import collect
    from job.evidence import build_evidence
    from job.judge import policy, rules
    from job.judge.combine import combine
    from job.judge.llm import consult

    started = time.perf_counter()
    evidence = build_evidence(collect(FileSource((str(stable),), (str(canary),))))
    floor = policy.decide(evidence, rules.run_rules(evidence))
    evidence_seconds = time.perf_counter() - started
    started = time.perf_counter()
    answer = consult(evidence, floor, cfg)
    verdict = combine(floor, answer, cfg)
    return {
        "prompt_tokens": answer.result.prompt_tokens,
        "evidence_s": round(evidence_seconds, 2),
        "model_s": round(time.perf_counter() - started, 2),
        "model_said": f"error: {answer.error}" if answer.error else answer.verdict or model_said(answer),
        "verdict": verdict.verdict,
    }


def model_said(answer: ModelAnswer) -> str:
    """The model's verdict, or why there is none: not asked at all (nothing against the canary),
    asked to explain only (the evidence already fails the canary), or no usable answer."""
    if answer.skipped:
        return "not asked"
    if answer.verdict:
        return f"{answer.verdict} {answer.confidence}"
    return "explain only" if answer.usable else "no answer"


def naive(stable: Path, canary: Path, cfg: LLMConfig, served: object = None) -> dict[str, object]:
    """`served`: the in-process LlamaOllama, when the bench serves the model; it knows the real
    token count of the whole prompt, which Ollama does not report."""
    started = time.perf_counter()
    stable_text = stable.read_text(errors="replace")
    canary_text = canary.read_text(errors="replace")
    prompt = f"Stable logs:\n{stable_text}\n\nCanary logs:\n{canary_text}\n\nIs the canary healthy?"
    would_be = estimate_tokens(prompt) if len(prompt) < 20_000_000 else _extrapolate(prompt)
    del stable_text, canary_text
    result: dict[str, object] = {"would_be_tokens": would_be}
    try:
        response = ollama.Client(host=cfg.host, timeout=cfg.timeout_seconds).chat(
            model=cfg.model,
            messages=[{"role": "system", "content": NAIVE_SYSTEM}, {"role": "user", "content": prompt}],
            stream=False,
            format=ANSWER_SCHEMA,
            options={"temperature": 0, "seed": 42},  # no num_ctx: Ollama's default context
        )
        seen = response.prompt_eval_count or 0
        if served is not None:
            would_be = served.last_prompt_tokens
            result["would_be_tokens"] = would_be
        result.update(
            prompt_tokens=seen,
            seen_share=f"{100 * min(1.0, seen / would_be):.2g}%",
            model_said=_verdict_of(response.message.content or ""),
        )
    except (ollama.ResponseError, ConnectionError, OSError) as error:
        result.update(prompt_tokens=None, seen_share="-", model_said=f"error: {error}")
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _extrapolate(text: str) -> int:
    """Estimate on a 1 MB sample for huge prompts (counting every character is slow)."""
    sample = text[:1_000_000]
    return int(estimate_tokens(sample) * len(text) / len(sample))


def _verdict_of(content: str) -> str:
    try:
        return str(json.loads(content).get("verdict"))
    except (ValueError, AttributeError):
        return "invalid JSON"


# ------------------------------------------------------------------ accuracy on the corpus


def accuracy(
    cfg: LLMConfig, only: list[str], served: object = None, model: bool = True, naive_too: bool = True
) -> int:
    """Evidence-only vs evidence+model vs the worst-case model vs naive, on tests/corpus/."""
    from bench.accuracy import evidence_and_floor, load_scenarios
    from job.judge.combine import combine
    from job.judge.llm import consult
    from job.judge.prompt import build_prompt
    from job.model import LLMResult

    scenarios = [s for s in load_scenarios() if not only or s.name in only]
    columns = ("evidence", "evidence+model", "worst-case model", "model alone", "naive")
    right = dict.fromkeys(columns, 0)
    print(f"| scenario | expect | {' | '.join(columns)} | model s |")
    print("|---|---|" + "---|" * (len(columns) + 1))
    for scenario in scenarios:
        evidence, floor = evidence_and_floor(scenario)  # with its acknowledge file, if any
        started = time.perf_counter()
        if model:
            answer = consult(evidence, floor, cfg)
        else:
            answer = ModelAnswer(result=LLMResult(), error="not asked (--no-model)")
        seconds = time.perf_counter() - started
        references = build_prompt(evidence, floor, cfg.extra_prompt, cfg.prompt_token_budget).references
        worst = ModelAnswer(result=LLMResult(model="worst-case"), verdict="fail", confidence=1.0)
        worst.cited = list(references)
        worst.supporting = [key for key, ref in references.items() if ref.canary_worse]
        stable, canary = Path(scenario.stable_paths[0]), Path(scenario.canary_paths[0])
        row = {
            "evidence": floor.verdict,
            "evidence+model": combine(floor, answer, cfg).verdict,
            "worst-case model": combine(floor, worst, cfg).verdict,
            "model alone": answer.verdict or model_said(answer),
            "naive": str(naive(stable, canary, cfg, served)["model_said"]) if naive_too else "-",
        }
        for column, verdict in row.items():
            right[column] += verdict == scenario.expect
        cells = " | ".join(row[c] for c in columns)
        print(f"| {scenario.name} | {scenario.expect} | {cells} | {seconds:.1f} |", flush=True)
    total = len(scenarios)
    not_run = {"naive"} if not naive_too else set()
    not_run |= {"model alone", "evidence+model"} if not model else set()
    scores = ["not run" if c in not_run else f"{right[c] / total:.2f}" for c in columns]
    print("| **accuracy** | | " + " | ".join(scores) + " | |")
    print(f"\n{total} scenarios, model {cfg.model}, prompt budget {cfg.prompt_token_budget} tokens.")
    return 0


# ------------------------------------------------------------------ main


@contextlib.contextmanager
def model_server(
    host: str | None, model_file: Path, threads: int, name: str = MODEL_NAME
) -> Iterator[tuple[str, object]]:
    if host:
        yield host, None
        return
    from tests.model_tier.llama_ollama import LlamaOllama, OllamaWireServer

    if not model_file.is_file():
        sys.exit(f"llm_bench: no model at {model_file}: run scripts/get-test-model.sh, or pass --ollama-host")
    with OllamaWireServer(LlamaOllama(model_file, name, threads)) as server:
        yield server.url, server.model


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 KB and 100 KB only")
    parser.add_argument("--sizes", nargs="*", choices=list(SIZES), help="log volumes per side")
    parser.add_argument("--approach", choices=["both", "ours", "naive"], default="both")
    parser.add_argument("--accuracy", action="store_true", help="accuracy on tests/corpus/ instead")
    parser.add_argument("--only", nargs="*", default=[], help="with --accuracy: these scenarios")
    parser.add_argument(
        "--no-model", action="store_true", help="with --accuracy: evidence and worst case only"
    )
    parser.add_argument("--no-naive", action="store_true", help="with --accuracy: skip the naive prompt")
    parser.add_argument(
        "--ollama-host", default=None, help="an Ollama server (default: serve the test model)"
    )
    parser.add_argument("--model", default=MODEL_NAME)
    parser.add_argument(
        "--model-file", type=Path, default=ROOT / ".cache/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--budget", type=int, default=3000, help="prompt token budget (ours)")
    args = parser.parse_args()

    host = args.ollama_host or ("http://127.0.0.1:9" if args.accuracy and args.no_model else None)
    with model_server(host, args.model_file, args.threads) as (host, served):
        cfg = LLMConfig(
            host=host, model=args.model, timeout_seconds=args.timeout, prompt_token_budget=args.budget
        )
        if args.accuracy:
            return accuracy(cfg, args.only, served, not args.no_model, not (args.no_naive or args.no_model))
        sizes = args.sizes or (QUICK_SIZES if args.quick else tuple(SIZES))
        print(
            f"model {args.model}, prompt budget {args.budget} tokens (ours), Ollama default context (naive)\n"
        )
        print(
            "| logs per side | ours: prompt tokens | ours: evidence s | ours: model s | ours: verdict "
            "| naive: prompt tokens | naive: tokens seen | naive: share seen | naive: s | naive: model said |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name in sizes:
            with log_pair(SIZES[name]) as (stable, canary):
                a = ours(stable, canary, cfg) if args.approach != "naive" else dict.fromkeys(OURS_KEYS, "-")
                b = (
                    naive(stable, canary, cfg, served)
                    if args.approach != "ours"
                    else dict.fromkeys(NAIVE_KEYS, "-")
                )
            print(
                f"| {name} | {a['prompt_tokens']} | {a['evidence_s']} | {a['model_s']} | {a['verdict']} "
                f"(model: {a['model_said']}) | {b['would_be_tokens']} | {b['prompt_tokens']} | "
                f"{b['seen_share']} | {b['seconds']} | {b['model_said']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
