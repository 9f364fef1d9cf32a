"""Planted faults are found by the properties, shrunk to scenarios of a few branches, and replayed.

Every entry of the fault catalogue (``faulty_executors.FAULTS``) must be found
by the property it names, as the suite runs it: the boundary scenarios
first, then drawn ones, on a fixed seed and a small budget. Four faults are
also searched for on drawn scenarios alone, shrunk, written as a repro file
and replayed with ``harness repro``, which must exit 1. How fast each fault
is found over many seeds is measured by ``benchmarks/bench_faults.py``, not
here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, Verbosity, example, find, given, settings

from harness.candidates import BUILTIN_IMPLEMENTATIONS, resolve_implementation
from harness.cli import EXIT_FAILED, main
from harness.repro import REPRO_DIR_ENV, Provenance, write_repro
from harness.scenario.model import Scenario
from harness.strategies import scenarios

import parallel_properties as props
from faulty_executors import FAULTS, PlantedFault

REFERENCE = BUILTIN_IMPLEMENTATIONS["reference"]
# One group of up to eight branches holds every one of these faults; a narrower
# space finds and shrinks them in seconds instead of minutes.
SPACE = scenarios(max_groups=1, max_branches=8)
SEARCH = settings(
    max_examples=1000, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck),
    phases=(Phase.generate, Phase.shrink),
)
SUITE_BUDGET = settings(
    max_examples=30, derandomize=True, database=None, deadline=None, phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
)


def _violates(name: str, candidate: str) -> Callable[[Scenario], bool]:
    implementation = resolve_implementation(candidate)

    def violated(scenario: Scenario) -> bool:
        return props.violation(name, scenario, implementation, REFERENCE) is not None

    return violated


def _branches(scenario: Scenario) -> int:
    return sum(len(stage) for stage in scenario.stages if isinstance(stage, tuple))


def test_the_catalogue_covers_every_area_with_known_properties() -> None:
    """At least twelve faults, names unique, every property named exists, every area of the issue is covered."""
    assert len(FAULTS) >= 12
    assert len({fault.name for fault in FAULTS}) == len(FAULTS)
    assert {fault.found_by for fault in FAULTS} <= {*props.PROPERTIES, props.SIDE_BY_SIDE}
    assert {"order", "pacing", "caps", "markers", "labels", "aggregate text", "retries", "events"} <= {
        fault.area for fault in FAULTS
    }


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_every_planted_fault_is_found_by_its_property(fault: PlantedFault) -> None:
    """The named property fails on the faulty executor within the suite's examples (boundaries, then 30 drawn)."""
    violated = _violates(fault.found_by, fault.candidate)

    @SUITE_BUDGET
    @given(scenarios())
    def holds(scenario: Scenario) -> None:
        assert not violated(scenario)

    for scenario in props.BOUNDARIES:
        holds = example(scenario)(holds)
    with pytest.raises(AssertionError):
        holds()


@pytest.mark.parametrize("name", [*props.PROPERTIES, props.SIDE_BY_SIDE])
def test_the_boundaries_hold_on_the_reference_and_the_extracted_executor(name: str) -> None:
    """No boundary scenario breaks a property on a correct executor, so a fault found there is the fault's."""
    for scenario in props.BOUNDARIES:
        for implementation in ("reference", "extracted"):
            assert not _violates(name, implementation)(scenario), f"{name} broken on {scenario.name} by {implementation}"


@pytest.mark.parametrize(
    ("candidate", "name", "most_branches"),
    [
        ("faulty_executors:UnpacedExecutor", "schedule", 2),
        ("faulty_executors:CapPlusOneExecutor", "cap", 3),
        ("faulty_executors:SortedMarkersExecutor", "markers", 2),
        ("faulty_executors:FirstBranchLabelsExecutor", "labels", 2),
    ],
    ids=["unpaced", "cap-plus-one", "markers-sorted-by-index", "first-branch-labels-only"],
)
def test_a_planted_fault_is_found_shrunk_and_replayed(
    candidate: str, name: str, most_branches: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn scenarios alone find the fault, the shrunk scenario has at most a few branches, and repro exits 1."""
    minimal = find(SPACE, _violates(name, candidate), settings=SEARCH)
    assert _branches(minimal) <= most_branches, f"not shrunk: {minimal.stages}"
    assert not _violates(name, "reference")(minimal), "the reference itself breaks the property"
    monkeypatch.setenv(REPRO_DIR_ENV, str(tmp_path))
    path = write_repro(minimal, f"fault-{candidate.rpartition(':')[2]}", provenance=Provenance("find", candidate))
    out = io.StringIO()
    assert main(["repro", str(path), "--candidate", candidate], out=out, err=io.StringIO()) == EXIT_FAILED
    assert f"{candidate} differs from reference on" in out.getvalue()
    assert "first divergence" in out.getvalue() or "!=" in out.getvalue()


def test_repro_of_a_scenario_both_agree_on_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the candidate is fixed (here: the extracted executor), a file that showed a fault replays clean."""
    monkeypatch.setenv(REPRO_DIR_ENV, str(tmp_path))
    paced = next(scenario for scenario in props.BOUNDARIES if scenario.name == "cap-1-paced")
    assert _violates("schedule", "faulty_executors:UnpacedExecutor")(paced)
    path = write_repro(paced, "fixed", provenance=Provenance("find", "extracted"))
    out = io.StringIO()
    assert main(["repro", str(path)], out=out, err=io.StringIO()) == 0
    assert out.getvalue().splitlines()[1] == "extracted agrees with reference on fixed"
