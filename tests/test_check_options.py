"""``harness check`` with pytest's habits: -k, -x, --list, -q/-v, the failed list, JUnit XML, JSON, colour.

Planted mistakes (each tried in a temporary copy): ``-k`` matching the whole
name exactly instead of a substring selects nothing in
``test_k_selects_by_substring_of_name_and_folder``; ``-x`` without the
``break`` runs every scenario and ``test_exitfirst_stops_at_the_first_failure``
fails; a bar left at rich's default pink-red style fails
``test_the_bar_is_green_while_everything_passes``.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.check import record_scenario
from harness.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from harness.compare import Difference
from harness.report.progress import TerminalProgress
from harness.selection import KeywordSelection

from cli_support import run_cli

GOOD = """
input = "x"
pipeline = "a || b"
[commands.a]
returns = "A:{input}"
[commands.b]
returns = "B:{input}"
duration_ms = 5
"""
REVERSED = "faulty_executors:ReversedOrderExecutor"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three pinned scenarios: ``order-one`` and ``order-two`` under ``retry/``, ``plain`` at the top."""
    root = tmp_path / "corpus"
    (root / "retry").mkdir(parents=True)
    for relative in ("retry/order-one.toml", "retry/order-two.toml", "plain.toml"):
        path = root / relative
        path.write_text(GOOD, encoding="utf-8")
        assert record_scenario(path).status == "created"
    return root


def _statuses(out: str) -> list[str]:
    return [line for line in out.splitlines() if line and not line.startswith((" ", "total:", "failed ", "stopped "))]


def test_k_selects_by_substring_of_name_and_folder(corpus: Path) -> None:
    """pytest's -k: case-insensitive substrings of the stem or a folder, with and/or/not."""
    assert _statuses(run_cli("check", str(corpus), "-k", "ORDER and not two")[1]) == ["MATCH            order-one"]
    assert _statuses(run_cli("check", str(corpus), "-k", "retry")[1]) == [
        "MATCH            order-one",
        "MATCH            order-two",
    ]
    assert _statuses(run_cli("check", str(corpus), "-k", "plain or one")[1]) == [
        "MATCH            plain",
        "MATCH            order-one",
    ]


def test_k_errors_are_one_line(corpus: Path) -> None:
    """A malformed expression, or one that selects nothing, is exit 2 with one line."""
    code, out, err = run_cli("check", str(corpus), "-k", "order and")
    assert (code, out) == (EXIT_INVALID, "")
    assert err.startswith("harness check: -k 'order and': ") and err.count("\n") == 1
    code, out, err = run_cli("check", str(corpus), "-k", "nothing-like-it")
    assert (code, out, err) == (EXIT_INVALID, "", "harness check: -k 'nothing-like-it': no scenario of 3 matches\n")


def test_keyword_selection_keeps_the_given_order() -> None:
    paths = [Path("b/x-2.toml"), Path("a/x-1.toml"), Path("a/y.toml")]
    assert KeywordSelection.compile("x").select(paths) == paths[:2]


def test_list_names_the_scenarios_and_runs_nothing(corpus: Path) -> None:
    """``--list`` (``--collect-only``) prints the selection and a count, resolving no candidate."""
    code, out, err = run_cli("check", str(corpus), "--list", "-k", "order", "--candidate", "nowhere:Executor")
    assert (code, err) == (EXIT_OK, "")
    assert out.splitlines() == [
        str(corpus / "retry" / "order-one.toml"),
        str(corpus / "retry" / "order-two.toml"),
        "2 scenarios (1 deselected)",
    ]
    assert run_cli("check", str(corpus), "--collect-only", "-q")[1].count("\n") == 3


def test_exitfirst_stops_at_the_first_failure(corpus: Path) -> None:
    """``-x``: one failure reported, the rest not run and counted."""
    code, out, _ = run_cli("check", str(corpus), "-x", "--candidate", REVERSED)
    assert code == EXIT_FAILED
    assert _statuses(out) == ["MISMATCH         plain"]
    assert out.splitlines()[-2:] == ["stopped after the first failure (-x): 2 not run", "total: 0 passed, 1 failed"]


