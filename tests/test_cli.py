"""The ``harness`` command line, run through its real entry points in temporary folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK

from cli_support import run_cli

PARALLEL_BASIC = """
input = "x"
pipeline = "left || right | combine"
[commands.left]
returns = "L:{input}"
[commands.right]
returns = "R:{input}"
[commands.combine]
join = " + "
"""

HANGS = """
input = "x"
deadline_ms = 5000
pipeline = "quick || stuck"
[commands.quick]
duration_ms = 10
[commands.stuck]
hang = true
"""


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests record baselines; ``record`` refuses under CI, which a CI run of this suite sets."""
    monkeypatch.delenv("CI", raising=False)


def test_run_prints_the_output_text_of_a_reference_case(write_scenario) -> None:
    """``harness run`` of parallel-basic prints the spec's expected text ``L:x + R:x``."""
    code, out, err = run_cli("run", str(write_scenario("parallel-basic", PARALLEL_BASIC)))
    assert (code, err) == (EXIT_OK, "")
    assert out.splitlines()[:2] == ["ok: parallel-basic on reference", "output: L:x + R:x"]


def test_run_json_is_the_canonical_observation(write_scenario) -> None:
    """``--json`` prints the observation; two runs print the same bytes."""
    path = str(write_scenario("parallel-basic", PARALLEL_BASIC))
    first, second = run_cli("run", path, "--json"), run_cli("run", path, "--json", "--impl", "extracted")
    assert first[0] == second[0] == EXIT_OK
    observation = json.loads(first[1])
    assert observation["implementation"] == "reference"
    assert observation["output"]["text"] == "L:x + R:x"
    assert first[1].replace('"reference"', '"extracted"') == second[1]


def test_run_of_a_scenario_that_never_finishes_exits_1_naming_stage_branch_and_time(write_scenario) -> None:
    """A hanging branch ends at the virtual deadline with a message naming where it hung."""
    path = write_scenario("hangs", HANGS)
    code, out, err = run_cli("run", str(path))
    assert code == EXIT_FAILED
    assert out == ""
    assert err == (
        f"harness run: {path}: did not finish: deadline_ms 5000 reached at virtual 5000 ms; "
        "stage 1 branch 1 (stuck) running since 0 ms\n"
    )


def test_check_then_record_then_check(write_scenario) -> None:
    """An unpinned scenario fails the check; after ``record`` the check passes."""
    path = write_scenario("parallel-basic", PARALLEL_BASIC)
    code, out, _ = run_cli("check", str(path.parent))
    assert code == EXIT_FAILED
    assert out.splitlines()[-1] == "total: 0 passed, 1 failed"
    code, out, _ = run_cli("record", str(path.parent))
    assert (code, out) == (EXIT_OK, f"created    {path.with_name('parallel-basic.baseline.json')}\n")
    code, out, _ = run_cli("check", str(path.parent))
    assert code == EXIT_OK
    assert out == "MATCH            parallel-basic\ntotal: 1 passed, 0 failed\n"


def test_check_with_a_faulty_candidate_exits_1_with_the_diff(write_scenario) -> None:
    """``--candidate MODULE:ATTR`` gates any executor class; a reversed order is named by path."""
    path = write_scenario("parallel-basic", PARALLEL_BASIC)
    run_cli("record", str(path))
    code, out, _ = run_cli("check", str(path), "--candidate", "faulty_executors:ReversedOrderExecutor")
    assert code == EXIT_FAILED
    assert "output.text: 'L:x + R:x' != 'R:x + L:x'" in out
    assert (
        "  candidate faulty_executors:ReversedOrderExecutor differs from the reference (path: reference != candidate):"
        in out.splitlines()
    )


def test_check_json_report(write_scenario) -> None:
    """``check --json`` prints one JSON document and nothing else."""
    path = write_scenario("parallel-basic", PARALLEL_BASIC)
    run_cli("record", str(path))
    code, out, _ = run_cli("check", str(path), "--json", "--repeat", "2")
    assert code == EXIT_OK
    report = json.loads(out)
    assert report["passed"] == 1 and report["failed"] == 0
    assert report["results"][0]["status"] == "match"


def test_record_refuses_under_ci_unless_forced(write_scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Baselines are not written by a CI job by accident."""
    path = write_scenario("parallel-basic", PARALLEL_BASIC)
    monkeypatch.setenv("CI", "true")
    code, out, err = run_cli("record", str(path))
    assert (code, out) == (EXIT_INVALID, "")
    assert err == "harness record: refusing to write baselines while CI is set; pass --force to record anyway\n"
    assert not path.with_name("parallel-basic.baseline.json").exists()
    assert run_cli("record", str(path), "--force")[0] == EXIT_OK
    assert path.with_name("parallel-basic.baseline.json").exists()


def test_an_unknown_candidate_is_invalid_input() -> None:
    """A candidate that cannot be imported is a one-line error and exit 2."""
    code, out, err = run_cli("check", "--candidate", "no_such_module:Executor")
    assert (code, out) == (EXIT_INVALID, "")
    assert err.startswith("harness check: no_such_module:Executor: cannot import module 'no_such_module'")
    assert err.count("\n") == 1


def test_python_dash_m_harness_is_the_same_command_line(write_scenario) -> None:
    """``python -m harness`` runs the same ``main``."""
    path = write_scenario("parallel-basic", PARALLEL_BASIC)
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(path)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == EXIT_OK, completed.stderr
    assert completed.stdout.splitlines()[1] == "output: L:x + R:x"


def test_the_harness_script_is_installed(write_scenario) -> None:
    """The console script ``harness`` is on the path of the environment that runs the tests."""
    script = Path(sys.executable).with_name("harness")
    completed = subprocess.run(
        [str(script), "run", str(write_scenario("parallel-basic", PARALLEL_BASIC))],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == EXIT_OK, completed.stderr


@pytest.mark.parametrize("command", ["run", "repro"])
def test_svg_says_which_file_it_wrote(command: str, write_scenario, tmp_path: Path) -> None:
    """``--svg FILE`` once wrote the picture silently; the last line now names it."""
    picture = tmp_path / "pictures" / "timeline.svg"
    picture.parent.mkdir()
    code, out, _ = run_cli(command, str(write_scenario("two", PARALLEL_BASIC)), "--svg", str(picture))
    assert code == 0 and picture.is_file()
    assert out.splitlines()[-1] == f"svg: wrote {picture}"
