"""Progress of a long ``harness check``: a bar on a terminal, plain lines elsewhere.

On a terminal a ``rich`` progress bar shows how many scenarios are done and
which one runs, and failures are printed in full above it; the bar is green
while everything passes and turns red at the first failure, and status words
are coloured (``MATCH`` green, ``MISMATCH`` red, ...). rich leaves colour out
when ``NO_COLOR`` is set. Elsewhere (a CI log, a pipe) every scenario gets
its block as it finishes, without colour. ``--json`` shows neither.

Verbosity follows pytest: ``-q`` prints only the failures, ``-v`` every
scenario on a terminal too and every difference (no limit of 20). The
closing report lists the failed scenarios by status and path, then the
``total: N passed, N failed`` line.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Final, Protocol, Self, TextIO, final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from harness.check import CheckStatus, ScenarioResult
from harness.report.text import describe_result, summary_line

__all__ = [
    "STATUS_STYLES",
    "CheckProgress",
    "LineProgress",
    "SilentProgress",
    "TerminalProgress",
    "closing_lines",
    "progress_for",
]

STATUS_STYLES: Final[dict[CheckStatus, str]] = {
    "match": "green",
    "mismatch": "bold red",
    "crashed": "bold red",
    "unfinished": "red",
    "nondeterministic": "red",
    "unpinned": "yellow",
    "invalid": "magenta",
}
QUIET: Final = -1
VERBOSE: Final = 1
_DIFFERENCE_LIMIT: Final = 20


class CheckProgress(Protocol):
    """Told when a scenario starts and how it ended, then given every result to close the report."""

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None: ...

    def started(self, name: str) -> None: ...

    def finished(self, result: ScenarioResult) -> None: ...

    def close(self, results: Sequence[ScenarioResult], *, not_run: int = 0) -> None: ...


def closing_lines(results: Sequence[ScenarioResult], *, not_run: int = 0) -> list[str]:
    """The end of a report: the failed scenarios (status and path), a note on ``-x``, the total line."""
    failed = [result for result in results if not result.passed]
    lines: list[str] = []
    if failed:
        lines.append(f"failed scenarios ({len(failed)}):")
        lines.extend(f"  {result.status.upper():<16} {result.path}" for result in failed)
    if not_run:
        lines.append(f"stopped after the first failure (-x): {not_run} not run")
    lines.append(summary_line(results))
    return lines


def _limit(verbosity: int) -> int | None:
    return None if verbosity >= VERBOSE else _DIFFERENCE_LIMIT


class _Unframed:
    """What the displays without a bar share: nothing to start, stop or show when a scenario starts."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        return None

    def started(self, name: str) -> None:
        return None


@final
class SilentProgress(_Unframed):
    """Shows nothing (``--json``: the report is the whole output)."""

    def __repr__(self) -> str:
        return "SilentProgress()"

    def finished(self, result: ScenarioResult) -> None:
        return None

    def close(self, results: Sequence[ScenarioResult], *, not_run: int = 0) -> None:
        return None


@final
class LineProgress(_Unframed):
    """One block per scenario as it finishes (only failures under ``-q``): the plain, log-friendly form."""

    def __init__(self, out: TextIO, candidate: str, *, verbosity: int = 0) -> None:
        self._out = out
        self._candidate = candidate
        self._verbosity = verbosity

    def __repr__(self) -> str:
        return f"LineProgress(candidate={self._candidate!r}, verbosity={self._verbosity})"

    def finished(self, result: ScenarioResult) -> None:
        if result.passed and self._verbosity <= QUIET:
            return
        block = describe_result(result, candidate_name=self._candidate, limit=_limit(self._verbosity))
        self._out.write(block + "\n")
        self._out.flush()

    def close(self, results: Sequence[ScenarioResult], *, not_run: int = 0) -> None:
        self._out.write("\n".join(closing_lines(results, not_run=not_run)) + "\n")


@final
class TerminalProgress:
    """A progress bar over the scenarios, green until a failure; failures are printed above it in full."""

    def __init__(self, out: TextIO, candidate: str, total: int, *, verbosity: int = 0) -> None:
        self._candidate = candidate
        self._verbosity = verbosity
        self._console = Console(file=out, highlight=False)
        self._bar = BarColumn(complete_style="green", finished_style="green")
        self._progress = Progress(
            TextColumn("[bold]check"),
            self._bar,
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self._console,
            transient=True,
        )
        self._task = self._progress.add_task("", total=total)

    def __repr__(self) -> str:
        return f"TerminalProgress(candidate={self._candidate!r}, verbosity={self._verbosity})"

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._progress.stop()

    @property
    def bar_style(self) -> str:
        """The bar's colour now: ``green`` while everything passed, ``red`` after a failure."""
        return str(self._bar.complete_style)

    def started(self, name: str) -> None:
        self._progress.update(self._task, description=name)

    def finished(self, result: ScenarioResult) -> None:
        if not result.passed:
            self._bar.complete_style = self._bar.finished_style = "red"
        if not result.passed or self._verbosity >= VERBOSE:
            block = describe_result(result, candidate_name=self._candidate, limit=_limit(self._verbosity))
            self._console.print(_coloured(block, result.status), markup=False)
        self._progress.advance(self._task)

    def close(self, results: Sequence[ScenarioResult], *, not_run: int = 0) -> None:
        lines = closing_lines(results, not_run=not_run)
        for line in lines[:-1]:
            status = line.split()[0].lower() if line.startswith("  ") else None
            self._console.print(_coloured(line, status) if status in STATUS_STYLES else Text(line))
        total_style = "green" if all(result.passed for result in results) and not not_run else "bold red"
        self._console.print(Text(lines[-1], style=total_style))


def _coloured(block: str, status: str | None) -> Text:
    """``block`` with its status word (the first word of its first line) in the status's colour."""
    text = Text(block)
    word = block.lstrip().split(maxsplit=1)[0] if block.strip() else ""
    if status in STATUS_STYLES and word:
        start = block.index(word)
        text.stylize(STATUS_STYLES[status], start, start + len(word))  # type: ignore[index]
    return text


def progress_for(
    out: TextIO, *, candidate: str, total: int, json_output: bool, verbosity: int = 0
) -> CheckProgress:
    """The progress display that suits ``out``: silent for JSON, a bar on a terminal, else lines."""
    if json_output:
        return SilentProgress()
    if out.isatty():
        return TerminalProgress(out, candidate, total, verbosity=verbosity)
    return LineProgress(out, candidate, verbosity=verbosity)
