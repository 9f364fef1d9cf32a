"""Figures, and the measuring they come from: wall time, peak memory, medians of rounds.

A :class:`Figure` is one number a benchmark measured, with the upper bound it
is held to when it has one. Wall time comes from :func:`time.perf_counter` and
peak memory from :mod:`tracemalloc`. Other processes share the machine, so a
benchmark repeats its rounds in one process, interleaves the things it
compares, and reports medians; nothing here asserts on a measured time.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

__all__ = ["UNITS", "Figure", "median", "median_note", "peak_bytes", "wall_seconds"]

T = TypeVar("T")

UNITS: Final = {
    # unit: (format of a measured value, suffix shown after it and after a target)
    "ratio": ("{:.3f}", ""),
    "s": ("{:.3f}", " s"),
    "ms": ("{:,.2f}", " ms"),
    "MB": ("{:.2f}", " MB"),
    "B": ("{:,.0f}", " B"),
    "h": ("{:,.1f}", " h"),
    "x": ("{:,.0f}", "x"),
    "per_s": ("{:,.1f}", " /s"),
    "count": ("{:,.0f}", ""),
}
"""The units a figure may carry, and how each is shown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One measured number: which benchmark, what it is, its value, and its target if any.

    ``target`` is an upper bound (the figure meets it when ``value <= target``);
    ``note`` says how the number was obtained (rounds, sizes, the variant).
    Raises :class:`ValueError` for an unknown unit or a value that is not finite.
    """

    benchmark: str
    name: str
    value: float
    unit: str
    target: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"figure {self.name!r}: unknown unit {self.unit!r}; use one of {', '.join(UNITS)}")
        if not math.isfinite(self.value):
            raise ValueError(f"figure {self.name!r}: value {self.value!r} is not a finite number")

    @property
    def met(self) -> bool | None:
        """Whether the value is within its target; ``None`` for a figure without one."""
        return None if self.target is None else self.value <= self.target

    @property
    def shown(self) -> str:
        template, suffix = UNITS[self.unit]
        return template.format(self.value) + suffix

    @property
    def target_shown(self) -> str:
        if self.target is None:
            return ""
        return f"<= {self.target:g}{UNITS[self.unit][1]}"

    def to_document(self) -> dict[str, object]:
        return {
            "benchmark": self.benchmark,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "met": self.met,
            "note": self.note,
        }


def median(values: Sequence[float]) -> float:
    """The median of the rounds' values; raises :class:`ValueError` when there are none."""
    if not values:
        raise ValueError("median of no rounds")
    return statistics.median(values)


def median_note(rounds: int) -> str:
    """How a median figure was taken, for its note: ``median of 5 rounds``, or ``1 round``."""
    return "1 round" if rounds == 1 else f"median of {rounds} rounds"


def wall_seconds(call: Callable[[], T]) -> tuple[float, T]:
    """Run ``call()`` once and return its wall time in seconds, and its result.

    Garbage left by the previous round is collected first, so that its
    collection is not charged to this one.
    """
    gc.collect()
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def peak_bytes(call: Callable[[], T]) -> tuple[int, T]:
    """Run ``call()`` under :mod:`tracemalloc` and return the peak of traced memory, and the result.

    Only what is allocated during the call is traced, so the figure is what
    the call added at its highest point, not the size of the process.
    """
    gc.collect()
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result
