"""Repro files record what produced them, and the replay command they print reproduces the failure.

Planted mistakes (each tried in a temporary copy of the project):
- ``recording_failures`` writing no candidate: the file replays on the
  extracted executor, agrees and exits 0, and
  ``test_the_printed_hint_replays_the_failing_candidate`` fails;
- ``portable_spec`` returning the name as given: the hint names
  ``faulty_executors:...``, which a shell in the project cannot import, and
  ``test_the_recorded_candidate_imports_from_a_plain_shell`` fails;
- ``harness repro`` falling back to the extracted executor when the recorded
  candidate does not import: it exits 0 and
  ``test_a_recorded_candidate_that_cannot_be_imported_is_one_line_and_exit_2`` fails.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS, resolve_implementation
from harness.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from harness.repro import REPRO_DIR_ENV, Provenance, read_provenance, recording_failures, write_repro
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
"""Importable only where pytest put ``tests/`` on ``sys.path``, as the suite names it."""
PORTABLE = "tests.faulty_executors:ReversedOrderExecutor"
"""The same class by the name a shell in the project folder imports."""
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repro_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "repro"
    monkeypatch.setenv(REPRO_DIR_ENV, str(folder))
    monkeypatch.chdir(PROJECT)
    return folder


def _failing_hint(scenario_path: Path, spec: str) -> str:
    candidate = resolve_implementation(spec)
    with pytest.raises(AssertionError) as raised:
        with recording_failures(load_scenario(scenario_path), "side-by-side", candidate=candidate):
            raise AssertionError("they differ")
    return str(raised.value).rsplit("(replay: ", 1)[1].rstrip(")")


def test_the_printed_hint_replays_the_failing_candidate(write_scenario, repro_folder: Path) -> None:
    """The hint is ``harness repro FILE`` alone; run as printed, it replays the recorded candidate and exits 1."""
    hint = _failing_hint(write_scenario("order", ORDER), FAULTY)
    arguments = shlex.split(hint)
    assert arguments == ["harness", "repro", str(repro_folder / "side-by-side.toml")]
    code, out, _ = run_cli(*arguments[1:])
    assert code == EXIT_FAILED
    assert out.splitlines()[0].startswith(f"replaying {arguments[2]} on {PORTABLE} against reference (recorded by")
    assert f"{PORTABLE} differs from reference" in out


def test_the_file_records_origin_candidate_reference_profile_and_seed(write_scenario, repro_folder: Path) -> None:
    _failing_hint(write_scenario("order", ORDER), FAULTY)
    path = repro_folder / "side-by-side.toml"
    header = path.read_text(encoding="utf-8").splitlines()[:6]
    assert header[0] == f"# repro file: replay with `harness repro {path}`"
    provenance = read_provenance(path)
    assert provenance is not None
    assert provenance.origin.startswith("property tests/test_repro.py::test_the_file_records_origin")
    assert (provenance.candidate, provenance.reference) == (PORTABLE, "reference")
    assert provenance.profile and provenance.seed
    # Still a scenario: the loader skips the comments, so the file can be copied into baselines/.
    assert load_scenario(path).name == "side-by-side"


def test_a_builtin_candidate_is_recorded_too(write_scenario, repro_folder: Path) -> None:
    """The reference under test is recorded by its name, so the replay runs the reference, not the default."""
    _failing_hint(write_scenario("order", ORDER), "reference")
    provenance = read_provenance(repro_folder / "side-by-side.toml")
    assert provenance is not None and provenance.candidate == "reference"
    code, out, _ = run_cli("repro", str(repro_folder / "side-by-side.toml"))
    assert code == EXIT_OK
    assert out.splitlines()[1] == "reference agrees with reference on side-by-side"


def test_candidate_on_the_command_line_wins(write_scenario, repro_folder: Path) -> None:
    _failing_hint(write_scenario("order", ORDER), FAULTY)
    code, out, _ = run_cli("repro", str(repro_folder / "side-by-side.toml"), "--candidate", "extracted")
    assert (code, out.splitlines()[1]) == (EXIT_OK, "extracted agrees with reference on side-by-side")


def test_the_recorded_candidate_imports_from_a_plain_shell(write_scenario, repro_folder: Path) -> None:
    """A fresh ``harness repro FILE`` in the project folder, without ``PYTHONPATH``, fails on the candidate (exit 1)."""
    _failing_hint(write_scenario("order", ORDER), FAULTY)
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "repro", str(repro_folder / "side-by-side.toml")],
        cwd=PROJECT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == EXIT_FAILED, completed.stderr
    assert f"{PORTABLE} differs from reference" in completed.stdout


def test_a_recorded_candidate_that_cannot_be_imported_is_one_line_and_exit_2(
    write_scenario, repro_folder: Path
) -> None:
    path = write_repro(
        load_scenario(write_scenario("order", ORDER)), "gone", provenance=Provenance("property x", "nowhere:Executor")
    )
    code, out, err = run_cli("repro", str(path))
    assert (code, out) == (EXIT_INVALID, "")
    assert err.count("\n") == 1
    assert err.startswith(f"harness repro: {path}: candidate: the recorded candidate cannot be imported")


def test_a_file_without_provenance_replays_on_the_default_candidate(write_scenario) -> None:
    code, out, _ = run_cli("repro", str(write_scenario("order", ORDER)))
    assert code == EXIT_OK
    assert out.splitlines()[0].endswith("on extracted against reference")


def test_a_revision_reference_is_recorded_as_its_spec() -> None:
    reference = BUILTIN_IMPLEMENTATIONS["reference"]
    revision = type(reference)("reference@0123456789ab:executor:PipelineExecutor", reference.executor_class)
    provenance = Provenance.of("explore", BUILTIN_IMPLEMENTATIONS["extracted"], revision)
    assert (provenance.candidate, provenance.reference) == ("extracted", "0123456789ab:executor:PipelineExecutor")


def test_a_file_of_an_earlier_version_replays_on_its_candidate(write_scenario, repro_folder: Path) -> None:
    """Earlier repro files opened with ``# candidate: MODULE:ATTR`` alone; they still replay on it."""
    path = repro_folder / "old.toml"
    path.parent.mkdir()
    path.write_text(f"# candidate: {PORTABLE}\n" + ORDER, encoding="utf-8")
    code, out, _ = run_cli("repro", str(path))
    assert code == EXIT_FAILED
    assert out.splitlines()[0] == (
        f"replaying {path} on {PORTABLE} against reference (recorded by an earlier harness (only the candidate recorded))"
    )
