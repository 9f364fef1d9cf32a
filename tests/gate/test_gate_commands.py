"""Running the phase commands: exit codes, parsed counts, output tails."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from harness.gate.commands import TAIL_LINES, command_environment, parse_counts, run_command, run_commands
from harness.gate.note import command_status

from gate_planting import PlantedProject


@pytest.mark.parametrize(
    ("output", "counts"),
    [
        (["=== 312 passed, 2 skipped in 14.2s ==="], "312 passed, 2 skipped"),
        (["312 passed, 1 xfailed in 3.05s"], "312 passed, 1 xfailed"),
        (["312 passed, 1 xfailed"], "312 passed, 1 xfailed"),
        (["total: 45 passed, 0 failed"], "45 passed, 0 failed"),
        (["\x1b[32m=== 3 passed in 0.01s ===\x1b[0m"], "3 passed"),
        (
            ["==== 1 failed, 2 passed, 1 warning, 1 error in 0.12s (0:00:00) ===="],
            "1 failed, 2 passed, 1 warning, 1 error",
        ),
        (["collected 12 items", "", "no tests ran in 0.01s"], ""),
        (["test_x.py::test_passed PASSED", "3 items passed the filter"], ""),
        (
            ["=== 10 passed in 1.0s ===", "checking...", "total: 4 passed, 1 failed"],
            "4 passed, 1 failed",
        ),
        (
            [
                "____ test_a_user_suite ____",
                "----- Captured stdout call -----",
                "=== 3 passed in 0.10s ===",
                "total: 1 passed, 0 failed",
                "FAILED tests/test_plugin.py::test_a_user_suite - assert 1 == 0",
                "=== 1 failed, 1499 passed in 88.20s ===",
            ],
            "1 failed, 1499 passed",
        ),
    ],
    ids=[
        "pytest-framed",
        "pytest-quiet",
        "counts-alone",
        "harness-check",
        "coloured",
        "every-kind",
        "no-counts",
        "words-that-are-not-counts",
        "the-last-summary",
        "nested-in-a-failure",
    ],
)
def test_counts_are_parsed_from_summary_lines(output: list[str], counts: str) -> None:
    assert parse_counts(output) == counts


def test_a_passing_command_is_recorded_with_its_counts(tmp_path: Path) -> None:
    command = PlantedProject.command("print('collecting'); print('=== 3 passed in 0.01s ===')")

    result = run_command(command, cwd=tmp_path)

    assert (result.command, result.exit_code, result.summary) == (command, 0, "3 passed")
    assert result.tail == ("collecting", "=== 3 passed in 0.01s ===")
    assert result.duration_s > 0


def test_a_failing_command_keeps_the_tail_of_its_combined_output(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "for n in range(30): print(f'line {n}', flush=True)\n"
        "print('boom', file=sys.stderr, flush=True)\n"
        "sys.exit(5)"
    )

    result = run_command(PlantedProject.command(code), cwd=tmp_path)

    assert result.exit_code == 5
    assert len(result.tail) == TAIL_LINES == 20
    assert result.tail[0] == "line 11"
    assert result.tail[-1] == "boom"


def test_commands_run_in_the_given_directory_through_the_shell(tmp_path: Path) -> None:
    (tmp_path / "marker.txt").write_text("here\n")

    result = run_command('cat marker.txt && echo "$((2 + 3)) passed, 0 failed"', cwd=tmp_path)

    assert result.tail == ("here", "5 passed, 0 failed")
    assert result.summary == "5 passed, 0 failed"


def test_output_is_streamed_only_when_asked(tmp_path: Path) -> None:
    stream = io.StringIO()

    run_command("echo one; echo two", cwd=tmp_path, stream=stream)

    assert stream.getvalue() == "one\ntwo\n"


def test_every_command_runs_even_after_a_failure(tmp_path: Path) -> None:
    results = run_commands(["exit 2", "echo '1 passed, 0 failed'"], cwd=tmp_path)

    assert [(result.exit_code, result.summary) for result in results] == [
        (2, ""),
        (0, "1 passed, 0 failed"),
    ]


def test_commands_use_the_interpreter_running_the_gate_without_an_activated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python3`` in a command is the gate's own interpreter, even with a ``PATH`` that lacks its folder.

    Planted mistake (tried in a temporary copy): dropping ``env=command_environment()``
    from ``run_command`` makes ``python3`` resolve to the system interpreter, whose
    prefix is not this one.
    """
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)

    result = run_command("python3 -c 'import sys; print(sys.prefix)'; command -v harness", cwd=tmp_path)

    assert result.exit_code == 0, result.tail
    assert result.tail[0] == sys.prefix
    assert Path(result.tail[1]).parent == Path(sys.executable).parent


def test_the_environment_puts_the_interpreter_folder_first_once() -> None:
    """The interpreter's folder leads ``PATH``, and the old entries follow without a duplicate."""
    folder = str(Path(sys.executable).parent)
    environment = command_environment({"PATH": f"/usr/bin{os.pathsep}{folder}{os.pathsep}/bin", "KEEP": "1"})

    entries = environment["PATH"].split(os.pathsep)
    assert entries[0] == folder
    assert entries.count(folder) == 1
    assert entries[-2:] == ["/usr/bin", "/bin"]
    assert environment["KEEP"] == "1"


def test_streaming_prints_each_command_before_its_output(tmp_path: Path) -> None:
    """``harness gate -v`` shows which command runs, then what it prints."""
    stream = io.StringIO()

    run_commands(["echo one", "echo two"], cwd=tmp_path, stream=stream)

    assert stream.getvalue() == "$ echo one\none\n$ echo two\ntwo\n"


def test_pytest_collecting_no_tests_fails_the_command(tmp_path: Path) -> None:
    """pytest's exit 5 (no tests ran) is a failed command, never a silent pass."""
    (tmp_path / "empty").mkdir()

    (result,) = run_commands([f"{sys.executable} -m pytest -p no:cacheprovider empty"], cwd=tmp_path)

    assert result.exit_code == 5
    assert command_status(result) == "FAIL (exit 5)"
