"""A crash inside a candidate is reported as a crash: type, message, the candidate's file and line.

Planted mistake (tried in a temporary copy): going back to recording the
exception as an ``error`` outcome makes ``harness check`` print a screen of
``... != <absent>`` differences and ``harness run --impl`` exit 0; both tests
below then fail.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from harness.candidates import resolve_implementation
from harness.cli import EXIT_FAILED
from harness.crash import ImplementationCrash, crash_site
from harness.observation import observe
from harness.scenario.loader import load_scenario

from cli_support import run_cli

SCENARIO = """
input = "x"
pipeline = "left || right"
[commands.left]
returns = "L"
[commands.right]
returns = "R"
"""

CANDIDATE = '''
import json

from harness.pipeline import PipelineExecutor


class TypoExecutor(PipelineExecutor):
    async def execute(self, value):
        return self.stagez  # the typo


class JsonExecutor(PipelineExecutor):
    async def execute(self, value):
        return json.dumps(object())  # raises inside json, called from here
'''


@pytest.fixture
def candidate_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A candidate module in the current folder, named after the test so no two tests share it."""
    name = "crashing_" + re.sub(r"\W", "_", tmp_path.name)
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(CANDIDATE), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


def test_run_reports_the_crash_in_one_line_and_exits_1(write_scenario, candidate_module: str, tmp_path: Path) -> None:
    """``harness run --impl MODULE:ATTR``: the exception's type, message and the candidate's file and line."""
    spec = f"{candidate_module}:TypoExecutor"
    code, out, err = run_cli("run", str(write_scenario("two", SCENARIO)), "--impl", spec)
    assert code == EXIT_FAILED
    assert out == ""
    line = f"{tmp_path / candidate_module}.py:9 in execute"
    assert err == (
        f"harness run: {spec} crashed: AttributeError: 'TypoExecutor' object has no attribute 'stagez'"
        f" (at {line})\n"
    )


def test_check_reports_crashed_not_a_diff(write_scenario, candidate_module: str) -> None:
    """``harness check``: status ``crashed`` with the crash, no difference lines, exit 1."""
    spec = f"{candidate_module}:TypoExecutor"
    code, out, _ = run_cli("check", str(write_scenario("two", SCENARIO)), "--candidate", spec)
    assert code == EXIT_FAILED
    assert "!=" not in out
    assert re.search(rf"^CRASHED +two\n +{re.escape(spec)} crashed: AttributeError: .*\.py:9 in execute\)$", out, re.M)
    code, out, _ = run_cli("check", str(write_scenario("two-again", SCENARIO)), "--candidate", spec, "--json")
    (result,) = json.loads(out)["results"]
    assert result["status"] == "crashed"


def test_the_site_is_the_candidates_call_not_the_library_frame(write_scenario, candidate_module: str) -> None:
    """A crash inside ``json`` points at the candidate's line that called it."""
    scenario = load_scenario(write_scenario("two", SCENARIO))
    with pytest.raises(ImplementationCrash) as raised:
        observe(scenario, resolve_implementation(f"{candidate_module}:JsonExecutor"))
    crash = raised.value
    assert crash.kind == "TypeError"
    assert crash.site is not None
    assert (Path(crash.site.file).name, crash.site.line, crash.site.function) == (f"{candidate_module}.py", 14, "execute")


def test_a_traceback_of_library_frames_only_falls_back_to_the_innermost() -> None:
    """With no frame of the implementation's own, the innermost frame is shown rather than nothing."""
    try:
        json.loads("{")
    except ValueError as error:
        site = crash_site(error.with_traceback(error.__traceback__.tb_next))
    assert site is not None and Path(site.file).parent.name == "json"
