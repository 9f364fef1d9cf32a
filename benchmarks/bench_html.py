"""HTML report load-to-render in headless Chromium: pages of 366 and 200 scenarios against a plain page of equal size.

Load-to-render is what the page itself records: ``performance.now()`` (time
since navigation began) at the end of its script, once the filter is applied
and a forced layout has laid the whole page out, read from
``data-rendered-ms`` in the DOM Chromium dumps.
Two report pages are measured: the corpus checked against a planted
ordering mistake (``faulty_executors:CompletionOrderExecutor``, 18 of 183
failing) taken twice (366 scenarios, 36 failing, each with two SVG
timelines), and a worst case of 200 failing scenarios (the 18 repeated).
The baseline is a plain page of the same byte size (the report's source as
escaped text in one ``<pre>``) with the same timing script, so the ratio
says what the report's structure, SVG and filter cost over merely loading
that many bytes. Each load is a fresh headless browser (one process per
load: ``--dump-dom`` has no reuse), rounds interleaved, medians reported.
The target, at most 3 times the plain page, says the page's own work
(layout of the SVG, the filter) never dominates merely reading its bytes.
Skipped, with a note, when Chromium is not installed.
"""

from __future__ import annotations

import dataclasses
import html
import re
import sys
import tempfile
from pathlib import Path

from harness.candidates import resolve_implementation
from harness.check import ScenarioResult, check_scenario
from harness.report.html import CheckRun, html_report
from harness.report.junit import TimedResult
from harness.scenario.loader import discover_scenarios

from measure import Figure, median, median_note
from report import run_standalone

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from chromium_support import chromium_path, dump_dom  # noqa: E402  (the tests' folder is put on the path just above)

__all__ = ["run"]

NAME = "9 html report"
MISTAKE = "faulty_executors:CompletionOrderExecutor"
ROUNDS = 5
QUICK_ROUNDS = 1
_RENDERED = re.compile(r'data-rendered-ms="([0-9.]+)"')
_PLAIN_SCRIPT = (
    "<script>void document.body.offsetHeight;"
    " document.body.dataset.renderedMs = performance.now().toFixed(1);</script>"
)


def _copies(results: list[ScenarioResult], count: int) -> list[TimedResult]:
    """``count`` results cycling through ``results``, each copy renamed so that no two share a name."""
    return [
        TimedResult(dataclasses.replace(result, name=f"{result.name}-{number // len(results)}"), 0.01)
        for number, result in enumerate(results[index % len(results)] for index in range(count))
    ]


def _plain_page(size_of: str) -> str:
    """A page of about the same byte size as ``size_of`` with no structure: its text in one ``<pre>``."""
    return f"<!DOCTYPE html><html><body><pre>{html.escape(size_of)}</pre>{_PLAIN_SCRIPT}</body></html>"


def _render_ms(browser: str, page: Path) -> float:
    found = _RENDERED.search(dump_dom(browser, page.as_uri()))
    if found is None:
        raise RuntimeError(f"{page}: the page recorded no render time")
    return float(found.group(1))


def run(quick: bool = False) -> list[Figure]:
    """Load-to-render of two report pages and of the plain page of each one's size, and their ratios."""
    browser = chromium_path()
    if browser is None:
        return [Figure(benchmark=NAME, name="skipped", value=0, unit="count", note="chromium not installed")]
    sys.path.insert(0, str(ROOT / "tests"))  # the planted mistake lives with the tests
    candidate = resolve_implementation(MISTAKE)
    results = [check_scenario(path, candidate) for path in discover_scenarios([ROOT / "baselines"])]
    failing = [result for result in results if not result.passed]
    run_facts = CheckRun(candidate.name, "reference", None, 1.0, ("--candidate", MISTAKE))
    pages = {
        f"corpus twice ({2 * len(results)} scenarios, {2 * len(failing)} failing)": _copies(results, 2 * len(results)),
        "200 failing scenarios": _copies(failing, 200),
    }
    rounds = QUICK_ROUNDS if quick else ROUNDS
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="harness-bench-html-") as folder:
        for label, timed in pages.items():
            report = html_report(timed, run_facts)
            report_page, plain_page = Path(folder) / "report.html", Path(folder) / "plain.html"
            report_page.write_text(report, encoding="utf-8")
            plain_page.write_text(_plain_page(report), encoding="utf-8")
            _render_ms(browser, report_page)  # warm the disk cache and the browser's files
            ours: list[float] = []
            plain: list[float] = []
            for _ in range(rounds):
                ours.append(_render_ms(browser, report_page))
                plain.append(_render_ms(browser, plain_page))
            size = f"{len(report.encode()) / 1e6:.2f} MB"
            note = f"{label}, {size}, {median_note(rounds)}"
            figures += [
                Figure(benchmark=NAME, name=f"report/plain page, {label}", value=median(ours) / median(plain),
                       unit="ratio", target=3.0, note=note),
                Figure(benchmark=NAME, name=f"load to render, {label}", value=median(ours), unit="ms", note=note),
                Figure(benchmark=NAME, name=f"plain page of equal size, {label}", value=median(plain), unit="ms",
                       note=note),
            ]  # fmt: skip
    return figures


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
