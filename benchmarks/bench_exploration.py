"""Schedule exploration: how often and how fast the race faults are found and shrunk, and `--explore 20` on the corpus.

For each race fault of ``tests/race_faults.py`` (each passes every FIFO
check), one *run* is what ``harness check --explore 20`` does with its own
seed: the corpus in an order shuffled by the seed, each scenario explored
under 20 drawn schedules (:func:`harness.exploration.explore` with that
seed) until the first break, which hypothesis then shrinks. A run finds the
fault when some scenario breaks; its time to a shrunk failure is from the
start of the run to the shrunk schedule (FIFO observations of the reference
are computed once beforehand, as ``check`` has them from its own comparison).
20 runs per fault, seeds 0 to 19. The corpus figure is
``harness check baselines --explore 20`` as a subprocess on the extracted
executor, median of rounds; the FIFO figure compares observing the corpus on
the explored loop with an empty schedule against plain looptime.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from random import Random

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation, resolve_implementation
from harness.exploration import explore
from harness.observation import Observation, observe
from harness.scenario.loader import discover_scenarios, load_scenario
from harness.scenario.model import Scenario
from harness.scheduling import TieOrder

from measure import Figure, median, median_note, wall_seconds
from report import run_standalone

__all__ = ["run"]

NAME = "8 schedule exploration"
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "baselines"
FAULTS = ("SharedCursorExecutor", "CompletionOrderExecutor", "EarlyErrorsExecutor")
RUNS, QUICK_RUNS = 20, 3
SCHEDULES_PER_SCENARIO = 20
CLI_ROUNDS, QUICK_CLI_ROUNDS = 3, 1


def _one_run(
    corpus: list[Scenario], oracles: dict[str, Observation], fault: Implementation, seed: int
) -> tuple[float, int] | None:
    """Seconds to the first shrunk failure and the shrunk schedule's reorderings, or ``None`` if not found."""
    order = list(corpus)
    Random(seed).shuffle(order)
    started = time.perf_counter()
    for scenario in order:
        breakage = explore(scenario, fault, runs=SCHEDULES_PER_SCENARIO, oracle=oracles[scenario.name], seed=seed)
        if breakage is not None:
            return time.perf_counter() - started, sum(map(bool, breakage.shrunk.choices))
    return None


def _observe_corpus(corpus: list[Scenario], explored: bool) -> None:
    for scenario in corpus:
        for implementation in BUILTIN_IMPLEMENTATIONS.values():
            observe(scenario, implementation, ties=TieOrder() if explored else None)


def run(quick: bool = False) -> list[Figure]:
    """Found rate and median time to a shrunk failure per fault; `--explore 20` wall time; FIFO overhead."""
    sys.path.insert(0, str(ROOT / "tests"))
    corpus = [load_scenario(path) for path in discover_scenarios([CORPUS])]
    oracles = {scenario.name: observe(scenario, BUILTIN_IMPLEMENTATIONS["reference"]) for scenario in corpus}
    runs = QUICK_RUNS if quick else RUNS
    figures: list[Figure] = []
    for name in FAULTS:
        fault = resolve_implementation(f"race_faults:{name}")
        outcomes = [_one_run(corpus, oracles, fault, seed) for seed in range(runs)]
        found = [outcome for outcome in outcomes if outcome is not None]
        note = f"{len(found)} of {runs} runs (seeds 0-{runs - 1}), {SCHEDULES_PER_SCENARIO} schedules per scenario"
        figures.append(Figure(benchmark=NAME, name=f"{name} found", value=len(found), unit="count", note=note))
        if found:
            reorderings = sorted({count for _, count in found})
            figures.append(Figure(
                benchmark=NAME, name=f"{name} time to shrunk failure", value=median([s for s, _ in found]), unit="s",
                note=f"median of {len(found)} runs; max {max(s for s, _ in found):.3f} s; "
                f"shrunk to {', '.join(map(str, reorderings))} reordering(s)",
            ))
    rounds = QUICK_CLI_ROUNDS if quick else CLI_ROUNDS
    command = [str(Path(sys.executable).with_name("harness")), "check", "baselines", "--explore", "20"]
    walls, codes = [], set()
    for _ in range(rounds):
        seconds, code = wall_seconds(
            lambda: subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        )
        walls.append(seconds)
        codes.add(code)
    figures.append(Figure(
        benchmark=NAME, name="harness check --explore 20, corpus", value=median(walls), unit="s",
        note=f"{len(corpus)} scenarios, extracted, {median_note(rounds)}, exit status {', '.join(map(str, sorted(codes)))}",
    ))
    plain = median([wall_seconds(lambda: _observe_corpus(corpus, explored=False))[0] for _ in range(rounds)])
    explored = median([wall_seconds(lambda: _observe_corpus(corpus, explored=True))[0] for _ in range(rounds)])
    figures.append(Figure(
        benchmark=NAME, name="explored loop (FIFO) / plain looptime", value=explored / plain, unit="ratio",
        note=f"observing the corpus on both executors: {explored:.3f} s vs {plain:.3f} s, {median_note(rounds)}",
    ))
    return figures


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
