"""Explored schedules: a virtual-time event loop that orders same-instant callbacks from a schedule.

asyncio runs the callbacks that are ready at one instant first in, first out.
A :class:`Schedule` is a sequence of small integers; on an
:class:`ExploredEventLoop` each time the loop picks the next callback of a
batch with at least two left, it consumes one integer ``c`` and runs the
callback at position ``c % remaining`` of the batch instead of the first.
An empty or all-zero schedule is exactly FIFO; past its end every choice is
FIFO. Only callbacks ready at the same virtual instant are reordered: the
clock (looptime's) is untouched, so time is never bent. The choices actually
consumed are recorded (reduced modulo what was left) in a :class:`TieOrder`,
so a failing schedule can be written out in its minimal form.

Why a private hook: asyncio has no public way to order the ready queue.
``BaseEventLoop._run_once`` moves the due timers into ``self._ready`` (a
``collections.deque``), takes ``ntodo = len(self._ready)`` and then calls
``self._ready.popleft()`` ``ntodo`` times; callbacks added meanwhile go to
the back and wait for the next batch. :class:`_ChoosingQueue` replaces that
deque and answers ``popleft`` from the front ``ntodo`` items, which are
exactly the batch. ``tests/test_scheduling.py`` reads ``_run_once``'s source
and fails loudly if a Python version changes this shape. trio's seeded
shuffling neither replays a given order nor shrinks one, hence this module.
"""

from __future__ import annotations

import asyncio
import collections
import selectors
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, final

import looptime

__all__ = ["CHOICE_LIMIT", "VIRTUAL_CLOCK_OPTIONS", "ExploredEventLoop", "Schedule", "TieOrder"]

CHOICE_LIMIT: Final = 7
"""The largest choice drawn by default: batches rarely hold more than eight live callbacks."""

VIRTUAL_CLOCK_OPTIONS: Final = {"noop_cycles": 0}
"""looptime's options for every scenario loop, plain or explored.

looptime spins 42 no-op loop cycles before each jump in virtual time, so that
threads and I/O can catch up; nothing in a scenario uses either, and without
them every observation is the same, byte for byte, and cheaper."""


@final
@dataclass(frozen=True, slots=True)
class Schedule:
    """A sequence of choices, one per batch pick with two or more candidates; ``()`` is FIFO."""

    choices: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for choice in self.choices:
            if isinstance(choice, bool) or not isinstance(choice, int) or choice < 0:
                raise ValueError(f"a schedule holds non-negative integers, got {choice!r}")

    @classmethod
    def of(cls, choices: Iterable[int]) -> Schedule:
        return cls(tuple(choices))

    @property
    def is_fifo(self) -> bool:
        return not any(self.choices)

    def minimal(self) -> Schedule:
        """The same order without its trailing zeros (past the end every choice is FIFO anyway)."""
        choices = list(self.choices)
        while choices and choices[-1] == 0:
            choices.pop()
        return Schedule(tuple(choices))

    def __str__(self) -> str:
        return "fifo" if self.is_fifo else " ".join(map(str, self.choices))


class _ChoosingQueue(collections.deque[Any]):
    """The loop's ready queue; ``popleft`` picks within the current batch as the schedule says."""

    def __init__(self, initial: Iterable[Any], order: TieOrder) -> None:
        super().__init__(initial)
        self._order = order
        self._batch = 0

    def popleft(self) -> Any:
        if self._batch <= 0:
            # _run_once has just taken ntodo = len(self): the batch is everything queued now.
            self._batch = len(self)
        remaining = self._batch
        self._batch -= 1
        position = self._order.choose(remaining) if remaining > 1 else 0
        if position == 0:
            return super().popleft()
        chosen = self[position]
        del self[position]
        return chosen

    def clear(self) -> None:
        super().clear()
        self._batch = 0


class ExploredEventLoop(looptime.LoopTimeEventLoop, asyncio.SelectorEventLoop):
    """looptime's virtual-clock loop whose same-instant callbacks run in the order a :class:`TieOrder` picks."""

    def __init__(
        self, order: TieOrder, *, selector: selectors.BaseSelector | None = None, **looptime_options: Any
    ) -> None:
        super().__init__(selector, **looptime_options)
        if type(self._ready) is not collections.deque:
            raise RuntimeError(f"asyncio's ready queue is a {type(self._ready).__name__}, not a deque: cannot explore")
        self._ready = _ChoosingQueue(self._ready, order)


@final
class TieOrder:
    """Plays a :class:`Schedule` on the loops it makes and records the choices consumed.

    One instance serves one run (``consumed`` covers every loop it made);
    pass it as ``ties`` to :func:`harness.observation.observe`.
    """

    __slots__ = ("_consumed", "_looptime_options", "_points", "_position", "schedule")

    def __init__(self, schedule: Schedule | Sequence[int] = Schedule(), **looptime_options: Any) -> None:
        self.schedule = schedule if isinstance(schedule, Schedule) else Schedule.of(schedule)
        self._looptime_options = {**VIRTUAL_CLOCK_OPTIONS, **looptime_options}
        self._position = 0
        self._points = 0
        self._consumed: list[int] = []

    def __repr__(self) -> str:
        return f"TieOrder(schedule={self.schedule}, consumed={len(self._consumed)})"

    def new_event_loop(self) -> ExploredEventLoop:
        """A fresh explored loop (the ``loop_factory`` of :class:`asyncio.Runner`)."""
        return ExploredEventLoop(self, **self._looptime_options)

    def choose(self, remaining: int) -> int:
        """The position (below ``remaining``) of the next callback to run; FIFO once the schedule ends."""
        self._points += 1
        choices = self.schedule.choices
        if self._position >= len(choices):
            return 0
        position = choices[self._position] % remaining
        self._position += 1
        self._consumed.append(position)
        return position

    @property
    def choice_points(self) -> int:
        """How many picks so far had two or more callbacks to choose from (a schedule's useful length)."""
        return self._points

    @property
    def consumed(self) -> Schedule:
        """The choices actually consumed so far, each reduced to the position it picked."""
        return Schedule(tuple(self._consumed))
