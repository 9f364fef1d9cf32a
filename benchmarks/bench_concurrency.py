"""run_with_concurrency against asyncio.gather over a semaphore: 10,000 no-op branches, cap 64.

Both sides await the same branch coroutine function once per item, on the
ordinary asyncio event loop (``asyncio.new_event_loop()``, real clock):

- ours: ``run_with_concurrency(range(10_000), 64, branch)``, a pool of 64
  workers pulling items in turn (no pacing);
- gather: ``asyncio.gather`` over one coroutine per item, each holding an
  ``asyncio.Semaphore(64)`` while it awaits ``branch(item, item)``.

Two kinds of branch are measured: ``immediate`` returns at once without
suspending, ``yielding`` first awaits ``asyncio.sleep(0)`` (one trip through
the loop). ``yielding`` is the one that exercises the cap: an immediate
branch never suspends, so the first worker drains the whole queue in one
step and at most one branch is ever in flight. The ratio's note gives the
peak in flight on both sides, counted in an extra, untimed run.

A side's time runs from before its first coroutine is created until the
result list is back; each side gets a fresh loop, created and closed outside
the timing. Rounds interleave the sides in one process, alternating which
goes first, after one discarded warm-up round. The figure is the median over
rounds of the per-round ratio ours/gather (below 1: ours is faster); the
target is at most 1.3. Every timed run is checked to return all results in
order, so a fast wrong answer cannot pass for a fast one.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import final

from harness.pipeline.concurrency import run_with_concurrency

from measure import Figure, median, median_note, wall_seconds
from report import run_standalone

__all__ = ["BRANCHES", "CAP", "TARGET_RATIO", "run"]

NAME = "1 concurrency"
BRANCHES = 10_000
CAP = 64
TARGET_RATIO = 1.3
ROUNDS = 11
QUICK_ROUNDS = 3

Branch = Callable[[int, int], Awaitable[int]]
Side = Callable[[Branch], Awaitable[list[int]]]


async def immediate(item: int, index: int) -> int:
    """A branch that returns at once, never suspending."""
    return index


async def yielding(item: int, index: int) -> int:
    """A branch that yields to the loop once (``asyncio.sleep(0)``) and returns."""
    await asyncio.sleep(0)
    return index


async def through_pool(branch: Branch) -> list[int]:
    """Ours: the bounded worker pool of the executor's parallel stages."""
    return await run_with_concurrency(range(BRANCHES), CAP, branch, ordered=True, pace_ms=0)


async def through_gather(branch: Branch) -> list[int]:
    """The textbook alternative: one task per item, a semaphore for the cap."""
    semaphore = asyncio.Semaphore(CAP)

    async def guarded(item: int) -> int:
        async with semaphore:
            return await branch(item, item)

    return await asyncio.gather(*(guarded(item) for item in range(BRANCHES)))


@final
class InFlightCounter:
    """Wraps a branch and keeps the largest number of its calls running at once."""

    __slots__ = ("_branch", "_running", "peak")

    def __init__(self, branch: Branch) -> None:
        self._branch = branch
        self._running = 0
        self.peak = 0

    def __repr__(self) -> str:
        return f"InFlightCounter({self._branch.__name__}, peak={self.peak})"

    async def __call__(self, item: int, index: int) -> int:
        self._running += 1
        self.peak = max(self.peak, self._running)
        try:
            return await self._branch(item, index)
        finally:
            self._running -= 1


def peak_in_flight(side: Side, branch: Branch) -> int:
    """The most branches one side had running at once, from an untimed run."""
    counter = InFlightCounter(branch)
    asyncio.run(side(counter))
    return counter.peak


def _time_side(side: Side, branch: Branch) -> float:
    loop = asyncio.new_event_loop()
    try:
        elapsed, results = wall_seconds(lambda: loop.run_until_complete(side(branch)))
    finally:
        loop.close()
    if results != list(range(BRANCHES)):
        raise RuntimeError(f"{side.__name__} with {branch.__name__} branches returned wrong results")
    return elapsed


def _rounds(branch: Branch, rounds: int) -> tuple[list[float], list[float]]:
    """Per-round seconds of ours and of gather, interleaved and alternating which runs first."""
    _time_side(through_pool, branch)
    _time_side(through_gather, branch)
    ours: list[float] = []
    theirs: list[float] = []
    for number in range(rounds):
        if number % 2 == 0:
            ours.append(_time_side(through_pool, branch))
            theirs.append(_time_side(through_gather, branch))
        else:
            theirs.append(_time_side(through_gather, branch))
            ours.append(_time_side(through_pool, branch))
    return ours, theirs


def run(quick: bool = False) -> list[Figure]:
    """Measure both branch kinds; three figures each (ratio, ours, gather)."""
    rounds = QUICK_ROUNDS if quick else ROUNDS
    figures: list[Figure] = []
    for branch in (immediate, yielding):
        ours, theirs = _rounds(branch, rounds)
        where = f"{branch.__name__} branches, {BRANCHES:,} items, cap {CAP}, {median_note(rounds)}"
        in_flight = (
            f"peak in flight: ours {peak_in_flight(through_pool, branch)}, "
            f"gather {peak_in_flight(through_gather, branch)}"
        )
        figures += [
            Figure(
                benchmark=NAME,
                name=f"ours/gather, {branch.__name__}",
                value=median([a / b for a, b in zip(ours, theirs)]),
                unit="ratio",
                target=TARGET_RATIO,
                note=f"{where}; {in_flight}",
            ),
            Figure(benchmark=NAME, name=f"ours, {branch.__name__}", value=median(ours) * 1000, unit="ms", note=where),
            Figure(
                benchmark=NAME, name=f"gather, {branch.__name__}", value=median(theirs) * 1000, unit="ms", note=where
            ),
        ]
    return figures


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
