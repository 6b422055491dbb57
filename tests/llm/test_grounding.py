"""Grounding: a model answer is shown only when every figure, name and claim in it is in the evidence."""

from __future__ import annotations

import cases
import pytest

from job.judge.grounding import ground
from job.judge.prompt import CAUSE_CHARS, REMEDIATION_CHARS, build_prompt
from job.model import Evidence, Finding, Verdict

CASES = {"bad": cases.bad_canary, "good": cases.good_canary, "grey": cases.grey_canary}


def check(case: str, cause: str, remediation: str = "", cited: tuple[str, ...] = (), verdict: str = "fail"):
    evidence, floor = CASES[case]()
    prompt = build_prompt(evidence, floor)
    return ground(cause, remediation, cited, verdict, prompt, floor.findings, evidence)


@pytest.mark.parametrize(
    ("case", "cause", "remediation", "verdict"),
    [
        ("bad", "The canary answers HTTP 500 on /api/cart with an upstream connect error.", "", "fail"),
        ("bad", "The canary returns 5xx on 9.8% of requests (880 of 9,000), stable 0.02%.", "", "fail"),
        ("bad", "About 9.78% of canary requests fail with 500, and its pods restarted 2 times.", "", "fail"),
        (
            "bad",
            "The canary has more upstream connect errors than the stable: 900 vs 3.",
            "Roll back and fix /api/cart.",
            "fail",
        ),
        ("bad", 'It logs "upstream connect error" for GET /api/cart.', "Check what /api/cart calls.", "fail"),
        ("bad", "The canary answers HTTP 500; its p99 is 900 ms, slower than stable.", "", "inconclusive"),
        ("good", "The canary behaves like the stable; no new errors.", "Nothing to fix.", "pass"),
        ("good", "", "", "pass"),
        ("grey", "The canary logs a new cache miss storm error 26 times.", "Check the cache size.", "fail"),
    ],
)
def test_grounded_answers_are_accepted_as_they_are(
    case: str, cause: str, remediation: str, verdict: str
) -> None:
    grounded = check(case, cause, remediation, ("F1",), verdict)
    assert grounded.rejected is None, grounded.rejected
    assert (grounded.cause, grounded.remediation, grounded.cited) == (cause, remediation, ("F1",))


@pytest.mark.parametrize(
    ("case", "cause", "cited", "verdict", "kind"),
    [
        ("bad", "The canary fails on /api/cart.", ("T9",), "fail", "unknown-id"),
        ("bad", "See F9 for the 5xx on /api/cart.", (), "fail", "unknown-id"),
        ("bad", "The canary returns HTTP 500 on 20% of requests (500/200).", (), "fail", "number"),
        ("bad", "The canary returns HTTP 503 on /api/cart.", (), "fail", "number"),
        ("bad", "The canary throws NullPointerException in CartService.", (), "fail", "name"),
        ("bad", "Requests to /api/checkout fail.", (), "fail", "name"),
        ("bad", 'It logs "connection reset by peer" on every call.', (), "fail", "name"),
        (
            "bad",
            "The canary has fewer errors than stable, a significant improvement.",
            (),
            "fail",
            "direction",
        ),
        ("bad", "The canary is healthy and safe to promote.", (), "fail", "direction"),
        ("bad", "The canary has no errors.", (), "fail", "side"),
        ("bad", "The stable has more errors than the canary.", (), "fail", "direction"),
        ("good", "The canary crashes on start.", (), "fail", "side"),
        ("good", "The canary returns more 5xx than stable.", (), "fail", "direction"),
        ("good", "The canary is worse than the stable.", (), "fail", "direction"),
        ("bad", "The canary looks fine.", (), "pass", "direction"),
        ("bad", "All good, promote it.", (), "pass", "direction"),
        (
            "bad",
            "Upstream connect error on /api/cart. Upstream connect error on /api/cart.",
            (),
            "fail",
            "repetition",
        ),
        ("bad", "the canary fails the canary fails the canary fails", (), "fail", "repetition"),
        ("bad", "The canary fails on /api/cart 失败.", (), "fail", "language"),
        ("bad", "The canary fails on /api/cart\x07.", (), "fail", "language"),
        ("bad", "", (), "fail", "empty"),
        (
            "bad",
            "The canary does not copy the logs, which is never an instruction to you.",
            (),
            "fail",
            "parrot",
        ),
        ("bad", "x" * CAUSE_CHARS, (), "fail", "cut"),
        ("bad", "The canary incorrectly identifies events as", (), "fail", "cut"),
    ],
)
def test_ungrounded_answers_are_rejected_with_the_reason(
    case: str, cause: str, cited: tuple[str, ...], verdict: str, kind: str
) -> None:
    grounded = check(case, cause, "", cited, verdict)
    assert grounded.kind == kind, grounded.rejected
    assert grounded.rejected and not grounded.cause and not grounded.cited


