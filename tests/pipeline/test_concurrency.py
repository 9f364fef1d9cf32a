"""The branch worker pool: parallel limit parsing, worker count, ordering, cap, pacing, cancellation.

Spec R3.3 to R3.6 and R3.8. Every time is virtual and asserted exactly.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.pipeline import default_parallel_limit, parse_parallel_limit, run_with_concurrency
from harness.pipeline.concurrency import worker_count

T = TypeVar("T")


class Timeline:
    """Records what calls of a test function did, each entry stamped with the virtual millisecond."""

    def __init__(self, now_ms: Callable[[], int]) -> None:
        self._now_ms = now_ms
        self.entries: list[tuple[int, str]] = []
        self.active = 0
        self.max_active = 0

    def __repr__(self) -> str:
        return f"Timeline({self.entries})"

    def note(self, what: str) -> None:
        self.entries.append((self._now_ms(), what))

    async def sleeping(self, item: T, ms: int) -> T:
        """Note the start, sleep ``ms`` while counted as active, note the end, return ``item``."""
        self.note(f"start {item}")
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(ms / 1000)
        finally:
            self.active -= 1
        self.note(f"end {item}")
        return item


@pytest.fixture
def timeline(now_ms: Callable[[], int]) -> Timeline:
    """A fresh timeline on the virtual clock."""
    return Timeline(now_ms)


# --- R3.4 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        (None, 4),
        ("1", 1),
        ("0", 4),
        ("-3", 4),
        ("abc", 4),
        ("", 4),
        ("6abc", 6),
        (" 3", 3),
        ("2.9", 2),
        ("0x10", 4),
        ("+5", 5),
        ("\t\n 7", 7),
        ("\u00a08", 8),
        ("\ufeff9", 9),
        ("\x0b\x0c\r\u2028\u30003", 3),
        ("\u3000\u202f12", 12),
        ("- 3", 4),
    ],
)
def test_parse_parallel_limit_spec_examples(text: str | None, limit: int) -> None:
    """R3.4: parsed like JavaScript ``parseInt(s, 10)``; unset, unparsable or below 1 gives 4."""
    assert parse_parallel_limit(text) == limit


@pytest.mark.parametrize("text", ["\u0663", "\uff15", "\x1c5", "\x855"])
def test_parse_parallel_limit_reads_only_what_parse_int_reads(text: str) -> None:
    """R3.4: only ASCII digits are decimal digits, and only JavaScript white space is skipped."""
    assert parse_parallel_limit(text) == 4


@given(st.integers(min_value=1, max_value=10**6), st.text(alphabet="abc.x-", max_size=4))
def test_parse_parallel_limit_takes_the_leading_integer(limit: int, tail: str) -> None:
    """R3.4: the leading decimal digits are the limit, whatever follows them."""
    assert parse_parallel_limit(f"{limit}{tail}") == limit


def test_default_parallel_limit_reads_the_environment_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """R3.4: ``PIPELINE_PARALLEL_LIMIT`` is read at each call; a given mapping replaces the environment."""
    assert default_parallel_limit() == 4
    monkeypatch.setenv("PIPELINE_PARALLEL_LIMIT", "2")
    assert default_parallel_limit() == 2
    monkeypatch.setenv("PIPELINE_PARALLEL_LIMIT", "zero")
    assert default_parallel_limit() == 4
    assert default_parallel_limit({"PIPELINE_PARALLEL_LIMIT": "7"}) == 7
    assert default_parallel_limit({}) == 4


# --- R3.3 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "items", "workers"),
    [
        (4, 6, 4),
        (2, 2, 2),
        (1, 5, 1),
        (10, 3, 3),
        (math.inf, 3, 3),
        (0, 5, 1),
        (-3, 5, 1),
        (math.nan, 5, 1),
        (-math.inf, 5, 1),
        (math.inf, 5, 5),
        (4, 0, 0),
        (0, 0, 0),
    ],
)
def test_worker_count(limit: float, items: int, workers: int) -> None:
    """R3.3: ``max(1, min(limit, n))``; 0, negative and NaN caps give one worker; no items, no worker."""
    assert worker_count(limit, items) == workers


# --- run_with_concurrency ------------------------------------------------------------


def test_results_follow_item_order(run_virtual: Callable[..., Any], timeline: Timeline) -> None:
    """R3.6 (spec 11.3): ``[3, 1, 2, 0]`` doubled under limit 2 gives ``[6, 2, 4, 0]`` whatever finishes first."""

    async def double(item: int, index: int) -> int:
        await timeline.sleeping(item, item * 10)
        return item * 2

    assert run_virtual(run_with_concurrency([3, 1, 2, 0], 2, double, ordered=True)) == [6, 2, 4, 0]
    ends = [what for _, what in timeline.entries if what.startswith("end")]
    assert ends[0] == "end 1"


def test_unordered_results_follow_completion_order(run_virtual: Callable[..., Any], timeline: Timeline) -> None:
    """R3.6: with ``ordered=False`` results come in the order the calls finished."""

    async def double(item: int, index: int) -> int:
        await timeline.sleeping(item, item * 10)
        return item * 2

    assert run_virtual(run_with_concurrency([3, 1, 2, 0], 4, double, ordered=False)) == [0, 2, 4, 6]


def test_the_cap_is_observed_and_free_workers_take_the_next_item(
    run_virtual: Callable[..., Any], timeline: Timeline, virtual_loop: asyncio.AbstractEventLoop
) -> None:
    """R3.3/R3.5: at most ``limit`` calls at once; a slow call does not hold back the queue."""
    durations = {"a": 30, "b": 10, "c": 10, "d": 10}

    async def call(item: str, index: int) -> str:
        return await timeline.sleeping(item, durations[item])

    assert run_virtual(run_with_concurrency(list(durations), 2, call)) == ["a", "b", "c", "d"]
    assert timeline.max_active == 2
    starts = [entry for entry in timeline.entries if entry[1].startswith("start")]
    assert starts == [(0, "start a"), (0, "start b"), (10, "start c"), (20, "start d")]
    assert round(virtual_loop.time() * 1000) == 30


def test_no_limit_reads_the_environment_default(
    run_virtual: Callable[..., Any], timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R3.3/R3.4: ``limit=None`` means the environment default, read when the call starts."""
    monkeypatch.setenv("PIPELINE_PARALLEL_LIMIT", "3")

    async def call(item: int, index: int) -> int:
        return await timeline.sleeping(item, 10)

    run_virtual(run_with_concurrency(range(7), None, call))
    assert timeline.max_active == 3


