"""Output paths (``--svg``, ``--note``, ``--junit-xml``) are checked before any work: one line, exit 2, nothing written.

Planted mistake (tried in a temporary copy): dropping the ``check_output_path``
call from ``harness run`` lets ``--svg DIR`` reach ``write_atomic``, which
raises ``IsADirectoryError`` and the test of the folder case fails on the
traceback and the exit code.
"""

from __future__ import annotations

import sys
import subprocess
from pathlib import Path

import pytest

from harness.baselines import check_output_path
from harness.cli import EXIT_INVALID
from harness.errors import InvalidOutputError

from cli_support import run_cli

SCENARIO = """
input = "x"
pipeline = "left || right"
[commands.left]
duration_ms = 5
[commands.right]
duration_ms = 7
"""


@pytest.fixture
def scenario(write_scenario) -> Path:
    return write_scenario("two", SCENARIO)


def _one_line_refusal(code: int, out: str, err: str, option: str) -> None:
    assert code == EXIT_INVALID
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert f": {option}: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["run", "repro"])
def test_an_svg_path_that_is_a_folder_is_refused_before_running(
    command: str, scenario: Path, tmp_path: Path, folder_state
) -> None:
    """``harness run X --svg DIR`` and ``harness repro X --svg DIR``: one line, exit 2, nothing written."""
    target = tmp_path / "pictures"
    target.mkdir()
    before = folder_state(tmp_path)
    _one_line_refusal(*run_cli(command, str(scenario), "--svg", str(target)), "--svg")
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("command", ["run", "repro"])
def test_an_svg_path_on_a_file_system_that_takes_no_file_is_refused(command: str, scenario: Path) -> None:
    """``--svg /proc/nope/x.svg`` names the option and why, with no traceback."""
    if not Path("/proc/self").exists():
        pytest.skip("needs /proc")
    code, out, err = run_cli(command, str(scenario), "--svg", "/proc/nope/x.svg")
    _one_line_refusal(code, out, err, "--svg")
    assert not Path("/proc/nope").exists()


def test_an_svg_path_under_a_file_is_refused(scenario: Path, tmp_path: Path, folder_state) -> None:
    """A parent that is a file cannot hold the picture."""
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    before = folder_state(tmp_path)
    code, out, err = run_cli("run", str(scenario), "--svg", str(tmp_path / "plain" / "deeper" / "x.svg"))
    _one_line_refusal(code, out, err, "--svg")
    assert "is not a folder" in err
    assert folder_state(tmp_path) == before


def test_missing_folders_are_fine_and_created_by_the_write(scenario: Path, tmp_path: Path) -> None:
    """A new folder for the picture is no mistake: the check passes and the run writes it."""
    target = tmp_path / "new" / "deeper" / "x.svg"
    code, _, err = run_cli("run", str(scenario), "--svg", str(target))
    assert (code, err) == (0, "")
    assert target.read_text(encoding="utf-8").startswith("<?xml")


def test_the_check_leaves_nothing_behind(tmp_path: Path, folder_state) -> None:
    """Probing a writable folder creates no file and no folder."""
    before = folder_state(tmp_path)
    check_output_path(tmp_path / "a" / "b" / "c.svg", "--svg")
    assert folder_state(tmp_path) == before
    assert sorted(tmp_path.iterdir()) == []
    with pytest.raises(InvalidOutputError, match=r"--svg: is a folder"):
        check_output_path(tmp_path, "--svg")


def test_the_gate_refuses_a_note_that_is_a_folder_before_checking(planted_project: Path, folder_state) -> None:
    """``harness gate --no-commands --note DIR``: one line, exit 2, nothing written."""
    (planted_project / "notes").mkdir()
    def outside_git() -> dict[str, object]:
        return {name: state for name, state in folder_state(planted_project).items() if not name.startswith(".git")}

    before = outside_git()
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "gate", "--no-commands", "--note", "notes"],
        cwd=planted_project, capture_output=True, text=True,
    )
    _one_line_refusal(completed.returncode, completed.stdout, completed.stderr, "--note")
    assert outside_git() == before


@pytest.fixture
def planted_project(tmp_path: Path) -> Path:
    """A tiny project the gate accepts: a package area and a git history."""
    root = tmp_path / "project"
    (root / "pkg" / "core").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text('"""p."""\n', encoding="utf-8")
    (root / "pkg" / "core" / "__init__.py").write_text('"""c."""\n', encoding="utf-8")
    (root / "pyproject.toml").write_text('[tool.harness.gate]\narea = "pkg/core"\n', encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], cwd=root, check=True)
    return root
