"""The HTML report as a document: self-contained, failures first, grouped changes, both timelines, causes.

These read the page's source; tests/report/test_html_browser.py reads what
Chromium renders. Planted mistakes (each tried in a temporary copy): a
stylesheet ``<link href="https://...">`` in the head fails
``test_the_page_names_nothing_to_fetch``; sorting by ``result.status``
instead of ``result.passed`` (alphabetical, so ``crashed`` before ``invalid``
whatever the check order) fails ``test_failures_come_first_and_passes_collapsed``;
``render_svg_pair`` computing each side's axis alone gives the shorter
timeline a shorter axis and fails ``test_both_timelines_share_one_axis_and_mark_the_divergence``.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from harness.candidates import resolve_implementation
from harness.check import ScenarioResult, check_scenario, record_scenario
from harness.cli import EXIT_FAILED, EXIT_INVALID
from harness.report.html import CONTENT_SECURITY_POLICY, CheckRun, html_report
from harness.report.junit import TimedResult

from cli_support import run_cli

ORDER = """
description = "Two branches, the slow one first: outputs in declaration order"
input = "x"
pipeline = "slow || fast"
[commands.slow]
returns = "S:{input}"
duration_ms = 20
[commands.fast]
returns = "F:{input}"
duration_ms = 5
"""
CAPPED = """
input = "x"
pipeline = "a || b || c"
parallel_cap = 2
[commands.a]
returns = "a"
duration_ms = 10
[commands.b]
returns = "b"
duration_ms = 10
[commands.c]
returns = "c"
duration_ms = 10
"""
RUN = CheckRun("faulty:Candidate", "reference", "abc123", 1.25, ("--candidate", "faulty:Candidate"))


def _pinned(write_scenario, name: str, text: str) -> Path:
    path = write_scenario(name, text)
    assert record_scenario(path).status == "created"
    return path


def _page(results: list[ScenarioResult], run: CheckRun = RUN) -> BeautifulSoup:
    return BeautifulSoup(html_report([TimedResult(result, 0.01) for result in results], run), "html.parser")


def _ordering_mistake(write_scenario) -> ScenarioResult:
    return check_scenario(
        _pinned(write_scenario, "order", ORDER), resolve_implementation("faulty_executors:ReversedOrderExecutor")
    )


def test_the_page_names_nothing_to_fetch(write_scenario) -> None:
    """No attribute points anywhere, the style loads nothing, and the CSP forbids every fetch by default."""
    page = _page([_ordering_mistake(write_scenario)])
    for tag in page.find_all(True):
        for attribute in ("src", "href", "action", "srcset", "poster", "data", "formaction"):
            assert not tag.has_attr(attribute), (tag.name, attribute)
    for style in page.find_all("style"):
        assert "url(" not in style.text and "@import" not in style.text
    policy = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert policy is not None and policy["content"] == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none';")
    assert len(page.find_all("script")) == 1 and not page.find("script").has_attr("src")


def test_a_failing_scenario_has_its_description_grouped_changes_timelines_and_repro(write_scenario) -> None:
    page = _page([_ordering_mistake(write_scenario)])
    scenario = page.select_one('details.scenario[data-name="order"]')
    assert scenario is not None and scenario.has_attr("open") and scenario["data-status"] == "mismatch"
    assert scenario.select_one(".description").text == "Two branches, the slow one first: outputs in declaration order"
    changes = scenario.select("li.change")
    first = changes[1]
    assert first.code.text == "output.data[0]: 'S:x' != 'F:x'"
    assert [code.text for code in first.select(".also code")] == ["stages[1].data[0]"]
    assert len(scenario.select(".timelines svg")) == 2
    assert scenario.select_one("pre.repro").text.endswith("order.toml --candidate faulty:Candidate")
    assert scenario.select_one("pre.repro").text.startswith("harness check ")


def test_both_timelines_share_one_axis_and_mark_the_divergence(write_scenario) -> None:
    """A candidate ignoring the cap ends sooner; both pictures still run to the same tick, the divergence outlined."""
    result = check_scenario(
        _pinned(write_scenario, "capped", CAPPED), resolve_implementation("faulty_executors:IgnoresCapExecutor")
    )
    scenario = _page([result]).select_one('details.scenario[data-name="capped"]')
    reference, candidate = scenario.select(".timelines svg")
    ticks = [[tick.text for tick in svg.select("text.tick")] for svg in (reference, candidate)]
    assert ticks[0] == ticks[1] and ticks[0][-1] == "20 ms"
    assert [len(svg.select('[stroke="#000"]')) for svg in (reference, candidate)] == [1, 1]
    assert scenario.select_one(".divergence").text.startswith("first divergence at timeline[2]:")


def test_crashed_and_invalid_scenarios_show_their_one_line_cause() -> None:
    crashed = ScenarioResult("a/two.toml", "two", "crashed", "x:Typo crashed: AttributeError: no stagez (at x.py:9 in execute)")
    invalid = ScenarioResult("a/bad.toml", "bad", "invalid", "a/bad.toml: input: required\nsecond line")
    page = _page([crashed, invalid])
    causes = [element.text for element in page.select(".cause")]
    assert causes == ["x:Typo crashed: AttributeError: no stagez (at x.py:9 in execute)", "a/bad.toml: input: required"]


def test_failures_come_first_and_passes_collapsed() -> None:
    results = [
        ScenarioResult("p1.toml", "p1", "match"),
        ScenarioResult("f1.toml", "f1", "invalid", "f1.toml: bad"),
        ScenarioResult("p2.toml", "p2", "match"),
        ScenarioResult("f2.toml", "f2", "crashed", "boom"),
    ]
    page = _page(results)
    shown = [(element["data-name"], element.has_attr("open")) for element in page.select("details.scenario")]
    assert shown == [("f1", True), ("f2", True), ("p1", False), ("p2", False)]
    assert [chip.text for chip in page.select(".counts span")] == ["1 crashed", "1 invalid", "2 match"]
    facts = {div.dt.text: div.dd.text for div in page.select(".summary div")}
    assert facts == {
        "scenarios": "4", "reference": "reference", "candidate": "faulty:Candidate",
        "revision": "abc123", "duration": "1.25 s",
    }  # fmt: skip


def test_check_html_writes_the_page_and_the_repro_names_the_candidate(write_scenario, tmp_path: Path) -> None:
    path = _pinned(write_scenario, "order", ORDER)
    out = tmp_path / "report.html"
    code, _, _ = run_cli("check", str(path), "--candidate", "faulty_executors:ReversedOrderExecutor", "--html", str(out))
    assert code == EXIT_FAILED
    page = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert page.select_one("pre.repro").text == f"harness check {path} --candidate faulty_executors:ReversedOrderExecutor"
    assert page.select_one("title").text == "harness check: 1 of 1 failed"


def test_check_html_refuses_a_folder_before_any_work(write_scenario, tmp_path: Path, folder_state) -> None:
    path = _pinned(write_scenario, "order", ORDER)
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(path), "--html", str(tmp_path))
    assert code == EXIT_INVALID and out == ""
    assert err == f"harness check: {tmp_path}: --html: is a folder (give a file name)\n"
    assert folder_state(tmp_path) == before
