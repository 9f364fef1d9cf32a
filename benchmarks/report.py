"""Presenting benchmark figures: the machine they ran on, a console table, a Markdown page.

:func:`describe_machine` reads the Python version, the platform, the CPU
count and the CPU model (from ``/proc/cpuinfo``, where there is one) and the
load average when the run started and ended, since other processes may
share the machine. :func:`run_standalone` is the ``__main__`` of each benchmark script.

The results page holds generated figures above :data:`KEPT_MARKER` and
hand-written sections below it (measurements no single run makes, such as
mutation power and fault finding over several rounds);
:func:`merge_results_page` replaces the first part and keeps the second.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from measure import Figure

__all__ = [
    "KEPT_MARKER",
    "Machine",
    "ResultsPageError",
    "describe_machine",
    "merge_results_page",
    "render_markdown",
    "render_table",
    "run_standalone",
]

KEPT_MARKER = (
    "<!-- The figures above are written by benchmarks/run.py --write-results;"
    " everything below this line is kept when it runs again. -->"
)

_CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True, slots=True)
class Machine:
    """Where the figures were measured."""

    python: str
    platform: str
    cpu_count: int | None
    cpu_model: str
    load_average: tuple[float, float, float] | None
    load_average_at_end: tuple[float, float, float] | None = None

    def ended(self) -> Machine:
        """This machine with the load average now, once the benchmarks have run."""
        return replace(self, load_average_at_end=_load_average())

    @property
    def label(self) -> str:
        """A short name for a table cell: CPU model and count, Python implementation and version."""
        return f"{self.cpu_model} x{self.cpu_count or '?'}, {self.python}"

    def lines(self) -> list[str]:
        lines = [
            f"python: {self.python}",
            f"platform: {self.platform}",
            f"cpu count: {self.cpu_count if self.cpu_count is not None else 'unknown'}",
            f"cpu model: {self.cpu_model}",
            f"load average at start (1, 5, 15 min): {_shown_load(self.load_average)}",
        ]
        if self.load_average_at_end is not None:
            lines.append(f"load average at end (1, 5, 15 min): {_shown_load(self.load_average_at_end)}")
        return lines

    def to_document(self) -> dict[str, object]:
        return {
            "python": self.python,
            "platform": self.platform,
            "cpu_count": self.cpu_count,
            "cpu_model": self.cpu_model,
            "load_average": list(self.load_average) if self.load_average is not None else None,
            "load_average_at_end": list(self.load_average_at_end) if self.load_average_at_end is not None else None,
        }


def _load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


def _shown_load(load: tuple[float, float, float] | None) -> str:
    return "unknown" if load is None else " / ".join(f"{value:.2f}" for value in load)


def _cpu_model() -> str:
    try:
        text = _CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    # x86 names the model "model name"; some ARM kernels only give "Hardware" or "Processor".
    for key in ("model name", "Hardware", "Processor"):
        for line in text.splitlines():
            name, separator, value = line.partition(":")
            if separator and name.strip() == key and value.strip():
                return value.strip()
    return platform.processor() or "unknown"


def describe_machine() -> Machine:
    """The machine this process runs on, as the figures' context."""
    return Machine(
        python=f"{platform.python_implementation()} {sys.version.split()[0]}",
        platform=platform.platform(),
        cpu_count=os.cpu_count(),
        cpu_model=_cpu_model(),
        load_average=_load_average(),
    )


def _met_cell(figure: Figure) -> str:
    return {None: "", True: "yes", False: "NO"}[figure.met]


def render_table(figures: Sequence[Figure], machine: Machine) -> str:
    """The figures as a plain-text table, followed by the machine they ran on."""
    header = ("benchmark", "figure", "measured", "target", "met", "note")
    rows = [header] + [
        (f.benchmark, f.name, f.shown, f.target_shown, _met_cell(f), f.note) for f in figures
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.ljust(width) if column != 2 else cell.rjust(width)
                 for column, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths) + "  " + "-" * len(header[-1]))
    return "\n".join(lines + ["", "machine:"] + ["  " + line for line in machine.lines()]) + "\n"


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def render_markdown(
    figures: Sequence[Figure], machine: Machine, *, command: str, produced_at: str, how: Sequence[tuple[str, str]]
) -> str:
    """The figures as a Markdown page: how to reproduce it, the table, the machine, how each was measured.

    ``how`` pairs each benchmark's name with one line saying what it measures.
    """
    lines = [
        "# Benchmark results",
        "",
        f"Measured {produced_at} by `{command}`; run it again to replace the figures down to the sections",
        "measured on their own, further below.",
        "Figures are medians of rounds in one process; a target is an upper bound.",
        "",
        "| Benchmark | Figure | Measured | Target | Met | Machine | Note |",
        "|---|---|---:|---|---|---|---|",
    ]
    for f in figures:
        cells = (f.benchmark, f.name, f.shown, f.target_shown, _met_cell(f), machine.label, f.note)
        lines.append("| " + " | ".join(_escape(cell) for cell in cells) + " |")
    lines += ["", "## Machine", ""] + [f"- {line}" for line in machine.lines()]
    lines += ["", "## What each benchmark measures", ""] + [f"- **{name}**: {text}" for name, text in how]
    return "\n".join(lines) + "\n"


class ResultsPageError(Exception):
    """A results page that cannot be rewritten without losing what it holds; the message is one line."""


def merge_results_page(generated: str, existing: str | None, *, path: Path) -> str:
    """``generated`` followed by the sections of ``existing`` below :data:`KEPT_MARKER`.

    A new page (``existing`` is ``None``) gets the marker and nothing below
    it. An existing page without the marker raises :class:`ResultsPageError`:
    what it holds beyond the figures cannot be told apart from them.
    """
    if existing is None:
        return f"{generated}\n{KEPT_MARKER}\n"
    _, marker, kept = existing.partition(KEPT_MARKER)
    if not marker:
        raise ResultsPageError(
            f"{path}: no kept-sections marker line ({KEPT_MARKER[:24]}...); refusing to overwrite it,"
            " add the marker above the sections to keep or name another FILE"
        )
    return f"{generated}\n{KEPT_MARKER}{kept}"


def run_standalone(run: Callable[[bool], list[Figure]], description: str) -> int:
    """Run one benchmark from its own script (``--quick`` for fewer rounds) and print its table."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    args = parser.parse_args()
    machine = describe_machine()
    figures = run(args.quick)
    sys.stdout.write(render_table(figures, machine.ended()))
    return 0