def test_no_items_run_nothing(run_virtual: Callable[..., Any]) -> None:
    """R3.3: ``n == 0`` runs nothing and yields ``[]``."""
    calls: list[object] = []

    async def call(item: object, index: int) -> object:
        calls.append(item)
        return item

    assert run_virtual(run_with_concurrency([], 4, call)) == []
    assert calls == []


def test_the_index_passed_is_the_item_position(run_virtual: Callable[..., Any]) -> None:
    """R3.5: each call receives its item and that item's declaration index."""

    async def call(item: str, index: int) -> tuple[str, int]:
        return item, index

    assert run_virtual(run_with_concurrency(["x", "y", "z"], 2, call)) == [("x", 0), ("y", 1), ("z", 2)]


def test_pacing_spaces_starts_exactly(
    run_virtual: Callable[..., Any], timeline: Timeline, virtual_loop: asyncio.AbstractEventLoop
) -> None:
    """R3.5 example: 4 branches, cap 2, 5 ms apart: starts at 0, 5, 10, 15 ms."""

    async def call(item: int, index: int) -> int:
        return await timeline.sleeping(item, 0)

    run_virtual(run_with_concurrency([1, 2, 3, 4], 2, call, pace_ms=5))
    starts = [ms for ms, what in timeline.entries if what.startswith("start")]
    assert starts == [0, 5, 10, 15]


