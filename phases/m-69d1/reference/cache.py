"""The stage output cache: each stage's finalized output, by stage index.

A stage's structured input is always ``cache.get(index - 1, input_text)``: the
previous stage's cached output when there is one, or a plain text value of the
input text when a retry cleared it (spec R2.3). Only sequential stages and the
aggregate of a parallel stage are cached; branches never write here.
"""

from __future__ import annotations

from .types import StructuredValue
from .values import text_value

__all__ = ["StageOutputCache"]


class StageOutputCache:
    """Finalized stage outputs keyed by stage index, plus the run's initial and final values."""

    __slots__ = ("_entries", "_final", "_initial")

    def __init__(self) -> None:
        self._entries: dict[int, StructuredValue] = {}
        self._initial: StructuredValue | None = None
        self._final: StructuredValue | None = None

    def __repr__(self) -> str:
        return f"StageOutputCache(stages={sorted(self._entries)})"

    def initialize(self, initial: StructuredValue) -> None:
        """Start a run: forget every entry; ``initial`` is both the initial and the final value."""
        self._entries.clear()
        self._initial = self._final = initial

    def get(self, index: int, fallback_text: str) -> StructuredValue:
        """Return the output cached for ``index``.

        A negative index means the run's initial value. A missing entry is
        created as a text value of ``fallback_text``, cached and returned.
        """
        if index < 0:
            if self._initial is None:
                self._initial = text_value(fallback_text)
            return self._initial
        cached = self._entries.get(index)
        if cached is None:
            cached = self._entries[index] = text_value(fallback_text)
        return cached

    def set(self, index: int, value: StructuredValue) -> None:
        """Store ``value`` as the output of ``index``; it becomes the final value."""
        self._entries[index] = value
        self._final = value

    def clear_from(self, index: int) -> None:
        """Drop every entry at ``index`` or later (a stage is about to run again)."""
        for stale in [key for key in self._entries if key >= index]:
            del self._entries[stale]

    def update_initial(self, value: StructuredValue) -> None:
        """Replace the initial value when the source runs again; it is also the final value."""
        self._initial = self._final = value

    @property
    def initial(self) -> StructuredValue | None:
        """The run's input value, or the latest one the source produced."""
        return self._initial

    @property
    def final(self) -> StructuredValue | None:
        """The value stored last: what a run returns when it completes."""
        return self._final
