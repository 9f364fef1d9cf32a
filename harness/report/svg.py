"""Timeline pictures as SVG: the terminal picture of :mod:`harness.report.timeline`, for a CI job to keep.

One row per command call, grouped by stage execution, on a shared
virtual-millisecond axis: a pale bar where a branch waited (held back by the
cap or by pacing), a solid bar where it ran, coloured by how it ended. A
call that took no virtual time is a diamond at its instant, so it never
vanishes into a hairline. Two timelines stack one above the other with the
first differing call outlined. A legend under the title names the colours;
the axis ends on a round number and its ticks fall on even steps (1, 2 or 5
times a power of ten). Written with the standard library's XML escaping; no
drawing dependency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from harness.report.timeline import Call, first_divergence, split_blocks

__all__ = ["axis_ticks", "render_svg", "render_svg_pair"]

ROW: Final = 18
LABEL_WIDTH: Final = 190
PLOT_WIDTH: Final = 600
MARGIN: Final = 12
COLOURS: Final = {"value": "#3a7d44", "raise": "#c0392b", "retry": "#d68910", None: "#2e86c1"}
WAIT_COLOUR: Final = "#d5d8dc"
LEGEND: Final = (("value", "returned"), ("raise", "raised"), ("retry", "asked for a retry"), (None, "still running"))
MAX_TICKS: Final = 8


def axis_ticks(last_ms: int) -> list[int]:
    """Even ticks from 0 past ``last_ms``: a step of 1, 2 or 5 times a power of ten, at most ``MAX_TICKS`` steps."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if -(-max(last_ms, 1) // (step * factor)) <= MAX_TICKS:
                size = step * factor
                return list(range(0, -(-max(last_ms, 1) // size) * size + 1, size))
        step *= 10


def _axis_end(timelines: Sequence[Sequence[Call]]) -> int:
    ends = [
        call["end_ms"] if call["end_ms"] is not None else call["start_ms"]
        for timeline in timelines
        for call in timeline
    ]
    return axis_ticks(max(ends, default=0))[-1]


def _x(ms: int, axis_end: int) -> float:
    return LABEL_WIDTH + ms * PLOT_WIDTH / axis_end


def _rows(timeline: Sequence[Call], top: float, axis_end: int, mark: int | None) -> tuple[list[str], float]:
    parts: list[str] = []
    y = top
    for block in split_blocks(timeline):
        kind = "parallel" if block.parallel else "sequential"
        parts.append(f'<text x="{MARGIN}" y="{y + 12:.0f}" class="stage">stage {block.stage} ({kind})</text>')
        y += ROW
        for offset, call in enumerate(block.calls):
            index = block.first + offset
            label = call["command"] if call["branch"] is None else f"b{call['branch']} {call['command']}"
            parts.append(f'<text x="{MARGIN + 10}" y="{y + 12:.0f}">{escape(label)}</text>')
            if block.parallel and call["start_ms"] > block.start_ms:
                wait_x = _x(block.start_ms, axis_end)
                parts.append(
                    f'<rect x="{wait_x:.1f}" y="{y + 3:.0f}" width="{_x(call["start_ms"], axis_end) - wait_x:.1f}" '
                    f'height="{ROW - 6}" fill="{WAIT_COLOUR}"><title>waited until {call["start_ms"]} ms</title></rect>'
                )
            parts.append(_call_shape(call, y, axis_end, outlined=index == mark))
            y += ROW
    return parts, y


def _call_shape(call: Call, y: float, axis_end: int, *, outlined: bool) -> str:
    """A bar from start to end, or a diamond for a call that took no virtual time."""
    end = call["end_ms"] if call["end_ms"] is not None else axis_end
    start_x = _x(call["start_ms"], axis_end)
    outline = ' stroke="#000" stroke-width="2"' if outlined else ""
    fill = COLOURS.get(call.get("result"), COLOURS[None])
    title = f'{call["start_ms"]}-{call["end_ms"] if call["end_ms"] is not None else "…"} ms {call.get("result") or "running"}'
    if call["end_ms"] == call["start_ms"]:
        half = (ROW - 6) / 2
        middle = y + 3 + half
        points = f"{start_x:.1f},{y + 3:.0f} {start_x + half:.1f},{middle:.1f} {start_x:.1f},{y + ROW - 3:.0f} {start_x - half:.1f},{middle:.1f}"
        return f'<polygon points="{points}" fill="{fill}"{outline}><title>{escape(title)}</title></polygon>'
    width = max(_x(end, axis_end) - start_x, 1.5)
    return (
        f'<rect x="{start_x:.1f}" y="{y + 3:.0f}" width="{width:.1f}" height="{ROW - 6}" '
        f'fill="{fill}"{outline}><title>{escape(title)}</title></rect>'
    )


def _legend(y: float) -> list[str]:
    """One row of swatches: what each colour means."""
    parts: list[str] = []
    x = float(MARGIN)
    for fill, meaning in ((WAIT_COLOUR, "waited (cap or pacing)"), *((COLOURS[r], m) for r, m in LEGEND)):
        parts.append(f'<rect x="{x:.0f}" y="{y + 3:.0f}" width="12" height="{ROW - 6}" fill="{fill}" class="swatch"/>')
        parts.append(f'<text x="{x + 16:.0f}" y="{y + 12:.0f}" class="legend">{escape(meaning)}</text>')
        x += 16 + 7.3 * len(meaning) + 14
    parts.append(f'<text x="{x:.0f}" y="{y + 12:.0f}" class="legend">◆ took no time</text>')
    return parts


def render_svg(
    timelines: Sequence[Sequence[Call]],
    *,
    labels: Sequence[str] = (),
    title: str = "timeline",
    axis_end: int | None = None,
    mark: int | None = None,
) -> str:
    """An SVG document of one or more timelines stacked, on one axis; with two, the first divergence is outlined.

    ``axis_end`` and ``mark`` (a call index to outline) let two documents
    drawn apart share one axis and one mark, as the HTML report shows them.
    """
    axis_end = _axis_end(timelines) if axis_end is None else axis_end
    if mark is None and len(timelines) == 2:
        mark = first_divergence(timelines[0], timelines[1])
    parts: list[str] = [f'<text x="{MARGIN}" y="16" class="title">{escape(title)}</text>', *_legend(22.0)]
    y = 28.0 + ROW
    for position, timeline in enumerate(timelines):
        if position < len(labels):
            parts.append(f'<text x="{MARGIN}" y="{y + 12:.0f}" class="title">{escape(labels[position])}</text>')
            y += ROW
        rows, y = _rows(timeline, y, axis_end, mark)
        parts.extend(rows)
        y += ROW / 2
    for ms in axis_ticks(axis_end):
        x = _x(ms, axis_end)
        parts.append(f'<line x1="{x:.1f}" y1="{28 + ROW}" x2="{x:.1f}" y2="{y:.0f}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{y + 14:.0f}" class="tick">{ms} ms</text>')
    height = y + ROW + MARGIN
    width = LABEL_WIDTH + PLOT_WIDTH + 3 * MARGIN
    style = (
        "text{font:12px monospace;fill:#222}.title{font-weight:bold}.stage{fill:#555}"
        ".tick{text-anchor:middle;fill:#555}.grid{stroke:#eee}.legend{fill:#555}"
    )
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" role="img" aria-label={quoteattr(title)}>',
        f"<style>{style}</style>",
        *parts,
        "</svg>",
        "",
    ])


def render_svg_pair(left: Sequence[Call], right: Sequence[Call], *, labels: tuple[str, str]) -> tuple[str, str]:
    """Two SVG documents, one per timeline, on one shared axis with the first divergence outlined in both."""
    axis_end = _axis_end([left, right])
    mark = first_divergence(left, right)
    return (
        render_svg([left], title=labels[0], axis_end=axis_end, mark=mark),
        render_svg([right], title=labels[1], axis_end=axis_end, mark=mark),
    )
