from judge_helpers import evidence, evidence_from_logs, side

from job.judge.rules import crash
from tests.sample_logs import web_log

PANIC = (
    "panic: runtime error: invalid memory address or nil pointer dereference\n"
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6a1b2c]\n\n"
    "goroutine 34 [running]:\nmain.colorHandler(0xc0000a6000)\n"
    "\t/go/src/app/main.go:88 +0x1d\nexit status 2\n"
)


def test_a_go_panic_in_the_canary_is_critical() -> None:
    ev = evidence_from_logs(web_log(200, 1), web_log(100, 2) + PANIC + web_log(20, 3))
    [finding] = crash(ev)
    assert (finding.severity, finding.side, finding.count) == ("critical", "canary", 1)
    assert "nil pointer dereference" in finding.message and "stable none" in finding.message
    assert "main.go:88" in finding.examples[0]


def test_an_uncaught_python_traceback_is_critical() -> None:
    traceback = (
        'Traceback (most recent call last):\n  File "/app/main.py", line 9, in <module>\n'
        "    main()\nKeyError: 'DATABASE_URL'\n"
    )
    ev = evidence_from_logs(web_log(100, 1), traceback)
    [finding] = crash(ev)
    assert finding.severity == "critical"
    assert "KeyError: 'DATABASE_URL'" in finding.message, "the exception, not the traceback's header line"


def test_crashing_as_often_as_stable_is_only_minor() -> None:
    ev = evidence(stable=side(events=1000, crashes=4), canary=side(events=1000, crashes=4))
    [finding] = crash(ev)
    assert finding.severity == "minor" and "similar rate" in finding.message


def test_a_crash_only_in_stable_is_info() -> None:
    ev = evidence(stable=side(crashes=2), canary=side())
    [finding] = crash(ev)
    assert (finding.severity, finding.side) == ("info", "stable")


def test_no_crash_no_finding() -> None:
    assert crash(evidence_from_logs(web_log(100, 1), web_log(100, 2))) == []