def test_quiet_prints_only_failures_and_the_closing_list(corpus: Path) -> None:
    """``-q``: passing scenarios get no line; the failed list names each failure's status and path."""
    (corpus / "retry" / "order-two.baseline.json").unlink()
    code, out, _ = run_cli("check", str(corpus), "-q")
    assert code == EXIT_FAILED
    assert _statuses(out) == ["UNPINNED         order-two"]
    assert out.splitlines()[-3:] == [
        "failed scenarios (1):",
        f"  UNPINNED         {corpus / 'retry' / 'order-two.toml'}",
        "total: 2 passed, 1 failed",
    ]


def test_verbose_shows_every_difference(write_scenario) -> None:
    """The default shows 20 changes and a count; ``-v`` shows every path."""
    many = "input = \"x\"\npipeline = \"" + " || ".join(f"c{i}" for i in range(24)) + "\"\n"
    many += "".join(f"[commands.c{i}]\nreturns = \"R{i}\"\n" for i in range(24))
    path = write_scenario("many", many)
    record_scenario(path)
    _, default, _ = run_cli("check", str(path), "--candidate", REVERSED)
    _, verbose, _ = run_cli("check", str(path), "--candidate", REVERSED, "-v")
    assert "more" in default and "... and" in default
    assert "... and" not in verbose
    assert verbose.count(" != ") > default.count(" != ")


def test_each_change_is_printed_once_with_its_other_paths_under_it(write_scenario) -> None:
    """One reordered value repeats under the output, its branches and its stage: one line, the other paths under it.

    Planted mistake (tried in a temporary copy): grouping switched off
    (``_differences_text`` always calling ``format_differences``) prints
    ``stages[1].data[0]`` as a line of its own and this test fails.
    """
    path = write_scenario("order", GOOD)
    record_scenario(path)
    _, default, _ = run_cli("check", str(path), "--candidate", REVERSED)
    _, verbose, _ = run_cli("check", str(path), "--candidate", REVERSED, "-v")
    lines = default.splitlines()
    first = lines.index("    output.data[0]: 'A:x' != 'B:x'")
    assert lines[first + 1] == "        same change at stages[1].data[0]"
    assert sum(line.startswith("    stages[1].data[0]:") for line in lines) == 0
    assert "    stages[1].data[0]: 'A:x' != 'B:x'" in verbose.splitlines()
    assert "same change" not in verbose


def test_junit_xml_has_one_testcase_per_scenario(corpus: Path, tmp_path: Path) -> None:
    """``--junit-xml FILE``: a testsuite with a failure per failing scenario, typed by its status."""
    (corpus / "plain.baseline.json").unlink()
    report = tmp_path / "out" / "junit.xml"
    code, _, _ = run_cli("check", str(corpus), "--junit-xml", str(report))
    assert code == EXIT_FAILED
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"plain", "order-one", "order-two"}
    failure = cases["plain"].find("failure")
    assert failure is not None and failure.get("type") == "unpinned"
    assert failure.text is not None and failure.text.startswith("UNPINNED         plain")
    assert cases["order-one"].find("failure") is None
    assert cases["order-one"].get("classname") == str(corpus / "retry")


def test_junit_xml_path_is_checked_before_any_work(corpus: Path, tmp_path: Path, folder_state) -> None:
    """A folder as ``--junit-xml``: one line, exit 2, nothing run or written."""
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(corpus), "--junit-xml", str(corpus))
    assert (code, out) == (EXIT_INVALID, "")
    assert err == f"harness check: {corpus}: --junit-xml: is a folder (give a file name)\n"
    assert folder_state(tmp_path) == before


def test_json_differences_are_structured(corpus: Path) -> None:
    """``--json``: each difference has its path and each side's value under the side's name."""
    _, out, _ = run_cli("check", str(corpus / "plain.toml"), "--json", "--candidate", REVERSED)
    (result,) = json.loads(out)["results"]
    first = result["candidate_differences"][0]
    assert set(first) == {"path", "reference", "candidate", "text"}
    assert first["text"] == f"{first['path']}: {first['reference']!r} != {first['candidate']!r}"
    assert result["baseline_differences"] == []


