"""Timeline pictures: who ran when, on the virtual-millisecond axis.

:func:`render_timeline` draws one row per command call, grouped by stage
execution; in a parallel stage each branch gets a row, ``·`` where it waited
and ``█`` where it ran, with a note saying whether the cap held it back (it
started the instant another branch finished) or pacing delayed it.
:func:`render_divergence` puts the reference and candidate timelines one
above the other and marks the first call where they part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, final

__all__ = ["Block", "first_divergence", "render_divergence", "render_timeline", "split_blocks"]

WAIT: Final = "·"
RUN: Final = "█"
DEFAULT_WIDTH: Final = 40

Call = Mapping[str, Any]


@final
@dataclass(frozen=True, slots=True)
class Block:
    """The calls of one stage execution, in the order they started; ``first`` is the index of the first call."""

    stage: int
    parallel: bool
    calls: tuple[Call, ...]
    first: int

    @property
    def start_ms(self) -> int:
        return int(min(call["start_ms"] for call in self.calls))

    @property
    def end_ms(self) -> int:
        ends = [call["end_ms"] for call in self.calls if call["end_ms"] is not None]
        return max(ends, default=self.start_ms)


def split_blocks(timeline: Sequence[Call]) -> list[Block]:
    """Cut a timeline into stage executions: a new one starts when the stage changes or branch 0 comes again."""
    blocks: list[list[Call]] = []
    firsts: list[int] = []
    for index, call in enumerate(timeline):
        current = blocks[-1] if blocks else None
        restart = current is not None and call["branch"] is not None and any(
            earlier["branch"] == call["branch"] for earlier in current
        )
        if current is None or current[-1]["stage"] != call["stage"] or restart or call["branch"] is None:
            blocks.append([call])
            firsts.append(index)
        else:
            current.append(call)
    return [
        Block(calls[0]["stage"], calls[0]["branch"] is not None, tuple(calls), first)
        for calls, first in zip(blocks, firsts)
    ]


def _why_late(call: Call, block: Block) -> str:
    if call["start_ms"] == block.start_ms:
        return ""
    freed = any(other["end_ms"] == call["start_ms"] for other in block.calls if other is not call)
    return f"  held by cap until {call['start_ms']} ms" if freed else f"  paced to {call['start_ms']} ms"


def _bar(call: Call, origin: int, span: int, width: int) -> str:
    def column(ms: int) -> int:
        return min(width, round((ms - origin) * width / span)) if span else 0

    # Every call gets at least one cell, even one that took no time at the axis's end.
    start = min(column(call["start_ms"]), width - 1)
    end = width if call["end_ms"] is None else min(max(column(call["end_ms"]), start + 1), width)
    return WAIT * start + RUN * (end - start) + " " * (width - end)


def _call_line(call: Call) -> str:
    end = "…" if call["end_ms"] is None else call["end_ms"]
    return f"{call['start_ms']}-{end} ms {call.get('result') or 'running'}"


def render_timeline(timeline: Sequence[Call], *, width: int = DEFAULT_WIDTH, marks: frozenset[int] = frozenset()) -> str:
    """Draw a timeline as text; calls whose index is in ``marks`` get a ``>>`` in the margin."""
    if not timeline:
        return "  (no command ran)"
    lines: list[str] = []
    for block in split_blocks(timeline):
        if not block.parallel:
            call = block.calls[0]
            margin = ">>" if block.first in marks else "  "
            lines.append(f"{margin}stage {block.stage} (sequential) {call['command']} {_call_line(call)}")
            continue
        origin, span = block.start_ms, block.end_ms - block.start_ms
        lines.append(f"  stage {block.stage} (parallel) {origin}-{block.end_ms} ms")
        name_width = max(len(call["command"]) for call in block.calls)
        for offset, call in enumerate(block.calls):
            margin = ">>" if block.first + offset in marks else "  "
            lines.append(
                f"{margin}  b{call['branch']:<3} {call['command']:<{name_width}} |{_bar(call, origin, span, width)}| "
                f"{_call_line(call)}{_why_late(call, block)}"
            )
    return "\n".join(lines)


def first_divergence(left: Sequence[Call], right: Sequence[Call]) -> int | None:
    """Index of the first call that differs between two timelines, or ``None`` when they agree."""
    for index in range(max(len(left), len(right))):
        if index >= len(left) or index >= len(right) or dict(left[index]) != dict(right[index]):
            return index
    return None


def render_divergence(
    left: Sequence[Call],
    right: Sequence[Call],
    *,
    labels: tuple[str, str] = ("reference", "candidate"),
    width: int = DEFAULT_WIDTH,
) -> str:
    """Both timelines one above the other, the first differing call marked in each."""
    index = first_divergence(left, right)
    marks = frozenset() if index is None else frozenset({index})
    if index is None:
        headline = "timelines agree"
    else:
        left_call = _describe(left, index)
        right_call = _describe(right, index)
        headline = f"first divergence at timeline[{index}]: {labels[0]} {left_call}; {labels[1]} {right_call}"
    return "\n".join([
        headline,
        f"{labels[0]}:",
        render_timeline(left, width=width, marks=marks),
        f"{labels[1]}:",
        render_timeline(right, width=width, marks=marks),
    ])


def _describe(timeline: Sequence[Call], index: int) -> str:
    if index >= len(timeline):
        return "has no such call"
    call = timeline[index]
    where = f"stage {call['stage']}" + (f" branch {call['branch']}" if call["branch"] is not None else "")
    return f"{where} {call['command']} {_call_line(call)}"
