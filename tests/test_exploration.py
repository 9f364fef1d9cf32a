"""Exploring tie orders: ``explore``, ``harness check --explore``, ``harness run --schedule`` and schedule files."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS, resolve_implementation
from harness.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from harness.exploration import compare_under, explore, observe_scheduled
from harness.observation import observe
from harness.repro import REPRO_DIR_ENV
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.scenario.writer import scenario_text
from harness.scheduling import Schedule

from cli_support import run_cli

TIES = """\
input = "in"
pipeline = "a || b || c"
parallel_cap = 10

[commands.a]
returns = "a"
duration_ms = 30

[commands.b]
returns = "b"
duration_ms = 20

[commands.c]
returns = "c"
duration_ms = 10
"""

HANGS = """\
input = "in"
pipeline = "a || b"
deadline_ms = 100

[commands.a]
returns = "a"

[commands.b]
hang = true
"""


@pytest.mark.parametrize("name", ["reference", "extracted"])
def test_the_executors_survive_exploration(name: str, write_scenario) -> None:
    scenario = load_scenario(write_scenario("ties", TIES))
    assert explore(scenario, BUILTIN_IMPLEMENTATIONS[name], runs=30) is None


CORPUS = sorted((Path(__file__).resolve().parents[1] / "baselines").glob("*.toml"))


@pytest.mark.parametrize("name", ["reference", "extracted"])
@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_every_corpus_scenario_survives_exploration_on_a_correct_executor(path: Path, name: str) -> None:
    """No false alarm from ``harness check --explore`` on the shipped corpus.

    Shown to fail (in a temporary copy) without the projection of the error
    of two interrupts raised at one instant: mv-interrupts-two-branches-same-instant
    broke on both executors within five drawn tie orders.
    """
    assert explore(load_scenario(path), BUILTIN_IMPLEMENTATIONS[name], runs=5) is None


def test_a_run_that_does_not_finish_under_a_schedule_breaks(write_scenario) -> None:
    scenario = load_scenario(write_scenario("hangs", HANGS))
    oracle = observe(load_scenario(write_scenario("ties", TIES)), BUILTIN_IMPLEMENTATIONS["reference"])
    run, differences = compare_under(scenario, BUILTIN_IMPLEMENTATIONS["extracted"], Schedule((1,)), oracle)
    assert run.observation is None and run.unfinished is not None and "did not finish" in run.unfinished
    assert [d.path for d in differences] == ["finished"]


def test_a_scheduled_run_records_its_choice_points_and_minimal_schedule(write_scenario) -> None:
    scenario = load_scenario(write_scenario("ties", TIES))
    fifo = observe_scheduled(scenario, BUILTIN_IMPLEMENTATIONS["reference"], Schedule())
    assert fifo.choice_points > 0 and fifo.consumed == Schedule()
    reordered = observe_scheduled(scenario, BUILTIN_IMPLEMENTATIONS["reference"], Schedule((0, 9, 0, 0)))
    assert reordered.consumed.choices[-1] != 0 and len(reordered.consumed.choices) == 2


def test_a_schedule_survives_writing_and_loading(tmp_path: Path, write_scenario) -> None:
    scenario = load_scenario(write_scenario("ties", TIES))
    scheduled = replace(scenario, schedule=(0, 2, 1))
    for suffix in (".toml", ".json"):
        path = tmp_path / f"ties{suffix}"
        path.write_text(scenario_text(scheduled, suffix), encoding="utf-8")
        assert load_scenario(path).schedule == (0, 2, 1)
    assert "schedule" not in scenario_text(scenario, ".toml")


def test_check_explore_passes_the_extracted_executor(write_scenario) -> None:
    path = write_scenario("ties", TIES)
    assert run_cli("record", str(path), "--force")[0] == EXIT_OK
    code, out, _ = run_cli("check", str(path), "--explore", "20")
    assert code == EXIT_OK, out
    assert out.splitlines()[-2:] == [
        "total: 1 passed, 0 failed",
        "explored: 20 drawn tie orders beyond FIFO over 1 scenario (--explore 20)",
    ]


def test_check_explore_reports_the_first_and_the_shrunk_schedule_and_writes_a_repro(
    write_scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REPRO_DIR_ENV, str(tmp_path / "repro"))
    path = write_scenario("ties", TIES)
    code, out, _ = run_cli("check", str(path), "--explore", "20", "--candidate", "race_faults:SharedCursorExecutor")
    assert code == EXIT_FAILED
    assert "ties: breaks under schedule [" in out and "shrunk: schedule = [" in out
    repro = tmp_path / "repro" / "explore-ties.toml"
    assert f"repro file: {repro}  (replay: harness repro {repro})" in out
    # The plain replay the hint prints runs the recorded candidate: it fails as the exploration did.
    code, replayed, _ = run_cli("repro", str(repro))
    assert code == EXIT_FAILED, replayed
    assert "race_faults:SharedCursorExecutor differs from reference" in replayed


def test_check_explore_needs_a_positive_count(write_scenario, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_cli("check", str(write_scenario("ties", TIES)), "--explore", "0")
    assert code == EXIT_INVALID
    assert "--explore: expected a positive integer, got '0'" in capsys.readouterr().err


def test_run_shows_the_timeline_of_a_schedule(write_scenario, tmp_path: Path) -> None:
    path = write_scenario("ties", TIES)
    schedule_file = tmp_path / "order.toml"
    schedule_file.write_text("schedule = [0, 0, 1]\n" + TIES, encoding="utf-8")
    candidate = "race_faults:SharedCursorExecutor"
    fifo = run_cli("run", str(path), "--impl", candidate, "--timeline")[1]
    code, scheduled, _ = run_cli("run", str(path), "--impl", candidate, "--timeline", "--schedule", str(schedule_file))
    assert code == EXIT_OK
    assert "schedule: 0 0 1" in scheduled and "schedule:" not in fifo
    assert 'output: ["a","b","c"]' in fifo and 'output: ["b","a","c"]' in scheduled
    # A scenario file with its own schedule runs under it.
    own = run_cli("run", str(schedule_file), "--impl", candidate, "--timeline")[1]
    assert own == scheduled.replace("ties on", "order on")


def test_run_with_a_bad_schedule_file_is_one_line(tmp_path: Path, write_scenario) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("schedule = [1, -1]\n" + TIES, encoding="utf-8")
    code, out, err = run_cli("run", str(write_scenario("ties", TIES)), "--schedule", str(bad))
    assert code == EXIT_INVALID and out == ""
    assert err == f"harness run: {bad}: schedule[1]: expected a non-negative integer, got -1\n"


def test_a_scenario_value_rejects_a_bad_schedule() -> None:
    with pytest.raises(ValueError, match="schedule"):
        Scenario(name="x", input="x", stages=("a",), commands={}, schedule=(-1,))  # type: ignore[arg-type]
    assert resolve_implementation("extracted") is BUILTIN_IMPLEMENTATIONS["extracted"]


def test_a_race_pinned_by_copying_its_repro_file_into_the_corpus_fails_plain_check(
    write_scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's advice: copy the repro file into the corpus and record it; plain ``check`` then fails the race.

    Before ``check`` replayed a scenario's ``schedule``, the pinned race ran
    under FIFO, where this fault hides, and passed.
    """
    monkeypatch.setenv(REPRO_DIR_ENV, str(tmp_path / "repro"))
    candidate = "race_faults:SharedCursorExecutor"
    assert run_cli("check", str(write_scenario("ties", TIES)), "--explore", "20", "--candidate", candidate)[0] == EXIT_FAILED
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pinned = corpus / "race.toml"
    shutil.copy(tmp_path / "repro" / "explore-ties.toml", pinned)
    assert run_cli("record", str(corpus), "--force")[0] == EXIT_OK
    code, out, _ = run_cli("check", str(corpus), "--candidate", candidate)
    assert code == EXIT_FAILED, out
    assert "candidate race_faults:SharedCursorExecutor differs from the reference" in out
    assert run_cli("check", str(corpus))[0] == EXIT_OK  # the extracted executor holds under that order
    # Without its schedule the same scenario runs FIFO, where the fault hides.
    pinned.write_text(
        "\n".join(line for line in pinned.read_text(encoding="utf-8").splitlines() if not line.startswith("schedule")),
        encoding="utf-8",
    )
    assert run_cli("check", str(corpus), "--candidate", candidate)[0] == EXIT_OK
