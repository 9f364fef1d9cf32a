"""Timeline pictures: who ran when, on the virtual-millisecond axis.

:func:`render_timeline` draws one row per command call, grouped by stage
execution; in a parallel stage each branch gets a row, ``·`` where it waited
and ``█`` where it ran, with a note saying whether the cap held it back (it
started the instant another branch finished) or pacing delayed it. Given the
observation's lifecycle events, a parallel stage that lasts longer than its
calls (with pacing, each worker's last, empty acquisition still waits for the
gate, spec R3.5) gets a ``tail`` row drawing and labelling the difference, so
the stage's span is its event duration.
:func:`render_divergence` puts the reference and candidate timelines one
above the other, each stage on the same time scale in both, and marks the
first call where they part; timelines that agree are one line, not two
identical pictures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, final

__all__ = ["Block", "first_divergence", "render_divergence", "render_timeline", "split_blocks", "stage_ends"]

WAIT: Final = "·"
RUN: Final = "█"
TAIL: Final = "░"
DEFAULT_WIDTH: Final = 40

Call = Mapping[str, Any]
Event = Mapping[str, Any]


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


Scale = tuple[int, int]
"""The virtual milliseconds a parallel stage's bars span: ``(start, end)``."""


def render_timeline(
    timeline: Sequence[Call],
    *,
    width: int = DEFAULT_WIDTH,
    marks: frozenset[int] = frozenset(),
    scales: Sequence[Scale] = (),
    events: Sequence[Event] = (),
) -> str:
    """Draw a timeline as text; calls whose index is in ``marks`` get a ``>>`` in the margin.

    ``scales[i]``, when given, is the axis of the ``i``-th stage execution
    (so that two timelines drawn together share it); by default each stage
    spans its own calls, and its event duration when ``events`` are given.
    """
    if not timeline:
        return "  (no command ran)"
    lines: list[str] = []
    blocks = split_blocks(timeline)
    ends = stage_ends(blocks, events)
    for position, block in enumerate(blocks):
        if not block.parallel:
            call = block.calls[0]
            margin = ">>" if block.first in marks else "  "
            lines.append(f"{margin}stage {block.stage} (sequential) {call['command']} {_call_line(call)}")
            continue
        stage_end = max(block.end_ms, ends[position])
        origin, end = scales[position] if position < len(scales) else (block.start_ms, stage_end)
        span = end - origin
        lines.append(f"  stage {block.stage} (parallel) {block.start_ms}-{stage_end} ms")
        name_width = max(max(len(call["command"]) for call in block.calls), len("tail") if stage_end > block.end_ms else 0)
        for offset, call in enumerate(block.calls):
            margin = ">>" if block.first + offset in marks else "  "
            lines.append(
                f"{margin}  b{call['branch']:<3} {call['command']:<{name_width}} |{_bar(call, origin, span, width)}| "
                f"{_call_line(call)}{_why_late(call, block)}"
            )
        if stage_end > block.end_ms:
            tail = {"start_ms": block.end_ms, "end_ms": stage_end}
            bar = _bar(tail, origin, span, width).replace(RUN, TAIL)
            lines.append(
                f"         {'tail':<{name_width}} |{bar}| {block.end_ms}-{stage_end} ms pacing: "
                "each worker's last, empty acquisition waits for the gate"
            )
    return "\n".join(lines)


def stage_ends(blocks: Sequence[Block], events: Sequence[Event]) -> list[int]:
    """When each stage execution ended by its lifecycle event (start plus ``duration_ms``), else its last call's end.

    The events with a duration are taken in order, each matched to the next
    block of its stage; a stage that ran no command (a literal input) has no block.
    """
    durations = [event for event in events if "duration_ms" in event and "stage" in event]
    ends: list[int] = []
    cursor = 0
    for block in blocks:
        while cursor < len(durations) and durations[cursor]["stage"] != block.stage:
            cursor += 1
        if cursor < len(durations):
            ends.append(max(block.end_ms, block.start_ms + int(durations[cursor]["duration_ms"])))
            cursor += 1
        else:
            ends.append(block.end_ms)
    return ends


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
    events: tuple[Sequence[Event], Sequence[Event]] = ((), ()),
) -> str:
    """Both timelines one above the other, the first differing call marked in each; ``events`` are each one's."""
    index = first_divergence(left, right)
    if index is None:
        return "timelines agree"
    marks = frozenset({index})
    headline = f"first divergence at timeline[{index}]: {labels[0]} {_describe(left, index)}; {labels[1]} {_describe(right, index)}"
    scales = _shared_scales(split_blocks(left), split_blocks(right), events)
    return "\n".join([
        headline,
        f"{labels[0]}:",
        render_timeline(left, width=width, marks=marks, scales=scales, events=events[0]),
        f"{labels[1]}:",
        render_timeline(right, width=width, marks=marks, scales=scales, events=events[1]),
    ])


def _shared_scales(
    left: Sequence[Block], right: Sequence[Block], events: tuple[Sequence[Event], Sequence[Event]]
) -> list[Scale]:
    """One axis per stage execution covering both timelines' stages, so equal times line up."""
    spans = [list(zip(blocks, stage_ends(blocks, side))) for blocks, side in ((left, events[0]), (right, events[1]))]
    scales: list[Scale] = []
    for position in range(max(len(left), len(right))):
        here = [side[position] for side in spans if position < len(side)]
        scales.append((min(block.start_ms for block, _ in here), max(end for _, end in here)))
    return scales


def _describe(timeline: Sequence[Call], index: int) -> str:
    if index >= len(timeline):
        return "has no such call"
    call = timeline[index]
    where = f"stage {call['stage']}" + (f" branch {call['branch']}" if call["branch"] is not None else "")
    return f"{where} {call['command']} {_call_line(call)}"