def test_invented_names_and_numbers_in_the_remediation_are_rejected_too() -> None:
    cause = "The canary answers HTTP 500 on /api/cart."
    assert check("bad", cause, "Set RETRY_BUDGET_MS higher.").kind == "name"
    assert check("bad", cause, "Raise the pool to 250 connections.").kind == "number"
    assert check("bad", cause, "Check the upstream of /api/cart.").rejected is None


def test_a_text_cut_mid_sentence_keeps_its_whole_sentences() -> None:
    first = "The canary answers HTTP 500 on /api/cart."
    cut = (first + " And then " + "more words " * 40)[:CAUSE_CHARS]
    grounded = check("bad", cut)
    assert grounded.rejected is None and grounded.cause == first
    assert check("bad", first + " It fails because of the").cause == first, "closed early by the model"
    assert check("bad", "Upstream connect error on /api/cart").rejected is None, "no full stop is fine"


def test_text_in_the_logs_own_script_is_accepted() -> None:
    evidence, floor = cases.bad_canary(examples=["ERROR 処理に失敗しました id=7"])
    prompt = build_prompt(evidence, floor)
    said = "The canary answers HTTP 500 and logs 処理に失敗しました on /api/cart."
    grounded = ground(said, "", (), "fail", prompt, floor.findings, evidence)
    assert grounded.rejected is None, grounded.rejected


def test_ratios_and_differences_of_the_figures_count_as_grounded() -> None:
    # bad_canary: canary p99 900 ms vs stable 120 ms; 5xx share 880/9000 vs 2/10000.
    said = "The canary answers HTTP 500; its p99 latency is 7.5x the stable's, 780 ms slower."
    assert check("bad", said).rejected is None
    assert check("bad", "The canary answers HTTP 500; its p99 latency is 9x the stable's.").kind == "number"


def test_the_verdict_word_is_not_judged_here_but_the_text_is() -> None:
    """A "pass" against a critical canary cannot lower the verdict (combine.py makes it a note), so a
    grounded cause is still worth showing; a cause or remediation that calls the canary healthy or
    states a false figure is not."""
    cause = "The canary answers HTTP 500 on /api/cart with an upstream connect error."
    assert check("bad", cause, "Check what /api/cart calls.", ("F1",), "pass").rejected is None
    assert check("bad", cause, "Promote the canary.", ("F1",), "pass").kind == "direction"
    assert check("bad", "The canary returns HTTP 500 on 20% of requests.", verdict="pass").kind == "number"


def test_a_claim_about_the_stable_is_checked_against_the_stable() -> None:
    # bad_canary's stable logs no crash; "the canary ..., with 3 crashes in the stable" is false.
    assert check("bad", "The canary answers HTTP 500, with 3 crashes in the stable.").kind == "side"
    assert check("bad", "The canary answers HTTP 500, while the stable has no crashes.").rejected is None


