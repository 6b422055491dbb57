"""The report in a real browser (headless chromium): a screenshot per verdict, the banner and
the template diff as the browser's DOM has them, injection strings as text, 375 px width."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from job.render.html import render_html
from tests.render.browser import dump_dom, png_pixel, screenshot
from tests.render.cases import CASES, INJECTIONS, context, corpus_verdict, injected_verdict

# the banner's background per verdict (the stylesheet's light scheme); the words say it too
BANNER = {"pass": (0xEE, 0xF8, 0xF0), "fail": (0xFD, 0xEF, 0xF1), "inconclusive": (0xFF, 0xF6, 0xE0)}
EXPECTED = {
    "pass": "pass",
    "fail": "fail",
    "inconclusive": "inconclusive",
    "quiet": "fail",
    "latency": "fail",
}


def write(tmp: Path, name: str, page: str) -> Path:
    path = tmp / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_screenshot_per_verdict_shows_the_verdict_banner(case: str, tmp_path: Path) -> None:
    verdict = corpus_verdict(CASES[case])
    assert verdict.verdict == EXPECTED[case]
    page = write(tmp_path, case, render_html(verdict, context(CASES[case])))
    shot = tmp_path / f"{case}.png"
    assert screenshot(page, shot) == (1100, 1400)
    assert png_pixel(shot, 1090, 6) == BANNER[verdict.verdict]  # the banner is drawn, in the verdict's colour
    assert png_pixel(shot, 1090, 1390) != BANNER[verdict.verdict]  # ...and only at the top


class Dom(HTMLParser):
    """Text per element id, the template-diff rows, and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self._ids: list[tuple[str, str]] = []  # open (tag, id)
        self._cells: list[str] | None = None
        self._in_diff = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if found.get("id"):
            self._ids.append((tag, str(found["id"])))
            self.text.setdefault(str(found["id"]), "")
        if tag == "table" and found.get("id") == "template-diff":
            self._in_diff = True
        if self._in_diff and tag == "tr" and (found.get("id") or "").startswith("t-"):
            self._cells = []
            self.rows.append(self._cells)
        if self._cells is not None and tag == "td":
            self._cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._ids and self._ids[-1][0] == tag:
            self._ids.pop()
        if tag == "table":
            self._in_diff = False
        if tag == "tr":
            self._cells = None

    def handle_data(self, data: str) -> None:
        for _tag, element in self._ids:
            self.text[element] += data
        if self._cells:
            self._cells[-1] += data


def dom_of(path: Path) -> Dom:
    dom = Dom()
    dom.feed(dump_dom(path))
    return dom


def test_the_banner_and_the_template_diff_in_the_browsers_dom(tmp_path: Path) -> None:
    verdict = corpus_verdict(CASES["fail"])
    dom = dom_of(write(tmp_path, "fail", render_html(verdict, context(CASES["fail"]))))
    assert dom.text["verdict"].strip().endswith("FAIL")
    assert re.search(r"score 0\.\d\d · confidence 0\.\d\d · evidence only", dom.text["scores"])
    assert "HTTP 5xx" in dom.text["summary"]
    assert dom.rows, "the template diff has rows"
    changes = [row[0] for row in dom.rows]
    assert set(changes) <= {"new", "more", "less", "gone", "same"}
    order = {"new": 0, "more": 1, "gone": 2, "less": 3, "same": 4}
    assert changes == sorted(changes, key=order.get)
    new_500 = [row for row in dom.rows if row[0] in ("new", "more") and "500" in row[2]]
    assert new_500, dom.rows[:3]
    stable, canary = int(new_500[0][3].replace(",", "")), int(new_500[0][4].replace(",", ""))
    assert canary > stable
    assert "template: " in new_500[0][-1] and "pattern: " in new_500[0][-1]


def test_injection_strings_stay_text_in_the_browser(tmp_path: Path) -> None:
    dom = dom_of(write(tmp_path, "injected", render_html(injected_verdict(tmp_path))))
    assert [tag for tag, _ in dom.tags if tag in ("img", "h1", "iframe")] == []
    assert "injected" not in dom.text, "no element from the logs"
    title = "".join(dom.text.get(key, "") for key in ("summary",))
    assert "pwned" not in title or "document.title" in title  # text, not an effect
    page = dump_dom(tmp_path / "injected.html")
    assert "<title>FAIL: canary analysis report (rollouts-ai-job)</title>" in page, (
        "no script changed the title"
    )
    for text in INJECTIONS[:3]:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in page, text


def test_the_page_fits_a_375_px_screen(tmp_path: Path) -> None:
    """Nothing is wider than a 375 px screen (tables scroll inside their own box): a probe added to a
    copy of the page paints a square green when the page fits its window, magenta when it does not
    (blue if the window is not 375 px wide), and the screenshot is read back. Headless chromium lays
    a window out at least 500 px wide, so the page is shown in a 375 px iframe, a phone's screen."""
    page = render_html(corpus_verdict(CASES["quiet"]), context(CASES["quiet"]))
    probe = (
        "<script>var w=window.innerWidth,d=document.createElement('div');d.setAttribute('style',"
        "'position:fixed;left:0;top:0;width:40px;height:40px;z-index:9;background:'+(w!==375?'#0000ff':"
        "document.documentElement.scrollWidth>w?'#ff00ff':'#00ff00'));document.body.appendChild(d);</script>"
    )
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    write(tmp_path, "narrow", page.replace("</body>", probe + "</body>"))
    frame = (
        '<!doctype html><html><body style="margin:0">'
        '<iframe src="narrow.html" width="375" height="900" style="border:0;display:block"></iframe>'
        "</body></html>"
    )
    shot = tmp_path / "phone.png"
    assert screenshot(write(tmp_path, "phone", frame), shot, 500, 900) == (500, 900)
    assert png_pixel(shot, 10, 10) == (0, 255, 0)
    assert png_pixel(shot, 370, 60) == BANNER["fail"]
    assert png_pixel(shot, 450, 60) == (255, 255, 255), "outside the phone's screen"
