"""Virtual-time speed-up: 1,000 one-hour branches at cap 4 (250 virtual hours) observed through the harness.

A :class:`~harness.scenario.model.Scenario` built in code has one parallel
stage of 1,000 distinct commands, each taking ``duration_ms = 3_600_000``
(one virtual hour), at ``parallel_cap = 4``: 250 hours of virtual time, with
a deadline of twice that. :func:`harness.observation.observe` runs it on the
``extracted`` implementation (:class:`~harness.pipeline.PipelineExecutor`)
on a ``looptime`` loop, recording the full observation (timeline, events,
output). Wall time is ``time.perf_counter`` around ``observe``, median of
rounds; the virtual span is the latest ``end_ms`` in the timeline, checked to
be exactly 250 hours. The speed-up is virtual span over wall time; the wall
time target is about a second.
"""

from __future__ import annotations

import sys
from typing import Final

from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.observation import Observation, observe
from harness.scenario.model import CommandSpec, Scenario

from measure import Figure, median, median_note, wall_seconds
from report import run_standalone

__all__ = ["BRANCHES", "CAP", "HOUR_MS", "build_scenario", "run"]

NAME = "3 virtual time"
BRANCHES = 1_000
CAP = 4
HOUR_MS: Final = 3_600_000
TARGET_WALL_S = 1.0
ROUNDS = 5
QUICK_ROUNDS = 1
IMPLEMENTATION = BUILTIN_IMPLEMENTATIONS["extracted"]


def build_scenario(branches: int = BRANCHES, cap: int = CAP) -> Scenario:
    """One parallel stage of ``branches`` one-hour commands at ``cap``, with room to finish."""
    names = tuple(f"hour_{index:04d}" for index in range(branches))
    expected_ms = -(-branches // cap) * HOUR_MS
    return Scenario(
        name="virtual-hours",
        input="start",
        stages=(names,),
        parallel_cap=cap,
        deadline_ms=2 * expected_ms,
        commands={name: CommandSpec(name=name, duration_ms=HOUR_MS) for name in names},
    )


def virtual_span_ms(observation: Observation) -> int:
    """When the last command call ended, in virtual milliseconds from the start."""
    return max((call["end_ms"] for call in observation["timeline"] if call["end_ms"] is not None), default=0)


def run(quick: bool = False) -> list[Figure]:
    """Wall seconds for the 250 virtual hours, the span itself, and the speed-up."""
    scenario = build_scenario()
    expected_ms = -(-BRANCHES // CAP) * HOUR_MS
    rounds = QUICK_ROUNDS if quick else ROUNDS
    walls: list[float] = []
    for _ in range(rounds):
        wall, observation = wall_seconds(lambda: observe(scenario, IMPLEMENTATION))
        span = virtual_span_ms(observation)
        if observation["outcome"] != "ok" or span != expected_ms or len(observation["timeline"]) != BRANCHES:
            raise RuntimeError(f"expected {BRANCHES} calls over {expected_ms} ms, got {observation['outcome']} at {span}")
        walls.append(wall)
    wall_s = median(walls)
    note = f"{BRANCHES:,} x 1 h at cap {CAP}, {IMPLEMENTATION.name}, {median_note(rounds)}"
    return [
        Figure(benchmark=NAME, name="wall time", value=wall_s, unit="s", target=TARGET_WALL_S, note=note),
        Figure(benchmark=NAME, name="virtual time covered", value=expected_ms / HOUR_MS, unit="h",
               note="latest end_ms in the timeline"),
        Figure(benchmark=NAME, name="virtual/wall speed-up", value=expected_ms / 1000 / wall_s, unit="x",
               note="virtual seconds per wall second"),
    ]


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