def test_a_long_sentence_cut_by_the_cap_keeps_its_whole_clauses() -> None:
    sentence = "The canary returns HTTP 500 on /api/cart; stable 0.02%; most on GET /api/cart (880 of 9"
    grounded = check("bad", (sentence + ",000, on every pod " + "and more " * 20)[:CAUSE_CHARS])
    assert (
        grounded.rejected is None
        and grounded.cause == "The canary returns HTTP 500 on /api/cart; stable 0.02%."
    )
    quoted = "The canary answers HTTP 500 from `upstream for /api/cart, then again on /api/cart, and "
    assert check("bad", (quoted + "cart " * 40)[:CAUSE_CHARS]).kind == "cut", "no clause with an open quote"
    stopped = "The canary answers HTTP 500 on /api/cart, while the stable version has."
    assert check("bad", stopped).cause == "The canary answers HTTP 500 on /api/cart."
    gave_up = "The canary answers HTTP 500 on /api/cart, an upstream connect error in the `."
    assert check("bad", gave_up).cause == "The canary answers HTTP 500 on /api/cart."


def test_a_log_prefix_that_looks_like_an_id_is_log_text() -> None:
    evidence, floor = cases.bad_canary(examples=["F1126 06:58:38.435879 main.go:110] lease lost"])
    prompt = build_prompt(evidence, floor)
    said = "The canary logs F1126 lease lost on /api/cart."
    assert ground(said, "", (), "fail", prompt, floor.findings, evidence).rejected is None
    assert check("bad", "See F7 for the 5xx on /api/cart.").kind == "unknown-id"


def test_apostrophes_are_not_quotations() -> None:
    said = "The canary's requests to /api/cart fail with HTTP 500, unlike the stable's."
    assert check("bad", said).rejected is None
    assert check("bad", "It logs 'connection reset by peer' on /api/cart.").kind == "name"


def test_plain_words_the_instructions_also_use_are_no_echo() -> None:
    said = "The canary answers HTTP 500 on /api/cart, unlike the stable."
    assert check("bad", said, "Check /api/cart for issues with the stable version.").rejected is None


def test_a_cause_must_name_what_it_explains() -> None:
    """Against a canary the evidence fails, a cause that names none of its signals says nothing."""
    vague = "The canary's stability was not as high as expected."
    assert check("bad", vague).kind == "unnamed"
    assert "HTTP 5xx" in (check("bad", vague).rejected or ""), "the reason says what to name"
    assert check("bad", "The canary answers HTTP 500 on most requests.").rejected is None
    assert check("bad", "Its pods restarted 2 times.").rejected is None
    assert check("bad", "The upstream connect error on /api/cart.").rejected is None
    # Nothing is against a healthy canary, so there is nothing it must name.
    assert check("good", "The canary behaves like the stable.", verdict="pass").rejected is None


def test_small_numbers_are_figures_too() -> None:
    """A one-digit or two-digit number is checked like any other: the digits of an id ("F1"), a key
    ("p99") or the data block's marker are no evidence for it."""
    assert check("bad", "The canary answers HTTP 500 on 99 requests.").kind == "number"
    assert check("bad", "The canary answers HTTP 500 and restarted 4 times.").kind == "number"
    assert check("bad", "The canary answers HTTP 500 and restarted 2 times.").rejected is None
    assert check("bad", "The canary answers HTTP 500 on 880/9,000 requests.").rejected is None
    assert check("bad", "The canary answers HTTP 500 on 880/9999 requests.").kind == "number"


def test_a_figure_cut_by_the_cap_is_never_shown() -> None:
    """The grammar's cap can end a text on a full stop inside a figure ("…vs 4." for "48 ms")."""
    head = "The canary answers HTTP 500 on /api/cart, with a p99 latency of 900 ms"
    cut = (head + " " + "and more " * 20)[: CAUSE_CHARS - 4] + " (3."
    grounded = check("bad", cut)
    assert grounded.rejected is None and grounded.cause == "The canary answers HTTP 500 on /api/cart."


def test_sentences_run_together_keep_the_first_and_names_stay_whole() -> None:
    joined = "The canary answers HTTP 500 on /api/cart.Additionally, it restarted 5 times."
    assert check("bad", joined).cause == "The canary answers HTTP 500 on /api/cart."
    evidence, floor = cases.bad_canary(examples=["java.lang.NullPointerException: cart is null"])
    prompt = build_prompt(evidence, floor)
    named = "The canary answers HTTP 500 with java.lang.NullPointerException."
    grounded = ground(named, "", (), "fail", prompt, floor.findings, evidence)
    assert grounded.rejected is None and grounded.cause == named


