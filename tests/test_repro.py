"""Repro files under ``--candidate``: the file and the replay hint name the candidate that failed.

Planted mistake (tried in a temporary copy): ``recording_failures`` ignoring its
``candidate`` writes a hint without ``--candidate``; replayed verbatim it runs
the built-in executor, agrees and exits 0, and
``test_the_hint_replays_the_failing_candidate_verbatim`` fails.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS, resolve_implementation
from harness.cli import EXIT_FAILED, EXIT_OK
from harness.repro import REPRO_DIR_ENV, recorded_candidate, recording_failures, replay_command
from harness.scenario.loader import load_scenario

from cli_support import run_cli

ORDER = """
input = "x"
pipeline = "fast || slow"
[commands.fast]
returns = "F:{input}"
[commands.slow]
returns = "S:{input}"
duration_ms = 10
"""
FAULTY = "faulty_executors:ReversedOrderExecutor"


@pytest.fixture
def repro_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "repro"
    monkeypatch.setenv(REPRO_DIR_ENV, str(folder))
    return folder


def _failing_hint(scenario_path: Path, spec: str) -> str:
    candidate = resolve_implementation(spec)
    with pytest.raises(AssertionError) as raised:
        with recording_failures(load_scenario(scenario_path), "side-by-side", candidate=candidate):
            raise AssertionError("they differ")
    return str(raised.value).rsplit("(replay: ", 1)[1].rstrip(")")


def test_the_hint_replays_the_failing_candidate_verbatim(write_scenario, repro_folder: Path) -> None:
    """The hint is ``harness repro FILE --candidate MODULE:ATTR``; run as printed, it exits 1."""
    hint = _failing_hint(write_scenario("order", ORDER), FAULTY)
    arguments = shlex.split(hint)
    assert arguments[:2] == ["harness", "repro"] and arguments[-2:] == ["--candidate", FAULTY]
    code, out, _ = run_cli(*arguments[1:])
    assert code == EXIT_FAILED
    assert out.startswith(f"{FAULTY} differs from reference")


def test_the_file_alone_replays_on_the_candidate_it_records(write_scenario, repro_folder: Path) -> None:
    """``harness repro FILE`` without ``--candidate`` uses the candidate in the file's first line."""
    _failing_hint(write_scenario("order", ORDER), FAULTY)
    path = repro_folder / "side-by-side.toml"
    assert path.read_text(encoding="utf-8").splitlines()[0] == f"# candidate: {FAULTY}"
    assert recorded_candidate(path) == FAULTY
    assert load_scenario(path).name == "side-by-side"
    code, out, _ = run_cli("repro", str(path))
    assert code == EXIT_FAILED
    assert FAULTY in out.splitlines()[0]
    code, out, _ = run_cli("repro", str(path), "--candidate", "extracted")
    assert (code, out.splitlines()[0]) == (EXIT_OK, "extracted agrees with reference on side-by-side")


def test_builtin_candidates_are_not_recorded(write_scenario, repro_folder: Path) -> None:
    """The default candidate needs no flag: the hint stays ``harness repro FILE``."""
    hint = _failing_hint(write_scenario("order", ORDER), "extracted")
    assert hint == f"harness repro {repro_folder / 'side-by-side.toml'}"
    assert recorded_candidate(repro_folder / "side-by-side.toml") is None
    assert replay_command(Path("x.toml"), BUILTIN_IMPLEMENTATIONS["reference"]) == "harness repro x.toml"
