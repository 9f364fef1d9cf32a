"""Fault finding: each planted fault, hunted by its property over 20 seeds at the dev profile.

For every entry of the catalogue in ``tests/faulty_executors.py``, the
property that must find it runs as a ``@given(scenarios())`` test on the
faulty executor, with the dev profile's budget (30 examples, no deadline, no
database) under ``hypothesis.seed(n)`` for n = 0..19, twice: as the suite
runs it (the boundary scenarios of ``parallel_properties.BOUNDARIES`` as
explicit examples first, then drawn ones), and on drawn scenarios alone,
which measures the strategies. A run finds the fault when the property
fails; its time, from the start of the run to the report of the shrunk
failure (shrinking included), is taken with ``time.perf_counter``. The
figures are the found rate and the median time per fault and mode.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation, resolve_implementation
from harness.scenario.model import Scenario
from harness.strategies import scenarios

from measure import Figure
from report import run_standalone

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "properties"), str(ROOT / "tests")]

import faulty_executors  # noqa: E402  (the tests' folder is put on the path just above)
import parallel_properties as props  # noqa: E402

__all__ = ["Hunt", "hunt", "run"]

NAME = "6 fault finding"
SEEDS = 20
QUICK_SEEDS = 3
DEV_EXAMPLES = 30
TARGET_SECONDS = 10.0
REFERENCE = BUILTIN_IMPLEMENTATIONS["reference"]
MODES = ("as the suite runs", "drawn only")


@dataclass(frozen=True, slots=True)
class Hunt:
    """One run of a property against a faulty executor: whether it failed, and when."""

    found: bool
    seconds: float


def hunt(fault: faulty_executors.PlantedFault, run_seed: int, *, boundaries: bool) -> Hunt:
    """Run ``fault``'s property on its executor once, at the dev profile's budget, under ``run_seed``."""
    candidate: Implementation = resolve_implementation(fault.candidate)

    def holds(scenario: Scenario) -> None:
        message = props.violation(fault.found_by, scenario, candidate, REFERENCE)
        assert message is None, message

    test = given(scenarios())(holds)
    if boundaries:
        for scenario in props.BOUNDARIES:
            test = example(scenario)(test)
    phases = (Phase.explicit, Phase.generate, Phase.shrink) if boundaries else (Phase.generate, Phase.shrink)
    test = settings(
        max_examples=DEV_EXAMPLES, deadline=None, database=None, derandomize=False, phases=phases,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
    )(test)
    test = seed(run_seed)(test)
    started = time.perf_counter()
    try:
        test()
    except AssertionError:
        return Hunt(True, time.perf_counter() - started)
    return Hunt(False, time.perf_counter() - started)


def run(quick: bool) -> list[Figure]:
    seeds = QUICK_SEEDS if quick else SEEDS
    figures: list[Figure] = []
    for fault in faulty_executors.FAULTS:
        for mode in MODES:
            hunts = [hunt(fault, run_seed, boundaries=mode == MODES[0]) for run_seed in range(seeds)]
            found = [h.seconds for h in hunts if h.found]
            sys.stderr.write(f"  {fault.name} ({mode}): {len(found)}/{seeds}\n")
            note = f"{fault.area}; property {fault.found_by}; {mode}; {seeds} seeds x {DEV_EXAMPLES} examples"
            figures.append(Figure(
                benchmark=NAME, name=f"{fault.name}: missed, {mode}", value=seeds - len(found), unit="count",
                target=0 if mode == MODES[0] else None, note=f"found {len(found)}/{seeds}; {note}",
            ))
            figures.append(Figure(
                benchmark=NAME, name=f"{fault.name}: median to a shrunk failure, {mode}",
                value=statistics.median(found) if found else 0.0, unit="s",
                target=TARGET_SECONDS if mode == MODES[0] else None,
                note=f"median of {len(found)} finding runs" if found else "never found",
            ))
    return figures


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
