"""Planted faults are found by the properties and shrunk to scenarios of a few branches.

Each test searches the scenario space with the property that should catch one
fault, takes hypothesis's minimal failing scenario, checks it is small, writes
it as a repro file and replays it with ``harness repro``, which must exit 1.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, find, settings

from harness.candidates import resolve_implementation
from harness.cli import EXIT_FAILED, main
from harness.observation import Observation, observe
from harness.repro import REPRO_DIR_ENV, write_repro
from harness.scenario.model import Scenario
from harness.strategies import scenarios

import parallel_properties as props

# One group of up to eight branches holds every one of these faults; a narrower
# space finds and shrinks them in seconds instead of minutes.
SPACE = scenarios(max_groups=1, max_branches=8)
SEARCH = settings(
    max_examples=3000, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


def _violates(check: Callable[[Scenario, Observation], None], candidate: str) -> Callable[[Scenario], bool]:
    implementation = resolve_implementation(candidate)

    def violated(scenario: Scenario) -> bool:
        try:
            check(scenario, observe(scenario, implementation))
        except AssertionError:
            return True
        return False

    return violated


def _branches(scenario: Scenario) -> int:
    return sum(len(stage) for stage in scenario.stages if isinstance(stage, tuple))


@pytest.mark.parametrize(
    ("candidate", "check", "most_branches"),
    [
        ("faulty_executors:UnpacedExecutor", props.check_schedule, 2),
        ("faulty_executors:CapPlusOneExecutor", props.check_cap, 3),
        ("faulty_executors:SortedMarkersExecutor", props.check_markers, 2),
        ("faulty_executors:FirstBranchLabelsExecutor", props.check_no_label_laundering, 2),
    ],
    ids=["unpaced", "cap-plus-one", "markers-sorted-by-index", "first-branch-labels-only"],
)
def test_a_planted_fault_is_found_shrunk_and_replayed(
    candidate: str,
    check: Callable[[Scenario, Observation], None],
    most_branches: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The property catches the fault, the shrunk scenario has at most a few branches, and repro exits 1."""
    minimal = find(SPACE, _violates(check, candidate), settings=SEARCH)
    assert _branches(minimal) <= most_branches, f"not shrunk: {minimal.stages}"
    assert not _violates(check, "reference")(minimal), "the reference itself breaks the property"
    monkeypatch.setenv(REPRO_DIR_ENV, str(tmp_path))
    path = write_repro(minimal, f"fault-{candidate.rpartition(':')[2]}")
    out = io.StringIO()
    assert main(["repro", str(path), "--candidate", candidate], out=out, err=io.StringIO()) == EXIT_FAILED
    assert f"{candidate} differs from reference on" in out.getvalue()
    assert "first divergence" in out.getvalue() or "!=" in out.getvalue()


def test_repro_of_a_scenario_both_agree_on_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the candidate is fixed (here: the extracted executor), the same file replays clean."""
    monkeypatch.setenv(REPRO_DIR_ENV, str(tmp_path))
    minimal = find(SPACE, _violates(props.check_schedule, "faulty_executors:UnpacedExecutor"), settings=SEARCH)
    path = write_repro(minimal, "fixed")
    out = io.StringIO()
    assert main(["repro", str(path)], out=out, err=io.StringIO()) == 0
    assert out.getvalue().startswith("extracted agrees with reference on fixed")