@pytest.mark.parametrize(("items", "workers", "delay"), [(4, 2, 5), (6, 4, 15), (1, 1, 10), (3, 3, 7), (5, 1, 2)])
def test_trailing_pacing_waits_end_the_run_at_n_plus_w_minus_1_delays(
    run_virtual: Callable[..., Any], virtual_loop: asyncio.AbstractEventLoop, items: int, workers: int, delay: int
) -> None:
    """R3.5: each worker's final empty acquisition passes the gate too: instant calls end at (n+w-1)*delay."""

    async def call(item: int, index: int) -> int:
        return item

    assert run_virtual(run_with_concurrency(range(items), workers, call, pace_ms=delay)) == list(range(items))
    assert round(virtual_loop.time() * 1000) == (items + workers - 1) * delay


def test_pacing_delays_starts_not_completions(
    run_virtual: Callable[..., Any], timeline: Timeline, virtual_loop: asyncio.AbstractEventLoop
) -> None:
    """R3.5: the gap is a minimum between starts; a call longer than the gap is not delayed further."""

    async def call(item: int, index: int) -> int:
        return await timeline.sleeping(item, 10)

    run_virtual(run_with_concurrency([0, 1, 2], 1, call, pace_ms=5))
    assert [ms for ms, what in timeline.entries if what.startswith("start")] == [0, 10, 20]
    assert round(virtual_loop.time() * 1000) == 30


@pytest.mark.parametrize("pace", [None, 0, -5])
def test_pacing_disabled(
    run_virtual: Callable[..., Any], timeline: Timeline, virtual_loop: asyncio.AbstractEventLoop, pace: int | None
) -> None:
    """R3.5: ``None``, ``0`` or a negative delay disables pacing."""

    async def call(item: int, index: int) -> int:
        return await timeline.sleeping(item, 0)

    run_virtual(run_with_concurrency([1, 2, 3], 3, call, pace_ms=pace))
    assert round(virtual_loop.time() * 1000) == 0
    assert [ms for ms, what in timeline.entries if what.startswith("start")] == [0, 0, 0]


def test_a_raising_call_cancels_and_awaits_the_others(
    run_virtual: Callable[..., Any], timeline: Timeline, virtual_loop: asyncio.AbstractEventLoop
) -> None:
    """R3.8: when a call raises, the running calls are cancelled and awaited, queued ones never start."""

    async def call(item: str, index: int) -> str:
        timeline.note(f"start {item}")
        if item == "fail":
            await asyncio.sleep(0.005)
            raise ValueError("fail")
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            timeline.note(f"cancelled {item}")
            await asyncio.sleep(0.003)
            timeline.note(f"cleaned up {item}")
            raise
        return item

    with pytest.raises(ValueError, match="^fail$"):
        run_virtual(run_with_concurrency(["slow", "fail", "queued"], 2, call))
    assert timeline.entries == [(0, "start slow"), (0, "start fail"), (5, "cancelled slow"), (8, "cleaned up slow")]
    assert round(virtual_loop.time() * 1000) == 8


def test_cancelling_the_caller_cancels_the_workers(run_virtual: Callable[..., Any], timeline: Timeline) -> None:
    """R3.8: cancellation of the caller reaches every running call and leaves no task behind."""

    async def call(item: str, index: int) -> str:
        timeline.note(f"start {item}")
        try:
            await asyncio.sleep(0.1)
        except asyncio.CancelledError:
            timeline.note(f"cancelled {item}")
            raise
        return item

    async def cancel_after_10_ms() -> set[asyncio.Task[Any]]:
        task = asyncio.ensure_future(run_with_concurrency(["a", "b", "c"], 2, call))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return asyncio.all_tasks() - {asyncio.current_task()}

    assert run_virtual(cancel_after_10_ms()) == set()
    assert sorted(timeline.entries) == [(0, "start a"), (0, "start b"), (10, "cancelled a"), (10, "cancelled b")]
