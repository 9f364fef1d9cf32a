"""Bounded, paced, ordered concurrency for the branches of a parallel stage.

:func:`run_with_concurrency` runs one call per item with at most ``limit``
running at once. Workers pull the next item as they free up (list scheduling),
so a slow branch never holds back the queue behind it. With ``pace_ms`` every
acquisition of an item, including each worker's final "nothing left" one,
passes a gate that keeps successive passes at least ``pace_ms`` apart: that is
the executor's rate pacing (spec R3.5), and why ``n`` branches on ``w`` workers
cannot finish before ``(n + w - 1) * pace_ms``.

asyncio has no bounded map; ``gather`` over a semaphore would create one task
per item and give no way to pace starts, hence this small worker pool.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Final, TypeVar, cast

__all__ = [
    "DEFAULT_PARALLEL_LIMIT",
    "PARALLEL_LIMIT_ENV",
    "default_parallel_limit",
    "parse_parallel_limit",
    "run_with_concurrency",
    "worker_count",
]

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_PARALLEL_LIMIT: Final = 4
PARALLEL_LIMIT_ENV: Final = "PIPELINE_PARALLEL_LIMIT"

# JavaScript's parseInt(s, 10): optional leading white space, a sign, then digits.
# Both classes are JavaScript's, spelled out: Python's \s and \d also match
# other Unicode separators and digits ("\x1c", "\u0663"), which parseInt rejects.
_JS_WHITE_SPACE = r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_LEADING_INTEGER = re.compile(_JS_WHITE_SPACE + r"*([+-]?[0-9]+)")


def parse_parallel_limit(text: str | None) -> int:
    """Parse a parallel limit like JavaScript ``parseInt``; unset, unparsable or below 1 gives 4.

    >>> [parse_parallel_limit(s) for s in (None, "1", "0", "-3", "abc", "6abc", " 3", "2.9", "0x10")]
    [4, 1, 4, 4, 4, 6, 3, 2, 4]
    """
    if text is None:
        return DEFAULT_PARALLEL_LIMIT
    match = _LEADING_INTEGER.match(text)
    if match is None:
        return DEFAULT_PARALLEL_LIMIT
    value = int(match.group(1))
    return value if value >= 1 else DEFAULT_PARALLEL_LIMIT


def default_parallel_limit(environ: Mapping[str, str] | None = None) -> int:
    """Read ``PIPELINE_PARALLEL_LIMIT`` now (each parallel stage reads it when it starts)."""
    source = os.environ if environ is None else environ
    return parse_parallel_limit(source.get(PARALLEL_LIMIT_ENV))


def worker_count(limit: float, item_count: int) -> int:
    """Return how many workers serve ``item_count`` items under ``limit`` (spec R3.3).

    A cap of 0, a negative cap or NaN gives one worker; a cap above the item
    count gives one worker per item; no items need no worker.
    """
    if item_count <= 0:
        return 0
    bounded = min(limit, item_count)
    if math.isnan(bounded) or bounded < 1:
        return 1
    return int(bounded)


class _PaceGate:
    """Lets acquisitions through one at a time, at least ``pace_ms`` apart; the first passes at once."""

    __slots__ = ("_interval", "_last_pass", "_lock")

    def __init__(self, pace_ms: float) -> None:
        self._interval = pace_ms / 1000
        self._lock = asyncio.Lock()
        self._last_pass: float | None = None

    def __repr__(self) -> str:
        return f"_PaceGate(pace_ms={self._interval * 1000:g})"

    async def pass_gate(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            if self._last_pass is not None:
                wait = self._last_pass + self._interval - loop.time()
                # Float noise below a nanosecond is not a wait; sleeping it would
                # add a spurious step on a virtual clock.
                if wait > 1e-9:
                    await asyncio.sleep(wait)
            self._last_pass = loop.time()


async def run_with_concurrency(
    items: Iterable[T],
    limit: float | None,
    fn: Callable[[T, int], Awaitable[R]],
    *,
    ordered: bool = True,
    pace_ms: float | None = 0,
) -> list[R]:
    """Await ``fn(item, index)`` for every item, at most ``limit`` at once.

    ``limit`` ``None`` reads the environment default. Results come in input
    order (``ordered``) or in completion order. If a call raises, or the caller
    is cancelled, the other calls are cancelled and awaited before the
    exception propagates, so no branch outlives the stage.
    """
    queue = list(items)
    workers = worker_count(default_parallel_limit() if limit is None else limit, len(queue))
    if workers == 0:
        return []
    gate = _PaceGate(pace_ms) if pace_ms is not None and pace_ms > 0 else None
    slots: list[R | None] = [None] * len(queue)
    completed: list[R] = []
    cursor = 0

    async def work() -> None:
        nonlocal cursor
        while True:
            if gate is not None:
                await gate.pass_gate()
            if cursor >= len(queue):
                return
            index = cursor
            cursor += 1
            result = await fn(queue[index], index)
            if ordered:
                slots[index] = result
            else:
                completed.append(result)

    tasks = [asyncio.ensure_future(work()) for _ in range(workers)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return cast("list[R]", slots) if ordered else completed
