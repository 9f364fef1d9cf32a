"""Schedule exploration: run a scenario under drawn tie orders, find one that breaks, shrink it.

The oracle is the reference executor under FIFO. A candidate breaks under a
schedule when its :func:`~harness.schedule_invariants.schedule_independent`
observation differs from the oracle's, or when it no longer finishes.
:func:`explore` lets hypothesis draw schedules (lists of small integers,
:data:`~harness.scheduling.CHOICE_LIMIT` at most) as long as the run has
choice points, so a failure shrinks toward FIFO and toward the fewest
reorderings; it reports the first breaking schedule and the shrunk one, each
in the minimal form the run consumed. hypothesis already shrinks lists of
integers well, which is why no shrinker is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from random import Random
from typing import Final, final

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation
from harness.check import ScenarioResult
from harness.compare import Difference, diff_observations
from harness.observation import DeadlineExceeded, Observation, observe
from harness.repro import Provenance, replay_command, write_repro
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.schedule_invariants import schedule_independent
from harness.scheduling import CHOICE_LIMIT, Schedule, TieOrder

__all__ = [
    "Breakage",
    "ExplorationLog",
    "ScheduledRun",
    "compare_under",
    "explore",
    "explore_result",
    "observe_scheduled",
]

_UNFINISHED: Final = "finished"


@final
@dataclass(frozen=True, slots=True)
class ScheduledRun:
    """One run under a schedule: its observation (``None`` if it did not finish) and the choices it consumed."""

    observation: Observation | None
    consumed: Schedule
    choice_points: int
    unfinished: str | None = None


@final
class ExplorationLog:
    """Counts what ``harness check --explore`` ran: scenarios explored and schedules tried."""

    __slots__ = ("scenarios", "schedules")

    def __init__(self) -> None:
        self.scenarios = 0
        self.schedules = 0

    def __repr__(self) -> str:
        return f"ExplorationLog(scenarios={self.scenarios}, schedules={self.schedules})"

    def explored(self, scenario: str, schedules: int) -> None:
        """``scenario`` ran under ``schedules`` drawn schedules."""
        self.scenarios += 1
        self.schedules += schedules

    def summary(self, runs: int) -> str:
        """The line ``check`` ends its report with."""
        scenarios = f"{self.scenarios} scenario" + ("" if self.scenarios == 1 else "s")
        return f"explored: {self.schedules} drawn tie orders beyond FIFO over {scenarios} (--explore {runs})"


@final
@dataclass(frozen=True, slots=True)
class Breakage:
    """A schedule under which a candidate's schedule-independent observation differs from the oracle's."""

    scenario: str
    first: Schedule
    shrunk: Schedule
    differences: tuple[Difference, ...]
    schedules_run: int

    def report(self) -> str:
        lines = [
            f"{self.scenario}: breaks under schedule [{', '.join(map(str, self.first.choices))}]",
            f"  shrunk: schedule = [{', '.join(map(str, self.shrunk.choices))}]",
        ]
        lines += [f"    {difference}" for difference in self.differences[:10]]
        return "\n".join(lines)


def observe_scheduled(scenario: Scenario, implementation: Implementation, schedule: Schedule) -> ScheduledRun:
    """Run ``scenario`` with its same-instant ties broken by ``schedule``."""
    ties = TieOrder(schedule)
    try:
        observation: Observation | None = observe(scenario, implementation, ties=ties)
        unfinished = None
    except DeadlineExceeded as exc:
        observation, unfinished = None, str(exc)
    return ScheduledRun(observation, ties.consumed.minimal(), ties.choice_points, unfinished)


def compare_under(
    scenario: Scenario, candidate: Implementation, schedule: Schedule, oracle: Observation
) -> tuple[ScheduledRun, tuple[Difference, ...]]:
    """The candidate's run under ``schedule`` and how its invariant part differs from ``oracle``'s (FIFO)."""
    run = observe_scheduled(scenario, candidate, schedule)
    if run.observation is None:
        return run, (Difference(_UNFINISHED, True, False),)
    differences = diff_observations(schedule_independent(oracle), schedule_independent(run.observation))
    return run, tuple(differences)


def explore(
    scenario: Scenario,
    candidate: Implementation,
    *,
    runs: int,
    oracle: Observation | None = None,
    max_length: int | None = None,
    seed: int | None = None,
    on_clean: ExplorationLog | None = None,
) -> Breakage | None:
    """Run ``scenario`` on ``candidate`` under up to ``runs`` drawn schedules; the first break, shrunk, or ``None``.

    ``oracle`` is the reference's FIFO observation (computed when not given);
    ``max_length`` bounds the schedules (default: the run's choice points
    under FIFO, at least one). Deterministic: the same arguments draw the same
    schedules; a ``seed`` draws another deterministic sequence (for benchmarks).
    ``on_clean`` is told how many schedules ran when none broke.
    """
    expected = oracle if oracle is not None else observe(scenario, BUILTIN_IMPLEMENTATIONS["reference"])
    if max_length is None:
        max_length = max(1, observe_scheduled(scenario, candidate, Schedule()).choice_points)
    first: list[Schedule] = []
    tried = [0]

    def breaks(choices: Sequence[int]) -> bool:
        tried[0] += 1
        run, differences = compare_under(scenario, candidate, Schedule(tuple(choices)), expected)
        if differences and not first:
            first.append(run.consumed)
        return bool(differences)

    try:
        shrunk = find(
            st.lists(st.integers(0, CHOICE_LIMIT), min_size=1, max_size=max_length),
            breaks,
            random=None if seed is None else Random(seed),
            settings=settings(
                max_examples=runs,
                derandomize=seed is None,
                database=None,
                deadline=None,
                phases=(Phase.generate, Phase.shrink),
                suppress_health_check=list(HealthCheck),
            ),
        )
    except NoSuchExample:
        if on_clean is not None:
            on_clean.explored(scenario.name, tried[0])
        return None
    run, differences = compare_under(scenario, candidate, Schedule(tuple(shrunk)), expected)
    return Breakage(scenario.name, first[0], run.consumed, differences, tried[0])


def explore_result(
    result: ScenarioResult,
    candidate: Implementation,
    *,
    runs: int,
    reference: Implementation | None = None,
    log: ExplorationLog | None = None,
) -> ScenarioResult:
    """``harness check --explore``: a passed check, explored; a break becomes a ``mismatch`` with a repro file.

    The repro file holds the scenario and the shrunk schedule and records the
    candidate and the reference, so ``harness repro FILE`` replays the break
    from the file alone.
    """
    scenario = load_scenario(result.path)
    breakage = explore(scenario, candidate, runs=runs, oracle=result.reference, on_clean=log)
    if breakage is None:
        return result
    if log is not None:
        log.explored(scenario.name, breakage.schedules_run)
    provenance = Provenance.of(f"harness check --explore {runs}", candidate, reference, seed="derandomized")
    path = write_repro(
        replace(scenario, schedule=breakage.shrunk.choices), f"explore-{scenario.name}", provenance=provenance
    )
    message = f"{breakage.report()}\nrepro file: {path}  (replay: {replay_command(path)})"
    return replace(result, status="mismatch", message=message)
