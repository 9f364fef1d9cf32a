"""The worker pool's edges that the broader concurrency tests leave loose (spec R3.3, R3.5).

A whole-number float cap, a pace of exactly 1 ms, and paces long enough that
an error of a fraction of a millisecond per gap shows on an exact virtual
clock. The pacing cases run through both executors as well as through
:func:`run_with_concurrency` itself, since both executors share the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from harness.pipeline import Command, PipelineExecutor, StructuredValue, run_with_concurrency
from harness.pipeline.concurrency import _PaceGate, worker_count
from harness.reference import ReferenceExecutor

Run = Callable[..., Any]
ExecutorClass = type[PipelineExecutor] | type[ReferenceExecutor]


def stamping(name: str, starts: list[tuple[str, int]], now_ms: Callable[[], int]) -> Command:
    """A branch that records its name and start millisecond, then returns its name."""

    def run(value: StructuredValue) -> str:
        starts.append((name, now_ms()))
        return name

    return Command(name, run)


@pytest.mark.parametrize(("limit", "items", "workers"), [(2.0, 5, 2), (3.0, 2, 2), (1.0, 4, 1)])
def test_a_whole_number_float_cap_counts_like_the_integer(limit: float, items: int, workers: int) -> None:
    """R3.3: ``min(2.0, 5)`` is a cap of 2; only NaN (not every float) falls back to one worker."""
    assert worker_count(limit, items) == workers


def test_a_float_cap_runs_that_many_calls_at_once(
    run_virtual: Run, virtual_loop: asyncio.AbstractEventLoop, now_ms: Callable[[], int]
) -> None:
    """R3.3: five 10 ms calls under a cap of 2.0 start in pairs and end at 30 ms."""
    starts: list[int] = []

    async def call(item: int, index: int) -> int:
        starts.append(now_ms())
        await asyncio.sleep(0.01)
        return item

    assert run_virtual(run_with_concurrency(range(5), 2.0, call)) == [0, 1, 2, 3, 4]
    assert starts == [0, 0, 10, 10, 20]
    assert round(virtual_loop.time() * 1000) == 30


@pytest.mark.parametrize(("pace", "starts"), [(1, [0, 1, 2]), (1000, [0, 1000, 2000]), (2500, [0, 2500, 5000])])
def test_pacing_gaps_are_exact_from_one_millisecond_up(
    run_virtual: Run, virtual_loop: asyncio.AbstractEventLoop, now_ms: Callable[[], int], pace: int, starts: list[int]
) -> None:
    """R3.5: a pace of 1 ms is pacing; long paces keep whole-millisecond gaps; one worker ends at 3 gaps."""
    seen: list[int] = []

    async def call(item: int, index: int) -> int:
        seen.append(now_ms())
        return item

    run_virtual(run_with_concurrency([0, 1, 2], 1, call, pace_ms=pace))
    assert seen == starts
    assert virtual_loop.time() * 1000 == pytest.approx(3 * pace, abs=1e-6)


def test_the_pace_gate_shows_its_pace_in_milliseconds() -> None:
    """The gate's repr gives the pace it was built with, in milliseconds."""
    assert repr(_PaceGate(250)) == "_PaceGate(pace_ms=250)"
    assert repr(_PaceGate(2.5)) == "_PaceGate(pace_ms=2.5)"


@pytest.mark.parametrize(("delay", "starts", "end"), [(1, [0, 1, 2], 4), (1000, [0, 1000, 2000], 4000)])
def test_executors_pace_branch_starts_exactly(
    executor_class: ExecutorClass,
    run_virtual: Run,
    virtual_loop: asyncio.AbstractEventLoop,
    now_ms: Callable[[], int],
    delay: int,
    starts: list[int],
    end: int,
) -> None:
    """R3.5 through an executor: three instant branches under cap 2 start ``delay`` apart; (3+2-1) gaps to finish."""
    stamped: list[tuple[str, int]] = []
    group = [stamping(name, stamped, now_ms) for name in ("a", "b", "c")]
    executor = executor_class([group], parallel_cap=2, delay_ms=delay)
    result = run_virtual(executor.execute("x"))
    assert result.data == ["a", "b", "c"]
    assert stamped == list(zip(["a", "b", "c"], starts))
    assert round(virtual_loop.time() * 1000) == end