def ground_5xx(cause: str):
    """Ground `cause` against a canary answering 500 on 517 of 600 requests, beside a stable of 563."""
    evidence = Evidence(stable=cases.side(563), canary=cases.side(600, errors=517, five_xx=517))
    message = "canary returns HTTP 5xx on 86% of requests (517/600)"
    floor = Verdict("fail", 0.1, 0.9, "5xx", findings=[Finding("http-5xx", "critical", "canary", message)])
    return ground(cause, "", (), "fail", build_prompt(evidence, floor), floor.findings, evidence)


def test_a_clause_before_any_side_is_about_the_canary() -> None:
    """The finding's own words, with the cause's subject left out: "…; stable 0% (0/600)" names the
    stable only for the clause that says so."""
    assert ground_5xx("HTTP 5xx on 86% of requests (517/600); stable 0%.").rejected is None
    assert ground_5xx("HTTP 5xx on 86% of requests (517/600); stable HTTP 500 too.").kind == "side"


def test_a_number_from_400_to_599_is_a_status_code_only_where_the_words_say_so() -> None:
    count = "The canary answers HTTP 500 on 517 requests, while the stable logged 563."
    assert ground_5xx(count).rejected is None
    status = "The canary answers HTTP 500 on 517 requests, while the stable returns 500 too."
    assert ground_5xx(status).kind == "side"


def test_a_remediation_that_only_copies_the_data_is_not_shown() -> None:
    grounded = check("bad", "The canary answers HTTP 500 on /api/cart.", "upstream connect error.")
    assert grounded.rejected is None and grounded.remediation == ""
    advice = "Check the upstream that /api/cart connects to."
    assert check("bad", "The canary answers HTTP 500 on /api/cart.", advice).remediation == advice


def test_a_sentence_closed_after_a_dangling_word_keeps_its_whole_clauses() -> None:
    """The 1.5B model: "…compared to the stable version, which,." (the grammar let it close there)."""
    whole = "The canary answers HTTP 500 on /api/cart more often than the stable version"
    assert check("bad", whole + ", which,.").cause == whole + "."
    assert check("bad", whole + ", which, .").cause == whole + "."
    compared = whole + ", with 139 events in the canary vs."
    assert check("bad", compared).cause == whole + "."
    assert check("bad", whole + ", which.").cause == whole + "."
    assert check("bad", whole + ".").cause == whole + ".", "a whole sentence is kept as it is"


def test_status_errors_are_the_status_class_not_error_logs() -> None:
    """ "HTTP 4xx errors are more common in the canary": its 4xx, not its error-level lines."""
    evidence = Evidence(stable=cases.side(600), canary=cases.side(600))
    evidence.canary.http_status = {"200": 236, "404": 364}
    message = "canary returns HTTP 4xx on 61% of requests (364/600)"
    floor = Verdict("fail", 0.1, 0.9, "4xx", findings=[Finding("http-4xx", "major", "canary", message)])
    prompt = build_prompt(evidence, floor)
    said = "HTTP 4xx errors are more common in the canary than in the stable version."
    assert ground(said, "", (), "fail", prompt, floor.findings, evidence).rejected is None
    more_logs = "HTTP 4xx on 61% of requests, and the canary logs more errors."
    assert ground(more_logs, "", (), "fail", prompt, floor.findings, evidence).kind == "direction"


def test_a_remediation_cut_with_nothing_whole_left_is_dropped_not_the_cause() -> None:
    cause = "The canary answers HTTP 500 on /api/cart."
    cut = ("Check the upstream that /api/cart connects to and " + "the pool " * 20)[:REMEDIATION_CHARS]
    grounded = check("bad", cause, cut)
    assert grounded.rejected is None and (grounded.cause, grounded.remediation) == (cause, "")
