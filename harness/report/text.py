"""The terminal text of a check: one block per scenario and the closing line.

:func:`describe_result` turns a :class:`~harness.check.ScenarioResult` into
the block the terminal, the JUnit report and the corpus test print: the
status line, the differences under a header naming each side, and both
timelines with the first divergence marked (when they differ), and the next step. :func:`summary_line` is the
``total: N passed, N failed`` line CI reads.

By default each change is printed once (see
:func:`~harness.compare.group_differences`), with the other paths it
touches listed under it; ``limit=None`` (``-v``) prints every path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from harness.check import ScenarioResult
from harness.compare import Difference, format_differences, group_differences
from harness.report.timeline import render_divergence

__all__ = ["describe_result", "first_problem", "format_grouped", "next_step", "summary_line"]


def describe_result(result: ScenarioResult, *, candidate_name: str, limit: int | None = 20) -> str:
    """The report block of one scenario: its status line and, for a failure, why and what to do next.

    Each difference line reads ``path: LEFT != RIGHT``; the header above
    says which side is which. ``limit`` caps the changes shown; ``limit=None``
    shows every difference, each path on its own line. An invalid file's
    message is left out: ``harness check`` prints it once, on standard error,
    as it does every bad input.
    """
    lines = [f"{result.status.upper():<16} {result.name}"]
    if result.message and result.status != "invalid":
        lines.extend("    " + line for line in result.message.splitlines())
    if result.candidate_differences:
        lines.append(f"  {_candidate_header(result, candidate_name)}:")
        lines.append(_differences_text(result.candidate_differences, limit))
    if result.baseline_differences:
        lines.append(f"  {_baseline_header(result)}:")
        lines.append(_differences_text(result.baseline_differences, limit))
    if result.candidate_differences and result.reference is not None and result.candidate is not None:
        divergence = render_divergence(
            result.reference["timeline"],
            result.candidate["timeline"],
            labels=("reference", candidate_name),
            events=(result.reference["events"], result.candidate["events"]),
        ).splitlines()
        lines.extend(["  timelines agree"] if len(divergence) == 1 else ["  timelines:", *("    " + line for line in divergence)])
    step = next_step(result, candidate_name=candidate_name)
    if step is not None:
        lines.append(f"  next: {step}")
    return "\n".join(lines)


def _reference_name(result: ScenarioResult) -> str:
    """``reference``, or ``reference NAME`` when it is not the frozen snapshot (``--reference REV``, a phase's before)."""
    oracle = result.reference["implementation"] if result.reference is not None else "reference"
    return "reference" if oracle == "reference" else f"reference {oracle}"


def _baseline_header(result: ScenarioResult) -> str:
    return f"{_reference_name(result)} differs from the pinned baseline (path: baseline != reference)"


def _candidate_header(result: ScenarioResult, candidate_name: str) -> str:
    return f"candidate {candidate_name} differs from the {_reference_name(result)} (path: reference != candidate)"


def first_problem(result: ScenarioResult, *, candidate_name: str) -> str:
    """One line saying what failed: the first difference with its side named, else the message's first line."""
    if result.candidate_differences:
        return f"{_candidate_header(result, candidate_name)}: {result.candidate_differences[0]}"
    if result.baseline_differences:
        return f"{_baseline_header(result)}: {result.baseline_differences[0]}"
    return (result.message or result.status).splitlines()[0]


def next_step(result: ScenarioResult, *, candidate_name: str) -> str | None:
    """The command to run next for a failed scenario, or ``None`` (a pass, an invalid file, an unpinned one)."""
    if result.passed or result.status in ("invalid", "unpinned"):
        return None
    look = f"`harness run {result.path} --impl {candidate_name} --timeline` to look closer"
    if result.candidate_differences:
        return f"{look}; if the change is intended, `harness freeze` and `harness record {result.path}`"
    if result.baseline_differences:
        return f"if the reference's change is intended, `harness record {result.path}`; else `harness freeze` again"
    return look


def format_grouped(differences: Sequence[Difference], *, limit: int = 20, indent: str = "    ") -> str:
    """Each change once, at most ``limit`` of them, its other paths on the line under it."""
    groups = group_differences(differences)
    lines: list[str] = []
    for group in groups[:limit]:
        lines.append(f"{indent}{group.difference}")
        if group.also:
            lines.append(f"{indent}    same change at {', '.join(group.also)}")
    if len(groups) > limit:
        lines.append(f"{indent}... and {len(groups) - limit} more changes")
    return "\n".join(lines)


def _differences_text(differences: Sequence[Difference], limit: int | None) -> str:
    if limit is None:
        return format_differences(differences, limit=len(differences))
    return format_grouped(differences, limit=limit)


def summary_line(results: Sequence[ScenarioResult]) -> str:
    """The closing line: ``total: N passed, N failed`` (invalid files count as failed)."""
    passed = sum(result.passed for result in results)
    return f"total: {passed} passed, {len(results) - passed} failed"
