"""The terminal text of a check: one block per scenario and the closing line.

:func:`describe_result` turns a :class:`~harness.check.ScenarioResult` into
the block the terminal, the JUnit report and the corpus test print: the
status line, the differences under a header naming each side, and both
timelines with the first divergence marked. :func:`summary_line` is the
``total: N passed, N failed`` line CI reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.check import ScenarioResult
from harness.compare import format_differences
from harness.report.timeline import render_divergence

__all__ = ["describe_result", "summary_line"]


def describe_result(result: ScenarioResult, *, candidate_name: str, limit: int | None = 20) -> str:
    """The report block of one scenario: its status line and, for a failure, why.

    Each difference line reads ``path: LEFT != RIGHT``; the header above
    says which side is which. ``limit=None`` shows every difference.
    """
    lines = [f"{result.status.upper():<16} {result.name}"]
    shown = len(result.candidate_differences) + len(result.baseline_differences) if limit is None else limit
    if result.message:
        lines.extend("    " + line for line in result.message.splitlines())
    if result.candidate_differences:
        # Name the reference only when it is not the frozen snapshot (``--reference REV``).
        oracle = result.reference["implementation"] if result.reference is not None else "reference"
        which = "the reference" if oracle == "reference" else f"the reference {oracle}"
        lines.append(f"  candidate {candidate_name} differs from {which} (path: reference != candidate):")
        lines.append(format_differences(result.candidate_differences, limit=shown))
    if result.baseline_differences:
        lines.append("  reference differs from the pinned baseline (path: baseline != reference):")
        lines.append(format_differences(result.baseline_differences, limit=shown))
    if result.candidate_differences and result.reference is not None and result.candidate is not None:
        lines.append("  timelines:")
        divergence = render_divergence(
            result.reference["timeline"], result.candidate["timeline"], labels=("reference", candidate_name)
        )
        lines.extend("    " + line for line in divergence.splitlines())
    return "\n".join(lines)


def summary_line(results: Sequence[ScenarioResult]) -> str:
    """The closing line: ``total: N passed, N failed`` (invalid files count as failed)."""
    passed = sum(result.passed for result in results)
    return f"total: {passed} passed, {len(results) - passed} failed"
