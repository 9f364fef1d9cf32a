"""Fault finding: each planted fault, hunted by its property over 20 seeds.

For every entry of the catalogue in ``tests/faulty_executors.py``, the
property that must find it runs as a ``@given`` test, on the scenarios that
property draws (``parallel_properties.property_scenarios``), on the
faulty executor under ``hypothesis.seed(n)`` for n = 0..19, twice: as the
suite runs it (the dev profile's budget of 30 examples, the boundary
scenarios of ``parallel_properties.BOUNDARIES`` as explicit examples first,
then drawn ones), and on drawn scenarios alone under the ``drawn`` profile
(the ci budget of 200 examples, generation and shrinking only), which
measures the strategies. A run finds the fault when the property fails; its
time, from the start of the run to the report of the shrunk failure
(shrinking included), is taken with ``time.perf_counter``, and its examples
are counted up to the first failing one. The figures are the found rate, the
median time and the median and largest number of examples to the first
failure, per fault and mode: the examples say how well the draws search even
where every run finds its fault.

``--examples N`` runs the drawn mode at another budget: at the dev budget of
30, where hypothesis builds about half of a run's examples by mutating
earlier ones, the found rate is the most sensitive figure of search power::

    python benchmarks/bench_faults.py --drawn-only --examples 30 --no-shrink --seeds 100

Run alone, ``--drawn-only`` skips the suite's mode and ``--fault NAME``
(repeatable) hunts only the named faults, so that one figure can be
reproduced without the rest::

    python benchmarks/bench_faults.py --drawn-only --fault cap-0-from-environment

``--seeds N`` hunts on seeds 0 to N - 1 instead of 20, and ``--no-shrink``
stops at the first failing example (whether a run finds its fault does not
depend on shrinking, only its time does), which makes a found rate over
more seeds affordable while tuning the strategies::

    python benchmarks/bench_faults.py --drawn-only --no-shrink --seeds 40
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation, resolve_implementation
from harness.plugin import hypothesis_profile_name
from harness.scenario.model import Scenario

from measure import Figure
from report import describe_machine, render_table

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "properties"), str(ROOT / "tests")]

import faulty_executors  # noqa: E402  (the tests' folder is put on the path just above)
import parallel_properties as props  # noqa: E402

__all__ = ["Hunt", "hunt", "main", "run"]

NAME = "6 fault finding"
SEEDS = 20
QUICK_SEEDS = 3
DEV_EXAMPLES = 30
TARGET_SECONDS = 10.0
REFERENCE = BUILTIN_IMPLEMENTATIONS["reference"]
MODES = ("as the suite runs", "drawn only")


@dataclass(frozen=True, slots=True)
class Hunt:
    """One run of a property against a faulty executor: whether it failed, when, and after how many examples."""

    found: bool
    seconds: float
    examples: int
    """Examples run up to the first failing one (included) when found, else all the run's examples."""


def hunt(
    fault: faulty_executors.PlantedFault, run_seed: int, *, boundaries: bool, shrink: bool = True,
    examples: int | None = None,
) -> Hunt:
    """Run ``fault``'s property on its executor once under ``run_seed``: as the suite runs, or drawn only.

    ``examples`` replaces the drawn profile's budget.
    """
    candidate: Implementation = resolve_implementation(fault.candidate)
    ran = [0]
    first_failure: list[int] = []

    def holds(scenario: Scenario) -> None:
        ran[0] += 1
        message = props.violation(fault.found_by, scenario, candidate, REFERENCE)
        if message is not None and not first_failure:
            first_failure.append(ran[0])
        assert message is None, message

    test = given(props.property_scenarios(fault.found_by))(holds)
    if boundaries:
        for scenario in props.BOUNDARIES:
            test = example(scenario)(test)
        profile = settings(
            max_examples=DEV_EXAMPLES, deadline=None, database=None, derandomize=False,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
        )
    else:
        profile = settings.get_profile(hypothesis_profile_name("drawn"))
        if examples is not None:
            profile = settings(profile, max_examples=examples)
    if not shrink:
        profile = settings(profile, phases=tuple(phase for phase in profile.phases if phase is not Phase.shrink))
    test = settings(
        profile, suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False
    )(test)
    test = seed(run_seed)(test)
    started = time.perf_counter()
    try:
        test()
    except AssertionError:
        return Hunt(True, time.perf_counter() - started, first_failure[0])
    return Hunt(False, time.perf_counter() - started, ran[0])


