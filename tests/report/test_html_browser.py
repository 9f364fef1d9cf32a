"""The HTML report in a real browser: headless Chromium renders the page of a planted ordering mistake.

The mistake is ``faulty_executors:CompletionOrderExecutor`` (a group's
outputs in completion order), which fails 18 of the corpus's scenarios.
The tests read the DOM after the page's script ran: every failing scenario
open with its grouped changes and two SVG timelines, the filter (driven by
the URL fragment, as a link or the controls set it) hiding exactly the rows
it should, and a Content-Security-Policy that really stops a fetch.

Planted mistakes (each tried in a temporary copy): the script's status test
written ``element.dataset.status === status`` for ``failing`` too shows
nothing under ``#status=failing`` and fails
``test_the_filter_hides_exactly_the_rows_it_should``; the CSP meta tag left
out lets the injected image reach the loopback server and fails
``test_the_policy_stops_a_fetch_the_page_might_make``.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from harness.cli import EXIT_FAILED
from harness.compare import Difference, group_differences

from chromium_support import chromium_or_skip, dump_dom, screenshot
from cli_support import run_cli

CORPUS = Path(__file__).resolve().parents[2] / "baselines"
MISTAKE = "faulty_executors:CompletionOrderExecutor"


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The page of the planted mistake over the whole corpus, and the same check as JSON."""
    page = tmp_path_factory.mktemp("report") / "report.html"
    code, out, _ = run_cli("check", str(CORPUS), "--candidate", MISTAKE, "--json", "--html", str(page))
    assert code == EXIT_FAILED
    return page, json.loads(out)


def _rendered(browser: str, page: Path, fragment: str = "") -> BeautifulSoup:
    return BeautifulSoup(dump_dom(browser, page.as_uri() + fragment), "html.parser")


def _groups(entry: dict, side: tuple[str, str]) -> int:
    differences = [Difference(d["path"], d.get(side[0]), d.get(side[1])) for d in entry[f"{side[1]}_differences"]]
    return len(group_differences(differences))


def _visible(dom: BeautifulSoup) -> list[str]:
    return [element["data-name"] for element in dom.select("details.scenario") if not element.has_attr("hidden")]


def test_every_failing_scenario_shows_its_grouped_changes_and_two_timelines(browser: str, report) -> None:
    page, checked = report
    failing = [entry for entry in checked["results"] if entry["status"] != "match"]
    assert len(failing) >= 18  # 18 of the corpus as first written; scenarios added since may fail too
    dom = _rendered(browser, page)
    assert dom.body["data-rendered-ms"]  # the script ran to its end
    shown = dom.select("details.scenario")
    assert [element["data-name"] for element in shown[: len(failing)]] == [entry["scenario"] for entry in failing]
    assert all(element["data-status"] == "match" and not element.has_attr("open") for element in shown[len(failing):])
    for entry, element in zip(failing, shown):
        assert element.has_attr("open") and not element.has_attr("hidden"), entry["scenario"]
        assert len(element.select("li.change")) == _groups(entry, ("reference", "candidate")), entry["scenario"]
        assert len(element.select(".timelines svg")) == 2, entry["scenario"]
        assert element.select_one("pre.repro").text.endswith(f"--candidate {MISTAKE}")
    changes = len(dom.select("li.change"))
    paths = changes + len(dom.select(".also code"))
    assert paths == sum(len(entry["candidate_differences"]) for entry in failing)
    assert changes < paths / 1.5  # most changes repeat under several paths


def test_the_filter_hides_exactly_the_rows_it_should(browser: str, report) -> None:
    page, checked = report
    statuses = {entry["scenario"]: entry["status"] for entry in checked["results"]}
    everything = _rendered(browser, page)
    assert len(_visible(everything)) == len(statuses)
    failing = _rendered(browser, page, "#status=failing")
    assert sorted(_visible(failing)) == sorted(name for name, status in statuses.items() if status != "match")
    assert failing.select_one("#status-filter option[selected]") is None  # set by script, not markup
    failures = sum(status != "match" for status in statuses.values())
    assert failing.select_one("#shown").text == f"{failures} of {len(statuses)} shown"
    narrowed = _rendered(browser, page, "#status=match&q=CAP")
    expected = sorted(name for name, status in statuses.items() if status == "match" and "cap" in name)
    assert expected and sorted(_visible(narrowed)) == expected
    assert narrowed.select_one("#shown").text == f"{len(expected)} of {len(statuses)} shown"


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.requests.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every path asked of it."""
    requests: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_policy_stops_a_fetch_the_page_might_make(browser: str, report, loopback_server, tmp_path: Path) -> None:
    """An image injected into the page is never fetched; the same image on a page without the policy is.

    The second half shows the server would have seen the fetch, so the first
    half's silence is the policy's doing.
    """
    page, _ = report
    base, requests = loopback_server
    text = page.read_text(encoding="utf-8")
    leaky = tmp_path / "leaky.html"
    leaky.write_text(text.replace("</main>", f'<img src="{base}/with-policy.png"></main>'), encoding="utf-8")
    _rendered(browser, leaky)
    assert requests == []
    control = tmp_path / "control.html"
    control.write_text(f'<!DOCTYPE html><html><body><img src="{base}/without-policy.png"></body></html>', encoding="utf-8")
    _rendered(browser, control)
    assert requests == ["/without-policy.png"]


def test_a_screenshot_of_the_report_is_a_png(browser: str, report, tmp_path: Path) -> None:
    page, _ = report
    picture = screenshot(browser, page.as_uri() + "#status=failing", tmp_path / "report.png", width=800, height=600)
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 800 and int.from_bytes(data[20:24], "big") == 600