def test_a_side_that_lacks_the_item_is_left_out_of_its_document() -> None:
    from harness.compare import ABSENT

    assert Difference("stages[3]", {"a": 1}, ABSENT).to_document("reference", "candidate") == {
        "path": "stages[3]",
        "reference": {"a": 1},
        "text": "stages[3]: {'a': 1} != <absent>",
    }


def test_long_strings_are_cut_around_the_first_difference() -> None:
    """Two long texts that differ near the end show the differing part, both cut at the same place."""
    left, right = "x" * 300 + "LEFT" + "y" * 50, "x" * 300 + "RIGHT" + "y" * 50
    text = str(Difference("output.text", left, right))
    shown_left, shown_right = text.removeprefix("output.text: ").split(" != ")
    assert "LEFT" in shown_left and "RIGHT" in shown_right
    assert shown_left.startswith("...") and shown_right.startswith("...")
    assert len(shown_left) <= 120 and len(shown_right) <= 120
    assert str(Difference("p", "short", "other")) == "p: 'short' != 'other'"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def test_status_words_are_coloured_on_a_terminal(corpus: Path, colour_terminal: None, monkeypatch) -> None:
    """On a terminal ``-v`` prints MATCH in green and MISMATCH in red; NO_COLOR turns colour off."""
    terminal = FakeTerminal()
    from harness.cli import main

    main(["check", str(corpus / "plain.toml"), "-v"], out=terminal, err=io.StringIO())
    assert "\x1b[32mMATCH\x1b[0m" in terminal.getvalue()
    terminal = FakeTerminal()
    main(["check", str(corpus / "plain.toml"), "--candidate", REVERSED], out=terminal, err=io.StringIO())
    assert "\x1b[1;31mMISMATCH\x1b[0m" in terminal.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = FakeTerminal()
    main(["check", str(corpus / "plain.toml"), "-v"], out=terminal, err=io.StringIO())
    assert "MATCH" in terminal.getvalue() and "\x1b[32m" not in terminal.getvalue()


def test_the_bar_is_green_while_everything_passes(corpus: Path, colour_terminal: None) -> None:
    """The bar stays green through passing scenarios and turns red at the first failure."""
    from harness.candidates import BUILTIN_IMPLEMENTATIONS, resolve_implementation
    from harness.check import check_scenario

    progress = TerminalProgress(FakeTerminal(), "extracted", 2)
    with progress:
        progress.finished(check_scenario(corpus / "plain.toml", BUILTIN_IMPLEMENTATIONS["extracted"]))
        assert progress.bar_style == "green"
        progress.finished(check_scenario(corpus / "plain.toml", resolve_implementation(REVERSED)))
        assert progress.bar_style == "red"


def test_a_failure_ends_with_the_next_step_and_its_junit_message_is_the_first_difference(
    write_scenario, tmp_path: Path
) -> None:
    """The block ends with the command that looks closer; JUnit's ``message`` names the first difference.

    JUnit's message was the status word alone ("mismatch") before.
    """
    path = write_scenario("order", "input = \"x\"\npipeline = \"a || b\"\n[commands.a]\nreturns = \"A\"\n[commands.b]\nreturns = \"B\"\n")
    record_scenario(path)
    report = tmp_path / "junit.xml"
    code, out, _ = run_cli("check", str(path), "--candidate", REVERSED, "--junit-xml", str(report))
    assert code == EXIT_FAILED
    assert out.splitlines()[-4] == (
        f"  next: `harness run {path} --impl {REVERSED} --timeline` to look closer; "
        f"if the change is intended, `harness freeze` and `harness record {path}`"
    )
    failure = ET.parse(report).getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == (
        f"candidate {REVERSED} differs from the reference (path: reference != candidate): "
        "output.text: '[\"A\",\"B\"]' != '[\"B\",\"A\"]'"
    )
    assert "timelines" in out and "timelines agree" in out and "reference:" not in out