def run(
    quick: bool, *, modes: tuple[str, ...] = MODES, names: tuple[str, ...] = (), seeds: int | None = None,
    shrink: bool = True, examples: int | None = None,
) -> list[Figure]:
    seeds = seeds or (QUICK_SEEDS if quick else SEEDS)
    to_failure = "a shrunk failure" if shrink else "the first failure (no shrinking)"
    drawn_budget = examples or settings.get_profile(hypothesis_profile_name("drawn")).max_examples
    figures: list[Figure] = []
    for fault in faulty_executors.FAULTS:
        if names and fault.name not in names:
            continue
        for mode in modes:
            boundaries = mode == MODES[0]
            hunts = [
                hunt(fault, run_seed, boundaries=boundaries, shrink=shrink, examples=examples)
                for run_seed in range(seeds)
            ]
            found = [h for h in hunts if h.found]
            sys.stderr.write(f"  {fault.name} ({mode}): {len(found)}/{seeds}\n")
            budget = DEV_EXAMPLES if boundaries else drawn_budget
            note = f"{fault.area}; property {fault.found_by}; {mode}; {seeds} seeds x {budget} examples"
            figures.append(Figure(
                benchmark=NAME, name=f"{fault.name}: missed, {mode}", value=seeds - len(found), unit="count",
                target=0, note=f"found {len(found)}/{seeds}; {note}",
            ))
            figures.append(Figure(
                benchmark=NAME, name=f"{fault.name}: median to {to_failure}, {mode}",
                value=statistics.median(h.seconds for h in found) if found else 0.0, unit="s",
                target=TARGET_SECONDS, note=f"median of {len(found)} finding runs" if found else "never found",
            ))
            figures.append(Figure(
                benchmark=NAME, name=f"{fault.name}: examples to the first failure, {mode}",
                value=statistics.median(h.examples for h in found) if found else 0.0, unit="count",
                note=(f"median of {len(found)} finding runs, most {max(h.examples for h in found)}"
                      if found else "never found"),
            ))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SEEDS} seeds instead of {SEEDS}")
    parser.add_argument("--drawn-only", action="store_true", help="only the drawn profile, without the boundaries")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME", help="hunt only this fault")
    parser.add_argument("--seeds", type=int, default=None, metavar="N", help=f"seeds 0 to N - 1 (default {SEEDS})")
    parser.add_argument("--no-shrink", action="store_true", help="stop at the first failing example")
    parser.add_argument(
        "--examples", type=int, default=None, metavar="N", help="the drawn mode's budget (default: the drawn profile's)"
    )
    args = parser.parse_args(argv)
    for option, value in (("--seeds", args.seeds), ("--examples", args.examples)):
        if value is not None and value < 1:
            parser.error(f"{option}: expected a positive number, got {value}")
    unknown = set(args.fault) - {fault.name for fault in faulty_executors.FAULTS}
    if unknown:
        parser.error(f"--fault: no planted fault named {', '.join(sorted(unknown))}")
    machine = describe_machine()
    modes = MODES[1:] if args.drawn_only else MODES
    figures = run(
        args.quick, modes=modes, names=tuple(args.fault), seeds=args.seeds, shrink=not args.no_shrink,
        examples=args.examples,
    )
    sys.stdout.write(render_table(figures, machine.ended()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
